/// IPv4 (RFC 791; host requirements RFC 1122 §3.2.1, §3.3): header and checksum checks, which destinations are
/// ours, fragments to the reassembly hook, and routing of what we send (on-link or via the default gateway).
import Runtime

extension Interface {
    /// Whether a datagram to `destination` is for this host (RFC 1122 §3.3.6): our address, the limited
    /// broadcast, or our subnet's directed broadcast. Unconfigured, only the limited broadcast is (and, while DHCP
    /// runs, a unicast reply to port 68: ``isDHCPReplyBeforeLease(_:_:)``).
    func accepts(_ destination: IPv4Address) -> Bool {
        if destination.isBroadcast { return true }
        guard let address = self.configuration.address else { return false }
        return destination == address.address || self.isSubnetBroadcast(destination)
    }

    /// Whether `destination` is our prefix's directed broadcast (there is none on /31 and /32, RFC 3021).
    func isSubnetBroadcast(_ destination: IPv4Address) -> Bool {
        guard let address = self.configuration.address, address.prefixLength < 31 else { return false }
        return destination == address.broadcast
    }

    /// The on-link next hop for `destination`: itself when on our prefix (or broadcast), else the gateway when
    /// one is configured and on-link; our own address itself (loopback, RFC 1122 §3.3.5: "a host MUST
    /// support ... local delivery"); `nil` when there is no route or no address.
    public func route(to destination: IPv4Address) -> IPv4Address? {
        guard let address = self.configuration.address, !destination.isUnspecified else { return nil }
        // Our own address: loopback (`Interface+Loopback.swift`), the datagram never reaches the link.
        if destination == address.address { return destination }
        if destination.isBroadcast || address.contains(destination) { return destination }
        if let gateway = self.configuration.gateway, address.contains(gateway) { return gateway }
        return nil
    }

    /// Processes one received datagram (an Ethernet payload, possibly padded); `fromLink` is false only for our own
    /// datagrams looped back (`Interface+Loopback.swift`), the one way our address may arrive as a source.
    func processIPv4(
        _ bytes: UnsafeMutableRawBufferPointer, linkBroadcast: Bool, checksumTrusted: Bool = false,
        fromLink: Bool = true, now: Instant, sockets: inout SocketSet
    ) {
        let packet: IPv4Packet
        let header: IPv4Header
        do throws(WireError) {
            packet = try IPv4Packet(checking: bytes)
            header = try IPv4Header(parsing: packet, verifyingChecksum: false)
        } catch {
            self.counters.ipv4.malformed += 1
            return
        }
        // RFC 1122 §3.2.1.2: "MUST verify the IP header checksum ... and silently discard a datagram that has a
        // bad checksum".
        guard packet.verifyChecksum() else {
            self.counters.ipv4.checksumErrors += 1
            return
        }
        guard
            self.accepts(header.destination)
                || self.isDHCPReplyBeforeLease(header, packet.payload, sockets: sockets)
        else {
            self.counters.ipv4.notForUs += 1
            return
        }
        // RFC 1122 §3.2.1.3: a source that is broadcast or multicast MUST be silently discarded.
        guard !header.source.isBroadcast, !header.source.isMulticast, !self.isSubnetBroadcast(header.source) else {
            self.counters.ipv4.badSource += 1
            return
        }
        // Our own address as the source of a datagram from the link is spoofed: no other host may use it (Linux
        // drops such "martian" sources too); only loopback delivers it.
        if fromLink, let address = self.configuration.address, header.source == address.address {
            self.counters.ipv4.badSource += 1
            return
        }
        let broadcast = linkBroadcast || header.destination.isBroadcast || self.isSubnetBroadcast(header.destination)
        // Options (RFC 791 §3.1) are skipped: `payload` starts after IHL × 4 bytes, whatever they hold.
        if header.moreFragments || header.fragmentOffset != 0 {
            guard let reassembler = self.reassembler else {
                self.counters.ipv4.fragmentsDropped += 1
                return
            }
            guard let (whole, payload) = reassembler.accept(header, UnsafeRawBufferPointer(packet.payload), now) else {
                return
            }
            self.counters.ipv4.reassembled += 1
            var buffer = payload
            buffer.withUnsafeMutableReadableBytes { bytes in
                self.deliver(whole, bytes, broadcast: broadcast, now: now, sockets: &sockets)
            }
            return
        }
        self.deliver(
            header, packet.payload, broadcast: broadcast, checksumTrusted: checksumTrusted, now: now, sockets: &sockets)
    }

    /// Hands a whole datagram's payload to its protocol (`checksumTrusted`: see ``processFrame(_:checksumTrusted:now:sockets:)``).
    func deliver(
        _ header: IPv4Header, _ payload: UnsafeMutableRawBufferPointer, broadcast: Bool, checksumTrusted: Bool = false,
        now: Instant, sockets: inout SocketSet
    ) {
        self.counters.ipv4.received += 1
        switch header.nextProtocol {
        case .icmp:
            self.processICMP(header, payload, broadcast: broadcast, now: now)
        case .udp:
            self.processUDP(
                header, payload, broadcast: broadcast, checksumTrusted: checksumTrusted, now: now, sockets: &sockets)
        case .tcp:
            self.processTCP(
                header, payload, broadcast: broadcast, checksumTrusted: checksumTrusted, now: now, sockets: &sockets)
        default:
            // RFC 1122 §3.2.2.1: a host SHOULD generate Protocol Unreachable.
            self.counters.ipv4.unknownProtocol += 1
            self.sendICMPError(
                .protocolUnreachable, about: header, UnsafeRawBufferPointer(payload), broadcast: broadcast, now: now)
        }
    }

    /// Sends `packet`, whose readable bytes are a transport message with at least 34 bytes of headroom, to
    /// `destination` in an IPv4 datagram from our address. A datagram longer than the MTU (an echo reply to a
    /// reassembled request) goes out in fragments (``IPv4Fragmenter``, DF clear). Returns false when there is no
    /// route (counted); a datagram that waits for ARP counts as sent. `refusable`: see
    /// ``sendFrame(_:to:type:refusable:now:)``.
    @discardableResult
    func sendIPv4(
        _ packet: inout PacketBuffer, to destination: IPv4Address, protocol ipProtocol: IPProtocol,
        refusable: Bool = false, now: Instant
    ) -> Bool {
        guard let address = self.configuration.address, let nextHop = self.route(to: destination) else {
            self.counters.ipv4.noRoute += 1
            return false
        }
        self.identification &+= 1
        var header = IPv4Header(
            source: address.address, destination: destination, nextProtocol: ipProtocol,
            payloadLength: packet.readableBytes, timeToLive: self.configuration.timeToLive,
            identification: self.identification, dontFragment: true)
        if destination == address.address {
            packet.prepend(header.headerLength) { bytes in header.emit(into: IPv4Packet(unchecked: bytes)) }
            return self.loopBack(&packet)
        }
        if packet.frameMetadata.segmentSize > 0 {
            // A TSO frame: the device cuts it into MTU-sized segments (NetOffloads.transmitSegmentation).
            self.counters.ethernet.segmentationOffloads += 1
        } else if header.totalLength > self.device.mtu {
            header.dontFragment = false
            guard let fragmenter = IPv4Fragmenter(header: header, mtu: self.device.mtu) else {
                self.counters.ipv4.noRoute += 1
                return false
            }
            let headroom = EthernetPacket.headerLength + IPv4Packet.minimumHeaderLength
            for fragment in fragmenter {
                var piece = PacketBuffer(capacity: headroom + fragment.payloadRange.count, headroom: headroom)
                packet.withUnsafeReadableBytes { bytes in
                    piece.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[fragment.payloadRange]))
                }
                piece.prepend(fragment.header.headerLength) { bytes in
                    fragment.header.emit(into: IPv4Packet(unchecked: bytes))
                }
                self.counters.ipv4.fragmentsSent += 1
                self.transmitIPv4(&piece, to: destination, nextHop: nextHop, now: now)
            }
            self.counters.ipv4.sent += 1
            return true
        }
        packet.prepend(header.headerLength) { bytes in header.emit(into: IPv4Packet(unchecked: bytes)) }
        self.counters.ipv4.sent += 1
        self.transmitIPv4(&packet, to: destination, nextHop: nextHop, refusable: refusable, now: now)
        return true
    }

    /// Hands a finished datagram to the link: broadcast and multicast MACs directly, unicast through ARP.
    func transmitIPv4(
        _ packet: inout PacketBuffer, to destination: IPv4Address, nextHop: IPv4Address, refusable: Bool = false,
        now: Instant
    ) {
        if destination.isBroadcast || self.isSubnetBroadcast(destination) {
            self.sendFrame(&packet, to: .broadcast, type: .ipv4, refusable: refusable, now: now)
        } else if destination.isMulticast {
            // RFC 1112 §6.4: 01:00:5e and the low 23 bits of the group.
            let mac = MACAddress(rawValue: 0x01_00_5E_00_00_00 | UInt64(destination.rawValue & 0x7F_FFFF))
            self.sendFrame(&packet, to: mac, type: .ipv4, refusable: refusable, now: now)
        } else {
            self.sendResolving(&packet, nextHop: nextHop, refusable: refusable, now: now)
        }
    }
}
