/// Clock.swift — the ABI's two clocks, from clock_gettime(2) (usually the vDSO, no system call).
///
/// The sandbox allows clock_gettime for CLOCK_MONOTONIC and CLOCK_REALTIME
/// only. Times are nanoseconds in a `UInt64` (584 years of range).

import SwiftletPosix

@_cdecl("swiftlet_platform_clock_monotonic")
public func swiftletPlatformClockMonotonic() -> UInt64 {
    monotonicNanoseconds()
}

@_cdecl("swiftlet_platform_clock_wall")
public func swiftletPlatformClockWall() -> UInt64 {
    nanoseconds(of: CLOCK_REALTIME)
}

/// CLOCK_MONOTONIC in ns: never goes back (clock_gettime(2)).
func monotonicNanoseconds() -> UInt64 {
    nanoseconds(of: CLOCK_MONOTONIC)
}

private func nanoseconds(of clock: clockid_t) -> UInt64 {
    var now = timespec()
    do throws(SyscallError) {
        _ = try systemCall("clock_gettime") { Int(clock_gettime(clock, &now)) }
    } catch {
        platformBug("clock_gettime", "an error")  // only EINVAL/EFAULT exist for these clocks
    }
    // A wall clock set before 1970 reads as the epoch: the ABI's time is unsigned.
    guard now.tv_sec >= 0 else { return 0 }
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}
