/// The seam between a connection and the interface (`TCPIncomingSegment`, `TCPOutgoingSegment`, the emit
/// callback): a segment the device refuses commits nothing and is built again, byte for byte, at the next
/// dispatch; a refused reply becomes an owed ACK; data comes in from a borrowed payload and goes out from the send
/// ring with no copy of its own.
import Net
import Runtime

private let aEndpoint = TCPEndpoint(ip("10.0.0.2"), 49152)
private let bEndpoint = TCPEndpoint(ip("10.0.0.3"), 80)
private let t0 = Instant(nanoseconds: 1_000_000_000)

private func seamConfiguration() -> TCPConfiguration {
    var configuration = TCPConfiguration()
    configuration.receiveBufferSize = 8192
    configuration.sendBufferSize = 8192
    configuration.maximumSegmentSize = 1000
    configuration.timestamps = false
    configuration.delayedAckTimeout = nil
    configuration.noDelay = true
    return configuration
}

/// A and B after the three-way handshake (through the owned-segment adapter).
private func seamConnection() throws(TestFailure) -> (TCPControlBlock, TCPControlBlock) {
    var a = TCPControlBlock(connectingFrom: aEndpoint, to: bEndpoint, iss: 1000, configuration: seamConfiguration())
    let syn = try unwrap(a.dispatch(now: t0), "SYN")
    var b = TCPControlBlock(
        acceptingSYN: syn.header, at: bEndpoint, from: aEndpoint, iss: 5000, configuration: seamConfiguration())
    _ = a.process(try unwrap(b.dispatch(now: t0), "SYN-ACK"), now: t0)
    _ = b.process(try unwrap(a.dispatch(now: t0), "ACK"), now: t0)
    try expect(a.state == .established && b.state == .established, "both established")
    return (a, b)
}

/// Dispatches once with a device that refuses; returns the segment it was offered (a copy) and the result.
private func refusedDispatch(_ connection: inout TCPControlBlock, now: Instant) -> (TCPSegment?, TCPDispatchResult) {
    var offered: TCPSegment? = nil
    let result = connection.dispatch(now: now) { outgoing in
        offered = TCPSegment(outgoing)
        return false
    }
    return (offered, result)
}

/// ``TCPControlBlock/receive(maximum:)``, its error a test failure.
private func receive(_ connection: inout TCPControlBlock, maximum: Int) throws(TestFailure) -> [UInt8] {
    do throws(TCPReceiveError) {
        return try connection.receive(maximum: maximum)
    } catch {
        throw TestFailure("receive: \(error)")
    }
}

func registerSeamTests(_ suite: inout TestSuite) {
    suite.test("seam.refused-data-segment-commits-nothing") { () throws(TestFailure) in
        var (a, _) = try seamConnection()
        let data = pattern(2500, seed: 3)
        try expectEqual(try sendAll(&a, data), 2500, "queued")
        let sentBefore = a.counters.segmentsSent
        let (offered, result) = refusedDispatch(&a, now: t0)
        try expectEqual(result, .refused, "the device refused")
        let refused = try unwrap(offered, "a segment was offered")
        try expectEqual(refused.header.sequenceNumber, 1001, "the first data segment")
        try expectBytes(refused.payload, Array(data[0..<1000]), "its data, borrowed from the send ring")
        try expectEqual(a.counters.segmentsSent, sentBefore, "not counted as sent")
        try expect(a.pollAt(now: t0) == t0, "still due now")
        // Refused again and again: still nothing committed.
        for _ in 0..<3 { _ = refusedDispatch(&a, now: t0) }
        let first = try unwrap(a.dispatch(now: t0), "sent once the device takes it")
        try expectEqual(first, refused, "the same segment, byte for byte")
        let second = try unwrap(a.dispatch(now: t0), "the next one")
        try expectEqual(second.header.sequenceNumber, 2001, "SND.NXT advanced only for the accepted one")
        try expectEqual(a.counters.segmentsSent, sentBefore + 2, "two segments sent")
    }

    suite.test("seam.refused-syn-and-fin-are-built-again") { () throws(TestFailure) in
        var a = TCPControlBlock(connectingFrom: aEndpoint, to: bEndpoint, iss: 1000, configuration: seamConfiguration())
        let (syn, result) = refusedDispatch(&a, now: t0)
        try expect(result == .refused && syn?.header.flags == [.syn], "a SYN was offered and refused")
        try expect(a.pollAt(now: t0) == t0, "the SYN is still due, no retransmission timer")
        try expectEqual(try unwrap(a.dispatch(now: t0), "SYN").header, syn!.header, "the same SYN")
        var (c, _) = try seamConnection()
        c.close()
        let (fin, finResult) = refusedDispatch(&c, now: t0)
        try expect(finResult == .refused && fin?.header.flags.contains(.fin) == true, "a FIN was offered")
        try expectEqual(c.state, .finWait1, "closing")
        try expectEqual(try unwrap(c.dispatch(now: t0), "FIN").header, fin!.header, "the same FIN")
        try expect(c.dispatch(now: t0) == nil, "one FIN")
    }

    suite.test("seam.refused-reply-becomes-an-owed-ack") { () throws(TestFailure) in
        var (a, _) = try seamConnection()
        // An unacceptable segment (below RCV.NXT, with data) calls for an ACK at once.
        var old = TCPHeader(sourcePort: 80, destinationPort: 49152, sequenceNumber: 4000, acknowledgmentNumber: 1001,
            flags: [.ack], window: 8192)
        old.payloadLength = 10
        let payload = pattern(10)
        var offered = 0
        payload.withUnsafeBytes { bytes in
            a.process(TCPIncomingSegment(header: old, payload: bytes), now: t0) { _ in
                offered += 1
                return false
            }
        }
        try expectEqual(offered, 1, "an ACK was offered at once")
        try expect(a.hasOutputDue, "refused, it is owed")
        let ack = try unwrap(a.dispatch(now: t0), "the owed ACK goes out at the next dispatch")
        try expect(ack.header.flags == [.ack] && ack.header.acknowledgmentNumber == 5001, "ACK of RCV.NXT")
    }

    suite.test("seam.borrowed-payload-lands-in-the-ring") { () throws(TestFailure) in
        var (_, b) = try seamConnection()
        var header = TCPHeader(sourcePort: 49152, destinationPort: 80, sequenceNumber: 1001, acknowledgmentNumber: 5001,
            flags: [.ack, .psh], window: 8192)
        let data = pattern(1500, seed: 9)
        // The payload is a slice of a larger buffer, as it is inside a received frame.
        let frame = [UInt8](repeating: 0xEE, count: 54) + data + [UInt8](repeating: 0xEE, count: 4)
        header.payloadLength = data.count
        frame.withUnsafeBytes { bytes in
            b.process(
                TCPIncomingSegment(header: header, payload: UnsafeRawBufferPointer(rebasing: bytes[54..<1554])), now: t0
            ) { _ in true }
        }
        try expectEqual(b.receiveQueueCount, 1500, "taken whole")
        try expectBytes(try receive(&b, maximum: 600), Array(data[0..<600]), "read in order")
        let rest = try receive(&b, maximum: 65536)
        try expectBytes(rest, Array(data[600...]), "the rest")
        try expect(rest.capacity < 2048, "an array of about the bytes there were, not 64 KiB: \(rest.capacity)")
        try expectBytes(try receive(&b, maximum: 65536), [], "then nothing")
    }
}
