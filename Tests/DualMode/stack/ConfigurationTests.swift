/// Stack configuration from boot arguments (Sources/Net/Stack/StackConfiguration.swift).
import Net
import Runtime

private func configuration(_ line: String) throws(TestFailure) -> StackConfiguration {
    let arguments: BootArguments
    do throws(MalformedBootArgument) {
        arguments = try BootArguments(parsing: line)
    } catch {
        throw TestFailure("boot arguments '\(line)': malformed \(error.word)")
    }
    do throws(StackConfigurationError) {
        return try StackConfiguration(bootArguments: arguments)
    } catch {
        throw TestFailure("'\(line)': \(error)")
    }
}

private func rejected(_ line: String) throws(TestFailure) -> StackConfigurationError {
    let arguments: BootArguments
    do throws(MalformedBootArgument) {
        arguments = try BootArguments(parsing: line)
    } catch {
        throw TestFailure("boot arguments '\(line)': malformed \(error.word)")
    }
    return try thrownError("'\(line)'") { () throws(StackConfigurationError) in
        _ = try StackConfiguration(bootArguments: arguments)
    }
}

func registerConfigurationTests(_ suite: inout TestSuite) {
    suite.test("configuration.static-address-and-gateway-from-boot-arguments") { () throws(TestFailure) in
        let value = try configuration("ip=10.0.0.2/24 gw=10.0.0.1 verbose=1")
        try expectEqual(value, .static(cidr: IPv4CIDR("10.0.0.2/24")!, gateway: ip("10.0.0.1")), "configuration")
        try expectEqual(value.description, "static 10.0.0.2/24 via 10.0.0.1", "description")
        try expectEqual(
            try configuration("ip=192.168.7.9/16"), .static(cidr: IPv4CIDR("192.168.7.9/16")!, gateway: nil),
            "no gateway")
    }

    suite.test("configuration.dns-servers-with-a-static-address") { () throws(TestFailure) in
        let value = try configuration("ip=10.0.0.2/24 gw=10.0.0.1 dns=10.0.0.1,9.9.9.9")
        try expectEqual(
            value,
            .static(
                cidr: IPv4CIDR("10.0.0.2/24")!, gateway: ip("10.0.0.1"), dnsServers: [ip("10.0.0.1"), ip("9.9.9.9")]),
            "configuration")
        try expectEqual(value.description, "static 10.0.0.2/24 via 10.0.0.1 dns 10.0.0.1,9.9.9.9", "description")
        for text in ["", "10.0.0", "10.0.0.1,", "255.255.255.255", "0.0.0.0", "10.0.0.1;10.0.0.2"] {
            try expectEqual(try rejected("ip=10.0.0.2/24 dns=\(text)"), .invalidDNSServer(text), "dns=\(text)")
        }
        try expectEqual(try rejected("dns=10.0.0.1"), .invalidDNSServer("10.0.0.1"), "dns with DHCP")
    }

    suite.test("configuration.dhcp-when-asked-or-without-ip") { () throws(TestFailure) in
        try expectEqual(try configuration("ip=dhcp"), .dhcp, "ip=dhcp")
        try expectEqual(try configuration(""), .dhcp, "nothing")
    }

    suite.test("configuration.malformed-addresses-and-gateways-are-rejected") { () throws(TestFailure) in
        let addresses = [
            "10.0.0.2", "10.0.0.2/33", "10.0.0/24", "255.255.255.255/24", "224.0.0.1/24", "10.0.0.0/24",
            "10.0.0.255/24",
        ]
        for text in addresses {
            try expectEqual(try rejected("ip=\(text)"), .invalidAddress(text), "ip=\(text)")
        }
        for text in ["10.0.1.1", "10.0.0.2", "nonsense", "10.0.0.255"] {
            try expectEqual(try rejected("ip=10.0.0.2/24 gw=\(text)"), .invalidGateway(text), "gw=\(text)")
        }
        try expectEqual(try rejected("gw=10.0.0.1"), .invalidGateway("10.0.0.1"), "gw without ip")
    }
}
