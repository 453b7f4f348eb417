/// ICMPv4 (Sources/Net/Interface/Interface+ICMP.swift): echo both ways at every size that fits, exact reply
/// fields, port and protocol unreachable with their quotes, the rate limit, and the cases RFC 1122 §3.2.2 forbids.
import Net
import NetTesting
import Runtime

private let rawMAC = testMAC(9)
private let rawIP = ip("10.0.0.9")
private let aMAC = testMAC(2)
private let aIP = ip("10.0.0.2")

private func quiet(_ configuration: inout InterfaceConfiguration) {
    configuration.arp.announcements = 0
}

/// Host A and a raw host that A already knows.
private func hostAndRaw() -> (TestNetwork, Host, VirtualLinkDevice) {
    let network = TestNetwork()
    let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
    let raw = network.addRawPort(mac: 9)
    introduceRawHost(network, to: a)
    while raw.receiveFrame(now: network.now) != nil {}  // the ARP reply
    return (network, a, raw)
}

/// Every IPv4 frame the raw host received by now, decoded.
private func drain(_ raw: VirtualLinkDevice, _ network: TestNetwork) -> [Decoded] {
    var frames: [Decoded] = []
    while let frame = raw.receiveFrame(now: network.now) {
        let decoded = Decoded(frame)
        if decoded.ip != nil { frames.append(decoded) }
    }
    return frames
}

private func ping(_ size: Int) throws(TestFailure) {
    let network = TestNetwork()
    let a = network.addHost("10.0.0.2/24", mac: 2)
    let b = network.addHost("10.0.0.3/24", mac: 3)
    let data = pattern(size, seed: UInt8(truncatingIfNeeded: size))
    try expect(
        a.interface.sendEchoRequest(
            to: ip("10.0.0.3"), identifier: 0xBEEF, sequenceNumber: 42, payload: data, now: network.now),
        "request sent")
    let start = network.now
    try expect(network.run(for: .seconds(1)) { a.counters.icmp.echoReplies > 0 }, "reply within 1 s")
    let reply = try unwrap(a.interface.takeEchoReply(), "echo reply")
    try expectEqual(reply.source, ip("10.0.0.3"), "from")
    try expectEqual(reply.identifier, 0xBEEF, "identifier")
    try expectEqual(reply.sequenceNumber, 42, "sequence number")
    try expectBytes(reply.payload, data, "echoed data")
    try expectEqual((reply.receivedAt - start).microseconds, 400, "round trip: ARP, reply, request, reply (µs)")
    try expectEqual(b.counters.icmp.echoRequests, 1, "B answered one request")
    let largest = network.captured().map { $0.bytes.count }.max() ?? 0
    try expectEqual(largest, 14 + 20 + 8 + size, "largest frame")
}

extension Duration {
    var microseconds: Int64 { self.nanosecondsClamped / 1000 }
}

func registerICMPTests(_ suite: inout TestSuite) {
    suite.test("icmp.ping-round-trip-between-two-interfaces") { () throws(TestFailure) in
        try ping(56)
    }

    suite.test("icmp.ping-with-a-1472-byte-payload-fills-a-1514-byte-frame") { () throws(TestFailure) in
        try ping(1472)
        // One byte more needs two fragments, which a peer without a reassembler drops.
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        a.interface.sendEchoRequest(
            to: ip("10.0.0.3"), identifier: 1, sequenceNumber: 1, payload: pattern(1473), now: network.now)
        network.run(for: .seconds(1))
        try expectEqual(a.counters.ipv4.fragmentsSent, 2, "fragments sent")
        try expectEqual(b.counters.ipv4.fragmentsDropped, 2, "dropped without a reassembler")
        try expectEqual(a.counters.icmp.echoReplies, 0, "no reply")
    }

    suite.test("icmp.ping-larger-than-the-mtu-is-reassembled-and-answered-in-fragments") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let reassemblyA = SharedIPv4Reassembler()
        let reassemblyB = SharedIPv4Reassembler()
        a.interface.reassembler = reassemblyA.hook
        b.interface.reassembler = reassemblyB.hook
        let data = pattern(4000, seed: 5)
        try expect(
            a.interface.sendEchoRequest(
                to: ip("10.0.0.3"), identifier: 9, sequenceNumber: 3, payload: data, now: network.now),
            "sent")
        try expect(network.run(for: .seconds(1)) { a.counters.icmp.echoReplies > 0 }, "reply")
        let reply = try unwrap(a.interface.takeEchoReply(), "echo reply")
        try expectBytes(reply.payload, data, "echoed data")
        try expectEqual(a.counters.ipv4.fragmentsSent, 3, "request fragments (1480 + 1480 + 1048)")
        try expectEqual(b.counters.ipv4.fragmentsSent, 3, "reply fragments")
        try expectEqual(reassemblyB.statistics.reassembled, 1, "B reassembled the request")
        try expectEqual(reassemblyA.statistics.reassembled, 1, "A reassembled the reply")
        let fragments = network.captured().filter { $0.ip != nil }
        try expect(fragments.allSatisfy { $0.bytes.count <= 1514 && $0.ipChecksumValid }, "frames fit, checksums valid")
        try expect(fragments.allSatisfy { !($0.ip!.dontFragment) }, "DF clear on fragments")
    }

    suite.test("icmp.ping-with-an-empty-payload") { () throws(TestFailure) in
        try ping(0)
    }

    suite.test("icmp.echo-reply-has-exact-fields") { () throws(TestFailure) in
        let (network, a, raw) = hostAndRaw()
        let data = Array("abcdefghijklmnopqrstuvwabcdefghi".utf8)
        network.link.inject(
            echoFrame(from: (rawMAC, rawIP), to: (aMAC, aIP), identifier: 0x0102, sequenceNumber: 0x0304, data),
            into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        let replies = drain(raw, network)
        try expectEqual(replies.count, 1, "replies")
        let reply = replies[0]
        try expectEqual(reply.ethernet?.destination ?? .broadcast, rawMAC, "to the requester's MAC")
        try expectEqual(reply.ip?.source ?? rawIP, aIP, "from A")
        try expectEqual(reply.ip?.destination ?? aIP, rawIP, "to the requester")
        try expectEqual(reply.ip?.nextProtocol ?? .udp, .icmp, "protocol")
        try expect(reply.icmpType == .echoReply && reply.icmpCode == 0, "type 0 code 0")
        try expectEqual(reply.echoIdentifier, 0x0102, "identifier")
        try expectEqual(reply.echoSequenceNumber, 0x0304, "sequence number")
        try expectBytes(reply.icmpBody, data, "data")
        try expect(reply.icmpChecksumValid && reply.ipChecksumValid, "checksums")
    }

    suite.test("icmp.echo-to-a-broadcast-address-is-not-answered") { () throws(TestFailure) in
        let (network, a, raw) = hostAndRaw()
        for destination in [ip("10.0.0.255"), ip("255.255.255.255")] {
            network.link.inject(
                echoFrame(from: (rawMAC, rawIP), to: (.broadcast, destination), [1, 2, 3]), into: a.port,
                at: network.now)
        }
        network.run(for: .milliseconds(1))
        try expectEqual(drain(raw, network).count, 0, "no replies")
        try expectEqual(a.counters.icmp.broadcastEchoIgnored, 2, "ignored")
        try expectEqual(a.counters.icmp.sent, 0, "nothing sent")
    }

    suite.test("icmp.port-unreachable-quotes-the-header-and-8-bytes") { () throws(TestFailure) in
        let (network, a, raw) = hostAndRaw()
        let frame = udpFrame(from: (rawMAC, rawIP, 4000), to: (aMAC, aIP, 9999), pattern(30))
        network.link.inject(frame, into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        let errors = drain(raw, network)
        try expectEqual(errors.count, 1, "errors")
        let error = errors[0]
        try expect(error.icmpType == .destinationUnreachable && error.icmpCode == 3, "type 3 code 3")
        try expect(error.icmpChecksumValid, "checksum")
        try expectEqual(error.ip?.destination ?? aIP, rawIP, "to the sender")
        try expectEqual(error.icmpBody.count, 28, "IP header + 8 bytes")
        try expectBytes(Array(error.icmpBody[20..<28]), Array(frame[34..<42]), "the UDP header, quoted")
        try expectBytes(Array(error.icmpBody[12..<20]), Array(frame[26..<34]), "addresses, quoted")
        try expectEqual(error.icmpBody[9], 17, "protocol, quoted")
        try expectEqual(a.counters.udp.noSocket, 1, "no socket")
        try expectEqual(a.counters.icmp.errorsSent, 1, "errors sent")
    }

    suite.test("icmp.errors-are-rate-limited-10-per-second-burst-10") { () throws(TestFailure) in
        let (network, a, raw) = hostAndRaw()
        let frame = udpFrame(from: (rawMAC, rawIP, 4000), to: (aMAC, aIP, 9999), [1])
        for _ in 0..<25 { network.link.inject(frame, into: a.port, at: network.now) }
        network.run(for: .milliseconds(1))
        try expectEqual(drain(raw, network).count, 10, "burst")
        try expectEqual(a.counters.icmp.rateLimited, 15, "suppressed")
        network.now = network.now + .milliseconds(500)
        for _ in 0..<10 { network.link.inject(frame, into: a.port, at: network.now) }
        network.run(for: .milliseconds(1))
        try expectEqual(drain(raw, network).count, 5, "refilled 5 in 500 ms")
        try expectEqual(a.counters.icmp.rateLimited, 20, "suppressed in all")
        try expectEqual(a.counters.udp.noSocket, 35, "every datagram counted")
    }

    suite.test("icmp.no-error-for-broadcast-udp-to-a-closed-port") { () throws(TestFailure) in
        let (network, a, raw) = hostAndRaw()
        network.link.inject(
            udpFrame(from: (rawMAC, rawIP, 4000), to: (.broadcast, ip("10.0.0.255"), 9999), [1]), into: a.port,
            at: network.now)
        network.link.inject(
            udpFrame(from: (rawMAC, rawIP, 4000), to: (.broadcast, aIP, 9999), [1]), into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        try expectEqual(drain(raw, network).count, 0, "no errors for IP or link broadcast")
        try expectEqual(a.counters.udp.noSocket, 2, "counted")
    }

    suite.test("icmp.errors-and-unknown-types-are-never-answered") { () throws(TestFailure) in
        let (network, a, raw) = hostAndRaw()
        // A port unreachable about something A sent, then a timestamp request (type 13, unsupported).
        var quoted = ipv4Datagram(from: aIP, to: rawIP, protocol: .udp, udpMessage(from: aIP, 5, to: rawIP, 6, []))
        quoted = Array(quoted[0..<28])
        var unreachable = [3, 3, 0, 0, 0, 0, 0, 0] + quoted
        var timestamp: [UInt8] = [13, 0, 0, 0, 0, 1, 0, 1] + [UInt8](repeating: 0, count: 12)
        for index in [0, 1] {
            var message = index == 0 ? unreachable : timestamp
            message.withUnsafeMutableBytes { raw in ICMPv4Packet(unchecked: raw).fillChecksum() }
            if index == 0 { unreachable = message } else { timestamp = message }
        }
        for message in [unreachable, timestamp] {
            network.link.inject(
                ethernetFrame(
                    to: aMAC, from: rawMAC, type: .ipv4, ipv4Datagram(from: rawIP, to: aIP, protocol: .icmp, message)),
                into: a.port, at: network.now)
        }
        network.run(for: .milliseconds(1))
        try expectEqual(drain(raw, network).count, 0, "nothing sent")
        try expectEqual(a.counters.icmp.errorsReceived, 1, "error received")
        try expectEqual(a.counters.icmp.unsupported, 1, "unsupported type")
    }

    suite.test("icmp.protocol-unreachable-for-an-unknown-protocol") { () throws(TestFailure) in
        let (network, a, raw) = hostAndRaw()
        network.link.inject(
            ethernetFrame(
                to: aMAC, from: rawMAC, type: .ipv4,
                ipv4Datagram(from: rawIP, to: aIP, protocol: .unknown(0x99), pattern(12))),
            into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        let errors = drain(raw, network)
        try expectEqual(errors.count, 1, "errors")
        try expect(errors[0].icmpType == .destinationUnreachable && errors[0].icmpCode == 2, "type 3 code 2")
        try expectBytes(Array(errors[0].icmpBody[20...]), pattern(8), "first 8 bytes quoted")
        try expectEqual(a.counters.ipv4.unknownProtocol, 1, "counted")
    }

    suite.test("icmp.bad-checksum-is-dropped-and-the-next-echo-answered") { () throws(TestFailure) in
        let (network, a, raw) = hostAndRaw()
        var bad = echoFrame(from: (rawMAC, rawIP), to: (aMAC, aIP), [9, 9, 9, 9])
        bad[bad.count - 1] ^= 0x40
        network.link.inject(bad, into: a.port, at: network.now)
        network.link.inject(Array(bad[0..<(34 + 7)]), into: a.port, at: network.now)  // too short for the header
        network.link.inject(
            echoFrame(from: (rawMAC, rawIP), to: (aMAC, aIP), [9, 9, 9, 9]), into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        try expectEqual(a.counters.icmp.checksumErrors, 1, "checksum errors")
        try expectEqual(drain(raw, network).count, 1, "the good echo answered")
    }
}
