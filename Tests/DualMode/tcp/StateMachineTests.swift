/// The connection state machine (Sources/Net/TCP/TCPControlBlock*.swift), transition by transition: two machines
/// wired directly together with a virtual clock, every segment checked.
import Net
import Runtime

private let aEndpoint = TCPEndpoint(ip("10.0.0.2"), 49152)
private let bEndpoint = TCPEndpoint(ip("10.0.0.3"), 80)
private let start = Instant(nanoseconds: 1_000_000_000)

private func configuration() -> TCPConfiguration {
    var configuration = TCPConfiguration()
    configuration.maximumSegmentLifetime = .seconds(1)
    configuration.receiveBufferSize = 8192
    configuration.sendBufferSize = 8192
    configuration.maximumSegmentSize = 1000
    // Whole 1000-byte segments keep the arithmetic plain; the timestamp tests turn the option on.
    configuration.timestamps = false
    // One ACK per segment at once and no held data, so every exchange finishes at one instant; TimerTests.swift
    // covers delayed ACKs and Nagle.
    configuration.delayedAckTimeout = nil
    configuration.noDelay = true
    return configuration
}

/// Dispatches everything `from` has due and hands it to `to`; returns what was sent (replies of `to` are
/// delivered back to `from` at once).
@discardableResult
private func flush(_ from: inout TCPControlBlock, _ to: inout TCPControlBlock, _ now: Instant) -> [TCPSegment] {
    var sent: [TCPSegment] = []
    while let segment = from.dispatch(now: now) {
        sent.append(segment)
        if let reply = to.process(segment, now: now) { _ = from.process(reply, now: now) }
    }
    return sent
}

/// Exchanges segments until both are quiet.
private func settle(_ a: inout TCPControlBlock, _ b: inout TCPControlBlock, _ now: Instant) {
    for _ in 0..<100 {
        let fromA = flush(&a, &b, now)
        let fromB = flush(&b, &a, now)
        if fromA.isEmpty && fromB.isEmpty { return }
    }
}

/// A connection opened from A to B by the three-way handshake, each step checked.
private func established(
    _ settings: TCPConfiguration = configuration()
) throws(TestFailure) -> (TCPControlBlock, TCPControlBlock) {
    var a = TCPControlBlock(connectingFrom: aEndpoint, to: bEndpoint, iss: 1000, configuration: settings)
    try expectEqual(a.state, .synSent, "A after connect")
    let syn = try unwrap(a.dispatch(now: start), "SYN")
    try expectEqual(syn.header.flags, [.syn], "SYN flags")
    try expectEqual(syn.header.sequenceNumber, 1000, "SYN seq = ISS")
    try expect(syn.header.options.maximumSegmentSize == 1000, "SYN carries our MSS")
    try expect(a.dispatch(now: start) == nil, "one SYN")
    var b = TCPControlBlock(
        acceptingSYN: syn.header, at: bEndpoint, from: aEndpoint, iss: 5000, configuration: settings)
    try expectEqual(b.state, .synReceived, "B after SYN")
    let synAck = try unwrap(b.dispatch(now: start), "SYN-ACK")
    try expectEqual(synAck.header.flags, [.syn, .ack], "SYN-ACK flags")
    try expectEqual(synAck.header.sequenceNumber, 5000, "SYN-ACK seq")
    try expectEqual(synAck.header.acknowledgmentNumber, 1001, "SYN-ACK acks the SYN")
    try expect(a.process(synAck, now: start) == nil, "no immediate reply")
    try expectEqual(a.state, .established, "A after SYN-ACK")
    let ack = try unwrap(a.dispatch(now: start), "ACK")
    try expectEqual(ack.header.flags, [.ack], "ACK flags")
    try expectEqual(ack.header.sequenceNumber, 1001, "ACK seq")
    try expectEqual(ack.header.acknowledgmentNumber, 5001, "ACK acks the SYN-ACK")
    try expect(b.process(ack, now: start) == nil, "no reply")
    try expectEqual(b.state, .established, "B after ACK")
    try expect(a.dispatch(now: start) == nil && b.dispatch(now: start) == nil, "both quiet")
    try expect(a.pollAt(now: start) == nil && b.pollAt(now: start) == nil, "no timers")
    return (a, b)
}

private func segment(
    _ from: TCPEndpoint, _ to: TCPEndpoint, seq: UInt32, ack: UInt32 = 0, _ flags: TCPFlags, _ payload: [UInt8] = []
) -> TCPSegment {
    TCPSegment(
        header: TCPHeader(
            sourcePort: from.port, destinationPort: to.port, sequenceNumber: seq, acknowledgmentNumber: ack,
            flags: flags, window: 1000),
        payload: payload)
}

func registerStateMachineTests(_ suite: inout TestSuite) {
    suite.test("state.three-way-handshake") { () throws(TestFailure) in
        _ = try established()
    }
    suite.test("state.lost-syn-is-retransmitted-after-the-rto") { () throws(TestFailure) in
        var a = TCPControlBlock(connectingFrom: aEndpoint, to: bEndpoint, iss: 1000, configuration: configuration())
        _ = try unwrap(a.dispatch(now: start), "SYN")
        let due = try unwrap(a.pollAt(now: start), "timer")
        try expectEqual(due, start + .seconds(1), "initial RTO 1 s (RFC 6298 (2.1))")
        try expect(a.dispatch(now: start + .milliseconds(999)) == nil, "nothing before the RTO")
        let again = try unwrap(a.dispatch(now: due), "SYN again")
        try expectEqual(again.header.flags, [.syn], "flags")
        try expectEqual(again.header.sequenceNumber, 1000, "same ISS")
        try expectEqual(try unwrap(a.pollAt(now: due), "timer"), due + .seconds(2), "backed off (RFC 6298 (5.5))")
        try expectEqual(a.counters.timeouts, 1, "timeouts")
    }
    suite.test("state.simultaneous-open") { () throws(TestFailure) in
        var a = TCPControlBlock(connectingFrom: aEndpoint, to: bEndpoint, iss: 1000, configuration: configuration())
        var b = TCPControlBlock(connectingFrom: bEndpoint, to: aEndpoint, iss: 5000, configuration: configuration())
        let synA = try unwrap(a.dispatch(now: start), "A's SYN")
        let synB = try unwrap(b.dispatch(now: start), "B's SYN")
        try expect(a.process(synB, now: start) == nil, "A: no reply")
        try expect(b.process(synA, now: start) == nil, "B: no reply")
        try expectEqual(a.state, .synReceived, "A")
        try expectEqual(b.state, .synReceived, "B")
        let synAckA = try unwrap(a.dispatch(now: start), "A's SYN-ACK")
        let synAckB = try unwrap(b.dispatch(now: start), "B's SYN-ACK")
        try expectEqual(synAckA.header.flags, [.syn, .ack], "A's flags")
        try expectEqual(synAckA.header.acknowledgmentNumber, 5001, "A acks B's SYN")
        // Each SYN-ACK repeats an old SYN: unacceptable, answered with an ACK that completes the other side.
        let ackA = try unwrap(a.process(synAckB, now: start), "A's ACK")
        let ackB = try unwrap(b.process(synAckA, now: start), "B's ACK")
        _ = a.process(ackB, now: start)
        _ = b.process(ackA, now: start)
        try expectEqual(a.state, .established, "A")
        try expectEqual(b.state, .established, "B")
    }
    suite.test("state.data-both-ways") { () throws(TestFailure) in
        var (a, b) = try established()
        let toB = pattern(2500)
        let toA = pattern(700, seed: 9)
        try expectEqual(try sendAll(&a, toB), 2500, "A queued")
        try expectEqual(try sendAll(&b, toA), 700, "B queued")
        let segments = flush(&a, &b, start)
        try expect(segments.map { $0.payload.count } == [1000, 1000, 500], "MSS-sized segments")
        try expectEqual(segments[2].header.flags, [.psh, .ack], "PSH on the last")
        settle(&a, &b, start)
        try expectBytes(try receiveAll(&b), toB, "at B")
        try expectBytes(try receiveAll(&a), toA, "at A")
        try expectEqual(a.sendQueueCount, 0, "A's data acknowledged")
        try expectEqual(b.sendQueueCount, 0, "B's data acknowledged")
        try expect(a.pollAt(now: start) == nil, "A's timer stopped")
    }
    suite.test("state.fin-from-the-active-side") { () throws(TestFailure) in
        var (a, b) = try established()
        a.close()
        try expectEqual(a.state, .finWait1, "A after close")
        let fin = try unwrap(a.dispatch(now: start), "FIN")
        try expectEqual(fin.header.flags, [.fin, .ack], "FIN flags")
        _ = b.process(fin, now: start)
        try expectEqual(b.state, .closeWait, "B after FIN")
        try expect(b.canReceive, "B sees the end")
        let ack = try unwrap(b.dispatch(now: start), "ACK of FIN")
        try expectEqual(ack.header.acknowledgmentNumber, fin.header.sequenceNumber &+ 1, "FIN acked")
        _ = a.process(ack, now: start)
        try expectEqual(a.state, .finWait2, "A after ACK")
        b.close()
        try expectEqual(b.state, .lastAck, "B after close")
        let finB = try unwrap(b.dispatch(now: start), "B's FIN")
        _ = a.process(finB, now: start)
        try expectEqual(a.state, .timeWait, "A after B's FIN")
        flush(&a, &b, start)
        try expectEqual(b.state, .closed, "B after the last ACK")
        try expect(b.closeReason == nil, "B closed normally")
        let receiveError = try thrownError("read after FIN") { () throws(TCPReceiveError) in
            _ = try b.receive(maximum: 10)
        }
        try expectEqual(receiveError, .finished, "B's read")
        try expectEqual(try unwrap(a.pollAt(now: start), "timer"), start + .seconds(2), "TIME-WAIT lasts 2 MSL")
        try expect(a.dispatch(now: start + .milliseconds(1999)) == nil, "still waiting")
        try expectEqual(a.state, .timeWait, "A before 2 MSL")
        _ = a.dispatch(now: start + .seconds(2))
        try expectEqual(a.state, .closed, "A after 2 MSL")
    }
    suite.test("state.fin-from-the-passive-side") { () throws(TestFailure) in
        var (a, b) = try established()
        try expectEqual(try sendAll(&b, pattern(10)), 10, "B queued")
        b.close()
        settle(&a, &b, start)
        try expectEqual(b.state, .finWait2, "B")
        try expectEqual(a.state, .closeWait, "A")
        try expectBytes(try receiveAll(&a), pattern(10), "data before the FIN")
        let sendError = try thrownError("B sends after close") { () throws(TCPSendError) in _ = try b.send([1]) }
        try expectEqual(sendError, .invalidState, "send after close")
        a.close()
        settle(&a, &b, start)
        try expectEqual(a.state, .closed, "A")
        try expectEqual(b.state, .timeWait, "B")
    }
    suite.test("state.simultaneous-close") { () throws(TestFailure) in
        var (a, b) = try established()
        a.close()
        b.close()
        let finA = try unwrap(a.dispatch(now: start), "A's FIN")
        let finB = try unwrap(b.dispatch(now: start), "B's FIN")
        _ = a.process(finB, now: start)
        _ = b.process(finA, now: start)
        try expectEqual(a.state, .closing, "A")
        try expectEqual(b.state, .closing, "B")
        settle(&a, &b, start)
        try expectEqual(a.state, .timeWait, "A")
        try expectEqual(b.state, .timeWait, "B")
        _ = a.dispatch(now: start + .seconds(2))
        _ = b.dispatch(now: start + .seconds(2))
        try expect(a.state == .closed && b.state == .closed, "both closed after 2 MSL")
    }
    suite.test("state.rst-exactly-at-rcv-nxt-resets") { () throws(TestFailure) in
        var (a, _) = try established()
        try expect(a.process(segment(bEndpoint, aEndpoint, seq: 5001, .rst), now: start) == nil, "no reply")
        try expectEqual(a.state, .closed, "closed")
        try expect(a.closeReason == .reset, "reason")
        let error = try thrownError("read after reset") { () throws(TCPReceiveError) in _ = try a.receive(maximum: 1) }
        try expectEqual(error, .invalidState, "read")
    }
    suite.test("state.rst-in-window-gets-a-challenge-ack") { () throws(TestFailure) in
        var (a, _) = try established()
        let reply = try unwrap(a.process(segment(bEndpoint, aEndpoint, seq: 5100, .rst), now: start), "challenge")
        try expectEqual(reply.header.flags, [.ack], "a bare ACK (RFC 5961 §3.2)")
        try expectEqual(reply.header.sequenceNumber, 1001, "SND.NXT")
        try expectEqual(reply.header.acknowledgmentNumber, 5001, "RCV.NXT")
        try expectEqual(a.state, .established, "still open")
        try expectEqual(a.counters.challengeAcks, 1, "counted")
    }
    suite.test("state.challenge-acks-are-rate-limited") { () throws(TestFailure) in
        var (a, _) = try established()
        var replies = 0
        for index in 0..<25 {
            let rst = segment(bEndpoint, aEndpoint, seq: 5100 &+ UInt32(index), .rst)
            if a.process(rst, now: start + .milliseconds(index)) != nil { replies += 1 }
        }
        try expectEqual(replies, 10, "10 per second (RFC 5961 §7)")
        try expectEqual(a.counters.challengeAcksSuppressed, 15, "the rest suppressed")
        try expect(a.process(segment(bEndpoint, aEndpoint, seq: 5100, .syn), now: start + .seconds(2)) != nil,
            "allowed again a second later")
        try expectEqual(a.state, .established, "still open")
    }
    suite.test("state.rst-out-of-window-is-dropped") { () throws(TestFailure) in
        var (a, _) = try established()
        try expect(a.process(segment(bEndpoint, aEndpoint, seq: 5001 &+ 100_000, .rst), now: start) == nil, "silent")
        try expect(a.process(segment(bEndpoint, aEndpoint, seq: 4000, .rst), now: start) == nil, "silent (old)")
        try expectEqual(a.state, .established, "still open")
    }
    suite.test("state.syn-in-established-gets-a-challenge-ack") { () throws(TestFailure) in
        var (a, b) = try established()
        let reply = try unwrap(a.process(segment(bEndpoint, aEndpoint, seq: 5001, .syn), now: start), "challenge")
        try expectEqual(reply.header.flags, [.ack], "a bare ACK (RFC 5961 §4.2)")
        try expectEqual(reply.header.acknowledgmentNumber, 5001, "RCV.NXT")
        try expectEqual(a.state, .established, "still open")
        // The peer, itself established, takes the challenge ACK as a duplicate and stays up.
        _ = b.process(reply, now: start)
        try expectEqual(b.state, .established, "peer still open")
    }
    suite.test("state.unacceptable-ack-is-answered-and-dropped") { () throws(TestFailure) in
        var (a, _) = try established()
        let reply = try unwrap(
            a.process(segment(bEndpoint, aEndpoint, seq: 5001, ack: 9999, .ack, [1, 2, 3]), now: start), "ACK")
        try expectEqual(reply.header.acknowledgmentNumber, 5001, "data not taken (RFC 5961 §5.2)")
        try expectEqual(a.receiveQueueCount, 0, "nothing received")
    }
    suite.test("state.out-of-window-data-is-acked-not-taken") { () throws(TestFailure) in
        var (a, _) = try established()
        let reply = try unwrap(
            a.process(segment(bEndpoint, aEndpoint, seq: 5001 &+ 9000, ack: 1001, .ack, [1]), now: start), "ACK")
        try expectEqual(reply.header.acknowledgmentNumber, 5001, "RCV.NXT")
        try expectEqual(a.receiveQueueCount, 0, "nothing received")
        try expectEqual(a.counters.dropped, 1, "counted")
    }
    suite.test("state.lost-data-is-retransmitted-and-rtt-is-measured") { () throws(TestFailure) in
        var (a, b) = try established()
        try expectEqual(try sendAll(&a, pattern(100)), 100, "queued")
        _ = try unwrap(a.dispatch(now: start), "lost segment")
        let due = try unwrap(a.pollAt(now: start), "timer")
        let again = try unwrap(a.dispatch(now: due), "retransmission")
        try expectBytes(again.payload, pattern(100), "same data")
        try expectEqual(a.counters.retransmits, 1, "retransmits")
        _ = b.process(again, now: due)
        _ = a.process(try unwrap(b.dispatch(now: due + .milliseconds(10)), "ACK"), now: due + .milliseconds(10))
        try expectEqual(a.sendQueueCount, 0, "acked")
        try expectBytes(try receiveAll(&b), pattern(100), "at B")
        try expect(a.pollAt(now: due) == nil, "timer stopped")
    }
    suite.test("state.out-of-order-data-is-held-until-the-gap-fills") { () throws(TestFailure) in
        var (c, d) = try established()
        _ = try sendAll(&c, pattern(3000))
        let first = try unwrap(c.dispatch(now: start), "first")
        let second = try unwrap(c.dispatch(now: start), "second")
        let third = try unwrap(c.dispatch(now: start), "third")
        _ = d.process(second, now: start)
        let dup1 = try unwrap(d.dispatch(now: start), "duplicate ACK")
        try expectEqual(dup1.header.acknowledgmentNumber, 1001, "acks only up to the gap")
        try expect(
            dup1.header.options.sackBlocks == [TCPSACKBlock(left: 2001, right: 3001)], "SACK block (RFC 2018 §4)")
        _ = d.process(third, now: start)
        _ = d.dispatch(now: start)
        try expectEqual(d.receiveQueueCount, 0, "nothing readable past a gap")
        _ = d.process(first, now: start)
        let ack = try unwrap(d.dispatch(now: start), "ACK")
        try expectEqual(ack.header.acknowledgmentNumber, 4001, "everything acked once the gap filled")
        try expectBytes(try receiveAll(&d), pattern(3000), "in order")
    }
    suite.test("state.third-duplicate-ack-retransmits-one-segment") { () throws(TestFailure) in
        var (a, b) = try established()
        _ = try sendAll(&a, pattern(5000))
        var sent: [TCPSegment] = []
        while let segment = a.dispatch(now: start) { sent.append(segment) }
        try expectEqual(sent.count, 5, "five segments in the initial window")
        for segment in sent.dropFirst() {
            _ = b.process(segment, now: start)
            let dup = try unwrap(b.dispatch(now: start), "duplicate ACK")
            _ = a.process(dup, now: start)
        }
        try expectEqual(a.counters.duplicateAcks, 4, "duplicate ACKs")
        try expectEqual(a.counters.fastRetransmits, 1, "one fast retransmit on the third")
        let again = try unwrap(a.dispatch(now: start), "retransmission")
        try expectEqual(again.header.sequenceNumber, 1001, "at SND.UNA")
        try expectBytes(again.payload, Array(pattern(5000)[0..<1000]), "the first segment only")
        _ = b.process(again, now: start)
        _ = a.process(try unwrap(b.dispatch(now: start), "ACK"), now: start)
        try expectEqual(a.sendQueueCount, 0, "all acknowledged: the peer held the rest")
        try expectEqual(a.counters.timeouts, 0, "no timeout")
    }
    suite.test("state.sack-repairs-two-holes-without-a-timeout") { () throws(TestFailure) in
        var (a, b) = try established()
        _ = try sendAll(&a, pattern(6000))
        var sent: [TCPSegment] = []
        while let segment = a.dispatch(now: start) { sent.append(segment) }
        try expectEqual(sent.count, 6, "six segments")
        for index in [1, 3, 4, 5] {
            _ = b.process(sent[index], now: start)
            _ = a.process(try unwrap(b.dispatch(now: start), "duplicate ACK with SACK"), now: start)
        }
        var repairs: [TCPSegment] = []
        while let segment = a.dispatch(now: start) { repairs.append(segment) }
        try expect(repairs.map { $0.header.sequenceNumber } == [1001, 3001], "both holes, each once")
        for segment in repairs { _ = b.process(segment, now: start) }
        _ = a.process(try unwrap(b.dispatch(now: start), "ACK"), now: start)
        try expectEqual(a.sendQueueCount, 0, "all acknowledged")
        try expectEqual(a.counters.timeouts, 0, "no timeout")
        try expectBytes(try receiveAll(&b), pattern(6000), "in order at B")
    }
    suite.test("state.one-ack-sacking-a-burst-starts-fast-recovery-on-the-first-duplicate") { () throws(TestFailure) in
        // B acknowledges a whole burst with one ACK (one per poll, as over an interface), so a hole near its start
        // yields one cumulative ACK with SACK blocks and then single duplicates: RFC 6675 §5 (2)(b) IsLost() must
        // start recovery, not the third duplicate ACK that never comes (the timer would).
        var (a, b) = try established()
        let data = pattern(8500)
        _ = try sendAll(&a, Array(data[0..<8000]))
        var sent: [TCPSegment] = []
        while let segment = a.dispatch(now: start) { sent.append(segment) }
        try expectEqual(sent.count, 8, "eight segments (B's 8192-byte window)")
        for (index, segment) in sent.enumerated() where index != 1 { _ = b.process(segment, now: start) }
        let first = try unwrap(b.dispatch(now: start), "one ACK for the burst")
        try expect(b.dispatch(now: start) == nil, "only one")
        try expectEqual(first.header.acknowledgmentNumber, 2001, "up to the hole")
        _ = a.process(first, now: start)
        _ = try sendAll(&a, Array(data[8000...]))
        let more = try unwrap(a.dispatch(now: start), "new data")
        try expectEqual(more.header.sequenceNumber, 9001, "beyond the burst")
        _ = b.process(more, now: start)
        let duplicate = try unwrap(b.dispatch(now: start), "a duplicate ACK")
        try expectEqual(duplicate.header.acknowledgmentNumber, 2001, "still at the hole")
        _ = a.process(duplicate, now: start)
        try expectEqual(a.counters.duplicateAcks, 1, "one duplicate ACK")
        let repair = try unwrap(a.dispatch(now: start), "the hole resent at once")
        try expectEqual(repair.header.sequenceNumber, 2001, "at SND.UNA")
        try expectEqual(a.counters.fastRetransmits, 1, "by fast retransmit")
        try expectEqual(a.counters.timeouts, 0, "no timeout")
        _ = b.process(repair, now: start)
        settle(&a, &b, start)
        let held = b.receiveQueueCount
        try expect(held >= 8000, "the hole filled: \(held) bytes in order")
        try expectBytes(try receiveAll(&b), Array(data[0..<held]), "in order at B")
        try expectEqual(a.counters.timeouts, 0, "still no timeout")
    }
    suite.test("state.acks-after-both-ends-timed-out-are-accepted") { () throws(TestFailure) in
        // Both ends send two segments and receive the other's, but both ACKs are lost: each times out and goes back
        // to SND.UNA. Its ACKs must still carry a sequence number the peer accepts (not the pulled-back SND.NXT,
        // below the peer's RCV.NXT), or each drops the other's ACKs until both give up.
        var (a, b) = try established()
        _ = try sendAll(&a, pattern(2000, seed: 1))
        _ = try sendAll(&b, pattern(2000, seed: 2))
        var fromA: [TCPSegment] = []
        var fromB: [TCPSegment] = []
        while let segment = a.dispatch(now: start) { fromA.append(segment) }
        while let segment = b.dispatch(now: start) { fromB.append(segment) }
        try expectEqual(fromA.count + fromB.count, 4, "two segments each way")
        for segment in fromA { _ = b.process(segment, now: start) }
        for segment in fromB { _ = a.process(segment, now: start) }
        _ = try unwrap(a.dispatch(now: start), "A's ACK (lost)")
        _ = try unwrap(b.dispatch(now: start), "B's ACK (lost)")
        let due = try unwrap(a.pollAt(now: start), "A's retransmission timer")
        try expect(b.pollAt(now: start) == due, "B's fires at the same time")
        let againA = try unwrap(a.dispatch(now: due), "A's retransmission")
        let againB = try unwrap(b.dispatch(now: due), "B's retransmission")
        try expectEqual(a.counters.timeouts + b.counters.timeouts, 2, "both timed out")
        let replyB = try unwrap(b.process(againA, now: due), "B's ACK for a duplicate")
        let replyA = try unwrap(a.process(againB, now: due), "A's ACK for a duplicate")
        try expectEqual(replyB.header.sequenceNumber, 5001 + 2000, "B's ACK at its SND.MAX, A's RCV.NXT")
        _ = a.process(replyB, now: due)
        _ = b.process(replyA, now: due)
        try expectEqual(a.sendQueueCount, 0, "A's data acknowledged")
        try expectEqual(b.sendQueueCount, 0, "B's data acknowledged")
        try expectBytes(try receiveAll(&b), pattern(2000, seed: 1), "at B")
        try expectBytes(try receiveAll(&a), pattern(2000, seed: 2), "at A")
    }
    suite.test("state.zero-window-is-probed-and-reopens") { () throws(TestFailure) in
        var (a, b) = try established()
        _ = try sendAll(&a, pattern(8192))
        settle(&a, &b, start)
        _ = try sendAll(&a, pattern(100))
        settle(&a, &b, start)
        try expectEqual(b.receiveQueueCount, 8192, "B's ring is full")
        try expectEqual(a.sendQueueCount, 100, "A holds the rest")
        let due = try unwrap(a.pollAt(now: start), "persist timer")
        let probe = try unwrap(a.dispatch(now: due), "probe")
        try expectEqual(probe.payload.count, 1, "a one-byte probe")
        let reply = try unwrap(b.process(probe, now: due), "ACK of the probe (an unacceptable segment's ACK)")
        try expectEqual(reply.header.window, 0, "window still shut")
        _ = a.process(reply, now: due)
        try expectEqual(a.state, .established, "still open")
        _ = try receiveAll(&b)
        settle(&a, &b, due)
        try expectBytes(try receiveAll(&b), pattern(100), "the rest after the window opened")
    }
    suite.test("state.a-window-shut-past-the-user-timeout-aborts-the-connection") { () throws(TestFailure) in
        // RFC 9293 §3.8.3 / RFC 5482: B answers every probe with a shut window and never reads; A gives up once
        // the window has been shut for longer than its zeroWindowTimeout (10 s here), not before.
        var settings = configuration()
        settings.zeroWindowTimeout = .seconds(10)
        var (a, b) = try established(settings)
        _ = try sendAll(&a, pattern(8192))
        settle(&a, &b, start)
        _ = try sendAll(&a, pattern(100))
        settle(&a, &b, start)
        try expectEqual(b.receiveQueueCount, 8192, "B's ring is full")
        var now = start
        var probes = 0
        var reset: TCPSegment? = nil
        while a.state != .closed, now - start < .seconds(120) {
            guard let due = a.pollAt(now: now) else { throw TestFailure("A has no persist timer at \((now - start).milliseconds) ms") }
            now = due
            while let sent = a.dispatch(now: now) {
                if sent.header.flags.contains(.rst) {
                    reset = sent
                    break
                }
                probes += 1
                let reply = try unwrap(b.process(sent, now: now), "B answers probe \(probes)")
                try expectEqual(reply.header.window, 0, "window still shut")
                _ = a.process(reply, now: now)
                if a.state == .established {
                    try expect(now - start <= .seconds(11), "still open \((now - start).milliseconds) ms after the window shut")
                }
            }
        }
        let elapsed = now - start
        // The expiry closes the connection; its RST goes out at the next dispatch.
        if reset == nil { reset = a.dispatch(now: now) }
        try expectEqual(a.state, .closed, "A gave up")
        try expect(a.closeReason == .timedOut, "as timed out")
        try expect(elapsed > .seconds(10) && elapsed < .seconds(40), "after the bound, at a probe: \(elapsed.milliseconds) ms")
        try expect(probes >= 3, "probes were answered meanwhile: \(probes)")
        try expect(reset?.header.flags.contains(.rst) == true, "a RST told B")
        try expectEqual(a.counters.zeroWindowAborts, 1, "counted")
        try expectEqual(b.state, .established, "B (not yet told)")
        _ = b.process(reset!, now: now)
        try expectEqual(b.state, .closed, "B reset")
    }
    suite.test("state.window-scale-is-negotiated-and-applied") { () throws(TestFailure) in
        var big = configuration()
        big.receiveBufferSize = 256 * 1024
        big.sendBufferSize = 256 * 1024
        var a = TCPControlBlock(connectingFrom: aEndpoint, to: bEndpoint, iss: 1000, configuration: big)
        let syn = try unwrap(a.dispatch(now: start), "SYN")
        try expect(syn.header.options.windowScale == 3, "shift 3 fits 256 KiB in 16 bits")
        try expect(syn.header.options.sackPermitted, "SACK offered")
        try expectEqual(syn.header.window, 65535, "a SYN's window is not scaled")
        var b = TCPControlBlock(acceptingSYN: syn.header, at: bEndpoint, from: aEndpoint, iss: 5000, configuration: big)
        let synAck = try unwrap(b.dispatch(now: start), "SYN-ACK")
        try expect(synAck.header.options.windowScale == 3, "answered")
        _ = a.process(synAck, now: start)
        let ack = try unwrap(a.dispatch(now: start), "ACK")
        try expectEqual(ack.header.window, 32768, "scaled window field: 256 KiB >> 3")
        _ = b.process(ack, now: start)
        let data = pattern(200_000)
        try expectEqual(try sendAll(&b, data), 200_000, "queued")
        var received: [UInt8] = []
        for _ in 0..<200 {
            settle(&a, &b, start)
            received += try receiveAll(&a)
            if received.count == data.count { break }
        }
        try expectBytes(received, data, "200 kB through a scaled window")
    }
    suite.test("state.window-scale-is-off-unless-both-offer") { () throws(TestFailure) in
        var big = configuration()
        big.receiveBufferSize = 256 * 1024
        var plain = configuration()
        plain.windowScaling = false
        plain.selectiveAcknowledgments = false
        var a = TCPControlBlock(connectingFrom: aEndpoint, to: bEndpoint, iss: 1000, configuration: big)
        let syn = try unwrap(a.dispatch(now: start), "SYN")
        var b = TCPControlBlock(acceptingSYN: syn.header, at: bEndpoint, from: aEndpoint, iss: 5000, configuration: plain)
        let synAck = try unwrap(b.dispatch(now: start), "SYN-ACK")
        try expect(synAck.header.options.windowScale == nil, "not answered")
        try expect(!synAck.header.options.sackPermitted, "no SACK")
        _ = a.process(synAck, now: start)
        let ack = try unwrap(a.dispatch(now: start), "ACK")
        try expectEqual(ack.header.window, 65535, "unscaled, capped at 65535")
    }
    suite.test("state.timestamps-are-negotiated-echoed-and-guard-against-old-duplicates") { () throws(TestFailure) in
        var withTimestamps = configuration()
        withTimestamps.timestamps = true
        var a = TCPControlBlock(connectingFrom: aEndpoint, to: bEndpoint, iss: 1000, configuration: withTimestamps)
        let syn = try unwrap(a.dispatch(now: start), "SYN")
        let offered = try unwrap(syn.header.options.timestamps, "TSopt in the SYN")
        try expectEqual(offered.echoReply, 0, "nothing to echo yet")
        var b = TCPControlBlock(
            acceptingSYN: syn.header, at: bEndpoint, from: aEndpoint, iss: 5000, configuration: withTimestamps)
        let synAck = try unwrap(b.dispatch(now: start + .milliseconds(5)), "SYN-ACK")
        try expectEqual(try unwrap(synAck.header.options.timestamps, "TSopt").echoReply, offered.value, "echoed")
        _ = a.process(synAck, now: start + .milliseconds(10))
        let ack = try unwrap(a.dispatch(now: start + .milliseconds(10)), "ACK")
        try expectEqual(
            try unwrap(ack.header.options.timestamps, "TSopt").echoReply,
            try unwrap(synAck.header.options.timestamps, "TSopt").value, "A echoes B")
        _ = b.process(ack, now: start + .milliseconds(15))
        try expectEqual(b.state, .established, "B")
        _ = try sendAll(&a, pattern(3000))
        let first = try unwrap(a.dispatch(now: start + .milliseconds(20)), "data")
        try expectEqual(first.payload.count, 988, "SMSS less the 12 option bytes")
        _ = b.process(first, now: start + .milliseconds(30))
        // An old duplicate: the same segment with an older TSval is rejected by PAWS, answered with an ACK.
        var old = first
        old.header.options.timestamps!.value &-= 1000
        old.header.sequenceNumber &+= 988
        let reply = try unwrap(b.process(old, now: start + .milliseconds(31)), "PAWS ACK")
        try expectEqual(reply.header.acknowledgmentNumber, 1001 + 988, "not taken")
        try expectEqual(b.receiveQueueCount, 988, "only the first segment")
    }
    suite.test("state.sack-blocks-beside-timestamps-fit-in-the-options") { () throws(TestFailure) in
        var withTimestamps = configuration()
        withTimestamps.timestamps = true
        var a = TCPControlBlock(connectingFrom: aEndpoint, to: bEndpoint, iss: 1000, configuration: withTimestamps)
        let syn = try unwrap(a.dispatch(now: start), "SYN")
        var b = TCPControlBlock(
            acceptingSYN: syn.header, at: bEndpoint, from: aEndpoint, iss: 5000, configuration: withTimestamps)
        settle(&a, &b, start)
        _ = try sendAll(&a, pattern(8000))
        var sent: [TCPSegment] = []
        while let segment = a.dispatch(now: start) { sent.append(segment) }
        try expect(sent.count >= 8, "eight segments")
        var last: TCPSegment? = nil
        for index in [1, 3, 5, 7] {
            _ = b.process(sent[index], now: start)
            last = b.dispatch(now: start)
        }
        let ack = try unwrap(last, "ACK with four holes behind it")
        try expectEqual(ack.header.options.sackBlocks.count, 3, "3 blocks beside timestamps (RFC 2018 §3)")
        try expect(ack.header.options.encodedLength <= 40, "fits")
        try expect(ack.header.options.sackBlocks.first?.left == sent[7].header.sequenceNumber, "newest first")
    }
    suite.test("state.a-duplicate-segment-is-reported-in-a-d-sack") { () throws(TestFailure) in
        var (a, b) = try established()
        _ = try sendAll(&a, pattern(500))
        let data = try unwrap(a.dispatch(now: start), "data")
        _ = b.process(data, now: start)
        _ = b.dispatch(now: start)
        let reply = try unwrap(b.process(data, now: start), "ACK of the duplicate")
        try expect(reply.header.options.sackBlocks == [TCPSACKBlock(left: 1001, right: 1501)], "D-SACK (RFC 2883)")
        _ = a.process(reply, now: start)
        try expectEqual(a.state, .established, "the sender ignores it")
        try expectEqual(a.sendQueueCount, 0, "and all is acknowledged")
        _ = try sendAll(&b, [1])
        let next = try unwrap(b.dispatch(now: start), "next segment")
        try expect(next.header.options.sackBlocks.isEmpty, "reported once")
    }
    suite.test("state.abort-sends-a-rst-that-resets-the-peer") { () throws(TestFailure) in
        var (a, b) = try established()
        a.abort()
        try expectEqual(a.state, .closed, "A")
        let rst = try unwrap(a.dispatch(now: start), "RST")
        try expectEqual(rst.header.flags, [.rst], "flags")
        _ = b.process(rst, now: start)
        try expectEqual(b.state, .closed, "B")
        try expect(b.closeReason == .reset, "B's reason")
    }
}

func sendAll(_ connection: inout TCPControlBlock, _ bytes: [UInt8]) throws(TestFailure) -> Int {
    do throws(TCPSendError) {
        return try connection.send(bytes)
    } catch {
        throw TestFailure("send: \(error)")
    }
}

func receiveAll(_ connection: inout TCPControlBlock) throws(TestFailure) -> [UInt8] {
    do throws(TCPReceiveError) {
        return try connection.receive(maximum: 1 << 20)
    } catch {
        throw TestFailure("receive: \(error)")
    }
}

/// The error `body` throws; fails the test when it returns normally.
func thrownError<E: Error>(_ what: String, _ body: () throws(E) -> Void) throws(TestFailure) -> E {
    do throws(E) {
        try body()
    } catch {
        return error
    }
    throw TestFailure("\(what): did not fail")
}
