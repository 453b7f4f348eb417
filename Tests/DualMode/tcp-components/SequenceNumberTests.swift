/// `SequenceNumber` and `SACKBlock`: comparisons and arithmetic modulo 2^32 (RFC 9293 §3.4).
import Net
import Runtime

func registerSequenceNumberTests(_ suite: inout TestSuite) {
    suite.test("sequence.compares-across-the-wrap") { () throws(TestFailure) in
        try expect(seq(0xFFFF_FFF0) < seq(0x10), "0xfffffff0 is before 0x10")
        try expect(!(seq(0x10) < seq(0xFFFF_FFF0)), "0x10 is not before 0xfffffff0")
        try expect(seq(5) < seq(6) && seq(6) > seq(5), "plain order")
        try expect(seq(7) <= seq(7) && !(seq(7) < seq(7)), "equal")
        try expect(seq(0) < seq(0x7FFF_FFFF), "2^31 - 1 ahead is after")
        try expect(seq(0x8000_0001) < seq(0), "2^31 - 1 behind is before")
    }
    suite.test("sequence.adds-and-subtracts-modulo-2^32") { () throws(TestFailure) in
        try expectEqual(seq(0xFFFF_FFFF) + 1, seq(0), "+1 wraps")
        try expectEqual(seq(3) - 5, seq(0xFFFF_FFFE), "-5 wraps")
        try expectEqual(seq(0x10) - seq(0xFFFF_FFF0), 32, "distance across the wrap")
        try expectEqual(seq(0xFFFF_FFF0) - seq(0x10), -32, "negative distance")
        var s = seq(0xFFFF_FFFE)
        s += 4
        try expectEqual(s, seq(2), "+=")
        try expectEqual(SequenceNumber.latest(seq(0xFFFF_FFF0), seq(1)), seq(1), "latest")
        try expectEqual(SequenceNumber.earliest(seq(0xFFFF_FFF0), seq(1)), seq(0xFFFF_FFF0), "earliest")
    }
    suite.test("sequence.block-length-and-contains-across-the-wrap") { () throws(TestFailure) in
        let b = block(0xFFFF_FFFC, 4)
        try expectEqual(b.length, 8, "length")
        try expect(b.contains(seq(0xFFFF_FFFF)) && b.contains(seq(0)) && b.contains(seq(3)), "inside")
        try expect(!b.contains(seq(4)) && !b.contains(seq(0xFFFF_FFFB)), "outside")
        try expectEqual(block(10, 5).length, 0, "reversed is empty")
        try expectEqual(SACKBlock(start: seq(0xFFFF_FFFF), length: 2), block(0xFFFF_FFFF, 1), "init(length:)")
    }
    suite.test("sequence.sack-block-converts-to-and-from-the-wire-form") { () throws(TestFailure) in
        let wire = TCPSACKBlock(left: 0xFFFF_FFF0, right: 0x10)
        let converted = SACKBlock(wire)
        try expectEqual(converted, block(0xFFFF_FFF0, 0x10), "from the option")
        try expectEqual(converted.length, 32, "length across zero")
        try expect(TCPSACKBlock(converted) == wire, "back to the option")
    }
}
