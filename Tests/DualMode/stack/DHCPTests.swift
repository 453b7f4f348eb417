/// DHCP in the interface (Sources/Net/Interface/Interface+DHCP.swift, AddressProbe.swift) against a scripted
/// server on the virtual link: DISCOVER from 0.0.0.0 to broadcast, broadcast and unicast replies before there is an
/// address, the ARP probe and DECLINE, the lease applied, renewed at T1, rebound at T2 and lost at expiry.
import Net
import NetTesting
import Runtime

private func noProbes(_ configuration: inout InterfaceConfiguration) {
    configuration.dhcpProbes = 0
}

/// The DHCP messages `host` sent, decoded, with their frames.
private func sentDHCP(_ network: TestNetwork, _ host: Host) -> [(frame: Decoded, message: DHCPMessage)] {
    var result: [(frame: Decoded, message: DHCPMessage)] = []
    for frame in network.captured(from: host.port) {
        guard let udp = frame.udp, udp.destinationPort == DHCPPacket.serverPort,
            let message = parseDHCP(frame.udpPayload)
        else { continue }
        result.append((frame, message))
    }
    return result
}

private func bound(_ network: TestNetwork, _ host: Host, within duration: Duration = .seconds(30))
    throws(TestFailure) -> DHCPLease
{
    try expect(network.run(for: duration) { host.interface.address != nil }, "no address within \(duration)")
    return try unwrap(host.interface.lease, "lease")
}

func registerDHCPTests(_ suite: inout TestSuite) {
    suite.test("dhcp.discover-goes-from-0.0.0.0-to-broadcast-and-the-lease-is-applied") { () throws(TestFailure) in
        let network = TestNetwork()
        let router = ScriptedRouter(network)
        let host = network.addDHCPHost(mac: 2)
        try expect(host.interface.address == nil, "no address before DHCP")
        let lease = try bound(network, host)
        let sent = sentDHCP(network, host)
        try expect(sent.count >= 2, "DISCOVER and REQUEST sent")
        let discover = sent[0]
        try expectEqual(discover.message.messageType, .discover, "first message")
        try expect(discover.message.broadcast, "BROADCAST flag set (RFC 2131 §4.1)")
        try expectEqual(discover.message.clientHardwareAddress, testMAC(2), "chaddr")
        try expectEqual(try unwrap(discover.frame.ethernet, "ethernet").destination, .broadcast, "link broadcast")
        let header = try unwrap(discover.frame.ip, "ip")
        try expectEqual(header.source, ip("0.0.0.0"), "ip source")
        try expectEqual(header.destination, ip("255.255.255.255"), "ip destination")
        try expect(discover.frame.ipChecksumValid && discover.frame.udpChecksumValid, "checksums")
        try expectEqual(try unwrap(discover.frame.udp, "udp").sourcePort, 68, "source port")
        let request = sent[1]
        try expectEqual(request.message.messageType, .request, "second message")
        try expectEqual(try unwrap(request.message.requestedAddress, "option 50"), ip("10.0.0.57"), "requested")
        try expectEqual(try unwrap(request.message.serverIdentifier, "option 54"), ip("10.0.0.1"), "server id")
        try expectEqual(try unwrap(request.frame.ip, "ip").source, ip("0.0.0.0"), "request source")
        try expect(router.dhcpTypes == [.discover, .request], "server saw DISCOVER, REQUEST")
        try expectEqual(try unwrap(host.interface.address, "address"), IPv4CIDR("10.0.0.57/24")!, "address")
        try expectEqual(try unwrap(host.interface.gateway, "gateway"), ip("10.0.0.1"), "gateway")
        try expect(lease.dnsServers == [ip("10.0.0.1")], "DNS servers kept")
        try expectEqual(lease.leaseTime, 3600, "lease time")
        try expect(host.interface.takeDHCPEvent() == .bound(lease), "bound event")
        try expect(host.interface.takeDHCPEvent() == nil, "one event")
        try expectEqual(host.counters.dhcp.bound, 1, "bound counter")
        try expect(contains(host.counters.description, "| dhcp tx=2 rx=2 bound=1"), "counters line")
    }

    suite.test("dhcp.offered-address-is-probed-before-use") { () throws(TestFailure) in
        let network = TestNetwork()
        let router = ScriptedRouter(network)
        let host = network.addDHCPHost(mac: 2)
        _ = try bound(network, host)
        let ack = try unwrap(router.dhcpReceived.last, "request").time
        var probes: [Instant] = []
        for captured in network.link.captured where captured.port == host.port {
            guard let arp = Decoded(captured.bytes).arp, arp.senderProtocolAddress == ip("0.0.0.0") else { continue }
            try expectEqual(arp.targetProtocolAddress, ip("10.0.0.57"), "probe target")
            try expectEqual(arp.targetHardwareAddress, MACAddress(rawValue: 0), "probe target MAC")
            try expectEqual(arp.operation, .request, "probe is a request")
            probes.append(captured.time)
        }
        try expectEqual(probes.count, 3, "PROBE_NUM probes (RFC 5227 §2.1.1)")
        try expect(probes[0] - ack <= .seconds(1) + .milliseconds(1), "first within PROBE_WAIT")
        for index in 1..<3 {
            let gap = probes[index] - probes[index - 1]
            try expect(gap >= .seconds(1) && gap <= .seconds(2), "probe gap \(index) within PROBE_MIN...PROBE_MAX")
        }
        try expect(network.now - probes[2] >= .seconds(2), "ANNOUNCE_WAIT before use")
        try expectEqual(host.counters.dhcp.probesSent, 3, "probes counted")
        try expect(network.run(for: .seconds(5)) { host.counters.arp.requestsSent >= 2 }, "then announced")
    }

    suite.test("dhcp.unicast-offer-and-ack-are-accepted-before-an-address") { () throws(TestFailure) in
        let network = TestNetwork()
        let router = ScriptedRouter(network)
        router.unicastReplies = true
        let host = network.addDHCPHost(mac: 2, configure: noProbes)
        _ = try bound(network, host)
        try expectEqual(try unwrap(host.interface.address, "address"), IPv4CIDR("10.0.0.57/24")!, "address")
        let offers = network.captured(from: router.device.port).filter { $0.udp?.destinationPort == 68 }
        try expectEqual(offers.count, 2, "OFFER and ACK")
        for offer in offers {
            try expectEqual(try unwrap(offer.ethernet, "ethernet").destination, testMAC(2), "to chaddr")
            try expectEqual(try unwrap(offer.ip, "ip").destination, ip("10.0.0.57"), "to yiaddr")
        }
        try expectEqual(host.counters.ipv4.notForUs, 0, "nothing refused")
    }

    suite.test("dhcp.only-dhcp-replies-get-in-before-an-address") { () throws(TestFailure) in
        let network = TestNetwork()
        let router = ScriptedRouter(network)
        router.dhcpAnswers = false
        let host = network.addDHCPHost(mac: 2, configure: noProbes)
        let socket = try host.bind(7)
        network.run(for: .milliseconds(10))
        let rawMAC = testMAC(9)
        // Unicast to our MAC and the address we might get, but to another port: not for us yet.
        network.link.inject(
            udpFrame(from: (rawMAC, ip("10.0.0.9"), 4000), to: (testMAC(2), ip("10.0.0.57"), 7), [1, 2, 3]),
            into: host.port, at: network.now)
        // To port 68 but from a port other than 67: no server sends that.
        var offer = DHCPMessage(
            operation: .reply, messageType: .offer, transactionID: 1, clientHardwareAddress: testMAC(2))
        offer.yourAddress = ip("10.0.0.57")
        var bytes = [UInt8](repeating: 0, count: offer.length)
        bytes.withUnsafeMutableBytes { raw in offer.emit(into: DHCPPacket(unchecked: raw)) }
        network.link.inject(
            udpFrame(from: (rawMAC, ip("10.0.0.9"), 4000), to: (.broadcast, ip("255.255.255.255"), 68), bytes),
            into: host.port, at: network.now)
        network.run(for: .milliseconds(10))
        try expect(host.receive(socket) == nil, "no datagram delivered")
        try expectEqual(host.counters.ipv4.notForUs, 1, "unicast refused")
        try expectEqual(host.counters.dhcp.malformed, 1, "wrong source port")
        try expectEqual(host.counters.icmp.sent, 0, "no ICMP from an unconfigured host")
        try expect(host.interface.address == nil, "still no address")
    }

    suite.test("dhcp.renews-at-t1-by-unicast-to-the-server") { () throws(TestFailure) in
        let network = TestNetwork()
        let router = ScriptedRouter(network)
        router.leaseTime = 100
        let host = network.addDHCPHost(mac: 2, configure: noProbes)
        let lease = try bound(network, host)
        _ = host.interface.takeDHCPEvent()
        try expect(lease.renewalTime - lease.obtained == .seconds(50), "T1 = lease / 2")
        try expect(lease.rebindingTime - lease.obtained == .seconds(87), "T2 = lease × 7/8, in whole seconds")
        router.dhcpReceived.removeAll()
        network.run(for: lease.renewalTime - network.now - .milliseconds(1))
        try expectEqual(router.dhcpReceived.count, 0, "quiet before T1")
        try expect(network.run(for: .seconds(1)) { host.counters.dhcp.renewed == 1 }, "renewed")
        let request = try unwrap(router.dhcpReceived.first, "REQUEST")
        try expectEqual(request.message.messageType, .request, "type")
        try expect(request.time >= lease.renewalTime, "sent at T1")
        try expectEqual(request.message.clientAddress, ip("10.0.0.57"), "ciaddr")
        try expect(request.message.requestedAddress == nil, "no option 50 when renewing (RFC 2131 Table 5)")
        try expectEqual(request.ip.source, ip("10.0.0.57"), "from the leased address")
        try expectEqual(request.ip.destination, ip("10.0.0.1"), "unicast to the server")
        try expectEqual(request.ethernetDestination, router.mac, "to the server's MAC")
        let renewed = try unwrap(host.interface.lease, "lease")
        try expect(renewed.expiry > lease.expiry, "expiry moved on")
        try expectEqual(try unwrap(host.interface.address, "address"), IPv4CIDR("10.0.0.57/24")!, "same address")
        try expect(host.interface.takeDHCPEvent() == .renewed(renewed), "renewed event")
        try expectEqual(host.counters.dhcp.bound, 1, "bound once")
    }

    suite.test("dhcp.lease-is-lost-at-expiry-after-renewing-and-rebinding") { () throws(TestFailure) in
        let network = TestNetwork()
        let router = ScriptedRouter(network)
        router.leaseTime = 100
        let host = network.addDHCPHost(mac: 2, configure: noProbes)
        let lease = try bound(network, host)
        _ = host.interface.takeDHCPEvent()
        router.dhcpAnswers = false
        router.dhcpReceived.removeAll()
        network.run(for: lease.expiry - network.now - .milliseconds(1))
        try expect(host.interface.address != nil, "address kept until expiry")
        let requests = router.dhcpReceived
        try expect(requests.count >= 2, "RENEWING and REBINDING requests")
        try expectEqual(requests[0].ip.destination, ip("10.0.0.1"), "renewing: unicast")
        try expect(requests[0].time >= lease.renewalTime, "at T1")
        let rebinding = try unwrap(requests.last, "rebinding")
        try expectEqual(rebinding.ip.destination, ip("255.255.255.255"), "rebinding: broadcast")
        try expectEqual(rebinding.ip.source, ip("10.0.0.57"), "rebinding from the leased address")
        try expect(rebinding.time >= lease.rebindingTime, "at T2")
        router.dhcpReceived.removeAll()
        try expect(network.run(for: .seconds(1)) { host.interface.address == nil }, "address removed at expiry")
        try expect(host.interface.gateway == nil && host.interface.lease == nil, "gateway and lease gone")
        try expect(host.interface.takeDHCPEvent() == .lost(lease), "lost event")
        try expectEqual(host.counters.dhcp.lost, 1, "lost counter")
        try expect(network.run(for: .seconds(1)) { router.dhcpTypes.contains(.discover) }, "starts over")
        let discover = try unwrap(router.dhcpReceived.first, "DISCOVER")
        try expectEqual(discover.ip.source, ip("0.0.0.0"), "from 0.0.0.0 again")
        let socket = try host.bind(5000)
        try host.send(socket, [1], to: ip("10.0.0.1"), port: 7)
        let before = host.counters.ipv4.noRoute
        network.run(for: .milliseconds(10))
        try expectEqual(host.counters.ipv4.noRoute, before + 1, "no route without an address")
        router.dhcpAnswers = true
        _ = try bound(network, host, within: .seconds(70))
        try expectEqual(host.counters.dhcp.bound, 2, "bound again once the server answers")
    }

    suite.test("dhcp.an-address-in-use-is-declined") { () throws(TestFailure) in
        let network = TestNetwork()
        let router = ScriptedRouter(network)
        _ = AddressSquatter(network, mac: 5, address: "10.0.0.57")
        let host = network.addDHCPHost(mac: 2)
        try expect(network.run(for: .seconds(10)) { router.dhcpTypes.contains(.decline) }, "DECLINE sent")
        let decline = try unwrap(router.dhcpReceived.last, "DECLINE")
        try expectEqual(try unwrap(decline.message.requestedAddress, "option 50"), ip("10.0.0.57"), "declined")
        try expectEqual(try unwrap(decline.message.serverIdentifier, "option 54"), ip("10.0.0.1"), "server")
        try expectEqual(decline.ip.source, ip("0.0.0.0"), "from 0.0.0.0")
        try expectEqual(decline.ip.destination, ip("255.255.255.255"), "broadcast")
        try expect(host.interface.address == nil, "the address was never used")
        try expectEqual(host.counters.dhcp.declined, 1, "declined counter")
        try expect(host.interface.takeDHCPEvent() == nil, "nothing applied, nothing lost")
        router.offer = ip("10.0.0.58")
        let declinedAt = decline.time
        let lease = try bound(network, host)
        let discovers = router.dhcpReceived.filter { $0.message.messageType == .discover }
        try expect(try unwrap(discovers.last, "DISCOVER").time - declinedAt >= .seconds(10), "10 s after DECLINE")
        try expectEqual(lease.address, IPv4CIDR("10.0.0.58/24")!, "another address")
    }

    suite.test("dhcp.binds-over-a-lossy-link") { () throws(TestFailure) in
        for seed in UInt64(1)...5 {
            let network = TestNetwork(faults: FaultConfiguration(lossRate: 0.3), seed: seed)
            _ = ScriptedRouter(network)
            let host = network.addDHCPHost(mac: 2, seed: seed)
            _ = try bound(network, host, within: .seconds(180))
            try expectEqual(try unwrap(host.interface.address, "address"), IPv4CIDR("10.0.0.57/24")!, "seed \(seed)")
        }
    }

    suite.test("dhcp.mangled-replies-on-port-68-are-counted-and-harmless") { () throws(TestFailure) in
        let network = TestNetwork()
        let router = ScriptedRouter(network)
        router.dhcpAnswers = false
        let host = network.addDHCPHost(mac: 2, configure: noProbes)
        network.run(for: .milliseconds(10))
        let discover = try unwrap(router.dhcpReceived.first, "DISCOVER").message
        var offer = DHCPMessage(
            operation: .reply, messageType: .offer, transactionID: discover.transactionID,
            clientHardwareAddress: testMAC(2))
        offer.yourAddress = ip("10.0.0.57")
        offer.serverIdentifier = ip("10.0.0.1")
        var good = [UInt8](repeating: 0, count: offer.length)
        good.withUnsafeMutableBytes { raw in offer.emit(into: DHCPPacket(unchecked: raw)) }
        let random = SeededRandom(99)
        var mangled = 0
        for round in 0..<300 {
            var bytes = good
            switch round % 3 {
            case 0: bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
            case 1: for _ in 0..<4 { bytes[Int(random.next() % 240)] = UInt8(truncatingIfNeeded: random.next()) }
            default: bytes[240 + Int(random.next() % 16)] = UInt8(truncatingIfNeeded: random.next())
            }
            if parseDHCP(bytes) == nil { mangled += 1 }
            network.link.inject(
                udpFrame(from: (router.mac, ip("10.0.0.1"), 67), to: (.broadcast, ip("255.255.255.255"), 68), bytes),
                into: host.port, at: network.now)
            network.run(for: .microseconds(10))
        }
        try expectEqual(host.counters.dhcp.malformed, mangled, "unparsable ones counted")
        try expectEqual(host.counters.dhcp.received, 300 - mangled, "parsed ones handed to the client")
        try expect(host.interface.address == nil, "no address from mangled offers and no ACK")
        router.dhcpAnswers = true
        _ = try bound(network, host, within: .seconds(70))
    }

    suite.test("dhcp.release-gives-the-lease-back-and-removes-the-address") { () throws(TestFailure) in
        let network = TestNetwork()
        let router = ScriptedRouter(network)
        let host = network.addDHCPHost(mac: 2, configure: noProbes)
        let lease = try bound(network, host)
        _ = host.interface.takeDHCPEvent()
        let handle = try unwrap(host.sockets.dhcpHandle, "the DHCP socket's handle")
        try expect(host.sockets.isValid(handle) && host.sockets[dhcp: handle].client.state == .bound, "bound socket")
        host.interface.releaseDHCP(now: network.now, sockets: &host.sockets)
        try expect(host.interface.address == nil && host.interface.lease == nil, "address and lease gone")
        try expect(host.sockets.dhcpHandle == nil && !host.sockets.isValid(handle), "DHCP socket removed, handle stale")
        host.sockets.remove(handle)  // a stale handle is ignored
        try expect(host.interface.takeDHCPEvent() == .lost(lease), "lost event")
        network.run(for: .seconds(120))
        let release = try unwrap(router.dhcpReceived.last, "RELEASE")
        try expectEqual(release.message.messageType, .release, "type")
        try expectEqual(release.message.clientAddress, ip("10.0.0.57"), "ciaddr")
        try expectEqual(release.ip.destination, ip("10.0.0.1"), "unicast to the server")
        try expectEqual(release.ethernetDestination, .broadcast, "the server's MAC was never resolved")
        try expect(router.dhcpTypes == [.discover, .request, .release], "nothing after the RELEASE")
    }
}
