import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the host tools write: progress and errors to stderr, results to stdout.
///
/// The command's own messages are log lines in the libOS's format (``LogLine``, subsystem `swiftlet`):
/// `[0.012345] info swiftlet: building hello for virtio...`; errors at level `error`, `--verbose`'s commands and
/// details at `debug`. What child processes print (compiler diagnostics, an app's console) passes through as it is.
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

    /// A progress line such as `[0.012345] info swiftlet: building hello for virtio...` (stderr).
    public func progress(_ message: String) {
        Log.line(.info, message)
    }

    /// A log line of subsystem `swiftlet` at `level` (stderr).
    public static func line(_ level: LogLine.Level, _ message: String) {
        standardError(LogLine.now(level, "swiftlet", message))
    }

    /// Reports `error` as an error line: `[0.012345] error swiftlet: <problem>; <remedy>` (stderr).
    public static func report(_ error: SwiftletError) {
        line(.error, error.remedy.isEmpty ? error.problem : "\(error.problem); \(error.remedy)")
    }

    /// Reports a one-line error already in the form `swiftlet: error: <what>` (ArgumentParser's, reworded by
    /// ``SwiftletError/oneLine(parserMessage:)``) as an error line.
    public static func report(errorLine text: String) {
        let prefix = "swiftlet: error: "
        line(.error, text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text)
    }

    /// A result line (stdout, or the test's sink).
    public func result(_ line: String) {
        output(line)
    }

    /// With `--verbose`, shows a command about to run, shell-quoted (stderr).
    public func command(_ arguments: [String], environment: [String: String] = [:]) {
        guard verbose else { return }
        let env = environment.keys.sorted().map { "\($0)=\(shellQuote(environment[$0]!))" }
        Log.line(.debug, "+ " + (env + arguments.map(shellQuote)).joined(separator: " "))
    }

    /// Free-form diagnostic shown only with `--verbose` (stderr, level debug).
    public func detail(_ message: String) {
        guard verbose else { return }
        Log.line(.debug, message)
    }
}

/// Quotes `word` for a POSIX shell when it needs quoting.
public func shellQuote(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
