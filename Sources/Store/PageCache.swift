/// The fixed-size page cache and the pool of page buffers (both allocated once, at open).

/// A fixed set of page frames with CLOCK replacement. Holds only committed, validated pages; pages
/// are immutable once committed (copy-on-write), so a frame never goes stale unless its page number is
/// reused, and the writer invalidates a page number when it allocates it.
final class PageCache {
    let pageSize: Int
    let capacity: Int
    private let frames: UnsafeMutableRawPointer
    private var index: [UInt64: Int]
    private var framePage: [UInt64]
    private var referenced: [Bool]
    private var hand = 0
    static let empty = UInt64.max

    init(pageSize: Int, capacity: Int) {
        self.pageSize = pageSize
        self.capacity = capacity
        frames = UnsafeMutableRawPointer.allocate(byteCount: pageSize * capacity, alignment: 64)
        index = Dictionary(minimumCapacity: capacity)
        framePage = [UInt64](repeating: Self.empty, count: capacity)
        referenced = [Bool](repeating: false, count: capacity)
    }

    deinit { frames.deallocate() }

    /// The cached copy of `page`, if any.
    @inline(__always)
    func lookup(_ page: UInt64) -> Page? {
        guard let frame = index[page] else { return nil }
        referenced[frame] = true
        return Page(base: frames + frame * pageSize, size: pageSize)
    }

    /// Copies the page at `source` into a frame (evicting another) and returns the cached copy.
    @discardableResult
    func insert(_ page: UInt64, from source: UnsafeRawPointer) -> Page {
        let frame: Int
        if let existing = index[page] {
            frame = existing
        } else {
            while referenced[hand] {
                referenced[hand] = false
                hand = hand + 1 == capacity ? 0 : hand + 1
            }
            frame = hand
            hand = hand + 1 == capacity ? 0 : hand + 1
            let old = framePage[frame]
            if old != Self.empty { index[old] = nil }
            framePage[frame] = page
            index[page] = frame
        }
        referenced[frame] = true
        let base = frames + frame * pageSize
        base.copyMemory(from: source, byteCount: pageSize)
        return Page(base: base, size: pageSize)
    }

    /// Forgets `page` (its number is about to be reused).
    func invalidate(_ page: UInt64) {
        guard let frame = index.removeValue(forKey: page) else { return }
        framePage[frame] = Self.empty
        referenced[frame] = false
    }

    /// Forgets everything.
    func removeAll() {
        index.removeAll(keepingCapacity: true)
        for frame in 0..<capacity {
            framePage[frame] = Self.empty
            referenced[frame] = false
        }
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
