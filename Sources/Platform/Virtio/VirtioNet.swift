/// VirtioNet.swift — virtio-net (virtio 1.2 §5.1), one receive and one transmit queue.
///
/// Feature bits (§5.1.3): VIRTIO_NET_F_MTU (3), VIRTIO_NET_F_MAC (5), and the
/// offloads when offered: VIRTIO_NET_F_CSUM (0), VIRTIO_NET_F_HOST_TSO4 (11,
/// only with CSUM), VIRTIO_NET_F_GUEST_CSUM (1), VIRTIO_NET_F_GUEST_TSO4 (7,
/// only with GUEST_CSUM) (§5.1.3.1 "Feature bit requirements"). QEMU offers
/// them only for a backend that carries a virtio_net_hdr (tap with vnet_hdr);
/// with `-netdev user` or stream none are offered and every frame is a plain
/// frame of at most mtu + 14 bytes. VIRTIO_NET_F_MRG_RXBUF (15) when offered
/// and every buffer can be one descriptor (modern, or legacy with ANY_LAYOUT).
/// No TSO6/UFO/ECN, no control queue. Legacy devices also get VIRTIO_F_ANY_LAYOUT (27) when
/// offered, so header and frame share one descriptor (§2.7.4.3); without it
/// (and without VERSION_1) each buffer is a two-descriptor chain, header then
/// frame. Configuration (§5.1.4): mac[6] at 0, status u16 at 6,
/// max_virtqueue_pairs u16 at 8, mtu u16 at 10. Queues: receiveq1 is 0,
/// transmitq1 is 1 (§5.1.2).
///
/// Every frame is preceded by struct virtio_net_hdr (§5.1.6): flags u8,
/// gso_type u8, hdr_len u16, gso_size u16, csum_start u16, csum_offset u16,
/// and num_buffers u16 only with VERSION_1 or MRG_RXBUF: 12 bytes, else 10
/// (§5.1.6.1 "Legacy Interface: Device Operation"; little-endian either way on
/// x86). It is the wire form of swiftlet_net_frame_meta: `fillHeader` writes it
/// for every transmitted frame (all zero for a plain frame), `metadata` reads
/// it for every received one.
///
/// Receive (§5.1.6.3): every receive buffer holds a header plus mtu + 14
/// bytes, or with GUEST_TSO4 a whole 64 KiB frame (`bigReceiveFrame`), and sits
/// in the ring from acquire on; a read copies one used buffer out and makes it
/// available again at once, so the ring stays full. With MRG_RXBUF and
/// GUEST_TSO4 the buffers are pages instead (`mergeableBufferBytes`): "a
/// packet that does not fit in a single buffer can flow over to the next
/// buffer", the first buffer's header says in num_buffers how many it took,
/// and the others carry no header (§5.1.6.4); a read gathers them into one
/// frame.
/// Transmit (§5.1.6.2): a write copies the frame into a free transmit slot:
/// mtu-sized slots for frames up to mtu + 14 bytes, and with HOST_TSO4 a few
/// 64 KiB slots for larger TSO frames. Completed slots are reclaimed before
/// each write, and when none is free the write returns AGAIN and asks for a
/// used-buffer interrupt (which otherwise stays suppressed, §2.7.7) so the
/// next yield ends when room appears.
///
/// Memory (PlatformHeap's NetMemory.swift, the rule dev's net ports reserve by too): one buffer per ring
/// entry (per two entries with two-descriptor chains) of header + mtu + 14 bytes rounded to 64 (1,536 at
/// mtu 1500) each way, as without offloads. With GUEST_TSO4 and MRG_RXBUF the receive side has one 4 KiB
/// page per entry (1 MiB for 256 entries); with GUEST_TSO4 and no MRG_RXBUF at most 128 buffers of 65,664
/// bytes (8 MiB); with HOST_TSO4, 32 of the transmit entries get 64 KiB slots (65,600 bytes, 2 MiB).
/// Receive buffers and large slots are halved while they would pass half the heap or the heap cannot give
/// them (receive: to 16 big buffers, or to 32 pages, which still hold two 64 KiB frames; below 4 large
/// transmit slots TX_TSO4 is not reported). When even the least cannot be had, the device start prints one
/// line naming the device, the part and the bytes it needed, and the device is left out.

import PlatformHeap
import SwiftletABI
import VirtioHW

final class VirtioNet {
    static let featureChecksum: UInt64 = 1 << 0  // VIRTIO_NET_F_CSUM: device completes partial checksums
    static let featureGuestChecksum: UInt64 = 1 << 1  // VIRTIO_NET_F_GUEST_CSUM: we take partial/valid ones
    static let featureMTU: UInt64 = 1 << 3
    static let featureMAC: UInt64 = 1 << 5
    static let featureGuestTSO4: UInt64 = 1 << 7  // we take coalesced TCP/IPv4 frames
    static let featureHostTSO4: UInt64 = 1 << 11  // device segments TCP/IPv4 frames
    static let featureMergeableBuffers: UInt64 = 1 << 15
    static let receiveQueue: UInt16 = 0
    static let transmitQueue: UInt16 = 1

    /// The largest TSO frame either way: a 64 KiB IPv4 datagram and its Ethernet header.
    static let largeFrame = NetMemoryPlan.largeFrame

    var transport: Transport
    let rx: Virtqueue
    let tx: Virtqueue
    /// MAC, first byte in bits 47:40 (0 when the device has none: it cannot be named).
    let mac: UInt64
    let mtu: Int
    let headerLength: Int
    /// Descriptors per buffer: 1 (header and frame together) or 2.
    let descriptorsPerBuffer: Int
    /// Bytes per small transmit slot: header + mtu + 14, rounded up to 64.
    let bufferBytes: Int
    /// Bytes per receive buffer: `bufferBytes`, or header + `bigReceiveFrame` rounded up with GUEST_TSO4.
    let rxBufferBytes: Int
    /// Receive buffers in the ring (buffer i uses descriptors i×k…).
    let rxCount: Int
    /// Bytes per large transmit slot: header + `largeFrame`, rounded up to 64.
    let largeBytes: Int
    /// Small transmit slots are 0..<smallCount, large ones smallCount..<smallCount + largeCount.
    let smallCount: Int
    let largeCount: Int
    let rxBuffers: UnsafeMutableRawPointer
    let txBuffers: UnsafeMutableRawPointer
    let txLarge: UnsafeMutableRawPointer?
    /// Free small and large transmit slots, stacks.
    var txFree: [UInt16] = []
    /// Frames published on the transmit queue since its last notification (see ``write``).
    var txUnannounced = 0
    /// At most this many frames wait for one notification, so the device starts on a long burst early.
    static let transmitBatch = 32
    var txFreeLarge: [UInt16] = []
    var handle: Int = -1
    /// The SWIFTLET_NET_OFFLOAD_* bits negotiated (and backed by buffers).
    let offloads: UInt32
    /// GUEST_CSUM / GUEST_TSO4 negotiated: the receive header carries metadata.
    let receiveChecksum: Bool
    let receiveTSO4: Bool
    /// MRG_RXBUF negotiated: a received frame may span several buffers (num_buffers, §5.1.6.4).
    let mergeable: Bool
    /// Set by ``outOfMemory`` for the device being started (Devices.swift then prints no second warning).
    static var reportedOutOfMemory = false

    /// Drops offloads whose prerequisite is missing (§5.1.3.1): HOST_TSO4 needs CSUM, GUEST_TSO4 GUEST_CSUM.
    /// MRG_RXBUF is dropped on a legacy transport without ANY_LAYOUT, where a buffer would be a
    /// two-descriptor chain (header, frame) and the buffers after a frame's first carry no header.
    static func prune(_ features: UInt64, legacy: Bool) -> UInt64 {
        var f = features
        if f & featureChecksum == 0 { f &= ~featureHostTSO4 }
        if f & featureGuestChecksum == 0 { f &= ~featureGuestTSO4 }
        if legacy && f & Feature.anyLayout == 0 { f &= ~featureMergeableBuffers }
        return f
    }

    init?(_ t: Transport) {
        var t = t
        let offloadFeatures = VirtioNet.featureChecksum | VirtioNet.featureGuestChecksum
            | VirtioNet.featureHostTSO4 | VirtioNet.featureGuestTSO4
        let legacy = t.kind == .pciLegacy || t.mmioVersion == 1
        let wanted = VirtioNet.featureMTU | VirtioNet.featureMAC | offloadFeatures | VirtioNet.featureMergeableBuffers
            | (legacy ? Feature.anyLayout : 0)
        guard t.negotiate(wanted: wanted, prune: { VirtioNet.prune($0, legacy: legacy) }) else {
            t.status = DeviceStatus.failed
            return nil
        }
        let mac = VirtioNet.readMAC(t)
        let entries = NetMemoryPlan.ringEntries
        guard let rx = t.makeQueue(VirtioNet.receiveQueue, limit: entries),
            let tx = t.makeQueue(VirtioNet.transmitQueue, limit: entries)
        else {
            // A queue the device refuses, or rings the heap cannot give (each one page-aligned allocation).
            let rings = 2 * NetMemoryPlan.ringBytes(entries)
            if Heap.bytesFree < rings + 2 * 4096 {
                VirtioNet.outOfMemory(mac: mac, needed: rings, what: "rings")
            }
            t.status = DeviceStatus.failed
            return nil
        }
        let f = t.features
        mergeable = f & VirtioNet.featureMergeableBuffers != 0
        // num_buffers is in the header with VERSION_1 or MRG_RXBUF (§5.1.6.1).
        headerLength = t.isModern || mergeable ? 12 : 10
        descriptorsPerBuffer = t.isModern || f & Feature.anyLayout != 0 ? 1 : 2
        var mtu = 1500
        if f & VirtioNet.featureMTU != 0 {
            let m = Int(t.config16(10))
            if m >= 68 { mtu = m }
        }
        self.mtu = mtu
        self.mac = mac
        receiveChecksum = f & VirtioNet.featureGuestChecksum != 0
        receiveTSO4 = f & VirtioNet.featureGuestTSO4 != 0
        let plan = NetMemoryPlan(
            receiveBuffers: rx.size / descriptorsPerBuffer, transmitBuffers: tx.size / descriptorsPerBuffer,
            headerLength: headerLength, mtu: mtu, receiveTSO4: receiveTSO4, mergeable: mergeable,
            transmitTSO4: f & VirtioNet.featureHostTSO4 != 0)
        let memory: NetMemory
        do throws(NetMemoryShortfall) {
            memory = try plan.take()
        } catch {
            VirtioNet.outOfMemory(mac: mac, needed: error.needed, what: error.what)
            t.status = DeviceStatus.failed
            return nil
        }
        bufferBytes = plan.smallBytes
        rxBufferBytes = plan.receiveBytes
        largeBytes = plan.largeBytes
        // Without its 64 KiB slots HOST_TSO4 stays negotiated but unused (gso_type is a MAY, §5.1.6.2.1).
        let largeCount = memory.largeCount
        smallCount = memory.smallCount
        rxCount = memory.receiveCount
        self.largeCount = largeCount
        var offloads: UInt32 = 0
        if f & VirtioNet.featureChecksum != 0 {
            offloads |= UInt32(SWIFTLET_NET_OFFLOAD_TX_CSUM)
            if largeCount > 0 { offloads |= UInt32(SWIFTLET_NET_OFFLOAD_TX_TSO4) }
        }
        if receiveChecksum {
            offloads |= UInt32(SWIFTLET_NET_OFFLOAD_RX_CSUM)
            if receiveTSO4 { offloads |= UInt32(SWIFTLET_NET_OFFLOAD_RX_TSO4) }
        }
        self.offloads = offloads
        transport = t
        self.rx = rx
        self.tx = tx
        rx.owner = .net(mac: mac)
        rx.role = "receive queue"
        rx.testSite = UInt32(SWIFTLET_TEST_SITE_NET_RECEIVE)
        tx.owner = rx.owner
        tx.role = "transmit queue"
        tx.testSite = UInt32(SWIFTLET_TEST_SITE_NET_TRANSMIT)
        rxBuffers = memory.receive
        txBuffers = memory.transmit
        txLarge = memory.large
        for slot in (0..<smallCount).reversed() { txFree.append(UInt16(slot)) }
        for slot in (smallCount..<(smallCount + largeCount)).reversed() { txFreeLarge.append(UInt16(slot)) }
        tx.suppressInterrupts()
        // Fixed descriptors per buffer i: i×k (and i×k + 1 for the frame when k = 2).
        for i in 0..<rxCount {
            let buffer = UInt64(UInt(bitPattern: memory.receive + i * rxBufferBytes))
            let d = UInt16(i * descriptorsPerBuffer)
            let write = Virtqueue.descriptorWrite
            if descriptorsPerBuffer == 1 {
                rx.setDescriptor(d, address: buffer, length: UInt32(rxBufferBytes), flags: write)
            } else {
                rx.setDescriptor(d, address: buffer, length: UInt32(headerLength),
                                 flags: write | Virtqueue.descriptorNext)
                rx.setNext(d, d + 1)
                rx.setDescriptor(d + 1, address: buffer + UInt64(headerLength),
                                 length: UInt32(rxBufferBytes - headerLength), flags: write)
            }
        }
        t.routeInterrupt()
        t.start()
    }

    /// The MAC in the configuration space (§5.1.4), first byte in bits 47:40; 0 without VIRTIO_NET_F_MAC.
    static func readMAC(_ t: Transport) -> UInt64 {
        var mac: UInt64 = 0
        if t.features & VirtioNet.featureMAC != 0 {
            for i in 0..<6 { mac = mac << 8 | UInt64(t.config8(i)) }
        }
        return mac
    }

    /// Reports a device that cannot start for want of memory, in one line (NetMemory.swift; dev's net ports
    /// print the same): `swiftlet: net device 'NAME' (MAC): out of memory: its receive buffers need N bytes,
    /// the heap has M free; give the guest more memory (swiftlet run --memory)`.
    static func outOfMemory(mac: UInt64, needed: Int, what: StaticString) {
        reportedOutOfMemory = true
        Report.put("swiftlet: net device ")
        if let entry = BootWords.netName(for: mac) {
            Report.put("'")
            entry.withName { Report.put($0, count: $1) }
            Report.put("' ")
        }
        Report.put("(")
        Report.mac(mac)
        Report.put("): out of memory: its ")
        Report.put(what)
        Report.put(" need ")
        Report.decimal(UInt64(needed))
        Report.put(" bytes, the heap has ")
        Report.decimal(UInt64(Heap.bytesFree))
        Report.put(" free; give the guest more memory (swiftlet run --memory)\n")
    }

    /// Fills the receive ring (at acquire: until then the device drops what arrives).
    func startReceiving() {
        for i in 0..<rxCount { rx.publish(UInt16(i * descriptorsPerBuffer)) }
        rx.kick()
    }

    /// Whether a received frame is waiting.
    var readable: Bool { rx.hasUsed }

    /// The receive buffer of used descriptor `id`.
    func receiveBuffer(_ id: UInt16) -> UnsafeMutableRawPointer {
        rxBuffers + (Int(id) / descriptorsPerBuffer) * rxBufferBytes
    }

    /// One frame into `buffer` (≥ mtu + 14 bytes, or `largeFrame` with RX_TSO4, checked by Runtime), or AGAIN.
    /// Frames that do not fit, plain frames longer than mtu + 14, and GSO types we never negotiated are dropped.
    /// With MRG_RXBUF a frame is gathered from the num_buffers used buffers it spans (§5.1.6.4); every buffer
    /// goes straight back to the ring once copied, so the ring stays full. What the device says is checked
    /// before it is used: a first buffer shorter than the header, num_buffers of 0 or more than the ring
    /// holds, and a frame whose buffers are not all used together ("The device MUST use all buffers used by
    /// a single receive packet together, such that at least num_buffers are observed by driver as used",
    /// §5.1.6.4.2) are device errors (DeviceError.swift); every used length was checked by the queue.
    func read(into buffer: UnsafeMutablePointer<UInt8>, size: Int, length: UnsafeMutablePointer<Int>?,
              meta: UnsafeMutablePointer<swiftlet_net_frame_meta>) -> swiftlet_result_t
    {
        meta.pointee = swiftlet_net_frame_meta()
        while let used = rx.nextUsed() {
            // Each buffer goes back (publish) only after it was copied: the device may fill it at once.
            defer { rx.kick() }
            let base = receiveBuffer(used.id)
            let first = Int(used.length) - headerLength
            guard first >= 0 else {
                DeviceError.fail(rx.owner, rx.role, "used length ", UInt64(used.length),
                                 " is shorter than the frame header's ", UInt64(headerLength))
            }
            // num_buffers: "the number of descriptors the packet was spread over (including this one)" (§5.1.6.4);
            // without MRG_RXBUF it is not ours to read (QEMU leaves it as it was).
            var pieces = mergeable ? Int(base.load(fromByteOffset: 10, as: UInt16.self)) : 1
            if rx.injected == SWIFTLET_TEST_FAULT_BAD_NUM_BUFFERS { pieces = rxCount + 1 }
            guard pieces >= 1 && pieces <= rxCount else {
                DeviceError.fail(rx.owner, rx.role, "num_buffers ", UInt64(pieces), " is not 1 to the ring's ",
                                 UInt64(rxCount))
            }
            var parsed = metadata(base)
            var frame = 0
            if parsed != nil && first <= size {
                buffer.update(from: (base + headerLength).assumingMemoryBound(to: UInt8.self), count: first)
                frame = first
            } else {
                parsed = nil
            }
            rx.publish(used.id)
            // "The other buffers will not begin with a struct virtio_net_hdr" (§5.1.6.4).
            for taken in 1..<pieces {
                guard let next = rx.nextUsed() else {
                    DeviceError.fail(rx.owner, rx.role, "num_buffers ", UInt64(pieces),
                                     " is more than the buffers used together, ", UInt64(taken))
                }
                let piece = Int(next.length)
                if parsed != nil && frame + piece <= size {
                    (buffer + frame).update(
                        from: receiveBuffer(next.id).assumingMemoryBound(to: UInt8.self), count: piece)
                    frame += piece
                } else {
                    parsed = nil
                }
                rx.publish(next.id)
            }
            guard let m = parsed, frame > 0, m.gso_size != 0 || frame <= mtu + 14 else { continue }
            meta.pointee = m
            length?.pointee = frame
            return SWIFTLET_R_OK
        }
        return SWIFTLET_R_AGAIN
    }

    /// The metadata of a received frame from its header, or nil to drop it (§5.1.6.4; the codec is
    /// swiftlet_virtio_net_hdr.h, shared with the posix TAP): without GUEST_CSUM the device sends flags 0
    /// and GSO_NONE, so nothing is read; a GSO frame without GUEST_TSO4 is dropped.
    func metadata(_ header: UnsafeMutableRawPointer) -> swiftlet_net_frame_meta? {
        var m = swiftlet_net_frame_meta()
        guard receiveChecksum else { return m }
        guard swiftlet_virtio_net_hdr_decode(header.assumingMemoryBound(to: UInt8.self), &m) == 0,
            m.gso_size == 0 || receiveTSO4
        else { return nil }
        return m
    }

    /// Writes the virtio_net_hdr for a frame sent with `meta` (§5.1.6.2, swiftlet_virtio_net_hdr.h);
    /// num_buffers, in the 12-byte header, is 0.
    func fillHeader(_ header: UnsafeMutableRawPointer, _ meta: swiftlet_net_frame_meta,
                    _ frame: UnsafePointer<UInt8>, _ size: Int)
    {
        var meta = meta
        swiftlet_virtio_net_hdr_encode(&meta, frame, size, header.assumingMemoryBound(to: UInt8.self))
        if headerLength == 12 { header.storeBytes(of: UInt16(0), toByteOffset: 10, as: UInt16.self) }
    }

    /// Queues one frame (1…mtu + 14 bytes, or a TSO frame up to `largeFrame`, checked by Runtime), or AGAIN
    /// when no slot of the size it needs is free.
    ///
    /// The frame is published at once but the device is notified once per batch, not per frame (the
    /// `xmit_more` idea: each notification is an exit to the hypervisor, and per-frame kicks were 22 % of the
    /// busy time serving small pages, docs/PROFILING.md): when ``transmitBatch`` frames wait, when the queue is
    /// full, and when the libOS yields or exits (``flushTransmit``, from yield and exit). The device may also
    /// take published frames without a notification (§2.7.13).
    func write(_ frame: UnsafePointer<UInt8>, size: Int, meta: swiftlet_net_frame_meta) -> swiftlet_result_t {
        let large = size > bufferBytes - headerLength
        guard !large || (largeCount > 0 && size <= largeBytes - headerLength) else { return SWIFTLET_R_INVALID }
        reclaim()
        if large ? txFreeLarge.isEmpty : txFree.isEmpty {
            flushTransmit()  // the device must know of every frame it holds before we wait for it
            // Ask to be woken when the device returns a slot, then look once more (no lost wakeup).
            _ = tx.armInterrupt()  // with its barrier before the look below
            reclaim()
            guard large ? !txFreeLarge.isEmpty : !txFree.isEmpty else { return SWIFTLET_R_AGAIN }
        }
        tx.suppressInterrupts()
        let slot = large ? txFreeLarge.removeLast() : txFree.removeLast()
        let buffer = large
            ? txLarge! + (Int(slot) - smallCount) * largeBytes : txBuffers + Int(slot) * bufferBytes
        fillHeader(buffer, meta, frame, size)
        (buffer + headerLength).copyMemory(from: frame, byteCount: size)
        let address = UInt64(UInt(bitPattern: buffer))
        let d = slot * UInt16(descriptorsPerBuffer)
        if descriptorsPerBuffer == 1 {
            tx.setDescriptor(d, address: address, length: UInt32(headerLength + size), flags: 0)
        } else {
            tx.setDescriptor(d, address: address, length: UInt32(headerLength), flags: Virtqueue.descriptorNext)
            tx.setNext(d, d + 1)
            tx.setDescriptor(d + 1, address: address + UInt64(headerLength), length: UInt32(size), flags: 0)
        }
        tx.publish(d)
        txUnannounced += 1
        if txUnannounced >= VirtioNet.transmitBatch { flushTransmit() }
        return SWIFTLET_R_OK
    }

    /// Notifies the device of the frames published since the last notification, if any (§2.7.13.4).
    func flushTransmit() {
        guard txUnannounced > 0 else { return }
        txUnannounced = 0
        tx.kick()
    }

    /// Takes back the transmit slots the device has finished with.
    func reclaim() {
        while let used = tx.nextUsed() {
            let slot = used.id / UInt16(descriptorsPerBuffer)
            if Int(slot) < smallCount { txFree.append(slot) } else { txFreeLarge.append(slot) }
        }
    }
}
