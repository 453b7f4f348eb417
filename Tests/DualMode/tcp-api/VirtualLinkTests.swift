/// The async API over a simulated link in virtual time: two ``NetworkStackOn`` stacks on NetTesting's
/// ``VirtualLink``, timed by one ``VirtualClock`` that advances only when every task is idle. Every instant below
/// is exact, and the same in both modes: nothing reads the platform's clock, and the stacks' random numbers are
/// seeded.
import Net
import NetTesting
import Runtime

typealias VirtualStack = NetworkStackOn<VirtualLinkDevice, VirtualClock>
typealias VirtualConnection = TCPConnectionOn<VirtualLinkDevice, VirtualClock>
typealias VirtualListener = TCPListenerOn<VirtualLinkDevice, VirtualClock>

/// A link with 1 ms of latency, stack `a` (10.7.0.1, port 0) and stack `b` (10.7.0.2, port 1) on it, one clock.
struct VirtualPair {
    let clock = VirtualClock()
    let link = VirtualLink(latency: .milliseconds(1))
    let a: VirtualStack
    let b: VirtualStack

    init() {
        self.a = VirtualStack.start(
            device: self.link.attach(mac: MACAddress(0x02, 0, 0, 0, 7, 1)), clock: self.clock,
            configuration: .static(cidr: IPv4CIDR("10.7.0.1/24")!, gateway: nil), tcpCapacity: 8,
            random: seededRandom(1))
        self.b = VirtualStack.start(
            device: self.link.attach(mac: MACAddress(0x02, 0, 0, 0, 7, 2)), clock: self.clock,
            configuration: .static(cidr: IPv4CIDR("10.7.0.2/24")!, gateway: nil), tcpCapacity: 8,
            random: seededRandom(2))
    }

    /// The clock's start.
    let start = VirtualClock().now

    /// Virtual milliseconds since the clock's start.
    var elapsed: UInt64 { (self.clock.now.nanoseconds - self.start.nanoseconds) / 1_000_000 }

    /// Runs `body` in virtual time; a deadlock (every task waiting, no deadline left) is a failure.
    func run(_ body: @escaping () async throws(TestFailure) -> Void) async throws(TestFailure) {
        let outcome = await self.clock.run { () async -> TestFailure? in
            do throws(TestFailure) {
                try await body()
                return nil
            } catch {
                return error
            }
        }
        guard let outcome else { throw TestFailure("virtual time ran out: every task waits for ever") }
        if let failure = outcome { throw failure }
    }
}

/// Reads exactly `count` bytes (timeouts in virtual time).
func readVirtual(_ connection: VirtualConnection, _ count: Int) async throws(TestFailure) -> [UInt8] {
    var bytes: [UInt8] = []
    while bytes.count < count {
        let chunk = try await tcp("read after \(bytes.count) of \(count) bytes") { () async throws(TCPError) in
            try await connection.read(maximum: count - bytes.count, timeout: .seconds(60))
        }
        if chunk.isEmpty { throw TestFailure("end of stream after \(bytes.count) of \(count) bytes") }
        bytes += chunk
    }
    return bytes
}

/// The TCP payload length of a captured IPv4/TCP frame, `nil` for any other frame.
func tcpPayloadLength(_ frame: [UInt8]) -> Int? {
    guard frame.count >= 54, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6 else { return nil }
    let ipLength = Int(frame[14] & 0x0F) * 4
    let total = Int(frame[16]) << 8 | Int(frame[17])
    guard frame.count >= 14 + ipLength + 20 else { return nil }
    let tcpLength = Int(frame[14 + ipLength + 12] >> 4) * 4
    return total - ipLength - tcpLength
}

func registerVirtualLinkTests(_ suite: inout TestSuite) {
    suite.test("virtual.two-stacks-exchange-data-in-virtual-time") { () async throws(TestFailure) in
        let net = VirtualPair()
        let realStart = Instant.now
        try await net.run { () async throws(TestFailure) in
            let listener = try await tcp("listen") { () async throws(TCPError) in
                try VirtualListener.listen(port: 80, on: net.b)
            }
            let client = try await tcp("connect") { () async throws(TCPError) in
                try await VirtualConnection.connect(to: IPv4Address("10.7.0.2")!, port: 80, on: net.a, timeout: .seconds(5))
            }
            // ARP request and reply (2 ms), then SYN and SYN-ACK (2 ms): established at +4 ms exactly.
            try expectEqual(net.elapsed, 4, "handshake done at (virtual) +4 ms")
            let server = try await tcp("accept") { () async throws(TCPError) in try await listener.accept(timeout: .seconds(5)) }
            let data = pattern(300_000, seed: 5)
            let writer = Task { () -> Bool in (try? await client.write(data)) != nil }
            try expectBytes(try await readVirtual(server, data.count), data, "300 kB across the link")
            try expect(await writer.value, "write completed")
            try await tcp("reply") { () async throws(TCPError) in try await server.write(Array("done".utf8)) }
            try expectBytes(try await readVirtual(client, 4), Array("done".utf8), "reply")
            // A timeout in virtual time: exactly 30 s later, and no real wait.
            let before = net.clock.now
            try await expectError(.timedOut, "nothing to read", else: "read returned data") { () async throws(TCPError) in
                _ = try await client.read(timeout: .seconds(30))
            }
            try expectEqual(net.clock.now, before + .seconds(30), "the read timed out at exactly +30 s (virtual)")
            client.close()
            server.close()
        }
        try expect(Instant.now - realStart < .seconds(20), "30 virtual seconds took less than 20 real ones")
        print("virtual: exchange finished at +\(net.elapsed) ms (virtual), \(net.clock.advances) clock advances")
    }

    suite.test("virtual.lost-segment-is-retransmitted-at-the-rto") { () async throws(TestFailure) in
        let net = VirtualPair()
        try await net.run { () async throws(TestFailure) in
            let listener = try await tcp("listen") { () async throws(TCPError) in
                try VirtualListener.listen(port: 80, on: net.b)
            }
            let client = try await tcp("connect") { () async throws(TCPError) in
                try await VirtualConnection.connect(to: IPv4Address("10.7.0.2")!, port: 80, on: net.a, timeout: .seconds(5))
            }
            let server = try await tcp("accept") { () async throws(TCPError) in try await listener.accept(timeout: .seconds(5)) }
            // Let the handshake's last ACK land, then lose whatever is sent at this very instant.
            try? await net.clock.sleep(until: net.clock.now + .milliseconds(10))
            let sent = net.clock.now
            net.link.outage(from: sent, until: sent + .nanoseconds(1))
            net.link.captured.removeAll()
            try await tcp("write") { () async throws(TCPError) in try await client.write(Array("lost once".utf8)) }
            try expectBytes(try await readVirtual(server, 9), Array("lost once".utf8), "delivered by the retransmission")
            // The segment went out at `sent`, was lost, and went again one RTO later: RTT 2 ms, so the 200 ms floor
            // (TCPConfiguration.minimumRetransmissionTimeout); it arrived 1 ms after that.
            let data = net.link.captured.filter { $0.port == 0 && tcpPayloadLength($0.bytes) == 9 }
            try expectEqual(data.count, 2, "the data segment was sent twice")
            try expectEqual(data[0].time, sent, "first sent at once")
            try expectEqual(data[1].time, sent + .milliseconds(200), "sent again at exactly +200 ms (the RTO)")
            try expectEqual(net.clock.now, sent + .milliseconds(201), "read returned when it arrived, at +201 ms")
            try expectEqual(net.link.faults.counters.outageLost, 1, "one frame lost")
            try expectEqual(client.counters.timeouts, 1, "one retransmission timeout")
            try expectEqual(client.counters.retransmits, 1, "one retransmission")
            client.close()
            server.close()
        }
    }

    suite.test("virtual.deadlock-in-virtual-time-is-reported") { () async throws(TestFailure) in
        let clock = VirtualClock()
        let start = clock.now
        let outcome = await clock.run { () async -> Bool in
            // A sleep that ends, then a wait nothing can end.
            try? await clock.sleep(until: start + .seconds(3))
            await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
            return true
        }
        try expect(outcome == nil, "run reports that nothing can happen any more")
        try expectEqual(clock.now, start + .seconds(3), "after the one sleep")
    }
}
