/// Exit.swift — `swiftlet_platform_exit` and `swiftlet_platform_abort`.
///
/// Exit is exit_group(2) with the app's status and nothing else: no atexit
/// handlers, no stdio flush, as a unikernel halts. Runtime flushes its own
/// console before calling either. Abort prints `swiftlet: abort: <message>`
/// (or `swiftlet: abort` without one) on the console and ends with
/// SWIFTLET_EXIT_ABORT (255), the status glibc's abort() also gets here (see
/// C/faults.c, which catches SIGABRT).

import SwiftletABI
import SwiftletPosix

@_cdecl("swiftlet_platform_exit")
public func swiftletPlatformExit(_ status: Int32) -> Never {
    swiftlet_posix_exit_group(status & 0xff)
}

@_cdecl("swiftlet_platform_abort")
public func swiftletPlatformAbort(_ message: UnsafePointer<CChar>?, _ length: Int) -> Never {
    abortWithMessage(UnsafeRawBufferPointer(start: message, count: message == nil ? 0 : length))
}

/// Prints the abort line for `message` (possibly empty) and exits 255.
func abortWithMessage(_ message: UnsafeRawBufferPointer) -> Never {
    swiftlet_posix_report_backtrace_here()  // the frames first: the report line stays last
    var line = Line()
    line.append("swiftlet: abort")
    if let base = message.baseAddress, message.count > 0 {
        line.append(": ")
        line.append(base.assumingMemoryBound(to: UInt8.self), count: message.count)
    }
    line.append(byte: 10)
    line.withBytes { writeFully(consoleFD, $0) }
    swiftlet_posix_exit_group(SWIFTLET_EXIT_ABORT)
}
