/// ICMPv4 (Sources/Net/Wire/ICMPv4.swift): a captured echo request, its reply built in place, and the port
/// unreachable and time exceeded errors quoting a captured UDP datagram.
import Net
import Runtime

/// scapy: IP(10.0.0.1 -> 10.0.0.2, id 0, ttl 64)/ICMP(dest-unreach port-unreachable)/<first 28 bytes of
/// udpDatagram>: IP checksum 0x66c3, ICMP checksum 0x33dd.
let portUnreachableDatagram: [UInt8] = [
    0x45, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x66, 0xc3,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x03, 0x03, 0x33, 0xdd,
    0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x2b, 0x00, 0x07, 0x00, 0x00,
    0x40, 0x11, 0x66, 0xb9, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01,
    0xc0, 0x00, 0x00, 0x35, 0x00, 0x17, 0x08, 0xd3,
]

/// scapy: IP(10.0.0.254 -> 10.0.0.2, id 1, ttl 255)/ICMP(time-exceeded ttl-zero-during-transit)/<first 28 bytes
/// of udpDatagram>: IP checksum 0xa6c4, ICMP checksum 0x2be0.
let timeExceededDatagram: [UInt8] = [
    0x45, 0x00, 0x00, 0x38, 0x00, 0x01, 0x00, 0x00, 0xff, 0x01, 0xa6, 0xc4,
    0x0a, 0x00, 0x00, 0xfe, 0x0a, 0x00, 0x00, 0x02, 0x0b, 0x00, 0x2b, 0xe0,
    0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x2b, 0x00, 0x07, 0x00, 0x00,
    0x40, 0x11, 0x66, 0xb9, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01,
    0xc0, 0x00, 0x00, 0x35, 0x00, 0x17, 0x08, 0xd3,
]
private let timeExceededMessage = Array(timeExceededDatagram[20...])

private let pingMessage = Array(pingFrame[34...])
private let pingData = Array("swiftlet-ping!!!".utf8)

/// Ethernet, IPv4, ICMP, as the interface will do it.
private func parsePingFrame(_ bytes: UnsafeMutableRawBufferPointer) throws(WireError) -> ICMPv4Message {
    let frame = try EthernetPacket(checking: bytes)
    let datagram = try IPv4Packet(checking: frame.payload)
    let header = try IPv4Header(parsing: datagram)
    guard header.nextProtocol == .icmp else { throw WireError() }
    return try ICMPv4Message(parsing: try ICMPv4Packet(checking: datagram.payload))
}

private func parseICMP(_ bytes: UnsafeMutableRawBufferPointer) throws(WireError) -> ICMPv4Message {
    try ICMPv4Message(parsing: try ICMPv4Packet(checking: bytes))
}

/// The quoted UDP datagram's IP header, as parsed.
private let quotedHeader = IPv4Header(
    source: IPv4Address(10, 0, 0, 2), destination: IPv4Address(10, 0, 0, 1), nextProtocol: .udp, payloadLength: 23,
    timeToLive: 64, identification: 7, dontFragment: false)

func registerICMPv4Tests(_ suite: inout TestSuite) {
    suite.test("icmpv4.deconstruct-captured-echo-request") { () throws(TestFailure) in
        try withBytes(pingMessage) { (bytes) throws(TestFailure) in
            let packet = try accept("message") { () throws(WireError) in try ICMPv4Packet(checking: bytes) }
            try expectEqual(packet.messageType, ICMPv4Type.echoRequest, "type")
            try expectEqual(packet.code, 0, "code")
            try expectHex(packet.checksum, 0xdfdc, "checksum")
            try expectEqual(packet.echoIdentifier, 0x4242, "identifier")
            try expectEqual(packet.echoSequenceNumber, 1, "sequence number")
            try expectBytes(array(packet.data), pingData, "data")
            try expect(packet.verifyChecksum(), "checksum verifies")
        }
    }
    suite.test("icmpv4.construct-echo-request-with-setters") { () throws(TestFailure) in
        try withBytes([UInt8](repeating: 0x55, count: 8) + pingData) { (bytes) throws(TestFailure) in
            let packet = ICMPv4Packet(unchecked: bytes)
            packet.messageType = .echoRequest
            packet.code = 0
            packet.echoIdentifier = 0x4242
            packet.echoSequenceNumber = 1
            packet.fillChecksum()
            try expectBytes(array(bytes), pingMessage, "message")
        }
    }
    suite.test("icmpv4.parse-captured-ping-frame") { () throws(TestFailure) in
        try withBytes(pingFrame) { (bytes) throws(TestFailure) in
            let message = try accept("frame") { () throws(WireError) in try parsePingFrame(bytes) }
            guard case .echoRequest(let identifier, let sequenceNumber, let data) = message else {
                throw TestFailure("not an echo request: \(message)")
            }
            try expectEqual(identifier, 0x4242, "identifier")
            try expectEqual(sequenceNumber, 1, "sequence number")
            try expectBytes(Array(data), pingData, "data")
            try expectEqual(message.description, "ICMPv4 echo request id=16962 seq=1 len=16", "description")
        }
    }
    suite.test("icmpv4.echo-reply-emitted-over-its-request-has-the-known-checksum") { () throws(TestFailure) in
        try withBytes(pingMessage) { (bytes) throws(TestFailure) in
            let request = try accept("request") { () throws(WireError) in try parseICMP(bytes) }
            guard case .echoRequest(let identifier, let sequenceNumber, let data) = request else {
                throw TestFailure("not an echo request")
            }
            let reply = ICMPv4Message.echoReply(identifier: identifier, sequenceNumber: sequenceNumber, data: data)
            try expectEqual(reply.length, 24, "length")
            reply.emit(into: ICMPv4Packet(unchecked: bytes))
            try expectEqual(bytes[0], 0, "type")
            try expectHex(ICMPv4Packet(unchecked: bytes).checksum, 0xe7dc, "checksum (scapy)")
            try expectBytes(Array(array(bytes)[8...]), pingData, "data kept")
            let parsed = try accept("reply") { () throws(WireError) in try parseICMP(bytes) }
            try expectEqual(parsed, reply, "parsed reply")
        }
    }
    suite.test("icmpv4.every-truncation-of-the-ping-frame-is-rejected") { () throws(TestFailure) in
        try expectEveryTruncationRejected(pingFrame) { (bytes) throws(WireError) in _ = try parsePingFrame(bytes) }
        try expectEveryTruncationRejected(Array(pingMessage[0..<8])) { (bytes) throws(WireError) in
            _ = try ICMPv4Packet(checking: bytes)
        }
    }
    suite.test("icmpv4.parse-captured-port-unreachable") { () throws(TestFailure) in
        try withBytes(portUnreachableDatagram) { (bytes) throws(TestFailure) in
            let message = try accept("datagram") { () throws(WireError) in
                try parseICMP(try IPv4Packet(checking: bytes).payload)
            }
            guard case .destinationUnreachable(let reason, let header, let data) = message else {
                throw TestFailure("not destination unreachable: \(message)")
            }
            try expectEqual(reason, ICMPv4Unreachable.portUnreachable, "code")
            try expectEqual(header, quotedHeader, "quoted header")
            try expectBytes(Array(data), Array(udpDatagram[20..<28]), "quoted UDP header")
            try expectEqual(
                message.description,
                "ICMPv4 destination unreachable (port unreachable) for 10.0.0.2->10.0.0.1 proto=UDP quoted=8",
                "description")
        }
    }
    suite.test("icmpv4.emit-port-unreachable-equals-capture") { () throws(TestFailure) in
        // Built the way the interface will: the offending datagram's header and 8 bytes, then the outer header.
        try withBytes(udpDatagram) { (offending) throws(TestFailure) in
            let datagram = try accept("offending") { () throws(WireError) in try IPv4Packet(checking: offending) }
            let header = try accept("header") { () throws(WireError) in try IPv4Header(parsing: datagram) }
            let quoted = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(datagram.payload)[0..<8])
            let message = ICMPv4Message.destinationUnreachable(.portUnreachable, header: header, data: quoted)
            try expectEqual(message.length, 36, "length")
            var buffer = PacketBuffer(capacity: 56, headroom: 20)
            buffer.append(message.length) { bytes in message.emit(into: ICMPv4Packet(unchecked: bytes)) }
            let outer = IPv4Header(
                source: header.destination, destination: header.source, nextProtocol: .icmp,
                payloadLength: message.length, timeToLive: 64, identification: 0, dontFragment: false)
            buffer.prepend(20) { bytes in outer.emit(into: IPv4Packet(unchecked: bytes)) }
            try expectBytes(array(buffer), portUnreachableDatagram, "datagram")
        }
    }
    suite.test("icmpv4.time-exceeded-parses-and-re-emits") { () throws(TestFailure) in
        try withBytes(timeExceededMessage) { (bytes) throws(TestFailure) in
            let message = try accept("message") { () throws(WireError) in try parseICMP(bytes) }
            guard case .timeExceeded(let reason, let header, let data) = message else {
                throw TestFailure("not time exceeded: \(message)")
            }
            try expectEqual(reason, ICMPv4TimeExceeded.timeToLiveExceeded, "code")
            try expectEqual(header, quotedHeader, "quoted header")
            try expectEqual(data.count, 8, "quoted data")
            try withBytes([UInt8](repeating: 0xCC, count: 36)) { (target) throws(TestFailure) in
                message.emit(into: ICMPv4Packet(unchecked: target))
                try expectBytes(array(target), timeExceededMessage, "re-emitted")
            }
        }
    }
    suite.test("icmpv4.bad-checksums-and-malformed-quotes-are-rejected") { () throws(TestFailure) in
        let quotedStart = 8
        var cases: [(String, [UInt8])] = []
        var badChecksum = pingMessage
        badChecksum[23] ^= 0x80
        cases.append(("flipped data bit", badChecksum))
        var echoCode = pingMessage
        echoCode[1] = 1
        cases.append(("echo with code 1", echoCode))
        var version6 = timeExceededMessage
        version6[quotedStart] = 0x65
        cases.append(("quoted version 6", version6))
        var shortIHL = timeExceededMessage
        shortIHL[quotedStart] = 0x44
        cases.append(("quoted IHL 4", shortIHL))
        cases.append(("quoted header cut", Array(timeExceededMessage[0..<(quotedStart + 19)])))
        cases.append(("4 of 8 quoted data bytes", Array(timeExceededMessage[0..<(quotedStart + 24)])))
        for (what, message) in cases {
            try withBytes(message) { (bytes) throws(TestFailure) in
                if what != "flipped data bit" { ICMPv4Packet(unchecked: bytes).fillChecksum() }
                try reject(what) { () throws(WireError) in try parseICMP(bytes) }
            }
        }
    }
    suite.test("icmpv4.unknown-types-round-trip-and-do-not-parse-as-messages") { () throws(TestFailure) in
        try expectEqual(ICMPv4Type(rawValue: 13), ICMPv4Type.unknown(13), "timestamp is unknown")
        for raw: UInt8 in [0, 3, 5, 8, 11, 12, 13, 42, 255] {
            try expectEqual(ICMPv4Type(rawValue: raw).rawValue, raw, "type \(raw)")
            try expectEqual(ICMPv4Unreachable(rawValue: raw).rawValue, raw, "unreachable code \(raw)")
            try expectEqual(ICMPv4TimeExceeded(rawValue: raw).rawValue, raw, "time exceeded code \(raw)")
        }
        var timestamp = pingMessage
        timestamp[0] = 13
        try withBytes(timestamp) { (bytes) throws(TestFailure) in
            let packet = ICMPv4Packet(unchecked: bytes)
            packet.fillChecksum()
            try expectEqual(packet.messageType, ICMPv4Type.unknown(13), "type")
            try reject("timestamp message") { () throws(WireError) in try parseICMP(bytes) }
            packet.messageType = .unknown(13)
            try expectEqual(bytes[0], 13, "written back")
        }
    }
}
