/// The fixed-size page cache and the pool of page buffers (both allocated once, at open).

/// A fixed set of page frames with CLOCK replacement. Holds only committed, validated pages; pages
/// are immutable once committed (copy-on-write), so a frame never goes stale unless its page number is
/// reused, and the writer invalidates a page number when it allocates it. A page is checked once, when it
/// is loaded from the device; a hit returns the frame as it is.
///
/// The page-number index is an open-addressing table (linear probing, Fibonacci hashing, deletion by
/// backward shift: no tombstones), with at least twice as many slots as frames; it and the frames are
/// allocated once, at open. A lookup is one multiply and, almost always, one or two probes.
final class PageCache {
    let pageSize: Int
    let capacity: Int
    private let frames: UnsafeMutableRawPointer
    /// Index slots: a page number (``empty`` when free) and its frame side by side, so a probe touches one
    /// cache line.
    private let slots: UnsafeMutablePointer<Slot>
    private let slotMask: Int
    private let shift: UInt64
    private let framePage: UnsafeMutablePointer<UInt64>
    private let referenced: UnsafeMutablePointer<Bool>
    private var hand = 0
    static let empty = UInt64.max

    struct Slot {
        var page: UInt64
        var frame: Int
    }

    init(pageSize: Int, capacity: Int) {
        self.pageSize = pageSize
        self.capacity = capacity
        frames = UnsafeMutableRawPointer.allocate(byteCount: pageSize * capacity, alignment: 64)
        var slots = 16
        var bits: UInt64 = 4
        while slots < 2 * capacity {
            slots <<= 1
            bits += 1
        }
        slotMask = slots - 1
        shift = 64 - bits
        self.slots = UnsafeMutablePointer<Slot>.allocate(capacity: slots)
        self.slots.initialize(repeating: Slot(page: Self.empty, frame: 0), count: slots)
        framePage = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        framePage.initialize(repeating: Self.empty, count: capacity)
        referenced = UnsafeMutablePointer<Bool>.allocate(capacity: capacity)
        referenced.initialize(repeating: false, count: capacity)
    }

    deinit {
        frames.deallocate()
        slots.deallocate()
        framePage.deallocate()
        referenced.deallocate()
    }

    /// The home slot of `page` (Fibonacci hashing: the top bits of page × 2^64/φ).
    @inline(__always)
    private func home(_ page: UInt64) -> Int { Int(truncatingIfNeeded: (page &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    /// The index slot holding `page`, or nil.
    @inline(__always)
    private func slot(of page: UInt64) -> Int? {
        var slot = home(page)
        while true {
            let held = slots[slot].page
            if held == page { return slot }
            if held == Self.empty { return nil }
            slot = (slot + 1) & slotMask
        }
    }

    /// The cached copy of `page`, if any.
    @inline(__always)
    func lookup(_ page: UInt64) -> Page? {
        guard let slot = slot(of: page) else { return nil }
        let frame = slots[slot].frame
        referenced[frame] = true
        return Page(base: frames + frame * pageSize, size: pageSize)
    }

    /// Copies the page at `source` into a frame (evicting another) and returns the cached copy.
    @discardableResult
    func insert(_ page: UInt64, from source: UnsafeRawPointer) -> Page {
        let frame: Int
        if let existing = slot(of: page) {
            frame = slots[existing].frame
        } else {
            while referenced[hand] {
                referenced[hand] = false
                hand = hand + 1 == capacity ? 0 : hand + 1
            }
            frame = hand
            hand = hand + 1 == capacity ? 0 : hand + 1
            let old = framePage[frame]
            if old != Self.empty { removeIndex(old) }
            framePage[frame] = page
            var slot = home(page)
            while slots[slot].page != Self.empty { slot = (slot + 1) & slotMask }
            slots[slot] = Slot(page: page, frame: frame)
        }
        referenced[frame] = true
        let base = frames + frame * pageSize
        base.copyMemory(from: source, byteCount: pageSize)
        return Page(base: base, size: pageSize)
    }

    /// Removes `page` from the index (linear probing's backward-shift deletion: every later entry of the
    /// probe run that may move into the hole does, so lookups never stop early); returns its frame.
    @discardableResult
    private func removeIndex(_ page: UInt64) -> Int? {
        guard var hole = slot(of: page) else { return nil }
        let frame = slots[hole].frame
        var next = (hole + 1) & slotMask
        while slots[next].page != Self.empty {
            let want = home(slots[next].page)
            // The entry at `next` may fill the hole when its home is not in the cyclic range (hole, next].
            let distanceToHole = (hole - want) & slotMask
            let distanceToNext = (next - want) & slotMask
            if distanceToHole < distanceToNext {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & slotMask
        }
        slots[hole].page = Self.empty
        return frame
    }

    /// Forgets `page` (its number is about to be reused).
    func invalidate(_ page: UInt64) {
        guard let frame = removeIndex(page) else { return }
        framePage[frame] = Self.empty
        referenced[frame] = false
    }

    /// Forgets everything.
    func removeAll() {
        slots.update(repeating: Slot(page: Self.empty, frame: 0), count: slotMask + 1)
        framePage.update(repeating: Self.empty, count: capacity)
        referenced.update(repeating: false, count: capacity)
    }
}

/// Page-sized buffers reused for reads, dirty pages and scratch work (at most `limit` kept spare).
final class BufferPool {
    let pageSize: Int
    private var spare: [UnsafeMutableRawPointer] = []
    private let limit: Int

    init(pageSize: Int, limit: Int) {
        self.pageSize = pageSize
        self.limit = limit
    }

    deinit { for buffer in spare { buffer.deallocate() } }

    func take() -> UnsafeMutableRawPointer {
        if let buffer = spare.popLast() { return buffer }
        return UnsafeMutableRawPointer.allocate(byteCount: pageSize, alignment: 64)
    }

    func give(_ buffer: UnsafeMutableRawPointer) {
        if spare.count < limit { spare.append(buffer) } else { buffer.deallocate() }
    }
}
