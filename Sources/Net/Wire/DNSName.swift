/// A domain name (RFC 1035 §3.1), held uncompressed in wire form: length-prefixed labels ending with the root's
/// zero byte.
///
/// Labels are 1–63 bytes and the wire form at most 255 bytes (RFC 1035 §2.3.4). Comparison and hashing ignore
/// ASCII case (RFC 4343 §3). Text is dotted labels; `description` writes bytes outside `!`…`~`, and `.` and `\`
/// inside a label, as `\DDD` (RFC 1035 §5.1).
public struct DNSName: Hashable, CustomStringConvertible, Sendable {
    /// The uncompressed wire form, root byte included.
    public let wire: [UInt8]

    /// The longest label (RFC 1035 §2.3.4).
    public static let maximumLabelLength = 63
    /// The longest name in wire form (RFC 1035 §2.3.4).
    public static let maximumLength = 255
    /// The most compression pointers followed while reading one name: no valid name needs more jumps than it
    /// has labels (at most 127 in 255 bytes).
    public static let maximumPointerHops = 127

    /// The root, `.`.
    public static let root = DNSName(validatedWire: [0])

    init(validatedWire wire: [UInt8]) {
        self.wire = wire
    }

    /// A name from its uncompressed wire form: labels of 1–63 bytes, then the root's zero byte, at most 255 bytes
    /// in all; `nil` otherwise (pointers, trailing bytes, a missing root).
    public init?(wire: [UInt8]) {
        guard !wire.isEmpty, wire.count <= Self.maximumLength else { return nil }
        var index = 0
        while wire[index] != 0 {
            let length = Int(wire[index])
            guard length <= Self.maximumLabelLength, index + 1 + length < wire.count else { return nil }
            index += 1 + length
        }
        guard index == wire.count - 1 else { return nil }
        self.init(validatedWire: wire)
    }

    /// Parses dotted text such as `example.com` or `example.com.`; `.` alone is the root.
    ///
    /// Returns `nil` for an empty label (`a..b`, `.a`), a label over 63 bytes or a name over 255 bytes in wire
    /// form. Any byte but `.` may appear in a label (no escapes are interpreted).
    public init?(_ text: String) {
        var wire: [UInt8] = []
        var label: [UInt8] = []
        let bytes = Array(text.utf8)
        if bytes == [UInt8(ascii: ".")] {
            self.init(validatedWire: [0])
            return
        }
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: ".") {
                guard !label.isEmpty else { return nil }
                wire.append(UInt8(label.count))
                wire += label
                label = []
                if index == bytes.count - 1 { break }
            } else {
                label.append(byte)
                guard label.count <= Self.maximumLabelLength else { return nil }
            }
        }
        if !label.isEmpty {
            wire.append(UInt8(label.count))
            wire += label
        } else if bytes.isEmpty {
            return nil
        }
        wire.append(0)
        guard wire.count <= Self.maximumLength else { return nil }
        self.init(validatedWire: wire)
    }

    /// Reads a possibly compressed name at `offset` of a whole DNS message (RFC 1035 §4.1.4).
    ///
    /// A compression pointer must point strictly before the label sequence that contains it (so every jump goes
    /// backwards past all bytes read so far, and loops are impossible), at most ``maximumPointerHops`` times.
    /// Label types 01 and 10 (RFC 6891 §5) are rejected.
    ///
    /// - Returns: the name and the offset just past it where it started (past the first pointer, if any).
    /// - Throws: ``WireError`` for a name running off the message, a forward or self pointer, too many jumps, a
    ///   label type other than 00/11, or a name over 255 bytes.
    public static func read(
        in message: UnsafeRawBufferPointer, at offset: Int
    ) throws(WireError) -> (name: DNSName, end: Int) {
        var wire: [UInt8] = []
        var position = offset
        var segmentStart = offset
        var end: Int?
        var hops = 0
        while true {
            guard position >= 0, position < message.count else { throw WireError() }
            let length = Int(message[position])
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    wire.append(0)
                    guard wire.count <= Self.maximumLength else { throw WireError() }
                    return (DNSName(validatedWire: wire), end ?? position + 1)
                }
                guard position + 1 + length <= message.count else { throw WireError() }
                wire.append(UInt8(length))
                wire += UnsafeRawBufferPointer(rebasing: message[(position + 1)..<(position + 1 + length)])
                guard wire.count < Self.maximumLength else { throw WireError() }
                position += 1 + length
            case 0xC0:
                guard position + 1 < message.count else { throw WireError() }
                let target = (length & 0x3F) << 8 | Int(message[position + 1])
                hops += 1
                guard target < segmentStart, hops <= Self.maximumPointerHops else { throw WireError() }
                if end == nil { end = position + 2 }
                position = target
                segmentStart = target
            default:
                throw WireError()
            }
        }
    }

    /// The labels, first (leftmost) first.
    public var labels: [[UInt8]] {
        var labels: [[UInt8]] = []
        var index = 0
        while index < self.wire.count, self.wire[index] != 0 {
            let length = Int(self.wire[index])
            labels.append(Array(self.wire[(index + 1)..<(index + 1 + length)]))
            index += 1 + length
        }
        return labels
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        guard lhs.wire.count == rhs.wire.count else { return false }
        for index in 0..<lhs.wire.count where lowercased(lhs.wire[index]) != lowercased(rhs.wire[index]) {
            return false
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        for byte in self.wire { hasher.combine(lowercased(byte)) }
    }

    public var description: String {
        if self.wire.count <= 1 { return "." }
        var text = ""
        for (index, label) in self.labels.enumerated() {
            if index > 0 { text += "." }
            for byte in label {
                if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: ".") && byte != UInt8(ascii: "\\") {
                    text.append(Character(Unicode.Scalar(byte)))
                } else {
                    text += "\\"
                    text.append(Character(Unicode.Scalar(UInt8(ascii: "0") + byte / 100)))
                    text.append(Character(Unicode.Scalar(UInt8(ascii: "0") + byte / 10 % 10)))
                    text.append(Character(Unicode.Scalar(UInt8(ascii: "0") + byte % 10)))
                }
            }
        }
        return text
    }
}

/// ASCII lowercase of one byte (label lengths, at most 63, are never letters).
private func lowercased(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
}
