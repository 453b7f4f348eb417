/// DeviceError.swift — a device that broke its contract ends the unikernel, naming itself.
///
/// A virtio device writes into our memory and tells us, through its used
/// rings, which buffers it is done with and how much it wrote. A device that
/// returns an id we never made available, an id twice, or a length larger
/// than the buffer (a device bug, or a ring overwritten by something else)
/// would otherwise make the driver read past a buffer, hand one buffer out
/// twice or recycle descriptors the device still owns: silent corruption.
/// Nothing it says afterwards can be trusted, so the OS stops with one line
///
///     swiftlet: device error: net device 'service': receive queue: used id 300 is not a buffer in flight
///
/// and SWIFTLET_EXIT_DEVICE (251), as it stops on a CPU trap. A device that
/// does not answer in time (no completion while requests wait) ends the same way.

import SwiftletABI

enum DeviceError {
    /// Names a NIC: `net device 'NAME'` by the name `@net.NAME=MAC` gave its MAC, else `net device MAC`.
    static func putNet(mac: UInt64) {
        Report.put("net device ")
        if let entry = BootWords.netName(for: mac) {
            Report.put("'")
            entry.withName { Report.put($0, count: $1) }
            Report.put("'")
        } else {
            Report.mac(mac)
        }
    }

    /// `swiftlet: device error: <device>: <queue>: <problem><value><rest>[<limit>]` and exit 251.
    static func fail(_ device: () -> Void, _ queue: StaticString, _ problem: StaticString, _ value: UInt64,
                     _ rest: StaticString, _ limit: UInt64? = nil) -> Never {
        Report.put("swiftlet: device error: ")
        device()
        Report.put(": ")
        Report.put(queue)
        Report.put(": ")
        Report.put(problem)
        Report.decimal(value)
        Report.put(rest)
        if let limit { Report.decimal(limit) }
        Report.put("\n")
        Exit.exit(Int32(SWIFTLET_EXIT_DEVICE))
    }
}
