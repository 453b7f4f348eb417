/// forbidden (dev only): tries to open a file through libc, which a unikernel
/// cannot do. In dev the seccomp sandbox stops the `openat` system call and
/// explains what to use instead (exit status 253); in prod there is no libc
/// `open` to call at all, so this sample only makes sense with `--target posix`.
import Runtime

@_extern(c, "open")
func libcOpen(_ path: UnsafePointer<CChar>, _ flags: CInt) -> CInt

@main
struct Forbidden: Application {
    static func run(_ arguments: BootArguments) async -> Int32 {
        let path = arguments["path"] ?? "/etc/passwd"
        print("forbidden: opening \(path) through libc...")
        let fd = path.withCString { libcOpen($0, 0) }
        print("forbidden: open returned \(fd): the sandbox did not stop it!")
        return 1
    }
}
