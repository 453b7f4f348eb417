/// Seeded mutation fuzzing of the DHCP and DNS parsers (from the scapy vectors), the resolver, the DHCP client and
/// the reassembler: nothing may trap, whatever parses must survive emit and parse unchanged, and the state
/// machines' bounds must hold. Seeds are fixed, so both modes run the same cases.
import Net
import Runtime

/// `bytes` with 1–4 random bytes replaced, and sometimes cut or extended.
private func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
    var mutated = bytes
    for _ in 0...(random.next() % 4) where !mutated.isEmpty {
        let index = Int(random.next() % UInt64(mutated.count))
        switch random.next() % 4 {
        case 0: mutated[index] = 0
        case 1: mutated[index] = 0xFF
        case 2: mutated[index] ^= UInt8(truncatingIfNeeded: 1 << (random.next() % 8))
        default: mutated[index] = UInt8(truncatingIfNeeded: random.next())
        }
    }
    switch random.next() % 8 {
    case 0: mutated.removeLast(Int(random.next() % UInt64(mutated.count + 1)))
    case 1: mutated += [UInt8(truncatingIfNeeded: random.next()), UInt8(truncatingIfNeeded: random.next())]
    default: break
    }
    return mutated
}

func registerFuzzTests(_ suite: inout TestSuite) {
    suite.test("fuzz.dhcp-mutations-never-trap-and-round-trip") { () throws(TestFailure) in
        var random = SplitMix64(state: 2131)
        var accepted = 0
        for vector in [dhcpDiscover, dhcpOffer, dhcpRequest, dhcpAck, dhcpNak, dhcpRenew] {
            for round in 0..<400 {
                let bytes = mutate(vector, &random)
                var parsed: DHCPMessage?
                try withBytes(bytes) { raw in parsed = try? parseDHCP(raw) }
                guard let message = parsed else { continue }
                accepted += 1
                if message.parameterRequestList.count > 255 || message.routers.count > 63
                    || message.dnsServers.count > 63
                {
                    continue
                }
                let again = try dhcpMessage(emitted(message), "round \(round) emitted")
                try expectEqual(again, message, "round \(round) round trip")
            }
        }
        try expect(accepted > 500, "enough mutations parse (\(accepted))")
    }
    suite.test("fuzz.dns-mutations-never-trap-and-round-trip") { () throws(TestFailure) in
        var random = SplitMix64(state: 1035)
        var accepted = 0
        for vector in [dnsQuery, dnsResponse, dnsNXDomain, dnsServerFailure] {
            for round in 0..<600 {
                let bytes = mutate(vector, &random)
                var parsed: DNSMessage?
                try withBytes(bytes) { raw in parsed = try? parseDNS(raw) }
                guard let message = parsed else { continue }
                accepted += 1
                _ = message.addresses(of: message.questions.first?.name ?? .root)
                _ = message.description
                let again = try dnsMessage(emitted(message), "round \(round) emitted")
                try expectEqual(again, message, "round \(round) round trip")
            }
        }
        try expect(accepted > 500, "enough mutations parse (\(accepted))")
    }
    suite.test("fuzz.resolver-survives-mutated-answers") { () throws(TestFailure) in
        var random = SplitMix64(state: 5452)
        var successes = 0
        for _ in 0..<300 {
            let ids = ScriptedRandom([UInt64(0x1234) | UInt64(50000 - 49152) << 16])
            var resolver = DNSResolver(servers: [IPv4Address(10, 0, 2, 3)], random: { ids.next() })
            resolver.start(name: DNSName("www.example.com")!, now: origin)
            _ = resolver.poll(now: origin)
            let bytes = mutate(random.next() % 2 == 0 ? dnsResponse : dnsNXDomain, &random)
            let result = PacketBuffer(bytes).withUnsafeReadableBytes { raw in
                resolver.handle(
                    raw, from: IPv4Address(10, 0, 2, 3), sourcePort: 53, destinationPort: 50000, now: origin)
            }
            if case .success(let answer)? = result {
                successes += 1
                try expect(!answer.addresses.isEmpty, "a success has addresses")
            }
            try expect((result == nil) == (resolver.state == .running), "a result ends the lookup")
        }
        try expect(successes > 0, "some mutated answers still resolve")
    }
    suite.test("fuzz.dhcp-client-survives-mutated-replies") { () throws(TestFailure) in
        var random = SplitMix64(state: 68)
        for _ in 0..<200 {
            let draws = ScriptedRandom(seed: random.next())
            var client = DHCPClient(hardwareAddress: clientMAC, random: { draws.next() })
            var now = origin
            for _ in 0..<20 {
                let polled = client.poll(now: now)
                if polled == nil { try expect(client.nextPollTime > now, "an empty poll schedules a later one") }
                if let sent = polled {
                    var reply = sent.message
                    reply.operation = .reply
                    reply.messageType = random.next() % 3 == 0 ? .nak : (random.next() % 2 == 0 ? .offer : .ack)
                    reply.yourAddress = IPv4Address(rawValue: UInt32(truncatingIfNeeded: random.next()))
                    reply.serverIdentifier = random.next() % 4 == 0 ? nil : dhcpServer
                    reply.leaseTime = random.next() % 4 == 0 ? nil : UInt32(truncatingIfNeeded: random.next() % 100_000)
                    reply.renewalTime = UInt32(truncatingIfNeeded: random.next() % 100_000)
                    reply.subnetMask = IPv4Address(rawValue: UInt32(truncatingIfNeeded: random.next()))
                    let bytes = mutate(emitted(reply), &random)
                    var parsed: DHCPMessage?
                    try withBytes(bytes) { raw in parsed = try? parseDHCP(raw) }
                    if let parsed { client.handle(parsed, now: now) }
                }
                while client.nextEvent() != nil {}
                if let lease = client.lease {
                    try expect(lease.renewalTime <= lease.rebindingTime, "T1 ≤ T2")
                    try expect(lease.rebindingTime <= lease.expiry, "T2 ≤ expiry")
                }
                now = Swift.max(now, client.nextPollTime)
            }
        }
    }
    suite.test("fuzz.reassembler-bounds-hold-under-random-fragments") { () throws(TestFailure) in
        var random = SplitMix64(state: 815)
        var reassembler = IPv4Reassembler(limits: .init(maximumBytes: 16384, maximumDatagrams: 4))
        let data = pattern(8192)
        var completed = 0
        for step in 0..<3000 {
            let now = at(milliseconds: step * 20)
            let id = UInt16(random.next() % 6)
            let start = Int(random.next() % 1024) * 8
            let length = Int(random.next() % 64) * 8 + (random.next() % 8 == 0 ? Int(random.next() % 8) : 0)
            let end = min(start + length, 8192)
            let last = random.next() % 16 == 0 || end == 8192
            if insert(&reassembler, data, start, end, id: id, now: now, last: last) != nil { completed += 1 }
            try expect(reassembler.bytesHeld <= 16384, "byte limit at step \(step)")
            try expect(reassembler.datagramsHeld <= 4, "slot limit at step \(step)")
        }
        reassembler.expire(now: at(1_000_000))
        try expectEqual(reassembler.bytesHeld, 0, "all freed")
        let statistics = reassembler.statistics
        let drops =
            statistics.duplicates + statistics.overlaps + statistics.malformed + statistics.outOfMemory
            + statistics.outOfSlots + statistics.timedOut
        try expect(drops > 0 && completed == statistics.reassembled, "counted: \(statistics)")
    }
}
