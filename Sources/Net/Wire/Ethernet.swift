/// An EtherType, the Ethernet II "type" field (IEEE 802.3 Clause 3.2.6; IP over Ethernet per RFC 894, ARP per
/// RFC 826). Unknown values parse as ``unknown(_:)`` and round-trip through ``rawValue``.
public enum EtherType: Hashable, CustomStringConvertible, Sendable {
    /// 0x0800, IPv4 (RFC 894).
    case ipv4
    /// 0x0806, ARP (RFC 826).
    case arp
    /// 0x8100, an IEEE 802.1Q tag.
    case vlan
    /// 0x86DD, IPv6 (RFC 2464).
    case ipv6
    /// Any other type, kept as is.
    case unknown(UInt16)

    /// The EtherType with this value; values without a case become ``unknown(_:)``.
    public init(rawValue: UInt16) {
        switch rawValue {
        case 0x0800: self = .ipv4
        case 0x0806: self = .arp
        case 0x8100: self = .vlan
        case 0x86DD: self = .ipv6
        default: self = .unknown(rawValue)
        }
    }

    /// The value on the wire.
    public var rawValue: UInt16 {
        switch self {
        case .ipv4: 0x0800
        case .arp: 0x0806
        case .vlan: 0x8100
        case .ipv6: 0x86DD
        case .unknown(let value): value
        }
    }

    public var description: String {
        switch self {
        case .ipv4: "IPv4"
        case .arp: "ARP"
        case .vlan: "VLAN"
        case .ipv6: "IPv6"
        case .unknown(let value): "0x\(wireHex(value, width: 4))"
        }
    }

    public static func == (lhs: EtherType, rhs: EtherType) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// A 48-bit IEEE 802 MAC address (IEEE 802-2014 §8.2); `description` is `aa:bb:cc:dd:ee:ff`.
public struct MACAddress: Hashable, CustomStringConvertible, Sendable {
    /// The address as a number in the low 48 bits: the first octet on the wire is the most significant.
    public var rawValue: UInt64

    /// The address with this numeric value; bits above the 48th are dropped.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue & 0xFFFF_FFFF_FFFF
    }

    /// The address `a:b:c:d:e:f`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
        self.rawValue =
            UInt64(a) << 40 | UInt64(b) << 32 | UInt64(c) << 24 | UInt64(d) << 16 | UInt64(e) << 8
            | UInt64(f)
    }

    /// Reads 6 bytes: `bytes.count` must be at least 6 (a precondition; device MACs come from the ABI).
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= 6, "a MAC address has 6 bytes")
        var value: UInt64 = 0
        for index in 0..<6 { value = value << 8 | UInt64(bytes[index]) }
        self.rawValue = value
    }

    /// `ff:ff:ff:ff:ff:ff`.
    public static let broadcast = MACAddress(rawValue: 0xFFFF_FFFF_FFFF)

    /// The octet at `index` (0...5), first on the wire first.
    public subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < 6, "MAC octet index must be 0...5")
        return UInt8(truncatingIfNeeded: self.rawValue >> UInt64(40 - 8 * index))
    }

    /// All ones.
    public var isBroadcast: Bool { self.rawValue == 0xFFFF_FFFF_FFFF }
    /// The I/G bit (least significant bit of the first octet) is set; broadcast is multicast too.
    public var isMulticast: Bool { self[0] & 0x01 != 0 }
    /// Neither multicast nor broadcast.
    public var isUnicast: Bool { !self.isMulticast }
    /// The U/L bit (second bit of the first octet) is set: a locally administered address.
    public var isLocal: Bool { self[0] & 0x02 != 0 }

    /// `aa:bb:cc:dd:ee:ff`, lower-case hex. Written as 17 bytes, out of line: a String built by appends was
    /// inlined into every caller that prints a MAC (docs/BENCHMARKS.md, footprint).
    @inline(never)
    public var description: String {
        var bytes = [UInt8](repeating: UInt8(ascii: ":"), count: 17)
        for index in 0..<6 {
            let octet = self[index]
            bytes[3 * index] = wireHexDigit(octet >> 4)
            bytes[3 * index + 1] = wireHexDigit(octet & 0xF)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The address read from 6 bytes at `offset` (the caller has checked the bounds).
    init(wire bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        self.rawValue = UInt64(bytes.wireUInt16(at: offset)) << 32 | UInt64(bytes.wireUInt32(at: offset + 2))
    }

    /// Writes the address as 6 bytes at `offset` (the caller has checked the bounds).
    func write(to bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes.setWireUInt16(UInt16(truncatingIfNeeded: self.rawValue >> 32), at: offset)
        bytes.setWireUInt32(UInt32(truncatingIfNeeded: self.rawValue), at: offset + 2)
    }
}

/// A view of an Ethernet II frame in borrowed bytes (RFC 894; IEEE 802.3 Clause 3): destination, source, type,
/// then the payload. The frame check sequence is not included (devices strip it).
public struct EthernetPacket {
    /// The frame's bytes.
    public let bytes: UnsafeMutableRawBufferPointer

    /// The header length: two addresses and the type.
    public static let headerLength = 14

    enum Field {
        static let destination = 0
        static let source = 6
        static let etherType = 12
    }

    /// Validates `bytes` as a frame: at least the 14-byte header.
    ///
    /// - Throws: ``WireError`` when it is shorter.
    public init(checking bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.headerLength else { throw WireError() }
        self.bytes = bytes
    }

    /// A view for building a frame in `bytes`.
    ///
    /// - Precondition: `bytes` holds at least the 14-byte header.
    public init(unchecked bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.headerLength, "Ethernet buffer shorter than the header")
        self.bytes = bytes
    }

    /// Destination address.
    public var destination: MACAddress {
        get { MACAddress(wire: self.bytes, at: Field.destination) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.destination) }
    }

    /// Source address.
    public var source: MACAddress {
        get { MACAddress(wire: self.bytes, at: Field.source) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.source) }
    }

    /// Type: the protocol of the payload.
    public var etherType: EtherType {
        get { EtherType(rawValue: self.bytes.wireUInt16(at: Field.etherType)) }
        nonmutating set { self.bytes.setWireUInt16(newValue.rawValue, at: Field.etherType) }
    }

    /// Everything after the header (including any padding up to the 60-byte minimum frame).
    public var payload: UnsafeMutableRawBufferPointer {
        self.bytes.clampedSlice(Self.headerLength, self.bytes.count)
    }
}

/// The fields of an Ethernet II header (RFC 894).
public struct EthernetHeader: Equatable, CustomStringConvertible {
    /// Destination address.
    public var destination: MACAddress
    /// Source address.
    public var source: MACAddress
    /// Type of the payload.
    public var etherType: EtherType

    /// A header with these fields.
    public init(destination: MACAddress, source: MACAddress, etherType: EtherType) {
        self.destination = destination
        self.source = source
        self.etherType = etherType
    }

    /// Reads the header of a checked frame; every field value is acceptable.
    public init(parsing packet: EthernetPacket) {
        self.destination = packet.destination
        self.source = packet.source
        self.etherType = packet.etherType
    }

    /// The emitted header's length, 14.
    public var headerLength: Int { EthernetPacket.headerLength }

    /// Writes the header into `packet`; the payload is not touched.
    public func emit(into packet: EthernetPacket) {
        packet.destination = self.destination
        packet.source = self.source
        packet.etherType = self.etherType
    }

    public var description: String {
        "EthernetII src=\(self.source) dst=\(self.destination) type=\(self.etherType)"
    }
}
