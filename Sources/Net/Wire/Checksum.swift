/// The Internet checksum (RFC 1071), with the RFC 768/793 pseudo-header and the RFC 1624 incremental update.
///
/// All values are numeric 16-bit quantities in host order that represent the big-endian field on the wire:
/// a view stores them with its big-endian setters. ``sum(_:)`` is the one's-complement sum (not complemented),
/// ``checksum(_:)`` its complement, the value a header carries. A received header is intact when the sum over it,
/// checksum field included, is `0xFFFF` (RFC 1071 §1 step 3).
///
/// The fast path adds 64-bit unaligned words with end-around carry and folds once at the end (RFC 1071 §2 (B)
/// byte-order independence and (C) parallel summation); ``referenceSum(_:)`` is the byte-by-byte form of §4.1
/// that the tests compare it with.
public enum Checksum {
    /// The one's-complement sum of `bytes` taken as big-endian 16-bit words, an odd last byte padded with zero.
    ///
    /// Reads exactly `bytes.count` bytes, with no alignment requirement.
    public static func sum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        guard let base = bytes.baseAddress else { return 0 }
        let count = bytes.count
        var accumulator: UInt64 = 0
        var carries: UInt64 = 0
        var offset = 0
        // Native-order 64-bit words: the sum is byte-order independent, so swapping once at the end suffices.
        while count - offset >= 32 {
            let a = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let b = base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
            let c = base.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)
            let d = base.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)
            var overflow: Bool
            (accumulator, overflow) = accumulator.addingReportingOverflow(a)
            carries &+= overflow ? 1 : 0
            (accumulator, overflow) = accumulator.addingReportingOverflow(b)
            carries &+= overflow ? 1 : 0
            (accumulator, overflow) = accumulator.addingReportingOverflow(c)
            carries &+= overflow ? 1 : 0
            (accumulator, overflow) = accumulator.addingReportingOverflow(d)
            carries &+= overflow ? 1 : 0
            offset += 32
        }
        while count - offset >= 8 {
            let word = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let (sum, overflow) = accumulator.addingReportingOverflow(word)
            accumulator = sum
            carries &+= overflow ? 1 : 0
            offset += 8
        }
        if offset < count {
            // The last 1...7 bytes, placed in a zeroed word at the same positions as a full load would put them.
            var tail: UInt64 = 0
            withUnsafeMutableBytes(of: &tail) { word in
                word.copyMemory(from: UnsafeRawBufferPointer(start: base + offset, count: count - offset))
            }
            let (sum, overflow) = accumulator.addingReportingOverflow(tail)
            accumulator = sum
            carries &+= overflow ? 1 : 0
        }
        // End-around carry: each overflow of the 64-bit accumulator is worth 1 (2^64 ≡ 1 mod 2^16 − 1).
        var folded = (accumulator >> 32) + (accumulator & 0xFFFF_FFFF) + carries
        folded = (folded >> 32) + (folded & 0xFFFF_FFFF)
        folded = (folded >> 16) + (folded & 0xFFFF)
        folded = (folded >> 16) + (folded & 0xFFFF)
        folded = (folded >> 16) + (folded & 0xFFFF)
        return UInt16(bigEndian: UInt16(truncatingIfNeeded: folded))
    }

    /// The checksum a header carries over `bytes`: the complement of ``sum(_:)``.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        ~self.sum(bytes)
    }

    /// The one's-complement sum of two partial sums (RFC 1071 §2 (A): the sum is associative).
    ///
    /// The first part must cover an even number of bytes; the second may end on an odd byte.
    public static func combine(_ first: UInt16, _ second: UInt16) -> UInt16 {
        let total = UInt32(first) + UInt32(second)
        return UInt16(truncatingIfNeeded: (total & 0xFFFF) + (total >> 16))
    }

    /// The sum of the pseudo-header UDP (RFC 768) and TCP (RFC 793 §3.1) put in front of their checksums over IPv4:
    /// source and destination address, zero, protocol, and the transport length in bytes.
    public static func pseudoHeaderSum(
        source: IPv4Address, destination: IPv4Address, protocol ipProtocol: IPProtocol, length: UInt16
    ) -> UInt16 {
        var total: UInt32 = 0
        total += source.rawValue >> 16
        total += source.rawValue & 0xFFFF
        total += destination.rawValue >> 16
        total += destination.rawValue & 0xFFFF
        total += UInt32(ipProtocol.rawValue)
        total += UInt32(length)
        total = (total & 0xFFFF) + (total >> 16)
        total = (total & 0xFFFF) + (total >> 16)
        return UInt16(truncatingIfNeeded: total)
    }

    /// A checksum after one 16-bit word of the data it covers changed from `old` to `new` (RFC 1624 eqn. 3:
    /// HC' = ~(~HC + ~m + m')), e.g. an IPv4 header after a TTL decrement.
    public static func update(_ checksum: UInt16, replacing old: UInt16, with new: UInt16) -> UInt16 {
        ~self.combine(self.combine(~checksum, ~old), new)
    }

    /// The byte-by-byte sum of RFC 1071 §4.1, kept simple on purpose: the tests check ``sum(_:)`` against it.
    public static func referenceSum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var total: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            total += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count {
            total += UInt32(bytes[index]) << 8
        }
        while total >> 16 != 0 {
            total = (total & 0xFFFF) + (total >> 16)
        }
        return UInt16(truncatingIfNeeded: total)
    }
}
