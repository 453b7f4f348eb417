import ArgumentParser
import Foundation
import SwiftletKit

/// Entry point: parse, run, and turn every error into one log line
/// `[0.012345] error swiftlet: <what>; <what to do>` with a non-zero status.
func main() -> Never {
    LogLine.markStart()
    do {
        var command = try Swiftlet.parseAsRoot()
        try command.run()
        exit(0)
    } catch let problems as DeviceProblems {
        for problem in problems.problems { Log.report(problem) }
        exit(DeviceProblems.status)
    } catch let error as SwiftletError {
        Log.report(error)
        exit(error.status)
    } catch let code as ExitCode {
        exit(code.rawValue)
    } catch {
        let code = Swiftlet.exitCode(for: error)
        if code == .success {
            Swiftlet.exit(withError: error)  // --help, --version: ArgumentParser prints them
        }
        Log.report(errorLine: SwiftletError.oneLine(parserMessage: Swiftlet.message(for: error)))
        exit(code.rawValue == 0 ? 1 : code.rawValue)
    }
}

main()
