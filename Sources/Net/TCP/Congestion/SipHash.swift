/// SipHash-2-4, a keyed 64-bit pseudorandom function (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
/// INDOCRYPT 2012): 2 compression rounds per 8-byte word, 4 finalization rounds, a 128-bit key. Used for
/// ``InitialSequenceNumber``'s F (RFC 6528 §3 asks for a keyed pseudorandom function of the connection's
/// 4-tuple; Linux uses SipHash-2-4 there too).
///
/// The key is two little-endian 64-bit words, k0 from key bytes 0-7 and k1 from bytes 8-15 (the paper's §2).
public struct SipHash24: Sendable {
    private var v0: UInt64
    private var v1: UInt64
    private var v2: UInt64
    private var v3: UInt64
    private var tail: UInt64 = 0
    private var tailCount = 0
    private var length = 0

    /// A hasher keyed by `k0`, `k1` (the paper's initialization: v0 = k0 ⊕ "somepseu", v1 = k1 ⊕ "dorandom",
    /// v2 = k0 ⊕ "lygenera", v3 = k1 ⊕ "tedbytes").
    public init(key0 k0: UInt64, key1 k1: UInt64) {
        self.v0 = k0 ^ 0x736f_6d65_7073_6575
        self.v1 = k1 ^ 0x646f_7261_6e64_6f6d
        self.v2 = k0 ^ 0x6c79_6765_6e65_7261
        self.v3 = k1 ^ 0x7465_6462_7974_6573
    }

    /// A hasher keyed by 16 bytes (`key.count` must be 16).
    public init(key: UnsafeRawBufferPointer) {
        precondition(key.count == 16, "SipHash keys are 16 bytes")
        var k0: UInt64 = 0
        var k1: UInt64 = 0
        for index in 0..<8 {
            k0 |= UInt64(key[index]) << (8 * UInt64(index))
            k1 |= UInt64(key[8 + index]) << (8 * UInt64(index))
        }
        self.init(key0: k0, key1: k1)
    }

    private static func rotate(_ x: UInt64, _ bits: UInt64) -> UInt64 { (x << bits) | (x >> (64 - bits)) }

    /// SipRound (the paper's Figure 2).
    private mutating func round() {
        self.v0 &+= self.v1
        self.v1 = Self.rotate(self.v1, 13)
        self.v1 ^= self.v0
        self.v0 = Self.rotate(self.v0, 32)
        self.v2 &+= self.v3
        self.v3 = Self.rotate(self.v3, 16)
        self.v3 ^= self.v2
        self.v0 &+= self.v3
        self.v3 = Self.rotate(self.v3, 21)
        self.v3 ^= self.v0
        self.v2 &+= self.v1
        self.v1 = Self.rotate(self.v1, 17)
        self.v1 ^= self.v2
        self.v2 = Self.rotate(self.v2, 32)
    }

    private mutating func compress(_ word: UInt64) {
        self.v3 ^= word
        self.round()
        self.round()
        self.v0 ^= word
    }

    /// Absorbs one byte.
    public mutating func combine(_ byte: UInt8) {
        self.tail |= UInt64(byte) << (8 * UInt64(self.tailCount))
        self.tailCount += 1
        self.length += 1
        if self.tailCount == 8 {
            self.compress(self.tail)
            self.tail = 0
            self.tailCount = 0
        }
    }

    /// Absorbs `bytes`.
    public mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { self.combine(byte) }
    }

    /// Absorbs `value`'s bytes, most significant first (network order).
    public mutating func combine<T: FixedWidthInteger>(bigEndian value: T) {
        var shift = T.bitWidth - 8
        while shift >= 0 {
            self.combine(UInt8(truncatingIfNeeded: value >> T(shift)))
            shift -= 8
        }
    }

    /// The 64-bit result: the last word carries the length mod 256 in its top byte, then v2 ⊕= 0xff and four
    /// rounds (the paper's §2 "Finalization").
    public consuming func finalize() -> UInt64 {
        let last = (UInt64(truncatingIfNeeded: self.length) << 56) | self.tail
        self.compress(last)
        self.v2 ^= 0xff
        self.round()
        self.round()
        self.round()
        self.round()
        return self.v0 ^ self.v1 ^ self.v2 ^ self.v3
    }

    /// SipHash-2-4 of `bytes` under `key0`, `key1`.
    public static func hash(_ bytes: UnsafeRawBufferPointer, key0: UInt64, key1: UInt64) -> UInt64 {
        var hasher = SipHash24(key0: key0, key1: key1)
        hasher.combine(bytes)
        return hasher.finalize()
    }
}
