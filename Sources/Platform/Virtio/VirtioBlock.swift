/// VirtioBlock.swift — virtio-blk (virtio 1.2 §5.2), synchronous.
///
/// Feature bits (§5.2.3): VIRTIO_BLK_F_SIZE_MAX (1), VIRTIO_BLK_F_SEG_MAX (2),
/// VIRTIO_BLK_F_BLK_SIZE (6), VIRTIO_BLK_F_FLUSH (9; legacy name WCE).
/// Configuration (§5.2.4, struct virtio_blk_config): capacity u64 at 0 (in
/// 512-byte sectors, whatever the block size), size_max u32 at 8, seg_max
/// u32 at 12, blk_size u32 at 20. One request queue (index 0, §5.2.2).
///
/// A request (§5.2.6) is a chain: a 16-byte header the device reads
/// (type u32, reserved u32, sector u64), the data (device-writable for
/// reads), and one status byte the device writes (0 OK, 1 IOERR, 2 UNSUPP).
/// Types: IN 0, OUT 1, FLUSH 4, GET_ID 8 (20 bytes of serial, NUL-padded
/// when shorter). Data goes straight between the device and the caller's
/// buffer (identity map): a request is split into chains of at most seg_max
/// segments of at most size_max bytes, all posted at once when the ring has
/// room, and the call returns when every chain has completed, sleeping in
/// HLT until the queue's interrupt (Devices.wait).

import SwiftletABI
import VirtioHW

final class VirtioBlock {
    static let featureSizeMax: UInt64 = 1 << 1
    static let featureSegMax: UInt64 = 1 << 2
    static let featureBlockSize: UInt64 = 1 << 6
    static let featureFlush: UInt64 = 1 << 9

    static let typeIn: UInt32 = 0
    static let typeOut: UInt32 = 1
    static let typeFlush: UInt32 = 4
    static let typeGetID: UInt32 = 8
    static let statusOK: UInt8 = 0
    static let serialLength = 20
    /// Largest segment when the device sets no size_max.
    static let defaultSegment = 256 * 1024

    var transport: Transport
    let queue: Virtqueue
    /// Bytes.
    let capacity: UInt64
    let blockSize: UInt64
    let canFlush: Bool
    let segmentBytes: Int
    let segmentsPerChain: Int
    /// Per head descriptor: a 16-byte request header and, at `statuses`, a status byte.
    let headers: UnsafeMutableRawPointer
    let statuses: UnsafeMutablePointer<UInt8>
    /// The serial from GET_ID (NUL-padded) and its length up to the first NUL.
    var serial: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var serialLength = 0
    var handle: Int = -1

    /// Initializes the device (§3.1.1) and reads its serial; nil (device marked FAILED) on failure.
    init?(_ t: Transport) {
        var t = t
        let wanted = VirtioBlock.featureSizeMax | VirtioBlock.featureSegMax | VirtioBlock.featureBlockSize
            | VirtioBlock.featureFlush
        guard t.negotiate(wanted: wanted), let queue = t.makeQueue(0, limit: 256),
            let dma = Heap.allocate(17 * queue.size, alignment: 16)
        else {
            t.status = DeviceStatus.failed
            return nil
        }
        transport = t
        self.queue = queue
        headers = dma
        statuses = (dma + 16 * queue.size).assumingMemoryBound(to: UInt8.self)
        let f = t.features
        var size: UInt64 = 512
        if f & VirtioBlock.featureBlockSize != 0 {
            let b = UInt64(t.config32(20))
            if b >= 512 && b <= 65536 && b & (b - 1) == 0 { size = b }
        }
        blockSize = size
        capacity = (t.config64(0) &* 512) / size * size
        canFlush = f & VirtioBlock.featureFlush != 0
        var segment = VirtioBlock.defaultSegment
        if f & VirtioBlock.featureSizeMax != 0 {
            let m = Int(t.config32(8))
            if m >= Int(size) { segment = min(segment, m) }
        }
        segmentBytes = segment / Int(size) * Int(size)
        var segments = queue.size - 2
        if f & VirtioBlock.featureSegMax != 0 {
            let m = Int(t.config32(12))
            if m >= 1 { segments = min(segments, m) }
        }
        segmentsPerChain = max(1, segments)
        t.routeInterrupt()
        t.start()
        readSerial()
    }

    /// GET_ID (§5.2.6): the serial, which names the disk (docs/DEVICES.md §4).
    func readSerial() {
        guard let buffer = Heap.allocate(32, alignment: 16) else { return }
        defer { Heap.free(buffer) }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 32)
        guard submit(type: VirtioBlock.typeGetID, sector: 0, data: buffer, count: VirtioBlock.serialLength,
                     deviceWrites: true) == SWIFTLET_R_OK
        else { return }
        let bytes = buffer.assumingMemoryBound(to: UInt8.self)
        var n = 0
        while n < VirtioBlock.serialLength && bytes[n] != 0 { n += 1 }
        withUnsafeMutableBytes(of: &serial) { raw in
            for i in 0..<n { raw[i] = bytes[i] }
        }
        serialLength = n
    }

    /// Whether the serial names this disk: equal, or (names longer than the 20
    /// bytes GET_ID carries) equal to the name's first 20 bytes.
    func named(_ name: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        guard serialLength > 0 else { return false }
        guard length == serialLength || (length > VirtioBlock.serialLength && serialLength == VirtioBlock.serialLength)
        else { return false }
        var copy = serial
        return withUnsafeBytes(of: &copy) { raw in
            for i in 0..<serialLength where raw[i] != name[i] { return false }
            return true
        }
    }

    func read(offset: UInt64, into buffer: UnsafeMutableRawPointer, count: Int) -> swiftlet_result_t {
        submit(type: VirtioBlock.typeIn, sector: offset / 512, data: buffer, count: count, deviceWrites: true)
    }

    func write(offset: UInt64, from buffer: UnsafeRawPointer, count: Int) -> swiftlet_result_t {
        submit(type: VirtioBlock.typeOut, sector: offset / 512, data: UnsafeMutableRawPointer(mutating: buffer),
               count: count, deviceWrites: false)
    }

    /// VIRTIO_BLK_T_FLUSH; without VIRTIO_BLK_F_FLUSH the device writes through (§5.2.6, docs/DEVICES.md §5).
    func flush() -> swiftlet_result_t {
        guard canFlush else { return SWIFTLET_R_OK }
        return submit(type: VirtioBlock.typeFlush, sector: 0, data: headers, count: 0, deviceWrites: false)
    }

    /// Posts `count` bytes as chains of the request, then waits for them all.
    /// OK only when every chain's status is OK; IOERR and UNSUPP become UNSPEC.
    func submit(type: UInt32, sector: UInt64, data: UnsafeMutableRawPointer, count: Int,
                deviceWrites: Bool) -> swiftlet_result_t {
        var done = 0
        var result = SWIFTLET_R_OK
        repeat {
            var posted = 0
            // Post while the ring holds a whole chain (header + ≥1 segment + status).
            while (done < count || (count == 0 && posted == 0)) && queue.freeCount >= 3 {
                let remaining = count - done
                let segments = count == 0
                    ? 0 : min(segmentsPerChain, queue.freeCount - 2, (remaining + segmentBytes - 1) / segmentBytes)
                guard let head = queue.allocate(segments + 2) else { break }
                let bytes = min(remaining, segments * segmentBytes)
                let header = headers + 16 * Int(head)
                header.storeBytes(of: type, as: UInt32.self)
                header.storeBytes(of: 0, toByteOffset: 4, as: UInt32.self)
                header.storeBytes(of: sector + UInt64(done / 512), toByteOffset: 8, as: UInt64.self)
                statuses[Int(head)] = 0xFF
                queue.setDescriptor(head, address: address(header), length: 16, flags: Virtqueue.descriptorNext)
                var d = queue.next(head)
                var offset = 0
                while offset < bytes {
                    let n = min(segmentBytes, bytes - offset)
                    let access = deviceWrites ? Virtqueue.descriptorWrite : 0
                    queue.setDescriptor(d, address: address(data + done + offset), length: UInt32(n),
                                        flags: Virtqueue.descriptorNext | access)
                    d = queue.next(d)
                    offset += n
                }
                queue.setDescriptor(d, address: address(UnsafeMutableRawPointer(statuses + Int(head))), length: 1,
                                    flags: Virtqueue.descriptorWrite)
                queue.publish(head)
                done += bytes
                posted += 1
            }
            guard posted > 0 else { return SWIFTLET_R_UNSPEC }  // ring too small for one chain
            queue.kick()
            var completed = 0
            Devices.wait {
                transport.acknowledge()  // before the scan: see IOAPIC.swift
                while let used = queue.nextUsed() {
                    if statuses[Int(used.id)] != VirtioBlock.statusOK { result = SWIFTLET_R_UNSPEC }
                    queue.free(used.id)
                    completed += 1
                }
                return completed >= posted
            }
        } while done < count
        return result
    }

    func address(_ p: UnsafeMutableRawPointer) -> UInt64 { UInt64(UInt(bitPattern: p)) }
}
