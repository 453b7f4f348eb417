/// IPv4 (Sources/Net/Interface/Interface+IPv4.swift): what we emit (TTL, checksums, DF), routing on-link and via
/// the gateway, which destinations are ours, options, padding, fragments and the reassembly hook, bad headers.
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

/// A host A (10.0.0.2/24) with a socket on port 7000, and a raw host at 10.0.0.9.
private func hostWithSocket() throws(TestFailure) -> (TestNetwork, Host, UDPHandle, VirtualLinkDevice) {
    let network = TestNetwork()
    let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
    let raw = network.addRawPort(mac: 9)
    let socket = try a.bind(7000)
    return (network, a, socket, raw)
}

/// The raw host asks for A, so that A knows its MAC and can answer it.
func introduceRawHost(_ network: TestNetwork, to host: Host) {
    let address = host.interface.address!.address
    network.link.inject(
        ethernetFrame(
            to: .broadcast, from: rawMAC, type: .arp,
            arpPayload(
                ARPMessage(
                    operation: .request, senderHardwareAddress: rawMAC, senderProtocolAddress: rawIP,
                    targetHardwareAddress: MACAddress(rawValue: 0), targetProtocolAddress: address))),
        into: host.port, at: network.now)
    network.run(for: .milliseconds(1))
}

func registerIPv4Tests(_ suite: inout TestSuite) {
    suite.test("ipv4.emitted-datagrams-have-ttl-64-df-and-valid-checksums") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let b = network.addHost("10.0.0.3/24", mac: 3, configure: quiet)
        _ = try b.bind(7000)
        let client = try a.bind(5000)
        try a.send(client, pattern(100), to: ip("10.0.0.3"), port: 7000)
        a.interface.sendEchoRequest(
            to: ip("10.0.0.3"), identifier: 1, sequenceNumber: 1, payload: pattern(32), now: network.now)
        network.run(for: .milliseconds(10))
        let datagrams = network.captured().filter { $0.ip != nil }
        try expectEqual(datagrams.count, 3, "UDP, echo request, echo reply")
        for frame in datagrams {
            let header = try unwrap(frame.ip, "IPv4")
            try expectEqual(header.timeToLive, 64, "TTL")
            try expect(header.dontFragment && !header.moreFragments && header.fragmentOffset == 0, "DF, no fragment")
            try expectEqual(frame.ipHeaderLength, 20, "header length")
            try expect(frame.ipChecksumValid, "IPv4 header checksum")
        }
        let udp = try unwrap(datagrams.first { $0.isUDP }, "the UDP datagram")
        try expect(udp.udpChecksumValid, "UDP checksum present and valid")
        try expectBytes(udp.udpPayload, pattern(100), "UDP payload")
        let icmp = datagrams.filter { $0.icmpType != nil }
        try expect(icmp.count == 2 && icmp[0].icmpChecksumValid && icmp[1].icmpChecksumValid, "ICMP checksums")
        try expect(datagrams[0].ip!.identification != datagrams[1].ip!.identification, "identification advances")
    }

    suite.test("ipv4.off-subnet-destination-goes-to-the-gateway-mac") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", gateway: "10.0.0.1", mac: 2, configure: quiet)
        let gateway = network.addHost("10.0.0.1/24", mac: 1, configure: quiet)
        let client = try a.bind(5000)
        try a.send(client, Array("out".utf8), to: ip("8.8.8.8"), port: 53)
        network.run(for: .milliseconds(10))
        let frames = network.captured(from: a.port)
        try expectEqual(frames.count, 2, "ARP request and datagram")
        try expectEqual(frames[0].arp?.targetProtocolAddress ?? aIP, ip("10.0.0.1"), "ARP asks for the gateway")
        try expectEqual(frames[1].ethernet?.destination ?? .broadcast, testMAC(1), "frame to the gateway's MAC")
        try expectEqual(frames[1].ip?.destination ?? aIP, ip("8.8.8.8"), "datagram to the far address")
        try expectEqual(gateway.counters.ipv4.notForUs, 1, "the gateway host (not a router) drops it")
        try expectEqual(a.interface.route(to: ip("10.0.0.77")) ?? aIP, ip("10.0.0.77"), "on-link route")
        try expectEqual(a.interface.route(to: ip("192.0.2.1")) ?? aIP, ip("10.0.0.1"), "default route")
    }

    suite.test("ipv4.no-route-without-a-gateway-is-counted") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let client = try a.bind(5000)
        try a.send(client, [1], to: ip("8.8.8.8"), port: 53)
        network.run(for: .seconds(5))
        try expectEqual(a.counters.ipv4.noRoute, 1, "no route")
        try expectEqual(network.link.captured.count, 0, "nothing sent")
        try expect(a.interface.route(to: ip("8.8.8.8")) == nil, "route(to:) says so")
    }

    suite.test("ipv4.accepts-our-address-subnet-broadcast-and-limited-broadcast") { () throws(TestFailure) in
        let (network, a, socket, _) = try hostWithSocket()
        for (destination, mac) in [(aIP, aMAC), (ip("10.0.0.255"), .broadcast), (ip("255.255.255.255"), .broadcast)] {
            network.link.inject(
                udpFrame(
                    from: (rawMAC, rawIP, 4000), to: (mac, destination, 7000), Array(destination.description.utf8)),
                into: a.port, at: network.now)
        }
        network.run(for: .milliseconds(1))
        for expected in ["10.0.0.2", "10.0.0.255", "255.255.255.255"] {
            let datagram = try unwrap(a.receive(socket), "datagram to \(expected)")
            try expectBytes(datagram.payload, Array(expected.utf8), "payload")
            try expectEqual(datagram.address, rawIP, "source")
            try expectEqual(datagram.port, 4000, "source port")
        }
        try expectEqual(a.counters.ipv4.received, 3, "received")
    }

    suite.test("ipv4.drops-datagrams-for-other-addresses") { () throws(TestFailure) in
        let (network, a, socket, _) = try hostWithSocket()
        for destination in [ip("10.0.0.77"), ip("10.0.1.255"), ip("224.0.0.1")] {
            network.link.inject(
                udpFrame(from: (rawMAC, rawIP, 4000), to: (aMAC, destination, 7000), [1]), into: a.port,
                at: network.now)
        }
        network.run(for: .milliseconds(1))
        try expectEqual(a.counters.ipv4.notForUs, 3, "not for us")
        try expect(a.receive(socket) == nil, "nothing delivered")
    }

    suite.test("ipv4.options-are-skipped") { () throws(TestFailure) in
        let (network, a, socket, raw) = try hostWithSocket()
        let options: [UInt8] = [0x01, 0x01, 0x01, 0x00]  // NOP NOP NOP EOL (RFC 791 §3.1)
        introduceRawHost(network, to: a)
        let udp = udpMessage(from: rawIP, 4000, to: aIP, 7000, Array("with options".utf8))
        network.link.inject(
            ethernetFrame(
                to: aMAC, from: rawMAC, type: .ipv4,
                ipv4Datagram(from: rawIP, to: aIP, protocol: .udp, udp, options: options)),
            into: a.port, at: network.now)
        let echo = echoRequestMessage(identifier: 7, sequenceNumber: 9, pattern(20))
        network.link.inject(
            ethernetFrame(
                to: aMAC, from: rawMAC, type: .ipv4,
                ipv4Datagram(from: rawIP, to: aIP, protocol: .icmp, echo, options: options + options)),
            into: a.port, at: network.now)
        network.run(for: .milliseconds(10))
        try expectBytes(try unwrap(a.receive(socket), "datagram").payload, Array("with options".utf8), "payload")
        var replies = 0
        while let frame = raw.receiveFrame(now: network.now) {
            let decoded = Decoded(frame)
            if decoded.icmpType == .echoReply {
                replies += 1
                try expectBytes(Array(decoded.icmpBody), pattern(20), "echo data")
                try expectEqual(decoded.ipHeaderLength, 20, "reply has no options")
            }
        }
        try expectEqual(replies, 1, "echo with options answered")
    }

    suite.test("ipv4.ethernet-padding-is-ignored") { () throws(TestFailure) in
        let (network, a, socket, _) = try hostWithSocket()
        var frame = udpFrame(from: (rawMAC, rawIP, 4000), to: (aMAC, aIP, 7000), [0xAB, 0xCD])
        try expectEqual(frame.count, 44, "unpadded length")
        frame += [UInt8](repeating: 0xEE, count: 60 - frame.count)
        network.link.inject(frame, into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        try expectBytes(try unwrap(a.receive(socket), "datagram").payload, [0xAB, 0xCD], "payload without padding")
    }

    suite.test("ipv4.fragments-are-dropped-and-counted-without-a-reassembler") { () throws(TestFailure) in
        let (network, a, socket, _) = try hostWithSocket()
        let udp = udpMessage(from: rawIP, 4000, to: aIP, 7000, pattern(40))
        network.link.inject(
            ethernetFrame(
                to: aMAC, from: rawMAC, type: .ipv4,
                ipv4Datagram(from: rawIP, to: aIP, protocol: .udp, Array(udp[0..<24]), moreFragments: true)),
            into: a.port, at: network.now)
        network.link.inject(
            ethernetFrame(
                to: aMAC, from: rawMAC, type: .ipv4,
                ipv4Datagram(from: rawIP, to: aIP, protocol: .udp, Array(udp[24...]), fragmentOffset: 24)),
            into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        try expectEqual(a.counters.ipv4.fragmentsDropped, 2, "fragments dropped")
        try expect(a.receive(socket) == nil, "nothing delivered")
        try expectEqual(a.counters.icmp.errorsSent, 0, "no port unreachable for fragments")
    }

    suite.test("ipv4.fragments-go-to-the-reassembly-hook") { () throws(TestFailure) in
        let (network, a, socket, _) = try hostWithSocket()
        /// A toy reassembler for two in-order fragments: enough to check the hook's contract.
        final class TwoPieces {
            var first: [UInt8] = []
            var calls = 0
        }
        let state = TwoPieces()
        a.interface.reassembler = IPv4ReassemblyHook(
            accept: { header, fragment, _ in
                state.calls += 1
                if header.moreFragments {
                    state.first = Array(fragment)
                    return nil
                }
                let whole = state.first + Array(fragment)
                var complete = header
                complete.fragmentOffset = 0
                complete.moreFragments = false
                complete.payloadLength = whole.count
                return (complete, PacketBuffer(whole))
            }, expire: { _ in }, nextDeadline: { nil })
        let udp = udpMessage(from: rawIP, 4000, to: aIP, 7000, pattern(40))
        network.link.inject(
            ethernetFrame(
                to: aMAC, from: rawMAC, type: .ipv4,
                ipv4Datagram(from: rawIP, to: aIP, protocol: .udp, Array(udp[0..<24]), moreFragments: true)),
            into: a.port, at: network.now)
        network.link.inject(
            ethernetFrame(
                to: aMAC, from: rawMAC, type: .ipv4,
                ipv4Datagram(from: rawIP, to: aIP, protocol: .udp, Array(udp[24...]), fragmentOffset: 24)),
            into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        try expectEqual(state.calls, 2, "hook calls")
        try expectEqual(a.counters.ipv4.reassembled, 1, "reassembled")
        try expectBytes(try unwrap(a.receive(socket), "datagram").payload, pattern(40), "payload")
    }

    suite.test("ipv4.the-reassembler-delivers-out-of-order-fragments") { () throws(TestFailure) in
        let (network, a, socket, _) = try hostWithSocket()
        let reassembly = SharedIPv4Reassembler()
        a.interface.reassembler = reassembly.hook
        let udp = udpMessage(from: rawIP, 4000, to: aIP, 7000, pattern(2992, seed: 9))
        let pieces: [(Range<Int>, Bool)] = [(2960..<3000, false), (0..<1480, true), (1480..<2960, true)]
        for (range, more) in pieces {
            network.link.inject(
                ethernetFrame(
                    to: aMAC, from: rawMAC, type: .ipv4,
                    ipv4Datagram(
                        from: rawIP, to: aIP, protocol: .udp, Array(udp[range]), moreFragments: more,
                        fragmentOffset: UInt16(range.lowerBound), identification: 77)),
                into: a.port, at: network.now)
        }
        try expect(a.interface.nextPollTime(now: network.now, sockets: a.sockets) == nil, "idle before")
        network.pollAll()
        try expectEqual(reassembly.statistics.reassembled, 1, "reassembled")
        try expectEqual(a.counters.ipv4.reassembled, 1, "counted by the interface")
        try expectBytes(try unwrap(a.receive(socket), "datagram").payload, pattern(2992, seed: 9), "payload")
        // A lone first fragment is held, then expires at the reassembler's timeout through the interface's poll.
        network.link.inject(
            ethernetFrame(
                to: aMAC, from: rawMAC, type: .ipv4,
                ipv4Datagram(
                    from: rawIP, to: aIP, protocol: .udp, Array(udp[0..<1480]), moreFragments: true,
                    identification: 78)),
            into: a.port, at: network.now)
        network.pollAll()
        let expiry = try unwrap(a.interface.nextPollTime(now: network.now, sockets: a.sockets), "expiry scheduled")
        try expectEqual((expiry - network.now).milliseconds, 30_000, "30 s reassembly timeout")
        network.run(for: .seconds(31))
        try expectEqual(reassembly.statistics.timedOut, 1, "timed out")
        try expect(a.interface.nextPollTime(now: network.now, sockets: a.sockets) == nil, "idle after")
    }

    suite.test("ipv4.bad-checksums-and-malformed-headers-are-dropped-and-counted") { () throws(TestFailure) in
        let (network, a, socket, _) = try hostWithSocket()
        let good = udpFrame(from: (rawMAC, rawIP, 4000), to: (aMAC, aIP, 7000), [1, 2, 3])
        var badChecksum = good
        badChecksum[14 + 10] ^= 0xFF
        var version6 = good
        version6[14] = 0x65
        var shortIHL = good
        shortIHL[14] = 0x44
        var longTotal = good
        longTotal[14 + 3] = 0xFF  // total length beyond the frame
        for frame in [badChecksum, version6, shortIHL, longTotal, Array(good[0..<(14 + 19)])] {
            network.link.inject(frame, into: a.port, at: network.now)
        }
        network.link.inject(good, into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        try expectEqual(a.counters.ipv4.checksumErrors, 1, "checksum errors")
        try expectEqual(a.counters.ipv4.malformed, 4, "malformed")
        try expectEqual(a.counters.ipv4.received, 1, "the good one")
        try expectBytes(try unwrap(a.receive(socket), "datagram").payload, [1, 2, 3], "payload")
    }

    suite.test("ipv4.broadcast-and-multicast-sources-are-dropped") { () throws(TestFailure) in
        let (network, a, socket, _) = try hostWithSocket()
        for source in [ip("255.255.255.255"), ip("224.0.0.5"), ip("10.0.0.255")] {
            network.link.inject(
                udpFrame(from: (rawMAC, source, 4000), to: (aMAC, aIP, 9999), [1]), into: a.port, at: network.now)
        }
        network.run(for: .milliseconds(1))
        try expectEqual(a.counters.ipv4.badSource, 3, "bad sources")
        try expect(a.receive(socket) == nil, "nothing delivered")
        try expectEqual(a.counters.icmp.errorsSent, 0, "never answered")
    }

    suite.test("ipv4.our-own-address-as-a-source-from-the-link-is-dropped") { () throws(TestFailure) in
        let (network, a, socket, _) = try hostWithSocket()
        // A spoofed datagram claiming to come from A itself, to A's bound port and to a closed one.
        network.link.inject(udpFrame(from: (rawMAC, aIP, 4000), to: (aMAC, aIP, 7000), [1]), into: a.port, at: network.now)
        network.link.inject(udpFrame(from: (rawMAC, aIP, 4000), to: (aMAC, aIP, 9999), [2]), into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        try expectEqual(a.counters.ipv4.badSource, 2, "spoofed own source")
        try expect(a.receive(socket) == nil, "nothing delivered")
        try expectEqual(a.counters.icmp.errorsSent, 0, "no port unreachable sent to ourselves")
        // Our own datagrams looped back still arrive (RFC 1122 §3.3.5 local delivery).
        let client = try a.bind(5000)
        try a.send(client, [3], to: aIP, port: 7000)
        try expect(network.run(for: .milliseconds(10)) { a.sockets[udp: socket].canReceive }, "loopback delivers")
        try expectEqual(a.counters.ipv4.badSource, 2, "loopback is not a spoofed source")
    }
}
