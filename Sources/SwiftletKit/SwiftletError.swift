/// An error the `swiftlet` command reports as one line and a non-zero exit.
///
/// Printed as `swiftlet: error: <problem>; <remedy>`: what is wrong, then what
/// to do about it. `status` is the process exit status to use.
public struct SwiftletError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, lower case, no trailing period.
    public var problem: String
    /// What to do about it; empty when there is nothing useful to suggest.
    public var remedy: String
    /// The exit status `swiftlet` ends with.
    public var status: Int32

    public init(_ problem: String, remedy: String = "", status: Int32 = 1) {
        self.problem = problem
        self.remedy = remedy
        self.status = status
    }

    /// The one-line report, `swiftlet: error: <problem>; <remedy>`.
    public var description: String {
        remedy.isEmpty ? "swiftlet: error: \(problem)" : "swiftlet: error: \(problem); \(remedy)"
    }
}
