/// VirtioNet.swift — virtio-net (virtio 1.2 §5.1), one receive and one transmit queue.
///
/// Feature bits (§5.1.3): VIRTIO_NET_F_MTU (3), VIRTIO_NET_F_MAC (5); no
/// checksum or segmentation offload, no VIRTIO_NET_F_MRG_RXBUF, no control
/// queue. Legacy devices also get VIRTIO_F_ANY_LAYOUT (27) when offered, so
/// header and frame share one descriptor (§2.7.4.3); without it (and without
/// VERSION_1) each buffer is a two-descriptor chain,
/// header then frame. Configuration (§5.1.4): mac[6] at 0, status u16 at 6,
/// max_virtqueue_pairs u16 at 8, mtu u16 at 10. Queues: receiveq1 is 0,
/// transmitq1 is 1 (§5.1.2).
///
/// Every frame is preceded by struct virtio_net_hdr (§5.1.6): flags u8,
/// gso_type u8, hdr_len u16, gso_size u16, csum_start u16, csum_offset u16,
/// and num_buffers u16 only with VERSION_1 or MRG_RXBUF: 12 bytes, else 10
/// (§5.1.6.1 "Legacy Interface: Device Operation"). We send it zeroed (no
/// checksum needed, VIRTIO_NET_HDR_GSO_NONE) and skip it on receive.
///
/// Receive (§5.1.6.3): every receive buffer holds a header plus mtu + 14
/// bytes and sits in the ring from acquire on; a read copies one used
/// buffer out and makes it available again at once, so the ring stays full.
/// Transmit (§5.1.6.2): a write copies the frame into a free transmit slot;
/// completed slots are reclaimed before each write, and when none is free
/// the write returns AGAIN and asks for a used-buffer interrupt (which
/// otherwise stays suppressed, §2.7.7) so the next yield ends when room
/// appears.

import SwiftletABI
import VirtioHW

final class VirtioNet {
    static let featureMTU: UInt64 = 1 << 3
    static let featureMAC: UInt64 = 1 << 5
    static let featureMergeableBuffers: UInt64 = 1 << 15
    static let receiveQueue: UInt16 = 0
    static let transmitQueue: UInt16 = 1

    var transport: Transport
    let rx: Virtqueue
    let tx: Virtqueue
    /// MAC, first byte in bits 47:40 (0 when the device has none: it cannot be named).
    let mac: UInt64
    let mtu: Int
    let headerLength: Int
    /// Descriptors per buffer: 1 (header and frame together) or 2.
    let descriptorsPerBuffer: Int
    /// Bytes per buffer: header + mtu + 14, rounded up to 64.
    let bufferBytes: Int
    let rxBuffers: UnsafeMutableRawPointer
    let txBuffers: UnsafeMutableRawPointer
    /// Free transmit slots, a stack.
    var txFree: [UInt16] = []
    var handle: Int = -1
    /// The SWIFTLET_NET_OFFLOAD_* bits negotiated (none yet).
    let offloads: UInt32 = 0

    init?(_ t: Transport) {
        var t = t
        let wanted = VirtioNet.featureMTU | VirtioNet.featureMAC | (t.kind == .pciLegacy || t.mmioVersion == 1
            ? Feature.anyLayout : 0)
        guard t.negotiate(wanted: wanted),
            let rx = t.makeQueue(VirtioNet.receiveQueue, limit: 256),
            let tx = t.makeQueue(VirtioNet.transmitQueue, limit: 256)
        else {
            t.status = DeviceStatus.failed
            return nil
        }
        let f = t.features
        headerLength = t.isModern || f & VirtioNet.featureMergeableBuffers != 0 ? 12 : 10
        descriptorsPerBuffer = t.isModern || f & Feature.anyLayout != 0 ? 1 : 2
        var mtu = 1500
        if f & VirtioNet.featureMTU != 0 {
            let m = Int(t.config16(10))
            if m >= 68 { mtu = m }
        }
        self.mtu = mtu
        var mac: UInt64 = 0
        if f & VirtioNet.featureMAC != 0 {
            for i in 0..<6 { mac = mac << 8 | UInt64(t.config8(i)) }
        }
        self.mac = mac
        bufferBytes = (headerLength + mtu + 14 + 63) & ~63
        let rxCount = rx.size / descriptorsPerBuffer, txCount = tx.size / descriptorsPerBuffer
        guard let rxMemory = Heap.allocate(rxCount * bufferBytes, alignment: 64),
            let txMemory = Heap.allocate(txCount * bufferBytes, alignment: 64)
        else {
            t.status = DeviceStatus.failed
            return nil
        }
        txMemory.initializeMemory(as: UInt8.self, repeating: 0, count: txCount * bufferBytes)
        transport = t
        self.rx = rx
        self.tx = tx
        rxBuffers = rxMemory
        txBuffers = txMemory
        for slot in (0..<txCount).reversed() { txFree.append(UInt16(slot)) }
        tx.interruptsSuppressed = true
        // Fixed descriptors per buffer i: i×k (and i×k + 1 for the frame when k = 2).
        for i in 0..<rxCount {
            let buffer = UInt64(UInt(bitPattern: rxMemory + i * bufferBytes))
            let d = UInt16(i * descriptorsPerBuffer)
            let write = Virtqueue.descriptorWrite
            if descriptorsPerBuffer == 1 {
                rx.setDescriptor(d, address: buffer, length: UInt32(bufferBytes), flags: write)
            } else {
                rx.setDescriptor(d, address: buffer, length: UInt32(headerLength),
                                 flags: write | Virtqueue.descriptorNext)
                rx.setNext(d, d + 1)
                rx.setDescriptor(d + 1, address: buffer + UInt64(headerLength),
                                 length: UInt32(bufferBytes - headerLength), flags: write)
            }
        }
        t.routeInterrupt()
        t.start()
    }

    /// Fills the receive ring (at acquire: until then the device drops what arrives).
    func startReceiving() {
        for i in 0..<(rx.size / descriptorsPerBuffer) { rx.publish(UInt16(i * descriptorsPerBuffer)) }
        rx.kick()
    }

    /// Whether a received frame is waiting.
    var readable: Bool { rx.hasUsed }

    /// One frame into `buffer` (≥ mtu + 14 bytes, checked by Runtime), or AGAIN.
    func read(into buffer: UnsafeMutablePointer<UInt8>, size: Int, length: UnsafeMutablePointer<Int>?,
              meta: UnsafeMutablePointer<swiftlet_net_frame_meta>) -> swiftlet_result_t
    {
        meta.pointee = swiftlet_net_frame_meta()
        while let used = rx.nextUsed() {
            let slot = Int(used.id) / descriptorsPerBuffer
            let frame = Int(used.length) - headerLength
            let source = rxBuffers + slot * bufferBytes + headerLength
            let fits = frame > 0 && frame <= size && frame <= bufferBytes - headerLength
            if fits { buffer.update(from: source.assumingMemoryBound(to: UInt8.self), count: frame) }
            rx.publish(used.id)  // refill: the same buffer goes straight back
            rx.kick()
            if fits {
                length?.pointee = frame
                return SWIFTLET_R_OK
            }
        }
        return SWIFTLET_R_AGAIN
    }

    /// Queues one frame (1…mtu + 14 bytes, checked by Runtime), or AGAIN when the ring is full.
    func write(_ frame: UnsafePointer<UInt8>, size: Int, meta: swiftlet_net_frame_meta) -> swiftlet_result_t {
        reclaim()
        if txFree.isEmpty {
            // Ask to be woken when the device returns a slot, then look once more (no lost wakeup).
            tx.interruptsSuppressed = false
            virtio_mfence()
            reclaim()
            guard !txFree.isEmpty else { return SWIFTLET_R_AGAIN }
        }
        tx.interruptsSuppressed = true
        let slot = txFree.removeLast()
        let buffer = txBuffers + Int(slot) * bufferBytes
        (buffer + headerLength).copyMemory(from: frame, byteCount: size)  // header stays zero
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
        tx.kick()
        return SWIFTLET_R_OK
    }

    /// Takes back the transmit slots the device has finished with.
    func reclaim() {
        while let used = tx.nextUsed() { txFree.append(used.id / UInt16(descriptorsPerBuffer)) }
    }
}
