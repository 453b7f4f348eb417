/// Seeded random traffic against byte-by-byte models: the out-of-order queue against a map of which bytes arrived
/// (content, SACK ranges, budget and range limit), and the SACK scoreboard against RFC 6675's octet-level
/// definitions of IsLost and SetPipe. Each runs near the 2^32 wrap. SplitMix64 keeps both modes identical.
import Net
import Runtime

/// The runs of `true` in `flags[from..<to]` as (start, end) offsets.
private func runs(_ flags: [Bool], from: Int, to: Int) -> [(Int, Int)] {
    var result: [(Int, Int)] = []
    var index = from
    while index < to {
        if flags[index] {
            var end = index
            while end < to && flags[end] { end += 1 }
            result.append((index, end))
            index = end
        } else {
            index += 1
        }
    }
    return result
}

/// The byte a stream carries at absolute offset `offset`.
private func streamByte(_ offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: offset &* 131 &+ offset >> 8) }

func registerPropertyTests(_ suite: inout TestSuite) {
    suite.test("property.ooo-buffer-matches-a-byte-map") { () throws(TestFailure) in
        for seed in UInt64(1)...6 {
            var random = SplitMix64(state: seed)
            let base = seq(0xFFFF_FFFF) - random.below(3000)
            let capacity = 600
            let maximumRanges = 6
            var buffer = OutOfOrderBuffer(receiveNext: base, capacity: capacity, maximumRanges: maximumRanges)
            var arrived = [Bool](repeating: false, count: 20_000)
            var next = 0  // RCV.NXT as an offset from base
            var delivered: [UInt8] = []
            for step in 0..<400 {
                let start = next + random.below(capacity + 100) - 50
                let length = 1 + random.below(80)
                let payload = (0..<length).map { streamByte(start + $0) }
                // The model: clip to [next, next + capacity), refuse a new range past the limit.
                let lower = Swift.max(start, next)
                let upper = Swift.min(start + length, next + capacity)
                var expectedNew = 0
                if lower < upper {
                    let held = runs(arrived, from: next, to: next + capacity + 1)
                    let touches = held.contains { $0.0 <= upper && lower <= $0.1 }
                    if touches || held.count < maximumRanges {
                        for offset in lower..<upper where !arrived[offset] {
                            arrived[offset] = true
                            expectedNew += 1
                        }
                    }
                }
                let stored = payload.withUnsafeBytes { raw in buffer.insert(raw, at: base + start) }
                try expectEqual(stored, expectedNew, "seed \(seed) step \(step): new bytes")
                var expectedBlocks: [SACKBlock] = []
                for (a, b) in runs(arrived, from: next, to: next + capacity + 1) {
                    expectedBlocks.append(SACKBlock(start: base + a, end: base + b))
                }
                try expectElements(buffer.heldBlocks, expectedBlocks, "seed \(seed) step \(step): held")
                if random.below(3) == 0 {
                    var out = [UInt8](repeating: 0, count: 1 + random.below(300))
                    let count = out.withUnsafeMutableBytes { raw in buffer.read(into: raw) }
                    var expectedCount = 0
                    while expectedCount < out.count && arrived[next + expectedCount] { expectedCount += 1 }
                    try expectEqual(count, expectedCount, "seed \(seed) step \(step): read")
                    delivered.append(contentsOf: out[0..<count])
                    next += count
                }
                if next > 18_000 { break }
            }
            for (offset, byte) in delivered.enumerated() where byte != streamByte(offset) {
                throw TestFailure("seed \(seed): byte \(offset) is \(byte), expected \(streamByte(offset))")
            }
            try expectEqual(buffer.receiveNext, base + next, "seed \(seed): RCV.NXT")
            try expect(delivered.count > 1000, "seed \(seed): only \(delivered.count) bytes delivered")
        }
    }
    suite.test("property.scoreboard-matches-rfc6675-octet-definitions") { () throws(TestFailure) in
        let smss = 50
        for seed in UInt64(1)...6 {
            var random = SplitMix64(state: seed &* 7919)
            let base = seq(0xFFFF_FFFF) - random.below(2000)
            var board = SACKScoreboard(sendUnacknowledged: base, maximumSegmentSize: smss, maximumRanges: 64)
            var sacked = [Bool](repeating: false, count: 60_000)  // sendNext grows at most 200 a step
            var una = 0
            var sendNext = 1500
            var highRxt = 0  // exclusive, as an offset
            for step in 0..<200 {
                if sendNext - una < 10 { sendNext = Swift.min(sacked.count, sendNext + 200) }
                var blocks: [SACKBlock] = []
                for _ in 0..<random.below(4) {
                    let start = una + random.below(sendNext - una)
                    let end = Swift.min(sendNext, start + 1 + random.below(120))
                    blocks.append(SACKBlock(start: base + start, end: base + end))
                    for offset in start..<end { sacked[offset] = true }
                }
                var ack = una
                if random.below(4) == 0 { ack = Swift.min(sendNext, una + random.below(200)) }
                board.update(cumulativeAck: base + ack, blocks: blocks, sendNext: base + sendNext)
                una = ack
                highRxt = Swift.max(highRxt, una)
                var expected: [SACKBlock] = []
                for (a, b) in runs(sacked, from: una, to: sendNext) {
                    expected.append(SACKBlock(start: base + a, end: base + b))
                }
                try expectElements(board.ranges, expected, "seed \(seed) step \(step): ranges")
                // IsLost(s) and SetPipe, octet by octet (RFC 6675 §4).
                let held = runs(sacked, from: una, to: sendNext)
                func isLost(_ s: Int) -> Bool {
                    var count = 0
                    var bytes = 0
                    for (a, b) in held where b > s {
                        count += 1
                        bytes += b - Swift.max(a, s + 1)
                    }
                    return count >= 3 || bytes > 2 * smss
                }
                var pipe = 0
                for s in una..<sendNext where !sacked[s] {
                    if !isLost(s) { pipe += 1 }
                    if s < highRxt { pipe += 1 }
                }
                try expectEqual(board.pipe(sendNext: base + sendNext), pipe, "seed \(seed) step \(step): pipe")
                for _ in 0..<(sendNext > una ? 4 : 0) {
                    let s = una + random.below(sendNext - una)
                    try expectEqual(board.isLost(base + s), isLost(s), "seed \(seed) step \(step): IsLost(\(s))")
                    let e = Swift.min(sendNext, s + 1 + random.below(60))
                    var all = true
                    for offset in s..<e where !sacked[offset] { all = false }
                    try expectEqual(board.isSACKed(SACKBlock(start: base + s, end: base + e)), all, "isSACKed")
                }
                // NextSeg rule 1: the first unSACKed s >= HighRxt below the highest SACK with IsLost(s).
                let highest = held.last?.1 ?? una
                var nextStart: Int?
                var s = Swift.max(una, highRxt)
                while s < highest {
                    if !sacked[s] && isLost(s) {
                        nextStart = s
                        break
                    }
                    s += 1
                }
                let next = board.nextSegment(sendNext: base + sendNext)
                try expectEqual(
                    next.map { $0.start - base } ?? -1, nextStart ?? -1, "seed \(seed) step \(step): NextSeg")
                if let next, random.below(2) == 0 {
                    board.markRetransmitted(next)
                    highRxt = Swift.max(highRxt, next.end - base)
                }
                if random.below(3) == 0 { sendNext = Swift.min(sacked.count, sendNext + random.below(150)) }
            }
        }
    }
}
