/// What a connection sends, and its timers: SYN and SYN-ACK, data within the peer's and the congestion window,
/// FIN, ACKs, RSTs; retransmission (RFC 6298), zero-window probes (RFC 1122 §4.2.2.17), TIME-WAIT (RFC 9293
/// §3.4.2). The delayed-ACK, keep-alive and FIN-WAIT-2 timers and Nagle's rule are in
/// `TCPControlBlock+Timers.swift`.
import Runtime

extension TCPControlBlock {
    /// The emit callback of ``dispatch(now:emit:)`` and ``process(_:now:emit:)``: builds the frame for one segment
    /// (copying its data once, ``TCPOutgoingSegment/copyPayload(into:)``) and returns whether the device took it.
    public typealias Emit = (TCPOutgoingSegment) -> Bool

    /// Runs the timers due at `now` and emits the next segment to send, if one is due. Call until it returns
    /// ``TCPDispatchResult/idle``; stop at ``TCPDispatchResult/refused`` (the device is full: nothing was
    /// committed, and the same segment is built again at the next dispatch).
    public func dispatch(now: Instant, emit: Emit) -> TCPDispatchResult {
        self.clock = now
        self.runTimers(now: now)
        if self.resetPending {
            guard self.emitSegment(self.resetHeader(sequence: self.sndNxt), emit) else { return .refused }
            self.resetPending = false
            return .sent
        }
        if self.state == .timeWait, let until = self.timeWaitUntil, now >= until {
            self.enterClosed(reason: nil)
            return .idle
        }
        if self.timer.expired(now: now) { self.retransmissionTimeout(now: now) }
        switch self.state {
        case .closed, .listen:
            return .idle
        case .synSent, .synReceived:
            guard self.sndNxt == self.iss else { return self.pendingAck(emit) }
            var header = self.header(flags: self.state == .synSent ? [.syn] : [.syn, .ack], sequence: self.iss)
            header.options.maximumSegmentSize = self.configuration.maximumSegmentSize
            // RFC 7323 §2.2, RFC 2018 §2: offer in a SYN; answer in a SYN-ACK only what the SYN offered.
            if self.configuration.windowScaling && (self.state == .synSent || self.windowScaleAgreed) {
                header.options.windowScale = self.receiveScale
            }
            if self.configuration.selectiveAcknowledgments && (self.state == .synSent || self.sackEnabled) {
                header.options.sackPermitted = true
            }
            if self.configuration.timestamps && self.state == .synSent {
                header.options.timestamps = TCPTimestamps(value: self.timestampValue(now), echoReply: 0)
            }
            guard self.emitSegment(header, emit) else { return .refused }
            self.sndNxt = self.iss &+ 1
            self.startTimerIfIdle(now: now, sequenceEnd: self.sndNxt)
            self.ackPending = false
            return .sent
        default:
            break
        }
        if let result = self.keepAliveSegment(now: now, emit) { return result }
        if let result = self.dataSegment(now: now, emit) { return result }
        return self.pendingAck(emit)
    }

    /// Hands one segment (`length` bytes of the send ring from `offset` as its data) to `emit`; when the device
    /// took it, commits what every sent segment commits (``committed(_:dataLength:)``) and returns true. The
    /// caller commits its own part (SND.NXT, the timer) only after a true.
    func emitSegment(
        _ header: TCPHeader, payloadAt offset: Int = 0, length: Int = 0, segmentationSize: Int = 0, _ emit: Emit
    ) -> Bool {
        let local = self.local
        let remote = self.remote
        let accepted = self.sendRing.withBytes(at: offset, length: length) { head, tail in
            emit(
                TCPOutgoingSegment(
                    header: header, local: local, remote: remote, head: head, tail: tail,
                    segmentationSize: segmentationSize))
        }
        guard accepted else { return false }
        self.committed(header, dataLength: length)
        return true
    }

    /// When ``dispatch(now:emit:)`` next has work without new input: `now` when a segment is ready, else the
    /// earliest of the retransmission, probe, TIME-WAIT, delayed-ACK, keep-alive and FIN-WAIT-2 deadlines, else
    /// `nil`.
    public func pollAt(now: Instant) -> Instant? {
        if self.resetPending || self.ackPending || self.finWait2StartPending { return now }
        var deadline = self.timerDeadline
        switch self.state {
        case .closed, .listen:
            return nil
        case .timeWait:
            if let until = self.timeWaitUntil, deadline == nil || until < deadline! { deadline = until }
        case .synSent, .synReceived:
            if self.sndNxt == self.iss { return now }
        default:
            let next = self.sendableData()
            if next.length > 0 || next.fin { return now }
            if self.retransmitPending { return now }
            if self.needsPersistTimer && !self.timer.isArmed { return now }
        }
        if let at = self.timer.deadline, deadline == nil || at < deadline! { deadline = at }
        guard let deadline else { return nil }
        return deadline < now ? now : deadline
    }

    /// The data (and FIN) the windows allow at SND.NXT: RFC 5681 §3.1 caps the flight at min(cwnd, rwnd).
    func nextData() -> (length: Int, fin: Bool) {
        guard self.state.isSynchronized, self.state != .timeWait else { return (0, false) }
        let offset = Int(Int32(bitPattern: self.sndNxt &- self.sendBase))
        guard offset >= 0 else { return (0, false) }
        let available = Swift.max(0, self.sendRing.count - offset)
        let flight = Int(self.sndNxt &- self.sndUna)
        var usable = self.congestion.usableWindow(receiverWindow: Int(self.sndWnd), flightSize: flight)
        if self.probe && flight == 0 { usable = Swift.max(usable, 1) }
        var length = Swift.min(available, usable, self.sendBurstLimit)
        // A TSO burst the window cuts short ends on a whole SMSS, so the device sends no runt mid-stream.
        if length > self.segmentDataLimit && length < available { length -= length % self.segmentDataLimit }
        let finSequence = self.sendBase &+ UInt32(self.sendRing.count)
        let fin = self.finQueued && self.sndNxt &+ UInt32(length) == finSequence
            && (self.state == .finWait1 || self.state == .closing || self.state == .lastAck)
        return (length, fin)
    }

    /// Data is waiting but the peer's window is shut and nothing is in flight: probe it on a timer.
    var needsPersistTimer: Bool {
        self.sndWnd == 0 && self.sndMax == self.sndUna
            && (Int(Int32(bitPattern: self.sndNxt &- self.sendBase)) < self.sendRing.count)
    }

    /// New data (and FIN) the windows allow, or a retransmission that is due; `nil` when there is none.
    private func dataSegment(now: Instant, _ emit: Emit) -> TCPDispatchResult? {
        if self.retransmitPending, let result = self.retransmitFirst(now: now, emit) { return result }
        if self.sackRetransmitBudget > 0 {
            let result = self.retransmitLost(now: now, emit)
            if result == .refused { return .refused }  // the budget is kept for the next dispatch
            self.sackRetransmitBudget -= 1
            if let result { return result }
        }
        if !self.congestion.inRecovery { self.sackRetransmitBudget = 0 }
        self.skipSACKed()
        self.restartAfterIdleIfNeeded(now: now)
        let (length, fin) = self.sendableData()
        guard length > 0 || fin else {
            if self.needsPersistTimer {
                if self.zeroWindowSince == nil { self.zeroWindowSince = now }
                self.timer.armIfStopped(now: now)
            }
            return nil
        }
        let offset = Int(self.sndNxt &- self.sendBase)
        var flags: TCPFlags = [.ack]
        if fin { flags.insert(.fin) }
        if length > 0 && offset + length == self.sendRing.count { flags.insert(.psh) }
        let header = self.header(flags: flags, sequence: self.sndNxt)
        let segmentationSize = length > self.segmentDataLimit ? self.segmentDataLimit : 0
        guard self.emitSegment(header, payloadAt: offset, length: length, segmentationSize: segmentationSize, emit)
        else { return .refused }
        self.sndNxt &+= UInt32(length + (fin ? 1 : 0))
        self.probe = false
        self.startTimerIfIdle(now: now, sequenceEnd: self.sndNxt)
        self.ackPending = false
        return .sent
    }

    /// RFC 6298 (5.1): start the timer when a segment with data (or SYN, FIN) goes out and it is not running;
    /// take an RTT sample if none is running (Karn: never on a retransmission, see ``goBack()``).
    private func startTimerIfIdle(now: Instant, sequenceEnd: UInt32) {
        self.timer.armIfStopped(now: now)
        if tcpBefore(self.sndMax, sequenceEnd) {
            if self.rttSample == nil { self.rttSample = (sequenceEnd, now) }
            self.sndMax = sequenceEnd
        }
    }

    /// One segment at SND.UNA, SND.NXT unchanged (fast retransmit, NewReno partial ACK): the oldest data, or the
    /// FIN when only it is outstanding; `nil` when nothing is outstanding (the request lapses).
    private func retransmitFirst(now: Instant, _ emit: Emit) -> TCPDispatchResult? {
        guard self.state.isSynchronized, self.sndUna != self.sndMax else {
            self.retransmitPending = false
            return nil
        }
        let offset = Swift.max(0, Int(Int32(bitPattern: self.sndUna &- self.sendBase)))
        let outstanding = Int(self.sndMax &- self.sndUna)
        let length = Swift.max(0, Swift.min(self.segmentDataLimit, self.sendRing.count - offset, outstanding))
        let finSequence = self.sendBase &+ UInt32(self.sendRing.count)
        let fin = self.finQueued && self.sndUna &+ UInt32(length) == finSequence && tcpBefore(finSequence, self.sndMax)
        guard length > 0 || fin else {
            self.retransmitPending = false
            return nil
        }
        var flags: TCPFlags = [.ack]
        if fin { flags.insert(.fin) }
        let header = self.header(flags: flags, sequence: self.sndUna)
        guard self.emitSegment(header, payloadAt: offset, length: length, emit) else { return .refused }
        self.retransmitPending = false
        if length > 0 {
            self.scoreboard?.markRetransmitted(SACKBlock(start: SequenceNumber(self.sndUna), length: length))
        }
        self.counters.retransmits += 1
        self.timer.armIfStopped(now: now)
        self.ackPending = false
        return .sent
    }

    /// RFC 6675 §4 NextSeg() rule 1: the next lost hole below the highest SACKed byte, at most one SMSS; `nil`
    /// when there is none.
    private func retransmitLost(now: Instant, _ emit: Emit) -> TCPDispatchResult? {
        guard self.state.isSynchronized, let scoreboard = self.scoreboard,
            let hole = scoreboard.nextSegment(sendNext: SequenceNumber(self.sndMax))
        else { return nil }
        let offset = Int(Int32(bitPattern: hole.start.rawValue &- self.sendBase))
        let length = Swift.min(hole.length, self.sendRing.count - offset, self.segmentDataLimit)
        guard offset >= 0, length > 0 else { return nil }
        let header = self.header(flags: [.ack], sequence: hole.start.rawValue)
        guard self.emitSegment(header, payloadAt: offset, length: length, emit) else { return .refused }
        self.scoreboard!.markRetransmitted(SACKBlock(start: hole.start, length: length))
        self.counters.retransmits += 1
        self.timer.armIfStopped(now: now)
        self.ackPending = false
        return .sent
    }

    /// After a go-back, SND.NXT skips what the peer already SACKed (it stays queued until cumulatively
    /// acknowledged, RFC 2018 §8).
    private func skipSACKed() {
        guard let scoreboard = self.scoreboard else { return }
        for range in scoreboard.ranges where tcpBefore(self.sndNxt, self.sndMax) {
            if tcpBeforeOrEqual(range.start.rawValue, self.sndNxt) && tcpBefore(self.sndNxt, range.end.rawValue) {
                self.sndNxt = tcpBefore(range.end.rawValue, self.sndMax) ? range.end.rawValue : self.sndMax
            }
        }
    }

    /// RFC 6298 (5.4)–(5.6): go back to SND.UNA and back the timer off; NewReno sets ssthresh and cwnd = 1 SMSS
    /// (RFC 5681 §3.1 eq. 4, RFC 6582 §3.2 step 6). After ``TCPConfiguration/maximumRetransmissions`` expiries
    /// without progress the connection is given up (RFC 1122 §4.2.3.5 R2), and so is one whose peer kept its
    /// window shut past ``TCPConfiguration/zeroWindowTimeout``.
    func retransmissionTimeout(now: Instant) {
        // The user timeout on a shut window (``TCPConfiguration/zeroWindowTimeout``): probes answered for longer
        // than the bound end the connection as unanswered retransmissions would.
        if self.sndWnd == 0, let since = self.zeroWindowSince, let bound = self.configuration.zeroWindowTimeout,
            now - since > bound
        {
            self.counters.zeroWindowAborts += 1
            self.resetPending = self.state.isSynchronized
            self.enterClosed(reason: .timedOut)
            return
        }
        self.retransmissions += 1
        if self.retransmissions > self.configuration.maximumRetransmissions {
            self.resetPending = self.state.isSynchronized
            self.enterClosed(reason: .timedOut)
            return
        }
        self.counters.timeouts += 1
        self.timer.onExpiry(now: now)
        if self.timestampsEnabled { self.timeoutTimestamp = self.timestampValue(now) }
        let flight = Int(self.sndMax &- self.sndUna)
        if flight > 0 {
            self.counters.retransmits += 1
            self.congestion.onRetransmissionTimeout(flightSize: flight, sendNext: SequenceNumber(self.sndMax))
        }
        self.probe = true
        self.retransmitPending = false
        self.sackRetransmitBudget = 0
        // RFC 2018 §8: "after a retransmit timeout the data sender SHOULD turn off all of the SACKed bits" (the
        // receiver may have reneged).
        self.scoreboard?.reset()
        self.goBack()
        if self.state == .synSent || self.state == .synReceived {
            self.sndNxt = self.iss
            self.synRetransmitted = true
        }
    }

    /// The ACK owed, if one is.
    private func pendingAck(_ emit: Emit) -> TCPDispatchResult {
        guard self.ackPending else { return .idle }
        guard self.emitSegment(self.ackHeader(), emit) else { return .refused }
        self.ackPending = false
        return .sent
    }

    /// A bare ACK's header, with SACK blocks for held out-of-order data once SACK was agreed (RFC 2018 §4: the
    /// most recently changed block first).
    func ackHeader() -> TCPHeader {
        var header = self.header(flags: [.ack], sequence: self.acceptableSequence)
        guard self.sackEnabled else { return header }
        // RFC 2018 §3: 4 blocks fit in the 40 option bytes, 3 beside timestamps; a D-SACK goes first (RFC 2883).
        let maximum = self.timestampsEnabled ? 3 : 4
        if let duplicate = self.duplicateBlock { header.options.sackBlocks.append(duplicate) }
        if let held = self.outOfOrder {
            for block in held.sackBlocks(maximum: maximum - header.options.sackBlocks.count) {
                header.options.sackBlocks.append(TCPSACKBlock(block))
            }
        }
        return header
    }

    /// The sequence number of a segment without data: SND.NXT, except after a timeout pulled SND.NXT back to
    /// SND.UNA (``goBack()``). The peer may hold data up to SND.MAX already, and an ACK numbered below its RCV.NXT
    /// fails its acceptance test (RFC 9293 §3.10.7.4 first check) and is dropped, ACK field and all; two ends that
    /// had both timed out then rejected each other's ACKs until they gave up, answering each with another ACK.
    /// So: the highest sequence number sent, which the peer cannot be beyond, capped at the right edge of its
    /// window (Linux's `tcp_acceptable_seq()`), never below SND.NXT.
    var acceptableSequence: UInt32 {
        var sequence = self.sndMax
        let rightEdge = self.sndUna &+ self.sndWnd
        if tcpBefore(rightEdge, sequence) { sequence = rightEdge }
        return tcpBefore(sequence, self.sndNxt) ? self.sndNxt : sequence
    }

    /// What sending any segment commits, once the device took it: the counts, the time of the last data sent, and
    /// for a segment with ACK the acknowledgment and window it told the peer (which cancel a delayed ACK, RFC 1122
    /// §4.2.3.2 piggybacking, and spend a D-SACK report).
    func committed(_ header: TCPHeader, dataLength: Int) {
        self.counters.segmentsSent += 1
        if header.flags.contains(.rst) { self.counters.resetsSent += 1 }
        if dataLength > 0 { self.lastDataSent = self.clock }
        if header.flags.contains(.ack) {
            // Any ACK carries RCV.NXT, so it also sends the delayed one (RFC 1122 §4.2.3.2 piggybacking).
            self.delayedAckDeadline = nil
            self.lastAckSent = header.acknowledgmentNumber
            if !header.options.sackBlocks.isEmpty { self.duplicateBlock = nil }
            let shift = header.flags.contains(.syn) ? 0 : UInt32(self.receiveScale)
            self.advertisedWindow = UInt32(header.window) << shift
        }
    }

    /// A header from our endpoint with RCV.NXT and the current window.
    func header(flags: TCPFlags, sequence: UInt32) -> TCPHeader {
        // RFC 7323 §2.2: a SYN's window is never scaled.
        let window =
            flags.contains(.syn)
            ? Swift.min(self.currentWindow, 65535) : self.currentWindow >> UInt32(self.receiveScale)
        var header = TCPHeader(
            sourcePort: self.local.port, destinationPort: self.remote.port, sequenceNumber: sequence,
            acknowledgmentNumber: flags.contains(.ack) ? self.rcvNxt : 0, flags: flags, window: UInt16(window))
        // RFC 7323 §3.2: once agreed, "MUST send a TSopt in every non-<RST> segment".
        if self.timestampsEnabled && !flags.contains(.rst) {
            header.options.timestamps = TCPTimestamps(value: self.timestampValue(self.clock), echoReply: self.tsRecent)
        }
        return header
    }

    /// <SEQ=sequence><CTL=RST>.
    func resetHeader(sequence: UInt32) -> TCPHeader {
        var header = self.header(flags: [.rst], sequence: sequence)
        header.window = 0
        return header
    }
}
