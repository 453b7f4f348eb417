import Runtime

/// A DHCP client, a pure state machine (RFC 2131 §4.4 "DHCP client behavior", Figure 5).
///
/// Read first: RFC 2131 §4.1 (retransmission, xid, BROADCAST flag), §4.3.6 Table 5 (what each REQUEST carries),
/// §4.4.1 (SELECTING/REQUESTING), §4.4.5 (T1, T2, RENEWING, REBINDING), RFC 2132 (options).
///
/// ```
///  INIT ─DISCOVER─▶ SELECTING ─OFFER, REQUEST─▶ REQUESTING ─ACK─▶ BOUND ─T1─▶ RENEWING ─T2─▶ REBINDING
///   ▲                                             │ NAK, no reply   ▲           │ ACK          │ ACK
///   ├─────────────────────────────────────────────┘                 └───────────┴──────────────┘
///   └─────────────── NAK (RENEWING, REBINDING), lease expiry ──────────────────────────────────┘
/// ```
///
/// The interface drives it and owns the sockets and the clock (smoltcp's shape):
///
/// - ``poll(now:)`` returns what to send now, if anything, with its IP source and destination; the interface
///   wraps it in UDP from port 68 to 67 (``DHCPPacket/clientPort``, ``DHCPPacket/serverPort``).
/// - ``handle(_:now:)`` takes every DHCP message that arrived on port 68 (parsed with
///   ``DHCPMessage/init(parsing:)``); replies with another xid or chaddr, or out of place, are ignored.
/// - ``nextEvent()`` hands out what the interface must apply: ``DHCPEvent/bound(_:)`` (configure the address,
///   route and DNS servers), ``DHCPEvent/renewed(_:)`` (new times, same address), ``DHCPEvent/lost(_:)`` (remove
///   the address).
/// - ``nextPollTime`` says when to call ``poll(now:)`` again.
///
/// Timing. SELECTING and REQUESTING retransmit after 4, 8, 16, 32, then 64 s, each randomised by ±1 s (RFC 2131
/// §4.1); REQUESTING gives up after ``maximumRequests`` tries and starts over (§4.4.1). The first DISCOVER
/// goes out at once: the optional 1–10 s desynchronising wait of §4.4.1 is the caller's choice. RENEWING and
/// REBINDING retransmit after half the time left until T2 (resp. lease expiry), at least 60 s (§4.4.5). T1 and
/// T2 default to 0.5 and 0.875 of the lease (§4.4.5) and are replaced by these defaults unless
/// T1 < T2 ≤ lease. Lease times count from when the REQUEST that earned them was first sent (§4.4.1).
///
/// ``release(now:)`` gives the lease back (DHCPRELEASE) and stops the client until ``restart()``. The interface
/// should ARP-probe a new address before using it (RFC 2131 §4.4.1 "SHOULD", RFC 5227) and call
/// ``decline(now:)`` if someone answers.
///
/// Not done: INIT-REBOOT, DHCPINFORM, client identifiers, collecting several offers (the first acceptable one
/// wins), Option Overload.
public struct DHCPClient {
    /// The states of RFC 2131 Figure 5 this client uses.
    public enum State: Equatable, CustomStringConvertible, Sendable {
        case initial, selecting, requesting, bound, renewing, rebinding
        /// After ``DHCPClient/release(now:)``: nothing is sent until ``DHCPClient/restart()``.
        case stopped

        public var description: String {
            switch self {
            case .initial: "INIT"
            case .selecting: "SELECTING"
            case .requesting: "REQUESTING"
            case .bound: "BOUND"
            case .renewing: "RENEWING"
            case .rebinding: "REBINDING"
            case .stopped: "STOPPED"
            }
        }
    }

    /// REQUEST transmissions in REQUESTING before starting over (4 + 8 + 16 + 32 s ≈ one minute of waiting).
    public static let maximumRequests = 4
    /// The wait after a DECLINE before the next DISCOVER (RFC 2131 §3.1 step 5).
    public static let declineBackoff: Duration = .seconds(10)
    /// The minimum retransmission interval in RENEWING and REBINDING (RFC 2131 §4.4.5).
    public static let minimumRenewalInterval: Duration = .seconds(60)
    /// Parameters asked for (option 55): subnet mask, router, DNS servers, lease time, T1, T2.
    public static let parameterRequestList: [UInt8] = [
        DHCPOptionCode.subnetMask, DHCPOptionCode.router, DHCPOptionCode.domainNameServer,
        DHCPOptionCode.leaseTime, DHCPOptionCode.renewalTime, DHCPOptionCode.rebindingTime,
    ]
    /// The largest DHCP message this client accepts (option 57): a 1500-byte IP datagram.
    public static let maximumMessageSize: UInt16 = 1500

    /// The client's MAC address (chaddr).
    public let hardwareAddress: MACAddress
    /// Whether DISCOVER and REQUEST in SELECTING/REQUESTING set the BROADCAST flag, so that replies come to the
    /// broadcast address while the interface has no address (RFC 2131 §4.1).
    public let requestsBroadcastReplies: Bool
    private let random: () -> UInt64

    /// The current state.
    public private(set) var state: State = .initial
    /// The lease held (BOUND, RENEWING, REBINDING), else `nil`.
    public private(set) var lease: DHCPLease?
    /// Replies dropped: wrong xid, chaddr or op, unexpected in this state, or lacking what they must carry.
    public private(set) var ignored = 0

    private var transactionID: UInt32 = 0
    /// When this exchange began (secs counts from it).
    private var exchangeStart = Instant(nanoseconds: 0)
    /// secs of the last DISCOVER; the REQUEST repeats it (RFC 2131 §4.4.1).
    private var discoverSeconds: UInt16 = 0
    private var transmissions = 0
    private var nextTransmission = Instant(nanoseconds: 0)
    /// When the first REQUEST of this exchange went out: lease times count from it.
    private var requestSent: Instant?
    private var offeredAddress = IPv4Address.unspecified
    private var offeringServer = IPv4Address.unspecified
    private var events: [DHCPEvent] = []
    /// INIT waits until then before the DISCOVER (after a DECLINE, RFC 2131 §3.1 step 5).
    private var restartTime = Instant(nanoseconds: 0)

    /// A client in INIT; the first ``poll(now:)`` sends a DISCOVER.
    ///
    /// - Parameters:
    ///   - hardwareAddress: the interface's MAC address.
    ///   - requestsBroadcastReplies: set the BROADCAST flag while unconfigured (default `true`).
    ///   - random: uniformly random 64-bit values for xids and retransmission jitter (in production
    ///     `Entropy.next`; in tests a seeded generator).
    public init(hardwareAddress: MACAddress, requestsBroadcastReplies: Bool = true, random: @escaping () -> UInt64) {
        self.hardwareAddress = hardwareAddress
        self.requestsBroadcastReplies = requestsBroadcastReplies
        self.random = random
    }

    /// When ``poll(now:)`` has something to do next: a (re)transmission, T1, T2 or the lease's end. In INIT it is
    /// the distant past (poll now).
    public var nextPollTime: Instant {
        switch self.state {
        case .initial: return self.restartTime
        case .selecting, .requesting: return self.nextTransmission
        case .bound: return Swift.min(self.lease!.renewalTime, self.lease!.rebindingTime, self.lease!.expiry)
        case .renewing: return Swift.min(self.nextTransmission, self.lease!.rebindingTime, self.lease!.expiry)
        case .rebinding: return Swift.min(self.nextTransmission, self.lease!.expiry)
        case .stopped: return .distantFuture
        }
    }

    /// The next event for the interface to apply, oldest first; `nil` when there is none.
    public mutating func nextEvent() -> DHCPEvent? {
        self.events.isEmpty ? nil : self.events.removeFirst()
    }

    /// Advances timers to `now` and returns the message to send now, if any.
    public mutating func poll(now: Instant) -> DHCPTransmission? {
        while true {
            switch self.state {
            case .stopped:
                return nil
            case .initial:
                guard now >= self.restartTime else { return nil }
                self.begin(.selecting, now: now)
            case .selecting:
                guard now >= self.nextTransmission else { return nil }
                self.discoverSeconds = self.secondsSinceStart(now)
                var discover = self.message(.discover)
                discover.seconds = self.discoverSeconds
                discover.broadcast = self.requestsBroadcastReplies
                self.scheduleBackoff(now)
                return DHCPTransmission(message: discover, source: .unspecified, destination: .broadcast)
            case .requesting:
                guard now >= self.nextTransmission else { return nil }
                if self.transmissions >= Self.maximumRequests {
                    self.state = .initial
                    continue
                }
                var request = self.message(.request)
                request.seconds = self.discoverSeconds
                request.broadcast = self.requestsBroadcastReplies
                request.requestedAddress = self.offeredAddress
                request.serverIdentifier = self.offeringServer
                if self.requestSent == nil { self.requestSent = now }
                self.scheduleBackoff(now)
                return DHCPTransmission(message: request, source: .unspecified, destination: .broadcast)
            case .bound:
                let lease = self.lease!
                if now >= lease.expiry {
                    self.loseLease()
                } else if now >= lease.rebindingTime {
                    self.begin(.rebinding, now: now)
                } else if now >= lease.renewalTime {
                    self.begin(.renewing, now: now)
                } else {
                    return nil
                }
            case .renewing, .rebinding:
                let lease = self.lease!
                if now >= lease.expiry {
                    self.loseLease()
                    continue
                }
                if self.state == .renewing && now >= lease.rebindingTime {
                    self.begin(.rebinding, now: now)
                    continue
                }
                guard now >= self.nextTransmission else { return nil }
                var request = self.message(.request)
                request.seconds = self.secondsSinceStart(now)
                request.clientAddress = lease.address.address
                if self.requestSent == nil { self.requestSent = now }
                // RFC 2131 §4.4.5: wait half the time left until T2 (RENEWING) or expiry (REBINDING), ≥ 60 s.
                let end = self.state == .renewing ? lease.rebindingTime : lease.expiry
                self.nextTransmission = now + Swift.max((end - now) / 2, Self.minimumRenewalInterval)
                let destination = self.state == .renewing ? lease.server : IPv4Address.broadcast
                return DHCPTransmission(message: request, source: lease.address.address, destination: destination)
            }
        }
    }

    /// Takes a DHCP message that arrived for the client (UDP port 68) at `now`.
    ///
    /// Only BOOTREPLYs with the current xid and this client's chaddr count (RFC 2131 §4.4.1). SELECTING takes the
    /// first OFFER of a unicast address with a Server Identifier; REQUESTING, RENEWING and REBINDING take an ACK
    /// (with a lease time and, in REQUESTING, from the chosen server) or a NAK. Everything else is counted in
    /// ``ignored``.
    public mutating func handle(_ message: DHCPMessage, now: Instant) {
        guard message.operation == .reply, message.transactionID == self.transactionID,
            message.clientHardwareAddress == self.hardwareAddress
        else { return self.ignore() }
        switch (self.state, message.messageType) {
        case (.selecting, .offer):
            guard message.yourAddress.isUnicast, let server = message.serverIdentifier else { return self.ignore() }
            self.offeredAddress = message.yourAddress
            self.offeringServer = server
            self.state = .requesting
            self.transmissions = 0
            self.nextTransmission = now
            self.requestSent = nil
        case (.requesting, .ack):
            if let server = message.serverIdentifier, server != self.offeringServer { return self.ignore() }
            guard let lease = self.lease(from: message) else { return self.ignore() }
            self.lease = lease
            self.state = .bound
            self.events.append(.bound(lease))
        case (.renewing, .ack), (.rebinding, .ack):
            guard let lease = self.lease(from: message) else { return self.ignore() }
            let old = self.lease!
            self.lease = lease
            self.state = .bound
            if lease.address == old.address {
                self.events.append(.renewed(lease))
            } else {
                self.events.append(.lost(old))
                self.events.append(.bound(lease))
            }
        case (.requesting, .nak):
            if let server = message.serverIdentifier, server != self.offeringServer { return self.ignore() }
            self.state = .initial
        case (.renewing, .nak), (.rebinding, .nak):
            self.loseLease()
        default:
            self.ignore()
        }
    }

    /// Gives the lease back (RFC 2131 §4.4.6) and stops: returns the DHCPRELEASE to send, unicast to the server,
    /// and queues ``DHCPEvent/lost(_:)``. Without a lease it only stops. Nothing is retransmitted: a lost
    /// RELEASE just lets the lease run out at the server.
    public mutating func release(now: Instant) -> DHCPTransmission? {
        defer { self.state = .stopped }
        guard let lease = self.lease else { return nil }
        // RFC 2131 §4.3.6 Table 5: ciaddr, a new xid, secs 0, Server Identifier; no request list or size.
        self.transactionID = UInt32(truncatingIfNeeded: self.random())
        var release = DHCPMessage(
            operation: .request, messageType: .release, transactionID: self.transactionID,
            clientHardwareAddress: self.hardwareAddress)
        release.clientAddress = lease.address.address
        release.serverIdentifier = lease.server
        self.lease = nil
        self.events.append(.lost(lease))
        return DHCPTransmission(message: release, source: lease.address.address, destination: lease.server)
    }

    /// Refuses the address just bound because it is already in use (the interface's ARP probe got an answer,
    /// RFC 2131 §4.4.1, RFC 5227 §2.1.1): returns the DHCPDECLINE to broadcast, queues ``DHCPEvent/lost(_:)``,
    /// and goes back to INIT, which waits ``declineBackoff`` before the next DISCOVER (RFC 2131 §3.1 step 5:
    /// "SHOULD wait a minimum of ten seconds before restarting"). `nil`, with nothing changed, unless BOUND.
    public mutating func decline(now: Instant) -> DHCPTransmission? {
        guard self.state == .bound, let lease = self.lease else { return nil }
        // RFC 2131 §4.3.6 Table 5: ciaddr 0, Requested IP Address and Server Identifier MUST be there.
        var decline = DHCPMessage(
            operation: .request, messageType: .decline, transactionID: self.transactionID,
            clientHardwareAddress: self.hardwareAddress)
        decline.requestedAddress = lease.address.address
        decline.serverIdentifier = lease.server
        self.lease = nil
        self.events.append(.lost(lease))
        self.state = .initial
        self.restartTime = now + Self.declineBackoff
        return DHCPTransmission(message: decline, source: .unspecified, destination: .broadcast)
    }

    /// Leaves ``State/stopped`` for INIT: the next ``poll(now:)`` sends a DISCOVER.
    public mutating func restart() {
        if self.state == .stopped { self.state = .initial }
    }

    // MARK: - Internals

    private mutating func ignore() {
        self.ignored += 1
    }

    /// Enters SELECTING, RENEWING or REBINDING: a new xid, a new exchange, transmit now.
    @inline(never)  // called from several states of poll and handle: one copy (footprint)
    private mutating func begin(_ state: State, now: Instant) {
        self.state = state
        self.transactionID = UInt32(truncatingIfNeeded: self.random())
        self.transmissions = 0
        self.nextTransmission = now
        self.requestSent = nil
        if state != .rebinding { self.exchangeStart = now }
    }

    @inline(never)  // called from several states of poll and handle: one copy (footprint)
    private mutating func loseLease() {
        if let lease = self.lease { self.events.append(.lost(lease)) }
        self.lease = nil
        self.state = .initial
    }

    /// Schedules the next retransmission: 4 s doubling to 64 s, ±1 s uniformly at random (RFC 2131 §4.1).
    @inline(never)  // called from several states of poll and handle: one copy (footprint)
    private mutating func scheduleBackoff(_ now: Instant) {
        let base = Int64(4) << Int64(Swift.min(self.transmissions, 4))
        let jitter = Int64(self.random() % 2001) - 1000
        self.nextTransmission = now + .milliseconds(base * 1000 + jitter)
        self.transmissions += 1
    }

    private func secondsSinceStart(_ now: Instant) -> UInt16 {
        let seconds = (now - self.exchangeStart).milliseconds / 1000
        return UInt16(clamping: Swift.max(seconds, 0))
    }

    /// A BOOTREQUEST of `type` with this exchange's xid, the client's chaddr and the requested parameters.
    @inline(never)  // called from several states of poll and handle: one copy (footprint)
    private func message(_ type: DHCPMessageType) -> DHCPMessage {
        var message = DHCPMessage(
            operation: .request, messageType: type, transactionID: self.transactionID,
            clientHardwareAddress: self.hardwareAddress)
        message.maximumMessageSize = Self.maximumMessageSize
        message.parameterRequestList = Self.parameterRequestList
        return message
    }

    /// The lease an ACK grants, or `nil` when it lacks a unicast yiaddr, a lease time, a server (in the message
    /// or from the offer) or has a non-contiguous subnet mask.
    private func lease(from ack: DHCPMessage) -> DHCPLease? {
        guard ack.yourAddress.isUnicast, let seconds = ack.leaseTime else { return nil }
        guard let server = ack.serverIdentifier ?? self.lease?.server ?? self.offeringServerIfAny else { return nil }
        let prefixLength: Int
        if let mask = ack.subnetMask {
            let ones = (~mask.rawValue).leadingZeroBitCount
            guard ones == 32 || mask.rawValue << UInt32(ones) == 0 else { return nil }
            prefixLength = ones
        } else {
            prefixLength = Self.classfulPrefixLength(ack.yourAddress)
        }
        let start = self.requestSent ?? Instant(nanoseconds: 0)
        var renewal = Instant.distantFuture
        var rebinding = Instant.distantFuture
        var expiry = Instant.distantFuture
        if seconds != UInt32.max {  // 0xFFFFFFFF is "infinity" (RFC 2131 §3.3).
            let lease = Int64(seconds)
            var t1 = Int64(ack.renewalTime ?? UInt32(seconds / 2))
            var t2 = Int64(ack.rebindingTime ?? UInt32(UInt64(seconds) * 7 / 8))
            if !(t1 < t2 && t2 <= lease) {
                t1 = lease / 2
                t2 = lease * 7 / 8
            }
            renewal = start + .seconds(t1)
            rebinding = start + .seconds(t2)
            expiry = start + .seconds(lease)
        }
        return DHCPLease(
            address: IPv4CIDR(address: ack.yourAddress, prefixLength: prefixLength), router: ack.routers.first,
            dnsServers: ack.dnsServers, server: server, leaseTime: seconds, obtained: start,
            renewalTime: renewal, rebindingTime: rebinding, expiry: expiry)
    }

    private var offeringServerIfAny: IPv4Address? {
        self.offeringServer.isUnspecified ? nil : self.offeringServer
    }

    /// The pre-CIDR default prefix for an address without a Subnet Mask option (class A /8, B /16, C /24).
    static func classfulPrefixLength(_ address: IPv4Address) -> Int {
        switch address.rawValue >> 29 {
        case 0b000...0b011: return 8
        case 0b100...0b101: return 16
        default: return 24
        }
    }
}

/// A message for the interface to send from UDP port 68 to port 67.
public struct DHCPTransmission: Equatable, CustomStringConvertible {
    /// The message; emit it with ``DHCPMessage/emit(into:)`` (``DHCPMessage/length`` bytes).
    public var message: DHCPMessage
    /// The IP source: `0.0.0.0` until bound, then the leased address (RFC 2131 §4.1).
    public var source: IPv4Address
    /// The IP destination: `255.255.255.255` (link-layer broadcast too), or the server's address in RENEWING.
    public var destination: IPv4Address

    public var description: String { "\(self.source) -> \(self.destination): \(self.message)" }
}

/// What a DHCP server granted.
public struct DHCPLease: Equatable, CustomStringConvertible {
    /// The address (yiaddr) with the prefix length of the Subnet Mask option (class default without one).
    public var address: IPv4CIDR
    /// The first router of option 3, the default gateway.
    public var router: IPv4Address?
    /// Option 6, in order of preference.
    public var dnsServers: [IPv4Address]
    /// The server that granted it (option 54): RENEWING sends to it.
    public var server: IPv4Address
    /// The lease time in seconds (option 51; `0xFFFFFFFF` is infinite).
    public var leaseTime: UInt32
    /// When the REQUEST that obtained it was first sent; the times below count from here.
    public var obtained: Instant
    /// T1: RENEWING starts (`distantFuture` for an infinite lease).
    public var renewalTime: Instant
    /// T2: REBINDING starts.
    public var rebindingTime: Instant
    /// The lease ends and the address must go.
    public var expiry: Instant

    /// A lease of these parts.
    public init(
        address: IPv4CIDR, router: IPv4Address?, dnsServers: [IPv4Address], server: IPv4Address, leaseTime: UInt32,
        obtained: Instant, renewalTime: Instant, rebindingTime: Instant, expiry: Instant
    ) {
        self.address = address
        self.router = router
        self.dnsServers = dnsServers
        self.server = server
        self.leaseTime = leaseTime
        self.obtained = obtained
        self.renewalTime = renewalTime
        self.rebindingTime = rebindingTime
        self.expiry = expiry
    }

    public var description: String {
        var text = "lease \(self.address) server=\(self.server) time=\(self.leaseTime)s"
        if let router = self.router { text += " router=\(router)" }
        for server in self.dnsServers { text += " dns=\(server)" }
        return text
    }
}

/// A change the interface applies to its configuration.
public enum DHCPEvent: Equatable, CustomStringConvertible {
    /// A new lease: add the address, the default route and the DNS servers.
    case bound(DHCPLease)
    /// The same address with new times (and possibly new router or DNS servers).
    case renewed(DHCPLease)
    /// The lease ended (expiry or NAK): remove the address and what came with it.
    case lost(DHCPLease)

    public var description: String {
        switch self {
        case .bound(let lease): "bound \(lease)"
        case .renewed(let lease): "renewed \(lease)"
        case .lost(let lease): "lost \(lease)"
        }
    }
}
