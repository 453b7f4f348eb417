/// A device whose transmit queue fills and that cannot say when it drains (as every real device: its
/// ``NetworkDevice/transmitReadyTime(now:)`` is `nil`): the interface neither polls again at once in a loop while it
/// stays full (``Interface/nextPollTime(now:sockets:)`` backs off, 10 µs doubling to 1 ms), nor drops the datagrams
/// that waited for ARP when the reply finds the queue full (they wait for room).
import Net
import NetTesting
import Runtime

/// A device with `room` transmit slots that the test refills; frames to receive are queued by the test.
struct GatedDevice: NetworkDevice {
    let mac = testMAC(2)
    let mtu = 1500
    /// Frames the device still takes before it reports its queue full (`.again`).
    var room = 0
    var inbox: [[UInt8]] = []
    var sent: [[UInt8]] = []

    mutating func receive(into buffer: UnsafeMutableRawBufferPointer, now: Instant) throws(NetworkDeviceError) -> Int {
        guard !self.inbox.isEmpty else { throw .again }
        let frame = self.inbox.removeFirst()
        frame.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return frame.count
    }

    mutating func transmit(_ frame: UnsafeRawBufferPointer, now: Instant) throws(NetworkDeviceError) {
        guard self.room > 0 else { throw .again }
        self.room -= 1
        self.sent.append(Array(frame))
    }
}

private let peer = (mac: testMAC(3), address: ip("10.0.0.3"))

/// An interface at 10.0.0.2/24 on a ``GatedDevice``, with no announcements, and a UDP socket on port 5000.
private func gatedInterface() throws(TestFailure) -> (Interface<GatedDevice>, SocketSet, UDPHandle) {
    var configuration = InterfaceConfiguration(address: IPv4CIDR("10.0.0.2/24")!)
    configuration.arp.announcements = 0
    let interface = Interface(device: GatedDevice(), configuration: configuration)
    var sockets = SocketSet()
    let handle: UDPHandle
    do throws(UDPBindError) {
        handle = try sockets.bindUDP(port: 5000)
    } catch {
        throw TestFailure("bind: \(error)")
    }
    return (interface, sockets, handle)
}

private func queue(_ count: Int, on handle: UDPHandle, in sockets: inout SocketSet) throws(TestFailure) {
    for index in 0..<count {
        do throws(UDPSocketSendError) {
            try sockets[udp: handle].send([UInt8(index)], to: peer.address, port: 7000)
        } catch {
            throw TestFailure("queue datagram \(index): \(error)")
        }
    }
}

/// The UDP payloads (one byte each) among `frames`, in order, of datagrams to the peer's MAC.
private func datagramsToPeer(_ frames: [[UInt8]]) -> [UInt8] {
    frames.map { Decoded($0) }.filter { $0.udp != nil && $0.ethernet?.destination == peer.mac }
        .map { $0.udpPayload.first ?? 255 }
}

/// Two datagrams queued to the unresolved peer (the ARP request takes the device's one slot of room), then the
/// peer's reply arriving while the device's queue is full, at `now`. Returns the instant after that poll.
private func releaseIntoFullQueue(
    _ interface: Interface<GatedDevice>, _ sockets: inout SocketSet, _ handle: UDPHandle, now: Instant
) throws(TestFailure) -> Instant {
    interface.device.room = 1
    try queue(2, on: handle, in: &sockets)
    interface.poll(now: now, sockets: &sockets)
    try expectEqual(interface.pendingResolutionCount, 2, "both wait for ARP")
    try expect(Decoded(interface.device.sent[0]).isARPRequest, "the request went out")
    interface.device.inbox.append(
        ethernetFrame(
            to: testMAC(2), from: peer.mac, type: .arp,
            arpPayload(
                ARPMessage(
                    operation: .reply, senderHardwareAddress: peer.mac, senderProtocolAddress: peer.address,
                    targetHardwareAddress: testMAC(2), targetProtocolAddress: ip("10.0.0.2")))))
    let later = now + .milliseconds(1)
    interface.poll(now: later, sockets: &sockets)
    try expectEqual(interface.pendingResolutionCount, 0, "resolved")
    return later
}

func registerTransmitQueueTests(_ suite: inout TestSuite) {
    suite.test("txqueue.datagrams-released-by-arp-into-a-full-queue-wait-for-room") { () throws(TestFailure) in
        var (interface, sockets, handle) = try gatedInterface()
        let now = try releaseIntoFullQueue(interface, &sockets, handle, now: Instant(nanoseconds: 1_000_000_000))
        try expectEqual(interface.counters.ethernet.transmitQueueFull, 0, "nothing dropped into the full queue")
        let next = try unwrap(interface.nextPollTime(now: now, sockets: sockets), "a poll time")
        try expect(next > now, "a later poll time (backoff), not at once")
        interface.device.room = 8
        interface.poll(now: next, sockets: &sockets)
        try expect(datagramsToPeer(interface.device.sent) == [0, 1], "both datagrams went, in order")
        try expectEqual(interface.counters.ethernet.transmitQueueFull, 0, "none dropped")
        try expect(interface.nextPollTime(now: next, sockets: sockets) == nil, "nothing left to do")
    }

    suite.test("txqueue.full-queue-backs-off-instead-of-polling-at-once") { () throws(TestFailure) in
        var (interface, sockets, handle) = try gatedInterface()
        var now = try releaseIntoFullQueue(interface, &sockets, handle, now: Instant(nanoseconds: 1_000_000_000))
        let deferred = interface.counters.ethernet.transmitDeferred
        var waits: [Int64] = []
        for _ in 0..<8 {
            guard let next = interface.nextPollTime(now: now, sockets: sockets) else {
                throw TestFailure("no poll time while datagrams wait")
            }
            waits.append((next - now).nanosecondsClamped / 1000)
            now = next
            interface.poll(now: now, sockets: &sockets)
        }
        let shown = waits.map { String($0) }.joined(separator: " ")
        print("  waits while the queue stays full (µs): \(shown)")
        try expect(waits == [10, 20, 40, 80, 160, 320, 640, 1000], "backoff doubles from 10 µs to 1 ms: \(shown)")
        try expectEqual(interface.counters.ethernet.transmitDeferred - deferred, 8, "one refusal per poll")
        try expectEqual(interface.counters.ethernet.transmitQueueFull, 0, "nothing dropped")
        interface.device.room = 8
        interface.poll(now: now, sockets: &sockets)
        try expect(datagramsToPeer(interface.device.sent) == [0, 1], "the datagrams went once there was room")
        try expect(interface.nextPollTime(now: now, sockets: sockets) == nil, "nothing left to do, backoff reset")
    }
}
