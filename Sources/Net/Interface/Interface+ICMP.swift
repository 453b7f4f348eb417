/// ICMPv4 (RFC 792; RFC 1122 §3.2.2): echo replies, port and protocol unreachable errors under a token-bucket rate
/// limit, and the bookkeeping for echo requests this host sends.
import Runtime

extension Interface {
    /// Processes one received ICMP message (a whole IP payload).
    func processICMP(_ header: IPv4Header, _ bytes: UnsafeMutableRawBufferPointer, broadcast: Bool, now: Instant) {
        let packet: ICMPv4Packet
        do throws(WireError) {
            packet = try ICMPv4Packet(checking: bytes)
        } catch {
            self.counters.icmp.malformed += 1
            return
        }
        guard packet.verifyChecksum() else {
            self.counters.icmp.checksumErrors += 1
            return
        }
        let message: ICMPv4Message
        do throws(WireError) {
            message = try ICMPv4Message(parsing: packet, verifyingChecksum: false)
        } catch {
            switch packet.messageType {
            case .echoRequest, .echoReply, .destinationUnreachable, .timeExceeded:
                self.counters.icmp.malformed += 1
            default:
                self.counters.icmp.unsupported += 1  // RFC 1122 §3.2.2: "MUST be silently discarded"
            }
            return
        }
        self.counters.icmp.received += 1
        switch message {
        case .echoRequest(let identifier, let sequenceNumber, let data):
            // RFC 1122 §3.2.2.6: an echo to a broadcast address MAY be silently discarded; we do, against
            // amplification. A reply goes only to a host that can receive it.
            guard !broadcast, header.source.isUnicast else {
                self.counters.icmp.broadcastEchoIgnored += 1
                return
            }
            self.counters.icmp.echoRequests += 1
            // "The data received in the echo message must be returned in the echo reply message" (RFC 792).
            self.sendICMP(
                .echoReply(identifier: identifier, sequenceNumber: sequenceNumber, data: data), to: header.source,
                now: now)
        case .echoReply(let identifier, let sequenceNumber, let data):
            self.counters.icmp.echoReplies += 1
            if self.echoReplies.count >= self.configuration.echoReplyCapacity && !self.echoReplies.isEmpty {
                self.echoReplies.removeFirst()
            }
            if self.configuration.echoReplyCapacity > 0 {
                self.echoReplies.append(
                    ICMPEchoReply(
                        source: header.source, identifier: identifier, sequenceNumber: sequenceNumber,
                        payload: Array(data), receivedAt: now))
            }
        case .destinationUnreachable, .timeExceeded:
            // Part 1 has no connected sockets to report these to; they are counted.
            self.counters.icmp.errorsReceived += 1
        }
    }

    /// Sends Destination Unreachable `code` about a datagram we received, unless RFC 1122 §3.2.2 forbids it or the
    /// rate limit says no.
    ///
    /// Never about an ICMP error, a datagram sent to a broadcast or multicast address (IP or link layer), a
    /// fragment other than the first, or one whose source is not a single host (RFC 1122 §3.2.2). The message
    /// quotes the IP header and the first 8 bytes of data (RFC 792).
    func sendICMPError(
        _ code: ICMPv4Unreachable, about header: IPv4Header, _ payload: UnsafeRawBufferPointer, broadcast: Bool,
        now: Instant
    ) {
        guard !broadcast, !header.destination.isMulticast, header.source.isUnicast, header.fragmentOffset == 0
        else { return }
        if header.nextProtocol == .icmp { return }  // errors are only sent about UDP and unknown protocols anyway
        guard self.icmpErrorLimiter.take(now: now) else {
            self.counters.icmp.rateLimited += 1
            return
        }
        let quoted = UnsafeRawBufferPointer(rebasing: payload[0..<Swift.min(8, payload.count)])
        if self.sendICMP(.destinationUnreachable(code, header: header, data: quoted), to: header.source, now: now) {
            self.counters.icmp.errorsSent += 1
        }
    }

    /// Builds `message` in a new buffer and sends it to `destination`.
    @discardableResult
    func sendICMP(_ message: ICMPv4Message, to destination: IPv4Address, now: Instant) -> Bool {
        let headroom = EthernetPacket.headerLength + IPv4Packet.minimumHeaderLength
        var packet = PacketBuffer(capacity: headroom + message.length, headroom: headroom)
        packet.append(message.length) { bytes in message.emit(into: ICMPv4Packet(unchecked: bytes)) }
        guard self.sendIPv4(&packet, to: destination, protocol: .icmp, now: now) else { return false }
        self.counters.icmp.sent += 1
        return true
    }

    /// Sends an echo request (ping) carrying `payload`; replies show up in ``takeEchoReply()``.
    ///
    /// A request longer than the MTU goes out in fragments.
    /// - Returns: false when there is no route or the datagram would exceed 65535 bytes (nothing sent).
    @discardableResult
    public func sendEchoRequest(
        to destination: IPv4Address, identifier: UInt16, sequenceNumber: UInt16, payload: [UInt8], now: Instant
    ) -> Bool {
        guard payload.count + ICMPv4Packet.headerLength + IPv4Packet.minimumHeaderLength <= Int(UInt16.max) else {
            return false
        }
        return payload.withUnsafeBytes { data in
            self.sendICMP(
                .echoRequest(identifier: identifier, sequenceNumber: sequenceNumber, data: data), to: destination,
                now: now)
        }
    }

    /// The oldest echo reply received and not yet taken.
    public func takeEchoReply() -> ICMPEchoReply? {
        self.echoReplies.isEmpty ? nil : self.echoReplies.removeFirst()
    }
}
