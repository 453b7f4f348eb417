/// Net.swift — one net device's frame I/O on its host fd: a TAP interface or a framed stream socket.
///
/// docs/DEVICES.md §5: read is non-blocking and returns one whole frame or
/// AGAIN; write queues one frame or returns AGAIN when the transmit queue is
/// full (the frame is NOT queued). Runtime has checked the buffer sizes
/// (read: at least `mtu + 14`; write: 1...`mtu + 14`).
///
/// - TAP (`IFF_TAP | IFF_NO_PI | IFF_VNET_HDR`): one `readv(2)` is one frame,
///   preceded by its 10-byte `struct virtio_net_hdr` (virtio 1.2 §5.1.6) when
///   the tender could turn the header on. Its last iovec is a 64 KiB
///   overflow area (``tapOverflow``: part of the port's reserved receive
///   buffers, NetMemoryReserve.swift), so a frame longer than the caller's
///   buffer (the TAP interface's MTU is larger than the device's) is seen whole
///   and dropped, never handed out cut. One `writev(2)` (header, frame) is one frame, all
///   or nothing; `EAGAIN` (the tap's queue is full) is AGAIN. The header
///   carries the ABI's frame metadata both ways: NEEDS_CSUM and DATA_VALID
///   are SWIFTLET_NET_F_CSUM_PARTIAL and _VALID, a TCPv4 GSO frame is one with
///   gso_size > 0; a received frame of any other GSO type (the tender asked
///   for none) is dropped.
/// - Stream (`socket:`, `fd:`): StreamFraming.swift.
///
/// When the link goes away (the stream's peer closed it; TAP writes fail
/// with `EIO` while the interface is down), frames are dropped as a NIC with
/// no carrier drops them: reads return AGAIN, writes return OK, as they do in
/// prod where QEMU drops them. A closed stream is said once on stderr and
/// leaves the yield's poll set. Every sent and received frame goes to the
/// device's pcap, if it has one.

import PlatformHeap
import SwiftletABI
import SwiftletPosix

/// A net device of the tender's `--net` options.
final class NetPort {
    let name: [UInt8]
    /// The ABI handle, 0...63.
    let handle: Int
    let fd: Int32
    /// Six bytes.
    let mac: [UInt8]
    let mtu: Int
    /// Whether the backend is a stream socket (`socket:`, `fd:`), not a TAP.
    let isStream: Bool
    /// The framing buffers of a stream backend, in its reserved device memory (NetMemoryReserve.swift); nil for
    /// TAP, and for a stream port whose memory the heap could not give (the app cannot acquire it).
    var stream: StreamFraming? = nil
    /// Whether every TAP frame carries a `struct virtio_net_hdr` (`IFF_VNET_HDR`).
    let vnetHeader: Bool
    /// The SWIFTLET_NET_OFFLOAD_* bits the backend performs (TAP with the header; else 0).
    let offloads: UInt32
    /// Where the header of the frame being read or written is built (ten bytes, the port's for its lifetime).
    private let headerScratch = UnsafeMutablePointer<UInt8>.allocate(capacity: Int(SWIFTLET_VIRTIO_NET_HDR_SIZE))
    var pcap: PcapWriter? = nil
    var acquired = false
    /// What prod's driver would hold for this device, held untouched (NetMemoryReserve.swift); nil when the
    /// heap could not give it.
    var deviceMemory: NetMemory? = nil
    var deviceRings: (UnsafeMutableRawPointer, UnsafeMutableRawPointer)? = nil
    /// Where `readv` puts the part of a TAP frame that does not fit the caller's buffer (``tapOverflowSize``
    /// bytes, inside ``deviceMemory``: NetMemoryReserve.swift); nil for a stream port or one without its memory.
    var tapOverflow: UnsafeMutableRawPointer? = nil
    /// The stream's peer has gone: nothing more will arrive, frames sent are dropped.
    private(set) var closed = false

    /// Largest frame: the MTU plus the 14-byte Ethernet header.
    var maximumFrame: Int { self.mtu + 14 }

    init(
        name: [UInt8], handle: Int, fd: Int32, mac: [UInt8], mtu: Int, isStream: Bool, vnetHeader: Bool = false,
        offloads: UInt32 = 0
    ) {
        self.vnetHeader = vnetHeader && !isStream
        self.offloads = self.vnetHeader ? offloads : 0
        self.name = name
        self.handle = handle
        self.fd = fd
        self.mac = mac
        self.mtu = mtu
        self.isStream = isStream
    }

    /// Largest frame a write may carry with `meta`: a TSO frame may be a whole 64 KiB datagram.
    func maximumWrite(_ meta: swiftlet_net_frame_meta) -> Int {
        meta.gso_size > 0 ? Int(SWIFTLET_NET_MAX_OFFLOAD_FRAME) : self.maximumFrame
    }

    /// Reads one whole frame into `buffer` (`size >= maximumFrame`) and its metadata.
    func read(
        into buffer: UnsafeMutablePointer<UInt8>, size: Int, length: inout Int, meta: inout swiftlet_net_frame_meta
    ) -> swiftlet_result_t {
        meta = swiftlet_net_frame_meta()
        let result = self.isStream
            ? self.readStream(buffer, size, &length) : self.readTAP(buffer, size, &length, &meta)
        if result == SWIFTLET_R_OK && injectedFault(SWIFTLET_TEST_SITE_NET_RECEIVE) != SWIFTLET_TEST_FAULT_NONE {
            deviceError("net", self.name, "receive", "a test injected a fault into a frame of ", UInt64(length),
                        " bytes (dev backends have no used ring to corrupt)")
        }
        if result == SWIFTLET_R_OK, let pcap = self.pcap {
            pcap.record(buffer, length: length)
        }
        return result
    }

    /// Queues one frame (`1...maximumWrite(meta)` bytes; `meta` checked by Runtime against ``offloads``).
    func write(_ frame: UnsafePointer<UInt8>, size: Int, meta: swiftlet_net_frame_meta) -> swiftlet_result_t {
        let result = self.isStream ? self.writeStream(frame, size) : self.writeTAP(frame, size, meta)
        if result == SWIFTLET_R_OK && injectedFault(SWIFTLET_TEST_SITE_NET_TRANSMIT) != SWIFTLET_TEST_FAULT_NONE {
            deviceError("net", self.name, "transmit", "a test injected a fault into a frame of ", UInt64(size),
                        " bytes (dev backends have no used ring to corrupt)")
        }
        if result == SWIFTLET_R_OK, let pcap = self.pcap {
            pcap.record(frame, length: size)
        }
        return result
    }

    // MARK: - Readiness (Yield.swift)

    /// Whether the yield should poll the fd: only acquired devices whose link is up
    /// (an fd nobody reads would stay readable and turn every yield into a busy loop).
    var isPolled: Bool { self.acquired && !self.closed }

    /// Whether a read would return a frame without a system call (stream devices).
    var hasBufferedFrame: Bool { self.stream?.hasBufferedFrame ?? false }

    /// Whether the rest of a partly written frame is waiting for the socket.
    var hasPendingOutput: Bool { !self.closed && (self.stream?.hasPendingOutput ?? false) }

    /// Sends what is left of a partly written frame, if the socket takes it.
    func flushPendingOutput() {
        guard let stream = self.stream, stream.hasPendingOutput, !self.closed else { return }
        if case .closed = stream.flushPending(self.fd) { self.peerClosed() }
    }

    /// The poll saw a hang-up with nothing left to read.
    func hungUp() {
        if self.isStream { self.peerClosed() }
    }

    // MARK: - Backends

    private func readTAP(
        _ buffer: UnsafeMutablePointer<UInt8>, _ size: Int, _ length: inout Int, _ meta: inout swiftlet_net_frame_meta
    ) -> swiftlet_result_t {
        let headerSize = self.vnetHeader ? Int(SWIFTLET_VIRTIO_NET_HDR_SIZE) : 0
        while true {
            var vectors = (
                iovec(iov_base: UnsafeMutableRawPointer(self.headerScratch), iov_len: headerSize),
                iovec(iov_base: UnsafeMutableRawPointer(buffer), iov_len: size),
                iovec(iov_base: self.tapOverflow!, iov_len: tapOverflowSize)
            )
            let count: Int
            do throws(SyscallError) {
                count = try withUnsafeMutablePointer(to: &vectors) { (pointer) throws(SyscallError) -> Int in
                    try pointer.withMemoryRebound(to: iovec.self, capacity: 3) { (vector) throws(SyscallError) -> Int in
                        try systemCall("readv") { readv(self.fd, vector, 3) }
                    }
                }
            } catch .wouldBlock {
                return SWIFTLET_R_AGAIN
            } catch {
                return SWIFTLET_R_UNSPEC
            }
            let frame = count - headerSize
            if frame <= 0 { return SWIFTLET_R_AGAIN }
            if count == headerSize + size + tapOverflowSize {
                // No frame is that long (64 KiB is the most a TAP hands out): it may have been cut.
                deviceError("net", self.name, "TAP", "read filled all ", UInt64(count),
                            " bytes of its buffers; no frame can be that long")
            }
            if frame > size { continue }  // oversized: dropped whole
            if self.vnetHeader {
                // swiftlet_virtio_net_hdr.h; a GSO type not asked for is dropped.
                guard swiftlet_virtio_net_hdr_decode(self.headerScratch, &meta) == 0 else { continue }
            }
            if meta.gso_size == 0 && frame > self.maximumFrame { continue }
            length = frame
            return SWIFTLET_R_OK
        }
    }

    private func writeTAP(
        _ frame: UnsafePointer<UInt8>, _ size: Int, _ meta: swiftlet_net_frame_meta
    ) -> swiftlet_result_t {
        let headerSize = self.vnetHeader ? Int(SWIFTLET_VIRTIO_NET_HDR_SIZE) : 0
        if self.vnetHeader {
            var meta = meta
            swiftlet_virtio_net_hdr_encode(&meta, frame, size, self.headerScratch)
        }
        var vectors = (
            iovec(iov_base: UnsafeMutableRawPointer(self.headerScratch), iov_len: headerSize),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: frame), iov_len: size)
        )
        do throws(SyscallError) {
            _ = try withUnsafeMutablePointer(to: &vectors) { (pointer) throws(SyscallError) -> Int in
                try pointer.withMemoryRebound(to: iovec.self, capacity: 2) { (vector) throws(SyscallError) -> Int in
                    try systemCall("writev") { writev(self.fd, vector, 2) }
                }
            }
            return SWIFTLET_R_OK
        } catch .wouldBlock {
            return SWIFTLET_R_AGAIN
        } catch .failed(_, let code) where code == EIO {
            return SWIFTLET_R_OK  // the interface is down: no carrier, the frame is dropped
        } catch {
            return SWIFTLET_R_UNSPEC
        }
    }

    private func readStream(
        _ buffer: UnsafeMutablePointer<UInt8>, _ size: Int, _ length: inout Int
    ) -> swiftlet_result_t {
        let stream = self.stream!
        while true {
            if let count = stream.takeFrame(into: buffer, size: size) {
                length = count
                return SWIFTLET_R_OK
            }
            if self.closed { return SWIFTLET_R_AGAIN }
            switch stream.fill(self.fd) {
            case .done: continue
            case .wouldBlock: return SWIFTLET_R_AGAIN
            case .closed:
                self.peerClosed()
                return SWIFTLET_R_AGAIN
            case .failed: return SWIFTLET_R_UNSPEC
            }
        }
    }

    private func writeStream(_ frame: UnsafePointer<UInt8>, _ size: Int) -> swiftlet_result_t {
        if self.closed { return SWIFTLET_R_OK }  // no carrier: dropped
        switch self.stream!.send(self.fd, frame, size: size) {
        case .done: return SWIFTLET_R_OK
        case .wouldBlock: return SWIFTLET_R_AGAIN
        case .closed:
            self.peerClosed()
            return SWIFTLET_R_OK
        case .failed: return SWIFTLET_R_UNSPEC
        }
    }

    private func peerClosed() {
        guard !self.closed else { return }
        self.closed = true
        var line = Line()
        line.append("swiftlet: net device ")
        line.append(bytes: self.name)
        line.append(": the peer closed the connection; frames sent from now on are dropped\n")
        line.withBytes { writeFully(diagnosticsFD, $0) }
    }
}

/// Bytes of a TAP port's overflow area (``NetPort/tapOverflow``): with the caller's buffer, more than any frame a
/// TAP hands out (64 KiB at most).
let tapOverflowSize = 64 * 1024
