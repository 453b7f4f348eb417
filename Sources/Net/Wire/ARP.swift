/// An ARP opcode (RFC 826 "ar$op"; RFC 5494 registry). Unknown values parse as ``unknown(_:)`` and round-trip.
public enum ARPOperation: Hashable, CustomStringConvertible, Sendable {
    /// 1, "who has ar$tpa?".
    case request
    /// 2, "ar$spa is at ar$sha".
    case reply
    /// Any other opcode, kept as is.
    case unknown(UInt16)

    /// The operation with this opcode; opcodes without a case become ``unknown(_:)``.
    public init(rawValue: UInt16) {
        switch rawValue {
        case 1: self = .request
        case 2: self = .reply
        default: self = .unknown(rawValue)
        }
    }

    /// The opcode on the wire.
    public var rawValue: UInt16 {
        switch self {
        case .request: 1
        case .reply: 2
        case .unknown(let value): value
        }
    }

    public var description: String {
        switch self {
        case .request: "request"
        case .reply: "reply"
        case .unknown(let value): "op=\(value)"
        }
    }

    public static func == (lhs: ARPOperation, rhs: ARPOperation) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// A view of an ARP packet for IPv4 over Ethernet in borrowed bytes (RFC 826 "Packet format").
///
/// ```
/// ar$hrd 16  ar$pro 16  ar$hln 8  ar$pln 8  ar$op 16
/// ar$sha 48  ar$spa 32  ar$tha 48  ar$tpa 32           (28 bytes)
/// ```
///
/// ``init(checking:)`` requires hardware and protocol address lengths 6 and 4 (the only ones the accessors'
/// fixed offsets are right for) and 28 bytes; ``ARPMessage/init(parsing:)`` also requires hardware type 1
/// (Ethernet) and protocol type 0x0800 (IPv4).
public struct ARPPacket {
    /// The packet's bytes (an Ethernet payload: 28 bytes, then padding).
    public let bytes: UnsafeMutableRawBufferPointer

    /// The length of an Ethernet/IPv4 ARP packet.
    public static let length = 28

    enum Field {
        static let hardwareType = 0
        static let protocolType = 2
        static let hardwareLength = 4
        static let protocolLength = 5
        static let operation = 6
        static let senderHardwareAddress = 8
        static let senderProtocolAddress = 14
        static let targetHardwareAddress = 18
        static let targetProtocolAddress = 24
    }

    /// Validates `bytes` as an Ethernet/IPv4-sized ARP packet.
    ///
    /// - Throws: ``WireError`` when shorter than 28 bytes or the address lengths are not 6 and 4.
    public init(checking bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.length else { throw WireError() }
        self.bytes = bytes
        guard self.hardwareLength == 6, self.protocolLength == 4 else { throw WireError() }
    }

    /// A view for building a packet in `bytes`.
    ///
    /// - Precondition: `bytes` holds at least 28 bytes.
    public init(unchecked bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.length, "ARP buffer shorter than 28 bytes")
        self.bytes = bytes
    }

    /// ar$hrd, hardware address space (1 = Ethernet).
    public var hardwareType: UInt16 {
        get { self.bytes.wireUInt16(at: Field.hardwareType) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.hardwareType) }
    }

    /// ar$pro, protocol address space, an EtherType (0x0800 = IPv4).
    public var protocolType: EtherType {
        get { EtherType(rawValue: self.bytes.wireUInt16(at: Field.protocolType)) }
        nonmutating set { self.bytes.setWireUInt16(newValue.rawValue, at: Field.protocolType) }
    }

    /// ar$hln, hardware address length in bytes.
    public var hardwareLength: UInt8 {
        get { self.bytes.wireUInt8(at: Field.hardwareLength) }
        nonmutating set { self.bytes.setWireUInt8(newValue, at: Field.hardwareLength) }
    }

    /// ar$pln, protocol address length in bytes.
    public var protocolLength: UInt8 {
        get { self.bytes.wireUInt8(at: Field.protocolLength) }
        nonmutating set { self.bytes.setWireUInt8(newValue, at: Field.protocolLength) }
    }

    /// ar$op, the opcode.
    public var operation: ARPOperation {
        get { ARPOperation(rawValue: self.bytes.wireUInt16(at: Field.operation)) }
        nonmutating set { self.bytes.setWireUInt16(newValue.rawValue, at: Field.operation) }
    }

    /// ar$sha, the sender's hardware address.
    public var senderHardwareAddress: MACAddress {
        get { MACAddress(wire: self.bytes, at: Field.senderHardwareAddress) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.senderHardwareAddress) }
    }

    /// ar$spa, the sender's protocol address.
    public var senderProtocolAddress: IPv4Address {
        get { IPv4Address(wire: self.bytes, at: Field.senderProtocolAddress) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.senderProtocolAddress) }
    }

    /// ar$tha, the target's hardware address (unknown, usually zero, in a request).
    public var targetHardwareAddress: MACAddress {
        get { MACAddress(wire: self.bytes, at: Field.targetHardwareAddress) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.targetHardwareAddress) }
    }

    /// ar$tpa, the target's protocol address.
    public var targetProtocolAddress: IPv4Address {
        get { IPv4Address(wire: self.bytes, at: Field.targetProtocolAddress) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.targetProtocolAddress) }
    }
}

/// An ARP message for IPv4 over Ethernet (RFC 826).
public struct ARPMessage: Equatable, CustomStringConvertible {
    /// ar$op.
    public var operation: ARPOperation
    /// ar$sha, the sender's MAC address.
    public var senderHardwareAddress: MACAddress
    /// ar$spa, the sender's IPv4 address.
    public var senderProtocolAddress: IPv4Address
    /// ar$tha, the target's MAC address (zero in a request).
    public var targetHardwareAddress: MACAddress
    /// ar$tpa, the target's IPv4 address.
    public var targetProtocolAddress: IPv4Address

    /// A message with these fields.
    public init(
        operation: ARPOperation, senderHardwareAddress: MACAddress, senderProtocolAddress: IPv4Address,
        targetHardwareAddress: MACAddress, targetProtocolAddress: IPv4Address
    ) {
        self.operation = operation
        self.senderHardwareAddress = senderHardwareAddress
        self.senderProtocolAddress = senderProtocolAddress
        self.targetHardwareAddress = targetHardwareAddress
        self.targetProtocolAddress = targetProtocolAddress
    }

    /// Reads a checked packet.
    ///
    /// - Throws: ``WireError`` unless the hardware type is 1 (Ethernet) and the protocol type IPv4. Unknown
    ///   opcodes parse (the caller ignores them, RFC 826 "Packet Reception").
    public init(parsing packet: ARPPacket) throws(WireError) {
        guard packet.hardwareType == 1, packet.protocolType == .ipv4, packet.hardwareLength == 6,
            packet.protocolLength == 4
        else { throw WireError() }
        self.operation = packet.operation
        self.senderHardwareAddress = packet.senderHardwareAddress
        self.senderProtocolAddress = packet.senderProtocolAddress
        self.targetHardwareAddress = packet.targetHardwareAddress
        self.targetProtocolAddress = packet.targetProtocolAddress
    }

    /// The emitted length, 28.
    public var length: Int { ARPPacket.length }

    /// Writes all 28 bytes into `packet`.
    public func emit(into packet: ARPPacket) {
        packet.hardwareType = 1
        packet.protocolType = .ipv4
        packet.hardwareLength = 6
        packet.protocolLength = 4
        packet.operation = self.operation
        packet.senderHardwareAddress = self.senderHardwareAddress
        packet.senderProtocolAddress = self.senderProtocolAddress
        packet.targetHardwareAddress = self.targetHardwareAddress
        packet.targetProtocolAddress = self.targetProtocolAddress
    }

    public var description: String {
        "ARP \(self.operation) src=\(self.senderHardwareAddress)/\(self.senderProtocolAddress)"
            + " tgt=\(self.targetHardwareAddress)/\(self.targetProtocolAddress)"
    }
}
