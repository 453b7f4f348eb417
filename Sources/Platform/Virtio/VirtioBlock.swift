/// VirtioBlock.swift — virtio-blk (virtio 1.2 §5.2), asynchronous.
///
/// Feature bits (§5.2.3): VIRTIO_BLK_F_SIZE_MAX (1), VIRTIO_BLK_F_SEG_MAX (2),
/// VIRTIO_BLK_F_BLK_SIZE (6), VIRTIO_BLK_F_FLUSH (9; legacy name WCE).
/// Configuration (§5.2.4, struct virtio_blk_config): capacity u64 at 0 (in
/// 512-byte sectors, whatever the block size), size_max u32 at 8, seg_max
/// u32 at 12, blk_size u32 at 20. One request queue (index 0, §5.2.2).
///
/// A device request (§5.2.6) is a chain: a 16-byte header the device reads
/// (type u32, reserved u32, sector u64), the data (device-writable for
/// reads), and one status byte the device writes (0 OK, 1 IOERR, 2 UNSUPP).
/// Types: IN 0, OUT 1, FLUSH 4, GET_ID 8 (20 bytes of serial, NUL-padded
/// when shorter). Data goes straight between the device and the caller's
/// buffer (identity map).
///
/// An ABI request takes one of `depth` slots from submit until its completion
/// is taken, and is cut into chains of at most seg_max segments of at most
/// size_max bytes each. Submit posts as many chains as the ring has room for
/// and notifies, without waiting; chains that do not fit wait in `pending`
/// (submit order) and are posted as the device returns descriptors. The
/// used ring is read whenever the ABI asks (yield's ready set, complete):
/// each used id must be the head of a chain in flight (`owner`, and the
/// queue's own checks), else the device is broken and the OS stops with a
/// device error naming the disk (DeviceError.swift, exit 251); so does a disk
/// that holds requests and returns none of them for `stallLimit` (30 s).
/// A request completes when all its chains
/// have; its status is OK only when every chain's status byte is. Requests
/// in flight complete in any order (§5.2.6 orders nothing), and a FLUSH
/// commits the writes that completed before it was submitted.

import PlatformHeap
import SwiftletABI
import VirtioHW

/// One ABI request while it holds a slot.
struct BlockSlot {
    var inUse = false
    var tag: UInt64 = 0
    var type: UInt32 = 0
    var sector: UInt64 = 0
    var data: UnsafeMutableRawPointer? = nil
    var count = 0
    /// Bytes put into chains so far; a request without data has posted all once its one chain is.
    var posted = 0
    var postedAll = false
    /// Chains in the ring.
    var chains = 0
    var failed = false
}

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
    /// Most requests in flight (the ABI's queue_depth), when the ring has room for them.
    static let maximumDepth = 64

    var transport: Transport
    let queue: Virtqueue
    /// Bytes.
    let capacity: UInt64
    let blockSize: UInt64
    let canFlush: Bool
    let segmentBytes: Int
    let segmentsPerChain: Int
    /// Requests in flight at once: every one can have a 3-descriptor chain in the ring.
    let depth: Int
    /// Per head descriptor: a 16-byte request header and, at `statuses`, a status byte.
    let headers: UnsafeMutableRawPointer
    let statuses: UnsafeMutablePointer<UInt8>
    /// Per descriptor: 1 + the slot whose chain it heads while that chain is in the ring, else 0.
    let owner: UnsafeMutablePointer<UInt8>
    var slots: [BlockSlot]
    /// Slots with chains still to post, in submit order.
    var pending: [Int] = []
    /// Slots whose every chain completed, in completion order, until the ABI takes them.
    var completed: [Int] = []
    /// A disk holding requests that returns none of them for this long is broken (ns).
    static let stallLimit: UInt64 = 30_000_000_000
    /// When the device last returned a chain, or took one while it held none (ns, monotonic).
    var lastProgress: UInt64 = 0
    /// The serial from GET_ID (NUL-padded) and its length up to the first NUL.
    var serial: (UInt64, UInt64, UInt64) = (0, 0, 0)
    var serialLength = 0
    var handle: Int = -1

    /// Initializes the device (§3.1.1) and reads its serial; nil (device marked FAILED) on failure.
    init?(_ t: Transport) {
        var t = t
        let wanted = VirtioBlock.featureSizeMax | VirtioBlock.featureSegMax | VirtioBlock.featureBlockSize
            | VirtioBlock.featureFlush
        guard t.negotiate(wanted: wanted), let queue = t.makeQueue(0, limit: 256), queue.size >= 4,
            let dma = Heap.allocate(18 * queue.size, alignment: 16)
        else {
            t.status = DeviceStatus.failed
            return nil
        }
        transport = t
        self.queue = queue
        queue.role = "request queue"
        queue.testSite = UInt32(SWIFTLET_TEST_SITE_BLOCK)
        headers = dma
        statuses = (dma + 16 * queue.size).assumingMemoryBound(to: UInt8.self)
        owner = (dma + 17 * queue.size).assumingMemoryBound(to: UInt8.self)
        owner.initialize(repeating: 0, count: queue.size)
        depth = min(VirtioBlock.maximumDepth, max(1, queue.size / 3))
        slots = [BlockSlot](repeating: BlockSlot(), count: depth)
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
        queue.owner = .block(self)  // a cycle, but devices live as long as the OS
        readSerial()
    }

    /// GET_ID (§5.2.6): the serial, which names the disk (docs/DEVICES.md §4). Boot waits for it in HLT.
    func readSerial() {
        guard let buffer = Heap.allocate(32, alignment: 16) else { return }
        defer { Heap.free(buffer) }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 32)
        guard submit(type: VirtioBlock.typeGetID, tag: 0, sector: 0, data: buffer, count: VirtioBlock.serialLength)
            == SWIFTLET_R_OK
        else { return }
        var tag: UInt64 = 0
        var status = SWIFTLET_R_UNSPEC
        // Boot waits in HLT; a disk that never answers is caught by poll's stall limit (complete polls).
        while true {
            transport.acknowledge()  // before the scan: see IOAPIC.swift
            if complete(tag: &tag, status: &status) == SWIFTLET_R_OK { break }
            Devices.pause()
        }
        guard status == SWIFTLET_R_OK else { return }
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

    /// An ABI request (swiftlet_platform_block_submit): READ, WRITE or FLUSH. Without
    /// VIRTIO_BLK_F_FLUSH the device writes through (§5.2.6, docs/DEVICES.md §5), so a FLUSH is a
    /// request without a chain that completes OK at the next poll.
    func submit(_ request: swiftlet_block_request) -> swiftlet_result_t {
        switch request.op {
        case UInt32(SWIFTLET_BLOCK_OP_READ.rawValue), UInt32(SWIFTLET_BLOCK_OP_WRITE.rawValue):
            guard let buffer = request.buffer, request.size > 0, request.offset % blockSize == 0,
                UInt64(request.size) % blockSize == 0, request.offset <= capacity,
                UInt64(request.size) <= capacity - request.offset
            else { return SWIFTLET_R_INVALID }
            let type = request.op == UInt32(SWIFTLET_BLOCK_OP_READ.rawValue) ? VirtioBlock.typeIn : VirtioBlock.typeOut
            return submit(type: type, tag: request.tag, sector: request.offset / 512,
                          data: UnsafeMutableRawPointer(buffer), count: request.size)
        case UInt32(SWIFTLET_BLOCK_OP_FLUSH.rawValue):
            return submit(type: VirtioBlock.typeFlush, tag: request.tag, sector: 0, data: nil, count: 0)
        default:
            return SWIFTLET_R_INVALID
        }
    }

    /// Takes a slot for a device request and posts what fits; AGAIN when every slot is taken.
    func submit(type: UInt32, tag: UInt64, sector: UInt64, data: UnsafeMutableRawPointer?, count: Int)
        -> swiftlet_result_t
    {
        guard let index = slots.firstIndex(where: { !$0.inUse }) else { return SWIFTLET_R_AGAIN }
        slots[index] = BlockSlot(inUse: true, tag: tag, type: type, sector: sector, data: data, count: count)
        if type == VirtioBlock.typeFlush && !canFlush {
            slots[index].postedAll = true
            completed.append(index)
            return SWIFTLET_R_OK
        }
        pending.append(index)
        post()
        return SWIFTLET_R_OK
    }

    /// Posts the pending slots' chains, in submit order, while the ring holds a whole chain; one notify.
    func post() {
        let wasIdle = !busy
        var posted = false
        while let index = pending.first {
            while !slots[index].postedAll && postChain(index) { posted = true }
            guard slots[index].postedAll else { break }  // the ring is full: the rest waits for used buffers
            pending.removeFirst()
        }
        if posted {
            if wasIdle { lastProgress = Clock.now() }
            queue.kick()
        }
    }

    /// Puts the next chain of slot `index` into the ring (header, ≥ 1 segment unless there is no data,
    /// status); false when the ring lacks room for one.
    func postChain(_ index: Int) -> Bool {
        let slot = slots[index]
        let remaining = slot.count - slot.posted
        let segments = slot.count == 0
            ? 0 : min(segmentsPerChain, queue.freeCount - 2, (remaining + segmentBytes - 1) / segmentBytes)
        guard queue.freeCount >= 2 + (slot.count == 0 ? 0 : 1), let head = queue.allocate(segments + 2) else {
            return false
        }
        let bytes = min(remaining, segments * segmentBytes)
        let header = headers + 16 * Int(head)
        header.storeBytes(of: slot.type, as: UInt32.self)
        header.storeBytes(of: 0, toByteOffset: 4, as: UInt32.self)
        header.storeBytes(of: slot.sector + UInt64(slot.posted / 512), toByteOffset: 8, as: UInt64.self)
        statuses[Int(head)] = 0xFF
        queue.setDescriptor(head, address: address(header), length: 16, flags: Virtqueue.descriptorNext)
        var d = queue.next(head)
        let access = slot.type == VirtioBlock.typeIn || slot.type == VirtioBlock.typeGetID
            ? Virtqueue.descriptorWrite : 0
        var offset = 0
        while offset < bytes, let data = slot.data {
            let n = min(segmentBytes, bytes - offset)
            queue.setDescriptor(d, address: address(data + slot.posted + offset), length: UInt32(n),
                                flags: Virtqueue.descriptorNext | access)
            d = queue.next(d)
            offset += n
        }
        queue.setDescriptor(d, address: address(UnsafeMutableRawPointer(statuses + Int(head))), length: 1,
                            flags: Virtqueue.descriptorWrite)
        owner[Int(head)] = UInt8(index + 1)
        slots[index].posted += bytes
        slots[index].postedAll = slots[index].posted >= slot.count
        slots[index].chains += 1
        queue.publish(head)
        return true
    }

    /// Takes the used ring (§2.7.8, §2.7.14): every chain returned frees its descriptors; a request whose
    /// last chain came back is completed. Then posts what waited for room.
    func poll() {
        var returned = false
        while let used = queue.nextUsed() {
            let id = Int(used.id)
            // The queue checked that the id heads a chain in flight; every such chain is a request's.
            guard id < queue.size, owner[id] != 0 else {
                DeviceError.fail(queue.owner, queue.role, "used id ", UInt64(used.id), " heads no request in flight")
            }
            let index = Int(owner[id]) - 1
            owner[id] = 0
            if statuses[id] != VirtioBlock.statusOK { slots[index].failed = true }
            queue.free(used.id)
            slots[index].chains -= 1
            if slots[index].chains == 0 && slots[index].postedAll { completed.append(index) }
            returned = true
        }
        let now = Clock.now()
        if returned || !busy {
            lastProgress = now
        } else if now &- lastProgress > VirtioBlock.stallLimit {
            DeviceError.fail(queue.owner, queue.role, "no request completed in ", VirtioBlock.stallLimit / 1_000_000_000,
                             " s")
        }
        if returned && !pending.isEmpty { post() }
    }

    /// Names this disk in a device error: `block device 'SERIAL'` (empty quotes before GET_ID answered).
    func putName() {
        Report.put("block device '")
        var copy = serial
        withUnsafeBytes(of: &copy) { raw in
            Report.put(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: serialLength)
        }
        Report.put("'")
    }

    /// Takes one completed request (swiftlet_platform_block_complete), or AGAIN.
    func complete(tag: inout UInt64, status: inout swiftlet_result_t) -> swiftlet_result_t {
        poll()
        guard !completed.isEmpty else { return SWIFTLET_R_AGAIN }
        let index = completed.removeFirst()
        tag = slots[index].tag
        status = slots[index].failed ? SWIFTLET_R_UNSPEC : SWIFTLET_R_OK
        slots[index] = BlockSlot()
        return SWIFTLET_R_OK
    }

    /// Whether a completion waits to be taken (the device is ready); reads the used ring first.
    var hasCompletion: Bool {
        poll()
        return !completed.isEmpty
    }

    /// Whether the device holds chains of ours (so an interrupt is due).
    var busy: Bool { queue.freeCount < queue.size }

    func address(_ p: UnsafeMutableRawPointer) -> UInt64 { UInt64(UInt(bitPattern: p)) }
}
