/// IPv4 fragmentation (Sources/Net/Protocols/IPv4Fragmenter.swift): sizes, offsets and flags against scapy's
/// `fragment()`, and round trips through the reassembler over the checked parse path.
import Net
import Runtime

private let me = IPv4Address(10, 0, 0, 2)
private let peer = IPv4Address(10, 0, 0, 1)

/// scapy: fragment(IP(10.0.0.2 -> 10.0.0.1, id 0x04d2, ttl 64)/ICMP(echo-reply id 0x4242 seq 1)/2992 bytes,
/// fragsize=1480): the three fragments' 20-byte headers (1500, 1500 and 60 bytes long).
private let scapyFragmentHeaders: [[UInt8]] = [
    [
        0x45, 0x00, 0x05, 0xdc, 0x04, 0xd2, 0x20, 0x00, 0x40, 0x01, 0x3c, 0x4d,
        0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01,
    ],
    [
        0x45, 0x00, 0x05, 0xdc, 0x04, 0xd2, 0x20, 0xb9, 0x40, 0x01, 0x3b, 0x94,
        0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01,
    ],
    [
        0x45, 0x00, 0x00, 0x3c, 0x04, 0xd2, 0x01, 0x72, 0x40, 0x01, 0x60, 0x7b,
        0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01,
    ],
]

/// The 3000-byte echo reply of the scapy vector: ICMP header (checksum 0x7587) and the data pattern.
private func echoReply() -> [UInt8] {
    var bytes: [UInt8] = [0x00, 0x00, 0x75, 0x87, 0x42, 0x42, 0x00, 0x01]
    for index in 0..<2992 { bytes.append(UInt8(truncatingIfNeeded: index &* 7 &+ 3)) }
    return bytes
}

private func replyHeader(length: Int, dontFragment: Bool = false) -> IPv4Header {
    IPv4Header(
        source: me, destination: peer, nextProtocol: .icmp, payloadLength: length, timeToLive: 64,
        identification: 0x04d2, dontFragment: dontFragment)
}

/// Emits every fragment as a whole IPv4 datagram (header + payload slice), as the interface would.
private func emitFragments(_ fragmenter: IPv4Fragmenter, _ payload: [UInt8]) -> [[UInt8]] {
    var datagrams: [[UInt8]] = []
    for fragment in fragmenter {
        var buffer = PacketBuffer(capacity: fragment.header.totalLength, headroom: fragment.header.headerLength)
        payload.withUnsafeBytes { bytes in
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[fragment.payloadRange]))
        }
        buffer.prepend(fragment.header.headerLength) { bytes in
            fragment.header.emit(into: IPv4Packet(unchecked: bytes))
        }
        datagrams.append(array(buffer))
    }
    return datagrams
}

/// Parses each datagram through the checked path and feeds it to a reassembler; returns what completed.
private func reassembleParsed(
    _ datagrams: [[UInt8]], _ reassembler: inout IPv4Reassembler
) throws(TestFailure) -> ReassembledDatagram? {
    var result: ReassembledDatagram?
    for (index, datagram) in datagrams.enumerated() {
        var buffer = PacketBuffer(datagram)
        let done = try buffer.withUnsafeMutableReadableBytes { (bytes) throws(TestFailure) in
            let packet = try accept("fragment \(index)") { () throws(WireError) in try IPv4Packet(checking: bytes) }
            let header = try accept("fragment \(index) header") { () throws(WireError) in
                try IPv4Header(parsing: packet)
            }
            return reassembler.insert(header: header, payload: UnsafeRawBufferPointer(packet.payload), now: origin)
        }
        if let done {
            try expect(result == nil, "completed twice")
            result = done
        }
    }
    return result
}

func registerFragmenterTests(_ suite: inout TestSuite) {
    suite.test("fragmenter.3000-byte-echo-reply-over-1500-matches-scapy") { () throws(TestFailure) in
        let payload = echoReply()
        guard let fragmenter = IPv4Fragmenter(header: replyHeader(length: payload.count), mtu: 1500) else {
            throw TestFailure("no fragmenter")
        }
        try expectEqual(fragmenter.count, 3, "count")
        try expectEqual(fragmenter.fragmentPayloadLength, 1480, "fragment payload length")
        let datagrams = emitFragments(fragmenter, payload)
        try expectEqual(datagrams.count, 3, "datagrams")
        for index in 0..<3 {
            try expectBytes(Array(datagrams[index][0..<20]), scapyFragmentHeaders[index], "header \(index)")
        }
        try expectElements(datagrams.map { $0.count }, [1500, 1500, 60], "sizes")
        let offsets = fragmenter.map { $0.header.fragmentOffset }
        try expectElements(offsets, [0, 1480, 2960], "offsets")
        try expectElements(fragmenter.map { $0.header.moreFragments }, [true, true, false], "MF")
        try expectEqual(
            fragmenter.fragment(at: 1).description,
            "fragment 1480..<2960: IPv4 src=10.0.0.2 dst=10.0.0.1 proto=ICMP len=1480 ttl=64 id=1234 MF off=1480",
            "description")
    }
    suite.test("fragmenter.round-trips-through-the-reassembler-at-many-mtus") { () throws(TestFailure) in
        let payload = echoReply()
        for mtu in [68, 69, 75, 76, 100, 576, 1000, 1280, 1499, 1500, 3019, 3020, 9000] {
            guard let fragmenter = IPv4Fragmenter(header: replyHeader(length: payload.count), mtu: mtu) else {
                throw TestFailure("mtu \(mtu): no fragmenter")
            }
            let datagrams = emitFragments(fragmenter, payload)
            for (index, datagram) in datagrams.enumerated() {
                try expect(datagram.count <= mtu, "mtu \(mtu): fragment \(index) is \(datagram.count) bytes")
                let fragment = fragmenter.fragment(at: index)
                try expect(fragment.header.fragmentOffset % 8 == 0, "mtu \(mtu): offset multiple of 8")
                if index < datagrams.count - 1 {
                    try expect(fragment.payloadRange.count % 8 == 0, "mtu \(mtu): non-last multiple of 8")
                }
            }
            var reassembler = IPv4Reassembler()
            let datagram = try reassembleParsed(datagrams, &reassembler)
            try expectDatagram(datagram, payload, "mtu \(mtu)")
            try expectEqual(datagram!.header, replyHeader(length: payload.count), "mtu \(mtu): header")
            // And the checksum of the reassembled ICMP message still verifies.
            var reply = datagram!.payload
            let ok = reply.withUnsafeMutableReadableBytes { bytes in
                (try? ICMPv4Packet(checking: bytes))?.verifyChecksum() ?? false
            }
            try expect(ok, "mtu \(mtu): ICMP checksum")
        }
    }
    suite.test("fragmenter.datagram-that-fits-is-one-fragment-unchanged") { () throws(TestFailure) in
        let header = replyHeader(length: 1480, dontFragment: true)
        guard let fragmenter = IPv4Fragmenter(header: header, mtu: 1500) else { throw TestFailure("no fragmenter") }
        try expectEqual(fragmenter.count, 1, "count")
        try expectEqual(fragmenter.fragment(at: 0), IPv4Fragment(header: header, payloadRange: 0..<1480), "fragment")
    }
    suite.test("fragmenter.refuses-df-small-mtus-and-oversized-datagrams") { () throws(TestFailure) in
        try expect(IPv4Fragmenter(header: replyHeader(length: 1481, dontFragment: true), mtu: 1500) == nil, "DF")
        try expect(IPv4Fragmenter(header: replyHeader(length: 100), mtu: 67) == nil, "mtu 67")
        try expect(IPv4Fragmenter(header: replyHeader(length: 65516), mtu: 1500) == nil, "65536 bytes")
        try expect(IPv4Fragmenter(header: replyHeader(length: 65515), mtu: 1500) != nil, "65535 bytes")
        let smallest = IPv4Fragmenter(header: replyHeader(length: 100), mtu: 68)!
        try expectEqual(smallest.fragmentPayloadLength, 48, "48 bytes per fragment at mtu 68")
        try expectEqual(smallest.count, 3, "count")
        try expectElements(smallest.map { $0.payloadRange.count }, [48, 48, 4], "sizes")
    }
    suite.test("fragmenter.fragment-of-a-fragment-keeps-offset-and-mf") { () throws(TestFailure) in
        var header = replyHeader(length: 96)
        header.fragmentOffset = 800
        header.moreFragments = true
        let fragmenter = IPv4Fragmenter(header: header, mtu: 68)!
        try expectElements(fragmenter.map { $0.header.fragmentOffset }, [800, 848], "offsets")
        try expectElements(fragmenter.map { $0.header.moreFragments }, [true, true], "MF stays set")
    }
}
