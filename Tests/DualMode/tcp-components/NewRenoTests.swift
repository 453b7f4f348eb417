/// `NewRenoCongestion` (RFC 5681, RFC 6582, RFC 3465, RFC 6928): window traces with SMSS = 1000 so every value
/// reads in segments, computed by hand from the clauses cited in the source.
import Net
import Runtime

private let una = seq(0xFFFF_F000)  // near the wrap, so recovery points wrap too

private func reno(ssthresh: Int = Int(Int32.max), limit: Int = 2) -> NewRenoCongestion {
    NewRenoCongestion(maximumSegmentSize: 1000, byteCountingLimit: limit, initialSlowStartThreshold: ssthresh)
}

/// Three duplicate ACKs at `una` with 10 segments outstanding; returns the third one's action.
private func enterRecovery(_ cc: inout NewRenoCongestion) throws(TestFailure) {
    try expectEqual(cc.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000), .none, "dup 1")
    try expectEqual(cc.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000), .none, "dup 2")
    try expectEqual(
        cc.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000), .fastRetransmit, "dup 3")
}

func registerNewRenoTests(_ suite: inout TestSuite) {
    suite.test("newreno.initial-window-per-rfc6928-and-rfc5681") { () throws(TestFailure) in
        try expectEqual(NewRenoCongestion.initialWindow(.rfc6928, maximumSegmentSize: 1460), 14_600, "1460")
        try expectEqual(NewRenoCongestion.initialWindow(.rfc6928, maximumSegmentSize: 1000), 10_000, "1000")
        try expectEqual(NewRenoCongestion.initialWindow(.rfc6928, maximumSegmentSize: 536), 5360, "536")
        try expectEqual(NewRenoCongestion.initialWindow(.rfc6928, maximumSegmentSize: 8960), 17_920, "jumbo: 2*SMSS")
        try expectEqual(NewRenoCongestion.initialWindow(.rfc5681, maximumSegmentSize: 2200), 4400, "5681 > 2190")
        try expectEqual(NewRenoCongestion.initialWindow(.rfc5681, maximumSegmentSize: 1460), 4380, "5681 > 1095")
        try expectEqual(NewRenoCongestion.initialWindow(.rfc5681, maximumSegmentSize: 536), 2144, "5681 small")
        let cc = NewRenoCongestion(maximumSegmentSize: 1460)
        try expectEqual(cc.congestionWindow, 14_600, "cwnd = IW")
        try expect(cc.inSlowStart && !cc.inRecovery, "slow start")
    }
    suite.test("newreno.slow-start-grows-by-bytes-acked-up-to-l-smss") { () throws(TestFailure) in
        var cc = reno()
        var trace: [Int] = []
        for acked in [1000, 3000, 500, 2000] {
            try expectEqual(cc.onAck(bytesAcked: acked, ackNumber: una + acked, flightSize: 5000), .none, "action")
            trace.append(cc.congestionWindow)
        }
        try expectElements(trace, [11_000, 13_000, 13_500, 15_500], "cwnd (L = 2)")
        var one = reno(limit: 1)
        _ = one.onAck(bytesAcked: 3000, ackNumber: una + 3000, flightSize: 0)
        try expectEqual(one.congestionWindow, 11_000, "L = 1: one SMSS per ACK (RFC 5681 eq. 2)")
    }
    suite.test("newreno.congestion-avoidance-adds-smss-per-window-acked") { () throws(TestFailure) in
        var cc = reno(ssthresh: 5000)
        try expect(!cc.inSlowStart, "cwnd 10000 >= ssthresh 5000")
        var trace: [Int] = []
        for _ in 0..<21 {
            _ = cc.onAck(bytesAcked: 1000, ackNumber: una + 1000, flightSize: 9000)
            trace.append(cc.congestionWindow)
        }
        try expectEqual(trace[8], 10_000, "nine ACKs: no growth")
        try expectEqual(trace[9], 11_000, "tenth: a window acknowledged")
        try expectEqual(trace[19], 11_000, "next ten: 10000 of 11000")
        try expectEqual(trace[20], 12_000, "eleventh of the new window")
        try expectEqual(cc.bytesAckedInAvoidance, 0, "counter")
    }
    suite.test("newreno.slow-start-hands-over-at-ssthresh") { () throws(TestFailure) in
        var cc = reno(ssthresh: 12_000)
        _ = cc.onAck(bytesAcked: 2000, ackNumber: una + 2000, flightSize: 8000)
        try expectEqual(cc.congestionWindow, 12_000, "slow start to ssthresh")
        try expect(!cc.inSlowStart, "now avoidance")
        _ = cc.onAck(bytesAcked: 2000, ackNumber: una + 4000, flightSize: 8000)
        try expectEqual(cc.congestionWindow, 12_000, "byte counting, not +2000")
    }
    suite.test("newreno.three-dup-acks-fast-retransmit-and-inflate") { () throws(TestFailure) in
        var cc = reno()
        try enterRecovery(&cc)
        try expect(cc.inRecovery, "in recovery")
        try expectEqual(cc.slowStartThreshold, 5000, "ssthresh = FlightSize/2 (eq. 4)")
        try expectEqual(cc.congestionWindow, 8000, "cwnd = ssthresh + 3 SMSS")
        try expectEqual(cc.recover ?? seq(0), una + 10_000, "recover = SND.NXT")
        _ = cc.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000)
        _ = cc.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000)
        try expectEqual(cc.congestionWindow, 10_000, "inflated by SMSS per extra dup ACK (RFC 5681 §3.2 step 4)")
        try expectEqual(cc.statistics.fastRetransmits, 1, "one fast retransmit")
    }
    suite.test("newreno.sack-detected-loss-enters-recovery-before-the-third-dup-ack") { () throws(TestFailure) in
        var cc = reno()
        _ = cc.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000)
        let action = cc.onLossDetected(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000)
        try expectEqual(action, .fastRetransmit, "RFC 6675 §5 (2)(b): IsLost(HighACK + 1) after one dup ACK")
        try expect(cc.inRecovery, "in recovery")
        try expectEqual(cc.slowStartThreshold, 5000, "ssthresh = FlightSize/2 (eq. 4)")
        try expectEqual(cc.congestionWindow, 8000, "cwnd = ssthresh + 3 SMSS, as on the third dup ACK")
        try expectEqual(cc.recover ?? seq(0), una + 10_000, "recover = SND.NXT")
        try expectEqual(
            cc.onLossDetected(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000), .none, "once per recovery")
        try expectEqual(
            cc.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000), .none, "no second trigger")
        try expectEqual(cc.statistics.fastRetransmits, 1, "one fast retransmit")
        var late = reno()
        late.onRetransmissionTimeout(flightSize: 10_000, sendNext: una + 10_000)
        try expectEqual(
            late.onLossDetected(ackNumber: una + 2000, flightSize: 8000, sendNext: una + 10_000), .none,
            "not beyond recover after a timeout (RFC 6582 §3.2 step 2)")
    }
    suite.test("newreno.new-ack-resets-the-dup-ack-count") { () throws(TestFailure) in
        var cc = reno()
        _ = cc.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000)
        _ = cc.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000)
        _ = cc.onAck(bytesAcked: 1000, ackNumber: una + 1000, flightSize: 9000)
        try expectEqual(cc.duplicateAcks, 0, "reset")
        let third = cc.onDuplicateAck(ackNumber: una + 1000, flightSize: 9000, sendNext: una + 10_000)
        try expectEqual(third, .none, "only one dup ACK since")
    }
    suite.test("newreno.partial-acks-deflate-and-retransmit") { () throws(TestFailure) in
        var cc = reno()
        try enterRecovery(&cc)
        _ = cc.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000)  // cwnd 9000
        let first = cc.onAck(bytesAcked: 3000, ackNumber: una + 3000, flightSize: 7000)
        try expectEqual(first, .retransmitAfterPartialAck(restartTimer: true), "first partial ACK")
        try expectEqual(cc.congestionWindow, 7000, "9000 - 3000 + 1000")
        let second = cc.onAck(bytesAcked: 500, ackNumber: una + 3500, flightSize: 6500)
        try expectEqual(second, .retransmitAfterPartialAck(restartTimer: false), "later partial ACK")
        try expectEqual(cc.congestionWindow, 6500, "7000 - 500, no SMSS added back")
        try expect(cc.inRecovery, "still in recovery")
        try expectEqual(cc.statistics.partialAcks, 2, "counted")
    }
    suite.test("newreno.full-ack-across-the-wrap-exits-recovery") { () throws(TestFailure) in
        var cc = reno()
        try enterRecovery(&cc)
        try expect((una + 10_000).rawValue < una.rawValue, "recover wrapped past zero")
        let action = cc.onAck(bytesAcked: 10_000, ackNumber: una + 10_000, flightSize: 2000)
        try expectEqual(action, .none, "full ACK")
        try expect(!cc.inRecovery, "left recovery")
        try expectEqual(cc.congestionWindow, 3000, "min(ssthresh, max(FlightSize, SMSS) + SMSS)")
        var big = reno()
        try enterRecovery(&big)
        _ = big.onAck(bytesAcked: 10_000, ackNumber: una + 10_000, flightSize: 8000)
        try expectEqual(big.congestionWindow, 5000, "capped at ssthresh")
        try expectEqual(big.statistics.fullAcks, 1, "counted")
    }
    suite.test("newreno.retransmission-timeout-collapses-to-one-segment") { () throws(TestFailure) in
        var cc = reno()
        cc.onRetransmissionTimeout(flightSize: 10_000, sendNext: una + 10_000)
        try expectEqual(cc.slowStartThreshold, 5000, "ssthresh = FlightSize/2")
        try expectEqual(cc.congestionWindow, 1000, "cwnd = LW = SMSS")
        cc.onRetransmissionTimeout(flightSize: 4000, sendNext: una + 10_000)
        try expectEqual(cc.slowStartThreshold, 5000, "same segment timed out again: ssthresh held")
        _ = cc.onAck(bytesAcked: 1000, ackNumber: una + 1000, flightSize: 3000)
        try expectEqual(cc.congestionWindow, 2000, "slow start again")
        cc.onRetransmissionTimeout(flightSize: 1000, sendNext: una + 10_000)
        try expectEqual(cc.slowStartThreshold, 2000, "at least 2 SMSS")
        try expectEqual(cc.statistics.timeouts, 3, "counted")
    }
    suite.test("newreno.timeout-in-recovery-exits-and-blocks-stale-dup-acks") { () throws(TestFailure) in
        var cc = reno()
        try enterRecovery(&cc)
        cc.onRetransmissionTimeout(flightSize: 10_000, sendNext: una + 12_000)
        try expect(!cc.inRecovery, "recovery ended (step 4)")
        try expectEqual(cc.recover ?? seq(0), una + 12_000, "recover = SND.NXT")
        // Duplicates of the go-back-N retransmissions: ack not beyond recover (step 2).
        for _ in 0..<3 { _ = cc.onDuplicateAck(ackNumber: una + 5000, flightSize: 7000, sendNext: una + 12_000) }
        try expect(!cc.inRecovery, "no fast retransmit")
        try expectEqual(cc.statistics.ignoredDuplicateAckTriggers, 1, "counted")
        _ = cc.onAck(bytesAcked: 8000, ackNumber: una + 13_000, flightSize: 2000)
        var action = NewRenoCongestion.Action.none
        for _ in 0..<3 { action = cc.onDuplicateAck(ackNumber: una + 13_000, flightSize: 2000, sendNext: una + 15_000) }
        try expectEqual(action, .fastRetransmit, "beyond recover: allowed")
    }
    suite.test("newreno.send-window-is-min-of-cwnd-and-rwnd") { () throws(TestFailure) in
        let cc = reno()
        try expectEqual(cc.sendWindow(receiverWindow: 65_535), 10_000, "cwnd limits")
        try expectEqual(cc.sendWindow(receiverWindow: 4000), 4000, "rwnd limits")
        try expectEqual(cc.usableWindow(receiverWindow: 65_535, flightSize: 7000), 3000, "usable")
        try expectEqual(cc.usableWindow(receiverWindow: 4000, flightSize: 7000), 0, "never negative")
    }
    suite.test("newreno.limited-transmit-opens-one-segment-per-early-dup-ack") { () throws(TestFailure) in
        var cc = reno()
        _ = cc.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000)
        try expectEqual(cc.sendWindow(receiverWindow: 65_535), 11_000, "first dup ACK: cwnd + SMSS")
        try expectEqual(cc.congestionWindow, 10_000, "cwnd unchanged (RFC 3042)")
        _ = cc.onDuplicateAck(ackNumber: una, flightSize: 11_000, sendNext: una + 11_000)
        try expectEqual(cc.sendWindow(receiverWindow: 65_535), 12_000, "second: cwnd + 2 SMSS")
        try expectEqual(cc.sendWindow(receiverWindow: 10_500), 10_500, "rwnd still bounds it")
        _ = cc.onDuplicateAck(ackNumber: una, flightSize: 12_000, sendNext: una + 12_000)
        try expectEqual(cc.sendWindow(receiverWindow: 65_535), 9000, "third: recovery's cwnd only")
        try expectEqual(cc.slowStartThreshold, 6000, "FlightSize/2 with the limited-transmit segments")
        var off = NewRenoCongestion(maximumSegmentSize: 1000, limitedTransmit: false)
        _ = off.onDuplicateAck(ackNumber: una, flightSize: 10_000, sendNext: una + 10_000)
        try expectEqual(off.sendWindow(receiverWindow: 65_535), 10_000, "off")
    }
    suite.test("newreno.idle-longer-than-rto-restarts-from-the-initial-window") { () throws(TestFailure) in
        var cc = reno()
        for _ in 0..<10 { _ = cc.onAck(bytesAcked: 2000, ackNumber: una + 2000, flightSize: 0) }
        try expectEqual(cc.congestionWindow, 30_000, "grown")
        try expect(!cc.restartAfterIdle(idle: .milliseconds(900), retransmissionTimeout: .seconds(1)), "short idle")
        try expect(cc.restartAfterIdle(idle: .milliseconds(1500), retransmissionTimeout: .seconds(1)), "long idle")
        try expectEqual(cc.congestionWindow, 10_000, "RW = min(IW, cwnd)")
        var small = reno()
        small.onRetransmissionTimeout(flightSize: 4000, sendNext: una + 4000)
        small.restartAfterIdle(idle: .seconds(5), retransmissionTimeout: .seconds(1))
        try expectEqual(small.congestionWindow, 1000, "a cwnd below IW is kept")
    }
}
