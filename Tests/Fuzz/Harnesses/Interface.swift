/// The whole receive path, `Interface.poll` → `processFrame` → ARP, IPv4 (with reassembly), ICMPv4, UDP, TCP and
/// DHCP, over an in-memory device and a virtual clock, as the dual-mode suites drive it.
///
/// Input: one control byte, then frames, each `u16 length (big-endian), u8 flags, bytes`. Control bit 0 runs a
/// DHCP client instead of the static address 10.0.0.2/24; bit 1 gives the device the receive offloads (checksums
/// vouched for, coalesced TCP frames up to 64 KiB). Frame flags: bit 0 fills the IPv4 header checksum, bit 1 the
/// TCP/UDP/ICMP checksum (so mutations get past the checksums to the code behind them), bit 2 marks the frame
/// checksum-valid (with the offload), bit 3 sets a TCP segment's acknowledgment number to the end of the last
/// segment the host sent (so that handshakes complete without guessing our initial sequence number; applied before
/// the checksums), bits 4–7 advance the clock by that many 100 ms first. The host listens on
/// TCP port 80 (accepting, reading, answering and closing), binds UDP port 7 (echo), and reassembles fragments.
/// After the frames the clock runs on for a few minutes so that timers (retransmission, TIME-WAIT, ARP, DHCP,
/// reassembly) fire. Every frame the interface sends must carry a valid IPv4 header checksum (a finding
/// otherwise); nothing may trap.
import Net
import Runtime

/// The in-memory device: frames queued by the harness, frames sent checked and dropped.
struct FuzzDevice: NetworkDevice {
    let mac = MACAddress(0x02, 0, 0, 0, 0, 0x02)
    let mtu = 1500
    var offloads: NetOffloads = []
    var inbox: [(bytes: [UInt8], metadata: NetFrameMetadata)] = []
    var inboxHead = 0
    var sent = 0
    /// The sequence number after the last TCP segment sent (its data, SYN and FIN), if any.
    var lastSentTCPEnd: UInt32? = nil

    mutating func receive(into buffer: UnsafeMutableRawBufferPointer, now: Instant) throws(NetworkDeviceError) -> Int {
        var metadata = NetFrameMetadata.none
        return try self.receive(into: buffer, metadata: &metadata, now: now)
    }

    mutating func receive(
        into buffer: UnsafeMutableRawBufferPointer, metadata: inout NetFrameMetadata, now: Instant
    ) throws(NetworkDeviceError) -> Int {
        guard self.inboxHead < self.inbox.count else { throw .again }
        let frame = self.inbox[self.inboxHead]
        self.inboxHead += 1
        guard frame.bytes.count <= buffer.count else { throw .failed }  // a device never hands more than fits
        frame.bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        metadata = frame.metadata
        return frame.bytes.count
    }

    mutating func transmit(_ frame: UnsafeRawBufferPointer, now: Instant) throws(NetworkDeviceError) {
        try self.transmit(frame, metadata: .none, now: now)
    }

    mutating func transmit(
        _ frame: UnsafeRawBufferPointer, metadata: NetFrameMetadata, now: Instant
    ) throws(NetworkDeviceError) {
        guard metadata == .none else { fatalError("a device without transmit offloads was asked for one") }
        guard frame.count >= 14, frame.count <= self.maximumFrameLength else {
            fatalError("the interface sent a frame of \(frame.count) bytes")
        }
        checkSentFrame(frame)
        self.sent += 1
        if let end = tcpSegmentEnd(frame) { self.lastSentTCPEnd = end }
    }
}

/// Traps unless a frame we sent is well formed at the IPv4 layer.
func checkSentFrame(_ frame: UnsafeRawBufferPointer) {
    guard frame[12] == 0x08, frame[13] == 0x00 else { return }
    withCopy(UnsafeRawBufferPointer(rebasing: frame[14...])) { bytes in
        do throws(WireError) {
            let packet = try IPv4Packet(checking: bytes)
            _ = try IPv4Header(parsing: packet, verifyingChecksum: true)
        } catch {
            fatalError("the interface sent a malformed IPv4 datagram")
        }
    }
}

/// The sequence number after a TCP segment in `frame` (a checked IPv4 frame), or nil when it holds none.
func tcpSegmentEnd(_ frame: UnsafeRawBufferPointer) -> UInt32? {
    guard frame.count >= 54, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6 else { return nil }
    let ipHeader = Int(frame[14] & 0x0F) * 4
    let total = Int(frame[16]) << 8 | Int(frame[17])
    let tcp = 14 + ipHeader
    guard tcp + 20 <= frame.count, total <= frame.count - 14 else { return nil }
    let tcpHeader = Int(frame[tcp + 12] >> 4) * 4
    let payload = total - ipHeader - tcpHeader
    guard payload >= 0 else { return nil }
    var sequence: UInt32 = 0
    for index in 0..<4 { sequence = sequence << 8 | UInt32(frame[tcp + 4 + index]) }
    let flags = frame[tcp + 13]
    return sequence &+ UInt32(payload) &+ UInt32(flags & 2 != 0 ? 1 : 0) &+ UInt32(flags & 1 != 0 ? 1 : 0)
}

/// Writes `acknowledgment` into the TCP header of `frame`, if it holds one.
func setTCPAcknowledgment(_ frame: inout [UInt8], _ acknowledgment: UInt32) {
    guard frame.count >= 34, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6 else { return }
    let tcp = 14 + Int(frame[14] & 0x0F) * 4
    guard tcp + 20 <= frame.count else { return }
    for index in 0..<4 { frame[tcp + 8 + index] = UInt8(truncatingIfNeeded: acknowledgment >> (24 - 8 * index)) }
}

/// Fills the IPv4 header checksum and, with `transport`, the TCP/UDP/ICMP checksum of `frame`, where they fit.
func fillChecksums(_ frame: inout [UInt8], header: Bool, transport: Bool) {
    guard frame.count >= 34, frame[12] == 0x08, frame[13] == 0x00 else { return }
    let headerLength = Int(frame[14] & 0x0F) * 4
    guard headerLength >= 20, 14 + headerLength <= frame.count else { return }
    frame.withUnsafeMutableBytes { raw in
        let datagram = UnsafeMutableRawBufferPointer(rebasing: raw[14...])
        let total = min(Int(datagram[2]) << 8 | Int(datagram[3]), datagram.count)
        if transport && total > headerLength {
            let payload = UnsafeMutableRawBufferPointer(rebasing: datagram[headerLength..<total])
            let source = IPv4Address(datagram[12], datagram[13], datagram[14], datagram[15])
            let destination = IPv4Address(datagram[16], datagram[17], datagram[18], datagram[19])
            switch datagram[9] {
            case 1 where payload.count >= ICMPv4Packet.headerLength:
                ICMPv4Packet(unchecked: payload).fillChecksum()
            case 6 where payload.count >= TCPPacket.minimumHeaderLength:
                TCPPacket(unchecked: payload).fillChecksum(source: source, destination: destination)
            case 17 where payload.count >= UDPPacket.headerLength:
                UDPPacket(unchecked: payload).fillChecksum(source: source, destination: destination)
            default:
                break
            }
        }
        if header {
            datagram[10] = 0
            datagram[11] = 0
            let sum = ~Checksum.sum(UnsafeRawBufferPointer(rebasing: datagram[0..<headerLength]))
            datagram[10] = UInt8(sum >> 8)
            datagram[11] = UInt8(truncatingIfNeeded: sum)
        }
    }
}

func fuzzInterface(_ input: UnsafeRawBufferPointer) {
    guard let control = input.first else { return }
    var device = FuzzDevice()
    if control & 2 != 0 { device.offloads = [.receiveChecksum, .receiveSegmentation] }
    let dhcp = control & 1 != 0
    var configuration = InterfaceConfiguration(
        address: dhcp ? nil : IPv4CIDR(address: IPv4Address(10, 0, 0, 2), prefixLength: 24),
        gateway: dhcp ? nil : IPv4Address(10, 0, 0, 1))
    configuration.dhcpProbes = 1
    let interface = Interface(device: device, configuration: configuration)
    let reassembly = SharedIPv4Reassembler()
    interface.reassembler = reassembly.hook
    var randomState: UInt64 = 1
    var sockets = SocketSet()
    if dhcp {
        interface.startDHCP(
            random: {
                randomState &+= 0x9E37_79B9_7F4A_7C15
                return randomState
            }, sockets: &sockets)
    }
    let listener = try! interface.listenTCP(port: 80, backlog: 4, sockets: &sockets)
    let echo = try! sockets.bindUDP(port: 7)
    var now = Instant(nanoseconds: 1_000_000_000)
    var connections: [TCPHandle] = []

    // Everything an application would do between polls: accept, read, answer, close; echo UDP.
    func serve() {
        while let connection = sockets.tcp.accept(listener) { connections.append(connection) }
        for handle in connections where sockets.isValid(handle) {
            let received = (try? sockets.modifying(tcp: handle).receive(maximum: 4096)) ?? []
            if !received.isEmpty {
                _ = try? sockets.modifying(tcp: handle).send(Array(received.prefix(64)))
                if received.contains(0x51) { sockets.modifying(tcp: handle).close() }  // "Q"
            }
        }
        while let datagram = sockets[udp: echo].receive() {
            try? sockets[udp: echo].send(datagram.payload, to: datagram.address, port: datagram.port)
        }
    }

    var offset = 1
    while offset + 3 <= input.count {
        let length = min(Int(input[offset]) << 8 | Int(input[offset + 1]), input.count - offset - 3)
        let flags = input[offset + 2]
        var frame = Array(input[(offset + 3)..<(offset + 3 + length)])
        offset += 3 + length
        if flags & 8 != 0, let end = interface.device.lastSentTCPEnd { setTCPAcknowledgment(&frame, end) }
        fillChecksums(&frame, header: flags & 1 != 0, transport: flags & 2 != 0)
        let metadata = flags & 4 != 0 ? NetFrameMetadata(checksumValid: true) : .none
        now = now + .milliseconds(100 * Int64(flags >> 4))
        interface.device.inbox.append((frame, metadata))
        interface.poll(now: now, sockets: &sockets)
        serve()
    }
    // Let the timers run: retransmissions, TIME-WAIT, ARP retries, DHCP, reassembly expiry.
    for step in [1, 2, 5, 10, 30, 60, 120, 240] {
        now = now + .seconds(Int64(step))
        interface.poll(now: now, sockets: &sockets)
        serve()
        _ = interface.nextPollTime(now: now, sockets: sockets)
    }
    _ = (interface.counters, reassembly.statistics)
    if getenv("SWIFTLET_FUZZ_VERBOSE") != nil {
        print("interface: sent \(interface.device.sent) frames, accepted \(connections.count) connections")
    }
}
