/// The sender's SACK scoreboard: which bytes above SND.UNA the receiver has selectively acknowledged (RFC 2018
/// "TCP Selective Acknowledgment Options"), and a light form of RFC 6675's loss recovery queries on it
/// ("A Conservative Loss Recovery Algorithm Based on Selective Acknowledgment (SACK) for TCP"). A pure value.
///
/// - ``update(cumulativeAck:blocks:sendNext:)`` is RFC 6675 §4 `Update()`: blocks are merged into a sorted list
///   of disjoint ranges; everything below the cumulative ACK is forgotten. SACK is advisory and the receiver may
///   renege (RFC 2018 §8), so SACKed data stays queued until cumulatively acknowledged: the connection's job.
///   Blocks ending at or below SND.UNA (RFC 2883 D-SACKs) or beyond SND.NXT are ignored and counted, as are empty
///   or reversed ones; a block straddling SND.UNA counts from SND.UNA.
/// - Memory is bounded: at most ``maximumRanges`` disjoint ranges. Past it the highest ranges are forgotten
///   (counted): that only makes the sender think those bytes are missing, which is safe (RFC 2018 §8 lets the
///   receiver renege anyway).
/// - ``isLost(_:)`` is RFC 6675 §4 `IsLost(SeqNum)`: DupThresh discontiguous SACKed ranges, or more than
///   (DupThresh - 1)·SMSS SACKed bytes, above the sequence number. It is the same for every byte of one hole.
/// - ``nextSegment(sendNext:)`` is `NextSeg()` rule 1 only: the first un-SACKed byte above HighRxt and below
///   the highest SACKed byte that is lost, with up to SMSS bytes of its hole. Rules 2-4 (new data, rescue
///   retransmission) are left to the connection: when this returns `nil`, send new data if the window allows.
/// - ``pipe(sendNext:)`` is `SetPipe()` (RFC 6675 §4), computed over holes rather than octets.
/// - Sequence numbers wrap modulo 2^32 (``SequenceNumber``); every held range lies within 2^31 of SND.UNA.
public struct SACKScoreboard {
    /// Counters of what updates carried.
    public struct Statistics: Equatable, CustomStringConvertible {
        /// Blocks recorded.
        public var blocksAccepted = 0
        /// Blocks ignored: below SND.UNA (D-SACK, RFC 2883), beyond SND.NXT, empty or reversed.
        public var blocksIgnored = 0
        /// Ranges forgotten because ``maximumRanges`` were held.
        public var rangesDropped = 0

        public init() {}

        public var description: String {
            "accepted=\(self.blocksAccepted) ignored=\(self.blocksIgnored) dropped=\(self.rangesDropped)"
        }
    }

    /// DupThresh (RFC 6675 §2: 3).
    public static let duplicateThreshold = 3

    /// SMSS in bytes, for `IsLost` and `NextSeg`.
    public let maximumSegmentSize: Int
    /// The most disjoint SACKed ranges held.
    public let maximumRanges: Int
    /// SND.UNA, the cumulative acknowledgment point (RFC 6675's HighACK).
    public private(set) var sendUnacknowledged: SequenceNumber
    /// HighRxt as an exclusive end: every byte below it was retransmitted in this recovery (RFC 6675 §2).
    public private(set) var retransmittedEnd: SequenceNumber
    /// SACKed ranges above SND.UNA: sorted, disjoint, not adjacent.
    public private(set) var ranges: [SACKBlock] = []
    /// Update counters.
    public private(set) var statistics = Statistics()

    /// An empty scoreboard at SND.UNA = `sendUnacknowledged`.
    ///
    /// - Parameters:
    ///   - maximumSegmentSize: SMSS in bytes.
    ///   - maximumRanges: the bound on held ranges (each ACK carries at most 4 blocks, RFC 2018 §3).
    public init(sendUnacknowledged: SequenceNumber, maximumSegmentSize: Int, maximumRanges: Int = 16) {
        self.sendUnacknowledged = sendUnacknowledged
        self.retransmittedEnd = sendUnacknowledged
        self.maximumSegmentSize = maximumSegmentSize
        self.maximumRanges = Swift.max(1, maximumRanges)
    }

    /// Forgets every range (for example after a retransmission timeout, RFC 6675 §5.1's suggestion when the
    /// receiver may have reneged) and resets HighRxt to SND.UNA.
    public mutating func reset() {
        self.ranges.removeAll()
        self.retransmittedEnd = self.sendUnacknowledged
    }

    /// The bytes SACKed above SND.UNA.
    public var sackedBytes: Int {
        var total = 0
        for range in self.ranges { total += range.length }
        return total
    }

    /// The sequence number just after the highest SACKed byte (RFC 6675's HighSACK + 1), or SND.UNA.
    public var highestSACKedEnd: SequenceNumber { self.ranges.last?.end ?? self.sendUnacknowledged }

    /// Applies one ACK (RFC 6675 §4 `Update()`): moves SND.UNA to `cumulativeAck` if it is later, then merges
    /// each valid SACK block.
    ///
    /// - Parameters:
    ///   - cumulativeAck: the ACK's acknowledgment number.
    ///   - blocks: its SACK blocks, in option order.
    ///   - sendNext: SND.NXT; blocks reaching past it are invalid.
    public mutating func update(cumulativeAck: SequenceNumber, blocks: [SACKBlock], sendNext: SequenceNumber) {
        if cumulativeAck > self.sendUnacknowledged && cumulativeAck <= sendNext {
            self.sendUnacknowledged = cumulativeAck
            self.retransmittedEnd = SequenceNumber.latest(self.retransmittedEnd, cumulativeAck)
            self.trimBelow(cumulativeAck)
        }
        for block in blocks {
            guard block.start < block.end, self.sendUnacknowledged < block.end, block.end <= sendNext else {
                self.statistics.blocksIgnored += 1
                continue
            }
            self.statistics.blocksAccepted += 1
            self.insert(SACKBlock(start: SequenceNumber.latest(block.start, self.sendUnacknowledged), end: block.end))
        }
    }

    /// Records that the bytes `[start, end)` were retransmitted (advances HighRxt).
    public mutating func markRetransmitted(_ block: SACKBlock) {
        self.retransmittedEnd = SequenceNumber.latest(self.retransmittedEnd, block.end)
    }

    /// Whether every byte of `block` is SACKed (or below SND.UNA, hence acknowledged).
    public func isSACKed(_ block: SACKBlock) -> Bool {
        if block.end <= self.sendUnacknowledged { return true }
        let start = SequenceNumber.latest(block.start, self.sendUnacknowledged)
        for range in self.ranges where range.start <= start {
            if block.end <= range.end && start < range.end { return true }
        }
        return false
    }

    /// Whether the byte `sequenceNumber` is SACKed (or acknowledged).
    public func isSACKed(_ sequenceNumber: SequenceNumber) -> Bool {
        self.isSACKed(SACKBlock(start: sequenceNumber, length: 1))
    }

    /// RFC 6675 §4 `IsLost(SeqNum)`: whether DupThresh discontiguous SACKed ranges, or more than (DupThresh -
    /// 1)·SMSS SACKed bytes, lie above `sequenceNumber`.
    public func isLost(_ sequenceNumber: SequenceNumber) -> Bool {
        var count = 0
        var bytes = 0
        for range in self.ranges where range.end > sequenceNumber {
            count += 1
            bytes += range.end - SequenceNumber.latest(range.start, sequenceNumber + 1)
        }
        return count >= Self.duplicateThreshold || bytes > (Self.duplicateThreshold - 1) * self.maximumSegmentSize
    }

    /// The holes: un-SACKed ranges from SND.UNA up to `sendNext`, in order.
    public func holes(sendNext: SequenceNumber) -> [SACKBlock] {
        var result: [SACKBlock] = []
        var cursor = self.sendUnacknowledged
        for range in self.ranges {
            if cursor < range.start { result.append(SACKBlock(start: cursor, end: range.start)) }
            cursor = SequenceNumber.latest(cursor, range.end)
        }
        if cursor < sendNext { result.append(SACKBlock(start: cursor, end: sendNext)) }
        return result
    }

    /// `NextSeg()` rule 1 (RFC 6675 §4): the lost bytes to retransmit next — the first un-SACKed byte S2 with S2
    /// ≥ HighRxt, S2 below the highest SACKed byte and `IsLost(S2)`, extended to at most SMSS within its hole.
    /// `nil` when nothing qualifies (then rules 2-4 are the caller's: new data or nothing).
    public func nextSegment(sendNext: SequenceNumber) -> SACKBlock? {
        let highest = self.highestSACKedEnd
        for hole in self.holes(sendNext: sendNext) where hole.start < highest {
            let start = SequenceNumber.latest(hole.start, self.retransmittedEnd)
            guard start < hole.end, self.isLost(start) else { continue }
            let end = SequenceNumber.earliest(hole.end, start + self.maximumSegmentSize)
            return SACKBlock(start: start, end: end)
        }
        return nil
    }

    /// `SetPipe()` (RFC 6675 §4): the sender's estimate of bytes in the network. For each un-SACKed byte
    /// between SND.UNA and SND.NXT, one if it is not lost, plus one if it was retransmitted (below HighRxt).
    public func pipe(sendNext: SequenceNumber) -> Int {
        var total = 0
        for hole in self.holes(sendNext: sendNext) {
            if !self.isLost(hole.start) { total += hole.length }
            if hole.start < self.retransmittedEnd {
                total += SequenceNumber.earliest(hole.end, self.retransmittedEnd) - hole.start
            }
        }
        return total
    }

    private mutating func trimBelow(_ point: SequenceNumber) {
        var kept: [SACKBlock] = []
        kept.reserveCapacity(self.ranges.count)
        for var range in self.ranges where range.end > point {
            range.start = SequenceNumber.latest(range.start, point)
            kept.append(range)
        }
        self.ranges = kept
    }

    private mutating func insert(_ block: SACKBlock) {
        var start = block.start
        var end = block.end
        var index = 0
        while index < self.ranges.count && self.ranges[index].end < start { index += 1 }
        var last = index
        while last < self.ranges.count && self.ranges[last].start <= end {
            start = SequenceNumber.earliest(start, self.ranges[last].start)
            end = SequenceNumber.latest(end, self.ranges[last].end)
            last += 1
        }
        self.ranges.replaceSubrange(index..<last, with: CollectionOfOne(SACKBlock(start: start, end: end)))
        while self.ranges.count > self.maximumRanges {
            self.ranges.removeLast()
            self.statistics.rangesDropped += 1
        }
    }
}
