import Foundation

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

extension SwiftletError {
    /// ArgumentParser's message (`Error: The value 'x' is invalid for '--target <target>'. Please
    /// provide one of ...`, then usage lines) as one line in our form:
    /// `swiftlet: error: the value 'x' is invalid ...; please provide one of ...`.
    public static func oneLine(parserMessage message: String) -> String {
        var text = message.split(separator: "\n").first.map(String.init) ?? "invalid command line"
        if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
        text = text.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix(".") { text.removeLast() }
        if let range = text.range(of: ". ") {
            text.replaceSubrange(range, with: "; ")
            if let next = text.range(of: "; ")?.upperBound, next < text.endIndex {
                text.replaceSubrange(next...next, with: text[next...next].lowercased())
            }
        } else {
            text += "; see 'swiftlet help'"
        }
        if let first = text.first { text.replaceSubrange(...text.startIndex, with: first.lowercased()) }
        return "swiftlet: error: " + text
    }
}
