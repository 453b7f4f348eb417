/// The interface layer: one Ethernet port with one IPv4 address, driving ARP, IPv4, ICMPv4, UDP and TCP (smoltcp
/// `iface/interface/mod.rs`).
///
/// The interface drives, sockets wait, and time is an argument (docs/ARCHITECTURE.md §4; smoltcp's `Interface::poll`):
///
/// - ``Interface/poll(now:sockets:)`` reads at most ``InterfaceConfiguration/receiveBudget`` frames from the device
///   and processes each one to the end (ARP answered, echo replied, datagram queued on its socket), then emits what
///   is due: gratuitous ARP, ARP retries, and up to ``InterfaceConfiguration/sendBudget`` datagrams from the
///   sockets. ``Interface/pollIngress(now:sockets:limit:)`` and ``Interface/pollEgress(now:sockets:)`` are the two
///   halves, for callers that bound the work further.
/// - ``Interface/nextPollTime(now:sockets:)`` says when polling is next needed even if no frame arrives: `now` when
///   work is left over, the next ARP retry or announcement, or `nil` for "only when the device has a frame".
/// - The interface owns its device but not the sockets: the ``SocketSet`` (UDP, TCP, DHCP and DNS) is lent to each
///   poll, and to ``connectTCP(to:port:localPort:now:configuration:sockets:)`` and
///   ``listenTCP(port:backlog:configuration:connectionLimit:sockets:)``.
/// - It never reads a clock; every instant comes in as `now`.
/// - A full device transmit queue is back-pressure (``deviceQueueFull``): egress stops until the next poll, and a
///   TCP segment the device refused is not committed by its connection but built again later
///   (`Interface+TCP.swift`, docs/ARCHITECTURE.md §5).
///
/// One file per protocol holds the rest: `Interface+Ethernet.swift`, `Interface+ARP.swift`,
/// `Interface+IPv4.swift`, `Interface+ICMP.swift`, `Interface+UDP.swift`, `Interface+TCP.swift`, `Interface+DHCP.swift` (an address by
/// DHCP, ``Interface/startDHCP(random:sockets:)``). Malformed input at any layer is dropped
/// and counted in ``Interface/counters`` (``InterfaceCounters``); nothing a peer sends can make the interface trap
/// or allocate without bound.
import Runtime

/// How an ``Interface`` is set up and bounded.
public struct InterfaceConfiguration {
    /// The interface's address and prefix (`10.0.0.2/24`), or `nil` until one is known (DHCP).
    public var address: IPv4CIDR?
    /// The default gateway for destinations off the prefix; `nil` means on-link destinations only.
    public var gateway: IPv4Address?
    /// Time to Live of every datagram sent (RFC 1122 §3.2.1.7 "SHOULD" use the IANA default, 64, RFC 1700).
    public var timeToLive: UInt8 = 64
    /// ARP cache, retry and queue bounds.
    public var arp = ARPConfiguration()
    /// ICMP errors per second (RFC 1122 §3.2.2 asks to limit them; RFC 1812 §4.3.2.8 names the token bucket).
    public var icmpErrorRate = 10
    /// ICMP errors allowed in a burst.
    public var icmpErrorBurst = 10
    /// Frames read and processed per ``Interface/poll(now:sockets:)`` at most: the bound on ingress work.
    public var receiveBudget = 64
    /// Datagrams taken from sockets per poll at most: the bound on egress work.
    public var sendBudget = 64
    /// Datagrams to our own address waiting for the next poll (loopback) at most; more are dropped and counted
    /// (``IPv4Counters/loopbackDropped``).
    public var loopbackCapacity = 1024
    /// Received echo replies kept for ``Interface/takeEchoReply()``; the oldest is dropped beyond this.
    public var echoReplyCapacity = 8
    /// ARP probes sent for an address DHCP offers before it is used (RFC 5227 §2.1.1 PROBE_NUM, 3); 0 uses
    /// the address at once.
    public var dhcpProbes = 3

    /// A configuration with this address and gateway and the default bounds.
    public init(address: IPv4CIDR?, gateway: IPv4Address? = nil) {
        self.address = address
        self.gateway = gateway
    }
}

/// An echo reply that arrived for an echo request this interface sent
/// (``Interface/sendEchoRequest(to:identifier:sequenceNumber:payload:now:)``).
public struct ICMPEchoReply: Equatable {
    /// The replying host.
    public var source: IPv4Address
    /// Identifier, as sent.
    public var identifier: UInt16
    /// Sequence Number, as sent.
    public var sequenceNumber: UInt16
    /// The echoed data.
    public var payload: [UInt8]
    /// When it arrived.
    public var receivedAt: Instant
}

/// The hook through which IPv4 fragments reach a reassembler (RFC 791 §3.2 "Fragmentation and Reassembly";
/// RFC 1122 §3.3.2). Without one, ``Interface`` drops fragments and counts them
/// (``IPv4Counters/fragmentsDropped``).
///
/// A reassembler (the `IPv4Reassembler` state machine of `Sources/Net/Protocols`) plugs in with three closures;
/// the interface hands it every fragment that passed the IPv4 checks and is addressed to us, and calls `expire` on
/// each egress poll so that timed-out partial datagrams are freed.
public struct IPv4ReassemblyHook {
    /// Takes one fragment: its header and data bytes (borrowed for the call). Returns the whole datagram once the
    /// last missing fragment arrived: a header with MF clear, offset 0 and the whole payload length, and a buffer
    /// whose readable bytes are the reassembled payload. Returns `nil` while pieces are missing or when it drops
    /// the fragment (overlap, over-size, no room).
    public var accept:
        (_ header: IPv4Header, _ fragment: UnsafeRawBufferPointer, _ now: Instant) -> (IPv4Header, PacketBuffer)?
    /// Frees partial datagrams whose reassembly timer ran out by `now`.
    public var expire: (_ now: Instant) -> Void
    /// When `expire` next has work, or `nil`.
    public var nextDeadline: () -> Instant?

    public init(
        accept: @escaping (IPv4Header, UnsafeRawBufferPointer, Instant) -> (IPv4Header, PacketBuffer)?,
        expire: @escaping (Instant) -> Void, nextDeadline: @escaping () -> Instant?
    ) {
        self.accept = accept
        self.expire = expire
        self.nextDeadline = nextDeadline
    }
}

/// One network interface over a device.
public final class Interface<Device: NetworkDevice> {
    /// The device; the interface reads and writes it only inside polls and sends.
    public var device: Device
    /// The settings and bounds in force.
    public internal(set) var configuration: InterfaceConfiguration
    /// What happened so far, per layer.
    public internal(set) var counters = InterfaceCounters()
    /// Where fragments go; `nil` drops them (counted).
    public var reassembler: IPv4ReassemblyHook?

    var arpCache = ARPCache()
    var arpPending = ARPPendingQueue()
    var icmpErrorLimiter: TokenBucket
    var identification: UInt16 = 0
    var announcementsLeft = 0
    var nextAnnouncementAt: Instant? = nil
    var ingressBacklog = false
    /// The device refused a frame because its transmit queue was full, since the current half of the poll began:
    /// egress stops (TCP segments are not even built) until the next one looks again (back-pressure).
    var deviceQueueFull = false
    /// While the device's transmit queue stays full and the device cannot say when it has room
    /// (``NetworkDevice/transmitReadyTime(now:)`` is `nil`, as for every real device): how long the owner waits
    /// before polling egress again. Zero (poll again at once, as a sender filling a draining queue must to keep
    /// it busy) after an egress that sent frames; doubling from 10 µs to 1 ms per egress that found the queue
    /// full and sent nothing. Without it a queue that stayed full had the poll task poll again at once, in a loop,
    /// until the device drained (a spin that also starved the peer sharing the CPU).
    var transmitBackoff: Duration = .zero
    /// Datagrams whose next hop ARP resolved while the device's transmit queue was full, with that hop's MAC: sent,
    /// oldest first, before anything else at the next egress (`Interface+ARP.swift`); at most
    /// ``ARPConfiguration/pendingTotal``.
    var arpReleased: [(packet: PacketBuffer, mac: MACAddress)] = []
    var dispatchCursor = 0
    var echoReplies: [ICMPEchoReply] = []
    let receiveStorage: FrameStorage
    /// Datagrams sent to our own address, delivered by the next poll's ingress (`Interface+Loopback.swift`).
    var loopback: [[UInt8]] = []

    /// The DHCP lease in force (its address is ``address``), else `nil`.
    public internal(set) var lease: DHCPLease?
    /// Lease changes already applied, kept for the owner (``takeDHCPEvent()``); bounded.
    var dhcpEvents: [DHCPEvent] = []

    /// An interface over `device` with `configuration`; when it has an address, the first poll announces it.
    public init(device: Device, configuration: InterfaceConfiguration) {
        self.device = device
        self.configuration = configuration
        self.icmpErrorLimiter = TokenBucket(rate: configuration.icmpErrorRate, burst: configuration.icmpErrorBurst)
        self.receiveStorage = FrameStorage(byteCount: device.maximumReceiveFrameLength)
        if configuration.address != nil { self.scheduleAnnouncements() }
    }

    /// The device's MAC address.
    public var mac: MACAddress { self.device.mac }
    /// The interface's address and prefix, if configured.
    public var address: IPv4CIDR? { self.configuration.address }
    /// The default gateway, if any.
    public var gateway: IPv4Address? { self.configuration.gateway }

    /// Changes the address and gateway (a DHCP lease, or none): the ARP cache and queue are cleared, and a new
    /// address is announced at the next poll.
    public func setAddress(_ address: IPv4CIDR?, gateway: IPv4Address?) {
        self.configuration.address = address
        self.configuration.gateway = gateway
        self.arpCache.removeAll()
        self.counters.arp.pendingDropped += self.arpReleased.count
        self.arpReleased.removeAll()
        while let destination = self.arpPending.destinations.first {
            self.counters.arp.pendingDropped += self.arpPending.remove(destination.address).count
        }
        self.announcementsLeft = 0
        self.nextAnnouncementAt = nil
        if address != nil { self.scheduleAnnouncements() }
    }

    /// Processes received frames and emits due output; returns whether anything was done.
    ///
    /// At most ``InterfaceConfiguration/receiveBudget`` frames and ``InterfaceConfiguration/sendBudget`` socket
    /// datagrams per call; ``nextPollTime(now:sockets:)`` returns `now` while work is left.
    @discardableResult
    public func poll(now: Instant, sockets: inout SocketSet) -> Bool {
        let received = self.pollIngress(now: now, sockets: &sockets, limit: self.configuration.receiveBudget)
        let sent = self.pollEgress(now: now, sockets: &sockets)
        return received + sent > 0
    }

    /// Reads and processes at most `limit` frames; returns how many were read.
    @discardableResult
    public func pollIngress(now: Instant, sockets: inout SocketSet, limit: Int) -> Int {
        var count = self.deliverLoopback(now: now, sockets: &sockets, limit: limit)
        let buffer = self.receiveStorage.bytes
        self.ingressBacklog = false
        self.deviceQueueFull = false
        var metadata = NetFrameMetadata.none
        while count < limit {
            let length: Int
            do throws(NetworkDeviceError) {
                length = try self.device.receive(into: buffer, metadata: &metadata, now: now)
            } catch .again {
                return count
            } catch {
                self.counters.ethernet.deviceErrors += 1
                return count
            }
            count += 1
            guard length >= 0, length <= buffer.count else {
                self.counters.ethernet.deviceErrors += 1
                continue
            }
            if metadata.segmentSize > 0 { self.counters.ethernet.coalesced += 1 }
            self.processFrame(
                UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length]), checksumTrusted: metadata.checksumTrusted,
                now: now, sockets: &sockets)
        }
        self.ingressBacklog = true
        return count
    }

    /// Emits what is due: ARP announcements and retries (and give-ups), reassembly expiry, then up to
    /// ``InterfaceConfiguration/sendBudget`` datagrams from the sockets. Returns the number of datagrams taken from
    /// sockets plus ARP packets sent. Once the device's transmit queue is found full, no more datagrams are taken:
    /// what TCP has due waits in its connections, with nothing committed, until a later poll finds room.
    @discardableResult
    public func pollEgress(now: Instant, sockets: inout SocketSet) -> Int {
        self.deviceQueueFull = false
        let sentBefore = self.counters.ethernet.sent
        var work = self.sendReleased(now: now)
        work += self.pollARP(now: now)
        work += self.pollDHCP(now: now, sockets: &sockets)
        self.reassembler?.expire(now)
        // DNS queries, through the hook the first resolve installed (no resolver code otherwise); their queries go
        // out with the UDP sockets' datagrams just below.
        if let pollDNS = sockets.dnsPoll { pollDNS(&sockets, now) }
        work += self.dispatchUDP(now: now, sockets: &sockets, limit: self.configuration.sendBudget)
        work += self.dispatchTCP(now: now, sockets: &sockets, limit: self.configuration.sendBudget)
        if self.deviceQueueFull && self.counters.ethernet.sent == sentBefore {
            // Full from the start: nothing moved, so wait longer before looking again.
            let doubled = self.transmitBackoff * 2
            self.transmitBackoff = Swift.min(Swift.max(doubled, .microseconds(10)), .milliseconds(1))
        } else {
            // Room, or the device took frames before it filled: it is draining, so look again at once.
            self.transmitBackoff = .zero
        }
        return work
    }

    /// When the interface must be polled next even if no frame arrives: `now` when work was left for lack of
    /// budget, a loopback datagram waits, or a socket has a datagram to send, else the next ARP retry,
    /// announcement, reassembly expiry, DHCP (re)transmission, T1, T2, lease expiry, address probe step, DNS retry
    /// or TCP deadline, else `nil`. While the device's transmit queue is full, output that is due (TCP segments, socket
    /// datagrams, datagrams ARP released) waits for ``NetworkDevice/transmitReadyTime(now:)`` when the device can
    /// tell (a simulated link), else for the backoff (`transmitBackoff`): `now` only after an egress that sent
    /// frames, then 10 µs doubling to 1 ms while egress sends nothing, so a queue that stays full does not make
    /// the owner poll in a loop.
    public func nextPollTime(now: Instant, sockets: SocketSet) -> Instant? {
        if self.ingressBacklog || !self.loopback.isEmpty { return now }
        let blockedUntil: Instant? =
            self.deviceQueueFull
            ? Swift.max(self.device.transmitReadyTime(now: now) ?? now + self.transmitBackoff, now) : nil
        var output: Instant? = nil
        if sockets.hasPendingSend || !self.arpReleased.isEmpty { output = now }
        if let due = sockets.tcp.pollAt(now: now), output == nil || due < output! { output = due }
        if let blockedUntil, let due = output, due <= now { output = blockedUntil }
        if let due = output, due <= now { return now }
        var earliest: Instant? = self.nextAnnouncementAt
        let dhcp = self.nextDHCPTime(sockets: sockets)
        let dns = sockets.nextDNSTime
        for candidate in [self.arpPending.nextDeadline, self.reassembler?.nextDeadline(), dhcp, dns, output] {
            if let candidate, earliest == nil || candidate < earliest! { earliest = candidate }
        }
        if let value = earliest, value < now { return now }
        return earliest
    }

    /// The cached MAC address of `address` if its entry is valid at `now` (for diagnostics and tests).
    public func neighbor(_ address: IPv4Address, now: Instant) -> MACAddress? {
        self.arpCache.lookup(address, now: now)
    }

    /// Entries in the ARP cache, valid or expired but not yet removed.
    public var neighborCount: Int { self.arpCache.entries.count }

    /// Datagrams waiting for ARP resolution.
    public var pendingResolutionCount: Int { self.arpPending.totalPackets }

    func scheduleAnnouncements() {
        self.announcementsLeft = self.configuration.arp.announcements
        self.nextAnnouncementAt = self.announcementsLeft > 0 ? Instant(nanoseconds: 0) : nil
    }
}

/// A frame-sized receive buffer the interface owns for its lifetime.
final class FrameStorage {
    let bytes: UnsafeMutableRawBufferPointer

    init(byteCount: Int) {
        self.bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(byteCount, 1), alignment: 16)
        self.bytes.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        self.bytes.deallocate()
    }
}
