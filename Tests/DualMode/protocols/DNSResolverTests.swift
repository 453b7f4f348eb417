/// The DNS resolver (Sources/Net/Protocols/DNSResolver.swift) on a virtual clock: the scapy exchange, retries and
/// timeouts across servers, late answers, forged or stray datagrams ignored, NXDOMAIN, SERVFAIL, TC, NODATA and
/// malformed answers.
import Net
import Runtime

private let primary = IPv4Address(10, 0, 2, 3)
private let secondary = IPv4Address(8, 8, 8, 8)

/// A random draw that gives query ID `id` and source port `port` (the resolver takes the ID from the low 16 bits
/// and the port from the next ones).
private func draw(id: UInt16, port: UInt16) -> UInt64 {
    UInt64(id) | UInt64(port - 49152) << 16
}

private func makeResolver(_ random: ScriptedRandom, servers: [IPv4Address] = [primary, secondary]) -> DNSResolver {
    DNSResolver(servers: servers, random: { random.next() })
}

/// A response to a query for `qname` A with `id`: `rcode`, the given answers, optional TC.
private func response(
    id: UInt16, qname: String = "www.example.com", qtype: DNSType = .a, rcode: DNSResponseCode = .noError,
    answers: [DNSRecord] = [], truncated: Bool = false, isResponse: Bool = true
) throws(TestFailure) -> [UInt8] {
    var message = DNSMessage.query(identification: id, name: try name(qname), type: qtype)
    message.isResponse = isResponse
    message.recursionAvailable = true
    message.responseCode = rcode
    message.truncated = truncated
    message.answers = answers
    return emitted(message)
}

private func aRecord(_ owner: String, _ address: IPv4Address) throws(TestFailure) -> DNSRecord {
    DNSRecord(name: try name(owner), type: .a, timeToLive: 30, data: .a(address))
}

/// Hands `bytes` to the resolver as a datagram from `source`:`sourcePort` to `port`.
private func deliver(
    _ resolver: inout DNSResolver, _ bytes: [UInt8], from source: IPv4Address = primary, sourcePort: UInt16 = 53,
    to port: UInt16, at now: Instant
) -> Result<DNSAnswer, DNSError>? {
    PacketBuffer(bytes).withUnsafeReadableBytes { raw in
        resolver.handle(raw, from: source, sourcePort: sourcePort, destinationPort: port, now: now)
    }
}

/// Polls at `now` and fails unless a query comes out.
@discardableResult
private func expectQuery(_ resolver: inout DNSResolver, at now: Instant, _ what: String) throws(TestFailure) -> DNSQuery
{
    guard let query = resolver.poll(now: now) else { throw TestFailure("\(what): no query at \(since(now))") }
    return query
}

/// Fails unless `result` is the failure `expected`.
private func expectFailure(
    _ result: Result<DNSAnswer, DNSError>?, _ expected: DNSError, _ what: String
) throws(TestFailure) {
    switch result {
    case .failure(let error)?: try expectEqual(error, expected, what)
    case .success(let answer)?: throw TestFailure("\(what): expected \(expected), got \(answer)")
    case nil: throw TestFailure("\(what): expected \(expected), got no result")
    }
}

func registerDNSResolverTests(_ suite: inout TestSuite) {
    suite.test("resolver.scapy-exchange-resolves-through-the-cname") { () throws(TestFailure) in
        let random = ScriptedRandom([draw(id: 0x1234, port: 50000)])
        var resolver = makeResolver(random)
        try expectEqual(resolver.state, .idle, "state")
        resolver.start(name: try name("www.example.com"), now: at(0))
        try expectInstant(resolver.nextPollTime, at(0), "query due at once")
        let query = try expectQuery(&resolver, at: at(0), "query")
        try expectBytes(query.bytes, dnsQuery, "query bytes")
        try expectEqual(query.server, primary, "server")
        try expectEqual(query.sourcePort, 50000, "source port")
        try expectEqual(query.identification, 0x1234, "id")
        try expectEqual(query.description, "DNS query id=4660 33 bytes from port 50000 to 10.0.2.3", "description")
        try expectInstant(resolver.nextPollTime, at(1), "first timeout")
        guard case .success(let answer)? = deliver(&resolver, dnsResponse, to: 50000, at: at(milliseconds: 20)) else {
            throw TestFailure("no answer")
        }
        try expectElements(
            answer.addresses, [IPv4Address(93, 184, 216, 34), IPv4Address(93, 184, 216, 35)], "addresses")
        try expectEqual(answer.canonicalName, try name("web.example.com"), "canonical name")
        try expectEqual(resolver.state, .finished, "state")
        try expectInstant(resolver.nextPollTime, nil, "nothing more to poll")
        try expect(resolver.poll(now: at(5)) == nil, "no more queries")
        try expectEqual(resolver.ignored, 0, "ignored")
    }
    suite.test("resolver.retries-after-1-2-4-s-per-server-then-times-out") { () throws(TestFailure) in
        let random = ScriptedRandom([draw(id: 1, port: 50001), draw(id: 2, port: 60002)])
        var resolver = makeResolver(random)
        resolver.start(name: try name("www.example.com"), now: at(0))
        var sends: [String] = []
        while let next = resolver.nextPollTime {
            try expect(resolver.poll(now: next - .milliseconds(1)) == nil || sends.isEmpty, "nothing early")
            if let query = resolver.poll(now: next) {
                sends.append("\((next - origin).milliseconds / 1000)s \(query.server) id=\(query.identification)")
                try expectEqual(query.sourcePort, query.server == primary ? 50001 : 60002, "port per server")
            }
        }
        try expectElements(
            sends,
            [
                "0s 10.0.2.3 id=1", "1s 10.0.2.3 id=1", "3s 10.0.2.3 id=1", "7s 8.8.8.8 id=2", "8s 8.8.8.8 id=2",
                "10s 8.8.8.8 id=2",
            ], "sends")
        try expectFailure(resolver.result, .timedOut, "result")
        try expectEqual(resolver.state, .finished, "state")
    }
    suite.test("resolver.late-answer-to-an-earlier-try-counts") { () throws(TestFailure) in
        let random = ScriptedRandom([draw(id: 0x1234, port: 50000)])
        var resolver = makeResolver(random)
        resolver.start(name: try name("www.example.com"), now: at(0))
        try expectQuery(&resolver, at: at(0), "first")
        try expectQuery(&resolver, at: at(1), "second")
        let result = deliver(&resolver, dnsResponse, to: 50000, at: at(milliseconds: 1500))
        guard case .success(let answer)? = result else { throw TestFailure("late answer rejected") }
        try expectEqual(answer.addresses.count, 2, "addresses")
    }
    suite.test("resolver.ignores-forged-and-stray-datagrams") { () throws(TestFailure) in
        let random = ScriptedRandom([draw(id: 0x1234, port: 50000)])
        var resolver = makeResolver(random)
        resolver.start(name: try name("www.example.com"), now: at(0))
        try expectQuery(&resolver, at: at(0), "query")
        let good = try response(id: 0x1234, answers: [try aRecord("www.example.com", IPv4Address(1, 2, 3, 4))])
        let forged: [(String, [UInt8], IPv4Address, UInt16, UInt16)] = [
            (
                "wrong id",
                try response(id: 0x1235, answers: [try aRecord("www.example.com", IPv4Address(6, 6, 6, 6))]),
                primary, 53, 50000
            ),
            ("wrong name", try response(id: 0x1234, qname: "www.example.org"), primary, 53, 50000),
            ("wrong type", try response(id: 0x1234, qtype: .aaaa), primary, 53, 50000),
            ("a query", try response(id: 0x1234, isResponse: false), primary, 53, 50000),
            ("NXDOMAIN from another host", try response(id: 0x1234, rcode: .nameError), secondary, 53, 50000),
            ("from port 5353", try response(id: 0x1234, rcode: .nameError), primary, 5353, 53),
            ("to another port", try response(id: 0x1234, rcode: .nameError), primary, 53, 50001),
            ("two questions", responseTwoQuestions(good), primary, 53, 50000),
        ]
        for (what, bytes, source, sourcePort, port) in forged {
            let result = deliver(&resolver, bytes, from: source, sourcePort: sourcePort, to: port, at: at(0))
            try expect(result == nil, "\(what): ended the lookup")
        }
        try expectEqual(resolver.ignored, forged.count, "ignored")
        try expectEqual(resolver.state, .running, "still running")
        guard case .success(let answer)? = deliver(&resolver, good, to: 50000, at: at(0)) else {
            throw TestFailure("the good answer")
        }
        try expectElements(answer.addresses, [IPv4Address(1, 2, 3, 4)], "addresses")
        try expect(deliver(&resolver, good, to: 50000, at: at(0)) == nil, "after the end")
    }
    suite.test("resolver.question-name-matches-ignoring-case") { () throws(TestFailure) in
        let random = ScriptedRandom([draw(id: 7, port: 50000)])
        var resolver = makeResolver(random)
        resolver.start(name: try name("www.example.com"), now: at(0))
        try expectQuery(&resolver, at: at(0), "query")
        let bytes = try response(
            id: 7, qname: "WWW.Example.COM", answers: [try aRecord("www.EXAMPLE.com", IPv4Address(1, 2, 3, 4))])
        guard case .success(let answer)? = deliver(&resolver, bytes, to: 50000, at: at(0)) else {
            throw TestFailure("no answer")
        }
        try expectEqual(answer.addresses.count, 1, "addresses")
    }
    suite.test("resolver.nxdomain-and-nodata-are-final") { () throws(TestFailure) in
        let random = ScriptedRandom([draw(id: 0x1234, port: 50000), draw(id: 9, port: 50000)])
        var resolver = makeResolver(random)
        resolver.start(name: try name("www.example.com"), now: at(0))
        try expectQuery(&resolver, at: at(0), "query")
        try expectFailure(deliver(&resolver, dnsNXDomain, to: 50000, at: at(0)), .nameNotFound, "NXDOMAIN")
        try expect(resolver.poll(now: at(100)) == nil, "no other server asked")
        resolver.start(name: try name("www.example.com"), now: at(200))
        try expectQuery(&resolver, at: at(200), "query")
        let cnameOnly = try response(
            id: 9,
            answers: [
                DNSRecord(
                    name: try name("www.example.com"), type: .cname, timeToLive: 5, data: .cname(try name("x.test")))
            ])
        try expectFailure(deliver(&resolver, cnameOnly, to: 50000, at: at(200)), .noAddress, "NODATA")
    }
    suite.test("resolver.servfail-and-truncation-move-to-the-next-server") { () throws(TestFailure) in
        let random = ScriptedRandom([draw(id: 0x1234, port: 50000), draw(id: 0x4321, port: 50002)])
        var resolver = makeResolver(random)
        resolver.start(name: try name("www.example.com"), now: at(0))
        try expectQuery(&resolver, at: at(0), "query")
        try expect(deliver(&resolver, dnsServerFailure, to: 50000, at: at(milliseconds: 10)) == nil, "SERVFAIL")
        try expectInstant(resolver.nextPollTime, at(milliseconds: 10), "next server at once")
        let next = try expectQuery(&resolver, at: at(milliseconds: 10), "next server")
        try expectEqual(next.server, secondary, "server")
        try expectEqual(next.identification, 0x4321, "fresh id")
        let truncated = try response(id: 0x4321, truncated: true)
        try expectFailure(
            deliver(&resolver, truncated, from: secondary, to: 50002, at: at(1)), .serverFailure, "TC at the last")
        // REFUSED from the only server.
        let single = ScriptedRandom([draw(id: 5, port: 50000)])
        var alone = makeResolver(single, servers: [primary])
        alone.start(name: try name("www.example.com"), now: at(0))
        try expectQuery(&alone, at: at(0), "query")
        try expectFailure(
            deliver(&alone, try response(id: 5, rcode: .refused), to: 50000, at: at(0)), .serverFailure, "REFUSED")
    }
    suite.test("resolver.only-malformed-answers-report-malformed") { () throws(TestFailure) in
        let random = ScriptedRandom([draw(id: 0x1234, port: 50000)])
        var resolver = makeResolver(random, servers: [primary])
        resolver.start(name: try name("www.example.com"), now: at(0))
        try expectQuery(&resolver, at: at(0), "query")
        try expect(deliver(&resolver, Array(dnsResponse[0..<50]), to: 50000, at: at(0)) == nil, "truncated bytes")
        try expectEqual(resolver.state, .running, "a malformed datagram does not end the lookup")
        try expectQuery(&resolver, at: at(1), "retry")
        try expectQuery(&resolver, at: at(3), "retry")
        try expect(resolver.poll(now: at(7)) == nil, "no more")
        try expectFailure(resolver.result, .malformedResponse, "result")
    }
    suite.test("resolver.no-servers-and-restart") { () throws(TestFailure) in
        let random = ScriptedRandom([draw(id: 1, port: 50000), draw(id: 2, port: 50000)])
        var resolver = makeResolver(random, servers: [])
        resolver.start(name: try name("www.example.com"), now: at(0))
        try expectFailure(resolver.result, .noServers, "no servers")
        try expect(resolver.poll(now: at(0)) == nil, "nothing to send")
        resolver.servers = [primary]
        resolver.start(name: try name("a.test"), now: at(1))
        try expect(resolver.result == nil, "result cleared")
        let first = try expectQuery(&resolver, at: at(1), "first lookup")
        resolver.start(name: try name("b.test"), now: at(2))
        let second = try expectQuery(&resolver, at: at(2), "restarted lookup")
        try expect(first.identification != second.identification, "new id")
        try expect(
            deliver(&resolver, try response(id: 1, qname: "a.test", rcode: .nameError), to: 50000, at: at(2)) == nil,
            "an answer to the abandoned lookup is ignored")
        try expectEqual(resolver.name, try name("b.test"), "name")
    }
}

/// `bytes` with QDCOUNT 2 and the question repeated.
private func responseTwoQuestions(_ bytes: [UInt8]) -> [UInt8] {
    var changed = Array(bytes[0..<33]) + Array(bytes[12..<33]) + Array(bytes[33...])
    changed[5] = 2
    return changed
}
