/// Virtqueue.swift — one split virtqueue (virtio 1.2 §2.7), driver side.
///
/// Memory, in one zeroed, page-aligned allocation laid out as the legacy
/// interface requires (§2.7.2 "Legacy Interfaces: A Note on Virtqueue
/// Layout": used ring at the next 4096-byte boundary), which also meets the
/// modern alignments of §2.7 table "Virtqueue Part Alignment" (16, 2, 4):
///
///     desc   16 × size   addr u64, len u32, flags u16, next u16   (§2.7.5)
///     avail  6 + 2×size  flags u16, idx u16, ring[size] u16, used_event   (§2.7.6)
///     used   6 + 8×size  flags u16, idx u16, ring[size] {id u32, len u32}, avail_event   (§2.7.8)
///
/// Memory is identity-mapped, so a buffer's virtual address is the physical
/// address the device uses. Free descriptors form a list threaded through
/// `next`, so a chain taken from it is already linked. VIRTIO_F_INDIRECT_DESC
/// is not negotiated.
///
/// Notifications both ways (§2.7.7, §2.7.10): with VIRTIO_F_RING_EVENT_IDX
/// (negotiated whenever the device offers it, Transport.negotiate) the driver
/// notifies only when its avail index passes the device's `avail_event`, and
/// asks for an interrupt by writing `used_event` (RingEvent.swift has the
/// rule); an armed queue interrupts once, when the used index passes
/// `used_event`, and stays quiet after that until armed again, so a busy
/// driver takes no interrupts at all (yield arms the queues it waits on just
/// before HLT: ``armInterrupt``). Without it, the VIRTQ_USED_F_NO_NOTIFY and
/// VIRTQ_AVAIL_F_NO_INTERRUPT flags do the same job, less finely: an armed
/// queue interrupts for every batch the device returns.
///
/// Ordering (§2.7.13): descriptors, then the avail ring entry, then a write
/// barrier, then `avail.idx` (§2.7.13.3.1); then a full barrier before
/// reading `used.flags` or `avail_event` to decide whether to notify (§2.7.13.4, §2.7.10);
/// on the used side a read barrier after `used.idx` and before
/// the ring entries (§2.7.14). virtio_hw.h says why the x86 barriers are what
/// they are.
///
/// Nothing the device writes into the used ring is trusted (§2.7.8): every
/// used element must name a chain head we made available and have not taken
/// back (`inFlight`), say no more bytes than the chain's device-writable
/// descriptors hold, and `used.idx` may run at most `size` entries ahead of
/// what we took. Anything else is a broken device: DeviceError.swift ends the
/// OS with one line naming the device and the queue (exit 251).

import PlatformHeap
import SwiftletABI
import VirtioHW

/// How the driver tells the device a queue has new buffers.
enum Notifier {
    /// Modern PCI: a 16-bit write of the queue index at this address (§4.1.4.4).
    case memory16(UInt)
    /// virtio-mmio: a 32-bit write of the queue index to QueueNotify (§4.2.2).
    case memory32(UInt)
    /// Legacy PCI: a 16-bit write of the queue index to port BAR0 + 0x10 (§4.1.4.8).
    case port16(UInt16)
}

final class Virtqueue {
    static let descriptorNext: UInt16 = 1  // VIRTQ_DESC_F_NEXT (§2.7.5)
    static let descriptorWrite: UInt16 = 2  // VIRTQ_DESC_F_WRITE: device writes
    static let availNoInterrupt: UInt16 = 1  // VIRTQ_AVAIL_F_NO_INTERRUPT (§2.7.6, §2.7.7)
    static let usedNoNotify: UInt16 = 1  // VIRTQ_USED_F_NO_NOTIFY (§2.7.8, §2.7.10)

    let index: UInt16
    let size: Int
    let memory: UnsafeMutableRawPointer
    let avail: UnsafeMutableRawPointer
    let used: UnsafeMutableRawPointer
    var notifier: Notifier = .port16(0)
    /// VIRTIO_F_RING_EVENT_IDX was negotiated: `used_event` and `avail_event` replace the flags (§2.7.7, §2.7.10).
    var eventIndex = false

    /// Notifications sent to devices and device interrupts taken, over every queue since boot
    /// (`swiftlet_platform_driver_stats`; the interrupt count is isr.S's).
    static var notificationsSent: UInt64 = 0
    /// Queues started, and how many of them use the event index.
    static var queuesStarted: UInt64 = 0
    static var eventIndexQueues: UInt64 = 0

    /// Our copy of avail.idx (the device only reads it).
    var availIndex: UInt16 = 0
    /// avail.idx at the last ``kick``: the batch since then is (kickedIndex, availIndex] (§2.7.10.1's old_idx).
    var kickedIndex: UInt16 = 0
    /// The next used.ring entry to look at.
    var lastUsed: UInt16 = 0
    var freeHead: UInt16 = 0
    var freeCount: Int
    /// Per descriptor: 1 while it heads a chain the device holds (published, not yet taken back).
    let inFlight: UnsafeMutablePointer<UInt8>
    /// The owning device, for device errors (set by the driver).
    var owner: DeviceName = .net(mac: 0)
    /// The queue's role in device errors (`receive queue`, ...).
    var role: StaticString = "queue"
    /// The fault-injection site of this queue (SWIFTLET_TEST_SITE_*), 0 for none.
    var testSite: UInt32 = 0
    /// The test hook's answer at the last `nextUsed` (test images only), for a fault the driver plays itself
    /// (SWIFTLET_TEST_FAULT_BAD_NUM_BUFFERS: VirtioNet.read).
    var injected: Int32 = 0

    /// Bytes the three parts take for `size` entries (legacy layout, 4096-byte alignment): the heap module's
    /// formula, which dev's net ports also reserve by (PlatformHeap's NetMemory.swift).
    static func layoutBytes(_ size: Int) -> (usedOffset: Int, total: Int) { NetMemoryPlan.ringLayout(size) }

    /// A queue of `size` entries (a power of two, ≤ 32768; §2.7), or nil when out of memory.
    init?(index: UInt16, size: Int) {
        let layout = Virtqueue.layoutBytes(size)
        // The in-flight marks follow the rings in the same allocation (the device never looks there).
        guard let memory = Heap.allocate(layout.total + size, alignment: 4096) else { return nil }
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: layout.total + size)
        inFlight = (memory + layout.total).assumingMemoryBound(to: UInt8.self)
        self.index = index
        self.size = size
        self.memory = memory
        self.avail = memory + 16 * size
        self.used = memory + layout.usedOffset
        self.freeCount = size
        for i in 0..<size { setNext(UInt16(i), UInt16((i + 1) % size)) }
    }

    /// used_event, after the avail ring (§2.7.6): the driver's, read by the device with EVENT_IDX.
    var usedEvent: UnsafeMutableRawPointer { avail + 4 + 2 * size }
    /// avail_event, after the used ring (§2.7.8): the device's, read by the driver with EVENT_IDX.
    var availEvent: UnsafeMutableRawPointer { used + 4 + 8 * size }

    var descriptorAddress: UInt64 { UInt64(UInt(bitPattern: memory)) }
    var availAddress: UInt64 { UInt64(UInt(bitPattern: avail)) }
    var usedAddress: UInt64 { UInt64(UInt(bitPattern: used)) }

    // MARK: descriptors

    /// Fills descriptor `i` (its `next` is left as is: a chain keeps its links).
    func setDescriptor(_ i: UInt16, address: UInt64, length: UInt32, flags: UInt16) {
        let d = memory + 16 * Int(i)
        d.storeBytes(of: address, as: UInt64.self)
        d.storeBytes(of: length, toByteOffset: 8, as: UInt32.self)
        d.storeBytes(of: flags, toByteOffset: 12, as: UInt16.self)
    }

    func setNext(_ i: UInt16, _ next: UInt16) {
        (memory + 16 * Int(i) + 14).storeBytes(of: next, as: UInt16.self)
    }

    func next(_ i: UInt16) -> UInt16 {
        (memory + 16 * Int(i) + 14).load(as: UInt16.self)
    }

    func flags(_ i: UInt16) -> UInt16 {
        (memory + 16 * Int(i) + 12).load(as: UInt16.self)
    }

    /// Takes a chain of `count` linked descriptors off the free list; nil when too few are free.
    func allocate(_ count: Int) -> UInt16? {
        guard count > 0 && count <= freeCount else { return nil }
        let head = freeHead
        var last = head
        for _ in 1..<count { last = next(last) }
        freeHead = next(last)
        freeCount -= count
        return head
    }

    /// Returns the chain at `head` (following VIRTQ_DESC_F_NEXT) to the free list.
    func free(_ head: UInt16) {
        var last = head
        var count = 1
        while flags(last) & Virtqueue.descriptorNext != 0 && count < size {
            last = next(last)
            count += 1
        }
        setNext(last, freeHead)
        freeHead = head
        freeCount += count
    }

    // MARK: driver → device

    /// Makes the chain at `head` available (§2.7.13.2, §2.7.13.3); call `kick` after a batch.
    func publish(_ head: UInt16) {
        inFlight[Int(head)] = 1
        (avail + 4 + 2 * (Int(availIndex) & (size - 1))).storeBytes(of: head, as: UInt16.self)
        availIndex &+= 1
        virtio_compiler_barrier()  // write barrier: ring entry before idx (§2.7.13.3.1)
        virtio_ring_store16(avail + 2, availIndex)
    }

    /// Notifies the device of the entries published since the last call, unless it asked not to be
    /// (§2.7.13.4, §2.7.10): with EVENT_IDX only when they pass its `avail_event`, else unless
    /// VIRTQ_USED_F_NO_NOTIFY is set. Nothing published since the last call: no notification with EVENT_IDX.
    func kick() {
        virtio_mfence()  // idx store visible before the flags / avail_event load (§2.7.13.4 "suitable memory barrier")
        let old = kickedIndex
        kickedIndex = availIndex
        if eventIndex {
            guard RingEvent.needsEvent(event: virtio_ring_load16(availEvent), new: availIndex, old: old) else { return }
        } else {
            guard virtio_ring_load16(used) & Virtqueue.usedNoNotify == 0 else { return }
        }
        Virtqueue.notificationsSent &+= 1
        switch notifier {
        case .memory16(let address): virtio_mmio_write16(address, index)
        case .memory32(let address): virtio_mmio_write32(address, UInt32(index))
        case .port16(let port): virtio_outw(port, index)
        }
    }

    /// Asks for an interrupt when the device returns its next buffer (§2.7.7): `used_event` = the next used
    /// entry with EVENT_IDX (one interrupt, then quiet until armed again), else VIRTQ_AVAIL_F_NO_INTERRUPT
    /// cleared. Returns whether an entry is already waiting: one used before the arm raised no interrupt,
    /// so the caller must look before it sleeps (Linux's virtqueue_enable_cb_prepare, then virtqueue_poll).
    func armInterrupt() -> Bool {
        if eventIndex {
            virtio_ring_store16(usedEvent, lastUsed)
        } else {
            virtio_ring_store16(avail, 0)
        }
        virtio_mfence()  // the arm is visible before we read used.idx (else both sides wait)
        return hasUsed
    }

    /// Asks for no interrupts (a hint the device may ignore, §2.7.7): VIRTQ_AVAIL_F_NO_INTERRUPT, or with
    /// EVENT_IDX a `used_event` the device cannot pass before we take more (``RingEvent/suppressed``); the
    /// flags stay 0 then ("The driver MUST set flags to 0", §2.7.7.1).
    func suppressInterrupts() {
        if eventIndex {
            virtio_ring_store16(usedEvent, RingEvent.suppressed(lastUsed: lastUsed, size: size))
        } else {
            virtio_ring_store16(avail, Virtqueue.availNoInterrupt)
        }
    }

    // MARK: device → driver

    /// Whether the device has returned buffers we have not taken yet.
    var hasUsed: Bool { virtio_ring_load16(used + 2) != lastUsed }

    /// The next used element (head id, bytes written), or nil (§2.7.8, §2.7.14). The id heads a chain
    /// in flight and the length fits its device-writable descriptors; anything else ends the OS.
    func nextUsed() -> (id: UInt16, length: UInt32)? {
        let published = virtio_ring_load16(used + 2)
        guard published != lastUsed else { return nil }
        let ahead = Int(published &- lastUsed)
        if ahead > size {
            DeviceError.fail(owner, role, "used index ", UInt64(ahead), " ahead of a ring of ", UInt64(size))
        }
        virtio_compiler_barrier()  // read barrier: idx before the entry (§2.7.14)
        let entry = used + 4 + 8 * (Int(lastUsed) & (size - 1))
        var id = entry.load(as: UInt32.self)
        var length = entry.load(fromByteOffset: 4, as: UInt32.self)
        if testSite != 0 {
            injected = virtio_test_fault(testSite)
            switch injected {
            case SWIFTLET_TEST_FAULT_BAD_ID: id = UInt32(size) + 7
            case SWIFTLET_TEST_FAULT_BAD_LENGTH: length = UInt32(writableBytes(UInt16(truncatingIfNeeded: id))) + 4096
            default: break
            }
        }
        guard id < UInt32(size), inFlight[Int(id)] != 0 else {
            DeviceError.fail(owner, role, "used id ", UInt64(id), " is not a buffer in flight")
        }
        let room = writableBytes(UInt16(id))
        guard UInt64(length) <= room else {
            DeviceError.fail(owner, role, "used length ", UInt64(length), " is more than the buffer's ", room)
        }
        inFlight[Int(id)] = 0
        lastUsed &+= 1
        return (UInt16(id), length)
    }

    /// The bytes the device may write into the chain at `head`: its VIRTQ_DESC_F_WRITE descriptors (§2.7.5).
    func writableBytes(_ head: UInt16) -> UInt64 {
        guard Int(head) < size else { return 0 }
        var d = head
        var total: UInt64 = 0
        for _ in 0..<size {
            let f = flags(d)
            if f & Virtqueue.descriptorWrite != 0 {
                total += UInt64((memory + 16 * Int(d) + 8).load(as: UInt32.self))
            }
            guard f & Virtqueue.descriptorNext != 0 else { break }
            d = next(d)
            guard Int(d) < size else { break }
        }
        return total
    }
}
