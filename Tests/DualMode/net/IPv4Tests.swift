/// IPv4 (Sources/Net/Wire/IPv4.swift): captured datagrams with and without options, a fragment, and every way the
/// lengths can lie.
import Net
import Runtime

/// scapy: Ether(02:00:00:00:00:02 <- 52:54:00:12:34:56)/IP(10.0.0.1 -> 10.0.0.2, id 0x1234, DF, ttl 64)
/// /ICMP(echo-request id 0x4242 seq 1)/"swiftlet-ping!!!": IP checksum 0x149b, ICMP checksum 0xdfdc.
let pingFrame: [UInt8] = [
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01,
    0x14, 0x9b, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x08, 0x00,
    0xdf, 0xdc, 0x42, 0x42, 0x00, 0x01, 0x73, 0x77, 0x69, 0x66, 0x74, 0x6c,
    0x65, 0x74, 0x2d, 0x70, 0x69, 0x6e, 0x67, 0x21, 0x21, 0x21,
]
let pingDatagram = Array(pingFrame[14...])

/// scapy: IP(192.168.1.10 -> 224.0.0.22, ttl 1, id 0xabcd, Router Alert option)/UDP(5353 -> 5353)/"opt":
/// IHL 6, IP checksum 0xd72f, UDP checksum 0x50cc.
let routerAlertDatagram: [UInt8] = [
    0x46, 0x00, 0x00, 0x23, 0xab, 0xcd, 0x00, 0x00, 0x01, 0x11, 0xd7, 0x2f,
    0xc0, 0xa8, 0x01, 0x0a, 0xe0, 0x00, 0x00, 0x16, 0x94, 0x04, 0x00, 0x00,
    0x14, 0xe9, 0x14, 0xe9, 0x00, 0x0b, 0x50, 0xcc, 0x6f, 0x70, 0x74,
]

/// scapy: IP(10.0.0.1 -> 10.0.0.2, tos 0xb9, id 99, MF, frag 185, ttl 3, proto 0)/"12345678": checksum 0x820b.
private let fragmentDatagram: [UInt8] = [
    0x45, 0xb9, 0x00, 0x1c, 0x00, 0x63, 0x20, 0xb9, 0x03, 0x00, 0x82, 0x0b,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x31, 0x32, 0x33, 0x34,
    0x35, 0x36, 0x37, 0x38,
]

private let pingHeader = IPv4Header(
    source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2), nextProtocol: .icmp, payloadLength: 24,
    timeToLive: 64, identification: 0x1234, dontFragment: true)

private func parseIPv4(_ bytes: UnsafeMutableRawBufferPointer) throws(WireError) -> IPv4Header {
    try IPv4Header(parsing: try IPv4Packet(checking: bytes))
}

/// Fails unless `bytes` with `change` applied is rejected by the IPv4 parser.
private func expectRejected(
    _ bytes: [UInt8], _ what: String, _ change: (inout [UInt8]) -> Void
) throws(TestFailure) {
    var changed = bytes
    change(&changed)
    try withBytes(changed) { (raw) throws(TestFailure) in
        try reject(what) { () throws(WireError) in try parseIPv4(raw) }
    }
}

func registerIPv4Tests(_ suite: inout TestSuite) {
    suite.test("ipv4.deconstruct-captured-datagram") { () throws(TestFailure) in
        try withBytes(pingDatagram) { (bytes) throws(TestFailure) in
            let packet = try accept("datagram") { () throws(WireError) in try IPv4Packet(checking: bytes) }
            try expectEqual(packet.version, 4, "version")
            try expectEqual(packet.headerLength, 20, "header length")
            try expectEqual(packet.dscp, 0, "dscp")
            try expectEqual(packet.ecn, 0, "ecn")
            try expectEqual(packet.totalLength, 44, "total length")
            try expectEqual(packet.identification, 0x1234, "identification")
            try expect(packet.dontFragment && !packet.moreFragments, "DF only")
            try expectEqual(packet.fragmentOffset, 0, "fragment offset")
            try expectEqual(packet.timeToLive, 64, "ttl")
            try expectEqual(packet.nextProtocol, IPProtocol.icmp, "protocol")
            try expectHex(packet.headerChecksum, 0x149b, "checksum")
            try expectEqual(packet.sourceAddress, IPv4Address(10, 0, 0, 1), "source")
            try expectEqual(packet.destinationAddress, IPv4Address(10, 0, 0, 2), "destination")
            try expect(packet.verifyChecksum(), "checksum verifies")
            try expectEqual(packet.options.count, 0, "no options")
            try expectEqual(packet.payload.count, 24, "payload length")
            try expectEqual(packet.payload[0], 0x08, "payload starts with the ICMP type")
        }
    }
    suite.test("ipv4.construct-with-setters") { () throws(TestFailure) in
        var bytes = [UInt8](repeating: 0xEE, count: 44)
        for index in 20..<44 { bytes[index] = pingDatagram[index] }
        try withBytes(bytes) { (raw) throws(TestFailure) in
            let packet = IPv4Packet(unchecked: raw)
            packet.version = 4
            packet.headerLength = 20
            packet.dscp = 0
            packet.ecn = 0
            packet.totalLength = 44
            packet.identification = 0x1234
            packet.clearFlags()
            packet.dontFragment = true
            packet.moreFragments = false
            packet.fragmentOffset = 0
            packet.timeToLive = 64
            packet.nextProtocol = .icmp
            packet.sourceAddress = IPv4Address(10, 0, 0, 1)
            packet.destinationAddress = IPv4Address(10, 0, 0, 2)
            packet.fillChecksum()
            try expectBytes(array(raw), pingDatagram, "datagram")
        }
    }
    suite.test("ipv4.parse-captured-datagram") { () throws(TestFailure) in
        let header = try withBytes(pingDatagram) { (bytes) throws(TestFailure) in
            try accept("datagram") { () throws(WireError) in try parseIPv4(bytes) }
        }
        try expectEqual(header, pingHeader, "header")
        try expectEqual(
            header.description, "IPv4 src=10.0.0.1 dst=10.0.0.2 proto=ICMP len=24 ttl=64 id=4660 DF", "description")
    }
    suite.test("ipv4.emit-equals-capture") { () throws(TestFailure) in
        var buffer = PacketBuffer(Array(pingDatagram[20...]), headroom: 20)
        buffer.prepend(pingHeader.headerLength) { bytes in pingHeader.emit(into: IPv4Packet(unchecked: bytes)) }
        try expectBytes(array(buffer), pingDatagram, "datagram")
    }
    suite.test("ipv4.every-truncation-is-rejected") { () throws(TestFailure) in
        try expectEveryTruncationRejected(pingDatagram) { (bytes) throws(WireError) in _ = try parseIPv4(bytes) }
        try expectEveryTruncationRejected(routerAlertDatagram) { (bytes) throws(WireError) in
            _ = try parseIPv4(bytes)
        }
    }
    suite.test("ipv4.malformed-lengths-and-versions-are-rejected") { () throws(TestFailure) in
        for ihl: UInt8 in 0...4 {
            try expectRejected(pingDatagram, "IHL \(ihl)") { $0[0] = 0x40 | ihl }
        }
        try expectRejected(pingDatagram, "IHL 12 (48 bytes) in a 44-byte buffer") { $0[0] = 0x4c }
        try expectRejected(pingDatagram, "IHL 15 beyond the buffer") { $0[0] = 0x4f }
        try expectRejected(pingDatagram, "total length 45 > buffer") { $0[3] = 45 }
        try expectRejected(pingDatagram, "total length 0xffff") {
            $0[2] = 0xff
            $0[3] = 0xff
        }
        try expectRejected(pingDatagram, "total length 19 < header") { $0[3] = 19 }
        try expectRejected(routerAlertDatagram, "total length 22 < IHL 24") { $0[3] = 22 }
        try expectRejected(pingDatagram, "version 6") { $0[0] = 0x65 }
        try expectRejected(pingDatagram, "version 0") { $0[0] = 0x05 }
        try expectRejected(pingDatagram, "bad checksum") { $0[11] ^= 1 }
        try expectRejected(pingDatagram, "changed address under the checksum") { $0[19] = 3 }
    }
    suite.test("ipv4.options-are-skipped-by-ihl") { () throws(TestFailure) in
        try withBytes(routerAlertDatagram) { (bytes) throws(TestFailure) in
            let packet = try accept("datagram") { () throws(WireError) in try IPv4Packet(checking: bytes) }
            try expectEqual(packet.headerLength, 24, "header length")
            try expectBytes(array(packet.options), [0x94, 0x04, 0x00, 0x00], "options")
            try expectBytes(array(packet.payload), Array(routerAlertDatagram[24...]), "payload")
            let header = try accept("header") { () throws(WireError) in try IPv4Header(parsing: packet) }
            try expectEqual(header.payloadLength, 11, "payload length")
            try expectEqual(header.destination, IPv4Address(224, 0, 0, 22), "destination")
            try expectEqual(header.nextProtocol, IPProtocol.udp, "protocol")
            try expectEqual(header.timeToLive, 1, "ttl")
        }
    }
    suite.test("ipv4.flags-and-fragment-offset-of-a-fragment") { () throws(TestFailure) in
        let header = try withBytes(fragmentDatagram) { (bytes) throws(TestFailure) in
            try accept("fragment") { () throws(WireError) in try parseIPv4(bytes) }
        }
        try expect(header.moreFragments && !header.dontFragment, "MF only")
        try expectEqual(header.fragmentOffset, 1480, "offset in bytes")
        try expectEqual(header.dscp, 46, "dscp (EF)")
        try expectEqual(header.ecn, 1, "ecn")
        try expectEqual(header.nextProtocol, IPProtocol.unknown(0), "protocol 0")
        try expectEqual(header.identification, 99, "identification")
        try expectEqual(
            header.description, "IPv4 src=10.0.0.1 dst=10.0.0.2 proto=0x00 len=8 ttl=3 id=99 MF off=1480",
            "description")
        var buffer = PacketBuffer(Array(fragmentDatagram[20...]), headroom: 20)
        buffer.prepend(20) { bytes in header.emit(into: IPv4Packet(unchecked: bytes)) }
        try expectBytes(array(buffer), fragmentDatagram, "re-emitted fragment")
    }
    suite.test("ipv4.link-padding-after-total-length-is-ignored") { () throws(TestFailure) in
        // A 28-byte datagram in a minimum 60-byte Ethernet frame arrives with 18 bytes of padding.
        let padded = fragmentDatagram + [UInt8](repeating: 0xA5, count: 18)
        try withBytes(padded) { (bytes) throws(TestFailure) in
            let packet = try accept("padded") { () throws(WireError) in try IPv4Packet(checking: bytes) }
            try expectBytes(array(packet.payload), Array(fragmentDatagram[20...]), "payload stops at total length")
        }
    }
    suite.test("ipv4.setters-cannot-push-accessors-out-of-bounds") { () throws(TestFailure) in
        try withBytes(pingDatagram) { (full) throws(TestFailure) in
            // A view of the first 24 bytes of a bigger buffer: reading past 24 would find real data.
            let bytes = UnsafeMutableRawBufferPointer(rebasing: full[0..<24])
            let packet = IPv4Packet(unchecked: bytes)
            packet.headerLength = 60
            packet.totalLength = 0xFFFF
            try expectEqual(packet.options.count, 4, "options clamp to the buffer")
            try expectEqual(packet.payload.count, 0, "payload clamps to the buffer")
            try expect(!packet.verifyChecksum(), "checksum over the clamped header")
            packet.headerLength = 0
            try expectEqual(packet.options.count, 0, "options with IHL 0")
            try expectEqual(packet.payload.count, 24, "payload with IHL 0 stops at the buffer")
        }
    }
    suite.faultTest("ipv4.unchecked-view-of-a-short-buffer-traps", expecting: ExitStatus.cpuTrap) {
        var buffer = PacketBuffer(Array(pingDatagram[0..<19]))
        buffer.withUnsafeMutableReadableBytes { bytes in
            let packet = IPv4Packet(unchecked: bytes)
            print("built a view of \(packet.bytes.count) bytes, TTL \(packet.timeToLive)")
        }
    }
    suite.test("ipv4.unknown-protocol-round-trips") { () throws(TestFailure) in
        for raw: UInt8 in [0, 1, 2, 6, 17, 41, 58, 132, 255] {
            try expectEqual(IPProtocol(rawValue: raw).rawValue, raw, "round trip of \(raw)")
        }
        try expectEqual(IPProtocol(rawValue: 132), IPProtocol.unknown(132), "SCTP is unknown")
        try expectEqual(IPProtocol.unknown(132).description, "0x84", "description")
        try expectEqual(IPProtocol(rawValue: 17), IPProtocol.udp, "UDP")
        try expectEqual(IPProtocol(rawValue: 6).description, "TCP", "TCP description")
    }
}
