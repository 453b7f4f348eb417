/// Ethernet II (Sources/Net/Wire/Ethernet.swift): the header of a captured ARP request frame, MAC addresses and
/// EtherTypes.
import Net
import Runtime

/// scapy: Ether(dst=ff:ff:ff:ff:ff:ff, src=52:54:00:12:34:56)/ARP(who-has 10.0.0.2 tell 10.0.0.1).
let arpRequestFrame: [UInt8] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
    0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54,
    0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
]

let qemuMAC = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
let peerMAC = MACAddress(0x02, 0x00, 0x00, 0x00, 0x00, 0x02)

func registerEthernetTests(_ suite: inout TestSuite) {
    suite.test("ethernet.deconstruct-captured-frame") { () throws(TestFailure) in
        try withBytes(arpRequestFrame) { (bytes) throws(TestFailure) in
            let frame = try accept("frame") { () throws(WireError) in try EthernetPacket(checking: bytes) }
            try expectEqual(frame.destination, MACAddress.broadcast, "destination")
            try expectEqual(frame.source, qemuMAC, "source")
            try expectEqual(frame.etherType, EtherType.arp, "type")
            try expectEqual(frame.payload.count, 28, "payload length")
            try expectEqual(frame.payload[0], 0x00, "payload first byte")
            try expectEqual(frame.payload[27], 0x02, "payload last byte")
        }
    }
    suite.test("ethernet.construct-with-setters") { () throws(TestFailure) in
        var bytes = [UInt8](repeating: 0, count: 42)
        for index in 14..<42 { bytes[index] = arpRequestFrame[index] }
        try withBytes(bytes) { (raw) throws(TestFailure) in
            let frame = EthernetPacket(unchecked: raw)
            frame.destination = .broadcast
            frame.source = qemuMAC
            frame.etherType = .arp
            try expectBytes(array(raw), arpRequestFrame, "frame")
        }
    }
    suite.test("ethernet.parse-then-emit-reproduces-the-header") { () throws(TestFailure) in
        let header = try withBytes(arpRequestFrame) { (bytes) throws(TestFailure) in
            EthernetHeader(parsing: try accept("frame") { () throws(WireError) in try EthernetPacket(checking: bytes) })
        }
        try expectEqual(
            header, EthernetHeader(destination: .broadcast, source: qemuMAC, etherType: .arp), "parsed header")
        try expectEqual(header.headerLength, 14, "header length")
        var buffer = PacketBuffer(Array(arpRequestFrame[14...]), headroom: 14)
        buffer.prepend(header.headerLength) { bytes in header.emit(into: EthernetPacket(unchecked: bytes)) }
        try expectBytes(array(buffer), arpRequestFrame, "emitted frame")
    }
    suite.test("ethernet.frames-shorter-than-the-header-are-rejected") { () throws(TestFailure) in
        try expectEveryTruncationRejected(Array(arpRequestFrame[0..<14])) { (bytes) throws(WireError) in
            _ = try EthernetPacket(checking: bytes)
        }
    }
    suite.test("ethernet.mac-address-description-and-kinds") { () throws(TestFailure) in
        try expectEqual(qemuMAC.description, "52:54:00:12:34:56", "description")
        try expectEqual(MACAddress.broadcast.description, "ff:ff:ff:ff:ff:ff", "broadcast description")
        try expect(MACAddress.broadcast.isBroadcast && MACAddress.broadcast.isMulticast, "broadcast is multicast")
        try expect(qemuMAC.isUnicast && qemuMAC.isLocal, "52:54:00:.. (QEMU) is local unicast")
        try expect(!MACAddress(0x00, 0x1b, 0x21, 0, 0, 1).isLocal, "00:1b:21:.. is universal")
        try expect(peerMAC.isLocal && !peerMAC.isMulticast, "02:.. is local unicast")
        let ipv4Multicast = MACAddress(0x01, 0x00, 0x5e, 0x00, 0x00, 0x16)
        try expect(ipv4Multicast.isMulticast && !ipv4Multicast.isBroadcast, "01:00:5e:.. is multicast")
        try expectEqual(MACAddress(rawValue: 0x1_0000_0000_0001).description, "00:00:00:00:00:01", "48 bits kept")
        try expectEqual(qemuMAC[5], 0x56, "last octet")
        let fromBytes = try withRawBytes([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]) { (raw) throws(TestFailure) in
            MACAddress(bytes: raw)
        }
        try expectEqual(fromBytes, qemuMAC, "from bytes")
    }
    suite.test("ethernet.unknown-ethertype-round-trips") { () throws(TestFailure) in
        try expectEqual(EtherType(rawValue: 0x88cc), EtherType.unknown(0x88cc), "LLDP is unknown")
        try expectEqual(EtherType.unknown(0x88cc).rawValue, 0x88cc, "raw value")
        try expectEqual(EtherType.unknown(0x88cc).description, "0x88cc", "description")
        try expectEqual(EtherType(rawValue: 0x86dd), EtherType.ipv6, "IPv6")
        for raw: UInt16 in [0x0000, 0x0800, 0x0806, 0x8100, 0x86dd, 0x88cc, 0xffff] {
            try expectEqual(EtherType(rawValue: raw).rawValue, raw, "round trip of \(raw)")
        }
        var bytes = arpRequestFrame
        bytes[12] = 0x88
        bytes[13] = 0xcc
        try withBytes(bytes) { (raw) throws(TestFailure) in
            let frame = try accept("frame") { () throws(WireError) in try EthernetPacket(checking: raw) }
            let header = EthernetHeader(parsing: frame)
            frame.etherType = .ipv4
            header.emit(into: frame)
            try expectBytes(array(raw), bytes, "re-emitted unknown type")
        }
    }
    suite.test("ethernet.header-description-is-one-line") { () throws(TestFailure) in
        let header = EthernetHeader(destination: .broadcast, source: qemuMAC, etherType: .arp)
        try expectEqual(
            header.description, "EthernetII src=52:54:00:12:34:56 dst=ff:ff:ff:ff:ff:ff type=ARP", "description")
    }
}
