import Runtime

/// Initial sequence numbers that are hard to guess (RFC 6528 "Defending against Sequence Number Attacks" §3):
///
///     ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
///
/// "where M is the 4 microsecond timer", here `now` in nanoseconds / 4000 modulo 2^32 (the clock RFC 9293 §3.4.1
/// describes), and F is SipHash-2-4 keyed by 128 secret bits over the connection's 4-tuple (12 bytes: local
/// address, local port, remote address, remote port, network order), truncated to its low 32 bits. Successive
/// connections with one 4-tuple get increasing ISNs, as RFC 6528 wants for TIME-WAIT reuse; different 4-tuples get
/// unrelated ones. The secret comes from the caller's entropy (RFC 6528 §3 wants it random and hard to
/// guess); nothing here reads a clock or an entropy source.
public struct InitialSequenceNumber: Sendable {
    private let key0: UInt64
    private let key1: UInt64

    /// A generator keyed by the 128-bit secret `key0`, `key1`.
    public init(key0: UInt64, key1: UInt64) {
        self.key0 = key0
        self.key1 = key1
    }

    /// A generator keyed by two draws from `random` (for example `Runtime`'s entropy source).
    public init(random: () -> UInt64) {
        let key0 = random()
        self.init(key0: key0, key1: random())
    }

    /// M, the 4-microsecond timer at `now` (RFC 6528 §3), modulo 2^32.
    public static func timer(_ now: Instant) -> UInt32 {
        UInt32(truncatingIfNeeded: now.nanoseconds / 4000)
    }

    /// F: SipHash-2-4 of the 4-tuple under the secret, low 32 bits.
    public func offset(local: IPv4Address, localPort: UInt16, remote: IPv4Address, remotePort: UInt16) -> UInt32 {
        var hasher = SipHash24(key0: self.key0, key1: self.key1)
        hasher.combine(bigEndian: local.rawValue)
        hasher.combine(bigEndian: localPort)
        hasher.combine(bigEndian: remote.rawValue)
        hasher.combine(bigEndian: remotePort)
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    /// The TSval offset for a connection on this 4-tuple (RFC 7323 §7.1: timestamps should not reveal the
    /// uptime; Linux's `secure_tcp_ts_off`): SipHash-2-4 under the same secret of a domain tag ("TSOF") followed
    /// by the 4-tuple, low 32 bits. The tag makes it unrelated to F, so a TSval reveals nothing of the ISNs. One
    /// 4-tuple always gets the same offset, so TSvals keep increasing across its connections (RFC 6191).
    public func timestampOffset(local: TCPEndpoint, remote: TCPEndpoint) -> UInt32 {
        var hasher = SipHash24(key0: self.key0, key1: self.key1)
        hasher.combine(bigEndian: UInt32(0x5453_4F46))
        hasher.combine(bigEndian: local.address.rawValue)
        hasher.combine(bigEndian: local.port)
        hasher.combine(bigEndian: remote.address.rawValue)
        hasher.combine(bigEndian: remote.port)
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    /// The ISN for a connection on this 4-tuple started at `now`: M + F.
    public func next(
        local: IPv4Address, localPort: UInt16, remote: IPv4Address, remotePort: UInt16, now: Instant
    ) -> SequenceNumber {
        let f = self.offset(local: local, localPort: localPort, remote: remote, remotePort: remotePort)
        return SequenceNumber(rawValue: Self.timer(now) &+ f)
    }
}
