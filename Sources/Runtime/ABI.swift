/// The checked ABI: the only door between the libOS and a platform.
///
/// This file is Swiftlet's `solo5.h`. The platform half (what Posix and Virtio
/// implement) is `Sources/ABI/include/swiftlet_platform.h`; every call here
/// checks its arguments *once*, above both platforms, so both modes reject the
/// same inputs in the same way (Mirage's `Make_safe`).
///
/// ## Error policy
/// Calls that can fail throw ``ABIError`` (typed throws):
/// - ``ABIError/again``: nothing to do now; wait (the executor's poll) and retry.
/// - ``ABIError/invalid``: an argument was rejected; nothing happened.
/// - ``ABIError/unspecified``: the host failed; nothing more can be said.
///
/// Calls that cannot fail (console, clocks, entropy, exit) always succeed or
/// end the unikernel. No host `errno` ever escapes this file.
///
/// ## Units
/// Time is nanoseconds (``Instant``); offsets and lengths are bytes.
import SwiftletABI

/// The closed set of errors an ABI call can report.
public enum ABIError: Error, Equatable {
    /// Nothing can be done now (no frame pending, queue full); retry after the next poll.
    case again
    /// An argument was rejected (size, alignment, bounds, unknown name or handle); nothing happened.
    case invalid
    /// The host failed for a reason the libOS cannot act on.
    case unspecified

    init?(_ result: swiftlet_result_t) {
        switch result {
        case SWIFTLET_R_OK: return nil
        case SWIFTLET_R_AGAIN: self = .again
        case SWIFTLET_R_INVALID: self = .invalid
        default: self = .unspecified
        }
    }
}

/// Exit statuses the libOS itself uses; identical in dev and prod (see `swiftlet_platform.h`).
public enum ExitStatus {
    /// `abort`, `fatalError` reaching `abort()`, or an ABI misuse.
    public static let abort: Int32 = 255
    /// A memory fault: page 0, write to text, execute data, stack overflow into the guard.
    public static let memoryFault: Int32 = 254
    /// Dev only: the sandbox stopped a system call a unikernel could not make.
    public static let sandbox: Int32 = 253
    /// A CPU trap other than a memory fault (Swift runtime traps are `ud2`: invalid opcode).
    public static let cpuTrap: Int32 = 252
    /// A device broke its contract (a used-ring id or length that cannot be, no answer in time, a block file
    /// that shrank): `swiftlet: device error: ...`.
    public static let deviceError: Int32 = 251
    /// The boot arguments were malformed.
    public static let usage: Int32 = 2
}

/// Start information from the platform, taken once at launch.
struct StartInfo {
    /// The command line's bytes, in the platform's buffer (parsed at once by ``Runtime/launch(_:)``).
    var commandLine: UnsafeBufferPointer<UInt8>
    var heapStart: UInt
    var heapSize: Int
}

/// The checked ABI calls. Everything the libOS knows of the outside world passes through here.
public enum ABI {
    static var started = false

    /// Starts the platform (dev: the tender locks the process down) and returns the start info.
    /// Called exactly once, by ``Runtime/launch(_:)``.
    static func start() -> StartInfo {
        precondition(!started, "ABI.start called twice")
        started = true
        var info = swiftlet_start_info()
        swiftlet_platform_start(&info)
        var line = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        if let cmdline = info.cmdline {
            let bytes = UnsafeRawPointer(cmdline).assumingMemoryBound(to: UInt8.self)
            var count = 0
            while bytes[count] != 0 { count += 1 }
            line = UnsafeBufferPointer(start: bytes, count: count)
        }
        return StartInfo(commandLine: line, heapStart: UInt(info.heap_start), heapSize: Int(info.heap_size))
    }

    /// Writes bytes to the console, best effort. Never fails.
    public static func consoleWrite(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        swiftlet_platform_console_write(base.assumingMemoryBound(to: CChar.self), bytes.count)
    }

    /// The monotonic clock. Never goes back.
    public static func monotonicNow() -> Instant {
        Instant(nanoseconds: swiftlet_platform_clock_monotonic())
    }

    /// The wall clock: nanoseconds since 1970-01-01T00:00:00Z.
    public static func wallClockNanoseconds() -> UInt64 {
        swiftlet_platform_clock_wall()
    }

    /// Sleeps until `deadline` or until a device is ready; returns the set of ready handles
    /// (bit *h* set for handle *h*). A deadline in the past returns at once with whatever is ready.
    /// May return early with an empty set.
    public static func poll(until deadline: Instant) -> UInt64 {
        var ready: UInt64 = 0
        swiftlet_platform_yield(deadline.nanoseconds, &ready)
        return ready
    }

    /// Fills `buffer` with cryptographically strong random bytes. Never fails.
    public static func randomBytes(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        swiftlet_platform_random(base, buffer.count)
    }

    /// Run by ``exit(_:)`` and ``abort(_:)`` before they flush the console: a running profiler dumps its samples
    /// (set by the profiler when it starts, `Sources/Runtime/Features/Profiler.swift`; nil otherwise).
    nonisolated(unsafe) public static var beforeExit: (@convention(c) () -> Void)? = nil

    /// Ends the unikernel with `status`; it reaches the caller of `swiftlet run` unchanged.
    /// Statuses outside 0...255 are an ABI misuse and abort. A running profiler dumps its samples first.
    public static func exit(_ status: Int32) -> Never {
        beforeExit?()
        Console.flush()
        guard (0...255).contains(status) else { abortStatusOutOfRange(status) }
        swiftlet_platform_exit(status)
    }

    /// Aborts with `exit status <status> is outside 0...255`, composed on the stack: the interpolation this
    /// was, on the exit path every image links, cost ~500 bytes of code (docs/BENCHMARKS.md, footprint).
    @inline(never)
    static func abortStatusOutOfRange(_ status: Int32) -> Never {
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)  // 48 bytes: 42 at most
        withUnsafeMutableBytes(of: &text) { (raw) -> Never in
            var count = 0
            func append(_ piece: StaticString) {
                for i in 0..<piece.utf8CodeUnitCount {
                    raw[count] = piece.utf8Start[i]
                    count += 1
                }
            }
            append("exit status ")
            if status < 0 { append("-") }
            let magnitude = status.magnitude
            var divisor: UInt32 = 1
            while magnitude / divisor >= 10 { divisor *= 10 }
            while divisor > 0 {
                raw[count] = 0x30 + UInt8(truncatingIfNeeded: magnitude / divisor % 10)
                count += 1
                divisor /= 10
            }
            append(" is outside 0...255")
            abort(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<count]))
        }
    }

    /// Prints `swiftlet: abort: <message>` and ends with ``ExitStatus/abort``.
    public static func abort(_ message: String) -> Never {
        beforeExit?()
        Console.flush()
        StringBytes.with(message) { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                swiftlet_platform_abort(chars.baseAddress, chars.count)
            }
        }
    }

    /// ``abort(_:)`` with the message's UTF-8 bytes. Not called by `abort(_:)`: a crash report's frames name the
    /// caller of `abort(_:)` only when nothing but the platform's abort sits between them (DebuggingTests).
    static func abort(bytes: UnsafeRawBufferPointer) -> Never {
        beforeExit?()
        Console.flush()
        swiftlet_platform_abort(bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
    }
}
