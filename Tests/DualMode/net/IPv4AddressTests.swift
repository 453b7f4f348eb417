/// IPv4 addresses and CIDR (Sources/Net/Wire/IPv4Address.swift): dotted-quad text both ways, kinds, prefixes.
import Net
import Runtime

func registerIPv4AddressTests(_ suite: inout TestSuite) {
    suite.test("ipv4-address.parses-and-prints-dotted-quads") { () throws(TestFailure) in
        let cases: [(String, UInt32)] = [
            ("10.0.0.2", 0x0A00_0002), ("0.0.0.0", 0), ("255.255.255.255", 0xFFFF_FFFF),
            ("192.168.1.10", 0xC0A8_010A), ("1.2.3.4", 0x0102_0304), ("224.0.0.22", 0xE000_0016),
        ]
        for (text, value) in cases {
            guard let address = IPv4Address(text) else { throw TestFailure("\(text) did not parse") }
            try expectEqual(address.rawValue, value, "value of \(text)")
            try expectEqual(address.description, text, "description of \(text)")
        }
        try expectEqual(IPv4Address(10, 0, 0, 2), IPv4Address(rawValue: 0x0A00_0002), "octets initializer")
        let (a, b, c, d) = IPv4Address(192, 168, 1, 10).octets
        try expect(a == 192 && b == 168 && c == 1 && d == 10, "octets")
    }
    suite.test("ipv4-address.rejects-malformed-text") { () throws(TestFailure) in
        let bad = [
            "", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1..3.4", ".1.2.3",
            "1.2.3.", " 1.2.3.4", "1.2.3.4 ", "1.2.3.a", "1.2.3.-4", "1000.2.3.4", "1.2.3.4/24", "::1",
        ]
        for text in bad {
            try expect(IPv4Address(text) == nil, "'\(text)' parsed")
        }
    }
    suite.test("ipv4-address.kinds") { () throws(TestFailure) in
        try expect(IPv4Address.broadcast.isBroadcast && !IPv4Address.broadcast.isUnicast, "broadcast")
        try expect(IPv4Address.unspecified.isUnspecified && !IPv4Address.unspecified.isUnicast, "unspecified")
        try expect(IPv4Address(224, 0, 0, 1).isMulticast && IPv4Address(239, 255, 255, 250).isMulticast, "multicast")
        try expect(!IPv4Address(240, 0, 0, 1).isMulticast, "240/4 is not multicast")
        try expect(IPv4Address(127, 0, 0, 1).isLoopback, "loopback")
        try expect(IPv4Address(169, 254, 3, 4).isLinkLocal, "link-local")
        try expect(IPv4Address(10, 0, 0, 2).isUnicast, "unicast")
        try expect(IPv4Address(10, 0, 0, 1) < IPv4Address(10, 0, 0, 2), "ordering")
    }
    suite.test("ipv4-cidr.parses-masks-and-contains") { () throws(TestFailure) in
        guard let cidr = IPv4CIDR("10.0.0.2/24") else { throw TestFailure("10.0.0.2/24 did not parse") }
        try expectEqual(cidr.address, IPv4Address(10, 0, 0, 2), "address")
        try expectEqual(cidr.prefixLength, 24, "prefix length")
        try expectEqual(cidr.netmask.description, "255.255.255.0", "netmask")
        try expectEqual(cidr.network.description, "10.0.0.0", "network")
        try expectEqual(cidr.broadcast.description, "10.0.0.255", "broadcast")
        try expectEqual(cidr.description, "10.0.0.2/24", "description")
        try expect(cidr.contains(IPv4Address(10, 0, 0, 1)) && cidr.contains(IPv4Address(10, 0, 0, 255)), "inside")
        try expect(!cidr.contains(IPv4Address(10, 0, 1, 1)), "outside")
        let all = IPv4CIDR(address: .unspecified, prefixLength: 0)
        try expectEqual(all.netmask.description, "0.0.0.0", "/0 netmask")
        try expect(all.contains(IPv4Address(8, 8, 8, 8)), "/0 contains everything")
        guard let host = IPv4CIDR("192.168.1.10/32") else { throw TestFailure("/32 did not parse") }
        try expect(host.contains(host.address) && !host.contains(IPv4Address(192, 168, 1, 11)), "/32")
        try expectEqual(IPv4CIDR("172.16.5.4/12")?.network.description ?? "nil", "172.16.0.0", "/12 network")
        for text in [
            "10.0.0.2", "10.0.0.2/", "10.0.0.2/33", "10.0.0.2/024", "10.0.0.2/2a", "10.0.0/24", "/24",
            "10.0.0.2/24/1", "10.0.0.2/-1",
        ] {
            try expect(IPv4CIDR(text) == nil, "'\(text)' parsed")
        }
    }
}
