/// Console.swift — `swiftlet_platform_console_write`: the console is the process's stdout.
///
/// Best effort, as a serial port is: every byte is written (partial writes
/// continue, `EINTR` is retried by ``systemCall(_:retryingInterrupts:_:)``); if
/// stdout is non-blocking and full, the write waits in 1 ms steps for up to a
/// second, then drops the rest; a closed pipe (`EPIPE`; SIGPIPE is ignored,
/// see C/signals.c) drops it at once. It never fails and never returns an error.

import SwiftletPosix

/// The console's fd. The sandbox allows write(2) on fd 1 and 2 only.
let consoleFD: Int32 = 1
/// Where the tender's own usage errors go (not part of the app's transcript).
let diagnosticsFD: Int32 = 2

@_cdecl("swiftlet_platform_console_write")
public func swiftletPlatformConsoleWrite(_ buffer: UnsafePointer<CChar>?, _ length: Int) {
    guard let buffer, length > 0 else { return }
    writeFully(consoleFD, UnsafeRawBufferPointer(start: buffer, count: length))
}

/// Writes all of `bytes` to `fd`, best effort (see the file comment).
func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress else { return }
    var done = 0
    var stalls = 0
    while done < bytes.count {
        do throws(SyscallError) {
            done += try systemCall("write") { write(fd, base + done, bytes.count - done) }
        } catch .wouldBlock {
            stalls += 1
            if stalls > 1000 { return }
            sleepUntil(monotonicNanoseconds() + 1_000_000)
        } catch {
            return
        }
    }
}
