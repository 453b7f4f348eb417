/// Yield.swift — `swiftlet_platform_yield`: the only way the app sleeps, and how it learns of frames.
///
/// ppoll(2) on every net device's fd (in handle order; the sandbox pins
/// ppoll's nfds to the number of net devices) with the time left until the
/// deadline. Bit h of the ready set is set when handle h's fd is readable
/// (POLLIN, or a hang-up/error that a read will report), or when a stream
/// device already holds a whole frame in its receive buffer; then the poll
/// does not wait. Only acquired devices with a live link are polled (an fd
/// ppoll ignores is -1): an fd nobody reads would stay readable and make every
/// yield return at once. A stream device with the rest of a partly written
/// frame also asks for POLLOUT, and the rest is written as soon as the socket
/// takes it. A deadline at or before now polls without waiting. `EINTR`
/// returns early, which the ABI allows (a spurious wake). Without net devices
/// it is a plain sleep. An acquired block device with a completion waiting to
/// be taken (Block.swift: requests complete at submit) is ready too, and then
/// the poll does not wait either.

import SwiftletPosix

/// One pollfd per net device, in handle order (allocated by the tender).
var pollSet: UnsafeMutablePointer<pollfd>? = nil

@_cdecl("swiftlet_platform_yield")
public func swiftletPlatformYield(_ deadline: UInt64, _ readySet: UnsafeMutablePointer<UInt64>?) {
    var ready: UInt64 = 0
    for disk in blockDisks where disk.acquired && disk.hasCompletion {
        ready |= 1 << UInt64(disk.handle)
    }
    guard let pollSet, !netPorts.isEmpty else {
        if ready == 0 { sleepUntil(deadline) }
        readySet?.pointee = ready
        return
    }
    for (index, port) in netPorts.enumerated() {
        port.flushPendingOutput()
        let polled = port.isPolled
        pollSet[index].fd = polled ? port.fd : -1
        pollSet[index].events = Int16(POLLIN) | (port.hasPendingOutput ? Int16(POLLOUT) : 0)
        pollSet[index].revents = 0
        if port.acquired && port.hasBufferedFrame {
            ready |= 1 << UInt64(port.handle)
        }
    }
    let now = monotonicNanoseconds()
    let wait = ready != 0 || deadline <= now ? 0 : deadline - now
    var timeout = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
    do throws(SyscallError) {
        _ = try systemCall("ppoll", retryingInterrupts: false) {
            Int(ppoll(pollSet, nfds_t(netPorts.count), &timeout, nil))
        }
    } catch .interrupted {
        readySet?.pointee = ready
        return
    } catch {
        platformBug("ppoll", "an error")
    }
    for (index, port) in netPorts.enumerated() where pollSet[index].fd >= 0 {
        let events = pollSet[index].revents
        if events & Int16(POLLIN) != 0 {
            ready |= 1 << UInt64(port.handle)
        } else if events & Int16(POLLHUP | POLLERR) != 0 {
            port.hungUp()  // nothing left to read: the link is down, stop polling it
            if port.hasBufferedFrame { ready |= 1 << UInt64(port.handle) }
        }
        if events & Int16(POLLOUT) != 0 {
            port.flushPendingOutput()
        }
    }
    readySet?.pointee = ready
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
