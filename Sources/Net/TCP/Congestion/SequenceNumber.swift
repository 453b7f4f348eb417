/// A TCP sequence number: 32 bits that wrap, compared modulo 2^32 (RFC 9293 §3.4 "Sequence Numbers": "all
/// arithmetic dealing with sequence numbers must be performed modulo 2**32").
///
/// `a < b` means `b` lies less than 2^31 bytes ahead of `a` (serial-number arithmetic, as RFC 1982 §3.2 and
/// Linux's `before()`): the signed 32-bit difference `b - a` is positive. The order is only meaningful for numbers
/// within 2^31 of each other, which TCP's windows guarantee (RFC 7323 §2.3 caps the window at 2^30); it is not a
/// total order over all 2^32 values, so never sort numbers from unrelated connections with it.
public struct SequenceNumber: Hashable, Comparable, CustomStringConvertible, Sendable {
    /// The number as carried in the header.
    public var rawValue: UInt32

    /// The sequence number `rawValue`.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The sequence number `rawValue`.
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// `a` before `b` modulo 2^32 (RFC 9293 §3.4): `b - a`, as a signed 32-bit number, is positive.
    public static func < (a: SequenceNumber, b: SequenceNumber) -> Bool {
        Int32(bitPattern: b.rawValue &- a.rawValue) > 0
    }

    /// `a` advanced by `bytes` (negative goes back), wrapping modulo 2^32.
    public static func + (a: SequenceNumber, bytes: Int) -> SequenceNumber {
        SequenceNumber(rawValue: a.rawValue &+ UInt32(truncatingIfNeeded: bytes))
    }

    /// `a` moved back by `bytes`, wrapping modulo 2^32.
    public static func - (a: SequenceNumber, bytes: Int) -> SequenceNumber {
        SequenceNumber(rawValue: a.rawValue &- UInt32(truncatingIfNeeded: bytes))
    }

    /// Advances `a` by `bytes`, wrapping.
    public static func += (a: inout SequenceNumber, bytes: Int) { a = a + bytes }

    /// The signed distance from `b` to `a` (`a - b`), in -2^31 ..< 2^31.
    public static func - (a: SequenceNumber, b: SequenceNumber) -> Int {
        Int(Int32(bitPattern: a.rawValue &- b.rawValue))
    }

    /// The later of two numbers (modulo 2^32).
    public static func latest(_ a: SequenceNumber, _ b: SequenceNumber) -> SequenceNumber { a < b ? b : a }

    /// The earlier of two numbers (modulo 2^32).
    public static func earliest(_ a: SequenceNumber, _ b: SequenceNumber) -> SequenceNumber { a < b ? a : b }

    public var description: String { "\(self.rawValue)" }
}

/// A half-open range of sequence numbers `[start, end)`, as a SACK block carries it (RFC 2018 §3: "Left Edge of
/// Block" is the first sequence number of the block, "Right Edge of Block" the sequence number immediately
/// following its last).
public struct SACKBlock: Hashable, CustomStringConvertible, Sendable {
    /// The first sequence number in the block (the left edge).
    public var start: SequenceNumber
    /// The sequence number just after the block (the right edge).
    public var end: SequenceNumber

    /// The block `[start, end)`.
    public init(start: SequenceNumber, end: SequenceNumber) {
        self.start = start
        self.end = end
    }

    /// The block of `length` bytes from `start`.
    public init(start: SequenceNumber, length: Int) {
        self.start = start
        self.end = start + length
    }

    /// Its length in bytes (0 when `end` is not after `start`).
    public var length: Int { Swift.max(0, self.end - self.start) }

    /// Whether `sequenceNumber` lies in `[start, end)`.
    public func contains(_ sequenceNumber: SequenceNumber) -> Bool {
        self.start <= sequenceNumber && sequenceNumber < self.end
    }

    public var description: String { "[\(self.start), \(self.end))" }
}
