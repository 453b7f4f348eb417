import ArgumentParser
import Foundation
import SwiftletKit

/// Entry point: parse, run, and turn every error into one line
/// `swiftlet: error: <what>; <what to do>` with a non-zero status.
func main() -> Never {
    do {
        var command = try Swiftlet.parseAsRoot()
        try command.run()
        exit(0)
    } catch let problems as DeviceProblems {
        for problem in problems.problems { Log.standardError(problem.description) }
        exit(DeviceProblems.status)
    } catch let error as SwiftletError {
        Log.standardError(error.description)
        exit(error.status)
    } catch let code as ExitCode {
        exit(code.rawValue)
    } catch {
        let code = Swiftlet.exitCode(for: error)
        if code == .success {
            Swiftlet.exit(withError: error)  // --help, --version: ArgumentParser prints them
        }
        Log.standardError(SwiftletError.oneLine(parserMessage: Swiftlet.message(for: error)))
        exit(code.rawValue == 0 ? 1 : code.rawValue)
    }
}

main()
