/// Robustness: malformed frames at every layer, seeded garbage, a faulty link under a retrying UDP client, and the
/// bound on work per poll.
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

/// Every drop counter of every layer, summed.
private func drops(_ c: InterfaceCounters) -> Int {
    c.ethernet.malformed + c.ethernet.notForUs + c.ethernet.unknownType + c.arp.malformed + c.ipv4.malformed
        + c.ipv4.checksumErrors + c.ipv4.notForUs + c.ipv4.badSource + c.ipv4.fragmentsDropped
        + c.ipv4.unknownProtocol + c.icmp.malformed + c.icmp.checksumErrors + c.icmp.unsupported
        + c.udp.malformed + c.udp.checksumErrors + c.udp.noSocket
}

func registerRobustnessTests(_ suite: inout TestSuite) {
    suite.test("robustness.every-truncation-is-dropped-and-counted-and-answers-continue") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let raw = network.addRawPort(mac: 9)
        let socket = try a.bind(7000)
        introduceRawHost(network, to: a)
        while raw.receiveFrame(now: network.now) != nil {}
        let before = a.counters
        let frames = [
            echoFrame(from: (rawMAC, rawIP), to: (aMAC, aIP), pattern(40)),
            udpFrame(from: (rawMAC, rawIP, 4000), to: (aMAC, aIP, 7000), pattern(40)),
            ethernetFrame(
                to: aMAC, from: rawMAC, type: .arp,
                arpPayload(
                    ARPMessage(
                        operation: .request, senderHardwareAddress: rawMAC, senderProtocolAddress: rawIP,
                        targetHardwareAddress: MACAddress(rawValue: 0), targetProtocolAddress: aIP))),
        ]
        var injected = 0
        for frame in frames {
            for length in 0..<frame.count {
                network.link.inject(Array(frame[0..<length]), into: a.port, at: network.now)
                injected += 1
            }
            network.run(for: .milliseconds(1))
        }
        let after = a.counters
        try expectEqual(after.ethernet.received - before.ethernet.received, injected, "all read")
        try expectEqual(drops(after) - drops(before), injected, "each dropped and counted once")
        try expectEqual(after.ethernet.malformed - before.ethernet.malformed, 14 * 3, "shorter than Ethernet")
        try expectEqual(after.icmp.sent, before.icmp.sent, "no reply to any truncation")
        for frame in frames { network.link.inject(frame, into: a.port, at: network.now) }
        network.run(for: .milliseconds(1))
        try expectBytes(try unwrap(a.receive(socket), "whole datagram").payload, pattern(40), "payload")
        var echoReplies = 0
        var arpReplies = 0
        while let frame = raw.receiveFrame(now: network.now) {
            let decoded = Decoded(frame)
            if decoded.icmpType == .echoReply { echoReplies += 1 }
            if decoded.isARPReply { arpReplies += 1 }
        }
        try expectEqual(echoReplies, 1, "echo answered")
        try expectEqual(arpReplies, 1, "ARP answered")
    }

    suite.test("robustness.seeded-garbage-never-traps-and-the-interface-keeps-answering") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let raw = network.addRawPort(mac: 9)
        _ = try a.bind(7000)
        introduceRawHost(network, to: a)
        while raw.receiveFrame(now: network.now) != nil {}
        var random: UInt64 = 0x5EED
        func next() -> UInt64 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return random >> 33
        }
        let templates = [
            echoFrame(from: (rawMAC, rawIP), to: (aMAC, aIP), pattern(64)),
            udpFrame(from: (rawMAC, rawIP, 4000), to: (aMAC, aIP, 7000), pattern(64)),
        ]
        let count = 2000
        for index in 0..<count {
            var frame: [UInt8]
            if index % 2 == 0 {
                // Pure garbage of any length, addressed to A, with a plausible EtherType half the time.
                frame = (0..<Int(next() % 1515)).map { _ in UInt8(truncatingIfNeeded: next()) }
                if frame.count >= 14 {
                    for byte in 0..<6 { frame[byte] = aMAC[byte] }
                    if next() % 2 == 0 {
                        frame[12] = 0x08
                        frame[13] = next() % 2 == 0 ? 0x00 : 0x06
                        if frame.count > 14 && frame[13] == 0 { frame[14] = 0x45 }
                    }
                }
            } else {
                // A valid frame with 1-4 random bytes changed after the MAC header.
                frame = templates[Int(next() % 2)]
                for _ in 0...(next() % 4) {
                    let at = 12 + Int(next() % UInt64(frame.count - 12))
                    frame[at] ^= UInt8(truncatingIfNeeded: next() % 255 + 1)
                }
            }
            network.link.inject(frame, into: a.port, at: network.now)
            if index % 100 == 99 { network.run(for: .milliseconds(1)) }
        }
        network.run(for: .milliseconds(1))
        try expectEqual(a.counters.ethernet.received, count + 1, "all read (and the introduction)")
        while raw.receiveFrame(now: network.now) != nil {}
        network.now = network.now + .seconds(2)  // refill the ICMP error bucket
        network.link.inject(
            echoFrame(from: (rawMAC, rawIP), to: (aMAC, aIP), sequenceNumber: 777, pattern(10)), into: a.port,
            at: network.now)
        network.run(for: .milliseconds(1))
        var answered = false
        while let frame = raw.receiveFrame(now: network.now) {
            let decoded = Decoded(frame)
            if decoded.icmpType == .echoReply && decoded.echoSequenceNumber == 777 { answered = true }
        }
        try expect(answered, "still answers ping")
    }

    suite.test("robustness.udp-retries-complete-over-a-lossy-reordering-duplicating-corrupting-link") {
        () throws(TestFailure) in
        let faults = FaultConfiguration(
            lossRate: 0.15, duplicationRate: 0.1, corruptionRate: 0.1, reorderRate: 0.2,
            reorderDelay: .milliseconds(30))
        let network = TestNetwork(faults: faults, seed: 42, latency: .milliseconds(1))
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let client = try a.bind(0)
        let server = try b.bind(7)
        // B is an echo server that sends every datagram back reversed; A retries every 50 ms until answered.
        let count = 100
        var attempts = 0
        var completed = 0
        for sequence in 0..<count {
            let request = [UInt8(truncatingIfNeeded: sequence >> 8), UInt8(truncatingIfNeeded: sequence)] + pattern(200)
            var answered = false
            var tries = 0
            while !answered {
                tries += 1
                attempts += 1
                if tries > 40 { throw TestFailure("request \(sequence) unanswered after 40 tries") }
                try a.send(client, request, to: ip("10.0.0.3"), port: 7)
                network.run(for: .milliseconds(50)) {
                    while let datagram = b.receive(server) {
                        _ = try? b.send(server, datagram.payload.reversed(), to: datagram.address, port: datagram.port)
                    }
                    while let datagram = a.receive(client) {
                        if datagram.payload == request.reversed() { answered = true }
                    }
                    return answered
                }
            }
            completed += 1
        }
        try expectEqual(completed, count, "every request answered")
        let injected = network.link.faults.counters
        try expect(injected.lost > 0 && injected.duplicated > 0, "loss and duplication happened: \(injected)")
        try expect(injected.corrupted > 0 && injected.reordered > 0, "corruption and reordering happened")
        try expect(attempts > count, "some requests needed retries (\(attempts) attempts)")
        let checksumErrors = a.counters.udp.checksumErrors + b.counters.udp.checksumErrors
            + a.counters.ipv4.checksumErrors + b.counters.ipv4.checksumErrors
        try expect(checksumErrors > 0, "corruption was caught by checksums")
        print("  \(injected); \(attempts) attempts for \(count) requests; \(checksumErrors) checksum errors")
    }

    suite.test("robustness.the-fault-injector-is-deterministic-for-a-seed") { () throws(TestFailure) in
        let faults = FaultConfiguration(lossRate: 0.3, duplicationRate: 0.3, corruptionRate: 0.3, reorderRate: 0.3)
        func run(_ seed: UInt64) -> ([[UInt8]], FaultCounters) {
            var injector = FaultInjector(faults, seed: seed)
            var out: [[UInt8]] = []
            for index in 0..<200 {
                for copy in injector.apply(to: pattern(64, seed: UInt8(index))) { out.append(copy.frame) }
            }
            return (out, injector.counters)
        }
        let (first, firstCounters) = run(7)
        let (second, secondCounters) = run(7)
        let (other, _) = run(8)
        try expect(first == second && firstCounters == secondCounters, "same seed, same faults")
        try expect(first != other, "another seed, other faults")
        try expectEqual(firstCounters.frames, 200, "frames")
        let expectedCopies = 200 - firstCounters.lost + firstCounters.duplicated
        try expectEqual(first.count, expectedCopies, "copies = frames - lost + duplicated")
    }

    suite.test("robustness.work-per-poll-is-bounded") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let b = network.addHost("10.0.0.3/24", mac: 3, configure: quiet)
        let socket = try a.bind(7000, receiveCapacity: 300)
        for index in 0..<200 {
            network.link.inject(
                udpFrame(from: (rawMAC, rawIP, 4000), to: (aMAC, aIP, 7000), [UInt8(index)]), into: a.port,
                at: network.now)
        }
        var perPoll: [Int] = []
        while network.link.pendingFrames(at: a.port) > 0 {
            let before = a.counters.ethernet.received
            a.interface.poll(now: network.now, sockets: &a.sockets)
            perPoll.append(a.counters.ethernet.received - before)
            if network.link.pendingFrames(at: a.port) > 0 {
                try expectEqual(
                    a.interface.nextPollTime(now: network.now, sockets: a.sockets) ?? .distantFuture, network.now,
                    "more work: poll again now")
            }
        }
        try expect(perPoll == [64, 64, 64, 8], "frames per poll: \(perPoll)")
        try expectEqual(a.sockets[udp: socket].receiveQueueCount, 200, "all delivered")
        // Egress: 100 queued datagrams leave 64 at a time.
        let sender: UDPHandle
        do throws(UDPBindError) {
            sender = try b.sockets.bindUDP(port: 5000, sendCapacity: 100)
        } catch {
            throw TestFailure("bind: \(error)")
        }
        b.interface.poll(now: network.now, sockets: &b.sockets)
        for index in 0..<100 { try b.send(sender, [UInt8(index)], to: aIP, port: 7000) }
        let taken = b.interface.pollEgress(now: network.now, sockets: &b.sockets)
        try expectEqual(taken, 64, "datagrams per egress poll")
        try expectEqual(b.sockets[udp: sender].sendQueueCount, 36, "left for the next poll")
        try expectEqual(
            b.interface.nextPollTime(now: network.now, sockets: b.sockets) ?? .distantFuture, network.now,
            "output pending: poll again now")
    }

    suite.test("counters.description-is-one-line") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        network.run(for: .seconds(3))
        let text = a.counters.description
        try expect(!text.utf8.contains(10), "one line")
        try expect(
            text.hasPrefix("eth rx=0 tx=2 drop=0 | arp rx=0 req=2 rep=0"), "starts with Ethernet and ARP: \(text)")
        try expect(contains(text, " | udp rx=0 tx=0 "), "ends with UDP: \(text)")
    }
}
