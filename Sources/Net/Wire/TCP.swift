/// A view of a TCP segment in borrowed bytes (RFC 9293 §3.1 "Header Format").
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// |          Source Port          |       Destination Port        |
/// |                        Sequence Number                        |
/// |                    Acknowledgment Number                      |
/// |  Data |       |C|E|U|A|P|R|S|F|                               |
/// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
/// |           Checksum            |         Urgent Pointer        |
/// |                           [Options]                           |
/// |                             data ...
/// ```
///
/// TCP has no length field: the segment is the whole IP payload, so the view's buffer must be exactly that (the
/// interface cuts it at the IP total length). ``init(checking:)`` requires 20 ≤ Data Offset × 4 ≤ buffer; the
/// options themselves are checked by ``TCPOptions/init(parsing:)``. ``options`` and ``payload`` clamp to the buffer,
/// so the ``dataOffset`` setter cannot make them read out of bounds.
public struct TCPPacket {
    /// The segment's bytes.
    public let bytes: UnsafeMutableRawBufferPointer

    /// The length of a header without options.
    public static let minimumHeaderLength = 20
    /// The longest header: Data Offset 15 (RFC 9293 §3.1), 40 bytes of options.
    public static let maximumHeaderLength = 60
    /// Where the checksum field is in the header (the `checksumOffset` a checksum-offload request names).
    public static let checksumFieldOffset = Field.checksum

    enum Field {
        static let sourcePort = 0
        static let destinationPort = 2
        static let sequenceNumber = 4
        static let acknowledgmentNumber = 8
        static let dataOffset = 12
        static let flags = 13
        static let window = 14
        static let checksum = 16
        static let urgentPointer = 18
    }

    /// Validates `bytes` as a segment.
    ///
    /// - Throws: ``WireError`` when shorter than 20 bytes, or Data Offset is below 5 or beyond the buffer.
    public init(checking bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.minimumHeaderLength else { throw WireError() }
        self.bytes = bytes
        let headerLength = self.headerLength
        guard headerLength >= Self.minimumHeaderLength, headerLength <= bytes.count else { throw WireError() }
    }

    /// A view for building a segment in `bytes`.
    ///
    /// - Precondition: `bytes` holds at least the 20-byte fixed header.
    public init(unchecked bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.minimumHeaderLength, "TCP buffer shorter than the header")
        self.bytes = bytes
    }

    /// Source Port.
    public var sourcePort: UInt16 {
        get { self.bytes.wireUInt16(at: Field.sourcePort) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.sourcePort) }
    }

    /// Destination Port.
    public var destinationPort: UInt16 {
        get { self.bytes.wireUInt16(at: Field.destinationPort) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.destinationPort) }
    }

    /// Sequence Number: of the first data octet, or the ISN when SYN is set.
    public var sequenceNumber: UInt32 {
        get { self.bytes.wireUInt32(at: Field.sequenceNumber) }
        nonmutating set { self.bytes.setWireUInt32(newValue, at: Field.sequenceNumber) }
    }

    /// Acknowledgment Number: the next sequence number expected (meaningful with ACK).
    public var acknowledgmentNumber: UInt32 {
        get { self.bytes.wireUInt32(at: Field.acknowledgmentNumber) }
        nonmutating set { self.bytes.setWireUInt32(newValue, at: Field.acknowledgmentNumber) }
    }

    /// The header length in bytes: Data Offset (in 32-bit words) × 4.
    ///
    /// The setter stores `newValue / 4` and voids the guarantees of ``init(checking:)`` for the contents of
    /// ``options`` and ``payload`` (they still clamp to the buffer).
    public var headerLength: Int {
        get { Int(self.bytes.wireUInt8(at: Field.dataOffset) >> 4) * 4 }
        nonmutating set {
            let old = self.bytes.wireUInt8(at: Field.dataOffset)
            self.bytes.setWireUInt8(UInt8(truncatingIfNeeded: newValue / 4) << 4 | old & 0x0F, at: Field.dataOffset)
        }
    }

    /// The control bits (the 8 flag bits of byte 13; the 4 reserved bits are not kept).
    public var flags: TCPFlags {
        get { TCPFlags(rawValue: self.bytes.wireUInt8(at: Field.flags)) }
        nonmutating set {
            self.bytes.setWireUInt8(newValue.rawValue, at: Field.flags)
            let old = self.bytes.wireUInt8(at: Field.dataOffset)
            self.bytes.setWireUInt8(old & 0xF0, at: Field.dataOffset)
        }
    }

    /// Window: octets the sender will accept, before window scaling (RFC 7323 §2.3).
    public var window: UInt16 {
        get { self.bytes.wireUInt16(at: Field.window) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.window) }
    }

    /// Checksum over the pseudo-header, header and data.
    public var checksum: UInt16 {
        get { self.bytes.wireUInt16(at: Field.checksum) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.checksum) }
    }

    /// Urgent Pointer (meaningful with URG).
    public var urgentPointer: UInt16 {
        get { self.bytes.wireUInt16(at: Field.urgentPointer) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.urgentPointer) }
    }

    /// The options area, bytes 20 to the header length (clamped to the buffer).
    public var options: UnsafeMutableRawBufferPointer {
        self.bytes.clampedSlice(Self.minimumHeaderLength, self.headerLength)
    }

    /// The data after the header (clamped to the buffer).
    public var payload: UnsafeMutableRawBufferPointer {
        self.bytes.clampedSlice(self.headerLength, self.bytes.count)
    }

    /// Whether the checksum is right for this pseudo-header (RFC 9293 §3.1 "Checksum").
    public func verifyChecksum(source: IPv4Address, destination: IPv4Address) -> Bool {
        let pseudo = Checksum.pseudoHeaderSum(
            source: source, destination: destination, protocol: .tcp,
            length: UInt16(truncatingIfNeeded: self.bytes.count))
        return Checksum.combine(pseudo, Checksum.sum(UnsafeRawBufferPointer(self.bytes))) == 0xFFFF
    }

    /// Computes the checksum over the pseudo-header, header and payload and stores it.
    public func fillChecksum(source: IPv4Address, destination: IPv4Address) {
        self.checksum = 0
        let pseudo = Checksum.pseudoHeaderSum(
            source: source, destination: destination, protocol: .tcp,
            length: UInt16(truncatingIfNeeded: self.bytes.count))
        self.checksum = ~Checksum.combine(pseudo, Checksum.sum(UnsafeRawBufferPointer(self.bytes)))
    }
}

/// The TCP control bits (RFC 9293 §3.1; CWR and ECE from RFC 3168 §23.2).
public struct TCPFlags: OptionSet, Hashable, CustomStringConvertible, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// FIN: no more data from the sender.
    public static let fin = TCPFlags(rawValue: 0x01)
    /// SYN: synchronize sequence numbers.
    public static let syn = TCPFlags(rawValue: 0x02)
    /// RST: reset the connection.
    public static let rst = TCPFlags(rawValue: 0x04)
    /// PSH: push function.
    public static let psh = TCPFlags(rawValue: 0x08)
    /// ACK: the Acknowledgment field is significant.
    public static let ack = TCPFlags(rawValue: 0x10)
    /// URG: the Urgent Pointer field is significant.
    public static let urg = TCPFlags(rawValue: 0x20)
    /// ECE: ECN-Echo.
    public static let ece = TCPFlags(rawValue: 0x40)
    /// CWR: Congestion Window Reduced.
    public static let cwr = TCPFlags(rawValue: 0x80)

    /// tcpdump's letters: `S`, `.` (ACK), `P`, `F`, `R`, `U`, `E`, `W`, e.g. `S.` for SYN-ACK.
    public var description: String {
        var text = ""
        if self.contains(.syn) { text += "S" }
        if self.contains(.fin) { text += "F" }
        if self.contains(.rst) { text += "R" }
        if self.contains(.psh) { text += "P" }
        if self.contains(.urg) { text += "U" }
        if self.contains(.ece) { text += "E" }
        if self.contains(.cwr) { text += "W" }
        if self.contains(.ack) { text += "." }
        return text.isEmpty ? "none" : text
    }
}

/// The fields of a TCP header (RFC 9293 §3.1) and its options; the payload stays in the packet.
public struct TCPHeader: Equatable, CustomStringConvertible {
    /// Source Port.
    public var sourcePort: UInt16
    /// Destination Port.
    public var destinationPort: UInt16
    /// Sequence Number.
    public var sequenceNumber: UInt32
    /// Acknowledgment Number (0 unless ``flags`` has ACK when emitted by this stack).
    public var acknowledgmentNumber: UInt32
    /// The control bits.
    public var flags: TCPFlags
    /// Window, unscaled.
    public var window: UInt16
    /// Urgent Pointer.
    public var urgentPointer: UInt16
    /// The options.
    public var options: TCPOptions
    /// The data length in bytes (the segment minus the header).
    public var payloadLength: Int

    /// A header with these fields.
    public init(
        sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32, acknowledgmentNumber: UInt32 = 0,
        flags: TCPFlags, window: UInt16, urgentPointer: UInt16 = 0, options: TCPOptions = TCPOptions(),
        payloadLength: Int = 0
    ) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.window = window
        self.urgentPointer = urgentPointer
        self.options = options
        self.payloadLength = payloadLength
    }

    /// Reads a checked segment that arrived from `source` to `destination`.
    ///
    /// - Parameter verifyingChecksum: `false` when the device already verified it (checksum offload).
    /// - Throws: ``WireError`` when a port is 0, the checksum is wrong or an option is malformed.
    public init(
        parsing packet: TCPPacket, source: IPv4Address, destination: IPv4Address, verifyingChecksum: Bool = true
    ) throws(WireError) {
        guard packet.sourcePort != 0, packet.destinationPort != 0 else { throw WireError() }
        if verifyingChecksum && !packet.verifyChecksum(source: source, destination: destination) {
            throw WireError()
        }
        self.sourcePort = packet.sourcePort
        self.destinationPort = packet.destinationPort
        self.sequenceNumber = packet.sequenceNumber
        self.acknowledgmentNumber = packet.acknowledgmentNumber
        self.flags = packet.flags
        self.window = packet.window
        self.urgentPointer = packet.urgentPointer
        self.options = try TCPOptions(parsing: UnsafeRawBufferPointer(packet.options))
        self.payloadLength = packet.payload.count
    }

    /// The emitted header's length: 20 plus the options padded to a multiple of 4.
    public var headerLength: Int { TCPPacket.minimumHeaderLength + self.options.encodedLength }

    /// The sequence space the segment occupies: data, plus one each for SYN and FIN (RFC 9293 §3.4).
    public var sequenceLength: Int {
        self.payloadLength + (self.flags.contains(.syn) ? 1 : 0) + (self.flags.contains(.fin) ? 1 : 0)
    }

    /// Writes the header into `packet` and, unless told not to, the checksum.
    ///
    /// The checksum covers the payload, so write the payload first (in a ``PacketBuffer``: payload, then prepend).
    /// - Precondition: the packet holds exactly `headerLength + payloadLength` bytes.
    public func emit(
        into packet: TCPPacket, source: IPv4Address, destination: IPv4Address, fillingChecksum: Bool = true
    ) {
        let headerLength = self.headerLength
        precondition(packet.bytes.count == headerLength + self.payloadLength, "TCP segment does not fit")
        packet.sourcePort = self.sourcePort
        packet.destinationPort = self.destinationPort
        packet.sequenceNumber = self.sequenceNumber
        packet.acknowledgmentNumber = self.acknowledgmentNumber
        packet.flags = self.flags
        packet.headerLength = headerLength
        packet.window = self.window
        packet.urgentPointer = self.urgentPointer
        packet.checksum = 0
        self.options.emit(into: packet.bytes.clampedSlice(TCPPacket.minimumHeaderLength, headerLength))
        if fillingChecksum { packet.fillChecksum(source: source, destination: destination) }
    }

    /// One line in tcpdump's manner, e.g. `TCP 49152 > 80 [S.] seq=1 ack=2 win=65535 len=0 mss=1460`.
    public var description: String {
        var text = "TCP \(self.sourcePort) > \(self.destinationPort) [\(self.flags)] seq=\(self.sequenceNumber)"
        if self.flags.contains(.ack) { text += " ack=\(self.acknowledgmentNumber)" }
        text += " win=\(self.window) len=\(self.payloadLength)"
        if self.flags.contains(.urg) { text += " urg=\(self.urgentPointer)" }
        let options = self.options.description
        if !options.isEmpty { text += " " + options }
        return text
    }
}

/// A SACK block (RFC 2018 §3): the left edge and the sequence number after the right edge of received data.
public struct TCPSACKBlock: Equatable, Sendable {
    /// The first sequence number of the block.
    public var left: UInt32
    /// The sequence number just after the block.
    public var right: UInt32

    public init(left: UInt32, right: UInt32) {
        self.left = left
        self.right = right
    }
}

/// The Timestamps option's two values (RFC 7323 §3.2).
public struct TCPTimestamps: Equatable, Sendable {
    /// TSval: the sender's clock.
    public var value: UInt32
    /// TSecr: the TSval echoed (meaningful with ACK).
    public var echoReply: UInt32

    public init(value: UInt32, echoReply: UInt32) {
        self.value = value
        self.echoReply = echoReply
    }
}

/// The TCP options this stack understands (RFC 9293 §3.2); others are skipped by their length.
///
/// | kind | length | option |
/// |---|---|---|
/// | 0 | - | End of Option List |
/// | 1 | - | No-Operation |
/// | 2 | 4 | Maximum Segment Size (RFC 9293 §3.7.1) |
/// | 3 | 3 | Window Scale (RFC 7323 §2.2) |
/// | 4 | 2 | SACK-Permitted (RFC 2018 §2) |
/// | 5 | 2 + 8n, 1 ≤ n ≤ 4 | SACK (RFC 2018 §3) |
/// | 8 | 10 | Timestamps (RFC 7323 §3.2) |
///
/// A length below 2, a length past the options area, or a known kind with the wrong length is ``WireError``
/// (RFC 9293 §3.1: "MUST be prepared to handle an illegal option length ... without crashing"; we drop the
/// segment). Parsing stops at End of Option List.
public struct TCPOptions: Equatable, Sendable, CustomStringConvertible {
    /// MSS: the largest segment data the sender of a SYN can receive.
    public var maximumSegmentSize: UInt16?
    /// The shift count of Window Scale, as received (RFC 7323 §2.3: values above 14 are used as 14).
    public var windowScale: UInt8?
    /// SACK-Permitted (only on SYNs).
    public var sackPermitted = false
    /// SACK blocks, at most 4.
    public var sackBlocks: [TCPSACKBlock] = []
    /// Timestamps.
    public var timestamps: TCPTimestamps?

    /// No options.
    public init() {}

    /// Parses an options area.
    ///
    /// - Throws: ``WireError`` for an illegal option length (see the type's table).
    public init(parsing bytes: UnsafeRawBufferPointer) throws(WireError) {
        var index = 0
        while index < bytes.count {
            let kind = bytes[index]
            if kind == 0 { break }
            if kind == 1 {
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { throw WireError() }
            let length = Int(bytes[index + 1])
            guard length >= 2, index + length <= bytes.count else { throw WireError() }
            let body = index + 2
            switch kind {
            case 2:
                guard length == 4 else { throw WireError() }
                self.maximumSegmentSize = UInt16(bytes[body]) << 8 | UInt16(bytes[body + 1])
            case 3:
                guard length == 3 else { throw WireError() }
                self.windowScale = bytes[body]
            case 4:
                guard length == 2 else { throw WireError() }
                self.sackPermitted = true
            case 5:
                let count = (length - 2) / 8
                guard (length - 2) % 8 == 0, count >= 1, count <= 4 else { throw WireError() }
                self.sackBlocks = []
                for block in 0..<count {
                    let offset = body + block * 8
                    self.sackBlocks.append(
                        TCPSACKBlock(left: Self.word(bytes, offset), right: Self.word(bytes, offset + 4)))
                }
            case 8:
                guard length == 10 else { throw WireError() }
                self.timestamps = TCPTimestamps(value: Self.word(bytes, body), echoReply: Self.word(bytes, body + 4))
            default:
                break
            }
            index += length
        }
    }

    private static func word(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    /// The unpadded option bytes in emission order: MSS, NOP+Window Scale, NOP NOP+SACK-Permitted,
    /// NOP NOP+Timestamps, NOP NOP+SACK (Linux's layout, so every option past MSS is 4-byte aligned).
    private var rawLength: Int {
        var length = 0
        if self.maximumSegmentSize != nil { length += 4 }
        if self.windowScale != nil { length += 4 }
        if self.sackPermitted { length += 4 }
        if self.timestamps != nil { length += 12 }
        if !self.sackBlocks.isEmpty { length += 4 + 8 * self.sackBlocks.count }
        return length
    }

    /// The emitted length, padded with End of Option List to a multiple of 4.
    public var encodedLength: Int { (self.rawLength + 3) / 4 * 4 }

    /// Writes the options into `bytes`, padding with zeros (End of Option List).
    ///
    /// - Precondition: `bytes.count == encodedLength ≤ 40`, at most 4 SACK blocks.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count == self.encodedLength && bytes.count <= 40, "TCP options do not fit")
        precondition(self.sackBlocks.count <= 4, "at most 4 SACK blocks")
        var index = 0
        func put(_ byte: UInt8) {
            bytes[index] = byte
            index += 1
        }
        func put32(_ value: UInt32) {
            bytes.setWireUInt32(value, at: index)
            index += 4
        }
        if let mss = self.maximumSegmentSize {
            put(2)
            put(4)
            bytes.setWireUInt16(mss, at: index)
            index += 2
        }
        if let scale = self.windowScale {
            put(1)
            put(3)
            put(3)
            put(scale)
        }
        if self.sackPermitted {
            put(1)
            put(1)
            put(4)
            put(2)
        }
        if let timestamps = self.timestamps {
            put(1)
            put(1)
            put(8)
            put(10)
            put32(timestamps.value)
            put32(timestamps.echoReply)
        }
        if !self.sackBlocks.isEmpty {
            put(1)
            put(1)
            put(5)
            put(UInt8(2 + 8 * self.sackBlocks.count))
            for block in self.sackBlocks {
                put32(block.left)
                put32(block.right)
            }
        }
        while index < bytes.count { put(0) }
    }

    /// The options present, e.g. `mss=1460 wscale=7 sackOK ts=1/0 sack=[10,20]`; empty when none.
    public var description: String {
        var parts: [String] = []
        if let mss = self.maximumSegmentSize { parts.append("mss=\(mss)") }
        if let scale = self.windowScale { parts.append("wscale=\(scale)") }
        if self.sackPermitted { parts.append("sackOK") }
        if let timestamps = self.timestamps { parts.append("ts=\(timestamps.value)/\(timestamps.echoReply)") }
        if !self.sackBlocks.isEmpty {
            var text = "sack="
            for block in self.sackBlocks { text += "[\(block.left),\(block.right)]" }
            parts.append(text)
        }
        var text = ""
        for part in parts { text += text.isEmpty ? part : " " + part }
        return text
    }
}
