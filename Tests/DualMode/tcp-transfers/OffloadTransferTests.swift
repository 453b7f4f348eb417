/// Checksum and TCP segmentation offload (TSO): what a device does with a frame marked for it
/// (``SoftwareOffload``, virtio 1.2 §5.1.6.2), and streams between hosts whose ports offload — a TSO sender to a
/// plain receiver (the link cuts the frames up, faults hit each segment), and two hosts that both take coalesced
/// frames (whole 64 KiB frames cross the link, as between a TAP reader and the Linux kernel).
import Net
import NetTesting
import Runtime

private let transmitOffloads: NetOffloads = [.transmitChecksum, .transmitSegmentation]
private let allOffloads: NetOffloads = [
    .transmitChecksum, .transmitSegmentation, .receiveChecksum, .receiveSegmentation,
]

/// Hosts `a` (offloads `a`) and `b` (offloads `b`) on a link with `faults`, connected.
private func setUp(
    a aOffloads: NetOffloads, b bOffloads: NetOffloads, faults: FaultConfiguration = .none, seed: UInt64
) throws(TestFailure) -> (TCPTestNetwork, (TCPHost, TCPHandle), (TCPHost, TCPHandle)) {
    let network = transferNetwork(faults: faults, seed: seed)
    network.offloads = aOffloads
    let a = network.addHost("10.0.0.2/24", mac: 2)
    network.offloads = bOffloads
    let b = network.addHost("10.0.0.3/24", mac: 3)
    let (client, server) = try connect(network, a, b)
    return (network, (a, client), (b, server))
}

/// A TSO frame by hand: Ethernet, IPv4 (ID 0x1234), TCP with timestamps, `payload` bytes, PSH|FIN|ACK, the
/// checksum field holding the pseudo-header sum.
private func tsoFrame(payload: Int) -> [UInt8] {
    let source = IPv4Address(10, 0, 0, 2)
    let destination = IPv4Address(10, 0, 0, 3)
    var header = TCPHeader(
        sourcePort: 40000, destinationPort: 80, sequenceNumber: 0xFFFF_F000, acknowledgmentNumber: 77,
        flags: [.ack, .psh, .fin], window: 1000)
    header.options.timestamps = TCPTimestamps(value: 5, echoReply: 6)
    header.payloadLength = payload
    var tcp = [UInt8](repeating: 0, count: header.headerLength + payload)
    for index in 0..<payload { tcp[header.headerLength + index] = UInt8(truncatingIfNeeded: index * 7 + index / 251) }
    tcp.withUnsafeMutableBytes { bytes in
        let packet = TCPPacket(unchecked: bytes)
        header.emit(into: packet, source: source, destination: destination, fillingChecksum: false)
        packet.checksum = Checksum.pseudoHeaderSum(
            source: source, destination: destination, protocol: .tcp, length: UInt16(bytes.count))
    }
    let datagram = ipv4Datagram(from: source, to: destination, protocol: .tcp, tcp, identification: 0x1234)
    return ethernetFrame(to: MACAddress(0x02, 0, 0, 0, 0, 3), from: MACAddress(0x02, 0, 0, 0, 0, 2), type: .ipv4, datagram)
}

func registerOffloadTransferTests(_ suite: inout TestSuite) {
    suite.test("offload.software-segmentation-cuts-like-a-nic") { () throws(TestFailure) in
        let frame = tsoFrame(payload: 5000)
        let headers = 14 + 20 + 32
        let metadata = NetFrameMetadata(checksumPartial: true, segmentSize: 1448, checksumStart: 34, checksumOffset: 16)
        guard let pieces = SoftwareOffload.wireFrames(frame, metadata: metadata) else {
            throw TestFailure("a well-formed TSO frame was refused")
        }
        try expect(pieces.count == 4, "5000 bytes in 1448-byte segments are 4 frames, got \(pieces.count)")
        var data: [UInt8] = []
        for (index, piece) in pieces.enumerated() {
            let length = index < 3 ? 1448 : 5000 - 3 * 1448
            try expect(piece.count == headers + length, "segment \(index) is \(piece.count) bytes")
            guard let segment = tcpSegment(of: piece) else {
                throw TestFailure("segment \(index) does not parse with valid IPv4 and TCP checksums")
            }
            try expect(segment.header.sequenceNumber == 0xFFFF_F000 &+ UInt32(index * 1448),
                "segment \(index) starts at the right sequence number (wrapping)")
            let last = index == 3
            try expect(segment.header.flags.contains(.fin) == last && segment.header.flags.contains(.psh) == last,
                "FIN and PSH only on the last segment: \(index) has [\(segment.header.flags)]")
            try expect(segment.header.options.timestamps == TCPTimestamps(value: 5, echoReply: 6),
                "every segment keeps the options")
            let identification = UInt16(piece[18]) << 8 | UInt16(piece[19])
            try expect(identification == 0x1234 &+ UInt16(index), "IPv4 Identification advances per segment")
            data += segment.payload
        }
        try expect(data == Array(frame[headers...]), "the segments carry the payload in order")
        // A checksum-partial frame that needs no cutting gets its checksum completed.
        let small = tsoFrame(payload: 100)
        let partial = NetFrameMetadata(checksumPartial: true, checksumStart: 34, checksumOffset: 16)
        guard let completed = SoftwareOffload.wireFrames(small, metadata: partial), completed.count == 1,
            tcpSegment(of: completed[0]) != nil
        else { throw TestFailure("a checksum-partial frame was not completed") }
        try expect(tcpSegment(of: small) == nil, "the partial checksum alone does not verify")
        // Offsets that are not the TCP header's are refused, as a device drops them.
        var wrong = metadata
        wrong.checksumOffset = 6
        try expect(SoftwareOffload.wireFrames(frame, metadata: wrong) == nil, "a TSO frame with a UDP offset is refused")
    }

    suite.test("offload.tso-sender-to-plain-receiver-over-loss") { () throws(TestFailure) in
        let (network, client, server) = try setUp(
            a: transmitOffloads, b: [], faults: FaultConfiguration(lossRate: 0.01), seed: 301)
        network.link.isCapturing = true
        let flow = Flow(4 << 20, seed: 31, from: client, to: server)
        drive(network, [flow], within: .seconds(600), step: {
            if network.link.isCapturing && flow.received >= 1 << 20 { network.link.isCapturing = false }
        })
        try flow.expectIntact("4 MiB from a TSO sender over 1 % loss")
        let sent = client.0.interface.counters.ethernet
        let counters = client.0[client.1].counters
        let largest = network.link.captured.filter { $0.port == client.0.port }.map { $0.bytes.count }.max() ?? 0
        print("  tso: frames=\(sent.sent) tso=\(sent.segmentationOffloads) largest=\(largest)"
            + " lost=\(network.link.faults.counters.lost) retransmits=\(counters.retransmits)")
        try expect(sent.segmentationOffloads > 0, "the sender handed the device TSO frames")
        try expect(largest > 1514 && largest <= 65549, "TSO frames are longer than the MTU, at most 64 KiB: \(largest)")
        try expect(sent.sent < (4 << 20) / 1448, "fewer frames than segments: \(sent.sent)")
        try expect(network.link.faults.counters.lost > 0 && counters.retransmits > 0, "lost segments were repaired")
        try expect(server.0.sockets.tcp.counters.checksumErrors == 0, "every segment the link cut checksums")
        try expect(network.link.oversizeFrames == 0, "the link refused no frame")
    }

    suite.test("offload.coalesced-frames-both-ways") { () throws(TestFailure) in
        let (network, client, server) = try setUp(a: allOffloads, b: allOffloads, seed: 302)
        let up = Flow(4 << 20, seed: 32, from: client, to: server)
        let down = Flow(4 << 20, seed: 33, from: server, to: client)
        drive(network, [up, down], within: .seconds(600))
        try up.expectIntact("4 MiB client to server")
        try down.expectIntact("4 MiB server to client")
        let a = client.0.interface.counters.ethernet
        let b = server.0.interface.counters.ethernet
        print("  coalesced: a tso=\(a.segmentationOffloads) gro=\(a.coalesced) b tso=\(b.segmentationOffloads)"
            + " gro=\(b.coalesced)")
        try expect(a.segmentationOffloads > 0 && b.segmentationOffloads > 0, "both ends sent TSO frames")
        try expect(a.coalesced > 0 && b.coalesced > 0, "both ends took whole TSO frames")
        try expect(client.0.sockets.tcp.counters.checksumErrors + server.0.sockets.tcp.counters.checksumErrors == 0,
            "checksums vouched for by the device are not counted as errors")
    }
}
