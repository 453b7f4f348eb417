/// Syscall.swift — the one system-call wrapper of the Posix platform.
///
/// Every system call the Swift side makes goes through `systemCall(_:_:)`,
/// as every call in SwiftNIO goes through one helper (SwiftNIO's `System.swift`; docs/ARCHITECTURE.md §7):
/// - `EINTR` is retried (unless the caller asks to see it: a spurious wake is
///   fine for `ppoll`, see Yield.swift);
/// - `EAGAIN`/`EWOULDBLOCK` becomes ``SyscallError/wouldBlock`` (the ABI's AGAIN);
/// - `EFAULT` and `EBADF` can only mean a bug in this platform (Runtime checks
///   every buffer, and the platform owns every fd), so they abort with a message;
/// - anything else is thrown as ``SyscallError/failed(name:errno:)`` for the caller
///   to map onto a `swiftlet_result_t` (a host errno never leaves the platform).

import SwiftletPosix

/// Why a system call did not succeed, after `EINTR` retries and bug traps.
enum SyscallError: Error {
    /// `EAGAIN`/`EWOULDBLOCK`: nothing to do now.
    case wouldBlock
    /// `EINTR`, only when the caller passed `retryingInterrupts: false`.
    case interrupted
    /// Any other errno.
    case failed(name: StaticString, errno: Int32)
}

/// Runs `body` (a libc system-call wrapper returning -1 and setting errno on failure) with the
/// platform's error policy.
///
/// - Parameters:
///   - name: the system call, for the abort message on `EFAULT`/`EBADF`.
///   - retryingInterrupts: retry on `EINTR` (default) or throw ``SyscallError/interrupted``.
///   - body: performs the call once and returns its result widened to `Int`.
/// - Returns: the call's non-negative result.
/// - Throws: ``SyscallError``.
@inline(__always)
func systemCall(
    _ name: StaticString, retryingInterrupts: Bool = true, _ body: () -> Int
) throws(SyscallError) -> Int {
    while true {
        let result = body()
        if result >= 0 {
            return result
        }
        let code = swiftlet_posix_errno()
        switch code {
        case EINTR:
            if retryingInterrupts {
                continue
            }
            throw .interrupted
        case EAGAIN:  // == EWOULDBLOCK on Linux
            throw .wouldBlock
        case EFAULT, EBADF:
            platformBug(name, code == EFAULT ? "EFAULT" : "EBADF")
        default:
            throw .failed(name: name, errno: code)
        }
    }
}

/// Ends the app because the platform itself misused a system call.
func platformBug(_ call: StaticString, _ what: StaticString) -> Never {
    var message = Line()
    message.append("posix platform bug: ")
    message.append(call)
    message.append(" failed with ")
    message.append(what)
    message.withBytes { abortWithMessage($0) }
}
