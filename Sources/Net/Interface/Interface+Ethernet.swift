/// Ethernet II framing (RFC 894; IEEE 802.3 Clause 3): accept frames for our MAC or broadcast, hand ARP and IPv4
/// payloads on, and prepend the header to everything sent.
import Runtime

extension Interface {
    /// The headroom a datagram buffer needs for the Ethernet, IPv4 and UDP (or ICMP) headers.
    static var transportHeadroom: Int { EthernetPacket.headerLength + IPv4Packet.minimumHeaderLength + 8 }

    /// Processes one received frame to the end. `checksumTrusted`: the device vouched for its TCP/UDP checksum
    /// (its metadata said checksum-partial or valid, ``NetOffloads/receiveChecksum``), which is then not summed.
    func processFrame(
        _ bytes: UnsafeMutableRawBufferPointer, checksumTrusted: Bool = false, now: Instant, sockets: inout SocketSet
    ) {
        self.counters.ethernet.received += 1
        let frame: EthernetPacket
        do throws(WireError) {
            frame = try EthernetPacket(checking: bytes)
        } catch {
            self.counters.ethernet.malformed += 1
            return
        }
        let header = EthernetHeader(parsing: frame)
        // We join no multicast group: only our MAC and broadcast are for us (IEEE 802.3 §3.2.3).
        guard header.destination == self.mac || header.destination.isBroadcast else {
            self.counters.ethernet.notForUs += 1
            return
        }
        switch header.etherType {
        case .arp:
            self.processARP(frame.payload, now: now, sockets: &sockets)
        case .ipv4:
            self.processIPv4(
                frame.payload, linkBroadcast: header.destination.isBroadcast, checksumTrusted: checksumTrusted, now: now,
                sockets: &sockets)
        default:
            self.counters.ethernet.unknownType += 1
        }
    }

    /// Prepends an Ethernet header to `packet` (which needs 14 bytes of headroom) and hands the frame to the
    /// device. Returns false when the device did not take it (counted).
    ///
    /// A full transmit queue sets ``deviceQueueFull`` until the next poll, so egress stops (back-pressure). The
    /// frame is then counted as dropped (``EthernetCounters/transmitQueueFull``), unless `refusable`: a TCP segment,
    /// whose connection commits nothing and builds it again once the device has room
    /// (``EthernetCounters/transmitDeferred``).
    @discardableResult
    func sendFrame(
        _ packet: inout PacketBuffer, to destination: MACAddress, type: EtherType, refusable: Bool = false,
        now: Instant
    ) -> Bool {
        let header = EthernetHeader(destination: destination, source: self.mac, etherType: type)
        packet.prepend(EthernetPacket.headerLength) { bytes in header.emit(into: EthernetPacket(unchecked: bytes)) }
        let metadata = packet.frameMetadata
        let result: NetworkDeviceError? = packet.withUnsafeReadableBytes { bytes in
            do throws(NetworkDeviceError) {
                try self.device.transmit(bytes, metadata: metadata, now: now)
                return nil
            } catch {
                return error
            }
        }
        switch result {
        case nil:
            self.counters.ethernet.sent += 1
            return true
        case .again?:
            self.deviceQueueFull = true
            if refusable {
                self.counters.ethernet.transmitDeferred += 1
            } else {
                self.counters.ethernet.transmitQueueFull += 1
            }
            return false
        case .failed?:
            self.counters.ethernet.deviceErrors += 1
            return false
        }
    }
}
