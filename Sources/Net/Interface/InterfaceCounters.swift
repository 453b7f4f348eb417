/// Per-layer counters of an ``Interface``: what was received, sent, and dropped for which reason.
///
/// Every dropped frame or datagram is counted in exactly one `dropped`/error counter of the layer that dropped it
/// (smoltcp §3: the interface drops and counts; it never reports a packet's fault to anyone). The
/// ``InterfaceCounters/description`` is one line, so an app can print it periodically.

/// The device and Ethernet layer (IEEE 802.3; RFC 894).
public struct EthernetCounters: Equatable, Sendable {
    /// Frames read from the device.
    public var received = 0
    /// Frames handed to the device.
    public var sent = 0
    /// Frames shorter than the 14-byte header.
    public var malformed = 0
    /// Frames addressed to another unicast MAC.
    public var notForUs = 0
    /// Frames of an EtherType the stack does not handle (IPv6, VLAN, ...).
    public var unknownType = 0
    /// Frames dropped because the device's transmit queue was full (UDP, ICMP, ARP; TCP segments are deferred).
    public var transmitQueueFull = 0
    /// TCP segments the device refused because its transmit queue was full: not lost, the connection committed
    /// nothing and sent them again once the device had room (back-pressure).
    public var transmitDeferred = 0
    /// Failed device calls (receive or transmit).
    public var deviceErrors = 0
    /// Frames received that carry several TCP segments' data, coalesced by the device (``NetOffloads/receiveSegmentation``).
    public var coalesced = 0
    /// TCP frames sent larger than the MTU, for the device to segment (``NetOffloads/transmitSegmentation``).
    public var segmentationOffloads = 0
}

/// ARP (RFC 826, RFC 5227).
public struct ARPCounters: Equatable, Sendable {
    /// Well-formed ARP packets received.
    public var received = 0
    /// Requests sent (including gratuitous announcements).
    public var requestsSent = 0
    /// Unicast requests sent to refresh a cache entry in use before it expired.
    public var refreshes = 0
    /// Replies sent to requests for our address (probes included).
    public var repliesSent = 0
    /// Of those, replies to RFC 5227 probes (sender 0.0.0.0) for our address.
    public var probesAnswered = 0
    /// Too short, wrong hardware/protocol type or address lengths.
    public var malformed = 0
    /// Packets that claimed our own address from another MAC (RFC 5227 §2.4 conflict).
    public var conflicts = 0
    /// Cache entries evicted to make room.
    public var evictions = 0
    /// Datagrams not queued because their address already had its share of the pending queue.
    public var pendingOverflows = 0
    /// Queued datagrams dropped, with the oldest unresolved address, to make room for another address's.
    public var pendingEvicted = 0
    /// Addresses given up on after the last request went unanswered.
    public var unresolved = 0
    /// Datagrams dropped with a given-up queue.
    public var pendingDropped = 0
}

/// IPv4 (RFC 791, RFC 1122 §3.2.1).
public struct IPv4Counters: Equatable, Sendable {
    /// Datagrams accepted for us.
    public var received = 0
    /// Datagrams sent (or queued for ARP).
    public var sent = 0
    /// Bad version, lengths or IHL.
    public var malformed = 0
    /// Bad header checksum.
    public var checksumErrors = 0
    /// Addressed to someone else.
    public var notForUs = 0
    /// Source address that no host may use (broadcast, multicast), or our own address arriving from the link.
    public var badSource = 0
    /// Fragments dropped because no reassembler is installed.
    public var fragmentsDropped = 0
    /// Datagrams completed by the reassembler.
    public var reassembled = 0
    /// Fragments sent for datagrams longer than the MTU.
    public var fragmentsSent = 0
    /// Protocols other than ICMP and UDP.
    public var unknownProtocol = 0
    /// Datagrams not sent: no address configured, off-link without a gateway.
    public var noRoute = 0
    /// Datagrams to our own address delivered through loopback.
    public var loopback = 0
    /// Datagrams to our own address dropped because the loopback queue was full.
    public var loopbackDropped = 0
}

/// ICMPv4 (RFC 792, RFC 1122 §3.2.2).
public struct ICMPCounters: Equatable, Sendable {
    /// Well-formed messages received.
    public var received = 0
    /// Messages sent (echo replies, errors, echo requests).
    public var sent = 0
    /// Echo requests answered.
    public var echoRequests = 0
    /// Echo replies received.
    public var echoReplies = 0
    /// Errors received (destination unreachable, time exceeded, ...).
    public var errorsReceived = 0
    /// Errors sent (port and protocol unreachable).
    public var errorsSent = 0
    /// Errors not sent because of the rate limit.
    public var rateLimited = 0
    /// Too short or malformed.
    public var malformed = 0
    /// Bad checksum.
    public var checksumErrors = 0
    /// Echo requests to a broadcast address, left unanswered (RFC 1122 §3.2.2.6 allows it).
    public var broadcastEchoIgnored = 0
    /// Types the stack does not handle (timestamp, redirect, ...).
    public var unsupported = 0
}

/// UDP (RFC 768).
public struct UDPCounters: Equatable, Sendable {
    /// Datagrams delivered to a socket.
    public var received = 0
    /// Datagrams sent.
    public var sent = 0
    /// Bad lengths or port 0.
    public var malformed = 0
    /// Bad checksum.
    public var checksumErrors = 0
    /// No socket bound to the destination port.
    public var noSocket = 0
    /// Dropped because the socket's receive queue was full.
    public var queueOverflows = 0
    /// Not sent: larger than the MTU allows (there is no fragmentation).
    public var tooLarge = 0
}

/// DHCP (RFC 2131) and the ARP probe of offered addresses (RFC 5227), while the address comes from DHCP.
public struct DHCPCounters: Equatable, Sendable {
    /// Messages sent (DISCOVER, REQUEST, DECLINE, RELEASE).
    public var sent = 0
    /// Messages on port 68 handed to the client (it may still ignore them: wrong xid, state, ...).
    public var received = 0
    /// Datagrams on port 68 that did not parse as DHCP, or did not come from port 67.
    public var malformed = 0
    /// Leases bound (the address was applied).
    public var bound = 0
    /// Leases renewed or rebound with the same address.
    public var renewed = 0
    /// Leases lost (expiry, NAK) or given back.
    public var lost = 0
    /// Offered addresses declined because an ARP probe found them in use.
    public var declined = 0
    /// ARP probes sent.
    public var probesSent = 0
}

/// All of an ``Interface``'s counters.
public struct InterfaceCounters: Equatable, CustomStringConvertible, Sendable {
    public var ethernet = EthernetCounters()
    public var arp = ARPCounters()
    public var ipv4 = IPv4Counters()
    public var icmp = ICMPCounters()
    public var udp = UDPCounters()
    /// Only while the address comes from DHCP; `description` shows them once a message was sent.
    public var dhcp = DHCPCounters()
    /// The TCP layer's own counts (a snapshot of ``TCPSocketSet/counters`` where the owner fills it in, as
    /// ``NetworkStack/counters`` does); `description` shows TCP once a segment went either way.
    public var tcp = TCPCounters()
    /// Every TCP connection's counts summed (``TCPSocketSet/connectionTotals``), filled in with ``tcp``.
    public var tcpConnections = TCPConnectionCounters()

    public init() {}

    /// One line, e.g. `eth rx=12 tx=9 drop=0 | arp rx=2 req=1 rep=1 drop=0 | ip rx=10 tx=8 drop=0 csum=0 | ...`.
    ///
    /// `drop` sums every drop reason of the layer; the fields give the details.
    public var description: String {
        let e = self.ethernet
        let a = self.arp
        let i = self.ipv4
        let c = self.icmp
        let u = self.udp
        let ethernetDrops = e.malformed + e.notForUs + e.unknownType + e.transmitQueueFull + e.deviceErrors
        let arpDrops = a.malformed + a.conflicts + a.pendingOverflows + a.pendingDropped + a.pendingEvicted
        let ipDrops = i.malformed + i.notForUs + i.badSource + i.fragmentsDropped + i.unknownProtocol + i.noRoute
            + i.loopbackDropped
        let icmpDrops = c.malformed + c.broadcastEchoIgnored + c.unsupported
        let udpDrops = u.malformed + u.noSocket + u.queueOverflows + u.tooLarge
        // One call per field, not string interpolation: each interpolated segment is inlined at its call site,
        // and this line has fifty (9 KiB of code before, docs/BENCHMARKS.md footprint).
        var text = ""
        Self.field(&text, "eth rx=", e.received)
        Self.field(&text, " tx=", e.sent)
        Self.field(&text, " drop=", ethernetDrops)
        if e.transmitDeferred > 0 { Self.field(&text, " deferred=", e.transmitDeferred) }
        if e.coalesced + e.segmentationOffloads > 0 {
            Self.field(&text, " gro=", e.coalesced)
            Self.field(&text, " tso=", e.segmentationOffloads)
        }
        Self.field(&text, " | arp rx=", a.received)
        Self.field(&text, " req=", a.requestsSent)
        Self.field(&text, " rep=", a.repliesSent)
        Self.field(&text, " drop=", arpDrops)
        Self.field(&text, " unresolved=", a.unresolved)
        Self.field(&text, " | ip rx=", i.received)
        Self.field(&text, " tx=", i.sent)
        Self.field(&text, " drop=", ipDrops)
        Self.field(&text, " csum=", i.checksumErrors)
        Self.field(&text, " | icmp rx=", c.received)
        Self.field(&text, " tx=", c.sent)
        Self.field(&text, " echo=", c.echoRequests)
        Self.field(&text, " err=", c.errorsSent)
        Self.field(&text, " limited=", c.rateLimited)
        Self.field(&text, " drop=", icmpDrops)
        Self.field(&text, " csum=", c.checksumErrors)
        Self.field(&text, " | udp rx=", u.received)
        Self.field(&text, " tx=", u.sent)
        Self.field(&text, " noport=", u.noSocket)
        Self.field(&text, " overflow=", u.queueOverflows)
        Self.field(&text, " drop=", udpDrops)
        Self.field(&text, " csum=", u.checksumErrors)
        let d = self.dhcp
        if d.sent > 0 {
            Self.field(&text, " | dhcp tx=", d.sent)
            Self.field(&text, " rx=", d.received)
            Self.field(&text, " bound=", d.bound)
            Self.field(&text, " renewed=", d.renewed)
            Self.field(&text, " lost=", d.lost)
            Self.field(&text, " declined=", d.declined)
            Self.field(&text, " drop=", d.malformed)
        }
        let t = self.tcp
        let k = self.tcpConnections
        if t.sent + t.received + t.malformed + t.checksumErrors > 0 {
            let tcpDrops = t.malformed + t.noSocket + t.synDropped + k.dropped
            Self.field(&text, " | tcp rx=", t.received)
            Self.field(&text, " tx=", t.sent)
            Self.field(&text, " retx=", k.retransmits)
            Self.field(&text, " rto=", k.timeouts)
            Self.field(&text, " fastretx=", k.fastRetransmits)
            Self.field(&text, " dupack=", k.duplicateAcks)
            Self.field(&text, " rstin=", k.resetsReceived)
            Self.field(&text, " rstout=", k.resetsSent + t.resetsSent)
            Self.field(&text, " challenge=", k.challengeAcks)
            Self.field(&text, " syndrop=", t.synDropped)
            if t.connectionsRefused > 0 { Self.field(&text, " refused=", t.connectionsRefused) }
            if k.zeroWindowAborts > 0 { Self.field(&text, " zwabort=", k.zeroWindowAborts) }
            Self.field(&text, " drop=", tcpDrops)
            Self.field(&text, " csum=", t.checksumErrors)
        }
        return text
    }

    /// Appends `label` and `value` in decimal to `text`.
    @inline(never)
    private static func field(_ text: inout String, _ label: StaticString, _ value: Int) {
        label.withUTF8Buffer { text.append(String(decoding: $0, as: UTF8.self)) }
        text.append(String(value))
    }
}
