/// ARP (Sources/Net/Interface/Interface+ARP.swift, ARPCache.swift): resolution, replies, the RFC 826 merge rule,
/// expiry, the cache and queue bounds, retries and give-up, and RFC 5227 announcements.
import Net
import NetTesting
import Runtime

private let rawMAC = testMAC(9)
private let rawIP = ip("10.0.0.9")

/// A request from the raw host (or `sender`) asking for `target`.
private func arpRequest(
    from sender: (MACAddress, IPv4Address) = (rawMAC, rawIP), for target: IPv4Address
) -> [UInt8] {
    ethernetFrame(
        to: .broadcast, from: sender.0, type: .arp,
        arpPayload(
            ARPMessage(
                operation: .request, senderHardwareAddress: sender.0, senderProtocolAddress: sender.1,
                targetHardwareAddress: MACAddress(rawValue: 0), targetProtocolAddress: target)))
}

/// No gratuitous ARP, so that frame counts only show what a test does.
private func quiet(_ configuration: inout InterfaceConfiguration) {
    configuration.arp.announcements = 0
}

func registerARPTests(_ suite: inout TestSuite) {
    suite.test("arp.resolves-the-neighbour-then-sends-the-queued-datagram") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let b = network.addHost("10.0.0.3/24", mac: 3, configure: quiet)
        let server = try b.bind(7000)
        let client = try a.bind(5000)
        try a.send(client, Array("hello".utf8), to: ip("10.0.0.3"), port: 7000)
        try expect(network.run(for: .seconds(1)) { b.sockets[udp: server].canReceive }, "datagram arrives")
        let frames = network.captured()
        try expectEqual(frames.count, 3, "frames on the link (request, reply, datagram)")
        let request = try unwrap(frames[0].arp, "first frame is ARP")
        try expect(frames[0].isARPRequest && frames[0].ethernet?.destination == .broadcast, "broadcast request")
        try expectEqual(request.targetProtocolAddress, ip("10.0.0.3"), "asks for B")
        try expect(frames[1].isARPReply && frames[1].ethernet?.destination == testMAC(2), "unicast reply to A")
        try expectEqual(frames[2].ethernet?.destination ?? .broadcast, testMAC(3), "datagram to B's MAC")
        try expectEqual(a.interface.neighbor(ip("10.0.0.3"), now: network.now) ?? .broadcast, testMAC(3), "A caches B")
        try expectEqual(b.interface.neighbor(ip("10.0.0.2"), now: network.now) ?? .broadcast, testMAC(2), "B learned A")
        try expectEqual(a.counters.arp.requestsSent, 1, "requests sent")
        try expectEqual(b.counters.arp.repliesSent, 1, "replies sent")
        try expectEqual(a.interface.pendingResolutionCount, 0, "queue drained")
    }

    suite.test("arp.answers-a-request-for-our-address-with-exact-fields") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let raw = network.addRawPort(mac: 9)
        network.link.inject(arpRequest(for: ip("10.0.0.2")), into: a.port, at: network.now)
        network.run(for: .milliseconds(10))
        let reply = Decoded(try unwrap(raw.receiveFrame(now: network.now), "reply"))
        try expectEqual(reply.ethernet?.destination ?? .broadcast, rawMAC, "Ethernet destination")
        try expectEqual(reply.ethernet?.source ?? .broadcast, testMAC(2), "Ethernet source")
        let expected = ARPMessage(
            operation: .reply, senderHardwareAddress: testMAC(2), senderProtocolAddress: ip("10.0.0.2"),
            targetHardwareAddress: rawMAC, targetProtocolAddress: rawIP)
        try expectEqual(try unwrap(reply.arp, "ARP"), expected, "reply")
        try expectEqual(a.interface.neighbor(rawIP, now: network.now) ?? .broadcast, rawMAC, "requester cached")
    }

    suite.test("arp.answers-a-probe-for-our-address-rfc5227") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let raw = network.addRawPort(mac: 9)
        // RFC 5227 §2.1.1: a probe has sender IP 0.0.0.0 and the address being checked as its target.
        network.link.inject(arpRequest(from: (rawMAC, .unspecified), for: ip("10.0.0.2")), into: a.port, at: network.now)
        network.run(for: .milliseconds(10))
        let reply = Decoded(try unwrap(raw.receiveFrame(now: network.now), "a reply to the probe"))
        try expectEqual(reply.ethernet?.destination ?? .broadcast, rawMAC, "unicast to the prober")
        let expected = ARPMessage(
            operation: .reply, senderHardwareAddress: testMAC(2), senderProtocolAddress: ip("10.0.0.2"),
            targetHardwareAddress: rawMAC, targetProtocolAddress: .unspecified)
        try expectEqual(try unwrap(reply.arp, "ARP"), expected, "reply")
        try expectEqual(a.counters.arp.probesAnswered, 1, "probes answered")
        // A probe for another address is not ours to answer.
        network.link.inject(arpRequest(from: (rawMAC, .unspecified), for: ip("10.0.0.7")), into: a.port, at: network.now)
        network.run(for: .milliseconds(10))
        try expect(raw.receiveFrame(now: network.now) == nil, "no reply to a probe for another address")
        try expectEqual(a.counters.arp.probesAnswered, 1, "still one probe answered")
    }

    suite.test("arp.ignores-requests-for-other-addresses") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let raw = network.addRawPort(mac: 9)
        network.link.inject(arpRequest(for: ip("10.0.0.77")), into: a.port, at: network.now)
        network.run(for: .milliseconds(10))
        try expect(raw.receiveFrame(now: network.now) == nil, "no reply")
        try expectEqual(a.counters.arp.received, 1, "received")
        try expectEqual(a.interface.neighborCount, 0, "nothing learned (RFC 826: not the target, not in the table)")
    }

    suite.test("arp.cache-entry-expires-after-60-seconds") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let b = network.addHost("10.0.0.3/24", mac: 3, configure: quiet)
        _ = try b.bind(7000)
        let client = try a.bind(5000)
        try a.send(client, [1], to: ip("10.0.0.3"), port: 7000)
        network.run(for: .milliseconds(10))
        let learnedAt = network.now
        try expectEqual(a.counters.arp.requestsSent, 1, "first resolution")
        network.run(for: .seconds(59))
        try expect(a.interface.neighbor(ip("10.0.0.3"), now: network.now) != nil, "valid at 59 s")
        try a.send(client, [2], to: ip("10.0.0.3"), port: 7000)
        network.run(for: .milliseconds(10))
        try expectEqual(a.counters.arp.requestsSent, 1, "no request while valid")
        network.now = learnedAt + .seconds(61)
        try expect(a.interface.neighbor(ip("10.0.0.3"), now: network.now) == nil, "expired at 61 s")
        try a.send(client, [3], to: ip("10.0.0.3"), port: 7000)
        network.run(for: .milliseconds(10))
        try expectEqual(a.counters.arp.requestsSent, 2, "resolved again after expiry")
        try expectEqual(b.counters.udp.received, 3, "all three datagrams arrived")
    }

    suite.test("arp.cache-is-bounded-and-evicts-the-oldest-entry") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2) { configuration in
            configuration.arp.announcements = 0
            configuration.arp.cacheCapacity = 4
        }
        for index in 0..<6 {
            let sender = (testMAC(UInt8(20 + index)), IPv4Address(10, 0, 0, UInt8(20 + index)))
            network.link.inject(arpRequest(from: sender, for: ip("10.0.0.2")), into: a.port, at: network.now)
            network.run(for: .milliseconds(1))
        }
        try expectEqual(a.interface.neighborCount, 4, "entries")
        try expectEqual(a.counters.arp.evictions, 2, "evictions")
        try expect(a.interface.neighbor(ip("10.0.0.20"), now: network.now) == nil, "oldest evicted")
        try expect(a.interface.neighbor(ip("10.0.0.21"), now: network.now) == nil, "second oldest evicted")
        for last in 22...25 {
            try expect(
                a.interface.neighbor(IPv4Address(10, 0, 0, UInt8(last)), now: network.now) != nil,
                "10.0.0.\(last) kept")
        }
    }

    suite.test("arp.pending-queue-is-bounded-per-destination") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let client = try a.bind(5000)
        for index in 0..<6 { try a.send(client, [UInt8(index)], to: ip("10.0.0.50"), port: 9) }
        network.pollAll()
        try expectEqual(a.interface.pendingResolutionCount, 4, "queued (4 per destination)")
        try expectEqual(a.counters.arp.pendingOverflows, 2, "overflow counted")
        try expectEqual(a.counters.arp.requestsSent, 1, "one request for one destination")
    }

    suite.test("arp.pending-queue-is-bounded-in-total") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let client = try a.bind(5000)
        for destination in 50..<55 {
            for index in 0..<4 {
                try a.send(client, [UInt8(index)], to: IPv4Address(10, 0, 0, UInt8(destination)), port: 9)
            }
            network.pollAll()
        }
        try expectEqual(a.interface.pendingResolutionCount, 16, "queued (16 in all)")
        try expectEqual(a.counters.arp.pendingOverflows, 4, "overflow counted")
    }

    suite.test("arp.retries-every-second-three-times-then-gives-up") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let client = try a.bind(5000)
        let start = network.now
        try a.send(client, [1], to: ip("10.0.0.50"), port: 9)
        try a.send(client, [2], to: ip("10.0.0.50"), port: 9)
        network.run(for: .seconds(10))
        let requests = network.link.captured.filter { Decoded($0.bytes).isARPRequest }
        try expectEqual(requests.count, 3, "requests")
        for (index, request) in requests.enumerated() {
            try expectEqual((request.time - start).milliseconds, Int64(index) * 1000, "request \(index) time (ms)")
        }
        try expectEqual(a.counters.arp.unresolved, 1, "given up")
        try expectEqual(a.counters.arp.pendingDropped, 2, "queued datagrams dropped")
        try expectEqual(a.interface.pendingResolutionCount, 0, "queue empty")
        try expect(a.interface.nextPollTime(now: network.now, sockets: a.sockets) == nil, "nothing left to do")
    }

    suite.test("arp.announces-twice-at-start-and-the-peer-sees-it") { () throws(TestFailure) in
        let network = TestNetwork()
        let start = network.now
        _ = network.addHost("10.0.0.2/24", mac: 2)
        let raw = network.addRawPort(mac: 9)
        network.run(for: .seconds(10))
        var seen: [(Instant, ARPMessage)] = []
        var clock = start
        while clock <= network.now {
            while let frame = raw.receiveFrame(now: clock) {
                let decoded = Decoded(frame)
                try expectEqual(decoded.ethernet?.destination ?? testMAC(0), .broadcast, "to broadcast")
                seen.append((clock, try unwrap(decoded.arp, "ARP")))
            }
            clock = clock + .milliseconds(1)
        }
        try expectEqual(seen.count, 2, "announcements (RFC 5227 ANNOUNCE_NUM)")
        let expected = ARPMessage(
            operation: .request, senderHardwareAddress: testMAC(2), senderProtocolAddress: ip("10.0.0.2"),
            targetHardwareAddress: MACAddress(rawValue: 0), targetProtocolAddress: ip("10.0.0.2"))
        try expectEqual(seen[0].1, expected, "first announcement")
        try expectEqual(seen[1].1, expected, "second announcement")
        try expectEqual((seen[1].0 - seen[0].0).milliseconds, 2000, "ANNOUNCE_INTERVAL (ms)")
    }

    suite.test("arp.announcement-updates-an-existing-entry-only") { () throws(TestFailure) in
        let network = TestNetwork()
        let b = network.addHost("10.0.0.3/24", mac: 3, configure: quiet)
        // B learns 10.0.0.9 at 02:..:09 from its request, then 10.0.0.9 announces a new MAC.
        network.link.inject(arpRequest(for: ip("10.0.0.3")), into: b.port, at: network.now)
        network.run(for: .milliseconds(1))
        let newMAC = testMAC(0x19)
        let announcement = { (address: IPv4Address) -> [UInt8] in
            ethernetFrame(
                to: .broadcast, from: newMAC, type: .arp,
                arpPayload(
                    ARPMessage(
                        operation: .request, senderHardwareAddress: newMAC, senderProtocolAddress: address,
                        targetHardwareAddress: MACAddress(rawValue: 0), targetProtocolAddress: address)))
        }
        network.link.inject(announcement(rawIP), into: b.port, at: network.now)
        network.link.inject(announcement(ip("10.0.0.77")), into: b.port, at: network.now)
        network.run(for: .milliseconds(1))
        try expectEqual(b.interface.neighbor(rawIP, now: network.now) ?? .broadcast, newMAC, "entry updated")
        try expect(b.interface.neighbor(ip("10.0.0.77"), now: network.now) == nil, "no entry created")
        try expectEqual(b.counters.arp.repliesSent, 1, "announcements are not answered")
    }

    suite.test("arp.a-claim-of-our-address-is-counted-as-a-conflict") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        network.link.inject(
            arpRequest(from: (rawMAC, ip("10.0.0.2")), for: ip("10.0.0.2")), into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        try expectEqual(a.counters.arp.conflicts, 1, "conflicts")
        try expectEqual(a.interface.neighborCount, 0, "our own address is never cached")
        try expectEqual(a.counters.arp.repliesSent, 0, "not answered")
    }

    suite.test("arp.malformed-packets-are-dropped-and-counted") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let raw = network.addRawPort(mac: 9)
        let good = arpRequest(for: ip("10.0.0.2"))
        var badHardware = good
        badHardware[14 + 1] = 6  // hardware type 6 (IEEE 802)
        var badLength = good
        badLength[14 + 5] = 16  // protocol address length 16
        for frame in [Array(good[0..<(14 + 27)]), badHardware, badLength, Array(good[0..<14])] {
            network.link.inject(frame, into: a.port, at: network.now)
        }
        network.link.inject(good, into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        try expectEqual(a.counters.arp.malformed, 4, "malformed")
        try expectEqual(a.counters.arp.repliesSent, 1, "the good request is still answered")
        try expect(raw.receiveFrame(now: network.now) != nil, "reply arrived")
    }
}
