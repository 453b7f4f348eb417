/// DriverStats.swift — `swiftlet_platform_driver_stats` in dev: no driver of ours talks to a device (the host
/// kernel drives the TAP, the socket and the file), so there is nothing to count: UNSPEC, all zero. What dev's
/// devices cost is system calls (strace -c, perf). Runtime then leaves the `swiftlet_virtio_*` metrics out.

import SwiftletABI

@_cdecl("swiftlet_platform_driver_stats")
public func swiftletPlatformDriverStats(_ stats: UnsafeMutablePointer<swiftlet_driver_stats>?) -> swiftlet_result_t {
    stats?.pointee = swiftlet_driver_stats()
    return SWIFTLET_R_UNSPEC
}
