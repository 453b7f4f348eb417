/// How a ``NetworkStack`` gets its address: fixed, or by DHCP.
///
/// From boot arguments (docs/DESIGN.md convention): `ip=10.0.0.2/24 gw=10.0.0.1` is static addressing, `gw`
/// optional; `ip=dhcp`, or no `ip` at all, asks for DHCP.
import Runtime

/// An address plan for a ``NetworkStack``.
public enum StackConfiguration: Equatable, CustomStringConvertible {
    /// This address and prefix, and a default gateway (on the prefix) or none.
    case `static`(cidr: IPv4CIDR, gateway: IPv4Address?)
    /// An address from a DHCP server (RFC 2131). Not available yet: ``NetworkStack/up(device:configuration:)``
    /// throws ``NetworkStackError/dhcpUnavailable`` until the DHCP client of `Sources/Net/Protocols` lands.
    case dhcp

    /// Reads `ip=` and `gw=`.
    ///
    /// - Throws: ``StackConfigurationError/invalidAddress(_:)`` when `ip` is neither `dhcp` nor `a.b.c.d/n` with a
    ///   unicast address; ``StackConfigurationError/invalidGateway(_:)`` when `gw` is not a unicast address on that
    ///   prefix, or is given with DHCP.
    public init(bootArguments arguments: BootArguments) throws(StackConfigurationError) {
        guard let text = arguments["ip"], text != "dhcp" else {
            if let gateway = arguments["gw"] { throw .invalidGateway(gateway) }
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
        self = .static(cidr: cidr, gateway: gateway)
    }

    /// `static 10.0.0.2/24 via 10.0.0.1`, `static 10.0.0.2/24`, or `dhcp`.
    public var description: String {
        switch self {
        case .static(let cidr, let gateway?): "static \(cidr) via \(gateway)"
        case .static(let cidr, nil): "static \(cidr)"
        case .dhcp: "dhcp"
        }
    }
}

/// A boot argument that does not describe an address plan.
public enum StackConfigurationError: Error, Equatable, CustomStringConvertible {
    /// `ip=` is not `dhcp` or a unicast `a.b.c.d/n` (the value given).
    case invalidAddress(String)
    /// `gw=` is not a unicast address on the `ip=` prefix (the value given).
    case invalidGateway(String)

    public var description: String {
        switch self {
        case .invalidAddress(let text): "ip=\(text): expected dhcp or a unicast address with prefix, e.g. 10.0.0.2/24"
        case .invalidGateway(let text): "gw=\(text): expected a unicast address on the ip= prefix, e.g. 10.0.0.1"
        }
    }
}
