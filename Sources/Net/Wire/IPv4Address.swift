/// An IPv4 address (RFC 791 §3.1 "Source Address"/"Destination Address"; special blocks per RFC 6890).
///
/// Stored as the 32-bit number whose big-endian bytes are the address, so `10.0.0.2` is `0x0A00_0002`.
/// `description` is dotted-quad text, and ``init(_:)-(String)`` parses it back.
public struct IPv4Address: Hashable, Comparable, CustomStringConvertible, Sendable {
    /// The address as a number: the first octet is the most significant byte.
    public var rawValue: UInt32

    /// The address with this numeric value.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// The address `a.b.c.d`.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text such as `10.0.0.2`: four decimal octets 0...255, no leading zeros, nothing else.
    ///
    /// Returns `nil` for anything else (`1.2.3`, `1.2.3.4.5`, `256.0.0.1`, `01.2.3.4`, ` 1.2.3.4`).
    public init?(_ text: String) {
        var scanner = DottedQuadScanner()
        for byte in text.utf8 { scanner.feed(byte) }
        guard let address = scanner.address else { return nil }
        self = address
    }

    /// `0.0.0.0`, "this host" (RFC 1122 §3.2.1.3), also the unspecified source of a DHCP client.
    public static let unspecified = IPv4Address(rawValue: 0)
    /// `255.255.255.255`, the limited broadcast address (RFC 919).
    public static let broadcast = IPv4Address(rawValue: 0xFFFF_FFFF)

    /// The four octets, first on the wire first.
    public var octets: (UInt8, UInt8, UInt8, UInt8) {
        (
            UInt8(truncatingIfNeeded: self.rawValue >> 24), UInt8(truncatingIfNeeded: self.rawValue >> 16),
            UInt8(truncatingIfNeeded: self.rawValue >> 8), UInt8(truncatingIfNeeded: self.rawValue)
        )
    }

    /// `0.0.0.0`.
    public var isUnspecified: Bool { self.rawValue == 0 }
    /// `255.255.255.255`.
    public var isBroadcast: Bool { self.rawValue == 0xFFFF_FFFF }
    /// `224.0.0.0/4` (RFC 5771).
    public var isMulticast: Bool { self.rawValue >> 28 == 0xE }
    /// `127.0.0.0/8`.
    public var isLoopback: Bool { self.rawValue >> 24 == 127 }
    /// `169.254.0.0/16` (RFC 3927).
    public var isLinkLocal: Bool { self.rawValue >> 16 == 0xA9FE }
    /// Neither unspecified, broadcast nor multicast: an address one host can have.
    public var isUnicast: Bool { !self.isUnspecified && !self.isBroadcast && !self.isMulticast }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// Dotted-quad text, written digit by digit into 15 bytes (interpolating four integers took 1.5 KiB of code,
    /// appending to an empty array a growth check per digit).
    public var description: String {
        var bytes = [UInt8](repeating: 0, count: 15)
        var count = 0
        for shift in stride(from: 24, through: 0, by: -8) {
            let octet = UInt8(truncatingIfNeeded: self.rawValue >> UInt32(shift))
            if octet >= 100 { bytes[count] = UInt8(ascii: "0") + octet / 100; count += 1 }
            if octet >= 10 { bytes[count] = UInt8(ascii: "0") + octet / 10 % 10; count += 1 }
            bytes[count] = UInt8(ascii: "0") + octet % 10
            count += 1
            if shift > 0 { bytes[count] = UInt8(ascii: "."); count += 1 }
        }
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[..<count]), as: UTF8.self) }
    }

    /// The address read from 4 bytes at `offset` (the caller has checked the bounds).
    init(wire bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        self.rawValue = bytes.wireUInt32(at: offset)
    }

    /// Writes the address as 4 bytes at `offset` (the caller has checked the bounds).
    func write(to bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes.setWireUInt32(self.rawValue, at: offset)
    }
}

/// An interface address with its prefix length, as in `10.0.0.2/24` (CIDR notation, RFC 4632 §3.1).
public struct IPv4CIDR: Hashable, CustomStringConvertible, Sendable {
    /// The host's address (not necessarily the network address).
    public var address: IPv4Address
    /// The number of leading bits that name the network, 0...32.
    public var prefixLength: Int

    /// An address and prefix length.
    ///
    /// - Precondition: `prefixLength` is in 0...32.
    public init(address: IPv4Address, prefixLength: Int) {
        precondition(prefixLength >= 0 && prefixLength <= 32, "IPv4 prefix length must be 0...32")
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `a.b.c.d/n` with n in 0...32 (no leading zeros); `nil` for anything else.
    public init?(_ text: String) {
        var scanner = DottedQuadScanner()
        var prefix = -1
        var sawSlash = false
        var digits = 0
        for byte in text.utf8 {
            if sawSlash {
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
                guard !(digits == 1 && prefix == 0), digits < 2 else { return nil }
                prefix = (prefix < 0 ? 0 : prefix * 10) + Int(byte - UInt8(ascii: "0"))
                digits += 1
            } else if byte == UInt8(ascii: "/") {
                sawSlash = true
            } else {
                scanner.feed(byte)
            }
        }
        guard sawSlash, prefix >= 0, prefix <= 32, let address = scanner.address else { return nil }
        self.init(address: address, prefixLength: prefix)
    }

    /// The mask with `prefixLength` leading one bits, e.g. `255.255.255.0` for /24.
    public var netmask: IPv4Address {
        IPv4Address(rawValue: self.prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - self.prefixLength))
    }

    /// The network's first address, e.g. `10.0.0.0` for `10.0.0.2/24`.
    public var network: IPv4Address {
        IPv4Address(rawValue: self.address.rawValue & self.netmask.rawValue)
    }

    /// The network's directed broadcast address, e.g. `10.0.0.255` for `10.0.0.2/24` (RFC 919).
    ///
    /// For /31 and /32 there is none (RFC 3021); this then returns the last address of the range anyway.
    public var broadcast: IPv4Address {
        IPv4Address(rawValue: self.address.rawValue | ~self.netmask.rawValue)
    }

    /// Whether `other` is on this network (shares the first `prefixLength` bits).
    public func contains(_ other: IPv4Address) -> Bool {
        other.rawValue & self.netmask.rawValue == self.network.rawValue
    }

    public var description: String { self.address.description + "/" + String(self.prefixLength) }
}

/// Dotted-quad text (``IPv4Address/init(_:)``'s grammar) read one byte at a time, so that `a.b.c.d/n` and
/// comma-separated lists are parsed in one pass over their bytes, without Substrings or a String per part (the
/// stdlib's generic `split` and Substring paths were 2 KiB of code; docs/BENCHMARKS.md, footprint).
struct DottedQuadScanner {
    private var value: UInt32 = 0
    private var octets = 0
    private var current: UInt32 = 0
    private var digits = 0
    private var leadingZero = false
    private var failed = false

    /// Takes the next byte; anything but digits and dots, or a malformed octet, fails the whole text.
    mutating func feed(_ byte: UInt8) {
        if failed { return }
        if byte == UInt8(ascii: ".") {
            guard digits > 0, octets < 3 else { failed = true; return }
            value = value << 8 | current
            octets += 1
            current = 0
            digits = 0
            leadingZero = false
        } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
            guard !leadingZero, digits < 3 else { failed = true; return }
            if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
            current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
            guard current <= 255 else { failed = true; return }
            digits += 1
        } else {
            failed = true
        }
    }

    /// The address fed so far, or nil when the bytes are not exactly four octets.
    var address: IPv4Address? {
        guard !failed, octets == 3, digits > 0 else { return nil }
        return IPv4Address(rawValue: value << 8 | current)
    }
}
