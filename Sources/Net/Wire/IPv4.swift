/// An IP protocol number, the IPv4 "Protocol" field (RFC 791 §3.1; numbers from the IANA registry, RFC 790).
///
/// Unknown numbers parse as ``unknown(_:)`` and round-trip through ``rawValue``.
public enum IPProtocol: Hashable, CustomStringConvertible, Sendable {
    /// 1, ICMP (RFC 792).
    case icmp
    /// 2, IGMP (RFC 1112).
    case igmp
    /// 6, TCP (RFC 793).
    case tcp
    /// 17, UDP (RFC 768).
    case udp
    /// 58, ICMPv6 (RFC 4443).
    case icmpv6
    /// Any other protocol, kept as is.
    case unknown(UInt8)

    /// The protocol with this number; numbers without a case become ``unknown(_:)``.
    public init(rawValue: UInt8) {
        switch rawValue {
        case 1: self = .icmp
        case 2: self = .igmp
        case 6: self = .tcp
        case 17: self = .udp
        case 58: self = .icmpv6
        default: self = .unknown(rawValue)
        }
    }

    /// The protocol number on the wire.
    public var rawValue: UInt8 {
        switch self {
        case .icmp: 1
        case .igmp: 2
        case .tcp: 6
        case .udp: 17
        case .icmpv6: 58
        case .unknown(let value): value
        }
    }

    public var description: String {
        switch self {
        case .icmp: "ICMP"
        case .igmp: "IGMP"
        case .tcp: "TCP"
        case .udp: "UDP"
        case .icmpv6: "ICMPv6"
        case .unknown(let value): "0x\(wireHex(value, width: 2))"
        }
    }

    public static func == (lhs: IPProtocol, rhs: IPProtocol) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// A view of an IPv4 datagram in borrowed bytes (RFC 791 §3.1 "Internet Header Format").
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// |Version|  IHL  |Type of Service|          Total Length         |
/// |         Identification        |Flags|      Fragment Offset    |
/// |  Time to Live |    Protocol   |         Header Checksum       |
/// |                       Source Address                          |
/// |                    Destination Address                        |
/// |                    Options                    |    Padding    |
/// ```
///
/// ``init(checking:)`` accepts only version 4, IHL ≥ 5, IHL × 4 ≤ total length ≤ buffer. The buffer may be longer
/// than the total length (Ethernet pads short frames): ``payload`` stops at the total length. Options are not
/// interpreted; ``options`` and ``payload`` clamp to the buffer, so ``headerLength`` and ``totalLength`` setters
/// cannot make them read out of bounds.
public struct IPv4Packet {
    /// The bytes of the datagram, possibly followed by link-layer padding.
    public let bytes: UnsafeMutableRawBufferPointer

    /// The length of a header without options.
    public static let minimumHeaderLength = 20

    enum Field {
        static let versionAndIHL = 0
        static let typeOfService = 1
        static let totalLength = 2
        static let identification = 4
        static let flagsAndFragmentOffset = 6
        static let timeToLive = 8
        static let nextProtocol = 9
        static let checksum = 10
        static let source = 12
        static let destination = 16
    }

    /// Validates `bytes` as an IPv4 datagram (see the type's discussion for the rules).
    ///
    /// - Throws: ``WireError`` when a length or the version is wrong.
    public init(checking bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        try self.init(checkingHeaderOf: bytes)
        guard Int(self.totalLength) <= bytes.count else { throw WireError() }
    }

    /// Validates only the header: a datagram quoted in an ICMP error keeps its original total length but is cut
    /// after 8 bytes of payload (RFC 792), so here the total length may exceed the buffer.
    init(checkingHeaderOf bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.minimumHeaderLength else { throw WireError() }
        self.bytes = bytes
        let headerLength = self.headerLength
        guard self.version == 4, headerLength >= Self.minimumHeaderLength, headerLength <= bytes.count,
            Int(self.totalLength) >= headerLength
        else { throw WireError() }
    }

    /// A view for building a datagram in `bytes`, with no check of the contents.
    ///
    /// - Precondition: `bytes` holds at least the 20-byte fixed header.
    public init(unchecked bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.minimumHeaderLength, "IPv4 buffer shorter than the fixed header")
        self.bytes = bytes
    }

    /// Version (4 bits); 4 for IPv4.
    public var version: UInt8 {
        get { self.bytes.wireUInt8(at: Field.versionAndIHL) >> 4 }
        nonmutating set {
            let old = self.bytes.wireUInt8(at: Field.versionAndIHL)
            self.bytes.setWireUInt8(newValue << 4 | old & 0x0F, at: Field.versionAndIHL)
        }
    }

    /// The header length in bytes: IHL (Internet Header Length, in 32-bit words) × 4.
    ///
    /// The setter stores `newValue / 4` and voids the guarantees of ``init(checking:)`` for ``options``/``payload``
    /// contents (they still clamp to the buffer).
    public var headerLength: Int {
        get { Int(self.bytes.wireUInt8(at: Field.versionAndIHL) & 0x0F) * 4 }
        nonmutating set {
            let old = self.bytes.wireUInt8(at: Field.versionAndIHL)
            self.bytes.setWireUInt8(
                old & 0xF0 | UInt8(truncatingIfNeeded: newValue / 4) & 0x0F, at: Field.versionAndIHL)
        }
    }

    /// Differentiated Services Code Point, the upper 6 bits of the old Type of Service (RFC 2474).
    public var dscp: UInt8 {
        get { self.bytes.wireUInt8(at: Field.typeOfService) >> 2 }
        nonmutating set {
            let old = self.bytes.wireUInt8(at: Field.typeOfService)
            self.bytes.setWireUInt8(newValue << 2 | old & 0x03, at: Field.typeOfService)
        }
    }

    /// Explicit Congestion Notification, the lower 2 bits of the old Type of Service (RFC 3168).
    public var ecn: UInt8 {
        get { self.bytes.wireUInt8(at: Field.typeOfService) & 0x03 }
        nonmutating set {
            let old = self.bytes.wireUInt8(at: Field.typeOfService)
            self.bytes.setWireUInt8(old & 0xFC | newValue & 0x03, at: Field.typeOfService)
        }
    }

    /// Total Length: header and data in bytes.
    public var totalLength: UInt16 {
        get { self.bytes.wireUInt16(at: Field.totalLength) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.totalLength) }
    }

    /// Identification, for reassembling fragments.
    public var identification: UInt16 {
        get { self.bytes.wireUInt16(at: Field.identification) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.identification) }
    }

    /// Flags bit 1, DF: "Don't Fragment".
    public var dontFragment: Bool {
        get { self.bytes.wireUInt16(at: Field.flagsAndFragmentOffset) & 0x4000 != 0 }
        nonmutating set { self.setFlag(0x4000, newValue) }
    }

    /// Flags bit 2, MF: "More Fragments".
    public var moreFragments: Bool {
        get { self.bytes.wireUInt16(at: Field.flagsAndFragmentOffset) & 0x2000 != 0 }
        nonmutating set { self.setFlag(0x2000, newValue) }
    }

    /// Clears the three flag bits (reserved, DF, MF), keeping the fragment offset.
    public func clearFlags() {
        let old = self.bytes.wireUInt16(at: Field.flagsAndFragmentOffset)
        self.bytes.setWireUInt16(old & 0x1FFF, at: Field.flagsAndFragmentOffset)
    }

    /// Fragment Offset in bytes (the field counts 8-byte units; the setter drops the low 3 bits).
    public var fragmentOffset: UInt16 {
        get { (self.bytes.wireUInt16(at: Field.flagsAndFragmentOffset) & 0x1FFF) &<< 3 }
        nonmutating set {
            let old = self.bytes.wireUInt16(at: Field.flagsAndFragmentOffset)
            self.bytes.setWireUInt16(old & 0xE000 | (newValue >> 3) & 0x1FFF, at: Field.flagsAndFragmentOffset)
        }
    }

    /// Time to Live, in hops.
    public var timeToLive: UInt8 {
        get { self.bytes.wireUInt8(at: Field.timeToLive) }
        nonmutating set { self.bytes.setWireUInt8(newValue, at: Field.timeToLive) }
    }

    /// Protocol: the next level protocol in the data portion.
    public var nextProtocol: IPProtocol {
        get { IPProtocol(rawValue: self.bytes.wireUInt8(at: Field.nextProtocol)) }
        nonmutating set { self.bytes.setWireUInt8(newValue.rawValue, at: Field.nextProtocol) }
    }

    /// Header Checksum over the header only.
    public var headerChecksum: UInt16 {
        get { self.bytes.wireUInt16(at: Field.checksum) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.checksum) }
    }

    /// Source Address.
    public var sourceAddress: IPv4Address {
        get { IPv4Address(wire: self.bytes, at: Field.source) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.source) }
    }

    /// Destination Address.
    public var destinationAddress: IPv4Address {
        get { IPv4Address(wire: self.bytes, at: Field.destination) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.destination) }
    }

    /// The option bytes between the fixed header and ``headerLength`` (clamped to the buffer); not interpreted.
    public var options: UnsafeMutableRawBufferPointer {
        self.bytes.clampedSlice(Self.minimumHeaderLength, self.headerLength)
    }

    /// The header as IHL says, clamped to the buffer.
    public var header: UnsafeMutableRawBufferPointer {
        self.bytes.clampedSlice(0, self.headerLength)
    }

    /// The data after the header, up to ``totalLength`` (clamped to the buffer).
    public var payload: UnsafeMutableRawBufferPointer {
        self.bytes.clampedSlice(self.headerLength, Int(self.totalLength))
    }

    /// Whether the header checksum is correct (RFC 791 §3.1 "Header Checksum").
    public func verifyChecksum() -> Bool {
        Checksum.sum(UnsafeRawBufferPointer(self.header)) == 0xFFFF
    }

    /// Computes the header checksum and stores it.
    public func fillChecksum() {
        self.headerChecksum = 0
        self.headerChecksum = Checksum.checksum(UnsafeRawBufferPointer(self.header))
    }

    private func setFlag(_ mask: UInt16, _ on: Bool) {
        let old = self.bytes.wireUInt16(at: Field.flagsAndFragmentOffset)
        self.bytes.setWireUInt16(on ? old | mask : old & ~mask, at: Field.flagsAndFragmentOffset)
    }
}

/// The meaningful fields of an IPv4 header (RFC 791 §3.1); options are skipped on parsing and never emitted.
///
/// Fragments parse like any datagram (``moreFragments``, ``fragmentOffset``): there is no reassembly, so the
/// interface drops them.
public struct IPv4Header: Equatable, CustomStringConvertible {
    /// Source Address.
    public var source: IPv4Address
    /// Destination Address.
    public var destination: IPv4Address
    /// Protocol of the data.
    public var nextProtocol: IPProtocol
    /// The data length in bytes (Total Length minus the header).
    public var payloadLength: Int
    /// Time to Live, in hops.
    public var timeToLive: UInt8
    /// Identification, for reassembly.
    public var identification: UInt16
    /// DF, Don't Fragment.
    public var dontFragment: Bool
    /// MF, More Fragments.
    public var moreFragments: Bool
    /// Fragment Offset in bytes, a multiple of 8.
    public var fragmentOffset: UInt16
    /// Differentiated Services Code Point (RFC 2474).
    public var dscp: UInt8
    /// Explicit Congestion Notification (RFC 3168).
    public var ecn: UInt8

    /// A header for sending: by default TTL 64, DF set, identification 0, not a fragment.
    public init(
        source: IPv4Address, destination: IPv4Address, nextProtocol: IPProtocol, payloadLength: Int,
        timeToLive: UInt8 = 64, identification: UInt16 = 0, dontFragment: Bool = true
    ) {
        self.source = source
        self.destination = destination
        self.nextProtocol = nextProtocol
        self.payloadLength = payloadLength
        self.timeToLive = timeToLive
        self.identification = identification
        self.dontFragment = dontFragment
        self.moreFragments = false
        self.fragmentOffset = 0
        self.dscp = 0
        self.ecn = 0
    }

    /// Reads the header of a checked datagram.
    ///
    /// - Parameter verifyingChecksum: `false` when the device already verified it (checksum offload).
    /// - Throws: ``WireError`` when the header checksum is wrong.
    public init(parsing packet: IPv4Packet, verifyingChecksum: Bool = true) throws(WireError) {
        if verifyingChecksum && !packet.verifyChecksum() { throw WireError() }
        self.source = packet.sourceAddress
        self.destination = packet.destinationAddress
        self.nextProtocol = packet.nextProtocol
        self.payloadLength = Int(packet.totalLength) - packet.headerLength
        self.timeToLive = packet.timeToLive
        self.identification = packet.identification
        self.dontFragment = packet.dontFragment
        self.moreFragments = packet.moreFragments
        self.fragmentOffset = packet.fragmentOffset
        self.dscp = packet.dscp
        self.ecn = packet.ecn
    }

    /// The emitted header's length: 20, since options are never emitted.
    public var headerLength: Int { IPv4Packet.minimumHeaderLength }

    /// The datagram's length: header plus payload.
    public var totalLength: Int { self.headerLength + self.payloadLength }

    /// Writes the 20-byte header into `packet` and fills its checksum; the payload is not touched.
    ///
    /// - Precondition: ``totalLength`` fits in 16 bits.
    public func emit(into packet: IPv4Packet, fillingChecksum: Bool = true) {
        precondition(self.totalLength <= Int(UInt16.max), "IPv4 datagram longer than 65535 bytes")
        packet.version = 4
        packet.headerLength = self.headerLength
        packet.dscp = self.dscp
        packet.ecn = self.ecn
        packet.totalLength = UInt16(self.totalLength)
        packet.identification = self.identification
        packet.clearFlags()
        packet.dontFragment = self.dontFragment
        packet.moreFragments = self.moreFragments
        packet.fragmentOffset = self.fragmentOffset
        packet.timeToLive = self.timeToLive
        packet.nextProtocol = self.nextProtocol
        packet.sourceAddress = self.source
        packet.destinationAddress = self.destination
        if fillingChecksum { packet.fillChecksum() } else { packet.headerChecksum = 0 }
    }

    public var description: String {
        var text =
            "IPv4 src=\(self.source) dst=\(self.destination) proto=\(self.nextProtocol) len=\(self.payloadLength)"
        text += " ttl=\(self.timeToLive) id=\(self.identification)"
        if self.dontFragment { text += " DF" }
        if self.moreFragments { text += " MF" }
        if self.fragmentOffset != 0 { text += " off=\(self.fragmentOffset)" }
        return text
    }
}
