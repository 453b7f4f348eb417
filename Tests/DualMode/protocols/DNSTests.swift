/// DNS wire format (Sources/Net/Wire/DNS.swift): scapy-built query and responses through deconstruct, parse, emit
/// and every truncation; compression pointers (loops, forward pointers, hop and length limits); CNAME chains.
import Net
import Runtime

/// scapy: DNS(id 0x1234, rd 1, qd DNSQR(www.example.com, A, IN)).
let dnsQuery: [UInt8] = [
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
]
/// scapy: dns_compress(DNS(id 0x1234, qr rd ra, qd www.example.com A, an www.example.com 300 CNAME web.example.com,
/// web.example.com 60 A 93.184.216.34, web.example.com 120 A 93.184.216.35, ns example.com 3600 NS ns1.example.com,
/// ar ns1.example.com 3600 A 192.0.2.53)): every name after the question is a compression pointer or ends in one.
let dnsResponse: [UInt8] = [
    0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x01, 0x00, 0x01,
    0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00,
    0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x06, 0x03, 0x77, 0x65,
    0x62, 0xc0, 0x10, 0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x3c, 0x00, 0x04, 0x5d, 0xb8, 0xd8, 0x22, 0xc0, 0x2d, 0x00, 0x01, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x78, 0x00, 0x04, 0x5d, 0xb8, 0xd8, 0x23, 0xc0,
    0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03,
    0x6e, 0x73, 0x31, 0xc0, 0x10, 0xc0, 0x5f, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00, 0x0e, 0x10, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x35,
]
/// scapy: dns_compress(DNS(id 0x1234, qr rd ra, rcode 3 NXDOMAIN, qd www.example.com A, ns example.com 900 SOA
/// ns1.example.com admin.example.com 2024010101 7200 900 1209600 300)).
let dnsNXDomain: [UInt8] = [
    0x12, 0x34, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x10, 0x00,
    0x06, 0x00, 0x01, 0x00, 0x00, 0x03, 0x84, 0x00, 0x22, 0x03, 0x6e, 0x73,
    0x31, 0xc0, 0x10, 0x05, 0x61, 0x64, 0x6d, 0x69, 0x6e, 0xc0, 0x10, 0x78,
    0xa3, 0xf1, 0x75, 0x00, 0x00, 0x1c, 0x20, 0x00, 0x00, 0x03, 0x84, 0x00,
    0x12, 0x75, 0x00, 0x00, 0x00, 0x01, 0x2c,
]
/// scapy: DNS(id 0x1234, qr rd ra, rcode 2 SERVFAIL, qd www.example.com A).
let dnsServerFailure: [UInt8] = [
    0x12, 0x34, 0x81, 0x82, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
    0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
]

/// `text` as a name; the test fails on invalid text.
func name(_ text: String) throws(TestFailure) -> DNSName {
    guard let name = DNSName(text) else { throw TestFailure("invalid name \(text)") }
    return name
}

/// Parses `bytes` as a DNS message through the checked path.
func parseDNS(_ bytes: UnsafeMutableRawBufferPointer) throws(WireError) -> DNSMessage {
    try DNSMessage(parsing: try DNSPacket(checking: bytes))
}

/// Parses a vector, failing the test when it is rejected.
func dnsMessage(_ bytes: [UInt8], _ what: String) throws(TestFailure) -> DNSMessage {
    try withBytes(bytes) { (raw) throws(TestFailure) in
        try accept(what) { () throws(WireError) in try parseDNS(raw) }
    }
}

/// Fails unless `bytes` is rejected.
func expectDNSRejected(_ bytes: [UInt8], _ what: String) throws(TestFailure) {
    try withBytes(bytes) { (raw) throws(TestFailure) in
        try reject(what) { () throws(WireError) in try parseDNS(raw) }
    }
}

/// The bytes `message` emits.
func emitted(_ message: DNSMessage) -> [UInt8] {
    var buffer = PacketBuffer(capacity: message.length, headroom: 0)
    buffer.append(message.length) { bytes in message.emit(into: DNSPacket(unchecked: bytes)) }
    return array(buffer)
}

/// Reads a name at `offset` of `bytes` with ``DNSName/read(in:at:)``.
private func readName(_ bytes: [UInt8], at offset: Int) throws(WireError) -> (name: DNSName, end: Int) {
    try PacketBuffer(bytes).withUnsafeReadableBytes { (raw) throws(WireError) in try DNSName.read(in: raw, at: offset) }
}

/// A response header (id 0x1234, QR RD RA, NOERROR) with one question for www.example.com A, then `rest` as the
/// answer section of `answers` records.
private func responseWith(answers: UInt8, _ rest: [UInt8]) -> [UInt8] {
    var bytes = Array(dnsServerFailure)
    bytes[3] = 0x80
    bytes[7] = answers
    return bytes + rest
}

func registerDNSTests(_ suite: inout TestSuite) {
    suite.test("dns.deconstruct-response") { () throws(TestFailure) in
        try withBytes(dnsResponse) { (bytes) throws(TestFailure) in
            let packet = try accept("response") { () throws(WireError) in try DNSPacket(checking: bytes) }
            try expectEqual(packet.identification, 0x1234, "id")
            try expect(packet.isResponse, "QR")
            try expectEqual(packet.opcode, .query, "opcode")
            try expect(!packet.authoritative && !packet.truncated, "AA, TC")
            try expect(packet.recursionDesired && packet.recursionAvailable, "RD, RA")
            try expectEqual(packet.responseCode, .noError, "rcode")
            try expectEqual(packet.questionCount, 1, "QDCOUNT")
            try expectEqual(packet.answerCount, 3, "ANCOUNT")
            try expectEqual(packet.authorityCount, 1, "NSCOUNT")
            try expectEqual(packet.additionalCount, 1, "ARCOUNT")
        }
    }
    suite.test("dns.parse-compressed-response-and-follow-the-cname") { () throws(TestFailure) in
        let message = try dnsMessage(dnsResponse, "response")
        let www = try name("www.example.com")
        let web = try name("web.example.com")
        try expectElements(message.questions, [DNSQuestion(name: www, type: .a)], "question")
        try expectElements(
            message.answers,
            [
                DNSRecord(name: www, type: .cname, timeToLive: 300, data: .cname(web)),
                DNSRecord(name: web, type: .a, timeToLive: 60, data: .a(IPv4Address(93, 184, 216, 34))),
                DNSRecord(name: web, type: .a, timeToLive: 120, data: .a(IPv4Address(93, 184, 216, 35))),
            ], "answers")
        try expectEqual(message.authorities.count, 1, "authorities")
        try expectEqual(message.authorities[0].type, .ns, "NS")
        try expectEqual(message.authorities[0].name, try name("example.com"), "NS owner (pointer)")
        try expectElements(
            message.additionals,
            [
                DNSRecord(
                    name: try name("ns1.example.com"), type: .a, timeToLive: 3600, data: .a(IPv4Address(192, 0, 2, 53)))
            ],
            "additional (pointer into the NS data)")
        let answer = message.addresses(of: www)
        try expectEqual(
            answer,
            DNSAnswer(
                name: www, canonicalName: web,
                addresses: [IPv4Address(93, 184, 216, 34), IPv4Address(93, 184, 216, 35)], timeToLive: 60),
            "answer")
        try expectEqual(
            answer.description, "www.example.com (web.example.com) ttl=60: 93.184.216.34 93.184.216.35",
            "answer description")
        try expectEqual(
            message.description,
            "DNS id=4660 response QUERY NOERROR RD RA ? www.example.com IN A ! www.example.com 300 IN CNAME"
                + " web.example.com ! web.example.com 60 IN A 93.184.216.34 ! web.example.com 120 IN A 93.184.216.35",
            "description")
        try expectEqual(
            message.addresses(of: try name("ns1.example.com")).addresses.count, 0,
            "additional records are not answers")
    }
    suite.test("dns.emit-query-equals-scapy") { () throws(TestFailure) in
        let query = DNSMessage.query(identification: 0x1234, name: try name("www.example.com"))
        try expectEqual(query.length, dnsQuery.count, "length")
        try expectBytes(emitted(query), dnsQuery, "query")
        try expectEqual(try dnsMessage(dnsQuery, "query"), query, "parsed back")
    }
    suite.test("dns.emit-parse-round-trip-decompresses") { () throws(TestFailure) in
        for (what, vector) in [("response", dnsResponse), ("nxdomain", dnsNXDomain), ("servfail", dnsServerFailure)] {
            let message = try dnsMessage(vector, what)
            let bytes = emitted(message)
            let again = try dnsMessage(bytes, "\(what) emitted")
            // NS and SOA data stay raw (compressed) bytes, so compare everything else.
            try expectEqual(again.questions.count, message.questions.count, "\(what) questions")
            try expectEqual(again.answers.count, message.answers.count, "\(what) answers")
            try expect(again.answers == message.answers, "\(what): answers round-trip")
            try expect(again.additionals == message.additionals, "\(what): additionals round-trip")
            try expectEqual(again.responseCode, message.responseCode, "\(what) rcode")
        }
        // scapy's uncompressed form is 210 bytes; here the NS data stays as its 6 raw (compressed) bytes, not 17.
        try expectEqual(emitted(try dnsMessage(dnsResponse, "response")).count, 210 - 11, "names uncompressed")
    }
    suite.test("dns.parse-nxdomain-and-servfail") { () throws(TestFailure) in
        let nx = try dnsMessage(dnsNXDomain, "nxdomain")
        try expectEqual(nx.responseCode, .nameError, "rcode")
        try expectEqual(nx.authorities.count, 1, "SOA")
        try expectEqual(nx.authorities[0].type, .soa, "type")
        try expectEqual(nx.authorities[0].timeToLive, 900, "ttl")
        try expectEqual(nx.authorities[0].data, .other(Array(dnsNXDomain[45...])), "SOA data kept raw")
        try expectEqual(nx.addresses(of: try name("www.example.com")).addresses.count, 0, "no addresses")
        let servfail = try dnsMessage(dnsServerFailure, "servfail")
        try expectEqual(servfail.responseCode, .serverFailure, "rcode")
        try expectEqual(servfail.responseCode.description, "SERVFAIL", "rcode text")
    }
    suite.test("dns.every-truncation-is-rejected") { () throws(TestFailure) in
        for vector in [dnsQuery, dnsResponse, dnsNXDomain, dnsServerFailure] {
            try expectEveryTruncationRejected(vector) { (bytes) throws(WireError) in _ = try parseDNS(bytes) }
        }
    }
    suite.test("dns.compression-loops-and-forward-pointers-are-rejected") { () throws(TestFailure) in
        // The question name is a pointer to itself.
        var selfPointer = Array(dnsServerFailure[0..<12]) + [0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01]
        try expectDNSRejected(selfPointer, "pointer to itself")
        // A label, then a pointer back to the label's own start: a loop through bytes already read.
        selfPointer = Array(dnsServerFailure[0..<12]) + [0x01, 0x61, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01]
        try expectDNSRejected(selfPointer, "pointer into its own name")
        // Two pointers at each other: the answer's owner (at 33) points to 35, which points back to 33.
        var mutual = responseWith(
            answers: 1, [0xc0, 0x23, 0xc0, 0x21, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4])
        try expectDNSRejected(mutual, "forward pointer (mutual loop)")
        // A forward pointer to a valid name is still rejected.
        mutual = responseWith(answers: 1, [0xc0, 0x23, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4])
        try expectDNSRejected(mutual, "forward pointer to the root")
        // The same record with a backward pointer (to the question name) is fine.
        let backward = responseWith(answers: 1, [0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4])
        let message = try dnsMessage(backward, "backward pointer")
        try expectElements(
            message.addresses(of: try name("www.example.com")).addresses, [IPv4Address(1, 2, 3, 4)],
            "address")
        try expectDNSRejected(
            responseWith(answers: 1, [0xc0, 0xff, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]),
            "pointer past the end")
        try expectDNSRejected(responseWith(answers: 1, [0xc0]), "half a pointer")
        try expectDNSRejected(
            responseWith(answers: 1, [0x40, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]), "label type 01")
        try expectDNSRejected(
            responseWith(answers: 1, [0x80, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]), "label type 10")
    }
    suite.test("dns.pointer-hops-are-bounded") { () throws(TestFailure) in
        // Offset 0 is the root; every later pointer points at the one before it.
        var bytes: [UInt8] = [0x00]
        for index in 0..<200 {
            let target = index == 0 ? 0 : 1 + 2 * (index - 1)
            bytes += [0xc0 | UInt8(target >> 8), UInt8(truncatingIfNeeded: target)]
        }
        let atHops = { (hops: Int) -> Int in 1 + 2 * (hops - 1) }
        let (root, end) = try accept("127 hops") { () throws(WireError) in try readName(bytes, at: atHops(127)) }
        try expectEqual(root, DNSName.root, "root")
        try expectEqual(end, atHops(127) + 2, "end after the first pointer")
        try reject("128 hops") { () throws(WireError) in try readName(bytes, at: atHops(128)) }
        try reject("200 hops") { () throws(WireError) in try readName(bytes, at: atHops(200)) }
    }
    suite.test("dns.label-and-name-length-limits") { () throws(TestFailure) in
        let label63 = String(repeating: "a", count: 63)
        try expect(DNSName(label63 + ".com") != nil, "63-byte label")
        try expect(
            DNSName(wire: [1, 97]) == nil && DNSName(wire: [0, 0]) == nil && DNSName(wire: []) == nil, "bad wire")
        try expect(DNSName(wire: [2, 97]) == nil && DNSName(wire: [0xc0, 0]) == nil, "bad wire labels")
        try expect(DNSName(label63 + "a.com") == nil, "64-byte label")
        // 4 labels of 63 = 256 wire bytes with lengths and root; 3 of 63 and one of 61 = 254 + 1 = 255.
        let max = [label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")
        try expectEqual(DNSName(max)?.wire.count ?? 0, 255, "255-byte name")
        try expect(DNSName(max + "b") == nil, "256-byte name")
        try expect(DNSName("") == nil && DNSName("a..b") == nil && DNSName(".a") == nil, "empty labels")
        try expectElements(try name(".").wire, [0], "root")
        try expectElements(try name("a.b.").wire, [1, 97, 1, 98, 0], "trailing dot")
        // On the wire: a 64-byte label, and a 256-byte name made with pointers, are rejected.
        let long: [UInt8] = [64] + [UInt8](repeating: 97, count: 64) + [0]
        try reject("64-byte label on the wire") { () throws(WireError) in try readName(long, at: 0) }
        var chained: [UInt8] = [63] + [UInt8](repeating: 97, count: 63) + [0]  // 0: a63. (65 wire bytes)
        chained += [63] + [UInt8](repeating: 98, count: 63) + [0xc0, 0x00]  // 65: b63.a63. (129 bytes)
        chained += [63] + [UInt8](repeating: 99, count: 63) + [0xc0, 65]  // 131: c63.b63.a63. (193 bytes)
        chained += [62] + [UInt8](repeating: 100, count: 62) + [0xc0, 131]  // 197: d62.c63... (256 bytes)
        chained += [61] + [UInt8](repeating: 101, count: 61) + [0xc0, 131]  // 262: e61.c63... (255 bytes)
        try reject("256-byte name through pointers") { () throws(WireError) in try readName(chained, at: 197) }
        let (fits, _) = try accept("255 bytes through pointers") { () throws(WireError) in
            try readName(chained, at: 262)
        }
        try expectEqual(fits.wire.count, 255, "wire length")
        try expectEqual(fits.labels.count, 4, "labels")
    }
    suite.test("dns.names-compare-ignoring-case-and-print-escaped") { () throws(TestFailure) in
        try expectEqual(try name("WWW.Example.COM"), try name("www.example.com"), "case")
        try expect(try name("www.example.com") != name("www.example.org"), "different names")
        try expectEqual(try name("www.example.com").description, "www.example.com", "description")
        try expectEqual(DNSName.root.description, ".", "root description")
        let odd = DNSName(wire: [3, 0x61, 0x2e, 0x20, 1, 0x5c, 0])
        try expectEqual(odd?.description ?? "", "a\\046\\032.\\092", "escapes")
        var set = Set<DNSName>()
        set.insert(try name("Example.com"))
        try expect(set.contains(try name("EXAMPLE.COM")), "hash ignores case")
    }
    suite.test("dns.cname-chains-loops-and-bad-rdata") { () throws(TestFailure) in
        let a = try name("a.test")
        let b = try name("b.test")
        let c = try name("c.test")
        var message = DNSMessage(identification: 1)
        message.answers = [
            DNSRecord(name: a, type: .cname, timeToLive: 50, data: .cname(b)),
            DNSRecord(name: try name("evil.test"), type: .a, timeToLive: 9, data: .a(IPv4Address(6, 6, 6, 6))),
            DNSRecord(name: b, type: .cname, timeToLive: 40, data: .cname(c)),
            DNSRecord(name: c, type: .a, timeToLive: 70, data: .a(IPv4Address(10, 9, 8, 7))),
        ]
        let parsed = try dnsMessage(emitted(message), "chain")
        try expectEqual(
            parsed.addresses(of: a),
            DNSAnswer(
                name: a, canonicalName: c, addresses: [IPv4Address(10, 9, 8, 7)],
                timeToLive: 40), "two aliases")
        message.answers[3] = DNSRecord(name: c, type: .cname, timeToLive: 70, data: .cname(a))
        let loop = try dnsMessage(emitted(message), "loop").addresses(of: a)
        try expectEqual(loop.addresses.count, 0, "a loop has no addresses")
        var long = DNSMessage(identification: 1)
        for index in 0..<10 {
            let from = try name("n\(index).test")
            let to = try name("n\(index + 1).test")
            long.answers.append(DNSRecord(name: from, type: .cname, timeToLive: 1, data: .cname(to)))
        }
        long.answers.append(
            DNSRecord(name: try name("n10.test"), type: .a, timeToLive: 1, data: .a(IPv4Address(1, 1, 1, 1))))
        try expectEqual(long.addresses(of: try name("n2.test")).addresses.count, 1, "8 aliases are followed")
        try expectEqual(long.addresses(of: try name("n1.test")).addresses.count, 0, "9 are not")
        // A record data of 5 bytes, CNAME data longer than its name.
        try expectDNSRejected(
            responseWith(answers: 1, [0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5]), "A of 5")
        try expectDNSRejected(
            responseWith(answers: 1, [0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 3, 0xc0, 0x0c, 0]),
            "CNAME with a trailing byte")
        try expectDNSRejected(
            responseWith(answers: 1, [0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 1, 0xc0, 0x0c]),
            "CNAME cut by its length")
        _ = try dnsMessage(
            responseWith(answers: 1, [0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 2, 0xc0, 0x0c]),
            "CNAME as a pointer")
    }
}
