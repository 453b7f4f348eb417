/// Free-space bookkeeping: one bit per page, in RAM (device bytes / pageSize / 8 bytes: 32 KiB per GiB
/// of 4 KiB pages), rebuilt at open from the trees the two meta pages reach.

/// Which pages are in use. A page freed by a transaction keeps its bit until it is safe to reuse
/// (``KeyValueStore`` releases it); allocation never hands out a page whose bit is set.
struct SpaceMap {
    let pageCount: UInt64
    private var words: [UInt64]
    private(set) var used: UInt64 = 0
    private var cursor: UInt64 = 2

    init(pageCount: UInt64) {
        self.pageCount = pageCount
        words = [UInt64](repeating: 0, count: Int((pageCount + 63) / 64))
        mark(0)
        mark(1)
    }

    @inline(__always) func isUsed(_ page: UInt64) -> Bool {
        words[Int(page >> 6)] & (1 << (page & 63)) != 0
    }

    /// Marks `page` used; returns false when it already was.
    @discardableResult
    mutating func mark(_ page: UInt64) -> Bool {
        let word = Int(page >> 6)
        let bit: UInt64 = 1 << (page & 63)
        if words[word] & bit != 0 { return false }
        words[word] |= bit
        used += 1
        return true
    }

    mutating func release(_ page: UInt64) {
        let word = Int(page >> 6)
        let bit: UInt64 = 1 << (page & 63)
        if words[word] & bit == 0 { return }
        words[word] &= ~bit
        used -= 1
        if page < cursor { cursor = page }
    }

    var free: UInt64 { pageCount - used }

    /// A free page, marked used; nil when none is left.
    mutating func allocate() -> UInt64? {
        guard used < pageCount else { return nil }
        var word = Int(cursor >> 6)
        let wordCount = words.count
        for _ in 0...wordCount {
            if word >= wordCount { word = 0 }
            let bits = words[word]
            if bits != UInt64.max {
                let page = UInt64(word) << 6 + UInt64((~bits).trailingZeroBitCount)
                if page < pageCount {
                    mark(page)
                    cursor = page + 1
                    return page
                }
            }
            word += 1
        }
        return nil
    }

    /// `count` consecutive free pages (first fit), marked used; nil when no such run exists.
    mutating func allocateRun(_ count: Int) -> UInt64? {
        if count == 1 { return allocate() }
        guard count > 0, UInt64(count) <= free else { return nil }
        var start: UInt64 = 2
        var length = 0
        var page: UInt64 = 2
        while page < pageCount {
            if words[Int(page >> 6)] == UInt64.max && page & 63 == 0 {
                length = 0
                page += 64
                start = page
                continue
            }
            if isUsed(page) {
                length = 0
                start = page + 1
            } else {
                length += 1
                if length == count {
                    for p in start..<(start + UInt64(count)) { mark(p) }
                    return start
                }
            }
            page += 1
        }
        return nil
    }
}
