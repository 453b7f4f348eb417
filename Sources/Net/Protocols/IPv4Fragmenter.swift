/// Splits a datagram too big for the link into fragments (RFC 791 §3.2 "Fragmentation and Reassembly", the
/// "fragmentation procedure"; RFC 791 §3.1 "Fragment Offset" counts 8-octet units).
///
/// Zero-copy: the fragmenter only computes each fragment's header and which bytes of the original payload it
/// carries. The interface then, per fragment, copies ``IPv4Fragment/payloadRange`` of the payload into a frame
/// and emits ``IPv4Fragment/header`` in front of it (``IPv4Header/emit(into:fillingChecksum:)``).
///
/// Each fragment but the last carries `(mtu - 20)` rounded down to a multiple of 8 bytes, with MF set; the last
/// keeps the original MF (clear for a datagram the host originates). All fragments keep the identification,
/// protocol, addresses, TTL and DSCP/ECN of the original. The caller picks an identification unique for the
/// (source, destination, protocol) while fragments may live (RFC 6864 §4.1: atomic datagrams may reuse it,
/// fragmented ones may not).
///
/// ```swift
/// var reply = IPv4Header(source: me, destination: peer, nextProtocol: .icmp, payloadLength: 3008,
///                        identification: nextID, dontFragment: false)
/// for fragment in IPv4Fragmenter(header: reply, mtu: 1500)! { /* 1480 + 1480 + 48 bytes */ }
/// ```
public struct IPv4Fragmenter: Sequence {
    /// The original datagram's header (``IPv4Header/payloadLength`` is the whole payload).
    public let header: IPv4Header
    /// The link MTU: the largest IP datagram, header included, a frame may carry.
    public let mtu: Int
    /// The data bytes in every fragment but the last: `(mtu - 20)` rounded down to a multiple of 8.
    public let fragmentPayloadLength: Int

    /// The smallest MTU every IPv4 link has (RFC 791 §3.2: "Every internet module must be able to forward a
    /// datagram of 68 octets without further fragmentation").
    public static let minimumMTU = 68

    /// A fragmenter for `header`'s datagram over a link of `mtu` bytes.
    ///
    /// - Returns: `nil` when the datagram must be fragmented but ``IPv4Header/dontFragment`` is set (RFC 791
    ///   §3.2: it "must not be fragmented"; the caller clears DF, or reports "fragmentation needed"), when
    ///   `mtu` is below ``minimumMTU``, or when the datagram is longer than 65535 bytes.
    public init?(header: IPv4Header, mtu: Int) {
        guard mtu >= Self.minimumMTU, header.totalLength <= Int(UInt16.max), header.payloadLength >= 0 else {
            return nil
        }
        if header.totalLength > mtu && header.dontFragment { return nil }
        self.header = header
        self.mtu = mtu
        self.fragmentPayloadLength = (mtu - header.headerLength) & ~7
    }

    /// The number of fragments: 1 when the datagram fits the MTU as it is.
    public var count: Int {
        if self.header.totalLength <= self.mtu { return 1 }
        return (self.header.payloadLength + self.fragmentPayloadLength - 1) / self.fragmentPayloadLength
    }

    /// The fragment at `index`.
    ///
    /// - Precondition: `0 ≤ index < count`.
    public func fragment(at index: Int) -> IPv4Fragment {
        precondition(index >= 0 && index < self.count, "fragment index out of range")
        if self.header.totalLength <= self.mtu {
            return IPv4Fragment(header: self.header, payloadRange: 0..<self.header.payloadLength)
        }
        let start = index * self.fragmentPayloadLength
        let end = Swift.min(start + self.fragmentPayloadLength, self.header.payloadLength)
        var fragment = self.header
        fragment.payloadLength = end - start
        fragment.fragmentOffset = self.header.fragmentOffset + UInt16(start)
        fragment.moreFragments = index < self.count - 1 || self.header.moreFragments
        return IPv4Fragment(header: fragment, payloadRange: start..<end)
    }

    /// Fragments in order of offset.
    public struct Iterator: IteratorProtocol {
        let fragmenter: IPv4Fragmenter
        var index = 0

        public mutating func next() -> IPv4Fragment? {
            guard self.index < self.fragmenter.count else { return nil }
            defer { self.index += 1 }
            return self.fragmenter.fragment(at: self.index)
        }
    }

    public func makeIterator() -> Iterator { Iterator(fragmenter: self) }
}

/// One fragment to send: its header and the slice of the original payload it carries.
public struct IPv4Fragment: Equatable, CustomStringConvertible {
    /// The fragment's header: the original's, with this fragment's length, offset and MF.
    public var header: IPv4Header
    /// The bytes of the original payload this fragment carries.
    public var payloadRange: Range<Int>

    /// A fragment of these parts.
    public init(header: IPv4Header, payloadRange: Range<Int>) {
        self.header = header
        self.payloadRange = payloadRange
    }

    public var description: String {
        "fragment \(self.payloadRange.lowerBound)..<\(self.payloadRange.upperBound): \(self.header)"
    }
}
