/// ARP for IPv4 over Ethernet (Sources/Net/Wire/ARP.swift): a captured request and reply.
import Net
import Runtime

/// scapy: Ether(dst=52:54:00:12:34:56, src=02:00:00:00:00:02)/ARP(is-at 02:00:00:00:00:02 10.0.0.2 -> 10.0.0.1).
let arpReplyFrame: [UInt8] = [
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
    0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00,
    0x00, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x02, 0x52, 0x54, 0x00, 0x12,
    0x34, 0x56, 0x0a, 0x00, 0x00, 0x01,
]

private let request = ARPMessage(
    operation: .request, senderHardwareAddress: qemuMAC, senderProtocolAddress: IPv4Address(10, 0, 0, 1),
    targetHardwareAddress: MACAddress(rawValue: 0), targetProtocolAddress: IPv4Address(10, 0, 0, 2))

/// Ethernet then ARP, as the interface will do it.
private func parseARPFrame(_ bytes: UnsafeMutableRawBufferPointer) throws(WireError) -> ARPMessage {
    let frame = try EthernetPacket(checking: bytes)
    guard frame.etherType == .arp else { throw WireError() }
    return try ARPMessage(parsing: try ARPPacket(checking: frame.payload))
}

func registerARPTests(_ suite: inout TestSuite) {
    suite.test("arp.deconstruct-captured-request") { () throws(TestFailure) in
        try withBytes(Array(arpRequestFrame[14...])) { (bytes) throws(TestFailure) in
            let packet = try accept("packet") { () throws(WireError) in try ARPPacket(checking: bytes) }
            try expectEqual(packet.hardwareType, 1, "htype")
            try expectEqual(packet.protocolType, EtherType.ipv4, "ptype")
            try expectEqual(packet.hardwareLength, 6, "hlen")
            try expectEqual(packet.protocolLength, 4, "plen")
            try expectEqual(packet.operation, ARPOperation.request, "op")
            try expectEqual(packet.senderHardwareAddress, qemuMAC, "sha")
            try expectEqual(packet.senderProtocolAddress, IPv4Address(10, 0, 0, 1), "spa")
            try expectEqual(packet.targetHardwareAddress, MACAddress(rawValue: 0), "tha")
            try expectEqual(packet.targetProtocolAddress, IPv4Address(10, 0, 0, 2), "tpa")
        }
    }
    suite.test("arp.construct-reply-with-setters") { () throws(TestFailure) in
        try withBytes([UInt8](repeating: 0xAA, count: 28)) { (bytes) throws(TestFailure) in
            let packet = ARPPacket(unchecked: bytes)
            packet.hardwareType = 1
            packet.protocolType = .ipv4
            packet.hardwareLength = 6
            packet.protocolLength = 4
            packet.operation = .reply
            packet.senderHardwareAddress = peerMAC
            packet.senderProtocolAddress = IPv4Address(10, 0, 0, 2)
            packet.targetHardwareAddress = qemuMAC
            packet.targetProtocolAddress = IPv4Address(10, 0, 0, 1)
            try expectBytes(array(bytes), Array(arpReplyFrame[14...]), "reply")
        }
    }
    suite.test("arp.parse-captured-request-frame") { () throws(TestFailure) in
        let message = try withBytes(arpRequestFrame) { (bytes) throws(TestFailure) in
            try accept("frame") { () throws(WireError) in try parseARPFrame(bytes) }
        }
        try expectEqual(message, request, "message")
        try expectEqual(
            message.description, "ARP request src=52:54:00:12:34:56/10.0.0.1 tgt=00:00:00:00:00:00/10.0.0.2",
            "description")
    }
    suite.test("arp.emit-reply-frame-equals-capture") { () throws(TestFailure) in
        // The answer to the request, built the way the interface will: ARP body, then the Ethernet header in front.
        let reply = ARPMessage(
            operation: .reply, senderHardwareAddress: peerMAC, senderProtocolAddress: request.targetProtocolAddress,
            targetHardwareAddress: request.senderHardwareAddress, targetProtocolAddress: request.senderProtocolAddress)
        var buffer = PacketBuffer(capacity: 60, headroom: 14)
        buffer.append(reply.length) { bytes in reply.emit(into: ARPPacket(unchecked: bytes)) }
        buffer.prepend(14) { bytes in
            EthernetHeader(destination: qemuMAC, source: peerMAC, etherType: .arp).emit(
                into: EthernetPacket(unchecked: bytes))
        }
        try expectBytes(array(buffer), arpReplyFrame, "reply frame")
    }
    suite.test("arp.every-truncation-of-the-request-frame-is-rejected") { () throws(TestFailure) in
        try expectEveryTruncationRejected(arpRequestFrame) { (bytes) throws(WireError) in _ = try parseARPFrame(bytes) }
    }
    suite.test("arp.padded-minimum-frame-is-accepted") { () throws(TestFailure) in
        let padded = arpRequestFrame + [UInt8](repeating: 0, count: 18)
        let message = try withBytes(padded) { (bytes) throws(TestFailure) in
            try accept("60-byte frame") { () throws(WireError) in try parseARPFrame(bytes) }
        }
        try expectEqual(message, request, "message")
    }
    suite.test("arp.other-hardware-or-protocol-types-are-rejected") { () throws(TestFailure) in
        // offset in the ARP body, value: htype 6 (IEEE 802), ptype IPv6, hlen 8, plen 16.
        let changes: [(Int, UInt8)] = [(1, 6), (2, 0x86), (4, 8), (5, 16), (5, 0)]
        for (offset, value) in changes {
            var body = Array(arpRequestFrame[14...])
            body[offset] = value
            try withBytes(body) { (bytes) throws(TestFailure) in
                try reject("byte \(offset) = \(value)") { () throws(WireError) in
                    try ARPMessage(parsing: try ARPPacket(checking: bytes))
                }
            }
        }
    }
    suite.test("arp.unknown-operation-parses-and-round-trips") { () throws(TestFailure) in
        var body = Array(arpRequestFrame[14...])
        body[7] = 9  // RFC 5494: 9 = InARP-Request... not one we know.
        let message = try withBytes(body) { (bytes) throws(TestFailure) in
            try accept("body") { () throws(WireError) in try ARPMessage(parsing: try ARPPacket(checking: bytes)) }
        }
        try expectEqual(message.operation, ARPOperation.unknown(9), "operation")
        try expectEqual(message.operation.rawValue, 9, "raw value")
        try withBytes([UInt8](repeating: 0, count: 28)) { (bytes) throws(TestFailure) in
            message.emit(into: ARPPacket(unchecked: bytes))
            try expectBytes(array(bytes), body, "re-emitted")
        }
        try expectEqual(ARPOperation(rawValue: 2), ARPOperation.reply, "reply")
    }
}
