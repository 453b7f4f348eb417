/// The arcs of RFC 9293 §3.3.2's state diagram (Figure 5) that the conversation tests in StateMachineTests.swift do
/// not walk: each test drives one machine by hand-built segments and checks the state after every event and what
/// went out.
import Net
import Runtime

private let here = TCPEndpoint(ip("10.0.0.2"), 49152)
private let there = TCPEndpoint(ip("10.0.0.3"), 80)
private let t0 = Instant(nanoseconds: 1_000_000_000)

private func plain() -> TCPConfiguration {
    var configuration = TCPConfiguration()
    configuration.maximumSegmentLifetime = .seconds(1)
    configuration.timestamps = false
    configuration.delayedAckTimeout = nil
    return configuration
}

/// A segment from the peer.
private func from(seq: UInt32, ack: UInt32 = 0, _ flags: TCPFlags, _ payload: [UInt8] = []) -> TCPSegment {
    TCPSegment(
        header: TCPHeader(
            sourcePort: there.port, destinationPort: here.port, sequenceNumber: seq, acknowledgmentNumber: ack,
            flags: flags, window: 8192),
        payload: payload)
}

/// An active open whose SYN (ISS 1000) went out.
private func synSent() throws(TestFailure) -> TCPControlBlock {
    var machine = TCPControlBlock(connectingFrom: here, to: there, iss: 1000, configuration: plain())
    _ = try unwrap(machine.dispatch(now: t0), "SYN")
    return machine
}

/// A passive open (peer ISS 7000, ours 1000) whose SYN-ACK went out.
private func synReceived() throws(TestFailure) -> TCPControlBlock {
    var machine = TCPControlBlock(
        acceptingSYN: from(seq: 7000, .syn).header, at: here, from: there, iss: 1000, configuration: plain())
    let synAck = try unwrap(machine.dispatch(now: t0), "SYN-ACK")
    try expectEqual(synAck.header.flags, [.syn, .ack], "SYN-ACK")
    return machine
}

/// ESTABLISHED with peer ISS 7000 (RCV.NXT 7001) and ours 1000 (SND.NXT 1001).
private func established() throws(TestFailure) -> TCPControlBlock {
    var machine = try synSent()
    _ = machine.process(from(seq: 7000, ack: 1001, [.syn, .ack]), now: t0)
    _ = machine.dispatch(now: t0)
    try expectEqual(machine.state, .established, "established")
    return machine
}

func registerTransitionTests(_ suite: inout TestSuite) {
    suite.test("transition.syn-sent-close-goes-to-closed-silently") { () throws(TestFailure) in
        var machine = try synSent()
        machine.close()
        try expectEqual(machine.state, .closed, "CLOSE in SYN-SENT: delete the TCB (RFC 9293 §3.10.4)")
        try expect(machine.dispatch(now: t0) == nil, "nothing sent")
    }
    suite.test("transition.syn-sent-rst-with-acceptable-ack-refuses") { () throws(TestFailure) in
        var machine = try synSent()
        try expect(machine.process(from(seq: 0, ack: 1001, [.rst, .ack]), now: t0) == nil, "no reply")
        try expectEqual(machine.state, .closed, "connection refused")
        try expect(machine.closeReason == .reset, "reset")
    }
    suite.test("transition.syn-sent-rst-with-bad-ack-is-ignored") { () throws(TestFailure) in
        var machine = try synSent()
        try expect(machine.process(from(seq: 0, ack: 5555, [.rst, .ack]), now: t0) == nil, "dropped")
        try expectEqual(machine.state, .synSent, "still SYN-SENT")
        try expect(machine.process(from(seq: 0, [.rst]), now: t0) == nil, "a RST without ACK: dropped")
        try expectEqual(machine.state, .synSent, "still SYN-SENT (RFC 5961 §3.2 keeps this rule)")
    }
    suite.test("transition.syn-sent-bad-ack-gets-a-reset") { () throws(TestFailure) in
        var machine = try synSent()
        let reset = try unwrap(machine.process(from(seq: 7000, ack: 999, [.ack]), now: t0), "RST")
        try expectEqual(reset.header.flags, [.rst], "<CTL=RST>")
        try expectEqual(reset.header.sequenceNumber, 999, "<SEQ=SEG.ACK>")
        try expectEqual(machine.state, .synSent, "still SYN-SENT")
    }
    suite.test("transition.syn-received-close-goes-to-fin-wait-1") { () throws(TestFailure) in
        var machine = try synReceived()
        machine.close()
        try expectEqual(machine.state, .finWait1, "CLOSE in SYN-RECEIVED: FIN-WAIT-1")
        _ = machine.process(from(seq: 7001, ack: 1001, [.ack]), now: t0)
        let fin = try unwrap(machine.dispatch(now: t0), "FIN once the handshake completes")
        try expect(fin.header.flags.contains(.fin), "FIN")
        _ = machine.process(from(seq: 7001, ack: 1002, [.ack]), now: t0)
        try expectEqual(machine.state, .finWait2, "FIN acknowledged")
    }
    suite.test("transition.syn-received-rst-closes") { () throws(TestFailure) in
        var machine = try synReceived()
        try expect(machine.process(from(seq: 7001, [.rst]), now: t0) == nil, "no reply")
        try expectEqual(machine.state, .closed, "closed (the listener stays)")
    }
    suite.test("transition.syn-received-unacceptable-ack-gets-a-reset") { () throws(TestFailure) in
        var machine = try synReceived()
        let reset = try unwrap(machine.process(from(seq: 7001, ack: 1000, [.ack]), now: t0), "RST")
        try expectEqual(reset.header.flags, [.rst], "<CTL=RST>")
        try expectEqual(reset.header.sequenceNumber, 1000, "<SEQ=SEG.ACK>")
        try expectEqual(machine.state, .synReceived, "still SYN-RECEIVED")
    }
    suite.test("transition.fin-wait-1-fin-with-ack-of-our-fin-goes-to-time-wait") { () throws(TestFailure) in
        var machine = try established()
        machine.close()
        _ = try unwrap(machine.dispatch(now: t0), "FIN")
        _ = machine.process(from(seq: 7001, ack: 1002, [.fin, .ack]), now: t0)
        try expectEqual(machine.state, .timeWait, "FIN-WAIT-1 → TIME-WAIT in one segment")
        let ack = try unwrap(machine.dispatch(now: t0), "ACK of their FIN")
        try expectEqual(ack.header.acknowledgmentNumber, 7002, "FIN acknowledged")
    }
    suite.test("transition.time-wait-re-acks-a-retransmitted-fin-and-restarts-2msl") { () throws(TestFailure) in
        var machine = try established()
        machine.close()
        _ = try unwrap(machine.dispatch(now: t0), "FIN")
        _ = machine.process(from(seq: 7001, ack: 1002, [.fin, .ack]), now: t0)
        _ = machine.dispatch(now: t0)
        let later = t0 + .milliseconds(1500)
        let ack = try unwrap(machine.process(from(seq: 7001, ack: 1002, [.fin, .ack]), now: later), "ACK again")
        try expectEqual(ack.header.acknowledgmentNumber, 7002, "the same ACK")
        try expectEqual(try unwrap(machine.pollAt(now: later), "timer"), later + .seconds(2), "2 MSL from now")
        _ = machine.dispatch(now: t0 + .seconds(2))
        try expectEqual(machine.state, .timeWait, "not at the first deadline")
        _ = machine.dispatch(now: later + .seconds(2))
        try expectEqual(machine.state, .closed, "at the restarted one")
    }
    suite.test("transition.close-wait-rst-closes-with-reset") { () throws(TestFailure) in
        var machine = try established()
        _ = machine.process(from(seq: 7001, ack: 1001, [.fin, .ack]), now: t0)
        try expectEqual(machine.state, .closeWait, "CLOSE-WAIT")
        _ = machine.process(from(seq: 7002, [.rst]), now: t0)
        try expectEqual(machine.state, .closed, "closed")
        try expect(machine.closeReason == .reset, "by the peer's reset")
    }
    suite.test("transition.last-ack-rst-closes-without-error") { () throws(TestFailure) in
        var machine = try established()
        _ = machine.process(from(seq: 7001, ack: 1001, [.fin, .ack]), now: t0)
        machine.close()
        try expectEqual(machine.state, .lastAck, "LAST-ACK")
        _ = machine.dispatch(now: t0)
        _ = machine.process(from(seq: 7002, [.rst]), now: t0)
        try expectEqual(machine.state, .closed, "closed")
        try expect(machine.closeReason == nil, "RFC 9293 §3.10.7.4: in LAST-ACK a RST just ends it")
    }
    suite.test("transition.time-wait-gives-the-rings-back-but-keeps-unread-data") { () throws(TestFailure) in
        var machine = try established()
        try expect(machine.sendCapacityLeft > 1000, "a send ring while open")
        machine.close()
        _ = try unwrap(machine.dispatch(now: t0), "FIN")
        // Their data and FIN, acknowledging ours: TIME-WAIT with 5 bytes not yet read.
        _ = machine.process(from(seq: 7001, ack: 1002, [.fin, .ack], [1, 2, 3, 4, 5]), now: t0)
        try expectEqual(machine.state, .timeWait, "TIME-WAIT")
        try expect(machine.sendCapacityLeft <= 1, "the send ring's memory is given back")
        let bytes = (try? machine.receive(maximum: 10)) ?? []
        try expectBytes(bytes, [1, 2, 3, 4, 5], "unread data survives")
    }
    suite.test("transition.acks-for-unacceptable-bare-acks-are-rate-limited") { () throws(TestFailure) in
        var machine = try established()
        // Bare ACKs far outside the window (an ACK storm's half): one answer per 500 ms.
        var answers = 0
        for step in 0..<5 {
            let at = t0 + .milliseconds(20 * step)
            if machine.process(from(seq: 7001 &+ 1_000_000, ack: 1001, [.ack]), now: at) != nil { answers += 1 }
        }
        try expectEqual(answers, 1, "one ACK for five bare unacceptable ACKs")
        try expectEqual(machine.counters.unacceptableAcksSuppressed, 4, "four suppressed")
        // Data is always answered: the ACK may be what its sender needs.
        let reply = machine.process(from(seq: 7001 &+ 1_000_000, ack: 1001, [.ack], [1, 2, 3]), now: t0)
        try expect(reply != nil, "unacceptable data gets its ACK")
        let later = machine.process(from(seq: 7001 &+ 1_000_000, ack: 1001, [.ack]), now: t0 + .milliseconds(600))
        try expect(later != nil, "a bare one again after the interval")
        try expectEqual(machine.state, .established, "the connection is untouched")
    }
}
