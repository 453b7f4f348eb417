/// `SACKScoreboard` (RFC 2018, RFC 6675 lite): merging, trimming, bounds, IsLost, NextSeg, SetPipe, and the
/// same across the 2^32 wrap.
import Net
import Runtime

private func board(_ una: UInt32, ranges: Int = 16) -> SACKScoreboard {
    SACKScoreboard(sendUnacknowledged: seq(una), maximumSegmentSize: 100, maximumRanges: ranges)
}

private func expectRanges(_ board: SACKScoreboard, _ expected: [SACKBlock], _ what: String) throws(TestFailure) {
    try expectElements(board.ranges, expected, what)
}

func registerSACKScoreboardTests(_ suite: inout TestSuite) {
    suite.test("sack.blocks-merge-when-they-touch-or-overlap") { () throws(TestFailure) in
        var b = board(1000)
        b.update(cumulativeAck: seq(1000), blocks: [block(1200, 1300)], sendNext: seq(2000))
        b.update(cumulativeAck: seq(1000), blocks: [block(1300, 1400), block(1500, 1600)], sendNext: seq(2000))
        try expectRanges(b, [block(1200, 1400), block(1500, 1600)], "touching merged")
        b.update(cumulativeAck: seq(1000), blocks: [block(1350, 1550)], sendNext: seq(2000))
        try expectRanges(b, [block(1200, 1600)], "bridged")
        b.update(cumulativeAck: seq(1000), blocks: [block(1100, 1150), block(1700, 1800)], sendNext: seq(2000))
        try expectRanges(b, [block(1100, 1150), block(1200, 1600), block(1700, 1800)], "sorted")
        try expectEqual(b.sackedBytes, 550, "bytes")
        try expectEqual(b.highestSACKedEnd, seq(1800), "highest")
    }
    suite.test("sack.answers-whether-a-range-is-sacked") { () throws(TestFailure) in
        var b = board(1000)
        b.update(cumulativeAck: seq(1000), blocks: [block(1200, 1400), block(1500, 1600)], sendNext: seq(2000))
        try expect(b.isSACKed(block(1250, 1350)), "inside")
        try expect(b.isSACKed(block(1200, 1400)), "exactly")
        try expect(!b.isSACKed(block(1150, 1250)), "starts in a hole")
        try expect(!b.isSACKed(block(1350, 1550)), "spans a hole")
        try expect(b.isSACKed(block(900, 1000)), "below SND.UNA is acknowledged")
        try expect(b.isSACKed(seq(1599)) && !b.isSACKed(seq(1600)), "single bytes")
    }
    suite.test("sack.cumulative-ack-trims-and-ignores-invalid-blocks") { () throws(TestFailure) in
        var b = board(1000)
        b.update(cumulativeAck: seq(1000), blocks: [block(1200, 1400), block(1500, 1600)], sendNext: seq(2000))
        b.update(cumulativeAck: seq(1300), blocks: [], sendNext: seq(2000))
        try expectRanges(b, [block(1300, 1400), block(1500, 1600)], "trimmed inside a range")
        b.update(cumulativeAck: seq(1400), blocks: [], sendNext: seq(2000))
        try expectRanges(b, [block(1500, 1600)], "range below SND.UNA gone")
        try expectEqual(b.sendUnacknowledged, seq(1400), "SND.UNA")
        b.update(
            cumulativeAck: seq(1400), blocks: [block(1300, 1400), block(1900, 2100), block(1700, 1650)],
            sendNext: seq(2000))
        try expectEqual(b.statistics.blocksIgnored, 3, "D-SACK, beyond SND.NXT, reversed")
        try expectRanges(b, [block(1500, 1600)], "unchanged")
        b.update(cumulativeAck: seq(1200), blocks: [], sendNext: seq(2000))
        try expectEqual(b.sendUnacknowledged, seq(1400), "an old ACK does not move SND.UNA back")
    }
    suite.test("sack.range-count-is-bounded") { () throws(TestFailure) in
        var b = board(0, ranges: 3)
        let blocks = [block(100, 150), block(200, 250), block(300, 350), block(400, 450)]
        b.update(cumulativeAck: seq(0), blocks: blocks, sendNext: seq(1000))
        try expectRanges(b, [block(100, 150), block(200, 250), block(300, 350)], "highest forgotten")
        try expectEqual(b.statistics.rangesDropped, 1, "counted")
        b.update(cumulativeAck: seq(0), blocks: [block(150, 200)], sendNext: seq(1000))
        try expectRanges(b, [block(100, 250), block(300, 350)], "a merge frees a slot")
    }
    suite.test("sack.is-lost-by-count-or-by-bytes") { () throws(TestFailure) in
        var b = board(0)
        b.update(cumulativeAck: seq(0), blocks: [block(100, 200), block(300, 400)], sendNext: seq(1000))
        try expect(!b.isLost(seq(0)), "two ranges, 200 bytes: not lost")
        b.update(cumulativeAck: seq(0), blocks: [block(500, 600)], sendNext: seq(1000))
        try expect(b.isLost(seq(0)), "three discontiguous ranges above")
        try expect(!b.isLost(seq(250)), "two above 250")
        var bytes = board(0)
        bytes.update(cumulativeAck: seq(0), blocks: [block(100, 400)], sendNext: seq(1000))
        try expect(bytes.isLost(seq(0)), "300 > 2 SMSS SACKed above")
        try expect(!bytes.isLost(seq(200)), "199 bytes above 200")
    }
    suite.test("sack.next-segment-walks-lost-holes-above-high-rxt") { () throws(TestFailure) in
        var b = board(0)
        b.update(cumulativeAck: seq(0), blocks: [block(100, 200), block(300, 700)], sendNext: seq(1000))
        try expectElements(b.holes(sendNext: seq(1000)), [block(0, 100), block(200, 300), block(700, 1000)], "holes")
        let first = b.nextSegment(sendNext: seq(1000))
        try expectEqual(first ?? block(0, 0), block(0, 100), "first hole")
        b.markRetransmitted(first!)
        let second = b.nextSegment(sendNext: seq(1000))
        try expectEqual(second ?? block(0, 0), block(200, 300), "second hole (400 bytes SACKed above)")
        b.markRetransmitted(second!)
        try expect(b.nextSegment(sendNext: seq(1000)) == nil, "nothing lost below the highest SACK")
    }
    suite.test("sack.next-segment-splits-a-hole-into-smss-pieces") { () throws(TestFailure) in
        var b = board(0)
        b.update(cumulativeAck: seq(0), blocks: [block(450, 900)], sendNext: seq(1000))
        var sent: [SACKBlock] = []
        while let next = b.nextSegment(sendNext: seq(1000)) {
            sent.append(next)
            b.markRetransmitted(next)
        }
        try expectElements(
            sent, [block(0, 100), block(100, 200), block(200, 300), block(300, 400), block(400, 450)], "pieces")
    }
    suite.test("sack.pipe-counts-unlost-and-retransmitted-bytes") { () throws(TestFailure) in
        var b = board(0)
        b.update(
            cumulativeAck: seq(0), blocks: [block(100, 200), block(300, 400), block(500, 600)], sendNext: seq(1000))
        // Holes: [0,100) lost, [200,300) and [400,500) not (fewer than 3 ranges, 200 bytes above), [600,1000) not.
        try expectEqual(b.pipe(sendNext: seq(1000)), 600, "pipe")
        b.markRetransmitted(block(0, 100))
        try expectEqual(b.pipe(sendNext: seq(1000)), 700, "plus the retransmission")
        b.update(cumulativeAck: seq(100), blocks: [], sendNext: seq(1000))
        try expectEqual(b.pipe(sendNext: seq(1000)), 600, "after it is acknowledged")
    }
    suite.test("sack.works-across-the-wrap") { () throws(TestFailure) in
        var b = board(0xFFFF_FF00)
        let next = seq(0xFFFF_FF00) + 1000
        b.update(cumulativeAck: seq(0xFFFF_FF00), blocks: [block(0xFFFF_FFC8, 0x2C)], sendNext: next)
        b.update(cumulativeAck: seq(0xFFFF_FF00), blocks: [block(0x2C, 0x100)], sendNext: next)
        try expectRanges(b, [block(0xFFFF_FFC8, 0x100)], "merged across zero")
        try expect(b.isSACKed(block(0xFFFF_FFF0, 0x10)), "range across zero is SACKed")
        try expect(!b.isSACKed(block(0xFFFF_FFC0, 0x10)), "starts in the hole")
        try expectEqual(b.sackedBytes, 0x38 + 0x100, "bytes")
        b.update(cumulativeAck: seq(0x10), blocks: [], sendNext: next)
        try expectRanges(b, [block(0x10, 0x100)], "trimmed past zero")
        try expectElements(b.holes(sendNext: next), [SACKBlock(start: seq(0x100), end: next)], "one hole above")
    }
}
