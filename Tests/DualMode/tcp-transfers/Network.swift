/// The test network of this suite: two interfaces on a ``VirtualLink`` driven by a virtual clock from event to event,
/// and ``Flow``s that stream a seeded byte pattern through a TCP connection and check every byte on arrival (no
/// copy of the stream is kept on either side, so 10 MiB costs no 10 MiB buffers).
import Net
import NetTesting
import Runtime

/// This suite's network: 1 ms one-way latency (a 2 ms round trip), these seeded faults, nothing captured until a
/// test turns ``VirtualLink/isCapturing`` on.
func transferNetwork(faults: FaultConfiguration = .none, seed: UInt64 = 1) -> TCPTestNetwork {
    TCPTestNetwork(faults: faults, seed: seed, latency: .milliseconds(1), capturing: false)
}

/// The settings of the suite: window scaling (on by default), 512 KiB rings, Linux's 200 ms RTO floor.
func transferConfiguration(buffers: Int = 512 * 1024) -> TCPConfiguration {
    var configuration = TCPConfiguration()
    configuration.receiveBufferSize = buffers
    configuration.sendBufferSize = buffers
    configuration.minimumRetransmissionTimeout = .milliseconds(200)
    configuration.maximumSegmentLifetime = .seconds(1)
    return configuration
}

/// A connection from `a` to a listener on `b` with this suite's settings (``TCPTestNetwork/connect(_:to:port:client:server:)``).
func connect(
    _ network: TCPTestNetwork, _ a: TCPHost, _ b: TCPHost, port: UInt16 = 80,
    client: TCPConfiguration = transferConfiguration(), server: TCPConfiguration = transferConfiguration()
) throws(TestFailure) -> (TCPHandle, TCPHandle) {
    try network.connect(a, to: b, port: port, client: client, server: server)
}

// MARK: - The stream

/// The bytes of a test stream: byte `i` is byte `i % 8` (little-endian) of a SplitMix64 hash of `i / 8` and the
/// seed. No stretch repeats, so data delivered at a wrong offset never matches (a short periodic pattern can).
struct StreamPattern {
    let seed: UInt64

    func word(_ index: Int) -> UInt64 {
        var z = UInt64(truncatingIfNeeded: index) &+ self.seed &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Writes the stream's bytes `offset ..< offset + buffer.count` into `buffer`.
    func fill(_ buffer: UnsafeMutableRawBufferPointer, from offset: Int) {
        var position = 0
        var index = offset
        while position < buffer.count {
            let word = self.word(index >> 3)
            var shift = UInt64((index & 7) * 8)
            while shift < 64 && position < buffer.count {
                buffer[position] = UInt8(truncatingIfNeeded: word >> shift)
                shift += 8
                position += 1
                index += 1
            }
        }
    }

    /// The index in `bytes` of the first byte that differs from the stream at `offset`, or `nil`.
    func firstMismatch(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        var position = 0
        var index = offset
        while position < bytes.count {
            let word = self.word(index >> 3)
            var shift = UInt64((index & 7) * 8)
            while shift < 64 && position < bytes.count {
                if bytes[position] != UInt8(truncatingIfNeeded: word >> shift) { return position }
                shift += 8
                position += 1
                index += 1
            }
        }
        return nil
    }
}

/// One direction of a transfer: `count` bytes of a ``StreamPattern`` from `sender` to `receiver`, then a FIN.
/// ``step(_:)`` queues what the send ring takes and checks what arrived; `isReading` pauses the receiver.
final class Flow {
    let sender: TCPHost
    let sendHandle: TCPHandle
    let receiver: TCPHost
    let receiveHandle: TCPHandle
    let count: Int
    let stream: StreamPattern
    /// Bytes queued for sending so far.
    var sent = 0
    /// Bytes received and checked so far.
    var received = 0
    /// Whether the receiver reads (a paused receiver lets its window close).
    var isReading = true
    /// The receiver read every byte and then the end of the stream.
    var finished = false
    /// What went wrong on the receiving side, if anything (a wrong byte, an error other than the end).
    var problem: String?

    init(_ count: Int, seed: UInt64, from sender: (TCPHost, TCPHandle), to receiver: (TCPHost, TCPHandle)) {
        self.count = count
        self.stream = StreamPattern(seed: seed)
        (self.sender, self.sendHandle) = sender
        (self.receiver, self.receiveHandle) = receiver
    }

    var isDone: Bool { self.finished || self.problem != nil }

    /// Queues stream bytes (closing after the last) and checks received ones, using `buffer` as scratch.
    func step(_ buffer: UnsafeMutableRawBufferPointer) {
        while self.sent < self.count && self.sender[self.sendHandle].canSend {
            let length = Swift.min(self.sender[self.sendHandle].sendCapacityLeft, self.count - self.sent, buffer.count)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
            self.stream.fill(chunk, from: self.sent)
            let taken = (try? self.sender[self.sendHandle].send(UnsafeRawBufferPointer(chunk))) ?? 0
            if taken == 0 { break }
            self.sent += taken
            if self.sent == self.count { self.sender[self.sendHandle].close() }
        }
        while self.isReading && !self.isDone {
            let length: Int
            do throws(TCPReceiveError) {
                length = try self.receiver[self.receiveHandle].receive(into: buffer)
            } catch {
                if error == .finished && self.received == self.count {
                    self.finished = true
                } else {
                    self.problem = "\(error) after \(self.received) of \(self.count) bytes"
                }
                return
            }
            if length == 0 { return }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
            if let index = self.stream.firstMismatch(bytes, at: self.received) {
                self.problem = "wrong byte at offset \(self.received + index)"
                return
            }
            self.received += length
            if self.received > self.count { self.problem = "\(self.received) bytes, more than the \(self.count) sent" }
        }
    }

    /// Fails unless every byte arrived intact, followed by the FIN.
    func expectIntact(_ what: String) throws(TestFailure) {
        if let problem { throw TestFailure("\(what): \(problem); \(self.state)") }
        try expect(
            self.finished, "\(what): \(self.received) of \(self.count) bytes and no end of stream; \(self.state)")
    }

    /// Both ends in one line, for failure messages.
    var state: String {
        "sender \(self.sender[self.sendHandle]) receiver \(self.receiver[self.receiveHandle])"
    }
}

/// Runs `flows` on `network` until each one finished (or failed) or `condition` holds, for at most `duration` of
/// virtual time; `step` runs after each round of polls, before the flows'.
func drive(
    _ network: TCPTestNetwork, _ flows: [Flow], within duration: Duration, step: () -> Void = {},
    until condition: () -> Bool = { false }
) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
    defer { buffer.deallocate() }
    network.run(
        for: duration,
        step: {
            step()
            for flow in flows { flow.step(buffer) }
        },
        until: { condition() || flows.allSatisfy { $0.isDone } })
}

// MARK: - Reading the capture

/// The TCP segment of a captured Ethernet frame, checksums verified; `nil` for anything else.
func tcpSegment(of frame: [UInt8]) -> TCPSegment? {
    var buffer = PacketBuffer(frame)
    return buffer.withUnsafeMutableReadableBytes { raw -> TCPSegment? in
        guard let ethernet = try? EthernetPacket(checking: raw),
            let datagram = try? IPv4Packet(checking: ethernet.payload),
            let ip = try? IPv4Header(parsing: datagram), ip.nextProtocol == .tcp,
            let packet = try? TCPPacket(checking: datagram.payload),
            let header = try? TCPHeader(parsing: packet, source: ip.source, destination: ip.destination)
        else { return nil }
        return TCPSegment(header: header, payload: Array(UnsafeRawBufferPointer(packet.payload)))
    }
}

/// The segments `host` sent while the link was capturing, with their sending times.
func capturedSegments(_ network: TCPTestNetwork, from host: TCPHost) -> [(time: Instant, segment: TCPSegment)] {
    var result: [(time: Instant, segment: TCPSegment)] = []
    for frame in network.link.captured where frame.port == host.port {
        if let segment = tcpSegment(of: frame.bytes) { result.append((frame.time, segment)) }
    }
    return result
}

/// The gaps between successive instants, in milliseconds.
func intervals(_ times: [Instant]) -> [Int64] {
    var result: [Int64] = []
    for index in times.indices.dropFirst() { result.append((times[index] - times[index - 1]).milliseconds) }
    return result
}

/// `[a, b, c]` for numbers.
func numbers(_ values: [Int64]) -> String { list(values.map { Int($0) }) }
