import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the host tools write: progress and errors to stderr, results to stdout.
///
/// Every write is flushed at once so that lines interleave correctly with the
/// output of child processes that share the terminal.
public struct Log: Sendable {
    /// Print every command before running it.
    public var verbose: Bool
    /// Receives result lines (stdout by default; tests capture them).
    public var output: @Sendable (String) -> Void

    public init(verbose: Bool = false, output: @escaping @Sendable (String) -> Void = Log.standardOutput) {
        self.verbose = verbose
        self.output = output
    }

    /// Writes `line` and a newline to stdout, flushed.
    public static let standardOutput: @Sendable (String) -> Void = { line in
        fputs(line + "\n", stdout)
        fflush(stdout)
    }

    /// Writes `line` and a newline to stderr.
    public static func standardError(_ line: String) {
        fflush(stdout)
        fputs(line + "\n", stderr)
        fflush(stderr)
    }

    /// A progress line such as `swiftlet: building hello for virtio...` (stderr).
    public func progress(_ message: String) {
        Log.standardError("swiftlet: \(message)")
    }

    /// A result line (stdout, or the test's sink).
    public func result(_ line: String) {
        output(line)
    }

    /// With `--verbose`, shows a command about to run, shell-quoted (stderr).
    public func command(_ arguments: [String], environment: [String: String] = [:]) {
        guard verbose else { return }
        let env = environment.keys.sorted().map { "\($0)=\(shellQuote(environment[$0]!))" }
        Log.standardError("+ " + (env + arguments.map(shellQuote)).joined(separator: " "))
    }

    /// Free-form diagnostic shown only with `--verbose` (stderr).
    public func detail(_ message: String) {
        guard verbose else { return }
        Log.standardError(message)
    }
}

/// Quotes `word` for a POSIX shell when it needs quoting.
public func shellQuote(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
