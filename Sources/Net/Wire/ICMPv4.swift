/// An ICMP message type (RFC 792; IANA "ICMP Type Numbers"). Unknown values parse as ``unknown(_:)`` and
/// round-trip through ``rawValue``.
public enum ICMPv4Type: Hashable, CustomStringConvertible, Sendable {
    /// 0, Echo Reply.
    case echoReply
    /// 3, Destination Unreachable.
    case destinationUnreachable
    /// 5, Redirect.
    case redirect
    /// 8, Echo.
    case echoRequest
    /// 11, Time Exceeded.
    case timeExceeded
    /// 12, Parameter Problem.
    case parameterProblem
    /// Any other type, kept as is.
    case unknown(UInt8)

    /// The type with this number; numbers without a case become ``unknown(_:)``.
    public init(rawValue: UInt8) {
        switch rawValue {
        case 0: self = .echoReply
        case 3: self = .destinationUnreachable
        case 5: self = .redirect
        case 8: self = .echoRequest
        case 11: self = .timeExceeded
        case 12: self = .parameterProblem
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: UInt8 {
        switch self {
        case .echoReply: 0
        case .destinationUnreachable: 3
        case .redirect: 5
        case .echoRequest: 8
        case .timeExceeded: 11
        case .parameterProblem: 12
        case .unknown(let value): value
        }
    }

    public var description: String {
        switch self {
        case .echoReply: "echo reply"
        case .destinationUnreachable: "destination unreachable"
        case .redirect: "redirect"
        case .echoRequest: "echo request"
        case .timeExceeded: "time exceeded"
        case .parameterProblem: "parameter problem"
        case .unknown(let value): "type \(value)"
        }
    }

    public static func == (lhs: ICMPv4Type, rhs: ICMPv4Type) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// The code of a Destination Unreachable message (RFC 792; codes 4, 5 per RFC 1191/1812).
public enum ICMPv4Unreachable: Hashable, CustomStringConvertible, Sendable {
    /// 0, net unreachable.
    case netUnreachable
    /// 1, host unreachable.
    case hostUnreachable
    /// 2, protocol unreachable.
    case protocolUnreachable
    /// 3, port unreachable: no socket bound to the destination port.
    case portUnreachable
    /// 4, fragmentation needed and DF set (RFC 1191 puts the next-hop MTU in the unused field).
    case fragmentationNeeded
    /// 5, source route failed.
    case sourceRouteFailed
    /// Any other code, kept as is.
    case unknown(UInt8)

    /// The code with this number; numbers without a case become ``unknown(_:)``.
    public init(rawValue: UInt8) {
        switch rawValue {
        case 0: self = .netUnreachable
        case 1: self = .hostUnreachable
        case 2: self = .protocolUnreachable
        case 3: self = .portUnreachable
        case 4: self = .fragmentationNeeded
        case 5: self = .sourceRouteFailed
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: UInt8 {
        switch self {
        case .netUnreachable: 0
        case .hostUnreachable: 1
        case .protocolUnreachable: 2
        case .portUnreachable: 3
        case .fragmentationNeeded: 4
        case .sourceRouteFailed: 5
        case .unknown(let value): value
        }
    }

    public var description: String {
        switch self {
        case .netUnreachable: "net unreachable"
        case .hostUnreachable: "host unreachable"
        case .protocolUnreachable: "protocol unreachable"
        case .portUnreachable: "port unreachable"
        case .fragmentationNeeded: "fragmentation needed"
        case .sourceRouteFailed: "source route failed"
        case .unknown(let value): "code \(value)"
        }
    }

    public static func == (lhs: ICMPv4Unreachable, rhs: ICMPv4Unreachable) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// The code of a Time Exceeded message (RFC 792).
public enum ICMPv4TimeExceeded: Hashable, CustomStringConvertible, Sendable {
    /// 0, time to live exceeded in transit.
    case timeToLiveExceeded
    /// 1, fragment reassembly time exceeded.
    case fragmentReassemblyTimeExceeded
    /// Any other code, kept as is.
    case unknown(UInt8)

    /// The code with this number; numbers without a case become ``unknown(_:)``.
    public init(rawValue: UInt8) {
        switch rawValue {
        case 0: self = .timeToLiveExceeded
        case 1: self = .fragmentReassemblyTimeExceeded
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: UInt8 {
        switch self {
        case .timeToLiveExceeded: 0
        case .fragmentReassemblyTimeExceeded: 1
        case .unknown(let value): value
        }
    }

    public var description: String {
        switch self {
        case .timeToLiveExceeded: "ttl exceeded"
        case .fragmentReassemblyTimeExceeded: "reassembly time exceeded"
        case .unknown(let value): "code \(value)"
        }
    }

    public static func == (lhs: ICMPv4TimeExceeded, rhs: ICMPv4TimeExceeded) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// A view of an ICMP message in borrowed bytes (RFC 792): type, code, checksum, 4 type-specific bytes, data.
///
/// The bytes are exactly the IP payload: the checksum covers all of them. ``init(checking:)`` requires the
/// 8-byte header; ``echoIdentifier`` and ``echoSequenceNumber`` read the type-specific bytes whatever the type.
public struct ICMPv4Packet {
    /// The message's bytes.
    public let bytes: UnsafeMutableRawBufferPointer

    /// The header length: type, code, checksum and the 4 type-specific bytes.
    public static let headerLength = 8

    enum Field {
        static let type = 0
        static let code = 1
        static let checksum = 2
        static let identifier = 4
        static let sequenceNumber = 6
    }

    /// Validates `bytes` as an ICMP message: at least the 8-byte header.
    ///
    /// - Throws: ``WireError`` when it is shorter.
    public init(checking bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.headerLength else { throw WireError() }
        self.bytes = bytes
    }

    /// A view for building a message in `bytes`.
    ///
    /// - Precondition: `bytes` holds at least the 8-byte header.
    public init(unchecked bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.headerLength, "ICMP buffer shorter than the header")
        self.bytes = bytes
    }

    /// Type.
    public var messageType: ICMPv4Type {
        get { ICMPv4Type(rawValue: self.bytes.wireUInt8(at: Field.type)) }
        nonmutating set { self.bytes.setWireUInt8(newValue.rawValue, at: Field.type) }
    }

    /// Code, whose meaning depends on the type.
    public var code: UInt8 {
        get { self.bytes.wireUInt8(at: Field.code) }
        nonmutating set { self.bytes.setWireUInt8(newValue, at: Field.code) }
    }

    /// Checksum over the whole message.
    public var checksum: UInt16 {
        get { self.bytes.wireUInt16(at: Field.checksum) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.checksum) }
    }

    /// Identifier of an echo or echo reply.
    public var echoIdentifier: UInt16 {
        get { self.bytes.wireUInt16(at: Field.identifier) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.identifier) }
    }

    /// Sequence Number of an echo or echo reply.
    public var echoSequenceNumber: UInt16 {
        get { self.bytes.wireUInt16(at: Field.sequenceNumber) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.sequenceNumber) }
    }

    /// The 4 type-specific bytes as one number ("unused", zero, in the error messages).
    public var restOfHeader: UInt32 {
        get { self.bytes.wireUInt32(at: Field.identifier) }
        nonmutating set { self.bytes.setWireUInt32(newValue, at: Field.identifier) }
    }

    /// Everything after the 8-byte header: echo data, or the quoted IP header and 8 data bytes of an error.
    public var data: UnsafeMutableRawBufferPointer {
        self.bytes.clampedSlice(Self.headerLength, self.bytes.count)
    }

    /// Whether the checksum over the whole message is right.
    public func verifyChecksum() -> Bool {
        Checksum.sum(UnsafeRawBufferPointer(self.bytes)) == 0xFFFF
    }

    /// Computes the checksum over the whole message and stores it.
    public func fillChecksum() {
        self.checksum = 0
        self.checksum = Checksum.checksum(UnsafeRawBufferPointer(self.bytes))
    }
}

/// An ICMP message the stack understands (RFC 792): echo, and the two errors it sends.
///
/// `data` is borrowed, not copied: when parsing it points into the packet, when emitting it is copied from
/// wherever it points (it may be the destination itself, as when an echo reply is built over its request).
public enum ICMPv4Message: Equatable, CustomStringConvertible {
    /// Echo (type 8, code 0).
    case echoRequest(identifier: UInt16, sequenceNumber: UInt16, data: UnsafeRawBufferPointer)
    /// Echo Reply (type 0, code 0).
    case echoReply(identifier: UInt16, sequenceNumber: UInt16, data: UnsafeRawBufferPointer)
    /// Destination Unreachable (type 3): the original IP header and at least its first 8 data bytes.
    case destinationUnreachable(ICMPv4Unreachable, header: IPv4Header, data: UnsafeRawBufferPointer)
    /// Time Exceeded (type 11): the original IP header and at least its first 8 data bytes.
    case timeExceeded(ICMPv4TimeExceeded, header: IPv4Header, data: UnsafeRawBufferPointer)

    /// Reads a checked message.
    ///
    /// - Parameter verifyingChecksum: `false` when the device already verified it (checksum offload).
    /// - Throws: ``WireError`` on a bad checksum, an echo with a non-zero code, a quoted IP header that does not
    ///   check, fewer than 8 quoted data bytes (RFC 792) when the original had them, or any other type.
    public init(parsing packet: ICMPv4Packet, verifyingChecksum: Bool = true) throws(WireError) {
        if verifyingChecksum && !packet.verifyChecksum() { throw WireError() }
        let data = UnsafeRawBufferPointer(packet.data)
        switch packet.messageType {
        case .echoRequest where packet.code == 0:
            self = .echoRequest(
                identifier: packet.echoIdentifier, sequenceNumber: packet.echoSequenceNumber, data: data)
        case .echoReply where packet.code == 0:
            self = .echoReply(identifier: packet.echoIdentifier, sequenceNumber: packet.echoSequenceNumber, data: data)
        case .destinationUnreachable:
            let (header, quoted) = try Self.parseQuoted(packet.data)
            self = .destinationUnreachable(ICMPv4Unreachable(rawValue: packet.code), header: header, data: quoted)
        case .timeExceeded:
            let (header, quoted) = try Self.parseQuoted(packet.data)
            self = .timeExceeded(ICMPv4TimeExceeded(rawValue: packet.code), header: header, data: quoted)
        default:
            throw WireError()
        }
    }

    private static func parseQuoted(
        _ bytes: UnsafeMutableRawBufferPointer
    ) throws(WireError) -> (IPv4Header, UnsafeRawBufferPointer) {
        let inner = try IPv4Packet(checkingHeaderOf: bytes)
        let header = try IPv4Header(parsing: inner, verifyingChecksum: false)
        let quoted = UnsafeRawBufferPointer(bytes.clampedSlice(inner.headerLength, bytes.count))
        guard quoted.count >= Swift.min(8, header.payloadLength) else { throw WireError() }
        return (header, quoted)
    }

    /// The message's length in bytes: 8, plus a 20-byte quoted header for errors, plus the data.
    public var length: Int {
        switch self {
        case .echoRequest(_, _, let data), .echoReply(_, _, let data):
            ICMPv4Packet.headerLength + data.count
        case .destinationUnreachable(_, let header, let data), .timeExceeded(_, let header, let data):
            ICMPv4Packet.headerLength + header.headerLength + data.count
        }
    }

    /// Writes the message into the first ``length`` bytes of `packet` and fills the checksum over them.
    ///
    /// - Precondition: `packet` holds at least ``length`` bytes.
    public func emit(into packet: ICMPv4Packet, fillingChecksum: Bool = true) {
        let length = self.length
        precondition(packet.bytes.count >= length, "ICMP buffer shorter than the message")
        // The data first: it may lie in this very buffer (a reply built over its request), where the header
        // writes below could otherwise overwrite it before it moved.
        let data: UnsafeRawBufferPointer
        switch self {
        case .echoRequest(_, _, let echoData), .echoReply(_, _, let echoData): data = echoData
        case .destinationUnreachable(_, _, let quoted), .timeExceeded(_, _, let quoted): data = quoted
        }
        let destination = packet.bytes.clampedSlice(length - data.count, length)
        if let target = destination.baseAddress, let source = data.baseAddress,
            target != UnsafeMutableRawPointer(mutating: source)
        {
            target.copyMemory(from: source, byteCount: data.count)  // memmove: the regions may overlap
        }
        packet.messageType = self.messageType
        packet.code = self.code
        switch self {
        case .echoRequest(let identifier, let sequenceNumber, _), .echoReply(let identifier, let sequenceNumber, _):
            packet.echoIdentifier = identifier
            packet.echoSequenceNumber = sequenceNumber
        case .destinationUnreachable(_, let header, _), .timeExceeded(_, let header, _):
            packet.restOfHeader = 0
            header.emit(into: IPv4Packet(unchecked: packet.bytes.clampedSlice(ICMPv4Packet.headerLength, length)))
        }
        packet.checksum = 0
        if fillingChecksum {
            packet.checksum = Checksum.checksum(UnsafeRawBufferPointer(packet.bytes.clampedSlice(0, length)))
        }
    }

    /// The type this message is sent with.
    public var messageType: ICMPv4Type {
        switch self {
        case .echoRequest: .echoRequest
        case .echoReply: .echoReply
        case .destinationUnreachable: .destinationUnreachable
        case .timeExceeded: .timeExceeded
        }
    }

    /// The code this message is sent with.
    public var code: UInt8 {
        switch self {
        case .echoRequest, .echoReply: 0
        case .destinationUnreachable(let reason, _, _): reason.rawValue
        case .timeExceeded(let reason, _, _): reason.rawValue
        }
    }

    /// Equal fields, and data with equal contents (wherever it lives).
    public static func == (lhs: ICMPv4Message, rhs: ICMPv4Message) -> Bool {
        switch (lhs, rhs) {
        case (.echoRequest(let i1, let s1, let d1), .echoRequest(let i2, let s2, let d2)),
            (.echoReply(let i1, let s1, let d1), .echoReply(let i2, let s2, let d2)):
            return i1 == i2 && s1 == s2 && d1.elementsEqual(d2)
        case (.destinationUnreachable(let c1, let h1, let d1), .destinationUnreachable(let c2, let h2, let d2)):
            return c1 == c2 && h1 == h2 && d1.elementsEqual(d2)
        case (.timeExceeded(let c1, let h1, let d1), .timeExceeded(let c2, let h2, let d2)):
            return c1 == c2 && h1 == h2 && d1.elementsEqual(d2)
        default:
            return false
        }
    }

    public var description: String {
        switch self {
        case .echoRequest(let identifier, let sequenceNumber, let data):
            "ICMPv4 echo request id=\(identifier) seq=\(sequenceNumber) len=\(data.count)"
        case .echoReply(let identifier, let sequenceNumber, let data):
            "ICMPv4 echo reply id=\(identifier) seq=\(sequenceNumber) len=\(data.count)"
        case .destinationUnreachable(let reason, let header, let data):
            "ICMPv4 destination unreachable (\(reason)) for \(header.source)->\(header.destination)"
                + " proto=\(header.nextProtocol) quoted=\(data.count)"
        case .timeExceeded(let reason, let header, let data):
            "ICMPv4 time exceeded (\(reason)) for \(header.source)->\(header.destination)"
                + " proto=\(header.nextProtocol) quoted=\(data.count)"
        }
    }
}
