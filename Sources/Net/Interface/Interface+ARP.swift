/// ARP (RFC 826) with gratuitous announcements (RFC 5227 §2.3): answers requests for our address, learns from
/// packets as the RFC's "Packet Reception" algorithm says, resolves next hops with retried requests, and queues the
/// datagrams that wait for them (bounded, see ``ARPConfiguration``).
import Runtime

extension Interface {
    /// Processes one received ARP packet (an Ethernet payload).
    func processARP(_ bytes: UnsafeMutableRawBufferPointer, now: Instant, sockets: inout SocketSet) {
        let message: ARPMessage
        do throws(WireError) {
            message = try ARPMessage(parsing: try ARPPacket(checking: bytes))
        } catch {
            self.counters.arp.malformed += 1
            return
        }
        self.counters.arp.received += 1
        self.checkProbe(message, now: now, sockets: &sockets)
        guard let address = self.configuration.address else { return }
        let ours = address.address
        let sender = message.senderProtocolAddress
        if sender == ours {
            // Someone else claims our address (RFC 5227 §2.4); our own announcements never come back to us.
            if message.senderHardwareAddress != self.mac { self.counters.arp.conflicts += 1 }
            return
        }
        // A probe for our address (sender 0.0.0.0, RFC 5227 §2.1.1) is a host asking whether the address is free:
        // it is not, so answer (RFC 5227 §2.1.1 has the prober treat any reply as a conflict). The reply goes to the
        // prober's MAC with target address 0.0.0.0, as Linux sends it; the probe itself teaches nothing.
        if sender.isUnspecified {
            if message.operation == .request, message.targetProtocolAddress == ours,
                message.senderHardwareAddress.isUnicast, message.senderHardwareAddress != self.mac
            {
                let reply = ARPMessage(
                    operation: .reply, senderHardwareAddress: self.mac, senderProtocolAddress: ours,
                    targetHardwareAddress: message.senderHardwareAddress, targetProtocolAddress: .unspecified)
                if self.sendARP(reply, to: message.senderHardwareAddress, now: now) {
                    self.counters.arp.repliesSent += 1
                    self.counters.arp.probesAnswered += 1
                }
            }
            return
        }
        // A nonsense sender teaches nothing.
        guard message.senderHardwareAddress.isUnicast, sender.isUnicast, address.contains(sender),
            sender != address.broadcast
        else { return }
        let targetIsUs = message.targetProtocolAddress == ours
        // RFC 826 "Packet Reception": update an entry we have (merge flag), add one only when we are the target.
        if targetIsUs || self.arpCache.contains(sender) {
            self.learn(sender, message.senderHardwareAddress, now: now)
        }
        if targetIsUs && message.operation == .request {
            let reply = ARPMessage(
                operation: .reply, senderHardwareAddress: self.mac, senderProtocolAddress: ours,
                targetHardwareAddress: message.senderHardwareAddress, targetProtocolAddress: sender)
            if self.sendARP(reply, to: message.senderHardwareAddress, now: now) { self.counters.arp.repliesSent += 1 }
        }
    }

    /// Caches `address` → `mac` and sends whatever waited for it.
    func learn(_ address: IPv4Address, _ mac: MACAddress, now: Instant) {
        let arp = self.configuration.arp
        if self.arpCache.insert(address, mac, now: now, lifetime: arp.entryLifetime, capacity: arp.cacheCapacity) {
            self.counters.arp.evictions += 1
        }
        for packet in self.arpPending.remove(address) { self.sendResolved(packet, to: mac, now: now) }
    }

    /// Sends a datagram that waited for ARP to `mac`; while the device's transmit queue is full (or earlier released
    /// datagrams still wait) it waits in `arpReleased` for the next egress instead of being dropped: its sender
    /// (a TCP connection) already committed it. Beyond ``ARPConfiguration/pendingTotal`` waiting, the oldest is
    /// dropped and counted (``EthernetCounters/transmitQueueFull``).
    func sendResolved(_ packet: PacketBuffer, to mac: MACAddress, now: Instant) {
        if self.arpReleased.isEmpty && !self.deviceQueueFull {
            var attempt = packet
            if self.sendFrame(&attempt, to: mac, type: .ipv4, refusable: true, now: now) || !self.deviceQueueFull {
                return
            }
        }
        if self.arpReleased.count >= Swift.max(1, self.configuration.arp.pendingTotal) {
            self.arpReleased.removeFirst()
            self.counters.ethernet.transmitQueueFull += 1
        }
        self.arpReleased.append((packet, mac))
    }

    /// Sends the datagrams ARP released while the device was full, oldest first, until the device refuses one
    /// (it then stays first); returns how many went.
    func sendReleased(now: Instant) -> Int {
        var sent = 0
        while sent < self.arpReleased.count, !self.deviceQueueFull {
            var attempt = self.arpReleased[sent].packet
            if !self.sendFrame(&attempt, to: self.arpReleased[sent].mac, type: .ipv4, refusable: true, now: now),
                self.deviceQueueFull
            {
                break
            }
            sent += 1
        }
        if sent > 0 { self.arpReleased.removeFirst(sent) }
        return sent
    }

    /// Sends `packet` (an IPv4 datagram with Ethernet headroom) to on-link `nextHop`: at once when its MAC is
    /// cached, else queued with a request sent now if it is the first for that address (a queued datagram that
    /// later finds the device full waits for room, ``sendResolved(_:to:now:)``: its sender has moved on).
    func sendResolving(_ packet: inout PacketBuffer, nextHop: IPv4Address, refusable: Bool = false, now: Instant) {
        if let mac = self.arpCache.lookup(nextHop, now: now) {
            let arp = self.configuration.arp
            if let polled = self.arpCache.refreshDue(
                nextHop, now: now, lifetime: arp.entryLifetime, interval: arp.requestInterval)
            {
                self.sendRequest(for: nextHop, to: polled, now: now)
            }
            self.sendFrame(&packet, to: mac, type: .ipv4, refusable: refusable, now: now)
            return
        }
        let isNew = self.arpPending.index(of: nextHop) == nil
        var evicted = 0
        let queued = self.arpPending.enqueue(
            packet, for: nextHop, now: now, configuration: self.configuration.arp, evicted: &evicted)
        self.counters.arp.pendingEvicted += evicted
        guard queued else {
            self.counters.arp.pendingOverflows += 1
            return
        }
        if isNew, let index = self.arpPending.index(of: nextHop) {
            self.sendRequest(for: nextHop, now: now)
            self.arpPending.requestSent(at: index, now: now, interval: self.configuration.arp.requestInterval)
        }
    }

    /// Sends due announcements and retries; gives up on addresses whose last request went unanswered for a full
    /// interval (their queues are dropped and counted). Returns the number of ARP packets sent.
    func pollARP(now: Instant) -> Int {
        var sent = 0
        if let due = self.nextAnnouncementAt, due <= now, self.announcementsLeft > 0,
            let address = self.configuration.address
        {
            // RFC 5227 §2.3: an ARP request with sender and target protocol address both ours.
            let announcement = ARPMessage(
                operation: .request, senderHardwareAddress: self.mac, senderProtocolAddress: address.address,
                targetHardwareAddress: MACAddress(rawValue: 0), targetProtocolAddress: address.address)
            if self.sendARP(announcement, to: .broadcast, now: now) { self.counters.arp.requestsSent += 1 }
            sent += 1
            self.announcementsLeft -= 1
            self.nextAnnouncementAt =
                self.announcementsLeft > 0 ? now + self.configuration.arp.announcementInterval : nil
        }
        var index = 0
        while index < self.arpPending.destinations.count {
            let destination = self.arpPending.destinations[index]
            guard destination.nextRequestAt <= now else {
                index += 1
                continue
            }
            if destination.requestsSent >= self.configuration.arp.requestLimit {
                self.counters.arp.unresolved += 1
                self.counters.arp.pendingDropped += self.arpPending.remove(destination.address).count
                continue
            }
            self.sendRequest(for: destination.address, now: now)
            self.arpPending.requestSent(at: index, now: now, interval: self.configuration.arp.requestInterval)
            sent += 1
            index += 1
        }
        return sent
    }

    /// Broadcasts "who has `target`?" (counted in ``ARPCounters/requestsSent``); to `mac` instead, it is the
    /// unicast poll that refreshes a cache entry in use (counted in ``ARPCounters/refreshes``).
    func sendRequest(for target: IPv4Address, to mac: MACAddress = .broadcast, now: Instant) {
        guard let address = self.configuration.address else { return }
        let request = ARPMessage(
            operation: .request, senderHardwareAddress: self.mac, senderProtocolAddress: address.address,
            targetHardwareAddress: MACAddress(rawValue: 0), targetProtocolAddress: target)
        guard self.sendARP(request, to: mac, now: now) else { return }
        if mac == .broadcast { self.counters.arp.requestsSent += 1 } else { self.counters.arp.refreshes += 1 }
    }

    /// Frames and sends one ARP message.
    func sendARP(_ message: ARPMessage, to destination: MACAddress, now: Instant) -> Bool {
        var packet = PacketBuffer(
            capacity: EthernetPacket.headerLength + ARPPacket.length, headroom: EthernetPacket.headerLength)
        packet.append(ARPPacket.length) { bytes in message.emit(into: ARPPacket(unchecked: bytes)) }
        return self.sendFrame(&packet, to: destination, type: .arp, now: now)
    }
}
