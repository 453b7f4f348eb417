/// exit-code: exits with the status given as `status=N` (0...255) in its boot
/// arguments, to show that a unikernel's status reaches the caller of
/// `swiftlet run` unchanged in both modes.
import Runtime

@main
struct ExitCode: Application {
    static func run(_ arguments: BootArguments) async -> Int32 {
        guard let text = arguments["status"] else {
            print("exit-code: no status given; run with -- status=N (0...255)")
            return 2
        }
        guard let status = Int32(text), (0...255).contains(status) else {
            print("exit-code: status '\(text)' is not an integer in 0...255")
            return 2
        }
        print("exit-code: exiting with status \(status)")
        return status
    }
}
