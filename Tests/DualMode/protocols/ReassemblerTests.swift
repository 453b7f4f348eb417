/// IPv4 reassembly (Sources/Net/Protocols/IPv4Reassembler.swift): order, overlap, duplicates, timeout and limits.
import Net
import Runtime

private let peer = IPv4Address(10, 0, 0, 1)
private let me = IPv4Address(10, 0, 0, 2)

/// A datagram's data: `length` bytes of a pattern that differs at every offset modulo 251.
func pattern(_ length: Int, seed: UInt8 = 0) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(length)
    for index in 0..<length { bytes.append(UInt8(truncatingIfNeeded: index % 251) &+ seed) }
    return bytes
}

/// The header of the fragment of datagram `id` carrying bytes `start..<end`.
func fragmentHeader(
    id: UInt16, start: Int, end: Int, last: Bool, source: IPv4Address = peer, nextProtocol: IPProtocol = .udp
) -> IPv4Header {
    var header = IPv4Header(
        source: source, destination: me, nextProtocol: nextProtocol, payloadLength: end - start,
        identification: id, dontFragment: false)
    header.fragmentOffset = UInt16(start)
    header.moreFragments = !last
    return header
}

/// Inserts bytes `start..<end` of `data` as a fragment of datagram `id` (the last one when `end == data.count`).
@discardableResult
func insert(
    _ reassembler: inout IPv4Reassembler, _ data: [UInt8], _ start: Int, _ end: Int, id: UInt16 = 1,
    now: Instant = origin, last: Bool? = nil, source: IPv4Address = peer
) -> ReassembledDatagram? {
    let header = fragmentHeader(id: id, start: start, end: end, last: last ?? (end == data.count), source: source)
    return data.withUnsafeBytes { bytes in
        reassembler.insert(header: header, payload: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), now: now)
    }
}

/// Fails unless `datagram` exists and carries `data` with a header for all of it.
func expectDatagram(_ datagram: ReassembledDatagram?, _ data: [UInt8], _ what: String) throws(TestFailure) {
    guard let datagram else { throw TestFailure("\(what): not complete") }
    try expectBytes(array(datagram.payload), data, "\(what) payload")
    try expectEqual(datagram.header.payloadLength, data.count, "\(what) payload length")
    try expect(!datagram.header.moreFragments && datagram.header.fragmentOffset == 0, "\(what): MF/offset cleared")
}

/// Fragment boundaries `0, size, 2·size, …, length`.
func cuts(_ length: Int, every size: Int) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var start = 0
    while start < length {
        ranges.append(start..<min(start + size, length))
        start += size
    }
    return ranges
}

/// Inserts `ranges` of `data` in that order; fails unless only the last one completes it.
func reassemble(_ data: [UInt8], _ ranges: [Range<Int>], _ what: String) throws(TestFailure) {
    var reassembler = IPv4Reassembler()
    for (index, range) in ranges.enumerated() {
        let result = insert(&reassembler, data, range.lowerBound, range.upperBound)
        if index < ranges.count - 1 {
            try expect(result == nil, "\(what): complete after \(index + 1) of \(ranges.count) fragments")
        } else {
            try expectDatagram(result, data, what)
        }
    }
    try expectEqual(reassembler.bytesHeld, 0, "\(what): bytes held after")
    try expectEqual(reassembler.datagramsHeld, 0, "\(what): datagrams held after")
    try expectEqual(reassembler.statistics.reassembled, 1, "\(what): reassembled")
}

func registerReassemblerTests(_ suite: inout TestSuite) {
    suite.test("reassembly.in-order-fragments-complete-on-the-last") { () throws(TestFailure) in
        try reassemble(pattern(3000), cuts(3000, every: 1480), "3000 bytes by 1480")
        try reassemble(pattern(17), cuts(17, every: 8), "17 bytes by 8")
    }
    suite.test("reassembly.reversed-fragments-complete-on-the-first") { () throws(TestFailure) in
        try reassemble(pattern(3000), cuts(3000, every: 1480).reversed(), "3000 bytes by 1480, reversed")
        try reassemble(pattern(1000), cuts(1000, every: 96).reversed(), "1000 bytes by 96, reversed")
    }
    suite.test("reassembly.shuffled-fragments-complete-in-any-order") { () throws(TestFailure) in
        var random = SplitMix64(state: 791)
        for round in 0..<50 {
            var ranges = cuts(2000, every: 8 * Int(1 + random.next() % 40))
            ranges.shuffle(using: &random)
            try reassemble(pattern(2000, seed: UInt8(round)), ranges, "round \(round)")
        }
    }
    suite.test("reassembly.reassembled-header-is-the-first-fragments") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler()
        let data = pattern(24)
        var last = fragmentHeader(id: 9, start: 16, end: 24, last: true)
        last.timeToLive = 3
        _ = data.withUnsafeBytes { bytes in
            reassembler.insert(header: last, payload: UnsafeRawBufferPointer(rebasing: bytes[16..<24]), now: origin)
        }
        var first = fragmentHeader(id: 9, start: 0, end: 16, last: false)
        first.timeToLive = 200
        first.dscp = 46
        let datagram = data.withUnsafeBytes { bytes in
            reassembler.insert(header: first, payload: UnsafeRawBufferPointer(rebasing: bytes[0..<16]), now: origin)
        }
        try expectDatagram(datagram, data, "datagram")
        try expectEqual(datagram!.header.timeToLive, 200, "TTL of the first fragment")
        try expectEqual(datagram!.header.dscp, 46, "DSCP of the first fragment")
        try expectEqual(datagram!.header.identification, 9, "identification")
        try expectEqual(
            datagram!.header.description, "IPv4 src=10.0.0.1 dst=10.0.0.2 proto=UDP len=24 ttl=200 id=9", "description")
    }
    suite.test("reassembly.unfragmented-datagram-passes-straight-through") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler()
        let data = pattern(100)
        try expectDatagram(insert(&reassembler, data, 0, 100), data, "whole datagram")
        try expectEqual(reassembler.datagramsHeld, 0, "datagrams held")
        try expectEqual(reassembler.statistics, IPv4Reassembler.Statistics(), "statistics untouched")
    }
    suite.test("reassembly.interleaved-datagrams-are-kept-apart-by-key") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler()
        let a = pattern(48, seed: 1)
        let b = pattern(48, seed: 2)
        let c = pattern(48, seed: 3)
        try expect(insert(&reassembler, a, 0, 24, id: 5) == nil, "a first")
        try expect(insert(&reassembler, b, 0, 24, id: 6) == nil, "b (other id) first")
        try expect(insert(&reassembler, c, 24, 48, id: 5, source: me) == nil, "c (other source) last")
        let other = fragmentHeader(id: 5, start: 24, end: 48, last: true, nextProtocol: .tcp)
        let none = a.withUnsafeBytes { bytes in
            reassembler.insert(header: other, payload: UnsafeRawBufferPointer(rebasing: bytes[24..<48]), now: origin)
        }
        try expect(none == nil, "other protocol is another datagram")
        try expectEqual(reassembler.datagramsHeld, 4, "datagrams held")
        try expectDatagram(insert(&reassembler, b, 24, 48, id: 6), b, "b")
        try expectDatagram(insert(&reassembler, a, 24, 48, id: 5), a, "a")
        try expectDatagram(insert(&reassembler, c, 0, 24, id: 5, source: me), c, "c")
        try expectEqual(reassembler.datagramsHeld, 1, "the TCP one is left")
    }
    suite.test("reassembly.identical-overlaps-are-trimmed-into-the-holes") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler()
        let data = pattern(64)
        try expect(insert(&reassembler, data, 0, 24) == nil, "0..<24")
        try expect(insert(&reassembler, data, 40, 64) == nil, "40..<64 (last)")
        try expect(insert(&reassembler, data, 16, 32) == nil, "16..<32 overlaps the first by 8")
        try expectDatagram(insert(&reassembler, data, 8, 48, last: false), data, "8..<48 spans the hole and both sides")
        try expectEqual(reassembler.statistics.overlaps, 0, "overlaps")
        try expectEqual(reassembler.statistics.duplicates, 0, "duplicates")
    }
    suite.test("reassembly.conflicting-overlap-drops-the-datagram") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler()
        let data = pattern(64)
        var forged = data
        forged[20] ^= 0xFF
        try expect(insert(&reassembler, data, 0, 24) == nil, "0..<24")
        try expect(insert(&reassembler, forged, 16, 40) == nil, "forged 16..<40")
        try expectEqual(reassembler.statistics.overlaps, 1, "overlaps")
        try expectEqual(reassembler.datagramsHeld, 0, "datagram dropped")
        try expectEqual(reassembler.bytesHeld, 0, "memory freed")
        // The rest of the original no longer completes anything: it starts a new datagram.
        try expect(insert(&reassembler, data, 24, 64) == nil, "rest")
        try expectEqual(reassembler.datagramsHeld, 1, "rest held as a new datagram")
        // A conflict with a later fragment (last byte differs) also drops.
        var again = IPv4Reassembler()
        try expect(insert(&again, data, 40, 64) == nil, "last")
        var tail = data
        tail[63] = 0
        try expect(insert(&again, tail, 56, 64) == nil, "forged last")
        try expectEqual(again.statistics.overlaps, 1, "overlaps (tail)")
    }
    suite.test("reassembly.duplicates-are-dropped-and-the-datagram-still-completes") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler()
        let data = pattern(40)
        try expect(insert(&reassembler, data, 0, 16) == nil, "first")
        try expect(insert(&reassembler, data, 0, 16) == nil, "first again")
        try expect(insert(&reassembler, data, 8, 16) == nil, "part of the first")
        try expect(insert(&reassembler, data, 32, 40) == nil, "last")
        try expect(insert(&reassembler, data, 32, 40) == nil, "last again")
        try expectEqual(reassembler.statistics.duplicates, 3, "duplicates")
        try expectEqual(reassembler.bytesHeld, 40, "bytes held (buffer to the last end)")
        try expectDatagram(insert(&reassembler, data, 16, 32), data, "datagram")
        try expect(insert(&reassembler, data, 16, 32) == nil, "a fragment after completion starts over")
        try expectEqual(reassembler.datagramsHeld, 1, "held again")
    }
    suite.test("reassembly.incomplete-datagram-times-out-and-frees-memory") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler()
        let data = pattern(3000)
        try expect(insert(&reassembler, data, 0, 1480, now: at(0)) == nil, "first at 0 s")
        try expect(insert(&reassembler, data, 2960, 3000, id: 2, now: at(10)) == nil, "other at 10 s")
        try expectEqual(reassembler.bytesHeld, 1480 + 3000, "bytes held")
        try expectInstant(reassembler.nextExpiry, at(30), "next expiry")
        try expectEqual(reassembler.expire(now: at(29)), 0, "nothing at 29 s")
        try expectEqual(reassembler.expire(now: at(30)), 1, "first datagram at 30 s")
        try expectEqual(reassembler.bytesHeld, 3000, "bytes held after")
        try expectInstant(reassembler.nextExpiry, at(40), "next expiry")
        // A late fragment of the expired datagram does not complete it.
        try expect(insert(&reassembler, data, 1480, 2960, now: at(31), last: false) == nil, "late middle")
        try expect(insert(&reassembler, data, 2960, 3000, now: at(31)) == nil, "late last")
        // insert expires too.
        try expect(insert(&reassembler, data, 0, 8, id: 3, now: at(61), last: false) == nil, "at 61 s")
        try expectEqual(reassembler.statistics.timedOut, 3, "timed out")
        try expectEqual(reassembler.datagramsHeld, 1, "only the newest")
        try expectEqual(reassembler.expire(now: at(91)), 1, "newest at 91 s")
        try expectEqual(reassembler.bytesHeld, 0, "all memory freed")
        try expectInstant(reassembler.nextExpiry, nil, "no expiry")
    }
    suite.test("reassembly.expiry-reports-datagrams-whose-first-fragment-arrived") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler(limits: .init(timeout: .seconds(60)))
        let data = pattern(3000)
        try expect(insert(&reassembler, data, 0, 1480, id: 1, now: at(0)) == nil, "first fragment of 1")
        try expect(insert(&reassembler, data, 1480, 2960, id: 2, now: at(0), last: false) == nil, "middle of 2")
        try expect(insert(&reassembler, data, 0, 1480, id: 3, now: at(30)) == nil, "first fragment of 3")
        var reports: [String] = []
        var quoted: [UInt8] = []
        let dropped = reassembler.expire(now: at(60)) { header, bytes in
            reports.append("id=\(header.identification) off=\(header.fragmentOffset) len=\(header.payloadLength)")
            quoted = Array(bytes)
        }
        try expectEqual(dropped, 2, "dropped at 60 s")
        try expectElements(reports, ["id=1 off=0 len=1480"], "reported (fragment zero had arrived)")
        try expectElements(quoted, Array(data[0..<8]), "first 8 data bytes")
        try expectEqual(reassembler.datagramsHeld, 1, "the younger one is kept")
    }
    suite.test("reassembly.byte-pressure-evicts-the-oldest-datagram") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler(limits: .init(maximumBytes: 4096))
        let data = pattern(3000)
        try expect(insert(&reassembler, data, 2960, 3000) == nil, "a: last fragment sizes the buffer")
        try expectEqual(reassembler.bytesHeld, 3000, "bytes held")
        try expect(insert(&reassembler, data, 0, 1480, id: 2, last: false) == nil, "b: first, 1480 bytes")
        try expectEqual(reassembler.statistics.outOfMemory, 1, "a evicted for b's bytes")
        try expectEqual(reassembler.datagramsHeld, 1, "b kept")
        try expectDatagram(insert(&reassembler, data, 1480, 3000, id: 2), data, "b completes")
        try expectEqual(reassembler.bytesHeld, 0, "bytes held after")
        // A datagram that cannot fit even alone is dropped itself, and evicts nothing.
        try expect(insert(&reassembler, data, 0, 1480, id: 3, last: false) == nil, "c: first fragment")
        try expect(insert(&reassembler, pattern(5000), 4000, 5000, id: 4) == nil, "d: would need 5000 bytes")
        try expectEqual(reassembler.statistics.outOfMemory, 2, "d dropped")
        try expectEqual(reassembler.datagramsHeld, 1, "c kept")
    }
    suite.test("reassembly.a-squatter-at-offset-65000-cannot-block-later-datagrams") { () throws(TestFailure) in
        // One spoofed fragment at the top of the offset range sizes its buffer to ~64 KiB, the whole default
        // budget; every later fragmented datagram must still get through (the squatter is evicted, not them).
        var reassembler = IPv4Reassembler()
        let squat = pattern(65488)
        try expect(insert(&reassembler, squat, 65000, 65480, id: 666, last: false) == nil, "squatter")
        try expectEqual(reassembler.bytesHeld, 65480, "the squatter holds the budget")
        let data = pattern(3000, seed: 4)
        for id: UInt16 in 1...5 {
            try expect(insert(&reassembler, data, 1480, 3000, id: id) == nil, "datagram \(id): last")
            try expectDatagram(insert(&reassembler, data, 0, 1480, id: id, last: false), data, "datagram \(id)")
        }
        try expectEqual(reassembler.statistics.reassembled, 5, "all five reassembled")
        try expectEqual(reassembler.statistics.outOfMemory, 1, "the squatter evicted once")
        // The default limit holds one maximal datagram.
        var large = IPv4Reassembler()
        let big = pattern(65515)
        try expect(insert(&large, big, 65512, 65515) == nil, "last of a 65535-byte datagram")
        try expectEqual(large.bytesHeld, 65515, "bytes held")
    }
    suite.test("reassembly.datagram-limit-evicts-the-oldest") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler()
        let data = pattern(16)
        for id: UInt16 in 1...8 {
            try expect(insert(&reassembler, data, 0, 8, id: id) == nil, "datagram \(id)")
        }
        // A ninth datagram takes the slot of the oldest (id 1): a burst of never-completed
        // first fragments cannot block new datagrams for a whole timeout.
        try expect(insert(&reassembler, data, 0, 8, id: 9) == nil, "ninth")
        try expectEqual(reassembler.statistics.outOfSlots, 1, "evicted")
        try expectEqual(reassembler.datagramsHeld, 8, "held")
        try expectDatagram(insert(&reassembler, data, 8, 16, id: 4), data, "a held one completes")
        try expectDatagram(insert(&reassembler, data, 8, 16, id: 9), data, "the newcomer completes")
        try expect(insert(&reassembler, data, 8, 16, id: 1) == nil, "the evicted one lost its first half")
        try expectEqual(reassembler.datagramsHeld, 7, "held after")
        try expectEqual(reassembler.statistics.outOfSlots, 1, "no further eviction with free slots")
    }
    suite.test("reassembly.datagrams-over-65535-bytes-are-dropped") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler()
        let data = pattern(16)
        try expect(insert(&reassembler, data, 0, 8, last: false) == nil, "first")
        // Offset 65512 (the largest the 13-bit field holds) + 8 bytes + 20 header = 65540 > 65535.
        let header = fragmentHeader(id: 1, start: 65512, end: 65520, last: true)
        let none = data.withUnsafeBytes { bytes in
            reassembler.insert(header: header, payload: UnsafeRawBufferPointer(rebasing: bytes[0..<8]), now: origin)
        }
        try expect(none == nil, "ping of death")
        try expectEqual(reassembler.statistics.tooLong, 1, "too long")
        try expectEqual(reassembler.datagramsHeld, 0, "its datagram dropped")
        // Exactly 65535 is fine: 65512 + 3 + 20.
        let fits = fragmentHeader(id: 2, start: 65512, end: 65515, last: true)
        _ = data.withUnsafeBytes { bytes in
            reassembler.insert(header: fits, payload: UnsafeRawBufferPointer(rebasing: bytes[0..<3]), now: origin)
        }
        try expectEqual(reassembler.statistics.tooLong, 1, "65535 is not too long")
        try expectEqual(reassembler.datagramsHeld, 1, "held")
        // A lower configured maximum.
        var small = IPv4Reassembler(limits: .init(maximumDatagramLength: 1500))
        try expect(insert(&small, pattern(1488), 1480, 1488) == nil, "1508 bytes")
        try expectEqual(small.statistics.tooLong, 1, "too long for 1500")
    }
    suite.test("reassembly.malformed-fragments-are-counted") { () throws(TestFailure) in
        var reassembler = IPv4Reassembler()
        let data = pattern(64)
        try expect(insert(&reassembler, data, 0, 12, last: false) == nil, "12 bytes with MF")
        try expect(insert(&reassembler, data, 8, 8, last: false) == nil, "empty with MF")
        try expectEqual(reassembler.statistics.malformed, 2, "non-multiple of 8 and empty")
        try expectEqual(reassembler.datagramsHeld, 0, "nothing held for them")
        try expect(insert(&reassembler, data, 32, 64) == nil, "last ends at 64")
        try expect(insert(&reassembler, data, 40, 56, last: true) == nil, "another last ends at 56")
        try expectEqual(reassembler.statistics.malformed, 3, "two ends")
        try expectEqual(reassembler.datagramsHeld, 0, "dropped")
        try expect(insert(&reassembler, data, 8, 48, last: true) == nil, "last at 48")
        try expect(insert(&reassembler, data, 48, 64, last: false) == nil, "bytes after the end")
        try expectEqual(reassembler.statistics.malformed, 4, "bytes after the end")
        try expect(insert(&reassembler, data, 32, 64, last: false) == nil, "held up to 64")
        try expect(insert(&reassembler, data, 8, 48, last: true) == nil, "then an end at 48")
        try expectEqual(reassembler.statistics.malformed, 5, "end before held bytes")
        try expectEqual(reassembler.bytesHeld, 0, "nothing held")
        try expectEqual(
            reassembler.statistics.description,
            "reassembled=0 duplicates=0 overlaps=0 malformed=5 too-long=0 out-of-memory=0 out-of-slots=0 timed-out=0",
            "description")
    }
}
