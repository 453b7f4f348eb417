/// Back-pressure from the device: a sender whose port has a short transmit queue (``VirtualTransmitQueue``) that its
/// windows overrun many times over. The device refuses frames while the queue is full; the interface stops its
/// egress and each refused segment is built again once there is room, so nothing is lost: no retransmission, no
/// timeout, and every byte arrives. Before back-pressure, each refused frame was dropped after its connection had
/// advanced SND.NXT, and only a retransmission (often a timeout) brought it back.
import Net
import NetTesting
import Runtime

/// Hosts `a` (its port's queue `queue`, offloads `aOffloads`) and `b` (no queue), connected.
private func setUp(
    queue: VirtualTransmitQueue, bQueue: VirtualTransmitQueue? = nil, offloads: NetOffloads = [], seed: UInt64
) throws(TestFailure) -> (TCPTestNetwork, (TCPHost, TCPHandle), (TCPHost, TCPHandle)) {
    let network = transferNetwork(seed: seed)
    network.offloads = offloads
    network.transmitQueue = queue
    let a = network.addHost("10.0.0.2/24", mac: 2)
    network.transmitQueue = bQueue
    let b = network.addHost("10.0.0.3/24", mac: 3)
    let (client, server) = try connect(network, a, b)
    return (network, (a, client), (b, server))
}

/// Fails unless `host`'s side of the connection lost nothing to its device: refusals happened (the queue did
/// fill), none was a drop, and no segment had to be sent again.
private func expectNothingLost(
    _ network: TCPTestNetwork, _ host: TCPHost, _ handle: TCPHandle, _ what: String
) throws(TestFailure) {
    let ethernet = host.interface.counters.ethernet
    let counters = host[handle].counters
    print("  \(what): frames=\(ethernet.sent) deferred=\(ethernet.transmitDeferred)"
        + " dropped=\(ethernet.transmitQueueFull) refusals=\(network.link.transmitQueueRefusals)"
        + " retransmits=\(counters.retransmits) timeouts=\(counters.timeouts)")
    try expect(ethernet.transmitDeferred > 0, "\(what): the queue filled and refused segments")
    try expectEqual(ethernet.transmitQueueFull, 0, "\(what): no TCP frame was dropped")
    try expectEqual(counters.timeouts, 0, "\(what): no retransmission timeout")
    try expectEqual(counters.retransmits, 0, "\(what): nothing sent twice")
}

func registerBackPressureTests(_ suite: inout TestSuite) {
    suite.test("backpressure.full-queue-defers-without-loss") { () throws(TestFailure) in
        // 8 frames at 100 Mbit/s: a 512 KiB window is ~360 frames, so the queue is full most of the time.
        let (network, client, server) = try setUp(
            queue: VirtualTransmitQueue(frames: 8, bytesPerSecond: 12_500_000), seed: 401)
        let flow = Flow(4 << 20, seed: 41, from: client, to: server)
        let began = network.now
        drive(network, [flow], within: .seconds(120))
        try flow.expectIntact("4 MiB through an 8-frame queue")
        try expectNothingLost(network, client.0, client.1, "sender")
        // The wire, not retransmissions, sets the pace: 4 MiB at 12.5 MB/s is 0.34 s (plus headers and ramp-up).
        let elapsed = (network.now - began).milliseconds
        try expect(elapsed < 1000, "4 MiB at 100 Mbit/s took \(elapsed) ms")
    }

    suite.test("backpressure.both-directions-and-tso") { () throws(TestFailure) in
        // Two TSO frames' worth of queue each way, 1 Gbit/s; both ends send 2 MiB at once.
        let queue = VirtualTransmitQueue(frames: 2, bytesPerSecond: 125_000_000)
        let (network, client, server) = try setUp(
            queue: queue, bQueue: queue, offloads: [.transmitChecksum, .transmitSegmentation], seed: 402)
        let up = Flow(2 << 20, seed: 42, from: client, to: server)
        let down = Flow(2 << 20, seed: 43, from: server, to: client)
        drive(network, [up, down], within: .seconds(120))
        try up.expectIntact("2 MiB up")
        try down.expectIntact("2 MiB down")
        try expectNothingLost(network, client.0, client.1, "client")
        try expectNothingLost(network, server.0, server.1, "server")
        try expect(client.0.interface.counters.ethernet.segmentationOffloads > 0, "TSO frames went through the queue")
    }
}
