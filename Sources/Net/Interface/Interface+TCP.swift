/// TCP (RFC 9293): received segments to their connection or listener in ``SocketSet/tcp`` (a RST for closed ports,
/// RFC 9293 §3.10.7.1), and the connections' segments out through IPv4, always with a checksum.
import Runtime

extension Interface {
    /// The MSS that fits one frame: MTU minus the IPv4 and TCP fixed headers (RFC 9293 §3.7.1).
    public var maximumTCPSegmentSize: Int { self.device.mtu - IPv4Packet.minimumHeaderLength - 20 }

    /// Opens a connection from our address to `address`:`port`; the SYN goes out at the next poll.
    ///
    /// - Throws: ``TCPConnectError/unaddressable`` without an address of our own or for `0.0.0.0`/port 0;
    ///   ``TCPConnectError/exhausted`` when the set is full.
    public func connectTCP(
        to address: IPv4Address, port: UInt16, localPort: UInt16 = 0, now: Instant,
        configuration: TCPConfiguration = TCPConfiguration(), sockets: inout SocketSet
    ) throws(TCPConnectError) -> TCPHandle {
        guard let local = self.configuration.address?.address else { throw .unaddressable }
        return try sockets.tcp.connect(
            from: TCPEndpoint(local, localPort), to: TCPEndpoint(address, port), now: now,
            configuration: self.clampingMSS(configuration))
    }

    /// Opens a listener on `port` whose connections announce an MSS that fits this interface's MTU; at most
    /// `connectionLimit` of them at once (``TCPSocketSet/listen(port:backlog:configuration:synCookies:connectionLimit:)``).
    ///
    /// - Throws: ``TCPListenError/addressInUse`` or ``TCPListenError/exhausted``.
    public func listenTCP(
        port: UInt16, backlog: Int = 8, configuration: TCPConfiguration = TCPConfiguration(),
        connectionLimit: Int? = nil, sockets: inout SocketSet
    ) throws(TCPListenError) -> TCPHandle {
        try sockets.tcp.listen(
            port: port, backlog: backlog, configuration: self.clampingMSS(configuration),
            connectionLimit: connectionLimit)
    }

    /// The most data one TCP segment handed to a device with TSO may carry: a 64 KiB IPv4 datagram less the
    /// IPv4 header and the longest TCP header (60 bytes); 0 when the device does not segment.
    var segmentationOffloadLimit: Int {
        guard self.device.offloads.contains(.transmitSegmentation) else { return 0 }
        return 65535 - IPv4Packet.minimumHeaderLength - 60
    }

    /// `configuration` fitted to the device: its MSS no larger than one frame carries, and TSO-sized segments
    /// when the device cuts them up itself.
    func clampingMSS(_ configuration: TCPConfiguration) -> TCPConfiguration {
        var configuration = configuration
        configuration.maximumSegmentSize = UInt16(
            Swift.max(1, Swift.min(Int(configuration.maximumSegmentSize), self.maximumTCPSegmentSize)))
        configuration.segmentationOffloadLimit = self.segmentationOffloadLimit
        return configuration
    }

    /// Processes one received TCP segment (a whole IP payload). Segments to broadcast addresses are dropped
    /// (RFC 1122 §4.2.3.10). The payload is lent to the connection where it lies in the received frame; replies
    /// go out through ``emitTCP(_:now:)``.
    func processTCP(
        _ header: IPv4Header, _ bytes: UnsafeMutableRawBufferPointer, broadcast: Bool, checksumTrusted: Bool = false,
        now: Instant, sockets: inout SocketSet
    ) {
        guard !broadcast else {
            sockets.tcp.counters.malformed += 1
            return
        }
        let packet: TCPPacket
        do throws(WireError) {
            packet = try TCPPacket(checking: bytes)
        } catch {
            sockets.tcp.counters.malformed += 1
            return
        }
        // A checksum the device vouched for (NetOffloads.receiveChecksum) is not summed again.
        guard checksumTrusted || packet.verifyChecksum(source: header.source, destination: header.destination)
        else {
            sockets.tcp.counters.checksumErrors += 1
            return
        }
        let tcp: TCPHeader
        do throws(WireError) {
            tcp = try TCPHeader(
                parsing: packet, source: header.source, destination: header.destination, verifyingChecksum: false)
        } catch {
            sockets.tcp.counters.malformed += 1
            return
        }
        let segment = TCPIncomingSegment(header: tcp, payload: UnsafeRawBufferPointer(packet.payload))
        let local = TCPEndpoint(header.destination, tcp.destinationPort)
        let remote = TCPEndpoint(header.source, tcp.sourcePort)
        sockets.tcp.process(segment, local: local, remote: remote, now: now) { reply in self.emitTCP(reply, now: now) }
    }

    /// Emits up to `limit` segments the connections have due; returns how many the device took. Stops early when
    /// the device's transmit queue is full (back-pressure: the connection whose segment was refused committed
    /// nothing and goes first next time).
    func dispatchTCP(now: Instant, sockets: inout SocketSet, limit: Int) -> Int {
        var sent = 0
        while sent < limit, !self.deviceQueueFull {
            switch sockets.tcp.dispatch(now: now, emit: { segment in self.emitTCP(segment, now: now) }) {
            case .idle, .refused:
                return sent
            case .sent:
                sent += 1
            }
        }
        return sent
    }

    /// The emit callback of the TCP seam: builds `segment`'s frame, copying its data once from the send ring into
    /// the buffer, wraps it in IPv4 and hands it to the device. Returns false, with nothing sent, when the device's
    /// transmit queue is full (or the loopback queue, for our own address): the connection then commits nothing.
    /// A frame lost for any other reason (no route, a device error, an ARP queue overflow) counts as sent, as a
    /// loss on the wire would: TCP recovers it.
    ///
    /// When the device completes checksums (``NetOffloads/transmitChecksum``) the checksum field gets only the
    /// pseudo-header sum and the frame is marked checksum-partial (virtio 1.2 §5.1.6.2; Linux's
    /// CHECKSUM_PARTIAL): the device sums the TCP header and data. A segment longer than one SMSS
    /// (``TCPOutgoingSegment/segmentationSize``) goes to the device whole, to be cut into segments of that size; its
    /// pseudo-header sum counts the whole length, as Linux's does, and the device adjusts it per segment.
    /// Datagrams to our own address never reach a device and always carry a full checksum.
    func emitTCP(_ segment: TCPOutgoingSegment, now: Instant) -> Bool {
        guard !self.deviceQueueFull else { return false }
        let local = segment.local
        let remote = segment.remote
        let loopback = remote.address == self.configuration.address?.address
        if loopback && self.loopback.count >= self.configuration.loopbackCapacity { return false }
        let header = segment.header
        let headerLength = header.headerLength
        let partial = self.device.offloads.contains(.transmitChecksum) && !loopback
        var packet = PacketBuffer(
            headroom: EthernetPacket.headerLength + IPv4Packet.minimumHeaderLength,
            writing: headerLength + segment.payloadCount
        ) { bytes in
            segment.copyPayload(into: UnsafeMutableRawBufferPointer(rebasing: bytes[headerLength...]))
            let tcp = TCPPacket(unchecked: bytes)
            header.emit(into: tcp, source: local.address, destination: remote.address, fillingChecksum: !partial)
            if partial {
                tcp.checksum = Checksum.pseudoHeaderSum(
                    source: local.address, destination: remote.address, protocol: .tcp, length: UInt16(bytes.count))
            }
        }
        if partial {
            let segmentSize = self.device.offloads.contains(.transmitSegmentation) ? segment.segmentationSize : 0
            packet.frameMetadata = NetFrameMetadata(
                checksumPartial: true, segmentSize: segmentSize,
                checksumStart: EthernetPacket.headerLength + IPv4Packet.minimumHeaderLength,
                checksumOffset: TCPPacket.Field.checksum)
        }
        self.sendIPv4(&packet, to: remote.address, protocol: .tcp, refusable: true, now: now)
        return !self.deviceQueueFull
    }
}
