/// A view of a UDP datagram in borrowed bytes (RFC 768 "Format").
///
/// ```
///  0      7 8     15 16    23 24    31
/// |   Source Port   | Destination Port|
/// |     Length      |    Checksum     |
/// |          data octets ...
/// ```
///
/// ``init(checking:)`` requires 8 ≤ Length ≤ buffer; the buffer may be longer (IP or link padding), and
/// ``payload`` stops at Length. The checksum covers the RFC 768 pseudo-header; over IPv4 a zero checksum means
/// "none", and a computed zero is sent as `0xFFFF`.
public struct UDPPacket {
    /// The datagram's bytes, possibly followed by padding.
    public let bytes: UnsafeMutableRawBufferPointer

    /// The header length.
    public static let headerLength = 8

    enum Field {
        static let sourcePort = 0
        static let destinationPort = 2
        static let length = 4
        static let checksum = 6
    }

    /// Validates `bytes` as a datagram.
    ///
    /// - Throws: ``WireError`` when shorter than 8 bytes, or Length is below 8 or beyond the buffer.
    public init(checking bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.headerLength else { throw WireError() }
        self.bytes = bytes
        let length = Int(self.length)
        guard length >= Self.headerLength, length <= bytes.count else { throw WireError() }
    }

    /// A view for building a datagram in `bytes`.
    ///
    /// - Precondition: `bytes` holds at least the 8-byte header.
    public init(unchecked bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.headerLength, "UDP buffer shorter than the header")
        self.bytes = bytes
    }

    /// Source Port (0 if unused).
    public var sourcePort: UInt16 {
        get { self.bytes.wireUInt16(at: Field.sourcePort) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.sourcePort) }
    }

    /// Destination Port.
    public var destinationPort: UInt16 {
        get { self.bytes.wireUInt16(at: Field.destinationPort) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.destinationPort) }
    }

    /// Length: header and data in bytes.
    public var length: UInt16 {
        get { self.bytes.wireUInt16(at: Field.length) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.length) }
    }

    /// Checksum (0 = none over IPv4).
    public var checksum: UInt16 {
        get { self.bytes.wireUInt16(at: Field.checksum) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.checksum) }
    }

    /// The data after the header, up to ``length`` (clamped to the buffer).
    public var payload: UnsafeMutableRawBufferPointer {
        self.bytes.clampedSlice(Self.headerLength, Int(self.length))
    }

    /// The datagram as Length says, clamped to the buffer.
    var datagram: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(self.bytes.clampedSlice(0, Int(self.length)))
    }

    /// Whether the checksum is right for this pseudo-header, or absent (zero).
    public func verifyChecksum(source: IPv4Address, destination: IPv4Address) -> Bool {
        if self.checksum == 0 { return true }
        let datagram = self.datagram
        let pseudo = Checksum.pseudoHeaderSum(
            source: source, destination: destination, protocol: .udp, length: UInt16(datagram.count))
        return Checksum.combine(pseudo, Checksum.sum(datagram)) == 0xFFFF
    }

    /// Computes the checksum over the pseudo-header, header and payload and stores it (`0xFFFF` for a computed 0).
    public func fillChecksum(source: IPv4Address, destination: IPv4Address) {
        self.checksum = 0
        let datagram = self.datagram
        let pseudo = Checksum.pseudoHeaderSum(
            source: source, destination: destination, protocol: .udp, length: UInt16(datagram.count))
        let checksum = ~Checksum.combine(pseudo, Checksum.sum(datagram))
        self.checksum = checksum == 0 ? 0xFFFF : checksum
    }
}

/// The fields of a UDP header (RFC 768); the payload stays in the packet.
public struct UDPHeader: Equatable, CustomStringConvertible {
    /// Source Port (0 if unused).
    public var sourcePort: UInt16
    /// Destination Port (never 0).
    public var destinationPort: UInt16
    /// The data length in bytes (Length minus 8).
    public var payloadLength: Int

    /// A header for a datagram carrying `payloadLength` bytes.
    public init(sourcePort: UInt16, destinationPort: UInt16, payloadLength: Int) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.payloadLength = payloadLength
    }

    /// Reads a checked datagram that arrived from `source` to `destination`.
    ///
    /// - Parameter verifyingChecksum: `false` when the device already verified it (checksum offload).
    /// - Throws: ``WireError`` when the destination port is 0 or the checksum is wrong.
    public init(
        parsing packet: UDPPacket, source: IPv4Address, destination: IPv4Address, verifyingChecksum: Bool = true
    ) throws(WireError) {
        guard packet.destinationPort != 0 else { throw WireError() }
        if verifyingChecksum && !packet.verifyChecksum(source: source, destination: destination) {
            throw WireError()
        }
        self.sourcePort = packet.sourcePort
        self.destinationPort = packet.destinationPort
        self.payloadLength = Int(packet.length) - UDPPacket.headerLength
    }

    /// The emitted header's length, 8.
    public var headerLength: Int { UDPPacket.headerLength }

    /// Writes the header into `packet` and, unless told not to, the checksum.
    ///
    /// The checksum covers the payload, so write the payload first (in a ``PacketBuffer``: payload, then prepend).
    /// - Precondition: the packet holds `8 + payloadLength` bytes, at most 65535.
    public func emit(
        into packet: UDPPacket, source: IPv4Address, destination: IPv4Address, fillingChecksum: Bool = true
    ) {
        let length = self.headerLength + self.payloadLength
        precondition(length <= Int(UInt16.max) && length <= packet.bytes.count, "UDP datagram does not fit")
        packet.sourcePort = self.sourcePort
        packet.destinationPort = self.destinationPort
        packet.length = UInt16(length)
        if fillingChecksum {
            packet.fillChecksum(source: source, destination: destination)
        } else {
            packet.checksum = 0
        }
    }

    public var description: String {
        "UDP src=\(self.sourcePort) dst=\(self.destinationPort) len=\(self.payloadLength)"
    }
}
