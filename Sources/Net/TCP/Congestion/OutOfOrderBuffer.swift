/// The receiver's out-of-order queue: segments that arrived beyond RCV.NXT, held within a byte budget until the
/// hole before them fills, and the SACK blocks that describe them (RFC 9293 §3.10.7.4, first check: segments
/// that begin beyond RCV.NXT are held for later processing; RFC 2018 §4 for the blocks). A pure value.
///
/// - Bytes are kept in one ring of ``capacity`` bytes indexed by offset from RCV.NXT, allocated on the first
///   insert and freed when the queue empties: memory is bounded by the budget, whatever arrives. Bytes at
///   offsets at or beyond the budget are dropped and counted (a window larger than the budget is the
///   connection's mistake; the peer will retransmit them).
/// - Held bytes form sorted, disjoint, non-adjacent ranges (overlapping or touching segments merge). At most
///   ``maximumRanges`` of them: a segment that would open one more is dropped and counted, so a peer sending
///   one-byte segments with gaps cannot make each insert cost more.
/// - Bytes before RCV.NXT, or already held, are duplicates (counted). Overlapping bytes are overwritten by the
///   newer copy; TCP does not check that retransmissions carry the same bytes.
/// - ``read(into:)`` takes the contiguous bytes at RCV.NXT and advances it; ``advance(to:)`` is for a connection
///   that delivered in-order data itself.
/// - ``sackBlocks(maximum:)`` lists the held ranges most recently changed first (RFC 2018 §4: "The first SACK
///   block ... MUST specify the contiguous block of data containing the segment which triggered this ACK", and
///   the rest repeat the most recently reported blocks). At most 4 fit in the option, 3 beside timestamps
///   (RFC 2018 §3).
/// - Duplicates are remembered for one D-SACK report (RFC 2883): ``takeDuplicateBlock()`` returns the first
///   duplicate run of the latest segment that had one, once, for the connection to put first in its SACK option
///   (RFC 2883 §4: "each duplicate contiguous sequence of data received is reported in at most one D-SACK block").
public struct OutOfOrderBuffer {
    /// Counters of what arrived and what was dropped.
    public struct Statistics: Equatable, CustomStringConvertible {
        /// Segments that stored at least one new byte.
        public var segmentsStored = 0
        /// Bytes that were already held or before RCV.NXT.
        public var duplicateBytes = 0
        /// Bytes at or beyond the budget, dropped.
        public var bytesBeyondBudget = 0
        /// Segments dropped because a new range would exceed ``OutOfOrderBuffer/maximumRanges``.
        public var segmentsOverRangeLimit = 0

        public init() {}

        public var description: String {
            "stored=\(self.segmentsStored) duplicate-bytes=\(self.duplicateBytes)"
                + " beyond-budget=\(self.bytesBeyondBudget) over-range-limit=\(self.segmentsOverRangeLimit)"
        }
    }

    struct Held {
        /// Offsets from RCV.NXT, `start < end`.
        var start: Int
        var end: Int
        /// When it last grew (a counter), for the SACK order.
        var stamp: UInt64
    }

    /// The byte budget: the highest offset from RCV.NXT held, plus one.
    public let capacity: Int
    /// The most disjoint ranges held.
    public let maximumRanges: Int
    /// RCV.NXT, the next sequence number expected in order.
    public private(set) var receiveNext: SequenceNumber
    /// Arrivals and drops.
    public private(set) var statistics = Statistics()
    var ranges: [Held] = []
    var storage: [UInt8] = []
    var head = 0
    var clock: UInt64 = 0
    var duplicate: SACKBlock?

    /// An empty queue expecting `receiveNext`, holding at most `capacity` bytes ahead of it in at most
    /// `maximumRanges` ranges.
    public init(receiveNext: SequenceNumber, capacity: Int = 65536, maximumRanges: Int = 32) {
        precondition(capacity > 0, "the budget must be positive")
        self.receiveNext = receiveNext
        self.capacity = capacity
        self.maximumRanges = Swift.max(1, maximumRanges)
    }

    /// Bytes held, in order or not.
    public var bytesHeld: Int {
        var total = 0
        for range in self.ranges { total += range.end - range.start }
        return total
    }

    /// Whether nothing is held.
    public var isEmpty: Bool { self.ranges.isEmpty }

    /// How many held ranges there are.
    public var rangeCount: Int { self.ranges.count }

    /// Bytes readable in order now, starting at RCV.NXT.
    public var contiguousBytes: Int {
        guard let first = self.ranges.first, first.start == 0 else { return 0 }
        return first.end
    }

    /// The held ranges as sequence-number blocks, in sequence order.
    public var heldBlocks: [SACKBlock] {
        var result: [SACKBlock] = []
        for range in self.ranges {
            result.append(SACKBlock(start: self.receiveNext + range.start, end: self.receiveNext + range.end))
        }
        return result
    }

    /// Stores the segment `payload` that starts at `sequenceNumber`.
    ///
    /// - Returns: how many new bytes were stored (0 for a duplicate or a dropped segment).
    @discardableResult
    public mutating func insert(_ payload: UnsafeRawBufferPointer, at sequenceNumber: SequenceNumber) -> Int {
        var start = sequenceNumber - self.receiveNext
        var end = start + payload.count
        var skip = 0
        if end <= 0 {
            self.statistics.duplicateBytes += payload.count
            if !payload.isEmpty { self.duplicate = SACKBlock(start: sequenceNumber, length: payload.count) }
            return 0
        }
        if start < 0 {
            self.statistics.duplicateBytes += -start
            self.duplicate = SACKBlock(start: sequenceNumber, end: self.receiveNext)
            skip = -start
            start = 0
        }
        if end > self.capacity {
            self.statistics.bytesBeyondBudget += end - Swift.max(start, self.capacity)
            end = self.capacity
        }
        guard start < end else { return 0 }

        // Where it goes among the ranges, and how much of it is already held.
        var index = 0
        while index < self.ranges.count && self.ranges[index].end < start { index += 1 }
        var last = index
        var covered = 0
        var lower = start
        var upper = end
        var firstOverlap: Range<Int>?
        while last < self.ranges.count && self.ranges[last].start <= end {
            let overlapStart = Swift.max(start, self.ranges[last].start)
            let overlapEnd = Swift.min(end, self.ranges[last].end)
            if overlapStart < overlapEnd {
                covered += overlapEnd - overlapStart
                if firstOverlap == nil && skip == 0 { firstOverlap = overlapStart..<overlapEnd }
            }
            lower = Swift.min(lower, self.ranges[last].start)
            upper = Swift.max(upper, self.ranges[last].end)
            last += 1
        }
        if index == last && self.ranges.count >= self.maximumRanges {
            self.statistics.segmentsOverRangeLimit += 1
            return 0
        }
        self.statistics.duplicateBytes += covered
        if let firstOverlap {
            self.duplicate = SACKBlock(
                start: self.receiveNext + firstOverlap.lowerBound, end: self.receiveNext + firstOverlap.upperBound)
        }
        let stored = end - start - covered
        if self.storage.isEmpty {
            self.storage = [UInt8](repeating: 0, count: self.capacity)
            self.head = 0
        }
        self.copyIn(UnsafeRawBufferPointer(rebasing: payload[(skip)..<(skip + end - start)]), at: start)
        self.clock += 1
        self.ranges.replaceSubrange(
            index..<last, with: CollectionOfOne(Held(start: lower, end: upper, stamp: self.clock)))
        if stored > 0 { self.statistics.segmentsStored += 1 }
        return stored
    }

    /// Copies the contiguous bytes at RCV.NXT into `destination` (as many as fit) and advances RCV.NXT past
    /// them.
    ///
    /// - Returns: how many bytes were copied.
    @discardableResult
    public mutating func read(into destination: UnsafeMutableRawBufferPointer) -> Int {
        let count = Swift.min(self.contiguousBytes, destination.count)
        guard count > 0, let base = destination.baseAddress else { return 0 }
        let first = Swift.min(count, self.capacity - self.head)
        self.storage.withUnsafeBytes { ring in
            base.copyMemory(from: ring.baseAddress! + self.head, byteCount: first)
            if count > first { (base + first).copyMemory(from: ring.baseAddress!, byteCount: count - first) }
        }
        self.discard(count)
        return count
    }

    /// Moves RCV.NXT to `receiveNext` (the connection took in-order bytes itself), forgetting held bytes
    /// before it. A `receiveNext` not after the current one changes nothing.
    public mutating func advance(to receiveNext: SequenceNumber) {
        let distance = receiveNext - self.receiveNext
        if distance > 0 { self.discard(distance) }
    }

    /// Up to `maximum` SACK blocks for the next ACK, the most recently changed range first (RFC 2018 §4). The
    /// range at RCV.NXT, if any, is in-order data already covered by the acknowledgment number and not listed.
    public func sackBlocks(maximum: Int = 4) -> [SACKBlock] {
        var candidates: [Held] = []
        for range in self.ranges where range.start > 0 { candidates.append(range) }
        var result: [SACKBlock] = []
        while result.count < maximum && !candidates.isEmpty {
            var newest = 0
            for index in candidates.indices where candidates[index].stamp > candidates[newest].stamp {
                newest = index
            }
            let range = candidates.remove(at: newest)
            result.append(SACKBlock(start: self.receiveNext + range.start, end: self.receiveNext + range.end))
        }
        return result
    }

    /// The D-SACK block for the next ACK (RFC 2883 §4): the first duplicate run of the most recent segment that
    /// carried duplicate bytes, or `nil`. Each run is returned once.
    public mutating func takeDuplicateBlock() -> SACKBlock? {
        defer { self.duplicate = nil }
        return self.duplicate
    }

    private mutating func copyIn(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard !bytes.isEmpty else { return }
        let position = (self.head + offset) % self.capacity
        let first = Swift.min(bytes.count, self.capacity - position)
        self.storage.withUnsafeMutableBytes { ring in
            (ring.baseAddress! + position).copyMemory(from: bytes.baseAddress!, byteCount: first)
            if bytes.count > first {
                ring.baseAddress!.copyMemory(from: bytes.baseAddress! + first, byteCount: bytes.count - first)
            }
        }
    }

    private mutating func discard(_ count: Int) {
        self.receiveNext += count
        var kept: [Held] = []
        for var range in self.ranges where range.end > count {
            range.start = Swift.max(0, range.start - count)
            range.end -= count
            kept.append(range)
        }
        self.ranges = kept
        if self.ranges.isEmpty {
            self.storage = []
            self.head = 0
        } else {
            self.head = (self.head + count % self.capacity) % self.capacity
        }
    }
}
