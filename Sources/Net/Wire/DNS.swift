/// A resource record TYPE or question QTYPE (RFC 1035 §3.2.2/§3.2.3; AAAA per RFC 3596). Unknown values parse as
/// ``unknown(_:)`` and round-trip.
public enum DNSType: Hashable, CustomStringConvertible, Sendable {
    /// 1, a host address.
    case a
    /// 2, an authoritative name server.
    case ns
    /// 5, the canonical name for an alias.
    case cname
    /// 6, start of a zone of authority.
    case soa
    /// 12, a domain name pointer.
    case ptr
    /// 15, mail exchange.
    case mx
    /// 16, text strings.
    case txt
    /// 28, an IPv6 host address (RFC 3596).
    case aaaa
    /// Any other type, kept as is.
    case unknown(UInt16)

    /// The type with this value; values without a case become ``unknown(_:)``.
    public init(rawValue: UInt16) {
        switch rawValue {
        case 1: self = .a
        case 2: self = .ns
        case 5: self = .cname
        case 6: self = .soa
        case 12: self = .ptr
        case 15: self = .mx
        case 16: self = .txt
        case 28: self = .aaaa
        default: self = .unknown(rawValue)
        }
    }

    /// The value on the wire.
    public var rawValue: UInt16 {
        switch self {
        case .a: 1
        case .ns: 2
        case .cname: 5
        case .soa: 6
        case .ptr: 12
        case .mx: 15
        case .txt: 16
        case .aaaa: 28
        case .unknown(let value): value
        }
    }

    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .unknown(let value): "TYPE\(value)"
        }
    }

    public static func == (lhs: DNSType, rhs: DNSType) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// A DNS CLASS (RFC 1035 §3.2.4). Unknown values parse as ``unknown(_:)`` and round-trip.
public enum DNSClass: Hashable, CustomStringConvertible, Sendable {
    /// 1, the Internet.
    case internet
    /// Any other class, kept as is.
    case unknown(UInt16)

    /// The class with this value; values without a case become ``unknown(_:)``.
    public init(rawValue: UInt16) {
        self = rawValue == 1 ? .internet : .unknown(rawValue)
    }

    /// The value on the wire.
    public var rawValue: UInt16 {
        switch self {
        case .internet: 1
        case .unknown(let value): value
        }
    }

    public var description: String {
        switch self {
        case .internet: "IN"
        case .unknown(let value): "CLASS\(value)"
        }
    }

    public static func == (lhs: DNSClass, rhs: DNSClass) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// A header OPCODE (RFC 1035 §4.1.1; 4 and 5 per RFC 1996/2136). Unknown values parse as ``unknown(_:)``.
public enum DNSOpcode: Hashable, CustomStringConvertible, Sendable {
    /// 0, a standard query.
    case query
    /// 2, a server status request.
    case status
    /// 4, NOTIFY (RFC 1996).
    case notify
    /// 5, UPDATE (RFC 2136).
    case update
    /// Any other opcode (4 bits), kept as is.
    case unknown(UInt8)

    /// The opcode with this value; values without a case become ``unknown(_:)``.
    public init(rawValue: UInt8) {
        switch rawValue {
        case 0: self = .query
        case 2: self = .status
        case 4: self = .notify
        case 5: self = .update
        default: self = .unknown(rawValue)
        }
    }

    /// The value on the wire (4 bits).
    public var rawValue: UInt8 {
        switch self {
        case .query: 0
        case .status: 2
        case .notify: 4
        case .update: 5
        case .unknown(let value): value & 0x0F
        }
    }

    public var description: String {
        switch self {
        case .query: "QUERY"
        case .status: "STATUS"
        case .notify: "NOTIFY"
        case .update: "UPDATE"
        case .unknown(let value): "OPCODE\(value)"
        }
    }

    public static func == (lhs: DNSOpcode, rhs: DNSOpcode) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// A header RCODE (RFC 1035 §4.1.1). Unknown values parse as ``unknown(_:)``.
public enum DNSResponseCode: Hashable, CustomStringConvertible, Sendable {
    /// 0, no error.
    case noError
    /// 1, the server could not interpret the query.
    case formatError
    /// 2, the server could not process the query (SERVFAIL).
    case serverFailure
    /// 3, the name does not exist (NXDOMAIN), meaningful from an authoritative server or a recursive resolver.
    case nameError
    /// 4, the server does not support this kind of query.
    case notImplemented
    /// 5, the server refuses for policy reasons.
    case refused
    /// Any other code (4 bits), kept as is.
    case unknown(UInt8)

    /// The code with this value; values without a case become ``unknown(_:)``.
    public init(rawValue: UInt8) {
        switch rawValue {
        case 0: self = .noError
        case 1: self = .formatError
        case 2: self = .serverFailure
        case 3: self = .nameError
        case 4: self = .notImplemented
        case 5: self = .refused
        default: self = .unknown(rawValue)
        }
    }

    /// The value on the wire (4 bits).
    public var rawValue: UInt8 {
        switch self {
        case .noError: 0
        case .formatError: 1
        case .serverFailure: 2
        case .nameError: 3
        case .notImplemented: 4
        case .refused: 5
        case .unknown(let value): value & 0x0F
        }
    }

    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nameError: "NXDOMAIN"
        case .notImplemented: "NOTIMP"
        case .refused: "REFUSED"
        case .unknown(let value): "RCODE\(value)"
        }
    }

    public static func == (lhs: DNSResponseCode, rhs: DNSResponseCode) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}

/// A view of a DNS message in borrowed bytes (RFC 1035 §4.1).
///
/// ```
///  0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
/// |                      ID                       |
/// |QR|  Opcode   |AA|TC|RD|RA|   Z    |   RCODE   |
/// |                    QDCOUNT                    |
/// |                    ANCOUNT                    |
/// |                    NSCOUNT                    |
/// |                    ARCOUNT                    |
/// | Question | Answer | Authority | Additional    |
/// ```
///
/// ``init(checking:)`` walks the whole message: every question and resource record must lie inside the buffer,
/// every name must read per ``DNSName/read(in:at:)``, A data must be 4 bytes and CNAME data exactly one name.
/// Bytes after the last record are ignored. Over UDP a message is the whole datagram (RFC 1035 §4.2.1: at most
/// 512 bytes without EDNS, which this stack does not send).
public struct DNSPacket {
    /// The message's bytes.
    public let bytes: UnsafeMutableRawBufferPointer

    /// The header length.
    public static let headerLength = 12
    /// The server port (RFC 1035 §4.2.1).
    public static let serverPort: UInt16 = 53

    enum Field {
        static let identification = 0
        static let flags = 2
        static let questionCount = 4
        static let answerCount = 6
        static let authorityCount = 8
        static let additionalCount = 10
    }

    /// Validates `bytes` as a DNS message (see the type's discussion).
    ///
    /// - Throws: ``WireError`` when the header, a question, a record or a name is cut off or malformed.
    public init(checking bytes: UnsafeMutableRawBufferPointer) throws(WireError) {
        guard bytes.count >= Self.headerLength else { throw WireError() }
        self.bytes = bytes
        var reader = DNSRecordReader(message: UnsafeRawBufferPointer(bytes))
        for _ in 0..<Int(self.questionCount) { _ = try reader.readQuestion() }
        let records = Int(self.answerCount) + Int(self.authorityCount) + Int(self.additionalCount)
        for _ in 0..<records { _ = try reader.readRecord() }
    }

    /// A view for building a message in `bytes`.
    ///
    /// - Precondition: `bytes` holds at least the 12-byte header.
    public init(unchecked bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.headerLength, "DNS buffer shorter than the header")
        self.bytes = bytes
    }

    /// ID, chosen by the querier and copied into the response.
    public var identification: UInt16 {
        get { self.bytes.wireUInt16(at: Field.identification) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.identification) }
    }

    /// The 16 flag bits (QR, Opcode, AA, TC, RD, RA, Z, RCODE).
    public var flags: UInt16 {
        get { self.bytes.wireUInt16(at: Field.flags) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.flags) }
    }

    /// QR: a response (`true`) or a query.
    public var isResponse: Bool {
        get { self.flags & 0x8000 != 0 }
        nonmutating set { self.setFlag(0x8000, newValue) }
    }

    /// Opcode.
    public var opcode: DNSOpcode {
        get { DNSOpcode(rawValue: UInt8(truncatingIfNeeded: self.flags >> 11) & 0x0F) }
        nonmutating set { self.flags = self.flags & ~0x7800 | UInt16(newValue.rawValue & 0x0F) << 11 }
    }

    /// AA, Authoritative Answer.
    public var authoritative: Bool {
        get { self.flags & 0x0400 != 0 }
        nonmutating set { self.setFlag(0x0400, newValue) }
    }

    /// TC, TrunCation: the message was cut to fit the transport.
    public var truncated: Bool {
        get { self.flags & 0x0200 != 0 }
        nonmutating set { self.setFlag(0x0200, newValue) }
    }

    /// RD, Recursion Desired.
    public var recursionDesired: Bool {
        get { self.flags & 0x0100 != 0 }
        nonmutating set { self.setFlag(0x0100, newValue) }
    }

    /// RA, Recursion Available.
    public var recursionAvailable: Bool {
        get { self.flags & 0x0080 != 0 }
        nonmutating set { self.setFlag(0x0080, newValue) }
    }

    /// RCODE.
    public var responseCode: DNSResponseCode {
        get { DNSResponseCode(rawValue: UInt8(truncatingIfNeeded: self.flags) & 0x0F) }
        nonmutating set { self.flags = self.flags & ~0x000F | UInt16(newValue.rawValue & 0x0F) }
    }

    /// QDCOUNT.
    public var questionCount: UInt16 {
        get { self.bytes.wireUInt16(at: Field.questionCount) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.questionCount) }
    }

    /// ANCOUNT.
    public var answerCount: UInt16 {
        get { self.bytes.wireUInt16(at: Field.answerCount) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.answerCount) }
    }

    /// NSCOUNT.
    public var authorityCount: UInt16 {
        get { self.bytes.wireUInt16(at: Field.authorityCount) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.authorityCount) }
    }

    /// ARCOUNT.
    public var additionalCount: UInt16 {
        get { self.bytes.wireUInt16(at: Field.additionalCount) }
        nonmutating set { self.bytes.setWireUInt16(newValue, at: Field.additionalCount) }
    }

    private func setFlag(_ mask: UInt16, _ on: Bool) {
        self.flags = on ? self.flags | mask : self.flags & ~mask
    }
}

/// Reads questions and records in order from a whole message, with bounds checks (internal to the wire layer).
struct DNSRecordReader {
    let message: UnsafeRawBufferPointer
    var offset = DNSPacket.headerLength

    init(message: UnsafeRawBufferPointer) {
        self.message = message
    }

    mutating func readUInt16() throws(WireError) -> UInt16 {
        guard self.offset + 2 <= self.message.count else { throw WireError() }
        defer { self.offset += 2 }
        return UInt16(self.message[self.offset]) << 8 | UInt16(self.message[self.offset + 1])
    }

    mutating func readName() throws(WireError) -> DNSName {
        let (name, end) = try DNSName.read(in: self.message, at: self.offset)
        self.offset = end
        return name
    }

    mutating func readQuestion() throws(WireError) -> DNSQuestion {
        let name = try self.readName()
        let type = DNSType(rawValue: try self.readUInt16())
        let dnsClass = DNSClass(rawValue: try self.readUInt16())
        return DNSQuestion(name: name, type: type, class: dnsClass)
    }

    mutating func readRecord() throws(WireError) -> DNSRecord {
        let name = try self.readName()
        let type = DNSType(rawValue: try self.readUInt16())
        let dnsClass = DNSClass(rawValue: try self.readUInt16())
        let ttl = UInt32(try self.readUInt16()) << 16 | UInt32(try self.readUInt16())
        let length = Int(try self.readUInt16())
        let start = self.offset
        guard start + length <= self.message.count else { throw WireError() }
        self.offset = start + length
        let data: DNSRecordData
        switch type {
        case .a:
            guard length == 4 else { throw WireError() }
            data = .a(
                IPv4Address(
                    self.message[start], self.message[start + 1], self.message[start + 2], self.message[start + 3]))
        case .cname:
            // RFC 1035 §4.1.4: names in RDATA may be compressed; the name must fill RDATA exactly.
            let (target, end) = try DNSName.read(in: self.message, at: start)
            guard end == start + length else { throw WireError() }
            data = .cname(target)
        default:
            data = .other(Array(UnsafeRawBufferPointer(rebasing: self.message[start..<(start + length)])))
        }
        return DNSRecord(name: name, type: type, class: dnsClass, timeToLive: ttl, data: data)
    }
}

/// A question: QNAME, QTYPE, QCLASS (RFC 1035 §4.1.2).
public struct DNSQuestion: Equatable, CustomStringConvertible {
    /// QNAME.
    public var name: DNSName
    /// QTYPE.
    public var type: DNSType
    /// QCLASS.
    public var `class`: DNSClass

    /// A question for `name`'s records of `type` in `class` (by default IN).
    public init(name: DNSName, type: DNSType, class: DNSClass = .internet) {
        self.name = name
        self.type = type
        self.class = `class`
    }

    public var description: String { "\(self.name) \(self.class) \(self.type)" }
}

/// The data of a resource record, decoded for the types this stack uses.
public enum DNSRecordData: Equatable, CustomStringConvertible {
    /// An A record's address.
    case a(IPv4Address)
    /// A CNAME record's canonical name (decompressed).
    case cname(DNSName)
    /// Any other type's RDATA as it was on the wire (compressed names inside stay compressed, meaningless
    /// outside their message).
    case other([UInt8])

    public var description: String {
        switch self {
        case .a(let address): "\(address)"
        case .cname(let name): "\(name)"
        case .other(let bytes): "\\# \(bytes.count)"
        }
    }
}

/// A resource record (RFC 1035 §4.1.3).
public struct DNSRecord: Equatable, CustomStringConvertible {
    /// NAME, the owner.
    public var name: DNSName
    /// TYPE.
    public var type: DNSType
    /// CLASS.
    public var `class`: DNSClass
    /// TTL in seconds.
    public var timeToLive: UInt32
    /// RDATA.
    public var data: DNSRecordData

    /// A record of these parts; `type` should match `data` (A for ``DNSRecordData/a(_:)``, CNAME for
    /// ``DNSRecordData/cname(_:)``).
    public init(name: DNSName, type: DNSType, class: DNSClass = .internet, timeToLive: UInt32, data: DNSRecordData) {
        self.name = name
        self.type = type
        self.class = `class`
        self.timeToLive = timeToLive
        self.data = data
    }

    /// The RDATA length as emitted.
    var dataLength: Int {
        switch self.data {
        case .a: 4
        case .cname(let name): name.wire.count
        case .other(let bytes): bytes.count
        }
    }

    public var description: String { "\(self.name) \(self.timeToLive) \(self.class) \(self.type) \(self.data)" }
}

/// Addresses for a name, found in one response by following its CNAME chain (see
/// ``DNSMessage/addresses(of:)``).
public struct DNSAnswer: Equatable, CustomStringConvertible {
    /// The name asked for.
    public var name: DNSName
    /// The end of the CNAME chain: the name the A records belong to (``name`` when there was no alias).
    public var canonicalName: DNSName
    /// The addresses, in the order of the answer section.
    public var addresses: [IPv4Address]
    /// The smallest TTL along the chain and the A records, in seconds: how long the answer may be cached.
    public var timeToLive: UInt32

    /// An answer of these parts.
    public init(name: DNSName, canonicalName: DNSName, addresses: [IPv4Address], timeToLive: UInt32) {
        self.name = name
        self.canonicalName = canonicalName
        self.addresses = addresses
        self.timeToLive = timeToLive
    }

    public var description: String {
        var text = "\(self.name)"
        if self.canonicalName != self.name { text += " (\(self.canonicalName))" }
        text += " ttl=\(self.timeToLive):"
        for address in self.addresses { text += " \(address)" }
        return text
    }
}

/// A DNS message's meaningful contents (RFC 1035 §4.1): header fields and all four sections.
///
/// Parsing decompresses every name. Emitting writes names uncompressed (a query has one name; responses this
/// stack builds are for tests), so ``length`` is exact.
public struct DNSMessage: Equatable, CustomStringConvertible {
    /// ID.
    public var identification: UInt16
    /// QR.
    public var isResponse: Bool
    /// Opcode.
    public var opcode: DNSOpcode
    /// AA.
    public var authoritative: Bool
    /// TC.
    public var truncated: Bool
    /// RD.
    public var recursionDesired: Bool
    /// RA.
    public var recursionAvailable: Bool
    /// RCODE.
    public var responseCode: DNSResponseCode
    /// The question section.
    public var questions: [DNSQuestion]
    /// The answer section.
    public var answers: [DNSRecord]
    /// The authority section.
    public var authorities: [DNSRecord]
    /// The additional section.
    public var additionals: [DNSRecord]

    /// The longest CNAME chain ``addresses(of:)`` follows.
    public static let maximumCNAMEChain = 8

    /// An empty message with this ID: a query, opcode QUERY, all flags clear, no records.
    public init(identification: UInt16) {
        self.identification = identification
        self.isResponse = false
        self.opcode = .query
        self.authoritative = false
        self.truncated = false
        self.recursionDesired = false
        self.recursionAvailable = false
        self.responseCode = .noError
        self.questions = []
        self.answers = []
        self.authorities = []
        self.additionals = []
    }

    /// A recursive query (RD set) for `name`'s records of `type` in class IN (RFC 1035 §4.1.1, §7.2).
    public static func query(identification: UInt16, name: DNSName, type: DNSType = .a) -> DNSMessage {
        var message = DNSMessage(identification: identification)
        message.recursionDesired = true
        message.questions = [DNSQuestion(name: name, type: type)]
        return message
    }

    /// Reads a checked message, decompressing names.
    ///
    /// - Throws: ``WireError`` never for a message that passed ``DNSPacket/init(checking:)`` unchanged; it is
    ///   typed so that a view changed through setters since still cannot make parsing trap.
    public init(parsing packet: DNSPacket) throws(WireError) {
        self.init(identification: packet.identification)
        self.isResponse = packet.isResponse
        self.opcode = packet.opcode
        self.authoritative = packet.authoritative
        self.truncated = packet.truncated
        self.recursionDesired = packet.recursionDesired
        self.recursionAvailable = packet.recursionAvailable
        self.responseCode = packet.responseCode
        var reader = DNSRecordReader(message: UnsafeRawBufferPointer(packet.bytes))
        for _ in 0..<Int(packet.questionCount) { self.questions.append(try reader.readQuestion()) }
        for _ in 0..<Int(packet.answerCount) { self.answers.append(try reader.readRecord()) }
        for _ in 0..<Int(packet.authorityCount) { self.authorities.append(try reader.readRecord()) }
        for _ in 0..<Int(packet.additionalCount) { self.additionals.append(try reader.readRecord()) }
    }

    /// The emitted length: header, then every question and record with uncompressed names.
    public var length: Int {
        var length = DNSPacket.headerLength
        for question in self.questions { length += question.name.wire.count + 4 }
        for record in self.answers + self.authorities + self.additionals {
            length += record.name.wire.count + 10 + record.dataLength
        }
        return length
    }

    /// Writes the whole message into `packet`.
    ///
    /// - Precondition: `packet` holds ``length`` bytes and each section has at most 65535 entries.
    public func emit(into packet: DNSPacket) {
        precondition(packet.bytes.count >= self.length, "DNS message does not fit")
        precondition(
            self.questions.count <= 0xFFFF && self.answers.count <= 0xFFFF && self.authorities.count <= 0xFFFF
                && self.additionals.count <= 0xFFFF, "DNS section too long")
        packet.identification = self.identification
        packet.flags = 0
        packet.isResponse = self.isResponse
        packet.opcode = self.opcode
        packet.authoritative = self.authoritative
        packet.truncated = self.truncated
        packet.recursionDesired = self.recursionDesired
        packet.recursionAvailable = self.recursionAvailable
        packet.responseCode = self.responseCode
        packet.questionCount = UInt16(self.questions.count)
        packet.answerCount = UInt16(self.answers.count)
        packet.authorityCount = UInt16(self.authorities.count)
        packet.additionalCount = UInt16(self.additionals.count)
        var offset = DNSPacket.headerLength
        func put(_ bytes: [UInt8]) {
            for byte in bytes {
                packet.bytes.setWireUInt8(byte, at: offset)
                offset += 1
            }
        }
        func put16(_ value: UInt16) {
            packet.bytes.setWireUInt16(value, at: offset)
            offset += 2
        }
        for question in self.questions {
            put(question.name.wire)
            put16(question.type.rawValue)
            put16(question.class.rawValue)
        }
        for record in self.answers + self.authorities + self.additionals {
            put(record.name.wire)
            put16(record.type.rawValue)
            put16(record.class.rawValue)
            packet.bytes.setWireUInt32(record.timeToLive, at: offset)
            offset += 4
            put16(UInt16(record.dataLength))
            switch record.data {
            case .a(let address):
                address.write(to: packet.bytes, at: offset)
                offset += 4
            case .cname(let name): put(name.wire)
            case .other(let bytes): put(bytes)
            }
        }
    }

    /// The IN A addresses of `name` in the answer section, following CNAME records within this message (RFC 1034
    /// §3.6.2, §4.3.2 step 3a: the answer holds the alias chain, then the canonical name's records).
    ///
    /// At most ``maximumCNAMEChain`` aliases are followed; a longer chain or a loop yields no addresses (the
    /// chain's end so far is ``DNSAnswer/canonicalName``). Records for other names are ignored, so a response
    /// cannot slip in addresses for a name the chain does not reach.
    public func addresses(of name: DNSName) -> DNSAnswer {
        var current = name
        var ttl = UInt32.max
        var hops = 0
        while true {
            var addresses: [IPv4Address] = []
            var alias: (DNSName, UInt32)?
            for record in self.answers where record.class == .internet && record.name == current {
                switch record.data {
                case .a(let address) where record.type == .a:
                    addresses.append(address)
                    ttl = Swift.min(ttl, record.timeToLive)
                case .cname(let target) where record.type == .cname:
                    if alias == nil { alias = (target, record.timeToLive) }
                default: break
                }
            }
            if !addresses.isEmpty || alias == nil || hops == Self.maximumCNAMEChain {
                return DNSAnswer(
                    name: name, canonicalName: current, addresses: addresses,
                    timeToLive: addresses.isEmpty ? 0 : ttl)
            }
            current = alias!.0
            ttl = Swift.min(ttl, alias!.1)
            hops += 1
        }
    }

    public var description: String {
        var text = "DNS id=\(self.identification) \(self.isResponse ? "response" : "query") \(self.opcode)"
        if self.isResponse { text += " \(self.responseCode)" }
        if self.authoritative { text += " AA" }
        if self.truncated { text += " TC" }
        if self.recursionDesired { text += " RD" }
        if self.recursionAvailable { text += " RA" }
        for question in self.questions { text += " ? \(question)" }
        for record in self.answers { text += " ! \(record)" }
        return text
    }
}
