/// The DHCP client (Sources/Net/Protocols/DHCPClient.swift) through scripted exchanges on a virtual clock:
/// DISCOVER/OFFER/REQUEST/ACK against scapy bytes, retransmission timing, RENEWING at T1 (unicast), REBINDING at T2
/// (broadcast), expiry, NAK, and replies it must ignore.
import Net
import Runtime

/// Random draws that make the jitter zero: `value % 2001 - 1000 == 0`.
private let noJitter: UInt64 = 1000

private func makeClient(_ random: ScriptedRandom) -> DHCPClient {
    DHCPClient(hardwareAddress: clientMAC, random: { random.next() })
}

/// A server reply for `xid`, sent through emit and the checked parse path first.
private func reply(
    _ type: DHCPMessageType, xid: UInt32, address: IPv4Address = offered, server: IPv4Address? = dhcpServer,
    lease: UInt32? = 3600, t1: UInt32? = nil, t2: UInt32? = nil,
    mask: IPv4Address? = IPv4Address(255, 255, 255, 0), chaddr: MACAddress = clientMAC
) throws(TestFailure) -> DHCPMessage {
    var message = DHCPMessage(operation: .reply, messageType: type, transactionID: xid, clientHardwareAddress: chaddr)
    message.yourAddress = type == .nak ? .unspecified : address
    message.serverIdentifier = server
    if type != .nak {
        message.leaseTime = lease
        message.renewalTime = t1
        message.rebindingTime = t2
        message.subnetMask = mask
        message.routers = [dhcpServer]
        message.dnsServers = [IPv4Address(10, 0, 2, 3)]
    }
    return try dhcpMessage(emitted(message), "\(type) reply")
}

/// Polls at `now` and fails unless a message of `type` comes out.
@discardableResult
private func expectSend(
    _ client: inout DHCPClient, at now: Instant, _ type: DHCPMessageType, _ what: String
) throws(TestFailure) -> DHCPTransmission {
    guard let sent = client.poll(now: now) else { throw TestFailure("\(what): nothing sent at \(since(now))") }
    try expectEqual(sent.message.messageType, type, "\(what): type")
    try expectEqual(sent.message.operation, .request, "\(what): op")
    try expectEqual(sent.message.clientHardwareAddress, clientMAC, "\(what): chaddr")
    return sent
}

/// Runs DISCOVER, OFFER, REQUEST, ACK at 0, 1, 1, 2 s with the scapy vectors; returns the bound client.
private func boundClient(_ random: ScriptedRandom) throws(TestFailure) -> DHCPClient {
    var client = makeClient(random)
    try expectSend(&client, at: at(0), .discover, "discover")
    client.handle(try dhcpMessage(dhcpOffer, "offer"), now: at(1))
    try expectSend(&client, at: at(1), .request, "request")
    client.handle(try dhcpMessage(dhcpAck, "ack"), now: at(2))
    try expectEqual(client.state, .bound, "state")
    _ = client.nextEvent()
    return client
}

/// The lease the scapy ACK grants for a REQUEST first sent at 1 s.
private func expectedLease() -> DHCPLease {
    DHCPLease(
        address: IPv4CIDR(address: offered, prefixLength: 24), router: dhcpServer,
        dnsServers: [IPv4Address(10, 0, 2, 3)], server: dhcpServer, leaseTime: 3600, obtained: at(1),
        renewalTime: at(1801), rebindingTime: at(3151), expiry: at(3601))
}

/// Fails unless `event` is `expected`.
private func expectEvent(_ event: DHCPEvent?, _ expected: DHCPEvent, _ what: String) throws(TestFailure) {
    guard let event else { throw TestFailure("\(what): no event, expected \(expected)") }
    try expectEqual(event, expected, what)
}

func registerDHCPClientTests(_ suite: inout TestSuite) {
    suite.test("dhcp-client.full-exchange-matches-scapy-and-binds") { () throws(TestFailure) in
        let random = ScriptedRandom([0x3903_F326, noJitter, noJitter])
        var client = makeClient(random)
        try expectEqual(client.state, .initial, "state")
        try expect(client.nextPollTime <= at(0), "INIT polls at once")
        let discover = try expectSend(&client, at: at(0), .discover, "discover")
        try expectBytes(emitted(discover.message), dhcpDiscover, "DISCOVER")
        try expectEqual(discover.source, .unspecified, "discover source")
        try expectEqual(discover.destination, .broadcast, "discover destination")
        try expectEqual(client.state, .selecting, "state")
        try expectInstant(client.nextPollTime, at(4), "retransmission")
        try expect(client.poll(now: at(1)) == nil, "nothing before the retransmission")
        client.handle(try dhcpMessage(dhcpOffer, "offer"), now: at(1))
        try expectEqual(client.state, .requesting, "state")
        try expectInstant(client.nextPollTime, at(1), "request due at once")
        let request = try expectSend(&client, at: at(1), .request, "request")
        try expectBytes(emitted(request.message), dhcpRequest, "REQUEST")
        try expectEqual(request.destination, .broadcast, "request destination")
        try expectInstant(client.nextPollTime, at(5), "request retransmission")
        try expect(client.nextEvent() == nil, "no event before the ACK")
        client.handle(try dhcpMessage(dhcpAck, "ack"), now: at(2))
        try expectEqual(client.state, .bound, "state")
        try expectEvent(client.nextEvent(), .bound(expectedLease()), "event")
        try expect(client.nextEvent() == nil, "one event")
        try expect(client.lease == expectedLease(), "lease: \(client.lease?.description ?? "none")")
        try expectInstant(client.nextPollTime, at(1801), "T1")
        try expect(client.poll(now: at(1800)) == nil, "quiet until T1")
        try expectEqual(client.ignored, 0, "ignored")
        try expectEqual(
            expectedLease().description,
            "lease 10.0.2.15/24 server=10.0.2.2 time=3600s router=10.0.2.2 dns=10.0.2.3", "lease description")
    }
    suite.test("dhcp-client.discover-retransmits-at-4-8-16-32-64-64-s-with-jitter") { () throws(TestFailure) in
        // Jitter draws: 0, -1, +1, 0, +0.5, -0.25 s.
        let random = ScriptedRandom([7, noJitter, 0, 2000, noJitter, 1500, 750])
        var client = makeClient(random)
        var times: [Int] = [0]
        var seconds: [UInt16] = []
        for _ in 0..<6 {
            let now = at(milliseconds: times.last!)
            if times.count > 1 { try expect(client.poll(now: now - .milliseconds(1)) == nil, "nothing 1 ms early") }
            let sent = try expectSend(&client, at: now, .discover, "discover")
            try expectEqual(sent.message.transactionID, 7, "same xid")
            seconds.append(sent.message.seconds)
            times.append(Int((client.nextPollTime - origin).milliseconds))
        }
        try expectElements(times, [0, 4000, 11_000, 28_000, 60_000, 124_500, 188_250], "send times (ms)")
        try expectElements(seconds, [0, 4, 11, 28, 60, 124], "secs")
    }
    suite.test("dhcp-client.request-retransmits-then-starts-over") { () throws(TestFailure) in
        let random = ScriptedRandom([0x3903_F326, noJitter, noJitter, noJitter, noJitter, noJitter, 99])
        var client = makeClient(random)
        try expectSend(&client, at: at(0), .discover, "discover")
        client.handle(try dhcpMessage(dhcpOffer, "offer"), now: at(3))
        var times: [Int] = []
        for _ in 0..<4 {
            let now = client.nextPollTime
            times.append(Int((now - origin).milliseconds / 1000))
            let sent = try expectSend(&client, at: now, .request, "request")
            try expectEqual(sent.message.seconds, 0, "secs of the DISCOVER")
            try expectEqual(sent.message.requestedAddress ?? .unspecified, offered, "requested address")
        }
        try expectElements(times, [3, 7, 15, 31], "request times (s)")
        try expectInstant(client.nextPollTime, at(63), "gives up at")
        let again = try expectSend(&client, at: at(63), .discover, "discover again")
        try expectEqual(again.message.transactionID, 99, "new xid")
        try expectEqual(again.message.seconds, 0, "new exchange")
        try expectEqual(client.state, .selecting, "state")
    }
    suite.test("dhcp-client.renews-at-t1-by-unicast-to-the-server") { () throws(TestFailure) in
        let random = ScriptedRandom([0x3903_F326, noJitter, noJitter, 0x0bad_cafe])
        var client = try boundClient(random)
        let renew = try expectSend(&client, at: at(1801), .request, "renew")
        try expectEqual(client.state, .renewing, "state")
        try expectBytes(emitted(renew.message), dhcpRenew, "RENEWING REQUEST")
        try expectEqual(renew.source, offered, "from the leased address")
        try expectEqual(renew.destination, dhcpServer, "to the server")
        try expectInstant(client.nextPollTime, at(2476), "half the time to T2")
        let again = try expectSend(&client, at: at(2476), .request, "renew again")
        try expectEqual(again.message.transactionID, 0x0bad_cafe, "same xid")
        try expectEqual(again.message.seconds, 675, "secs since T1")
        try expectInstant(client.nextPollTime, at(milliseconds: 2_813_500), "half again")
        client.handle(try reply(.ack, xid: 0x0bad_cafe, server: nil, lease: 7200), now: at(2500))
        try expectEqual(client.state, .bound, "state")
        var renewed = expectedLease()
        renewed.leaseTime = 7200
        renewed.obtained = at(1801)
        renewed.renewalTime = at(1801 + 3600)
        renewed.rebindingTime = at(1801 + 6300)
        renewed.expiry = at(1801 + 7200)
        try expectEvent(client.nextEvent(), .renewed(renewed), "renewed, counted from the first REQUEST")
        try expectInstant(client.nextPollTime, at(5401), "new T1")
    }
    suite.test("dhcp-client.rebinds-at-t2-by-broadcast-then-loses-the-lease") { () throws(TestFailure) in
        let random = ScriptedRandom([0x3903_F326, noJitter, noJitter, 0x1111, 0x2222, 0x3333, noJitter])
        var client = try boundClient(random)
        var renewTimes: [Int] = []
        while client.nextPollTime < at(3151) {
            let now = client.nextPollTime
            renewTimes.append(Int((now - origin).milliseconds))
            let sent = try expectSend(&client, at: now, .request, "renew")
            try expectEqual(sent.destination, dhcpServer, "unicast")
        }
        try expectElements(
            renewTimes, [1_801_000, 2_476_000, 2_813_500, 2_982_250, 3_066_625, 3_126_625], "RENEWING times (ms)")
        let rebind = try expectSend(&client, at: at(3151), .request, "rebind")
        try expectEqual(client.state, .rebinding, "state")
        try expectEqual(rebind.destination, .broadcast, "broadcast")
        try expectEqual(rebind.source, offered, "from the leased address")
        try expectEqual(rebind.message.clientAddress, offered, "ciaddr")
        try expectEqual(rebind.message.transactionID, 0x2222, "new xid")
        try expect(rebind.message.serverIdentifier == nil && rebind.message.requestedAddress == nil, "no 50/54")
        try expect(!rebind.message.broadcast, "no BROADCAST flag once configured")
        var rebindTimes: [Int] = [3_151_000]
        while client.nextPollTime < at(3601) {
            let now = client.nextPollTime
            rebindTimes.append(Int((now - origin).milliseconds))
            let sent = try expectSend(&client, at: now, .request, "rebind")
            try expectEqual(sent.destination, .broadcast, "broadcast")
        }
        try expectElements(rebindTimes, [3_151_000, 3_376_000, 3_488_500, 3_548_500], "REBINDING times (ms)")
        try expectInstant(client.nextPollTime, at(3601), "expiry")
        try expect(client.nextEvent() == nil, "no event before expiry")
        let discover = try expectSend(&client, at: at(3601), .discover, "discover after expiry")
        try expectEqual(discover.message.transactionID, 0x3333, "new xid")
        try expectEvent(client.nextEvent(), .lost(expectedLease()), "lost")
        try expect(client.lease == nil, "no lease")
        try expectEqual(client.state, .selecting, "state")
    }
    suite.test("dhcp-client.ack-while-rebinding-binds-again") { () throws(TestFailure) in
        let random = ScriptedRandom([0x3903_F326, noJitter, noJitter, 0x1111, 0x2222])
        var client = try boundClient(random)
        try expectSend(&client, at: at(1801), .request, "renew")
        try expectSend(&client, at: at(3200), .request, "rebind (poll late, past T2)")
        try expectEqual(client.state, .rebinding, "state")
        let other = IPv4Address(10, 0, 2, 9)
        client.handle(try reply(.ack, xid: 0x2222, address: offered, server: other), now: at(3201))
        var rebound = expectedLease()
        rebound.server = other
        rebound.obtained = at(3200)
        rebound.renewalTime = at(3200 + 1800)
        rebound.rebindingTime = at(3200 + 3150)
        rebound.expiry = at(3200 + 3600)
        try expectEvent(client.nextEvent(), .renewed(rebound), "renewed by another server")
        try expectEqual(client.lease?.server ?? .unspecified, other, "RENEWING now goes to it")
    }
    suite.test("dhcp-client.renewal-with-another-address-is-lost-then-bound") { () throws(TestFailure) in
        let random = ScriptedRandom([0x3903_F326, noJitter, noJitter, 0x0bad_cafe])
        var client = try boundClient(random)
        try expectSend(&client, at: at(1801), .request, "renew")
        let moved = IPv4Address(10, 0, 2, 16)
        client.handle(try reply(.ack, xid: 0x0bad_cafe, address: moved), now: at(1802))
        try expectEvent(client.nextEvent(), .lost(expectedLease()), "old lost")
        guard case .bound(let lease) = client.nextEvent() else { throw TestFailure("no bound event") }
        try expectEqual(lease.address.address, moved, "new address")
    }
    suite.test("dhcp-client.nak-while-requesting-starts-over") { () throws(TestFailure) in
        let random = ScriptedRandom([0x3903_F326, noJitter, noJitter, 0x4444])
        var client = makeClient(random)
        try expectSend(&client, at: at(0), .discover, "discover")
        client.handle(try dhcpMessage(dhcpOffer, "offer"), now: at(1))
        try expectSend(&client, at: at(1), .request, "request")
        client.handle(try dhcpMessage(dhcpNak, "nak"), now: at(2))
        try expectEqual(client.state, .initial, "INIT")
        try expect(client.nextPollTime <= at(2), "poll at once")
        let discover = try expectSend(&client, at: at(2), .discover, "discover again")
        try expectEqual(discover.message.transactionID, 0x4444, "new xid")
        try expect(client.nextEvent() == nil, "nothing was bound, nothing lost")
    }
    suite.test("dhcp-client.nak-while-renewing-loses-the-lease") { () throws(TestFailure) in
        let random = ScriptedRandom([0x3903_F326, noJitter, noJitter, 0x0bad_cafe])
        var client = try boundClient(random)
        try expectSend(&client, at: at(1801), .request, "renew")
        client.handle(try reply(.nak, xid: 0x0bad_cafe), now: at(1802))
        try expectEvent(client.nextEvent(), .lost(expectedLease()), "lost")
        try expectEqual(client.state, .initial, "INIT")
        try expect(client.lease == nil, "no lease")
    }
    suite.test("dhcp-client.release-gives-the-lease-back-and-stops") { () throws(TestFailure) in
        let random = ScriptedRandom([0x3903_F326, noJitter, noJitter, 0x5555, 0x6666])
        var client = try boundClient(random)
        guard let release = client.release(now: at(100)) else { throw TestFailure("no RELEASE") }
        try expectEqual(release.message.messageType, .release, "type")
        try expectEqual(release.message.transactionID, 0x5555, "new xid")
        try expectEqual(release.message.clientAddress, offered, "ciaddr")
        try expectEqual(release.message.serverIdentifier ?? .unspecified, dhcpServer, "server identifier")
        try expect(
            release.message.parameterRequestList.isEmpty && release.message.maximumMessageSize == nil,
            "no request list or size (RFC 2131 Table 5)")
        try expectEqual(release.source, offered, "source")
        try expectEqual(release.destination, dhcpServer, "unicast to the server")
        _ = try dhcpMessage(emitted(release.message), "RELEASE parses")
        try expectEvent(client.nextEvent(), .lost(expectedLease()), "lost")
        try expectEqual(client.state, .stopped, "stopped")
        try expectEqual(client.state.description, "STOPPED", "state text")
        try expectInstant(client.nextPollTime, .distantFuture, "never polls")
        try expect(client.poll(now: at(10_000)) == nil, "silent, even past the old expiry")
        try expect(client.release(now: at(10_001)) == nil, "nothing more to release")
        client.restart()
        let discover = try expectSend(&client, at: at(10_002), .discover, "discover after restart")
        try expectEqual(discover.message.transactionID, 0x6666, "new xid")
    }
    suite.test("dhcp-client.decline-refuses-an-address-in-use-and-waits-10-s") { () throws(TestFailure) in
        let random = ScriptedRandom([0x3903_F326, noJitter, noJitter, 0x7777])
        var client = try boundClient(random)
        guard let decline = client.decline(now: at(3)) else { throw TestFailure("no DECLINE") }
        try expectEqual(decline.message.messageType, .decline, "type")
        try expectEqual(decline.message.transactionID, 0x3903_F326, "the exchange's xid")
        try expectEqual(decline.message.clientAddress, .unspecified, "ciaddr 0")
        try expectEqual(decline.message.requestedAddress ?? .unspecified, offered, "requested address")
        try expectEqual(decline.message.serverIdentifier ?? .unspecified, dhcpServer, "server identifier")
        try expectEqual(decline.destination, .broadcast, "broadcast")
        try expectEqual(decline.source, .unspecified, "from 0.0.0.0")
        try expectEvent(client.nextEvent(), .lost(expectedLease()), "lost")
        try expectEqual(client.state, .initial, "INIT")
        try expectInstant(client.nextPollTime, at(13), "waits 10 s")
        try expect(client.poll(now: at(12)) == nil, "quiet for 10 s")
        try expect(client.decline(now: at(12)) == nil, "nothing to decline in INIT")
        let discover = try expectSend(&client, at: at(13), .discover, "discover after 10 s")
        try expectEqual(discover.message.transactionID, 0x7777, "new xid")
    }
    suite.test("dhcp-client.ignores-wrong-xid-chaddr-op-and-misplaced-replies") { () throws(TestFailure) in
        let random = ScriptedRandom([0x3903_F326, noJitter, noJitter])
        var client = makeClient(random)
        try expectSend(&client, at: at(0), .discover, "discover")
        let xid: UInt32 = 0x3903_F326
        client.handle(try reply(.offer, xid: xid + 1), now: at(1))
        client.handle(try reply(.offer, xid: xid, chaddr: MACAddress(rawValue: 0x5254_0012_3457)), now: at(1))
        var request = try reply(.offer, xid: xid)
        request.operation = .request
        client.handle(request, now: at(1))
        client.handle(try reply(.ack, xid: xid), now: at(1))
        client.handle(try reply(.nak, xid: xid), now: at(1))
        client.handle(try reply(.offer, xid: xid, server: nil), now: at(1))
        client.handle(try reply(.offer, xid: xid, address: .broadcast), now: at(1))
        try expectEqual(client.ignored, 7, "ignored")
        try expectEqual(client.state, .selecting, "still selecting")
        client.handle(try reply(.offer, xid: xid), now: at(1))
        try expectEqual(client.state, .requesting, "the good offer")
        client.handle(try reply(.offer, xid: xid, address: IPv4Address(10, 0, 2, 99)), now: at(1))
        client.handle(try reply(.ack, xid: xid, server: IPv4Address(10, 0, 2, 9)), now: at(1))
        client.handle(try reply(.nak, xid: xid, server: IPv4Address(10, 0, 2, 9)), now: at(1))
        client.handle(try reply(.ack, xid: xid, lease: nil), now: at(1))
        client.handle(try reply(.ack, xid: xid, mask: IPv4Address(255, 0, 255, 0)), now: at(1))
        try expectEqual(client.ignored, 12, "ignored in REQUESTING")
        try expectEqual(client.state, .requesting, "still requesting")
        client.handle(try reply(.ack, xid: xid), now: at(1))
        try expectEqual(client.state, .bound, "bound")
        client.handle(try reply(.ack, xid: xid), now: at(2))
        try expectEqual(client.ignored, 13, "a late ACK in BOUND")
    }
    suite.test("dhcp-client.lease-times-masks-and-infinity") { () throws(TestFailure) in
        func bind(_ ack: DHCPMessage) throws(TestFailure) -> DHCPLease {
            let random = ScriptedRandom([5, noJitter])
            var client = makeClient(random)
            try expectSend(&client, at: at(0), .discover, "discover")
            var offer = try reply(.offer, xid: 5)
            offer.yourAddress = ack.yourAddress
            client.handle(offer, now: at(0))
            try expectSend(&client, at: at(10), .request, "request")
            var ack = ack
            ack.transactionID = 5
            client.handle(ack, now: at(11))
            guard let lease = client.lease else { throw TestFailure("not bound by \(ack)") }
            return lease
        }
        let given = try bind(try reply(.ack, xid: 0, lease: 1000, t1: 600, t2: 900))
        try expectInstant(given.renewalTime, at(610), "given T1")
        try expectInstant(given.rebindingTime, at(910), "given T2")
        try expectInstant(given.expiry, at(1010), "expiry")
        let inverted = try bind(try reply(.ack, xid: 0, lease: 1000, t1: 900, t2: 600))
        try expectInstant(inverted.renewalTime, at(510), "T1 > T2: default T1")
        try expectInstant(inverted.rebindingTime, at(885), "T1 > T2: default T2")
        let beyond = try bind(try reply(.ack, xid: 0, lease: 1000, t2: 2000))
        try expectInstant(beyond.rebindingTime, at(885), "T2 > lease: default T2")
        let infinite = try bind(try reply(.ack, xid: 0, lease: 0xFFFF_FFFF))
        try expectInstant(infinite.expiry, .distantFuture, "infinite lease")
        try expectInstant(infinite.renewalTime, .distantFuture, "never renews")
        let classA = try bind(try reply(.ack, xid: 0, mask: nil))
        try expectEqual(classA.address.prefixLength, 8, "10/8 without a mask")
        let classB = try bind(try reply(.ack, xid: 0, address: IPv4Address(172, 16, 0, 5), mask: nil))
        try expectEqual(classB.address.prefixLength, 16, "172.16/16 without a mask")
        let classC = try bind(try reply(.ack, xid: 0, address: IPv4Address(192, 168, 1, 5), mask: nil))
        try expectEqual(classC.address.prefixLength, 24, "192.168.1/24 without a mask")
        let host = try bind(try reply(.ack, xid: 0, mask: IPv4Address(255, 255, 255, 255)))
        try expectEqual(host.address.prefixLength, 32, "/32")
        let all = try bind(try reply(.ack, xid: 0, mask: IPv4Address(0, 0, 0, 0)))
        try expectEqual(all.address.prefixLength, 0, "/0")
    }
}
