/// `OutOfOrderBuffer`: holding segments beyond RCV.NXT, merging, the byte budget and range limit, the ring's
/// wrap, the sequence-number wrap, and the SACK blocks it advertises (RFC 2018 §4 order).
import Net
import Runtime

/// `count` bytes counting up from `first`.
private func bytes(_ first: Int, _ count: Int) -> [UInt8] {
    var result: [UInt8] = []
    for index in 0..<count { result.append(UInt8(truncatingIfNeeded: first + index)) }
    return result
}

/// Inserts `payload` at `rcvNxt + offset`.
@discardableResult
private func put(_ buffer: inout OutOfOrderBuffer, _ payload: [UInt8], at offset: Int) -> Int {
    payload.withUnsafeBytes { raw in buffer.insert(raw, at: buffer.receiveNext + offset) }
}

/// Reads up to `maximum` contiguous bytes.
private func take(_ buffer: inout OutOfOrderBuffer, _ maximum: Int = 1 << 20) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: maximum)
    let count = out.withUnsafeMutableBytes { raw in buffer.read(into: raw) }
    return Array(out[0..<count])
}

private func expectSame(_ actual: [UInt8], _ expected: [UInt8], _ what: String) throws(TestFailure) {
    try expect(actual == expected, "\(what): got \(actual.count) bytes, expected \(expected.count) (or other bytes)")
}

func registerOutOfOrderBufferTests(_ suite: inout TestSuite) {
    suite.test("ooo.holds-until-the-hole-fills") { () throws(TestFailure) in
        var buffer = OutOfOrderBuffer(receiveNext: seq(5000))
        try expectEqual(put(&buffer, bytes(5, 5), at: 5), 5, "stored")
        try expectEqual(buffer.contiguousBytes, 0, "hole at RCV.NXT")
        try expectElements(buffer.sackBlocks(), [block(5005, 5010)], "SACK")
        try expectEqual(take(&buffer).count, 0, "nothing readable")
        put(&buffer, bytes(0, 5), at: 0)
        try expectEqual(buffer.contiguousBytes, 10, "contiguous")
        try expectElements(buffer.sackBlocks(), [], "in-order data is not SACKed")
        try expectSame(take(&buffer), bytes(0, 10), "read")
        try expectEqual(buffer.receiveNext, seq(5010), "RCV.NXT advanced")
        try expect(buffer.isEmpty && buffer.bytesHeld == 0, "empty")
    }
    suite.test("ooo.merges-overlapping-and-adjacent-segments") { () throws(TestFailure) in
        var buffer = OutOfOrderBuffer(receiveNext: seq(0))
        put(&buffer, bytes(10, 5), at: 10)
        put(&buffer, bytes(20, 5), at: 20)
        try expectEqual(buffer.rangeCount, 2, "two ranges")
        try expectEqual(put(&buffer, bytes(13, 9), at: 13), 5, "13..<22 adds 15..<20")
        try expectEqual(buffer.rangeCount, 1, "merged")
        try expectElements(buffer.heldBlocks, [block(10, 25)], "held")
        try expectEqual(buffer.statistics.duplicateBytes, 4, "overlap counted")
        put(&buffer, bytes(0, 10), at: 0)
        try expectSame(take(&buffer), bytes(0, 25), "all")
    }
    suite.test("ooo.counts-duplicates-before-rcv-nxt-and-already-held") { () throws(TestFailure) in
        var buffer = OutOfOrderBuffer(receiveNext: seq(100))
        put(&buffer, bytes(10, 5), at: 10)
        try expectEqual(put(&buffer, bytes(10, 5), at: 10), 0, "exact duplicate")
        try expectEqual(put(&buffer, bytes(0, 5), at: -8), 0, "entirely old")
        try expectEqual(put(&buffer, bytes(0, 5), at: -3), 2, "partly old: 2 new bytes at RCV.NXT")
        try expectEqual(buffer.statistics.duplicateBytes, 5 + 5 + 3, "duplicates")
        try expectSame(take(&buffer), bytes(3, 2), "the new bytes")
    }
    suite.test("ooo.drops-bytes-beyond-the-budget") { () throws(TestFailure) in
        var buffer = OutOfOrderBuffer(receiveNext: seq(0), capacity: 100)
        try expectEqual(put(&buffer, bytes(90, 20), at: 90), 10, "trimmed to the budget")
        try expectEqual(put(&buffer, bytes(150, 10), at: 150), 0, "entirely beyond")
        try expectEqual(buffer.statistics.bytesBeyondBudget, 20, "counted")
        try expectEqual(buffer.bytesHeld, 10, "held")
        put(&buffer, bytes(0, 90), at: 0)
        try expectSame(take(&buffer), bytes(0, 100), "the budget's worth")
    }
    suite.test("ooo.limits-the-number-of-ranges") { () throws(TestFailure) in
        var buffer = OutOfOrderBuffer(receiveNext: seq(0), maximumRanges: 2)
        put(&buffer, bytes(10, 2), at: 10)
        put(&buffer, bytes(20, 2), at: 20)
        try expectEqual(put(&buffer, bytes(30, 2), at: 30), 0, "a third range refused")
        try expectEqual(buffer.statistics.segmentsOverRangeLimit, 1, "counted")
        try expectEqual(put(&buffer, bytes(12, 2), at: 12), 2, "extending a range is fine")
        try expectElements(buffer.heldBlocks, [block(10, 14), block(20, 22)], "held")
    }
    suite.test("ooo.sack-blocks-most-recent-first-and-bounded") { () throws(TestFailure) in
        var buffer = OutOfOrderBuffer(receiveNext: seq(1000))
        for offset in [10, 30, 50, 70, 90] { put(&buffer, bytes(offset, 5), at: offset) }
        try expectElements(
            buffer.sackBlocks(), [block(1090, 1095), block(1070, 1075), block(1050, 1055), block(1030, 1035)],
            "newest first, 4 without timestamps")
        put(&buffer, bytes(15, 5), at: 15)
        try expectElements(
            buffer.sackBlocks(maximum: 3), [block(1010, 1020), block(1090, 1095), block(1070, 1075)],
            "the block holding the triggering segment first, 3 beside timestamps")
    }
    suite.test("ooo.ring-wraps-inside-the-budget") { () throws(TestFailure) in
        var buffer = OutOfOrderBuffer(receiveNext: seq(0), capacity: 16)
        put(&buffer, bytes(200, 2), at: 14)
        put(&buffer, bytes(0, 10), at: 0)
        try expectSame(take(&buffer, 6), bytes(0, 6), "partial read")
        try expectSame(take(&buffer), bytes(6, 4), "rest of the first run")
        try expectElements(buffer.heldBlocks, [block(14, 16)], "still held, now 4 ahead")
        put(&buffer, bytes(50, 10), at: 6)  // ring positions 16..<26, i.e. 0..<10
        put(&buffer, bytes(10, 4), at: 0)
        var expected = bytes(10, 4)
        expected.append(contentsOf: bytes(200, 2))
        expected.append(contentsOf: bytes(50, 10))
        try expectSame(take(&buffer), expected, "across the ring's end")
        try expectEqual(buffer.receiveNext, seq(26), "RCV.NXT")
    }
    suite.test("ooo.works-across-the-sequence-wrap") { () throws(TestFailure) in
        var buffer = OutOfOrderBuffer(receiveNext: seq(0xFFFF_FFF0))
        put(&buffer, bytes(8, 32), at: 8)
        try expectElements(buffer.sackBlocks(), [block(0xFFFF_FFF8, 0x18)], "block across zero")
        put(&buffer, bytes(0, 8), at: 0)
        try expectSame(take(&buffer), bytes(0, 40), "read")
        try expectEqual(buffer.receiveNext, seq(0x18), "RCV.NXT wrapped")
    }
    suite.test("ooo.advance-forgets-bytes-the-connection-took") { () throws(TestFailure) in
        var buffer = OutOfOrderBuffer(receiveNext: seq(0))
        put(&buffer, bytes(10, 10), at: 10)
        buffer.advance(to: seq(15))
        try expectEqual(buffer.contiguousBytes, 5, "the rest is in order now")
        try expectSame(take(&buffer), bytes(15, 5), "read")
        buffer.advance(to: seq(3))
        try expectEqual(buffer.receiveNext, seq(20), "going back changes nothing")
        put(&buffer, bytes(30, 5), at: 10)
        buffer.advance(to: seq(100))
        try expect(buffer.isEmpty, "everything passed")
    }
    suite.test("ooo.reports-each-duplicate-once-for-d-sack") { () throws(TestFailure) in
        var buffer = OutOfOrderBuffer(receiveNext: seq(1000))
        try expect(buffer.takeDuplicateBlock() == nil, "none yet")
        put(&buffer, bytes(0, 10), at: -10)
        try expectEqual(buffer.takeDuplicateBlock() ?? block(0, 0), block(990, 1000), "below RCV.NXT (RFC 2883 §4.1.1)")
        try expect(buffer.takeDuplicateBlock() == nil, "reported once")
        put(&buffer, bytes(20, 10), at: 20)
        put(&buffer, bytes(15, 10), at: 15)
        try expectEqual(buffer.takeDuplicateBlock() ?? block(0, 0), block(1020, 1025), "already held, above RCV.NXT")
        put(&buffer, bytes(0, 4), at: -2)
        try expectEqual(buffer.takeDuplicateBlock() ?? block(0, 0), block(998, 1000), "the part below RCV.NXT")
        put(&buffer, bytes(40, 5), at: 40)
        try expect(buffer.takeDuplicateBlock() == nil, "new data clears nothing and adds nothing")
    }
}
