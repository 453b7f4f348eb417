/// DeviceSpec+MAC.swift — a net device's MAC: its text form and its default (docs/DEVICES.md §2).
///
/// A MAC is carried as a `UInt64` whose low 48 bits are the address, first byte in bits 47:40.

extension DeviceSpec {
    /// Why text is not a usable MAC.
    public enum MACProblem: Error, Equatable {
        /// Not six hex bytes separated by colons.
        case malformed
        /// The group bit (lowest bit of the first byte) is set: a NIC cannot have a multicast address.
        case multicast
        /// `00:00:00:00:00:00`.
        case zero

        /// What is wrong, worded to follow "mac 'x' ".
        public var reason: StaticString {
            switch self {
            case .malformed: return "is not six hex bytes"
            case .multicast: return "is a multicast address"
            case .zero: return "is all zeros, which no NIC may use"
            }
        }

        /// What to write instead.
        public var remedy: StaticString {
            switch self {
            case .malformed: return "write it like 02:53:57:00:00:01"
            case .multicast: return "the first byte must be even (e.g. 02)"
            case .zero: return "pick another, e.g. 02:00:00:00:00:01"
            }
        }
    }

    /// Parses six hex bytes separated by colons, one or two digits each, either case; refuses group and
    /// all-zero addresses.
    public static func parseMAC(_ text: UnsafeBufferPointer<UInt8>) throws(MACProblem) -> UInt64 {
        var mac: UInt64 = 0
        var bytes = 0
        var value: UInt64 = 0
        var digits = 0
        var index = 0
        while index <= text.count {
            let byte = index < text.count ? text[index] : UInt8(ascii: ":")
            index += 1
            if byte == UInt8(ascii: ":") {
                guard digits >= 1, bytes < 6 else { throw .malformed }
                mac = mac << 8 | value
                bytes += 1
                value = 0
                digits = 0
                continue
            }
            // At most two digits per byte, so a long run of digits cannot overflow.
            guard let digit = hexDigit(byte), digits < 2 else { throw .malformed }
            value = value << 4 | UInt64(digit)
            digits += 1
        }
        guard bytes == 6 else { throw .malformed }
        guard mac >> 40 & 1 == 0 else { throw .multicast }
        guard mac != 0 else { throw .zero }
        return mac
    }

    /// ``parseMAC(_:)`` for an array.
    public static func parseMAC(_ text: [UInt8]) throws(MACProblem) -> UInt64 {
        try text.withUnsafeBufferPointer { (buffer) throws(MACProblem) -> UInt64 in try parseMAC(buffer) }
    }

    /// The default MAC of the device named `name`: `02:53:57:xx:yy:zz` (locally administered, unicast), where
    /// `xx yy zz` are the most significant three bytes of FNV-1a-32 of the name, so it is the same in both
    /// modes and on every run (`service` → `02:53:57:56:df:de`).
    public static func defaultMAC(forName name: UnsafeBufferPointer<UInt8>) -> UInt64 {
        0x02_53_57 << 24 | UInt64(fnv1a32(name) >> 8)
    }

    /// ``defaultMAC(forName:)`` for an array.
    public static func defaultMAC(forName name: [UInt8]) -> UInt64 {
        name.withUnsafeBufferPointer { defaultMAC(forName: $0) }
    }

    /// FNV-1a, 32 bits (offset basis 0x811c9dc5, prime 0x01000193).
    public static func fnv1a32(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    /// The six bytes of `mac`, first byte first.
    public static func macBytes(_ mac: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        for shift in stride(from: 40, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: mac >> UInt64(shift))) }
        return bytes
    }

    /// `xx:xx:xx:xx:xx:xx` in lower-case hex (how the CLI writes `@net.NAME=MAC` and `mac=`).
    public static func macText(_ mac: UInt64) -> [UInt8] {
        let hex: StaticString = "0123456789abcdef"
        var text: [UInt8] = []
        for (index, byte) in macBytes(mac).enumerated() {
            if index > 0 { text.append(UInt8(ascii: ":")) }
            text.append(hex.utf8Start[Int(byte >> 4)])
            text.append(hex.utf8Start[Int(byte & 0xf)])
        }
        return text
    }

    /// The value of a hex digit, either case.
    public static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
