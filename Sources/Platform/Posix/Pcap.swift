/// Pcap.swift — `--pcap NAME=FILE`: every frame net device NAME sends and receives, in a pcap file.
///
/// The classic libpcap format (pcap-savefile(5); the Wireshark wiki's
/// "Development/LibpcapFileFormat"), the format QEMU's `filter-dump` writes in
/// prod: a 24-byte global header (magic 0xa1b2c3d4 for microsecond
/// timestamps, version 2.4, snap length 65535, LINKTYPE_ETHERNET = 1) written
/// by the tender when it creates the file, then per frame a 16-byte record
/// header (seconds, microseconds from CLOCK_REALTIME, captured length, original
/// length) and the frame. All fields are in the host's byte order (little
/// endian here); readers tell it from the magic. Each record leaves in one
/// `write(2)` on the pcap fd, the only call the pcap's sandbox module allows.
/// A frame is recorded when it is handed to the app (received) or queued
/// (sent). A failing write (a full disk) stops the capture with one line on
/// stderr; the device itself carries on.

import SwiftletPosix

/// One pcap file.
final class PcapWriter {
    let fd: Int32
    private let deviceName: [UInt8]
    /// One record: header and frame, assembled for a single write(2).
    private let record: UnsafeMutablePointer<UInt8>
    private var stopped = false

    /// The largest frame recorded whole; longer ones are cut (their original length is kept).
    static let snapLength = 65535
    /// LINKTYPE_ETHERNET (tcpdump.org/linktypes.html).
    static let linkTypeEthernet: UInt32 = 1

    /// The 24-byte global header.
    static var globalHeader: [UInt8] {
        var bytes: [UInt8] = []
        appendLittleEndian(&bytes, UInt32(0xa1b2_c3d4))  // magic: microsecond timestamps
        appendLittleEndian(&bytes, UInt32(2 | 4 << 16))  // version 2.4 (two 16-bit fields)
        appendLittleEndian(&bytes, UInt32(0))  // thiszone: UTC
        appendLittleEndian(&bytes, UInt32(0))  // sigfigs
        appendLittleEndian(&bytes, UInt32(snapLength))
        appendLittleEndian(&bytes, linkTypeEthernet)
        return bytes
    }

    /// Takes over `fd`, whose global header is written already.
    init(fd: Int32, deviceName: [UInt8]) {
        self.fd = fd
        self.deviceName = deviceName
        self.record = .allocate(capacity: 16 + Self.snapLength)
    }

    /// Appends one record for `frame`.
    func record(_ frame: UnsafePointer<UInt8>, length: Int) {
        guard !self.stopped else { return }
        var now = timespec()
        _ = clock_gettime(CLOCK_REALTIME, &now)
        let captured = min(length, Self.snapLength)
        Self.store(UInt32(truncatingIfNeeded: now.tv_sec), at: self.record)
        Self.store(UInt32(truncatingIfNeeded: now.tv_nsec / 1000), at: self.record + 4)
        Self.store(UInt32(captured), at: self.record + 8)
        Self.store(UInt32(truncatingIfNeeded: length), at: self.record + 12)
        (self.record + 16).update(from: frame, count: captured)
        var done = 0
        let total = 16 + captured
        while done < total {
            do throws(SyscallError) {
                done += try systemCall("write") { write(self.fd, self.record + done, total - done) }
            } catch {
                self.stop()
                return
            }
        }
    }

    private func stop() {
        self.stopped = true
        var line = Line()
        line.append("swiftlet: pcap for net device ")
        line.append(bytes: self.deviceName)
        line.append(" stopped: writing the file failed (disk full?)\n")
        line.withBytes { writeFully(diagnosticsFD, $0) }
    }

    private static func store(_ value: UInt32, at bytes: UnsafeMutablePointer<UInt8>) {
        bytes[0] = UInt8(truncatingIfNeeded: value)
        bytes[1] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[2] = UInt8(truncatingIfNeeded: value >> 16)
        bytes[3] = UInt8(truncatingIfNeeded: value >> 24)
    }

    private static func appendLittleEndian(_ bytes: inout [UInt8], _ value: UInt32) {
        for shift in [0, 8, 16, 24] as [UInt32] { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }
}
