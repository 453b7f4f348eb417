/// Yield.swift — `swiftlet_platform_yield`: the only way the app sleeps.
///
/// ppoll(2) with the time left until the deadline and, until devices exist,
/// no fds (the sandbox pins ppoll's nfds to the number of device fds). A
/// deadline at or before now returns at once. `EINTR` returns early, which the
/// ABI allows (a spurious wake with an empty ready set).

import SwiftletPosix

@_cdecl("swiftlet_platform_yield")
public func swiftletPlatformYield(_ deadline: UInt64, _ readySet: UnsafeMutablePointer<UInt64>?) {
    readySet?.pointee = 0
    sleepUntil(deadline)
}

/// Sleeps until the monotonic clock reaches `deadline` (ns), or returns early on a signal.
func sleepUntil(_ deadline: UInt64) {
    let now = monotonicNanoseconds()
    guard deadline > now else { return }
    let wait = deadline - now
    var timeout = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
    do throws(SyscallError) {
        _ = try systemCall("ppoll", retryingInterrupts: false) { Int(ppoll(nil, 0, &timeout, nil)) }
    } catch .interrupted {
        return
    } catch {
        platformBug("ppoll", "an error")
    }
}
