/// DeviceError.swift — a device backend that broke its contract ends the process, naming the device.
///
/// The dev twin of Platform/Virtio/DeviceError.swift, with the same line and
/// status (SWIFTLET_EXIT_DEVICE, 251):
///
///     swiftlet: device error: block device 'storage': block file: end of file reading byte 524288 of a disk of ...
///
/// Dev backends have no rings, so the faults differ from prod's: a block file
/// that ends before the disk's capacity (it shrank under the app: a read
/// meets end of file, a write transfers nothing), and a TAP read that fills
/// the caller's buffer and the whole 64 KiB overflow area (no frame can be
/// that long, so the frame may have been cut). A test image's injected fault
/// (SWIFTLET_TEST_SITE_*, C/test_faults.c) takes the first path for a block
/// device and reports itself as injected for a net device.

import SwiftletABI
import SwiftletPosix

/// `swiftlet: device error: <kind> device '<name>': <role>: <problem><value><rest>[<limit><end>]` and exit 251.
func deviceError(_ kind: StaticString, _ name: [UInt8], _ role: StaticString, _ problem: StaticString,
                 _ value: UInt64, _ rest: StaticString, _ limit: UInt64? = nil, _ end: StaticString = "") -> Never {
    swiftlet_posix_report_backtrace_here()  // the frames first, as for every fatal report: the report line stays last
    var line = Line()
    line.append("swiftlet: device error: ")
    line.append(kind)
    line.append(" device '")
    line.append(bytes: name)
    line.append("': ")
    line.append(role)
    line.append(": ")
    line.append(problem)
    line.append(decimal: value)
    line.append(rest)
    if let limit { line.append(decimal: limit) }
    line.append(end)
    line.append(byte: 10)
    line.withBytes { writeFully(consoleFD, $0) }
    swiftlet_posix_exit_group(SWIFTLET_EXIT_DEVICE)
}

/// Whether a test image asks for a fault at `site` now (never in a production image).
func injectedFault(_ site: Int32) -> Int32 {
    swiftlet_posix_test_fault(UInt32(site))
}
