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
/// (after the backtrace every fatal report carries) and SWIFTLET_EXIT_DEVICE (251), as it stops on a CPU trap. A device that
/// does not answer in time (no completion while requests wait) ends the same way.

import SwiftletABI

/// Which device a device error names.
enum DeviceName {
    /// A NIC: `net device 'NAME'` by the name `@net.NAME=MAC` gave its MAC, else `net device MAC`.
    case net(mac: UInt64)
    /// A disk: `block device 'SERIAL'` (its name; empty quotes before GET_ID answered).
    case block(VirtioBlock)
    /// A PCI function before it has a name: `PCI device N`, N = device × 8 + function on bus 0 (its devfn).
    case pci(PCIAddress)
}

enum DeviceError {
    /// `swiftlet: device error: <device>: <part>: <problem><value><rest>[<limit>]` and exit 251.
    /// Never inlined: it is cold, and each call site then costs only its arguments (the image-size budgets).
    @inline(never)
    static func fail(_ device: DeviceName, _ part: StaticString, _ problem: StaticString, _ value: UInt64,
                     _ rest: StaticString, _ limit: UInt64? = nil) -> Never {
        Report.backtraceHere()  // the frames first, as for every fatal report: the report line stays last
        Report.put("swiftlet: device error: ")
        switch device {
        case .net(let mac):
            Report.put("net device ")
            if let entry = BootWords.netName(for: mac) {
                Report.put("'")
                entry.withName { Report.put($0, count: $1) }
                Report.put("'")
            } else {
                Report.mac(mac)
            }
        case .block(let disk):
            disk.putName()
        case .pci(let address):
            Report.put("PCI device ")
            Report.decimal(UInt64(address.device) << 3 | UInt64(address.function))
        }
        Report.put(": ")
        Report.put(part)
        Report.put(": ")
        Report.put(problem)
        Report.decimal(value)
        Report.put(rest)
        if let limit { Report.decimal(limit) }
        Report.put("\n")
        Exit.exit(Int32(SWIFTLET_EXIT_DEVICE))
    }
}
