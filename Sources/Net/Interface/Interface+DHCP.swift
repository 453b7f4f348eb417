/// DHCP in the interface (RFC 2131): the interface dispatches to the ``DHCPSocket`` of the ``SocketSet`` it polls
/// (the client's state machine and the RFC 5227 probe live there): port-68 datagrams in, its messages out from
/// 0.0.0.0 to 255.255.255.255 before there is an address, its ARP probes out and received ARP in, and the lease
/// changes it reports applied to the interface's address and gateway.
///
/// Read first: RFC 2131 §4.1 (a client without an address sends from 0.0.0.0; with the BROADCAST flag set, the
/// server broadcasts its replies, else it unicasts them to chaddr and yiaddr, and "the client SHOULD accept"
/// them "before the TCP/IP software is configured"), §4.4.1 (probe the offered address, DHCPDECLINE on conflict),
/// §4.4.5 (T1, T2, expiry).
///
/// The socket is polled with the others (``Interface/pollEgress(now:sockets:)``) and its next poll time joins
/// ``Interface/nextPollTime(now:sockets:)``, so whoever polls the interface (the ``NetworkStack``'s poll task, or a
/// test on a virtual clock) runs DHCP too.
import Runtime

extension Interface {
    /// Starts getting the address by DHCP: adds a ``DHCPSocket`` for this interface to `sockets` (replacing one
    /// there) and returns its handle; the next poll broadcasts a DHCPDISCOVER.
    ///
    /// The interface should have no address (``InterfaceConfiguration/address`` `nil`); from now on the lease
    /// sets and removes it. An offered address is ARP-probed ``InterfaceConfiguration/dhcpProbes`` times first.
    /// - Parameter random: uniformly random 64-bit values (xids, retransmission and probe jitter): `Entropy.next`
    ///   in production, a seeded generator in tests.
    @discardableResult
    public func startDHCP(random: @escaping () -> UInt64, sockets: inout SocketSet) -> DHCPHandle {
        sockets.addDHCP(DHCPSocket(hardwareAddress: self.mac, probes: self.configuration.dhcpProbes, random: random))
    }

    /// Gives the lease back (DHCPRELEASE, RFC 2131 §4.4.6), removes the address and the DHCP socket.
    public func releaseDHCP(now: Instant, sockets: inout SocketSet) {
        guard let handle = sockets.dhcpHandle else { return }
        sockets.dhcp!.probe = nil
        // The address goes at once, so the RELEASE cannot wait for ARP: with the server's MAC unknown it goes to
        // the link broadcast (IP still unicast to the server).
        if let transmission = sockets.dhcp!.client.release(now: now) {
            self.sendDHCP(transmission, now: now, broadcastUnlessResolved: true)
        }
        self.applyDHCPEvents(now: now, sockets: &sockets)
        sockets.remove(handle)
    }

    /// The next lease change the interface applied (bound, renewed, lost), oldest first; `nil` when none is left.
    /// At most 8 are kept: the oldest go first.
    public func takeDHCPEvent() -> DHCPEvent? {
        self.dhcpEvents.isEmpty ? nil : self.dhcpEvents.removeFirst()
    }

    /// Whether a datagram not addressed to us is still a DHCP reply to take before there is an address: a whole
    /// unicast UDP datagram to port 68 while DHCP runs and the interface is unconfigured (RFC 2131 §4.1; the frame
    /// was already for our MAC or broadcast).
    func isDHCPReplyBeforeLease(
        _ header: IPv4Header, _ payload: UnsafeMutableRawBufferPointer, sockets: SocketSet
    ) -> Bool {
        guard self.configuration.address == nil, sockets.dhcp != nil, header.nextProtocol == .udp,
            !header.moreFragments, header.fragmentOffset == 0, header.destination.isUnicast, payload.count >= 8
        else { return false }
        return UInt16(payload[2]) << 8 | UInt16(payload[3]) == DHCPPacket.clientPort
    }

    /// Takes a UDP payload that arrived on port 68 while DHCP runs.
    func processDHCP(
        _ payload: UnsafeMutableRawBufferPointer, sourcePort: UInt16, now: Instant, sockets: inout SocketSet
    ) {
        guard sourcePort == DHCPPacket.serverPort else {
            self.counters.dhcp.malformed += 1
            return
        }
        let message: DHCPMessage
        do throws(WireError) {
            message = try DHCPMessage(parsing: try DHCPPacket(checking: payload))
        } catch {
            self.counters.dhcp.malformed += 1
            return
        }
        self.counters.dhcp.received += 1
        sockets.dhcp?.client.handle(message, now: now)
        self.applyDHCPEvents(now: now, sockets: &sockets)
    }

    /// Probes, then sends what the client has due and applies its events; returns the number of packets sent.
    func pollDHCP(now: Instant, sockets: inout SocketSet) -> Int {
        guard sockets.dhcp != nil else { return 0 }
        var sent = 0
        switch sockets.dhcp!.pollProbe(now: now) {
        case .send(let message):
            if self.sendARP(message, to: .broadcast, now: now) { self.counters.dhcp.probesSent += 1 }
            sent += 1
        case .bind(let lease):
            self.bind(lease)
            sockets.dhcpTouches &+= 1
        case nil:
            break
        }
        // One transmission per call schedules the next in the future; the bound only guards against a loop.
        for _ in 0..<4 {
            guard let transmission = sockets.dhcp?.client.poll(now: now) else { break }
            self.sendDHCP(transmission, now: now)
            sent += 1
        }
        self.applyDHCPEvents(now: now, sockets: &sockets)
        return sent
    }

    /// Received ARP while probing: a conflict declines the offered address (RFC 2131 §4.4.1, RFC 5227 §2.1.1).
    func checkProbe(_ message: ARPMessage, now: Instant, sockets: inout SocketSet) {
        guard sockets.dhcp?.isProbingAddress == true, sockets.dhcp!.conflict(with: message) != nil else { return }
        self.counters.arp.conflicts += 1
        guard let transmission = sockets.dhcp!.client.decline(now: now) else { return }
        self.counters.dhcp.declined += 1
        self.sendDHCP(transmission, now: now)
        self.applyDHCPEvents(now: now, sockets: &sockets)
    }

    /// When the DHCP socket next needs a poll; `nil` when none runs or it has nothing scheduled.
    func nextDHCPTime(sockets: SocketSet) -> Instant? {
        sockets.dhcp?.nextPollTime
    }

    // MARK: - Internals

    /// Applies the DHCP socket's lease changes to the address, gateway and lease.
    func applyDHCPEvents(now: Instant, sockets: inout SocketSet) {
        while let event = sockets.dhcp?.nextLeaseChange(now: now) {
            sockets.dhcpTouches &+= 1
            switch event {
            case .bound(let lease):
                self.bind(lease)
            case .renewed(let lease):
                guard self.lease != nil else { continue }  // still probing: the probe's lease binds later
                self.lease = lease
                self.configuration.gateway = Self.onLinkRouter(of: lease)
                self.counters.dhcp.renewed += 1
                self.record(event)
            case .lost(let lease):
                guard let current = self.lease, current.address == lease.address else { continue }
                self.lease = nil
                self.setAddress(nil, gateway: nil)
                self.counters.dhcp.lost += 1
                self.record(event)
            }
        }
    }

    private func bind(_ lease: DHCPLease) {
        self.lease = lease
        self.setAddress(lease.address, gateway: Self.onLinkRouter(of: lease))
        self.counters.dhcp.bound += 1
        Log.net.info("DHCP: bound " + lease.address.description + " from " + lease.server.description)  // lost and declined are counted (dhcp.lost, arp.conflicts)
        self.record(.bound(lease))
    }

    private func record(_ event: DHCPEvent) {
        if self.dhcpEvents.count >= 8 { self.dhcpEvents.removeFirst() }
        self.dhcpEvents.append(event)
    }

    /// The lease's router when it is on the leased prefix (a default route needs an on-link next hop).
    private static func onLinkRouter(of lease: DHCPLease) -> IPv4Address? {
        guard let router = lease.router, router.isUnicast, lease.address.contains(router),
            router != lease.address.address
        else { return nil }
        return router
    }

    /// Sends one DHCP message from port 68 to port 67: broadcast ones straight to the link broadcast from
    /// ``DHCPTransmission/source`` (0.0.0.0 until bound, RFC 2131 §4.1), unicast ones (RENEWING, RELEASE) through
    /// routing and ARP from our address, or with `broadcastUnlessResolved` to the link broadcast when the next
    /// hop's MAC is not cached.
    func sendDHCP(_ transmission: DHCPTransmission, now: Instant, broadcastUnlessResolved: Bool = false) {
        let message = transmission.message
        let length = message.length
        let headroom = Self.transportHeadroom
        var packet = PacketBuffer(capacity: headroom + length, headroom: headroom)
        packet.append(length) { bytes in message.emit(into: DHCPPacket(unchecked: bytes)) }
        let udp = UDPHeader(
            sourcePort: DHCPPacket.clientPort, destinationPort: DHCPPacket.serverPort, payloadLength: length)
        packet.prepend(udp.headerLength) { _ in }
        packet.withUnsafeMutableReadableBytes { bytes in
            udp.emit(
                into: UDPPacket(unchecked: bytes), source: transmission.source, destination: transmission.destination)
        }
        self.counters.dhcp.sent += 1
        var linkBroadcast = transmission.destination.isBroadcast
        if !linkBroadcast && broadcastUnlessResolved {
            let nextHop = self.route(to: transmission.destination)
            linkBroadcast = nextHop.map { self.arpCache.lookup($0, now: now) == nil } ?? false
        }
        guard linkBroadcast else {
            if self.sendIPv4(&packet, to: transmission.destination, protocol: .udp, now: now) {
                self.counters.udp.sent += 1
            }
            return
        }
        self.identification &+= 1
        let header = IPv4Header(
            source: transmission.source, destination: transmission.destination, nextProtocol: .udp,
            payloadLength: packet.readableBytes, timeToLive: self.configuration.timeToLive,
            identification: self.identification, dontFragment: true)
        packet.prepend(header.headerLength) { bytes in header.emit(into: IPv4Packet(unchecked: bytes)) }
        self.counters.ipv4.sent += 1
        self.counters.udp.sent += 1
        self.sendFrame(&packet, to: .broadcast, type: .ipv4, now: now)
    }
}
