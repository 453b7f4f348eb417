/// TCP wire format (Sources/Net/Wire/TCP.swift): scapy vectors with every option, construct and emit equal to the
/// capture, unknown options skipped, malformed option lengths and data offsets rejected, every truncation rejected.
import Net
import Runtime

/// scapy: IP(10.0.0.2 -> 10.0.0.3, id 1)/TCP(49152 -> 80, seq 0x01020304, S, win 65535, options MSS 1460, NOP,
/// WScale 7, NOP NOP SAckOK, NOP NOP Timestamp(0x11223344, 0)): IP checksum 0x66b3, TCP checksum 0x1939.
let synDatagram: [UInt8] = [
    0x45, 0x00, 0x00, 0x40, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x66, 0xb3,
    0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x03, 0xc0, 0x00, 0x00, 0x50,
    0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0xb0, 0x02, 0xff, 0xff,
    0x19, 0x39, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07,
    0x01, 0x01, 0x04, 0x02, 0x01, 0x01, 0x08, 0x0a, 0x11, 0x22, 0x33, 0x44,
    0x00, 0x00, 0x00, 0x00,
]

/// scapy: IP(10.0.0.3 -> 10.0.0.2, id 2)/TCP(80 -> 49152, seq 1000, ack 2000, PA, win 512, options NOP NOP
/// Timestamp(5, 6), NOP NOP SAck(3000, 4000, 5000, 6000))/"hi!": IP checksum 0x66a7, TCP checksum 0x6eb9.
let sackDatagram: [UInt8] = [
    0x45, 0x00, 0x00, 0x4b, 0x00, 0x02, 0x00, 0x00, 0x40, 0x06, 0x66, 0xa7,
    0x0a, 0x00, 0x00, 0x03, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x50, 0xc0, 0x00,
    0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, 0xd0, 0x18, 0x02, 0x00,
    0x6e, 0xb9, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x05,
    0x00, 0x00, 0x00, 0x06, 0x01, 0x01, 0x05, 0x12, 0x00, 0x00, 0x0b, 0xb8,
    0x00, 0x00, 0x0f, 0xa0, 0x00, 0x00, 0x13, 0x88, 0x00, 0x00, 0x17, 0x70,
    0x68, 0x69, 0x21,
]

private let client = ip("10.0.0.2")
private let server = ip("10.0.0.3")
private let synSegment = Array(synDatagram[20...])
private let sackSegment = Array(sackDatagram[20...])

/// IPv4 then TCP, with the addresses from the IP header.
private func parseDatagram(_ bytes: UnsafeMutableRawBufferPointer) throws(WireError) -> TCPHeader {
    let datagram = try IPv4Packet(checking: bytes)
    let header = try IPv4Header(parsing: datagram)
    guard header.nextProtocol == .tcp else { throw WireError() }
    return try TCPHeader(
        parsing: try TCPPacket(checking: datagram.payload), source: header.source, destination: header.destination)
}

/// A segment's bytes from `source` to `destination`, parsed with checksum verification off.
private func parseSegment(_ bytes: UnsafeMutableRawBufferPointer) throws(WireError) -> TCPHeader {
    try TCPHeader(
        parsing: try TCPPacket(checking: bytes), source: client, destination: server, verifyingChecksum: false)
}

/// The SYN's fixed header followed by `options` (padded by the caller to a multiple of 4), data offset to match.
private func synWithOptions(_ options: [UInt8]) -> [UInt8] {
    var bytes = Array(synSegment[0..<20]) + options
    bytes[12] = UInt8((20 + options.count) / 4) << 4
    return bytes
}

private func expectRejected(_ bytes: [UInt8], _ what: String) throws(TestFailure) {
    try withBytes(bytes) { (raw) throws(TestFailure) in
        try reject(what) { () throws(WireError) in try parseSegment(raw) }
    }
}

private func emit(_ header: TCPHeader, payload: [UInt8], source: IPv4Address, destination: IPv4Address) -> [UInt8] {
    var buffer = PacketBuffer(capacity: 60 + payload.count, headroom: 60)
    payload.withUnsafeBytes { raw in buffer.writeBytes(raw) }
    buffer.prepend(header.headerLength) { _ in }
    buffer.withUnsafeMutableReadableBytes { bytes in
        header.emit(into: TCPPacket(unchecked: bytes), source: source, destination: destination)
    }
    return buffer.withUnsafeReadableBytes { Array($0) }
}

private let synHeader: TCPHeader = {
    var options = TCPOptions()
    options.maximumSegmentSize = 1460
    options.windowScale = 7
    options.sackPermitted = true
    options.timestamps = TCPTimestamps(value: 0x1122_3344, echoReply: 0)
    return TCPHeader(
        sourcePort: 49152, destinationPort: 80, sequenceNumber: 0x0102_0304, flags: [.syn], window: 65535,
        options: options)
}()

private let sackHeader: TCPHeader = {
    var options = TCPOptions()
    options.timestamps = TCPTimestamps(value: 5, echoReply: 6)
    options.sackBlocks = [TCPSACKBlock(left: 3000, right: 4000), TCPSACKBlock(left: 5000, right: 6000)]
    return TCPHeader(
        sourcePort: 80, destinationPort: 49152, sequenceNumber: 1000, acknowledgmentNumber: 2000,
        flags: [.psh, .ack], window: 512, options: options, payloadLength: 3)
}()

func registerWireTests(_ suite: inout TestSuite) {
    suite.test("wire.deconstruct-captured-syn-with-every-option") { () throws(TestFailure) in
        try withBytes(synSegment) { (bytes) throws(TestFailure) in
            let packet = try accept("syn") { () throws(WireError) in try TCPPacket(checking: bytes) }
            try expectEqual(packet.sourcePort, 49152, "source port")
            try expectEqual(packet.destinationPort, 80, "destination port")
            try expectEqual(packet.sequenceNumber, 0x0102_0304, "seq")
            try expectEqual(packet.acknowledgmentNumber, 0, "ack")
            try expectEqual(packet.headerLength, 44, "header length")
            try expectEqual(packet.flags, [.syn], "flags")
            try expectEqual(packet.window, 65535, "window")
            try expectEqual(packet.checksum, 0x1939, "checksum")
            try expectEqual(packet.options.count, 24, "options area")
            try expectEqual(packet.payload.count, 0, "no payload")
            try expect(packet.verifyChecksum(source: client, destination: server), "checksum verifies")
            try expect(!packet.verifyChecksum(source: ip("10.0.0.4"), destination: server), "wrong pseudo-header fails")
        }
    }
    suite.test("wire.parse-captured-syn-and-sack-segments") { () throws(TestFailure) in
        let syn = try withBytes(synDatagram) { (bytes) throws(TestFailure) in
            try accept("syn") { () throws(WireError) in try parseDatagram(bytes) }
        }
        try expectEqual(syn, synHeader, "syn header")
        try expectEqual(
            syn.description,
            "TCP 49152 > 80 [S] seq=16909060 win=65535 len=0 mss=1460 wscale=7 sackOK ts=287454020/0",
            "syn description")
        let sack = try withBytes(sackDatagram) { (bytes) throws(TestFailure) in
            try accept("sack") { () throws(WireError) in try parseDatagram(bytes) }
        }
        try expectEqual(sack, sackHeader, "sack header")
        try expectEqual(
            sack.description,
            "TCP 80 > 49152 [P.] seq=1000 ack=2000 win=512 len=3 ts=5/6 sack=[3000,4000][5000,6000]",
            "sack description")
    }
    suite.test("wire.emit-equals-capture") { () throws(TestFailure) in
        try expectBytes(emit(synHeader, payload: [], source: client, destination: server), synSegment, "syn")
        try expectBytes(
            emit(sackHeader, payload: Array("hi!".utf8), source: server, destination: client), sackSegment, "sack")
    }
    suite.test("wire.construct-with-setters") { () throws(TestFailure) in
        try withBytes([UInt8](repeating: 0xEE, count: 24) + Array("hi!".utf8)) { (bytes) throws(TestFailure) in
            let packet = TCPPacket(unchecked: bytes)
            packet.sourcePort = 80
            packet.destinationPort = 49152
            packet.sequenceNumber = 1000
            packet.acknowledgmentNumber = 2000
            packet.headerLength = 24
            packet.flags = [.psh, .ack]
            packet.window = 512
            packet.urgentPointer = 0
            packet.options.copyBytes(from: [1, 1, 1, 0])
            packet.fillChecksum(source: server, destination: client)
            try expect(packet.verifyChecksum(source: server, destination: client), "checksum verifies")
            try expectEqual(bytes[12], 0x60, "data offset 6, reserved bits clear")
            let header = try accept("parse") { () throws(WireError) in
                try TCPHeader(parsing: packet, source: server, destination: client)
            }
            try expectEqual(header.options, TCPOptions(), "NOPs and EOL are no options")
            try expectEqual(header.payloadLength, 3, "payload")
        }
    }
    suite.test("wire.unknown-options-are-skipped-by-length") { () throws(TestFailure) in
        // Kind 30 (MPTCP) of length 6, kind 254 (experimental) of length 2, then MSS, EOL and junk after it.
        let bytes = synWithOptions([30, 6, 1, 2, 3, 4, 254, 2, 2, 4, 0x05, 0xb4, 0, 9, 9, 9])
        let header = try withBytes(bytes) { (raw) throws(TestFailure) in
            try accept("unknown kinds") { () throws(WireError) in try parseSegment(raw) }
        }
        try expect(header.options.maximumSegmentSize == 1460, "MSS after unknown options")
        try expect(header.options.timestamps == nil && !header.options.sackPermitted, "nothing else")
    }
    suite.test("wire.malformed-option-lengths-are-rejected") { () throws(TestFailure) in
        let cases: [(String, [UInt8])] = [
            ("length 0", [30, 0, 1, 1]),
            ("length 1", [30, 1, 1, 1]),
            ("kind without length at the end", [1, 1, 1, 30]),
            ("length past the area", [30, 8, 1, 1]),
            ("MSS length 3", [2, 3, 5, 1]),
            ("MSS length 5", [2, 5, 5, 0xb4, 0, 0, 0, 0]),
            ("window scale length 4", [3, 4, 7, 0]),
            ("SACK-permitted length 3", [4, 3, 0, 0]),
            ("SACK length 2", [5, 2, 0, 0]),
            ("SACK length 9", [5, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ("SACK of 5 blocks", [5, 42] + [UInt8](repeating: 0, count: 40)),
            ("timestamps length 8", [8, 8, 0, 0, 0, 0, 0, 0]),
        ]
        for (what, options) in cases {
            var padded = options
            while padded.count % 4 != 0 { padded.append(0) }
            if padded.count > 40 {
                // No room in a real header: check the options parser alone.
                try withBytes(padded) { (raw) throws(TestFailure) in
                    try reject(what) { () throws(WireError) in try TCPOptions(parsing: UnsafeRawBufferPointer(raw)) }
                }
                continue
            }
            try expectRejected(synWithOptions(padded), what)
        }
        // Four SACK blocks (34 bytes) are the most that fit, and legal.
        var four = [UInt8]([1, 1, 5, 34]) + [UInt8](repeating: 0, count: 32)
        four[4 + 3] = 1
        let header = try withBytes(synWithOptions(four)) { (raw) throws(TestFailure) in
            try accept("4 SACK blocks") { () throws(WireError) in try parseSegment(raw) }
        }
        try expectEqual(header.options.sackBlocks.count, 4, "blocks")
    }
    suite.test("wire.bad-data-offsets-and-ports-are-rejected") { () throws(TestFailure) in
        for offset: UInt8 in [0, 1, 4] {
            var bytes = synSegment
            bytes[12] = offset << 4
            try expectRejected(bytes, "data offset \(offset)")
        }
        var beyond = Array(synSegment[0..<40])
        beyond[12] = 11 << 4
        try expectRejected(beyond, "data offset past the buffer")
        var zeroPort = synSegment
        zeroPort[2] = 0
        zeroPort[3] = 0
        try expectRejected(zeroPort, "destination port 0")
        var corrupted = synDatagram
        corrupted[30] ^= 0x01
        try withBytes(corrupted) { (raw) throws(TestFailure) in
            try reject("bad checksum") { () throws(WireError) in try parseDatagram(raw) }
        }
    }
    suite.test("wire.every-truncation-is-rejected") { () throws(TestFailure) in
        // Each prefix is a view into the whole segment, so an out-of-bounds read would find valid bytes and accept.
        for segment in [synSegment, sackSegment] {
            try withBytes(segment) { (full) throws(TestFailure) in
                let headerLength = Int(full[12] >> 4) * 4
                for length in 0..<headerLength {
                    let prefix = UnsafeMutableRawBufferPointer(rebasing: full[0..<length])
                    try reject("prefix of \(length)") { () throws(WireError) in try parseSegment(prefix) }
                }
                for length in headerLength...full.count {
                    let prefix = UnsafeMutableRawBufferPointer(rebasing: full[0..<length])
                    let header = try accept("prefix of \(length)") { () throws(WireError) in
                        try parseSegment(prefix)
                    }
                    try expectEqual(header.payloadLength, length - headerLength, "payload of prefix \(length)")
                }
            }
        }
    }
    suite.test("wire.options-emit-and-parse-round-trip") { () throws(TestFailure) in
        var options = TCPOptions()
        options.maximumSegmentSize = 536
        options.windowScale = 14
        options.sackPermitted = true
        try roundTrip(options)
        var sack = TCPOptions()
        sack.sackBlocks = (0..<4).map { TCPSACKBlock(left: UInt32($0) * 100, right: UInt32($0) * 100 + 50) }
        try roundTrip(sack)
        try roundTrip(TCPOptions())
    }
}

private func roundTrip(_ options: TCPOptions) throws(TestFailure) {
    var bytes = [UInt8](repeating: 0xFF, count: options.encodedLength)
    bytes.withUnsafeMutableBytes { raw in options.emit(into: raw) }
    try expectEqual(bytes.count % 4, 0, "padded")
    let parsed = try withBytes(bytes) { (raw) throws(TestFailure) in
        try accept("round trip") { () throws(WireError) in try TCPOptions(parsing: UnsafeRawBufferPointer(raw)) }
    }
    try expectEqual(parsed, options, "options")
}
