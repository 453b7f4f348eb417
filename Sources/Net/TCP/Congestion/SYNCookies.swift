import Runtime

/// SYN cookies (RFC 4987 §3.6, "SYN Cookies"; D. J. Bernstein's construction as Linux uses it): when a listener's
/// queue is full, the SYN-ACK's sequence number itself carries what the connection needs, and nothing is stored
/// until the handshake's ACK returns it. A flood of SYNs then costs no memory, while real clients still connect.
///
/// The cookie, 32 bits:
///
///     bits 31-27  a 5-bit counter of 64-second periods (the cookie's age)
///     bits 26-24  the index of the peer's MSS in ``mssTable`` (rounded down)
///     bits 23-0   SipHash-2-4(secret; 4-tuple, the peer's ISN, the counter) mod 2^24
///
/// A returning ACK is valid when ACK − 1 is a cookie whose counter is this period's or the previous one's (so a
/// cookie lives 64 to 128 s) and whose hash matches for that 4-tuple and SEG.SEQ − 1. A blind attacker must guess 24
/// bits per try. What a cookie cannot carry is lost, as with Linux's cookies without timestamps: window scaling,
/// SACK and timestamps are not agreed on such a connection; the MSS is kept to within the table's steps.
public struct SYNCookies: Sendable {
    /// The MSS values a cookie can carry (common MTUs less 40), ascending.
    public static let mssTable: [UInt16] = [536, 1200, 1360, 1400, 1440, 1452, 1460, 8960]

    private let key0: UInt64
    private let key1: UInt64

    /// Cookies under the 128-bit secret `key0`, `key1` (random per boot).
    public init(key0: UInt64, key1: UInt64) {
        self.key0 = key0
        self.key1 = key1
    }

    /// The 64-second period of `now`, mod 32.
    static func counter(_ now: Instant) -> UInt32 {
        UInt32(truncatingIfNeeded: (now.nanoseconds / 64_000_000_000) & 31)
    }

    private func hash(local: TCPEndpoint, remote: TCPEndpoint, peerISN: UInt32, counter: UInt32) -> UInt32 {
        var hasher = SipHash24(key0: self.key0, key1: self.key1)
        hasher.combine(bigEndian: local.address.rawValue)
        hasher.combine(bigEndian: local.port)
        hasher.combine(bigEndian: remote.address.rawValue)
        hasher.combine(bigEndian: remote.port)
        hasher.combine(bigEndian: peerISN)
        hasher.combine(bigEndian: counter)
        return UInt32(truncatingIfNeeded: hasher.finalize()) & 0xFF_FFFF
    }

    /// The cookie (our ISN) for a SYN with sequence number `peerISN` and MSS option `mss` (536 when absent) from
    /// `remote` to `local` at `now`.
    public func make(local: TCPEndpoint, remote: TCPEndpoint, peerISN: UInt32, mss: UInt16, now: Instant) -> UInt32 {
        let index = UInt32(Self.mssTable.lastIndex(where: { $0 <= mss }) ?? 0)
        let counter = Self.counter(now)
        return counter << 27 | index << 24 | self.hash(local: local, remote: remote, peerISN: peerISN, counter: counter)
    }

    /// The MSS a returning ACK's cookie carries, or `nil` when `acknowledgment − 1` is not a valid cookie for this
    /// 4-tuple and `sequence − 1` (forged, or older than 128 s).
    public func check(
        local: TCPEndpoint, remote: TCPEndpoint, sequence: UInt32, acknowledgment: UInt32, now: Instant
    ) -> UInt16? {
        let cookie = acknowledgment &- 1
        let counter = cookie >> 27
        let age = (Self.counter(now) &- counter) & 31
        guard age <= 1 else { return nil }
        guard self.hash(local: local, remote: remote, peerISN: sequence &- 1, counter: counter) == cookie & 0xFF_FFFF
        else { return nil }
        return Self.mssTable[Int((cookie >> 24) & 7)]
    }
}
