/// DNS lookups over the interface (Sources/Net/Stack/DNSLookup.swift) against the scripted server on the virtual
/// link, with the servers of a DHCP lease: an answer, retries over lost queries, a forged ID rejected, NXDOMAIN,
/// and a lossy link.
import Net
import NetTesting
import Runtime

/// Runs one lookup of `name` on `host` until it finishes (at most `limit`); returns its outcome and the lookup.
private func lookUp(
    _ network: TestNetwork, _ host: Host, _ name: String, servers: [IPv4Address], seed: UInt64 = 3,
    limit: Duration = .seconds(30)
) throws(TestFailure) -> (result: Result<DNSAnswer, DNSLookupError>, lookup: DNSLookup, took: Duration) {
    let random = SeededRandom(seed)
    let start = network.now
    var lookup = DNSLookup(
        name: try unwrap(DNSName(name), "name \(name)"), servers: servers, random: { random.next() }, now: start)
    var result: Result<DNSAnswer, DNSLookupError>? = nil
    network.timers = [{ lookup.nextPollTime }]
    defer { network.timers = [] }
    network.run(for: limit) {
        if result == nil { result = lookup.poll(now: network.now, sockets: &host.sockets) }
        return result != nil
    }
    return (try unwrap(result, "outcome of the lookup of \(name)"), lookup, network.now - start)
}

/// A host bound by DHCP to the scripted router, without probes.
private func leasedHost(_ network: TestNetwork) throws(TestFailure) -> (Host, ScriptedRouter, [IPv4Address]) {
    let router = ScriptedRouter(network)
    let host = network.addDHCPHost(mac: 2) { $0.dhcpProbes = 0 }
    try expect(network.run(for: .seconds(10)) { host.interface.lease != nil }, "bound")
    let servers = try unwrap(host.interface.lease, "lease").dnsServers
    return (host, router, servers)
}

private func expectAddress(
    _ result: Result<DNSAnswer, DNSLookupError>, _ expected: IPv4Address, _ what: String
) throws(TestFailure) {
    switch result {
    case .success(let answer): try expect(answer.addresses == [expected], "\(what): got \(answer)")
    case .failure(let error): throw TestFailure("\(what): \(error)")
    }
}

private func expectFailure(
    _ result: Result<DNSAnswer, DNSLookupError>, _ expected: DNSLookupError, _ what: String
) throws(TestFailure) {
    switch result {
    case .success(let answer): throw TestFailure("\(what): expected \(expected), got \(answer)")
    case .failure(let error): try expectEqual(error, expected, what)
    }
}

func registerDNSTests(_ suite: inout TestSuite) {
    suite.test("dns.resolves-a-name-with-the-lease-servers") { () throws(TestFailure) in
        let network = TestNetwork()
        let (host, router, servers) = try leasedHost(network)
        try expect(servers == [ip("10.0.0.1")], "servers from option 6")
        let (result, lookup, took) = try lookUp(network, host, "swiftlet.test", servers: servers)
        try expectAddress(result, ip("10.0.0.77"), "lookup")
        try expect(took < .milliseconds(10), "answered at once")
        try expectEqual(router.dnsQueries.count, 1, "one query")
        let query = router.dnsQueries[0]
        try expectEqual(query.source, ip("10.0.0.57"), "from the leased address")
        try expect(query.sourcePort >= 49152, "from an ephemeral port")
        try expect(query.message.recursionDesired, "RD set")
        try expectEqual(lookup.queriesSent, 1, "queries sent")
        try expect(lookup.handle == nil, "socket closed")
        try expectEqual(host.sockets.count, 0, "no socket left")
    }

    suite.test("dns.lost-queries-are-retried-after-1-and-2-seconds") { () throws(TestFailure) in
        let network = TestNetwork()
        let (host, router, servers) = try leasedHost(network)
        router.dnsDrops = 2
        let (result, lookup, took) = try lookUp(network, host, "swiftlet.test", servers: servers)
        try expectAddress(result, ip("10.0.0.77"), "lookup")
        try expectEqual(router.dnsQueries.count, 3, "three tries")
        try expectEqual(lookup.queriesSent, 3, "queries sent")
        let times = router.dnsQueries.map { $0.time }
        // The first query waited for ARP (two link latencies); the retries did not.
        for (index, gap) in [(1, Duration.seconds(1)), (2, .seconds(2))] {
            let actual = times[index] - times[index - 1]
            try expect(actual > gap - .milliseconds(1) && actual <= gap, "retry \(index) after \(actual), not \(gap)")
        }
        try expect(took >= .seconds(3), "answered on the third try")
        let ports = router.dnsQueries.map { $0.sourcePort }
        let ids = router.dnsQueries.map { $0.message.identification }
        try expect(ports[0] == ports[1] && ports[1] == ports[2], "one port per server")
        try expect(ids[0] == ids[1] && ids[1] == ids[2], "one ID per server")
    }

    suite.test("dns.an-answer-with-a-mismatched-id-is-rejected") { () throws(TestFailure) in
        let network = TestNetwork()
        let (host, router, servers) = try leasedHost(network)
        router.dnsIDOffset = 1
        let (result, lookup, took) = try lookUp(network, host, "swiftlet.test", servers: servers)
        try expectFailure(result, .timedOut, "forged answers only")
        try expectEqual(router.dnsQueries.count, 3, "three tries")
        try expectEqual(lookup.resolver.ignored, 3, "each answer ignored")
        try expect(took >= .seconds(7), "timed out after 1 + 2 + 4 s")
        try expectEqual(host.sockets.count, 0, "socket closed")
        router.dnsIDOffset = 0
        let (again, _, _) = try lookUp(network, host, "swiftlet.test", servers: servers, seed: 4)
        try expectAddress(again, ip("10.0.0.77"), "honest answer")
    }

    suite.test("dns.nxdomain-is-final-and-a-dead-server-falls-through") { () throws(TestFailure) in
        let network = TestNetwork()
        let (host, router, servers) = try leasedHost(network)
        let (missing, _, _) = try lookUp(network, host, "nowhere.test", servers: servers)
        try expectFailure(missing, .nameNotFound, "unknown name")
        try expectEqual(router.dnsQueries.count, 1, "no retry after NXDOMAIN")
        // 10.0.0.2 does not exist: ARP fails, the tries time out, then 10.0.0.1 answers.
        let (result, _, took) = try lookUp(network, host, "swiftlet.test", servers: [ip("10.0.0.2")] + servers)
        try expectAddress(result, ip("10.0.0.77"), "second server")
        try expect(took >= .seconds(7), "after the first server's 7 s")
        let (none, _, _) = try lookUp(network, host, "swiftlet.test", servers: [])
        try expectFailure(none, .noServers, "no servers")
    }

    suite.test("dns.lookups-succeed-over-a-lossy-link") { () throws(TestFailure) in
        let network = TestNetwork(faults: FaultConfiguration(lossRate: 0.2), seed: 11)
        let (host, router, servers) = try leasedHost(network)
        for index in 0..<20 {
            let (result, _, _) = try lookUp(network, host, "swiftlet.test", servers: servers, seed: UInt64(100 + index))
            try expectAddress(result, ip("10.0.0.77"), "lookup \(index)")
        }
        try expect(router.dnsQueries.count > 20, "some queries were retried")
        try expect(network.link.faults.counters.lost > 0, "frames were lost")
    }

    suite.test("dns.a-query-in-the-socket-set-is-driven-by-the-interface") { () throws(TestFailure) in
        let network = TestNetwork()
        let (host, router, servers) = try leasedHost(network)
        let random = SeededRandom(3)
        let name = try unwrap(DNSName("swiftlet.test"), "name")
        let handle = try addOrFail(
            &host.sockets, DNSLookup(name: name, servers: servers, random: { random.next() }, now: network.now))
        var result: Result<DNSAnswer, DNSLookupError>? = nil
        network.run(for: .seconds(30)) {
            result = result ?? host.sockets.takeDNSResult(handle)
            return result != nil
        }
        try expectAddress(try unwrap(result, "outcome"), ip("10.0.0.77"), "lookup")
        try expectEqual(router.dnsQueries.count, 1, "one query")
        try expectEqual(host.sockets[dns: handle].queriesSent, 1, "queries sent")
        try expect(host.sockets.takeDNSResult(handle) == nil, "the outcome is taken once")
        host.sockets.remove(handle)
        try expect(!host.sockets.isValid(handle), "stale after remove")
        try expectEqual(host.sockets.count, 0, "no UDP socket left")
    }

    suite.test("dns.queries-are-bounded-by-the-set") { () throws(TestFailure) in
        var sockets = SocketSet(capacity: 2)
        let name = try unwrap(DNSName("swiftlet.test"), "name")
        func lookup() -> DNSLookup {
            DNSLookup(name: name, servers: [ip("10.0.0.1")], random: { 1 }, now: Instant(nanoseconds: 0))
        }
        let first = try addOrFail(&sockets, lookup())
        _ = try addOrFail(&sockets, lookup())
        let full = try thrownError("a third query in a set of 2") { () throws(DNSLookupError) in
            _ = try sockets.addDNS(lookup())
        }
        try expectEqual(full, .socketsExhausted, "full set")
        try expectEqual(sockets.dnsRefused, 1, "the refusal is counted")
        sockets.remove(first)
        let again = try addOrFail(&sockets, lookup())
        try expect(again != first && !sockets.isValid(first) && sockets.isValid(again), "slot reused, old handle stale")
    }
}

private func addOrFail(_ sockets: inout SocketSet, _ lookup: DNSLookup) throws(TestFailure) -> DNSHandle {
    do throws(DNSLookupError) {
        return try sockets.addDNS(lookup)
    } catch {
        throw TestFailure("add a DNS query: \(error)")
    }
}
