/// UDP (Sources/Net/Wire/UDP.swift): a captured datagram with its pseudo-header checksum, zero checksums, lengths.
import Net
import Runtime

/// scapy: IP(10.0.0.2 -> 10.0.0.1, id 7, ttl 64)/UDP(49152 -> 53)/"hello, swiftlet": IP checksum 0x66b9, UDP
/// checksum 0x08d3.
let udpDatagram: [UInt8] = [
    0x45, 0x00, 0x00, 0x2b, 0x00, 0x07, 0x00, 0x00, 0x40, 0x11, 0x66, 0xb9,
    0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x00, 0x35,
    0x00, 0x17, 0x08, 0xd3, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2c, 0x20, 0x73,
    0x77, 0x69, 0x66, 0x74, 0x6c, 0x65, 0x74,
]
private let udpMessage = Array(udpDatagram[20...])
private let udpPayload = Array("hello, swiftlet".utf8)
private let client = IPv4Address(10, 0, 0, 2)
private let server = IPv4Address(10, 0, 0, 1)

private func parseUDP(_ bytes: UnsafeMutableRawBufferPointer) throws(WireError) -> UDPHeader {
    try UDPHeader(parsing: try UDPPacket(checking: bytes), source: client, destination: server)
}

/// IPv4 then UDP, with the addresses from the IP header.
private func parseUDPDatagram(_ bytes: UnsafeMutableRawBufferPointer) throws(WireError) -> UDPHeader {
    let datagram = try IPv4Packet(checking: bytes)
    let ip = try IPv4Header(parsing: datagram)
    guard ip.nextProtocol == .udp else { throw WireError() }
    return try UDPHeader(
        parsing: try UDPPacket(checking: datagram.payload), source: ip.source, destination: ip.destination)
}

private func expectUDPRejected(_ bytes: [UInt8], _ what: String, _ change: (inout [UInt8]) -> Void) throws(TestFailure)
{
    var changed = bytes
    change(&changed)
    try withBytes(changed) { (raw) throws(TestFailure) in
        try reject(what) { () throws(WireError) in try parseUDP(raw) }
    }
}

func registerUDPTests(_ suite: inout TestSuite) {
    suite.test("udp.deconstruct-captured-datagram") { () throws(TestFailure) in
        try withBytes(udpMessage) { (bytes) throws(TestFailure) in
            let packet = try accept("datagram") { () throws(WireError) in try UDPPacket(checking: bytes) }
            try expectEqual(packet.sourcePort, 49152, "source port")
            try expectEqual(packet.destinationPort, 53, "destination port")
            try expectEqual(packet.length, 23, "length")
            try expectHex(packet.checksum, 0x08d3, "checksum")
            try expectBytes(array(packet.payload), udpPayload, "payload")
            try expect(packet.verifyChecksum(source: client, destination: server), "checksum verifies")
            try expect(
                !packet.verifyChecksum(source: IPv4Address(10, 0, 0, 3), destination: server),
                "wrong pseudo-header fails")
        }
    }
    suite.test("udp.construct-with-setters") { () throws(TestFailure) in
        try withBytes([UInt8](repeating: 0x77, count: 8) + udpPayload) { (bytes) throws(TestFailure) in
            let packet = UDPPacket(unchecked: bytes)
            packet.sourcePort = 49152
            packet.destinationPort = 53
            packet.length = 23
            packet.fillChecksum(source: client, destination: server)
            try expectBytes(array(bytes), udpMessage, "datagram")
        }
    }
    suite.test("udp.parse-captured-datagram") { () throws(TestFailure) in
        let header = try withBytes(udpDatagram) { (bytes) throws(TestFailure) in
            try accept("datagram") { () throws(WireError) in try parseUDPDatagram(bytes) }
        }
        try expectEqual(header, UDPHeader(sourcePort: 49152, destinationPort: 53, payloadLength: 15), "header")
        try expectEqual(header.description, "UDP src=49152 dst=53 len=15", "description")
    }
    suite.test("udp.payload-udp-ipv4-ethernet-built-by-prepending-equals-capture") { () throws(TestFailure) in
        var buffer = PacketBuffer(capacity: 14 + 20 + 8 + udpPayload.count, headroom: 14 + 20 + 8)
        udpPayload.withUnsafeBytes { raw in buffer.writeBytes(raw) }
        let udp = UDPHeader(sourcePort: 49152, destinationPort: 53, payloadLength: buffer.readableBytes)
        buffer.prepend(udp.headerLength) { _ in }
        buffer.withUnsafeMutableReadableBytes { bytes in
            udp.emit(into: UDPPacket(unchecked: bytes), source: client, destination: server)
        }
        let ip = IPv4Header(
            source: client, destination: server, nextProtocol: .udp, payloadLength: buffer.readableBytes,
            timeToLive: 64, identification: 7, dontFragment: false)
        buffer.prepend(ip.headerLength) { bytes in ip.emit(into: IPv4Packet(unchecked: bytes)) }
        try expectBytes(array(buffer), udpDatagram, "IPv4 datagram")
        let ethernet = EthernetHeader(destination: qemuMAC, source: peerMAC, etherType: .ipv4)
        buffer.prepend(ethernet.headerLength) { bytes in ethernet.emit(into: EthernetPacket(unchecked: bytes)) }
        try expectEqual(buffer.headroom, 0, "headroom used up")
        try expectBytes(Array(array(buffer)[14...]), udpDatagram, "frame payload")
        try expectBytes(Array(array(buffer)[0..<6]), [0x52, 0x54, 0x00, 0x12, 0x34, 0x56], "frame destination")
    }
    suite.test("udp.every-truncation-is-rejected") { () throws(TestFailure) in
        try expectEveryTruncationRejected(udpDatagram) { (bytes) throws(WireError) in
            _ = try parseUDPDatagram(bytes)
        }
        try expectEveryTruncationRejected(udpMessage) { (bytes) throws(WireError) in _ = try parseUDP(bytes) }
    }
    suite.test("udp.malformed-lengths-are-rejected") { () throws(TestFailure) in
        for length: UInt8 in 0...7 {
            try expectUDPRejected(udpMessage, "length \(length)") {
                $0[4] = 0
                $0[5] = length
            }
        }
        try expectUDPRejected(udpMessage, "length 24 > buffer") { $0[5] = 24 }
        try expectUDPRejected(udpMessage, "length 0xffff") {
            $0[4] = 0xff
            $0[5] = 0xff
        }
        try expectUDPRejected(udpMessage, "length 22 (checksum then covers less)") { $0[5] = 22 }
    }
    suite.test("udp.padding-after-length-is-ignored") { () throws(TestFailure) in
        try withBytes(udpMessage + [0, 0, 0, 0, 0]) { (bytes) throws(TestFailure) in
            let header = try accept("padded") { () throws(WireError) in try parseUDP(bytes) }
            try expectEqual(header.payloadLength, 15, "payload length")
            try expectEqual(
                try accept("view") { () throws(WireError) in try UDPPacket(checking: bytes) }.payload.count,
                15, "payload view")
        }
    }
    suite.test("udp.bad-checksum-and-port-zero-are-rejected") { () throws(TestFailure) in
        try expectUDPRejected(udpMessage, "flipped payload bit") { $0[22] ^= 0x01 }
        try expectUDPRejected(udpMessage, "checksum off by one") { $0[7] = 0xd4 }
        try withBytes(udpMessage) { (bytes) throws(TestFailure) in
            let packet = UDPPacket(unchecked: bytes)
            packet.destinationPort = 0
            packet.fillChecksum(source: client, destination: server)
            try reject("destination port 0") { () throws(WireError) in try parseUDP(bytes) }
            _ = try accept("without the checksum check it is still port 0") { () throws(WireError) in
                try UDPPacket(checking: bytes)
            }
        }
    }
    suite.test("udp.zero-checksum-means-none") { () throws(TestFailure) in
        var unchecked = udpMessage
        unchecked[6] = 0
        unchecked[7] = 0
        unchecked[22] ^= 0x01  // Corruption goes unnoticed without a checksum: that is what zero means.
        try withBytes(unchecked) { (bytes) throws(TestFailure) in
            let header = try accept("checksum 0") { () throws(WireError) in try parseUDP(bytes) }
            try expectEqual(header.destinationPort, 53, "port")
            let packet = UDPPacket(unchecked: bytes)
            UDPHeader(sourcePort: 49152, destinationPort: 53, payloadLength: 15).emit(
                into: packet, source: client, destination: server, fillingChecksum: false)
            try expectHex(packet.checksum, 0, "emitted without checksum")
        }
    }
    suite.test("udp.computed-zero-checksum-is-sent-as-ffff") { () throws(TestFailure) in
        // Payload e0 1f from 10.0.0.2:1000 to 10.0.0.1:2000 makes the checksum compute to 0 (scapy sends 0xffff).
        try withBytes([0, 0, 0, 0, 0, 0, 0, 0, 0xe0, 0x1f]) { (bytes) throws(TestFailure) in
            let packet = UDPPacket(unchecked: bytes)
            UDPHeader(sourcePort: 1000, destinationPort: 2000, payloadLength: 2).emit(
                into: packet, source: client, destination: server)
            try expectHex(packet.checksum, 0xFFFF, "checksum")
            try expectBytes(array(bytes), [0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0a, 0xff, 0xff, 0xe0, 0x1f], "datagram")
            try expect(packet.verifyChecksum(source: client, destination: server), "0xffff verifies")
            let header = try accept("datagram") { () throws(WireError) in try parseUDP(bytes) }
            try expectEqual(header.payloadLength, 2, "payload length")
        }
    }
}
