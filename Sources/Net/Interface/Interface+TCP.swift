/// TCP (RFC 9293): received segments to their connection or listener in ``Interface/tcp`` (a RST for closed ports,
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
        configuration: TCPConfiguration = TCPConfiguration()
    ) throws(TCPConnectError) -> SocketHandle {
        guard let local = self.configuration.address?.address else { throw .unaddressable }
        return try self.tcp.connect(
            from: TCPEndpoint(local, localPort), to: TCPEndpoint(address, port), now: now,
            configuration: self.clampingMSS(configuration))
    }

    /// Opens a listener on `port` whose connections announce an MSS that fits this interface's MTU.
    ///
    /// - Throws: ``TCPListenError/addressInUse`` or ``TCPListenError/exhausted``.
    public func listenTCP(
        port: UInt16, backlog: Int = 8, configuration: TCPConfiguration = TCPConfiguration()
    ) throws(TCPListenError) -> SocketHandle {
        try self.tcp.listen(port: port, backlog: backlog, configuration: self.clampingMSS(configuration))
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
    /// (RFC 1122 §4.2.3.10).
    func processTCP(
        _ header: IPv4Header, _ bytes: UnsafeMutableRawBufferPointer, broadcast: Bool, checksumTrusted: Bool = false,
        now: Instant
    ) {
        guard !broadcast else {
            self.tcp.counters.malformed += 1
            return
        }
        let packet: TCPPacket
        do throws(WireError) {
            packet = try TCPPacket(checking: bytes)
        } catch {
            self.tcp.counters.malformed += 1
            return
        }
        // A checksum the device vouched for (NetOffloads.receiveChecksum) is not summed again.
        guard checksumTrusted || packet.verifyChecksum(source: header.source, destination: header.destination)
        else {
            self.tcp.counters.checksumErrors += 1
            return
        }
        let tcp: TCPHeader
        do throws(WireError) {
            tcp = try TCPHeader(
                parsing: packet, source: header.source, destination: header.destination, verifyingChecksum: false)
        } catch {
            self.tcp.counters.malformed += 1
            return
        }
        let segment = TCPSegment(header: tcp, payload: Array(UnsafeRawBufferPointer(packet.payload)))
        let local = TCPEndpoint(header.destination, tcp.destinationPort)
        let remote = TCPEndpoint(header.source, tcp.sourcePort)
        if let reply = self.tcp.process(segment, local: local, remote: remote, now: now) {
            self.sendTCP(reply, from: local, to: remote, now: now)
        }
    }

    /// Sends up to `limit` segments the connections have due; returns how many.
    func dispatchTCP(now: Instant, limit: Int) -> Int {
        var sent = 0
        while sent < limit, let (segment, local, remote) = self.tcp.dispatch(now: now) {
            self.sendTCP(segment, from: local, to: remote, now: now)
            sent += 1
        }
        return sent
    }

    /// Wraps `segment` in IPv4 and sends it.
    ///
    /// When the device completes checksums (``NetOffloads/transmitChecksum``) the checksum field gets only the
    /// pseudo-header sum and the frame is marked checksum-partial (virtio 1.2 §5.1.6.2; Linux's
    /// CHECKSUM_PARTIAL): the device sums the TCP header and data. A segment longer than one SMSS
    /// (``TCPSegment/segmentationSize``) goes to the device whole, to be cut into segments of that size; its
    /// pseudo-header sum counts the whole length, as Linux's does, and the device adjusts it per segment.
    /// Datagrams to our own address never reach a device and always carry a full checksum.
    func sendTCP(_ segment: TCPSegment, from local: TCPEndpoint, to remote: TCPEndpoint, now: Instant) {
        let header = segment.header
        let headroom = EthernetPacket.headerLength + IPv4Packet.minimumHeaderLength + header.headerLength
        var packet = segment.payload.withUnsafeBytes { bytes in PacketBuffer(copying: bytes, headroom: headroom) }
        packet.prepend(header.headerLength) { _ in }
        let partial = self.device.offloads.contains(.transmitChecksum) && remote.address != local.address
        packet.withUnsafeMutableReadableBytes { bytes in
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
        self.sendIPv4(&packet, to: remote.address, protocol: .tcp, now: now)
    }
}
