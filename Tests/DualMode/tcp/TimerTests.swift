/// The connection's timers and time-dependent sending (Sources/Net/TCP/TCPControlBlock+Timers.swift): delayed ACKs,
/// Nagle, keep-alives, detach and the FIN-WAIT-2 bound, restart after idle, limited transmit, and the keyed
/// timestamp offset. Two machines wired directly together with a virtual clock, as in StateMachineTests.swift.
import Net
import Runtime

private let client = TCPEndpoint(ip("10.0.0.2"), 49152)
private let server = TCPEndpoint(ip("10.0.0.3"), 80)
private let t0 = Instant(nanoseconds: 1_000_000_000)

/// 1000-byte segments without timestamps; delayed ACKs (40 ms) and Nagle on, as by default.
private func timerConfiguration() -> TCPConfiguration {
    var configuration = TCPConfiguration()
    // RFC 6298's 1 s floor keeps the timer arithmetic in whole seconds (the default is Linux's 200 ms).
    configuration.minimumRetransmissionTimeout = .seconds(1)
    configuration.maximumSegmentLifetime = .seconds(1)
    configuration.receiveBufferSize = 16384
    configuration.sendBufferSize = 16384
    configuration.maximumSegmentSize = 1000
    configuration.timestamps = false
    return configuration
}

/// A connection from `client` (ISS 1000) to `server` (ISS 5000), established at `t0`.
private func opened(
    _ clientConfiguration: TCPConfiguration, server serverConfiguration: TCPConfiguration? = nil
) throws(TestFailure) -> (TCPControlBlock, TCPControlBlock) {
    var a = TCPControlBlock(connectingFrom: client, to: server, iss: 1000, configuration: clientConfiguration)
    let syn = try unwrap(a.dispatch(now: t0), "SYN")
    var b = TCPControlBlock(
        acceptingSYN: syn.header, at: server, from: client, iss: 5000,
        configuration: serverConfiguration ?? clientConfiguration)
    _ = a.process(try unwrap(b.dispatch(now: t0), "SYN-ACK"), now: t0)
    _ = b.process(try unwrap(a.dispatch(now: t0), "ACK"), now: t0)
    try expect(a.state == .established && b.state == .established, "established")
    return (a, b)
}

/// Everything `connection` sends at `now`.
private func drain(_ connection: inout TCPControlBlock, _ now: Instant) -> [TCPSegment] {
    var sent: [TCPSegment] = []
    while let segment = connection.dispatch(now: now) { sent.append(segment) }
    return sent
}

/// Hands `segments` to `connection`; returns its immediate replies.
@discardableResult
private func deliver(_ segments: [TCPSegment], to connection: inout TCPControlBlock, _ now: Instant) -> [TCPSegment] {
    var replies: [TCPSegment] = []
    for segment in segments {
        if let reply = connection.process(segment, now: now) { replies.append(reply) }
    }
    return replies
}

private func sequenceNumbers(_ segments: [TCPSegment]) -> [UInt32] { segments.map { $0.header.sequenceNumber } }

func registerTimerTests(_ suite: inout TestSuite) {
    registerDelayedAckTests(&suite)
    registerNagleTests(&suite)
    registerKeepAliveTests(&suite)
    registerDetachTests(&suite)
    registerCongestionTimingTests(&suite)
}

// MARK: - Delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2)

private func registerDelayedAckTests(_ suite: inout TestSuite) {
    suite.test("timers.one-segment-is-acked-once-after-the-delay") { () throws(TestFailure) in
        var (a, b) = try opened(timerConfiguration())
        _ = try sendAll(&a, pattern(100))
        let data = drain(&a, t0)
        try expectEqual(data.count, 1, "one segment")
        try expect(deliver(data, to: &b, t0).isEmpty, "no immediate reply")
        try expect(drain(&b, t0).isEmpty, "no ACK yet")
        try expectEqual(try unwrap(b.pollAt(now: t0), "delayed-ACK deadline"), t0 + .milliseconds(40), "40 ms")
        try expect(drain(&b, t0 + .milliseconds(39)).isEmpty, "still waiting at 39 ms")
        let acks = drain(&b, t0 + .milliseconds(40))
        try expectEqual(acks.count, 1, "one ACK")
        try expectEqual(acks[0].header.acknowledgmentNumber, 1101, "acknowledges the segment")
        try expectEqual(acks[0].payload.count, 0, "a bare ACK")
        try expectEqual(b.counters.delayedAcks, 1, "counted")
        try expect(b.pollAt(now: t0 + .milliseconds(40)) == nil, "nothing more owed")
    }
    suite.test("timers.every-second-full-segment-is-acked-at-once") { () throws(TestFailure) in
        var (a, b) = try opened(timerConfiguration())
        _ = try sendAll(&a, pattern(3000))
        let data = drain(&a, t0)
        try expectElements(data.map { $0.payload.count }, [1000, 1000, 1000], "three full segments")
        deliver([data[0]], to: &b, t0)
        try expect(drain(&b, t0).isEmpty, "the first waits")
        deliver([data[1]], to: &b, t0)
        let ack = drain(&b, t0)
        try expectEqual(ack.count, 1, "the second is acknowledged at once (RFC 5681 §4.2)")
        try expectEqual(ack[0].header.acknowledgmentNumber, 3001, "both")
        deliver([data[2]], to: &b, t0)
        try expect(drain(&b, t0).isEmpty, "the third waits again")
        try expectEqual(try unwrap(b.pollAt(now: t0), "deadline"), t0 + .milliseconds(40), "delayed")
    }
    suite.test("timers.out-of-order-gap-filling-and-duplicate-data-are-acked-at-once") { () throws(TestFailure) in
        var (a, b) = try opened(timerConfiguration())
        _ = try sendAll(&a, pattern(2000))
        let data = drain(&a, t0)
        try expectEqual(data.count, 2, "two segments")
        deliver([data[1]], to: &b, t0)
        let duplicate = drain(&b, t0)
        try expectEqual(duplicate.count, 1, "out of order: an ACK at once")
        try expectEqual(duplicate[0].header.acknowledgmentNumber, 1001, "a duplicate ACK")
        deliver([data[0]], to: &b, t0)
        let filled = drain(&b, t0)
        try expectEqual(filled.count, 1, "the gap filled: an ACK at once")
        try expectEqual(filled[0].header.acknowledgmentNumber, 3001, "everything")
        let again = deliver([data[0]], to: &b, t0)
        try expectEqual(again.count, 1, "duplicate data: an ACK at once")
        try expectEqual(again[0].header.acknowledgmentNumber, 3001, "RCV.NXT")
    }
    suite.test("timers.a-fin-is-acked-at-once") { () throws(TestFailure) in
        var (a, b) = try opened(timerConfiguration())
        _ = try sendAll(&a, pattern(10))
        a.close()
        let data = drain(&a, t0)
        try expectEqual(data.count, 1, "data and FIN in one segment")
        try expectEqual(data[0].header.flags, [.fin, .psh, .ack], "flags")
        deliver(data, to: &b, t0)
        let ack = drain(&b, t0)
        try expectEqual(ack.count, 1, "an ACK at once")
        try expectEqual(ack[0].header.acknowledgmentNumber, 1012, "data and FIN")
    }
    suite.test("timers.delayed-acks-off-acknowledge-every-segment-at-once") { () throws(TestFailure) in
        var configuration = timerConfiguration()
        configuration.delayedAckTimeout = nil
        var (a, b) = try opened(configuration)
        _ = try sendAll(&a, pattern(100))
        deliver(drain(&a, t0), to: &b, t0)
        let ack = drain(&b, t0)
        try expectEqual(ack.count, 1, "an ACK at once")
        try expectEqual(ack[0].header.acknowledgmentNumber, 1101, "acknowledges the segment")
        try expectEqual(b.counters.delayedAcks, 0, "no timer")
    }
    suite.test("timers.delayed-ack-waits-less-than-half-a-second") { () throws(TestFailure) in
        var configuration = timerConfiguration()
        configuration.delayedAckTimeout = .seconds(2)
        var (a, b) = try opened(configuration)
        _ = try sendAll(&a, pattern(100))
        deliver(drain(&a, t0), to: &b, t0)
        try expectEqual(try unwrap(b.pollAt(now: t0), "deadline"), t0 + .milliseconds(500), "capped (RFC 1122)")
    }
    suite.test("timers.data-going-back-carries-the-delayed-ack") { () throws(TestFailure) in
        var (a, b) = try opened(timerConfiguration())
        _ = try sendAll(&a, pattern(100))
        deliver(drain(&a, t0), to: &b, t0)
        _ = try sendAll(&b, pattern(50, seed: 3))
        let reply = drain(&b, t0 + .milliseconds(10))
        try expectEqual(reply.count, 1, "one segment")
        try expectEqual(reply[0].payload.count, 50, "the data")
        try expectEqual(reply[0].header.acknowledgmentNumber, 1101, "with the ACK on it")
        try expectEqual(
            try unwrap(b.pollAt(now: t0 + .milliseconds(10)), "deadline"), t0 + .milliseconds(1010),
            "only the retransmission timer is left")
        try expect(drain(&b, t0 + .milliseconds(40)).isEmpty, "no separate ACK")
        try expectEqual(b.counters.delayedAcks, 0, "the delayed ACK was cancelled")
    }
}

// MARK: - Nagle (RFC 1122 §4.2.3.4, RFC 896)

private func registerNagleTests(_ suite: inout TestSuite) {
    suite.test("timers.nagle-coalesces-small-writes-while-data-is-outstanding") { () throws(TestFailure) in
        var (a, b) = try opened(timerConfiguration())
        _ = try sendAll(&a, pattern(10))
        let first = drain(&a, t0)
        try expectEqual(first.count, 1, "nothing outstanding: the first small write goes")
        _ = try sendAll(&a, pattern(10, seed: 1))
        _ = try sendAll(&a, pattern(20, seed: 2))
        try expect(drain(&a, t0).isEmpty, "held while the first is unacknowledged")
        try expectEqual(try unwrap(a.pollAt(now: t0), "deadline"), t0 + .seconds(1), "no busy poll, only the RTO")
        deliver(first, to: &b, t0)
        let later = t0 + .milliseconds(40)
        deliver(drain(&b, later), to: &a, later)
        let coalesced = drain(&a, later)
        try expectEqual(coalesced.count, 1, "one segment once acknowledged")
        try expectEqual(coalesced[0].payload.count, 30, "both writes")
        try expectEqual(coalesced[0].header.sequenceNumber, 1011, "after the first")
        _ = try sendAll(&a, pattern(1500, seed: 4))
        try expectElements(drain(&a, later).map { $0.payload.count }, [1000], "a full segment goes, the rest waits")
    }
    suite.test("timers.no-delay-sends-small-writes-at-once") { () throws(TestFailure) in
        var configuration = timerConfiguration()
        configuration.noDelay = true
        var (a, _) = try opened(configuration)
        _ = try sendAll(&a, pattern(10))
        try expectEqual(drain(&a, t0).count, 1, "first")
        _ = try sendAll(&a, pattern(10, seed: 1))
        try expectEqual(drain(&a, t0).count, 1, "second, with the first outstanding")
        // Turned off at run time (TCP_NODELAY), held data leaves at the next dispatch.
        var (c, _) = try opened(timerConfiguration())
        _ = try sendAll(&c, pattern(10))
        _ = drain(&c, t0)
        _ = try sendAll(&c, pattern(10, seed: 1))
        try expect(drain(&c, t0).isEmpty, "held by Nagle")
        c.noDelay = true
        try expectEqual(try unwrap(c.pollAt(now: t0), "due"), t0, "due at once")
        try expectElements(drain(&c, t0).map { $0.payload.count }, [10], "sent")
    }
    suite.test("timers.nagle-never-holds-a-fin") { () throws(TestFailure) in
        var (a, _) = try opened(timerConfiguration())
        _ = try sendAll(&a, pattern(10))
        _ = drain(&a, t0)
        _ = try sendAll(&a, pattern(10, seed: 1))
        a.close()
        let last = drain(&a, t0)
        try expectEqual(last.count, 1, "sent with data outstanding")
        try expectEqual(last[0].payload.count, 10, "the small write")
        try expect(last[0].header.flags.contains(.fin), "with the FIN")
    }
}

// MARK: - Keep-alive (RFC 1122 §4.2.3.6)

private func keepAliveConfiguration() -> TCPConfiguration {
    var configuration = timerConfiguration()
    configuration.keepAlive = TCPKeepAlive(idle: .seconds(10), interval: .seconds(2), probes: 3)
    return configuration
}

private func registerKeepAliveTests(_ suite: inout TestSuite) {
    suite.test("timers.keep-alive-is-off-by-default") { () throws(TestFailure) in
        try expect(TCPConfiguration().keepAlive == nil, "MUST default to off")
        let idle = TCPKeepAlive()
        try expect(idle.idle == .seconds(7200) && idle.interval == .seconds(75) && idle.probes == 9, "defaults")
        var (a, _) = try opened(timerConfiguration())
        try expect(a.pollAt(now: t0) == nil, "no timer")
        try expect(drain(&a, t0 + .seconds(3 * 3600)).isEmpty, "nothing after three idle hours")
        try expectEqual(a.state, .established, "still open")
    }
    suite.test("timers.keep-alive-probes-after-idle-and-any-segment-restarts-it") { () throws(TestFailure) in
        var (a, b) = try opened(keepAliveConfiguration(), server: timerConfiguration())
        try expectEqual(try unwrap(a.pollAt(now: t0), "keep-alive"), t0 + .seconds(10), "idle after the handshake")
        // Data from the peer at 4 s restarts the idle time.
        let four = t0 + .seconds(4)
        _ = try sendAll(&b, pattern(5))
        deliver(drain(&b, four), to: &a, four)
        deliver(drain(&a, four + .milliseconds(40)), to: &b, four + .milliseconds(40))
        try expectEqual(try unwrap(a.pollAt(now: four), "keep-alive"), four + .seconds(10), "restarted")
        try expect(drain(&a, four + .milliseconds(9999)).isEmpty, "not before")
        let probeTime = four + .seconds(10)
        let probes = drain(&a, probeTime)
        try expectEqual(probes.count, 1, "one probe")
        let probe = probes[0]
        try expectEqual(probe.header.flags, [.ack], "an ACK")
        try expectEqual(probe.header.sequenceNumber, 1000, "<SEQ=SND.NXT-1>")
        try expectEqual(probe.header.acknowledgmentNumber, 5006, "<ACK=RCV.NXT>")
        try expectEqual(probe.payload.count, 0, "no data")
        try expectEqual(a.counters.keepAliveProbes, 1, "counted")
        try expectEqual(try unwrap(a.pollAt(now: probeTime), "next"), probeTime + .seconds(2), "interval")
        let answer = deliver(probes, to: &b, probeTime)
        try expectEqual(answer.count, 1, "the peer answers at once")
        try expectEqual(answer[0].header.acknowledgmentNumber, 1001, "with its RCV.NXT")
        let answered = probeTime + .milliseconds(1)
        deliver(answer, to: &a, answered)
        try expectEqual(try unwrap(a.pollAt(now: answered), "keep-alive"), answered + .seconds(10), "idle again")
    }
    suite.test("timers.answered-keep-alives-keep-the-connection") { () throws(TestFailure) in
        var (a, b) = try opened(keepAliveConfiguration(), server: timerConfiguration())
        var now = t0
        for _ in 0..<360 {
            now = try unwrap(a.pollAt(now: now), "keep-alive")
            let probes = drain(&a, now)
            try expectEqual(probes.count, 1, "a probe")
            deliver(deliver(probes, to: &b, now), to: &a, now)
        }
        try expect(now >= t0 + .seconds(3600), "an hour went by")
        try expectEqual(a.state, .established, "still open")
        try expectEqual(b.state, .established, "the peer too")
        try expectEqual(a.counters.keepAliveProbes, 360, "one probe per idle period")
    }
    suite.test("timers.unanswered-keep-alives-close-the-connection") { () throws(TestFailure) in
        var (a, b) = try opened(keepAliveConfiguration(), server: timerConfiguration())
        for (index, seconds) in [10, 12, 14].enumerated() {
            let due = t0 + .seconds(seconds)
            try expectEqual(try unwrap(a.pollAt(now: t0), "keep-alive"), due, "probe \(index + 1) due")
            try expect(drain(&a, due - .milliseconds(1)).isEmpty, "not before")
            try expectElements(sequenceNumbers(drain(&a, due)), [1000], "probe \(index + 1)")
        }
        try expectEqual(try unwrap(a.pollAt(now: t0), "give-up"), t0 + .seconds(16), "after the last interval")
        let reset = drain(&a, t0 + .seconds(16))
        try expectEqual(reset.count, 1, "one segment")
        try expectEqual(reset[0].header.flags, [.rst], "a RST")
        try expectEqual(reset[0].header.sequenceNumber, 1001, "at SND.NXT")
        try expectEqual(a.state, .closed, "closed")
        try expect(a.closeReason == .timedOut, "timed out")
        try expectEqual(a.counters.keepAliveProbes, 3, "three probes")
        deliver(reset, to: &b, t0 + .seconds(16))
        try expect(b.closeReason == .reset, "the peer, if it hears it, resets")
    }
}

// MARK: - Detach and FIN-WAIT-2 (RFC 2525 §2.17)

private func registerDetachTests(_ suite: inout TestSuite) {
    suite.test("timers.a-detached-fin-wait-2-times-out") { () throws(TestFailure) in
        try expect(TCPConfiguration().finWait2Timeout == .seconds(60), "Linux's tcp_fin_timeout")
        var (a, b) = try opened(timerConfiguration())
        a.detach()
        try expect(a.isDetached, "detached")
        try expectEqual(a.state, .finWait1, "closing")
        let fin = drain(&a, t0)
        try expectEqual(fin.count, 1, "one segment")
        try expectEqual(fin[0].header.flags, [.fin, .ack], "a FIN")
        deliver(fin, to: &b, t0)
        let acked = t0 + .milliseconds(1)
        deliver(drain(&b, t0), to: &a, acked)
        try expectEqual(a.state, .finWait2, "FIN-WAIT-2")
        try expectEqual(try unwrap(a.pollAt(now: acked), "bound"), acked + .seconds(60), "60 s")
        try expect(drain(&a, acked + .milliseconds(59_999)).isEmpty, "nothing to send")
        try expectEqual(a.state, .finWait2, "still waiting")
        try expect(drain(&a, acked + .seconds(60)).isEmpty, "closes silently")
        try expectEqual(a.state, .closed, "closed")
        try expect(a.closeReason == .timedOut, "timed out")
        // Attached, FIN-WAIT-2 lasts as long as the peer's half of the connection.
        var (c, d) = try opened(timerConfiguration())
        c.close()
        deliver(drain(&c, t0), to: &d, t0)
        deliver(drain(&d, t0), to: &c, t0)
        try expectEqual(c.state, .finWait2, "attached FIN-WAIT-2")
        try expect(c.pollAt(now: t0) == nil, "no bound")
        try expect(drain(&c, t0 + .seconds(3600)).isEmpty && c.state == .finWait2, "an hour later")
        // Detached later, the bound counts from then: from the dispatch that follows (the detach has no clock,
        // and the connection may have been idle since its last one), which is due at once.
        c.detach()
        let later = t0 + .seconds(7200)
        try expectEqual(try unwrap(c.pollAt(now: later), "bound"), later, "a dispatch is due to start the bound")
        try expect(drain(&c, later).isEmpty && c.state == .finWait2, "nothing to send, still waiting")
        try expectEqual(try unwrap(c.pollAt(now: later), "bound"), later + .seconds(60), "60 s from that dispatch")
        try expect(drain(&c, later + .seconds(60)).isEmpty && c.state == .closed, "then it closes")
    }
    suite.test("timers.data-after-detach-is-answered-with-a-rst") { () throws(TestFailure) in
        var (a, b) = try opened(timerConfiguration())
        a.detach()
        deliver(drain(&a, t0), to: &b, t0)
        deliver(drain(&b, t0), to: &a, t0)
        try expectEqual(a.state, .finWait2, "A waits for B's FIN")
        try expectEqual(b.state, .closeWait, "B half-open")
        _ = try sendAll(&b, pattern(10))
        let data = drain(&b, t0)
        let reset = deliver(data, to: &a, t0)
        try expectEqual(reset.count, 1, "answered at once")
        try expectEqual(reset[0].header.flags, [.rst], "with a RST")
        try expectEqual(reset[0].header.sequenceNumber, data[0].header.acknowledgmentNumber, "<SEQ=SEG.ACK>")
        try expectEqual(a.state, .closed, "A closed")
        try expect(a.closeReason == .aborted, "A aborted")
        deliver(reset, to: &b, t0)
        try expectEqual(b.state, .closed, "B closed")
        try expect(b.closeReason == .reset, "B was reset")
    }
    suite.test("timers.detach-with-unread-data-sends-a-rst-not-a-fin") { () throws(TestFailure) in
        var (a, b) = try opened(timerConfiguration())
        _ = try sendAll(&b, pattern(10))
        deliver(drain(&b, t0), to: &a, t0)
        try expectEqual(a.receiveQueueCount, 10, "unread")
        a.detach()
        try expectEqual(a.state, .closed, "closed at once")
        try expect(a.closeReason == .aborted, "aborted")
        let reset = drain(&a, t0)
        try expectEqual(reset.count, 1, "one segment")
        try expectEqual(reset[0].header.flags, [.rst], "a RST (RFC 2525 §2.17)")
        deliver(reset, to: &b, t0)
        try expect(b.closeReason == .reset, "the peer learns its data was not read")
    }
}

// MARK: - Restart after idle (RFC 5681 §4.1), limited transmit (RFC 3042), keyed timestamps (RFC 7323 §7.1)

/// Large rings and immediate ACKs: congestion-window arithmetic in whole segments.
private func bulkConfiguration() -> TCPConfiguration {
    var configuration = timerConfiguration()
    // 65535: no window scaling, so every ACK of held data carries the same window (a duplicate ACK).
    configuration.receiveBufferSize = 65535
    configuration.sendBufferSize = 65536
    configuration.delayedAckTimeout = nil
    return configuration
}

/// Segments sent at once for 30 000 new bytes `idle` after a 30 000-byte transfer acknowledged segment by
/// segment (slow start from 10 segments to 40).
private func burst(after idle: Duration) throws(TestFailure) -> Int {
    var (a, b) = try opened(bulkConfiguration())
    _ = try sendAll(&a, pattern(30000))
    for _ in 0..<10 {
        let out = drain(&a, t0)
        if out.isEmpty { break }
        for segment in out {
            deliver([segment], to: &b, t0)
            deliver(drain(&b, t0), to: &a, t0)
        }
        _ = try receiveAll(&b)
    }
    try expectEqual(a.sendQueueCount, 0, "the first transfer was acknowledged")
    _ = try sendAll(&a, pattern(30000, seed: 1))
    return drain(&a, t0 + idle).count
}

private func registerCongestionTimingTests(_ suite: inout TestSuite) {
    suite.test("timers.congestion-window-restarts-after-an-idle-rto") { () throws(TestFailure) in
        try expectEqual(try burst(after: .milliseconds(500)), 30, "idle below the RTO: the grown window")
        try expectEqual(try burst(after: .seconds(3)), 10, "idle beyond the RTO: the initial window (RFC 5681 §4.1)")
    }
    suite.test("timers.the-first-flight-is-ten-whole-segments-without-a-runt") { () throws(TestFailure) in
        // With Nagle off nothing hides a stray byte of cwnd: the SYN's acknowledgment must not count as data.
        var configuration = bulkConfiguration()
        configuration.noDelay = true
        var (a, _) = try opened(configuration)
        _ = try sendAll(&a, pattern(16000))
        let flight = drain(&a, t0)
        try expectEqual(flight.count, 10, "IW = 10 segments (RFC 6928)")
        try expect(flight.allSatisfy { $0.payload.count == 1000 }, "all full-sized")
    }
    suite.test("timers.limited-transmit-sends-one-new-segment-per-early-duplicate-ack") { () throws(TestFailure) in
        var (a, b) = try opened(bulkConfiguration())
        _ = try sendAll(&a, pattern(16000))
        let flight = drain(&a, t0)
        try expectEqual(flight.count, 10, "the initial window")
        // The first segment is lost; each later one brings a duplicate ACK.
        deliver([flight[1]], to: &b, t0)
        deliver(drain(&b, t0), to: &a, t0)
        try expectElements(sequenceNumbers(drain(&a, t0)), [11001], "first duplicate ACK: one new segment")
        deliver([flight[2]], to: &b, t0)
        deliver(drain(&b, t0), to: &a, t0)
        try expectElements(sequenceNumbers(drain(&a, t0)), [12001], "second: one more (RFC 3042)")
        deliver([flight[3]], to: &b, t0)
        deliver(drain(&b, t0), to: &a, t0)
        try expectElements(sequenceNumbers(drain(&a, t0)), [1001], "third: the fast retransmit alone")
        try expectEqual(a.counters.fastRetransmits, 1, "one fast retransmit")
        try expectEqual(a.counters.duplicateAcks, 3, "three duplicate ACKs")
    }
    suite.test("timers.socket-set-keys-the-timestamp-offset") { () throws(TestFailure) in
        let isn = InitialSequenceNumber(key0: 1, key1: 2)
        var set = TCPSocketSet(isn: isn)
        let handle: TCPHandle
        do throws(TCPConnectError) {
            handle = try set.connect(from: client, to: server, now: t0)
        } catch {
            throw TestFailure("connect: \(error)")
        }
        let syn = try unwrap(set[connection: handle].dispatch(now: t0), "SYN")
        let value = try unwrap(syn.header.options.timestamps, "TSopt").value
        try expectEqual(value, 1000 &+ isn.timestampOffset(local: client, remote: server), "ms + keyed offset")
        var other = TCPSocketSet(isn: InitialSequenceNumber(key0: 1, key1: 3))
        let second: TCPHandle
        do throws(TCPConnectError) {
            second = try other.connect(from: client, to: server, now: t0)
        } catch {
            throw TestFailure("connect: \(error)")
        }
        let otherSYN = try unwrap(other[connection: second].dispatch(now: t0), "SYN")
        try expect(otherSYN.header.options.timestamps?.value != value, "another secret, another offset")
        var explicit = TCPControlBlock(connectingFrom: client, to: server, iss: 1, timestampOffset: 77)
        let explicitSYN = try unwrap(explicit.dispatch(now: t0), "SYN")
        try expectEqual(try unwrap(explicitSYN.header.options.timestamps, "TSopt").value, 1077, "the given offset")
    }
}
