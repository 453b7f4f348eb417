/// How a ``NetworkStack`` gets its address: fixed, or by DHCP.
///
/// From boot arguments (Swiftlet's convention, as Solo5/MirageOS name devices: docs/DEVICES.md §1): `ip=10.0.0.2/24 gw=10.0.0.1 dns=10.0.0.1` is static
/// addressing, `gw` and `dns` optional (`dns` may list servers separated by commas); `ip=dhcp`, or no `ip` at
/// all, asks for DHCP, which brings the gateway and DNS servers with the lease.
import Runtime

/// An address plan for a ``NetworkStack``.
public enum StackConfiguration: Equatable, CustomStringConvertible {
    /// This address and prefix, a default gateway (on the prefix) or none, and DNS servers for
    /// ``NetworkStack/resolve(_:timeout:)``, in order of preference.
    case `static`(cidr: IPv4CIDR, gateway: IPv4Address?, dnsServers: [IPv4Address] = [])
    /// An address, gateway and DNS servers from a DHCP server (RFC 2131).
    case dhcp

    /// Reads `ip=`, `gw=` and `dns=`.
    ///
    /// - Throws: ``StackConfigurationError/invalidAddress(_:)`` when `ip` is neither `dhcp` nor `a.b.c.d/n` with a
    ///   unicast address; ``StackConfigurationError/invalidGateway(_:)`` when `gw` is not a unicast address on that
    ///   prefix, or is given with DHCP; ``StackConfigurationError/invalidDNSServer(_:)`` when `dns` is not a
    ///   comma-separated list of unicast addresses, or is given with DHCP.
    public init(bootArguments arguments: BootArguments) throws(StackConfigurationError) {
        // Bytes, not String equality (canonical equivalence would link the Unicode tables: docs/BENCHMARKS.md).
        guard let text = arguments["ip"], !text.utf8.elementsEqual("dhcp".utf8) else {
            if let gateway = arguments["gw"] { throw .invalidGateway(gateway) }
            if let servers = arguments["dns"] { throw .invalidDNSServer(servers) }
            self = .dhcp
            return
        }
        guard let cidr = IPv4CIDR(text), cidr.address.isUnicast,
            cidr.prefixLength >= 31 || (cidr.address != cidr.network && cidr.address != cidr.broadcast)
        else { throw .invalidAddress(text) }
        var gateway: IPv4Address? = nil
        if let gatewayText = arguments["gw"] {
            guard let address = IPv4Address(gatewayText), address.isUnicast, cidr.contains(address),
                address != cidr.address,
                cidr.prefixLength >= 31 || (address != cidr.network && address != cidr.broadcast)
            else { throw .invalidGateway(gatewayText) }
            gateway = address
        }
        var servers: [IPv4Address] = []
        if let serversText = arguments["dns"] {
            // Comma-separated, empty parts refused: one pass over the bytes (no split, no Substrings).
            var scanner = DottedQuadScanner()
            var bytes = serversText.utf8.makeIterator()
            while true {
                let byte = bytes.next()
                if let byte, byte != UInt8(ascii: ",") {
                    scanner.feed(byte)
                    continue
                }
                guard let address = scanner.address, address.isUnicast else { throw .invalidDNSServer(serversText) }
                servers.append(address)
                if byte == nil { break }
                scanner = DottedQuadScanner()
            }
        }
        self = .static(cidr: cidr, gateway: gateway, dnsServers: servers)
    }

    /// `static 10.0.0.2/24 via 10.0.0.1 dns 10.0.0.1`, `static 10.0.0.2/24`, or `dhcp`.
    public var description: String {
        switch self {
        case .static(let cidr, let gateway, let servers):
            var text = "static \(cidr)"
            if let gateway { text += " via \(gateway)" }
            if !servers.isEmpty {
                text += " dns"
                for (index, server) in servers.enumerated() { text += index == 0 ? " \(server)" : ",\(server)" }
            }
            return text
        case .dhcp: return "dhcp"
        }
    }
}

/// A boot argument that does not describe an address plan.
public enum StackConfigurationError: Error, Equatable, CustomStringConvertible {
    /// `ip=` is not `dhcp` or a unicast `a.b.c.d/n` (the value given).
    case invalidAddress(String)
    /// `gw=` is not a unicast address on the `ip=` prefix, or came without `ip=` (the value given).
    case invalidGateway(String)
    /// `dns=` is not a comma-separated list of unicast addresses, or came without `ip=` (the value given).
    case invalidDNSServer(String)

    public var description: String {
        switch self {
        case .invalidAddress(let text):
            Self.explain("ip=", text, ": expected dhcp or a unicast address with prefix, e.g. 10.0.0.2/24")
        case .invalidGateway(let text):
            Self.explain("gw=", text, ": expected a unicast address on the ip= prefix, e.g. 10.0.0.1")
        case .invalidDNSServer(let text):
            Self.explain("dns=", text, ": expected unicast addresses separated by commas, with a static ip=, e.g. 10.0.0.1")
        }
    }

    /// `key`, `text`, `expected`: one out-of-line concatenation instead of an interpolation per case (each
    /// interpolated segment is inlined where it is written; docs/BENCHMARKS.md, footprint).
    @inline(never)
    private static func explain(_ key: StaticString, _ text: String, _ expected: StaticString) -> String {
        var line = key.description
        line += text
        line += expected.description
        return line
    }
}
