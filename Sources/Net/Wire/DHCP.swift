/// A BOOTP "op" (RFC 951 §3; RFC 2131 §2 "Table 1"). Unknown values parse as ``unknown(_:)`` and round-trip.
public enum DHCPOperation: Hashable, CustomStringConvertible, Sendable {
    /// 1, BOOTREQUEST: client to server.
    case request
    /// 2, BOOTREPLY: server to client.
    case reply
    /// Any other value, kept as is.
    case unknown(UInt8)

    /// The operation with this value; values without a case become ``unknown(_:)``.
    public init(rawValue: UInt8) {
        switch rawValue {
        case 1: self = .request
        case 2: self = .reply
        default: self = .unknown(rawValue)
        }
    }

    /// The value on the wire.
    public var rawValue: UInt8 {
        switch self {
        case .request: 1
        case .reply: 2
        case .unknown(let value): value
        }
    }

    public var description: String {
        switch self {
        case .request: "BOOTREQUEST"
        case .reply: "BOOTREPLY"
        case .unknown(let value): "op=\(value)"
        }
    }

    public static func == (lhs: DHCPOperation, rhs: DHCPOperation) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// The DHCP Message Type, option 53 (RFC 2132 §9.6). Unknown values parse as ``unknown(_:)`` and round-trip.
public enum DHCPMessageType: Hashable, CustomStringConvertible, Sendable {
    /// 1, DHCPDISCOVER.
    case discover
    /// 2, DHCPOFFER.
    case offer
    /// 3, DHCPREQUEST.
    case request
    /// 4, DHCPDECLINE.
    case decline
    /// 5, DHCPACK.
    case ack
    /// 6, DHCPNAK.
    case nak
    /// 7, DHCPRELEASE.
    case release
    /// 8, DHCPINFORM.
    case inform
    /// Any other value, kept as is.
    case unknown(UInt8)

    /// The type with this value; values without a case become ``unknown(_:)``.
    public init(rawValue: UInt8) {
        switch rawValue {
        case 1: self = .discover
        case 2: self = .offer
        case 3: self = .request
        case 4: self = .decline
        case 5: self = .ack
        case 6: self = .nak
        case 7: self = .release
        case 8: self = .inform
        default: self = .unknown(rawValue)
        }
    }

    /// The value on the wire.
    public var rawValue: UInt8 {
        switch self {
        case .discover: 1
        case .offer: 2
        case .request: 3
        case .decline: 4
        case .ack: 5
        case .nak: 6
        case .release: 7
        case .inform: 8
        case .unknown(let value): value
        }
    }

    public var description: String {
        switch self {
        case .discover: "DISCOVER"
        case .offer: "OFFER"
        case .request: "REQUEST"
        case .decline: "DECLINE"
        case .ack: "ACK"
        case .nak: "NAK"
        case .release: "RELEASE"
        case .inform: "INFORM"
        case .unknown(let value): "type=\(value)"
        }
    }

    public static func == (lhs: DHCPMessageType, rhs: DHCPMessageType) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// DHCP option codes this stack reads or writes (RFC 2132; "BOOTP Vendor Extensions and DHCP Options").
public enum DHCPOptionCode {
    /// 0, Pad (RFC 2132 §3.1): one byte, no length.
    public static let pad: UInt8 = 0
    /// 1, Subnet Mask (§3.3), 4 bytes.
    public static let subnetMask: UInt8 = 1
    /// 3, Router (§3.5), 4·n bytes, in order of preference.
    public static let router: UInt8 = 3
    /// 6, Domain Name Server (§3.8), 4·n bytes, in order of preference.
    public static let domainNameServer: UInt8 = 6
    /// 50, Requested IP Address (§9.1), 4 bytes.
    public static let requestedAddress: UInt8 = 50
    /// 51, IP Address Lease Time (§9.2), 4 bytes, seconds.
    public static let leaseTime: UInt8 = 51
    /// 52, Option Overload (§9.3); not supported: ``DHCPPacket/sname`` and ``DHCPPacket/file`` are never read
    /// as options.
    public static let overload: UInt8 = 52
    /// 53, DHCP Message Type (§9.6), 1 byte.
    public static let messageType: UInt8 = 53
    /// 54, Server Identifier (§9.7), 4 bytes.
    public static let serverIdentifier: UInt8 = 54
    /// 55, Parameter Request List (§9.8), 1 or more codes.
    public static let parameterRequestList: UInt8 = 55
    /// 57, Maximum DHCP Message Size (§9.10), 2 bytes, at least 576.
    public static let maximumMessageSize: UInt8 = 57
    /// 58, Renewal (T1) Time Value (§9.11), 4 bytes, seconds.
    public static let renewalTime: UInt8 = 58
    /// 59, Rebinding (T2) Time Value (§9.12), 4 bytes, seconds.
    public static let rebindingTime: UInt8 = 59
    /// 255, End (§3.2): one byte, ends the options.
    public static let end: UInt8 = 255
}

/// A view of a DHCP message in borrowed bytes: the BOOTP layout (RFC 2131 §2 "Figure 1"), the magic cookie and
/// the options (RFC 2131 §3, RFC 2132 §2).
///
/// ```
///  op (1) | htype (1) | hlen (1) | hops (1)
///  xid (4)
///  secs (2) | flags (2)
///  ciaddr (4)  yiaddr (4)  siaddr (4)  giaddr (4)
///  chaddr (16)  sname (64)  file (128)
///  magic cookie 99.130.83.99 (4) | options (variable, ending in End)
/// ```
///
/// ``init(checking:)`` requires the 240 fixed bytes, the magic cookie, `hlen` ≤ 16, and well-formed options up
/// to an End option: every option but Pad and End has a length byte and that many bytes inside the buffer.
/// Bytes after End (padding to BOOTP's 300) are ignored. The view does not interpret option contents; see
/// ``DHCPMessage/init(parsing:)``.
public struct DHCPPacket {
    /// The message's bytes (a UDP payload).
    public let bytes: UnsafeMutableRawBufferPointer

    /// The fixed BOOTP part and the magic cookie, before the options.
    public static let fixedLength = 240
    /// The smallest BOOTP message relay agents must accept (RFC 1542 §2.1); emitted messages are padded to it.
    public static let minimumLength = 300
    /// The magic cookie 99.130.83.99 (RFC 2131 §3, RFC 2132 §2).
    public static let magicCookie: UInt32 = 0x6382_5363
    /// UDP port of servers (RFC 2131 §4.1).
    public static let serverPort: UInt16 = 67
    /// UDP port of clients (RFC 2131 §4.1).
    public static let clientPort: UInt16 = 68

    enum Field {
        static let operation = 0
        static let hardwareType = 1
        static let hardwareLength = 2
        static let hops = 3
        static let transactionID = 4
        static let seconds = 8
        static let flags = 10
        static let clientAddress = 12
        static let yourAddress = 16
        static let serverAddress = 20
        static let relayAgentAddress = 24
        static let clientHardwareAddress = 28
        static let serverName = 44
        static let bootFile = 108
        static let magicCookie = 236
        static let options = 240
    }

    /// Validates `bytes` as a DHCP message (see the type's discussion).
    ///
    /// - Throws: ``WireError`` when short, without the cookie, with `hlen` > 16, or with malformed options.
    public init(checking bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.fixedLength else { throw WireError() }
        self.bytes = bytes
        guard self.magicCookie == Self.magicCookie, self.hardwareLength <= 16 else { throw WireError() }
        var options = self.options.makeIterator()
        while options.next() != nil {}
        guard options.sawEnd else { throw WireError() }
    }

    /// A view for building a message in `bytes`.
    ///
    /// - Precondition: `bytes` holds at least the 240 fixed bytes.
    public init(unchecked bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.fixedLength, "DHCP buffer shorter than 240 bytes")
        self.bytes = bytes
    }

    /// op: ``DHCPOperation/request`` from clients, ``DHCPOperation/reply`` from servers.
    public var operation: DHCPOperation {
        get { DHCPOperation(rawValue: self.bytes.wireUInt8(at: Field.operation)) }
        nonmutating set { self.bytes.setWireUInt8(newValue.rawValue, at: Field.operation) }
    }

    /// htype, the hardware address type (1 = Ethernet, RFC 1700 "ARP Hardware Type").
    public var hardwareType: UInt8 {
        get { self.bytes.wireUInt8(at: Field.hardwareType) }
        nonmutating set { self.bytes.setWireUInt8(newValue, at: Field.hardwareType) }
    }

    /// hlen, the hardware address length (6 for Ethernet).
    public var hardwareLength: UInt8 {
        get { self.bytes.wireUInt8(at: Field.hardwareLength) }
        nonmutating set { self.bytes.setWireUInt8(newValue, at: Field.hardwareLength) }
    }

    /// hops, incremented by relay agents.
    public var hops: UInt8 {
        get { self.bytes.wireUInt8(at: Field.hops) }
        nonmutating set { self.bytes.setWireUInt8(newValue, at: Field.hops) }
    }

    /// xid, the transaction ID the client chose.
    public var transactionID: UInt32 {
        get { self.bytes.wireUInt32(at: Field.transactionID) }
        nonmutating set { self.bytes.setWireUInt32(newValue, at: Field.transactionID) }
    }

    /// secs, seconds since the client began acquisition or renewal.
    public var seconds: UInt16 {
        get { self.bytes.wireUInt16(at: Field.seconds) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.seconds) }
    }

    /// flags; bit 15 is BROADCAST (RFC 2131 §2 "Figure 2"), the rest must be zero.
    public var flags: UInt16 {
        get { self.bytes.wireUInt16(at: Field.flags) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.flags) }
    }

    /// ciaddr, the client's address when it already has one (BOUND, RENEWING, REBINDING).
    public var clientAddress: IPv4Address {
        get { IPv4Address(wire: self.bytes, at: Field.clientAddress) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.clientAddress) }
    }

    /// yiaddr, "your" address: the one the server offers or assigns.
    public var yourAddress: IPv4Address {
        get { IPv4Address(wire: self.bytes, at: Field.yourAddress) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.yourAddress) }
    }

    /// siaddr, the next server in bootstrap (not the DHCP server: that is option 54).
    public var serverAddress: IPv4Address {
        get { IPv4Address(wire: self.bytes, at: Field.serverAddress) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.serverAddress) }
    }

    /// giaddr, the relay agent's address.
    public var relayAgentAddress: IPv4Address {
        get { IPv4Address(wire: self.bytes, at: Field.relayAgentAddress) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.relayAgentAddress) }
    }

    /// The first 6 bytes of chaddr: the client's MAC address when `htype` is 1 and `hlen` 6.
    public var clientHardwareAddress: MACAddress {
        get { MACAddress(wire: self.bytes, at: Field.clientHardwareAddress) }
        nonmutating set { newValue.write(to: self.bytes, at: Field.clientHardwareAddress) }
    }

    /// The magic cookie (``DHCPPacket/magicCookie`` in a DHCP message).
    public var magicCookie: UInt32 {
        get { self.bytes.wireUInt32(at: Field.magicCookie) }
        nonmutating set { self.bytes.setWireUInt32(newValue, at: Field.magicCookie) }
    }

    /// The options area, everything after the cookie (End and any padding included).
    public var optionBytes: UnsafeMutableRawBufferPointer {
        self.bytes.clampedSlice(Field.options, self.bytes.count)
    }

    /// The options, in order, up to End (Pad skipped); iteration stops early at a malformed option.
    public var options: DHCPOptions { DHCPOptions(bytes: UnsafeRawBufferPointer(self.optionBytes)) }

    /// Zeroes chaddr's last 10 bytes, sname and file (what a client sends).
    public func clearServerNameAndFile() {
        for offset in (Field.clientHardwareAddress + 6)..<Field.magicCookie {
            self.bytes.setWireUInt8(0, at: offset)
        }
    }
}

/// The options of a ``DHCPPacket``, as (code, data) pairs in order. Pad is skipped, End stops the iteration,
/// and so does a malformed option (a missing length byte, or data past the buffer); ``Iterator/sawEnd`` tells
/// the two apart.
public struct DHCPOptions: Sequence {
    /// The options area.
    public let bytes: UnsafeRawBufferPointer

    /// One option: its code and its data (without code and length bytes).
    public struct Option {
        /// The code (``DHCPOptionCode``).
        public var code: UInt8
        /// The data, inside the message's bytes.
        public var data: UnsafeRawBufferPointer
    }

    /// Walks the options.
    public struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var offset = 0
        /// Whether the walk reached an End option (it stops early otherwise).
        public private(set) var sawEnd = false
        var stopped = false

        public mutating func next() -> Option? {
            while !self.stopped && self.offset < self.bytes.count {
                let code = self.bytes[self.offset]
                if code == DHCPOptionCode.pad {
                    self.offset += 1
                    continue
                }
                if code == DHCPOptionCode.end {
                    self.sawEnd = true
                    self.stopped = true
                    return nil
                }
                guard self.offset + 1 < self.bytes.count else { break }
                let length = Int(self.bytes[self.offset + 1])
                let start = self.offset + 2
                guard start + length <= self.bytes.count else { break }
                self.offset = start + length
                return Option(code: code, data: UnsafeRawBufferPointer(rebasing: self.bytes[start..<start + length]))
            }
            self.stopped = true
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(bytes: self.bytes) }
}

/// The meaningful fields of a DHCP message for an Ethernet client (RFC 2131 §2, options per RFC 2132).
///
/// Parsing keeps the options this stack uses and skips all others; a known option with a wrong length makes the
/// message malformed. A list option that appears twice is concatenated (RFC 3396 §7); for a fixed-size one the
/// last wins. Option Overload (52) is not supported: `sname` and `file` are not read as options.
public struct DHCPMessage: Equatable, CustomStringConvertible {
    /// op.
    public var operation: DHCPOperation
    /// Option 53.
    public var messageType: DHCPMessageType
    /// xid.
    public var transactionID: UInt32
    /// secs.
    public var seconds: UInt16
    /// The BROADCAST flag: the client asks for broadcast replies (RFC 2131 §4.1).
    public var broadcast: Bool
    /// ciaddr.
    public var clientAddress: IPv4Address
    /// yiaddr.
    public var yourAddress: IPv4Address
    /// siaddr.
    public var serverAddress: IPv4Address
    /// giaddr.
    public var relayAgentAddress: IPv4Address
    /// chaddr (htype 1, hlen 6).
    public var clientHardwareAddress: MACAddress
    /// Option 50, Requested IP Address.
    public var requestedAddress: IPv4Address?
    /// Option 54, Server Identifier.
    public var serverIdentifier: IPv4Address?
    /// Option 51, IP Address Lease Time, seconds (`0xFFFFFFFF` = infinity).
    public var leaseTime: UInt32?
    /// Option 58, Renewal (T1) Time Value, seconds.
    public var renewalTime: UInt32?
    /// Option 59, Rebinding (T2) Time Value, seconds.
    public var rebindingTime: UInt32?
    /// Option 1, Subnet Mask.
    public var subnetMask: IPv4Address?
    /// Option 3, Router: routers in order of preference.
    public var routers: [IPv4Address]
    /// Option 6, Domain Name Server: DNS servers in order of preference.
    public var dnsServers: [IPv4Address]
    /// Option 55, Parameter Request List: option codes.
    public var parameterRequestList: [UInt8]
    /// Option 57, Maximum DHCP Message Size.
    public var maximumMessageSize: UInt16?

    /// A message with no options but the type; addresses zero.
    public init(
        operation: DHCPOperation, messageType: DHCPMessageType, transactionID: UInt32,
        clientHardwareAddress: MACAddress
    ) {
        self.operation = operation
        self.messageType = messageType
        self.transactionID = transactionID
        self.seconds = 0
        self.broadcast = false
        self.clientAddress = .unspecified
        self.yourAddress = .unspecified
        self.serverAddress = .unspecified
        self.relayAgentAddress = .unspecified
        self.clientHardwareAddress = clientHardwareAddress
        self.requestedAddress = nil
        self.serverIdentifier = nil
        self.leaseTime = nil
        self.renewalTime = nil
        self.rebindingTime = nil
        self.subnetMask = nil
        self.routers = []
        self.dnsServers = []
        self.parameterRequestList = []
        self.maximumMessageSize = nil
    }

    /// Reads a checked message.
    ///
    /// - Throws: ``WireError`` unless `htype` is 1 and `hlen` 6 (Ethernet), option 53 is present, and every
    ///   option listed in ``DHCPOptionCode`` has a valid length (4 for addresses and times, a non-zero multiple
    ///   of 4 for address lists, 1 for the type, 2 for the maximum size, at least 1 for the request list).
    public init(parsing packet: DHCPPacket) throws(WireError) {
        guard packet.hardwareType == 1, packet.hardwareLength == 6 else { throw WireError() }
        self.init(
            operation: packet.operation, messageType: .unknown(0), transactionID: packet.transactionID,
            clientHardwareAddress: packet.clientHardwareAddress)
        self.seconds = packet.seconds
        self.broadcast = packet.flags & 0x8000 != 0
        self.clientAddress = packet.clientAddress
        self.yourAddress = packet.yourAddress
        self.serverAddress = packet.serverAddress
        self.relayAgentAddress = packet.relayAgentAddress
        var type: DHCPMessageType?
        for option in packet.options {
            let data = option.data
            switch option.code {
            case DHCPOptionCode.messageType:
                guard data.count == 1 else { throw WireError() }
                type = DHCPMessageType(rawValue: data[0])
            case DHCPOptionCode.subnetMask: self.subnetMask = try Self.address(data)
            case DHCPOptionCode.requestedAddress: self.requestedAddress = try Self.address(data)
            case DHCPOptionCode.serverIdentifier: self.serverIdentifier = try Self.address(data)
            case DHCPOptionCode.leaseTime: self.leaseTime = try Self.seconds(data)
            case DHCPOptionCode.renewalTime: self.renewalTime = try Self.seconds(data)
            case DHCPOptionCode.rebindingTime: self.rebindingTime = try Self.seconds(data)
            case DHCPOptionCode.router: self.routers += try Self.addresses(data)
            case DHCPOptionCode.domainNameServer: self.dnsServers += try Self.addresses(data)
            case DHCPOptionCode.parameterRequestList:
                guard data.count >= 1 else { throw WireError() }
                self.parameterRequestList += data
            case DHCPOptionCode.maximumMessageSize:
                guard data.count == 2 else { throw WireError() }
                let size = UInt16(data[0]) << 8 | UInt16(data[1])
                guard size >= 576 else { throw WireError() }
                self.maximumMessageSize = size
            default: break  // Unknown options are skipped (RFC 2131 §4.1: ignore what is not understood).
            }
        }
        guard let type else { throw WireError() }
        self.messageType = type
    }

    private static func address(_ data: UnsafeRawBufferPointer) throws(WireError) -> IPv4Address {
        guard data.count == 4 else { throw WireError() }
        return IPv4Address(data[0], data[1], data[2], data[3])
    }

    private static func seconds(_ data: UnsafeRawBufferPointer) throws(WireError) -> UInt32 {
        try Self.address(data).rawValue
    }

    private static func addresses(_ data: UnsafeRawBufferPointer) throws(WireError) -> [IPv4Address] {
        guard data.count >= 4, data.count % 4 == 0 else { throw WireError() }
        var list: [IPv4Address] = []
        var offset = 0
        while offset < data.count {
            list.append(IPv4Address(data[offset], data[offset + 1], data[offset + 2], data[offset + 3]))
            offset += 4
        }
        return list
    }

    /// The options' length as emitted, End included.
    var optionsLength: Int {
        var length = 3 + 1  // Message type, End.
        if self.requestedAddress != nil { length += 6 }
        if self.serverIdentifier != nil { length += 6 }
        if self.leaseTime != nil { length += 6 }
        if self.renewalTime != nil { length += 6 }
        if self.rebindingTime != nil { length += 6 }
        if self.subnetMask != nil { length += 6 }
        if !self.routers.isEmpty { length += 2 + 4 * Swift.min(self.routers.count, 63) }
        if !self.dnsServers.isEmpty { length += 2 + 4 * Swift.min(self.dnsServers.count, 63) }
        if self.maximumMessageSize != nil { length += 4 }
        if !self.parameterRequestList.isEmpty { length += 2 + Swift.min(self.parameterRequestList.count, 255) }
        return length
    }

    /// The emitted length: 240 fixed bytes, the options, then Pad up to 300 (RFC 1542 §2.1).
    public var length: Int { Swift.max(DHCPPacket.fixedLength + self.optionsLength, DHCPPacket.minimumLength) }

    /// Writes the whole message into `packet`: the fixed part (htype 1, hlen 6, hops 0, sname and file zero), the
    /// cookie, the options in the order 53, 50, 54, 51, 58, 59, 1, 3, 6, 57, 55, End, and Pad up to ``length``.
    ///
    /// Address lists keep their first 63 entries and the request list its first 255 codes (one option each).
    /// - Precondition: `packet` holds ``length`` bytes.
    public func emit(into packet: DHCPPacket) {
        precondition(packet.bytes.count >= self.length, "DHCP message does not fit")
        packet.operation = self.operation
        packet.hardwareType = 1
        packet.hardwareLength = 6
        packet.hops = 0
        packet.transactionID = self.transactionID
        packet.seconds = self.seconds
        packet.flags = self.broadcast ? 0x8000 : 0
        packet.clientAddress = self.clientAddress
        packet.yourAddress = self.yourAddress
        packet.serverAddress = self.serverAddress
        packet.relayAgentAddress = self.relayAgentAddress
        packet.clientHardwareAddress = self.clientHardwareAddress
        packet.clearServerNameAndFile()
        packet.magicCookie = DHCPPacket.magicCookie
        var writer = OptionWriter(bytes: packet.bytes, offset: DHCPPacket.Field.options)
        writer.write(DHCPOptionCode.messageType, [self.messageType.rawValue])
        writer.write(DHCPOptionCode.requestedAddress, self.requestedAddress)
        writer.write(DHCPOptionCode.serverIdentifier, self.serverIdentifier)
        writer.write(DHCPOptionCode.leaseTime, self.leaseTime.map { IPv4Address(rawValue: $0) })
        writer.write(DHCPOptionCode.renewalTime, self.renewalTime.map { IPv4Address(rawValue: $0) })
        writer.write(DHCPOptionCode.rebindingTime, self.rebindingTime.map { IPv4Address(rawValue: $0) })
        writer.write(DHCPOptionCode.subnetMask, self.subnetMask)
        writer.write(DHCPOptionCode.router, self.routers)
        writer.write(DHCPOptionCode.domainNameServer, self.dnsServers)
        if let size = self.maximumMessageSize {
            writer.write(DHCPOptionCode.maximumMessageSize, [UInt8(size >> 8), UInt8(truncatingIfNeeded: size)])
        }
        writer.write(DHCPOptionCode.parameterRequestList, Array(self.parameterRequestList.prefix(255)))
        writer.byte(DHCPOptionCode.end)
        while writer.offset < self.length { writer.byte(DHCPOptionCode.pad) }
    }

    /// Appends options at an offset the caller sized (``optionsLength``). Its writes are out of line: `emit`
    /// calls them nine times and each copy was inlined (docs/BENCHMARKS.md, footprint); DHCP is not a hot path.
    private struct OptionWriter {
        let bytes: UnsafeMutableRawBufferPointer
        var offset: Int

        mutating func byte(_ value: UInt8) {
            self.bytes.setWireUInt8(value, at: self.offset)
            self.offset += 1
        }

        @inline(never)
        mutating func write(_ code: UInt8, _ data: [UInt8]) {
            if data.isEmpty { return }
            self.byte(code)
            self.byte(UInt8(data.count))
            for value in data { self.byte(value) }
        }

        @inline(never)
        mutating func write(_ code: UInt8, _ address: IPv4Address?) {
            guard let address else { return }
            self.byte(code)
            self.byte(4)
            address.write(to: self.bytes, at: self.offset)
            self.offset += 4
        }

        @inline(never)
        mutating func write(_ code: UInt8, _ addresses: [IPv4Address]) {
            let kept = addresses.prefix(63)
            if kept.isEmpty { return }
            self.byte(code)
            self.byte(UInt8(4 * kept.count))
            for address in kept {
                address.write(to: self.bytes, at: self.offset)
                self.offset += 4
            }
        }
    }

    public var description: String {
        var text = "DHCP \(self.messageType) xid=0x\(wireHex(self.transactionID, width: 8))"
        text += " chaddr=\(self.clientHardwareAddress)"
        if !self.clientAddress.isUnspecified { text += " ciaddr=\(self.clientAddress)" }
        if !self.yourAddress.isUnspecified { text += " yiaddr=\(self.yourAddress)" }
        if let server = self.serverIdentifier { text += " server=\(server)" }
        if let requested = self.requestedAddress { text += " requested=\(requested)" }
        if let lease = self.leaseTime { text += " lease=\(lease)s" }
        if self.broadcast { text += " broadcast" }
        return text
    }
}
