/// UDP (RFC 768): received datagrams to their sockets (port unreachable when none is bound; port 68 to the DHCP
/// client while one runs), and the sockets' queued datagrams out, always with a checksum.
import Runtime

extension Interface {
    /// The largest UDP payload one frame carries: MTU minus the IPv4 and UDP headers (no fragmentation).
    public var maximumUDPPayload: Int { self.device.mtu - IPv4Packet.minimumHeaderLength - UDPPacket.headerLength }

    /// Processes one received UDP datagram (a whole IP payload).
    func processUDP(
        _ header: IPv4Header, _ bytes: UnsafeMutableRawBufferPointer, broadcast: Bool, checksumTrusted: Bool = false,
        now: Instant, sockets: inout SocketSet
    ) {
        let packet: UDPPacket
        do throws(WireError) {
            packet = try UDPPacket(checking: bytes)
        } catch {
            self.counters.udp.malformed += 1
            return
        }
        // RFC 1122 §4.1.3.4: a datagram with a bad checksum MUST be silently discarded (zero means none).
        guard checksumTrusted || packet.verifyChecksum(source: header.source, destination: header.destination)
        else {
            self.counters.udp.checksumErrors += 1
            return
        }
        let udp: UDPHeader
        do throws(WireError) {
            udp = try UDPHeader(
                parsing: packet, source: header.source, destination: header.destination, verifyingChecksum: false)
        } catch {
            self.counters.udp.malformed += 1
            return
        }
        if udp.destinationPort == DHCPPacket.clientPort && sockets.dhcp != nil {
            self.processDHCP(packet.payload, sourcePort: udp.sourcePort, now: now, sockets: &sockets)
            return
        }
        guard let index = sockets.udpIndex(boundTo: udp.destinationPort) else {
            // RFC 1122 §4.1.3.1: "If a datagram arrives addressed to a UDP port for which there is no pending
            // LISTEN call, UDP SHOULD send an ICMP Port Unreachable message."
            self.counters.udp.noSocket += 1
            self.sendICMPError(
                .portUnreachable, about: header, UnsafeRawBufferPointer(bytes), broadcast: broadcast, now: now)
            return
        }
        if sockets.processUDP(
            at: index, UnsafeRawBufferPointer(packet.payload), from: header.source, port: udp.sourcePort)
        {
            self.counters.udp.received += 1
        } else {
            self.counters.udp.queueOverflows += 1
        }
    }

    /// Sends up to `limit` queued datagrams from the sockets, round-robin; returns how many were taken. Stops once
    /// the device's transmit queue is full (the datagram it refused is dropped and counted; the rest wait).
    func dispatchUDP(now: Instant, sockets: inout SocketSet, limit: Int) -> Int {
        var taken = 0
        while taken < limit, !self.deviceQueueFull,
            let (datagram, sourcePort) = sockets.dispatchUDP(startingAt: &self.dispatchCursor)
        {
            taken += 1
            guard datagram.payload.count <= self.maximumUDPPayload else {
                self.counters.udp.tooLarge += 1
                continue
            }
            guard let address = self.configuration.address, self.route(to: datagram.address) != nil else {
                self.counters.ipv4.noRoute += 1
                continue
            }
            let headroom = Self.transportHeadroom
            var packet = PacketBuffer(capacity: headroom + datagram.payload.count, headroom: headroom)
            datagram.payload.withUnsafeBytes { bytes in packet.writeBytes(bytes) }
            let udp = UDPHeader(
                sourcePort: sourcePort, destinationPort: datagram.port, payloadLength: datagram.payload.count)
            packet.prepend(udp.headerLength) { _ in }
            packet.withUnsafeMutableReadableBytes { bytes in
                udp.emit(into: UDPPacket(unchecked: bytes), source: address.address, destination: datagram.address)
            }
            if self.sendIPv4(&packet, to: datagram.address, protocol: .udp, now: now) {
                self.counters.udp.sent += 1
            }
        }
        return taken
    }
}
