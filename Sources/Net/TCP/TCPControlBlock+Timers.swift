/// The connection's timers besides retransmission, and the send-side rules that wait on time: delayed ACKs
/// (RFC 1122 §4.2.3.2, RFC 5681 §4.2), Nagle's algorithm (RFC 1122 §4.2.3.4, RFC 896), restart after idle
/// (RFC 5681 §4.1), keep-alives (RFC 1122 §4.2.3.6) and the bound on a detached FIN-WAIT-2 (Linux's
/// `tcp_fin_timeout`). `dispatch(now:emit:)` runs them; `pollAt(now:)` reports ``timerDeadline``.
import Runtime

extension TCPControlBlock {
    // MARK: - Delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2)

    /// RFC 1122 §4.2.3.2: "the delay MUST be less than 0.5 seconds".
    static let delayedAckCeiling: Duration = .milliseconds(500)

    /// Owes an ACK for data just taken: at once when `immediately` (RFC 5681 §4.2: out-of-order data, data that
    /// fills a gap, duplicate data) or when delaying is off, else by ``TCPConfiguration/delayedAckTimeout`` —
    /// unless more than one full-sized segment is now unacknowledged ("an ACK SHOULD be generated for at least
    /// every second full-sized segment").
    func acknowledgeData(now: Instant, immediately: Bool) {
        guard !immediately, let delay = self.configuration.delayedAckTimeout, delay > .zero else {
            self.ackPending = true
            return
        }
        let unacknowledged = Int(Int32(bitPattern: self.rcvNxt &- self.lastAckSent))
        if unacknowledged > self.receiveSegmentEstimate {
            self.ackPending = true
            return
        }
        if self.delayedAckDeadline == nil {
            self.delayedAckDeadline = now + Swift.min(delay, Self.delayedAckCeiling)
        }
    }

    /// Learns what a full-sized segment is from one that arrived with `length` bytes of data (Linux's
    /// `tcp_measure_rcv_mss`: the largest seen, at most our MSS).
    func measureReceivedSegment(length: Int) {
        let largest = Swift.min(length, Int(self.configuration.maximumSegmentSize))
        if largest > self.receiveSegmentEstimate { self.receiveSegmentEstimate = largest }
    }

    // MARK: - Nagle (RFC 1122 §4.2.3.4, RFC 896)

    /// ``nextData()`` unless Nagle's algorithm holds it: new data shorter than a full segment waits while data is
    /// unacknowledged ("If there is unacknowledged data ..., then the sending TCP buffers all user data ... until
    /// the outstanding data has been acknowledged or until the TCP can send a full-sized segment"). A FIN, a
    /// retransmission (below SND.MAX) and a window probe are never held; ``noDelay`` turns the rule off.
    func sendableData() -> (length: Int, fin: Bool) {
        let next = self.nextData()
        guard !self.noDelay, !next.fin, next.length > 0, next.length < self.segmentDataLimit,
            self.sndNxt == self.sndMax, self.sndMax != self.sndUna
        else { return next }
        return (0, false)
    }

    // MARK: - Restart after idle (RFC 5681 §4.1)

    /// Before new data leaves an empty pipe: "if the TCP has not sent data in an interval exceeding the
    /// retransmission timeout", cwnd restarts from min(IW, cwnd).
    func restartAfterIdleIfNeeded(now: Instant) {
        guard self.sndMax == self.sndUna, let last = self.lastDataSent else { return }
        self.congestion.restartAfterIdle(idle: now - last, retransmissionTimeout: self.timer.timeout)
    }

    // MARK: - Keep-alive (RFC 1122 §4.2.3.6)

    /// An acceptable segment arrived: the peer is alive, so the keep-alive idle time starts again.
    func heardFromPeer(now: Instant) {
        self.lastReceived = now
        self.keepAliveProbesSent = 0
    }

    /// When the next keep-alive probe (or, once ``TCPKeepAlive/probes`` went unanswered, the give-up) is due:
    /// ``TCPKeepAlive/idle`` after the peer was last heard from, then every ``TCPKeepAlive/interval``. Only in
    /// ESTABLISHED, CLOSE-WAIT and FIN-WAIT-2 with nothing outstanding (the retransmission and persist timers
    /// watch the peer otherwise).
    var keepAliveDeadline: Instant? {
        guard let keepAlive = self.configuration.keepAlive, let last = self.lastReceived else { return nil }
        switch self.state {
        case .established, .closeWait, .finWait2: break
        default: return nil
        }
        guard self.sndMax == self.sndUna, !self.needsPersistTimer else { return nil }
        return last + keepAlive.idle + keepAlive.interval * self.keepAliveProbesSent
    }

    /// A keep-alive probe when one is due: <SEQ=SND.NXT-1><ACK=RCV.NXT> without data, which the peer must answer
    /// with an ACK as for any unacceptable segment (RFC 1122 §4.2.3.6, RFC 9293 §3.10.7.4). After
    /// ``TCPKeepAlive/probes`` unanswered ones, a RST, and the connection closes as timed out. `nil` when none is
    /// due.
    func keepAliveSegment(now: Instant, _ emit: Emit) -> TCPDispatchResult? {
        guard let keepAlive = self.configuration.keepAlive, let due = self.keepAliveDeadline, now >= due else {
            return nil
        }
        if self.keepAliveProbesSent >= keepAlive.probes {
            guard self.emitSegment(self.resetHeader(sequence: self.sndNxt), emit) else { return .refused }
            self.enterClosed(reason: .timedOut)
            return .sent
        }
        guard self.emitSegment(self.header(flags: [.ack], sequence: self.sndNxt &- 1), emit) else { return .refused }
        self.keepAliveProbesSent += 1
        self.counters.keepAliveProbes += 1
        return .sent
    }

    // MARK: - FIN-WAIT-2 and detach (RFC 2525 §2.17)

    /// Our FIN was acknowledged: FIN-WAIT-2, bounded by ``TCPConfiguration/finWait2Timeout`` once detached.
    func enterFinWait2(now: Instant) {
        self.state = .finWait2
        if self.isDetached { self.finWait2Deadline = now + self.configuration.finWait2Timeout }
    }

    /// Whether `segment` brings data beyond RCV.NXT to a detached connection, which then answers with
    /// <SEQ=SEG.ACK><CTL=RST> and closes (RFC 2525 §2.17; Linux's `TCPAbortOnData`): nobody will read it.
    func isDataAfterDetach(_ segment: TCPIncomingSegment) -> Bool {
        guard self.isDetached, !segment.payload.isEmpty else { return false }
        switch self.state {
        case .established, .finWait1, .finWait2: break
        default: return false
        }
        return tcpBefore(self.rcvNxt, segment.header.sequenceNumber &+ UInt32(segment.payload.count))
    }

    // MARK: - Running them

    /// Fires the delayed-ACK and FIN-WAIT-2 timers that are due at `now` (called first by ``dispatch(now:emit:)``).
    func runTimers(now: Instant) {
        if self.finWait2StartPending {
            self.finWait2StartPending = false
            self.finWait2Deadline = now + self.configuration.finWait2Timeout
        }
        if let due = self.delayedAckDeadline, now >= due {
            self.delayedAckDeadline = nil
            self.counters.delayedAcks += 1
            self.ackPending = true
        }
        if self.state == .finWait2, let due = self.finWait2Deadline, now >= due {
            self.enterClosed(reason: .timedOut)
        }
    }

    /// The earliest of the delayed-ACK, keep-alive and FIN-WAIT-2 deadlines, or `nil`.
    var timerDeadline: Instant? {
        var earliest = self.delayedAckDeadline
        for candidate in [self.keepAliveDeadline, self.state == .finWait2 ? self.finWait2Deadline : nil] {
            if let candidate, earliest == nil || candidate < earliest! { earliest = candidate }
        }
        return earliest
    }
}
