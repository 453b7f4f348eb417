/// Hostile input: the captured frames of the other tests, mutated by a seeded generator (same inputs in both
/// modes), through the whole receive path (Ethernet, ARP, IPv4, ICMPv4, UDP) with every accessor and description
/// touched. Nothing may trap; whatever parses must survive emit → parse unchanged.
import Net
import Runtime

/// Counts of what the fuzzer saw, so a run that rejects everything cannot pass unnoticed.
private struct Outcome {
    var rejected = 0
    var arp = 0
    var icmp = 0
    var udp = 0
    var otherIPv4 = 0
    var other = 0
}

/// Fails unless `value` survives being emitted into a fresh buffer and parsed back.
private func expectRoundTrip<Value: Equatable & CustomStringConvertible>(
    _ value: Value, length: Int, _ emit: (UnsafeMutableRawBufferPointer) -> Void,
    _ parse: (UnsafeMutableRawBufferPointer) throws(WireError) -> Value
) throws(TestFailure) {
    var buffer = PacketBuffer(capacity: length, headroom: 0)
    buffer.append(length) { bytes in emit(bytes) }
    let again = try buffer.withUnsafeMutableReadableBytes { (bytes) throws(TestFailure) in
        try accept("re-parse of \(value)") { () throws(WireError) in try parse(bytes) }
    }
    try expectEqual(again, value, "round trip")
}

/// What a frame turned out to be.
private enum Decoded {
    case arp(ARPMessage)
    case icmp(IPv4Header, ICMPv4Message)
    case udp(IPv4Header, UDPHeader)
    case ipv4(IPv4Header)
    case other
}

/// Parses a frame the way the interface will, but without checksum checks so that mutations reach every layer,
/// and touches every accessor on the way.
private func decode(_ bytes: UnsafeMutableRawBufferPointer) throws(WireError) -> Decoded {
    let frame = try EthernetPacket(checking: bytes)
    let ethernet = EthernetHeader(parsing: frame)
    _ = ethernet.description
    switch ethernet.etherType {
    case .arp:
        let message = try ARPMessage(parsing: try ARPPacket(checking: frame.payload))
        _ = message.description
        return .arp(message)
    case .ipv4:
        let datagram = try IPv4Packet(checking: frame.payload)
        _ = (datagram.options.count, datagram.payload.count, datagram.verifyChecksum())
        let ip = try IPv4Header(parsing: datagram, verifyingChecksum: false)
        _ = ip.description
        switch ip.nextProtocol {
        case .icmp:
            let packet = try ICMPv4Packet(checking: datagram.payload)
            _ = (packet.messageType, packet.code, packet.echoIdentifier, packet.data.count, packet.verifyChecksum())
            let message = try ICMPv4Message(parsing: packet, verifyingChecksum: false)
            _ = message.description
            return .icmp(ip, message)
        case .udp:
            let packet = try UDPPacket(checking: datagram.payload)
            _ = (packet.payload.count, packet.verifyChecksum(source: ip.source, destination: ip.destination))
            let udp = try UDPHeader(
                parsing: packet, source: ip.source, destination: ip.destination, verifyingChecksum: false)
            _ = udp.description
            return .udp(ip, udp)
        default:
            return .ipv4(ip)
        }
    default:
        return .other
    }
}

/// Decodes `bytes`, counts the outcome and checks that each parsed value round-trips.
private func dissect(_ bytes: UnsafeMutableRawBufferPointer, _ outcome: inout Outcome) throws(TestFailure) {
    let decoded: Decoded
    do throws(WireError) {
        decoded = try decode(bytes)
    } catch {
        outcome.rejected += 1
        return
    }
    switch decoded {
    case .arp(let message):
        try expectRoundTrip(message, length: 28) { message.emit(into: ARPPacket(unchecked: $0)) } _: {
            (bytes) throws(WireError) in try ARPMessage(parsing: try ARPPacket(checking: bytes))
        }
        outcome.arp += 1
    case .icmp(let ip, let message):
        try expectIPv4RoundTrip(ip)
        try expectRoundTrip(message, length: message.length) { message.emit(into: ICMPv4Packet(unchecked: $0)) } _: {
            (bytes) throws(WireError) in try ICMPv4Message(parsing: try ICMPv4Packet(checking: bytes))
        }
        outcome.icmp += 1
    case .udp(let ip, let udp):
        try expectIPv4RoundTrip(ip)
        try expectRoundTrip(udp, length: 8 + udp.payloadLength) {
            udp.emit(into: UDPPacket(unchecked: $0), source: ip.source, destination: ip.destination)
        } _: { (bytes) throws(WireError) in
            try UDPHeader(parsing: try UDPPacket(checking: bytes), source: ip.source, destination: ip.destination)
        }
        outcome.udp += 1
    case .ipv4(let ip):
        try expectIPv4RoundTrip(ip)
        outcome.otherIPv4 += 1
    case .other:
        outcome.other += 1
    }
}

private func expectIPv4RoundTrip(_ ip: IPv4Header) throws(TestFailure) {
    try expectRoundTrip(ip, length: ip.totalLength) { ip.emit(into: IPv4Packet(unchecked: $0)) } _: {
        (bytes) throws(WireError) in try IPv4Header(parsing: try IPv4Packet(checking: bytes))
    }
}

private func ethernetFrame(_ datagram: [UInt8]) -> [UInt8] {
    Array(pingFrame[0..<14]) + datagram
}

func registerFuzzTests(_ suite: inout TestSuite) {
    suite.test("fuzz.mutated-captured-frames-never-trap-and-parsed-values-round-trip") { () throws(TestFailure) in
        let seeds = [
            arpRequestFrame, arpReplyFrame, pingFrame, ethernetFrame(udpDatagram), ethernetFrame(routerAlertDatagram),
            ethernetFrame(portUnreachableDatagram), ethernetFrame(timeExceededDatagram),
        ]
        var random = SplitMix64(state: 826)
        var outcome = Outcome()
        for seed in seeds {
            for _ in 0..<2_000 {
                var frame = seed
                let mutations = 1 + Int(random.next() % 4)
                for _ in 0..<mutations {
                    let choice = random.next()
                    let index = Int(choice >> 8 % UInt64(frame.count + 1))
                    switch choice % 8 {
                    case 0 where !frame.isEmpty:
                        frame.removeLast(1 + Int((choice >> 40) % UInt64(frame.count)))  // truncate
                    case 1:
                        frame.append(contentsOf: [UInt8](repeating: UInt8(truncatingIfNeeded: choice >> 48), count: 7))
                    case 2 where index < frame.count:
                        frame[index] = 0xFF
                    case 3 where index < frame.count:
                        frame[index] = 0
                    default:
                        if index < frame.count { frame[index] = UInt8(truncatingIfNeeded: choice >> 32) }
                    }
                }
                try withBytes(frame) { (bytes) throws(TestFailure) in try dissect(bytes, &outcome) }
            }
        }
        let total = seeds.count * 2_000
        try expect(outcome.rejected < total / 2, "\(outcome.rejected) of \(total) rejected: mutations too harsh")
        try expect(outcome.arp > 100 && outcome.icmp > 100 && outcome.udp > 100, "too few reached the upper layers")
    }
}
