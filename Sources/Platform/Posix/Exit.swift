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
///
/// It allocates nothing (it reports heap exhaustion and heap misuse too): the line leaves in up to three
/// writes of static and given bytes.
func abortWithMessage(_ message: UnsafeRawBufferPointer) -> Never {
    swiftlet_posix_report_backtrace_here()  // the frames first: the report line stays last
    let hasMessage = message.baseAddress != nil && message.count > 0
    let prefix: StaticString = hasMessage ? "swiftlet: abort: " : "swiftlet: abort"
    let newline: StaticString = "\n"
    prefix.withUTF8Buffer { writeFully(consoleFD, UnsafeRawBufferPointer($0)) }
    if hasMessage { writeFully(consoleFD, message) }
    newline.withUTF8Buffer { writeFully(consoleFD, UnsafeRawBufferPointer($0)) }
    swiftlet_posix_exit_group(SWIFTLET_EXIT_ABORT)
}
