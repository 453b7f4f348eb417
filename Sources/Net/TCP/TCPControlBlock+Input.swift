/// Segment arrival (RFC 9293 §3.10.7 "SEGMENT ARRIVES"), with RFC 5961's RST, SYN and ACK checks.
import Runtime

extension TCPControlBlock {
    /// Processes one segment addressed to this connection, whose payload is borrowed for the call, and emits the
    /// reply it calls for at once, if any (a RST, a challenge ACK, the ACK owed for an unacceptable segment, or a
    /// RST for data sent to a detached connection). ACKs for accepted data are left to ``dispatch(now:emit:)``, at
    /// once or after the delayed-ACK timeout (`TCPControlBlock+Timers.swift`), so that one ACK covers every segment
    /// of a poll.
    ///
    /// A reply the device refuses is not lost where it matters: an ACK becomes owed (``hasOutputDue``) and goes out
    /// at the next dispatch; a RST is dropped, as the wire may drop it (the peer's next segment draws another).
    public func process(_ segment: TCPIncomingSegment, now: Instant, emit: Emit) {
        guard let reply = self.processSegment(segment, now: now) else { return }
        if !self.emitSegment(reply, emit) && !reply.flags.contains(.rst) && self.state != .closed {
            self.ackPending = true
        }
    }

    /// The segment's effect on the connection; returns the reply to send at once (not yet committed).
    func processSegment(_ segment: TCPIncomingSegment, now: Instant) -> TCPHeader? {
        self.counters.segmentsReceived += 1
        self.clock = now
        switch self.state {
        case .closed, .listen:
            self.counters.dropped += 1
            return nil
        case .synSent:
            return self.processInSYNSent(segment, now: now)
        default:
            return self.processSynchronized(segment, now: now)
        }
    }

    /// RFC 9293 §3.10.7.3 "If the state is SYN-SENT".
    private func processInSYNSent(_ segment: TCPIncomingSegment, now: Instant) -> TCPHeader? {
        let header = segment.header
        var ackAcceptable = false
        // First, check the ACK bit: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is
        // set, if so drop the segment and return)".
        if header.flags.contains(.ack) {
            let ack = header.acknowledgmentNumber
            guard tcpBefore(self.iss, ack), tcpBeforeOrEqual(ack, self.sndMax) else {
                self.counters.dropped += 1
                if header.flags.contains(.rst) { return nil }
                return self.resetHeader(sequence: ack)
            }
            ackAcceptable = true
        }
        // Second, the RST bit: acceptable only with an acceptable ACK (RFC 5961 §3.2 keeps this rule for SYN-SENT).
        if header.flags.contains(.rst) {
            if ackAcceptable {
                self.counters.resetsReceived += 1
                self.enterClosed(reason: .reset)
            } else {
                self.counters.dropped += 1
            }
            return nil
        }
        // Fourth, the SYN bit.
        guard header.flags.contains(.syn) else {
            self.counters.dropped += 1
            return nil
        }
        self.irs = header.sequenceNumber
        self.rcvNxt = header.sequenceNumber &+ 1
        self.takeSYNOptions(header)
        self.sndWnd = UInt32(header.window)
        self.maxSndWnd = self.sndWnd
        self.sndWl1 = header.sequenceNumber
        self.sndWl2 = header.acknowledgmentNumber
        if ackAcceptable {
            // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state to ESTABLISHED".
            self.acknowledge(header.acknowledgmentNumber, now: now)
            self.state = .established
            if self.synRetransmitted { self.timer.resetAfterHandshakeTimeout() }
            self.heardFromPeer(now: now)
            self.ackPending = true
        } else {
            // Simultaneous open (RFC 9293 §3.5 Figure 7): "enter SYN-RECEIVED, form a SYN,ACK segment". The SYN is
            // sent again from ISS, now with ACK.
            self.state = .synReceived
            self.sndNxt = self.iss
        }
        return nil
    }

    /// RFC 9293 §3.10.7.4 "Otherwise": SYN-RECEIVED and the synchronized states.
    private func processSynchronized(_ segment: TCPIncomingSegment, now: Instant) -> TCPHeader? {
        let header = segment.header
        let window = self.currentWindow
        let length = UInt32(header.sequenceLength)
        let sequence = header.sequenceNumber

        // RFC 7323 §5.3 R1 (PAWS): a TSval older than TS.Recent marks an old duplicate: not acceptable.
        let timestamps = self.timestampsEnabled ? header.options.timestamps : nil
        if let timestamps, !header.flags.contains(.rst), tcpBefore(timestamps.value, self.tsRecent) {
            self.counters.dropped += 1
            return self.replyToUnacceptable(segment, now: now)
        }

        // First, check the sequence number (the four-case acceptance test).
        let acceptable: Bool
        if length == 0 {
            acceptable =
                window == 0
                ? sequence == self.rcvNxt : tcpInRange(sequence, from: self.rcvNxt, to: self.rcvNxt &+ window)
        } else if window == 0 {
            acceptable = false
        } else {
            let last = sequence &+ length &- 1
            acceptable =
                tcpInRange(sequence, from: self.rcvNxt, to: self.rcvNxt &+ window)
                || tcpInRange(last, from: self.rcvNxt, to: self.rcvNxt &+ window)
        }
        if !acceptable {
            self.counters.dropped += 1
            // "If an incoming segment is not acceptable, an acknowledgment should be sent in reply (unless the RST
            // bit is set, if so drop the segment and return)".
            if header.flags.contains(.rst) { return nil }
            // RFC 2883 §4: a duplicate segment's data is reported in the first SACK block (a D-SACK), so the
            // sender can tell a spurious retransmission.
            if !segment.payload.isEmpty && tcpBeforeOrEqual(sequence &+ UInt32(segment.payload.count), self.rcvNxt) {
                self.noteDuplicate(from: sequence, length: segment.payload.count)
            }
            if self.state == .timeWait, header.flags.contains(.fin) {
                // A retransmitted FIN: "Acknowledge it, and restart the 2 MSL timeout".
                self.timeWaitUntil = now + self.configuration.maximumSegmentLifetime * 2
            }
            return self.replyToUnacceptable(segment, now: now)
        }

        // Anything acceptable shows the peer alive (RFC 1122 §4.2.3.6 keep-alive idle time).
        self.heardFromPeer(now: now)

        // RFC 7323 §4.3 (2): "If SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent, then SEG.TSval is copied to
        // TS.Recent".
        if let timestamps, tcpBeforeOrEqual(self.tsRecent, timestamps.value),
            tcpBeforeOrEqual(sequence, self.lastAckSent)
        {
            self.tsRecent = timestamps.value
        }

        // Second, check the RST bit (RFC 5961 §3.2): exactly RCV.NXT resets; elsewhere in the window, challenge.
        if header.flags.contains(.rst) {
            guard sequence == self.rcvNxt else {
                return self.challengeAck(now: now)
            }
            self.counters.resetsReceived += 1
            switch self.state {
            case .closing, .lastAck, .timeWait:
                self.enterClosed(reason: nil)
            default:
                self.enterClosed(reason: .reset)
            }
            return nil
        }

        // Fourth, check the SYN bit (RFC 5961 §4.2): in any synchronized state (and SYN-RECEIVED, RFC 9293
        // §3.10.7.4 fourth), a SYN gets a challenge ACK and is dropped.
        if header.flags.contains(.syn) {
            return self.challengeAck(now: now)
        }

        // Fifth, check the ACK field: "if the ACK bit is off, drop the segment and return".
        guard header.flags.contains(.ack) else {
            self.counters.dropped += 1
            return nil
        }
        let ack = header.acknowledgmentNumber
        // RFC 5961 §5.2: acceptable iff (SND.UNA − MAX.SND.WND) ≤ SEG.ACK ≤ SND.NXT; else ACK and drop. SND.NXT
        // here is the highest ever sent (SND.MAX): after a timeout it went back, and ACKs of the first copies
        // still count.
        guard tcpBeforeOrEqual(self.sndUna &- self.maxSndWnd, ack), tcpBeforeOrEqual(ack, self.sndMax) else {
            self.counters.dropped += 1
            return self.ackHeader()
        }
        if self.state == .synReceived {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state ... If the segment acknowledgment is not
            // acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>".
            guard tcpBefore(self.sndUna, ack) else {
                self.counters.dropped += 1
                return self.resetHeader(sequence: ack)
            }
            self.state = self.finQueued ? .finWait1 : .established
            if self.synRetransmitted { self.timer.resetAfterHandshakeTimeout() }
            self.sndWnd = UInt32(header.window) << UInt32(self.sendScale)
            self.maxSndWnd = Swift.max(self.maxSndWnd, self.sndWnd)
            self.sndWl1 = sequence
            self.sndWl2 = ack
        }
        self.processACK(header, now: now, dataLength: segment.payload.count)
        if self.state == .closed { return nil }
        if self.isDataAfterDetach(segment) {
            let reset = self.resetHeader(sequence: ack)
            self.enterClosed(reason: .aborted)
            return reset
        }

        // Seventh, process the segment text (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2).
        var finInOrder = header.flags.contains(.fin)
        switch self.state {
        case .established, .finWait1, .finWait2:
            let skip = Int(Int32(bitPattern: self.rcvNxt &- sequence))
            if skip < 0 {
                // Beyond RCV.NXT: held for later (RFC 9293 §3.10.7.4 "SHOULD be held"), and a duplicate ACK goes
                // out at once (RFC 5681 §4.2) so that the sender's fast retransmit fills the gap.
                self.holdOutOfOrder(segment, sequence: sequence, window: window)
                self.ackPending = true
                finInOrder = false
            } else if skip < segment.payload.count {
                if skip > 0 { self.noteDuplicate(from: sequence, length: skip) }
                // RFC 5681 §4.2: data that fills (part of) a gap is acknowledged at once; so is a segment partly
                // duplicate or one the receive ring could not take whole.
                let fillsGap = self.outOfOrder != nil
                // The one copy of received data inside the stack: from the frame into the receive ring.
                let taken = self.receiveRing.write(UnsafeRawBufferPointer(rebasing: segment.payload[skip...]))
                self.rcvNxt &+= UInt32(taken)
                self.measureReceivedSegment(length: segment.payload.count)
                let truncated = skip + taken < segment.payload.count
                if truncated { finInOrder = false }
                if finInOrder && sequence &+ UInt32(segment.payload.count) != self.rcvNxt { finInOrder = false }
                if self.drainOutOfOrder() { finInOrder = true }
                self.acknowledgeData(now: now, immediately: fillsGap || skip > 0 || truncated)
            } else {
                if !segment.payload.isEmpty { self.ackPending = true }
                if finInOrder && sequence &+ UInt32(segment.payload.count) != self.rcvNxt { finInOrder = false }
            }
        default:
            // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not occur since a FIN has been received from
            // the remote side. Ignore the segment text." A repeated FIN is acknowledged.
            if finInOrder {
                finInOrder = false
                self.ackPending = true
            }
        }

        // Eighth, check the FIN bit.
        if finInOrder {
            self.rcvNxt &+= 1
            self.finReceived = true
            self.ackPending = true
            switch self.state {
            case .synReceived, .established:
                self.state = .closeWait
            case .finWait1:
                // Our FIN not yet acknowledged (else processACK moved us to FIN-WAIT-2): simultaneous close.
                self.state = .closing
            case .finWait2:
                self.enterTimeWait(now: now)
            default:
                break
            }
        }
        return nil
    }

    /// ACK processing of RFC 9293 §3.10.7.4 fifth, for a segment whose ACK passed RFC 5961 §5.
    private func processACK(_ header: TCPHeader, now: Instant, dataLength: Int) {
        let ack = header.acknowledgmentNumber
        let sequence = header.sequenceNumber
        // RFC 7323 §2.3: the Window field of every segment but a SYN is shifted.
        let window = UInt32(header.window) << UInt32(self.sendScale)
        // RFC 6675 §4 Update(): the scoreboard learns the cumulative ACK and the SACK blocks.
        let sackedBefore = self.scoreboard?.sackedBytes ?? 0
        if self.scoreboard != nil {
            self.scoreboard!.update(
                cumulativeAck: SequenceNumber(ack), blocks: header.options.sackBlocks.map { SACKBlock($0) },
                sendNext: SequenceNumber(self.sndMax))
            if self.congestion.inRecovery { self.sackRetransmitBudget += 1 }
        }
        if tcpBefore(self.sndUna, ack) {
            // RFC 7323 §4.1: the echoed TSval times the round trip, even after a retransmission; but an echo older
            // than our last timeout's retransmission is the TS.Recent of a segment the peer took long ago (its ACKs
            // since were lost, and our retransmission was a duplicate it did not take): that "RTT" spans the lost
            // ACKs and would pin the RTO at its ceiling. Karn's ambiguity, so no sample (RFC 6298 §3).
            let stale = self.timeoutTimestamp.map { tcpBefore(header.options.timestamps?.echoReply ?? 0, $0) } ?? false
            if self.timestampsEnabled, let echo = header.options.timestamps?.echoReply, echo != 0, !stale {
                let elapsed = Int32(bitPattern: self.timestampValue(now) &- echo)
                if elapsed >= 0 {
                    self.timer.sample(.milliseconds(Int64(elapsed)), source: .timestampEcho)
                    self.rttSample = nil
                }
            }
            self.acknowledge(ack, now: now)
        } else if ack == self.sndUna, dataLength == 0, !header.flags.contains(.fin), self.sndMax != self.sndUna,
            window == self.sndWnd || (self.scoreboard?.sackedBytes ?? 0) > sackedBefore
        {
            // RFC 5681 §2 "DUPLICATE ACKNOWLEDGMENT"; with SACK, an ACK that "contains previously unknown SACK
            // information" counts even if its window changed (the same clause's alternative; FreeBSD does so).
            self.counters.duplicateAcks += 1
            var action = self.congestion.onDuplicateAck(
                ackNumber: SequenceNumber(ack), flightSize: Int(self.sndMax &- self.sndUna),
                sendNext: SequenceNumber(self.sndMax))
            // RFC 6675 §5 step (2)(b): enter loss recovery before the third duplicate ACK once IsLost(HighACK + 1),
            // i.e. three segments' worth is SACKed above SND.UNA. A receiver that acknowledges a whole burst in one
            // ACK (as ours does, one ACK per poll) sends too few duplicates to count to three, and without this
            // rule such a loss waited for the retransmission timer.
            if action == .none, !self.congestion.inRecovery, let scoreboard = self.scoreboard,
                scoreboard.isLost(SequenceNumber(ack))
            {
                action = self.congestion.onLossDetected(
                    ackNumber: SequenceNumber(ack), flightSize: Int(self.sndMax &- self.sndUna),
                    sendNext: SequenceNumber(self.sndMax))
            }
            if action == .fastRetransmit {
                // RFC 5681 §3.2 step 4 / RFC 6582 §3.2 step 2: resend the segment at SND.UNA.
                self.counters.fastRetransmits += 1
                self.retransmitPending = true
                self.rttSample = nil
            }
        }
        // A shut window's probes keep being answered: no give-up while they are (RFC 1122 §4.2.2.17).
        if window == 0 { self.retransmissions = 0 }
        // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If (SND.WL1 < SEG.SEQ or
        // (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND".
        if tcpBeforeOrEqual(self.sndUna, ack)
            && (tcpBefore(self.sndWl1, sequence) || (self.sndWl1 == sequence && tcpBeforeOrEqual(self.sndWl2, ack)))
        {
            self.sndWnd = window
            if window > 0 { self.zeroWindowSince = nil }
            self.maxSndWnd = Swift.max(self.maxSndWnd, window)
            self.sndWl1 = sequence
            self.sndWl2 = ack
        }
        // A shut window took nothing past SND.UNA (a probe's byte included): send it again once it opens; the
        // running timer keeps probing meanwhile.
        if self.sndWnd == 0 && self.sndNxt != self.sndUna {
            self.sndNxt = self.sndUna
            self.rttSample = nil
        }
        // Our FIN is acknowledged when SND.UNA passed its sequence number.
        let finAcknowledged = self.finQueued && self.sendRing.isEmpty && self.sndUna == self.sendBase &+ 1
        switch self.state {
        case .finWait1 where finAcknowledged:
            self.enterFinWait2(now: now)
        case .closing where finAcknowledged:
            self.enterTimeWait(now: now)
        case .lastAck where finAcknowledged:
            self.enterClosed(reason: nil)
        default:
            break
        }
    }

    /// SND.UNA advances to `ack`: acknowledged data leaves the send ring, the RTT is sampled, the timer restarts
    /// or stops (RFC 6298 (5.2), (5.3)), and NewReno hears of it (RFC 5681 §3.1, RFC 6582 §3.2 step 5).
    func acknowledge(_ ack: UInt32, now: Instant) {
        // The SYN's sequence number is not data: it must not grow cwnd (RFC 5681 §3.1 counts bytes of data), or
        // the initial window would be IW + 1 byte and a runt segment would follow the first flight.
        let synAcked = self.sndUna == self.iss && tcpBefore(self.iss, ack)
        let acked = Int(ack &- self.sndUna) - (synAcked ? 1 : 0)
        let fromBase = Int(Int32(bitPattern: ack &- self.sendBase))
        let dataAcked = Swift.max(0, Swift.min(fromBase, self.sendRing.count))
        if self.sendRing.free == 0 && dataAcked > 0 { self.expandSendBuffer() }
        self.sendRing.consume(dataAcked)
        self.sendBase &+= UInt32(dataAcked)
        self.sndUna = ack
        if tcpBefore(self.sndNxt, ack) { self.sndNxt = ack }
        if let sample = self.rttSample, tcpBeforeOrEqual(sample.sequence, ack) {
            self.timer.sample(now - sample.sentAt, source: .timedSegment(retransmitted: false))
            self.rttSample = nil
        }
        self.retransmissions = 0
        let action = self.congestion.onAck(
            bytesAcked: acked, ackNumber: SequenceNumber(ack), flightSize: Int(self.sndMax &- self.sndUna))
        var restartTimer = true
        if case .retransmitAfterPartialAck(let restart) = action {
            self.retransmitPending = true
            restartTimer = restart
        }
        if self.sndUna == self.sndMax {
            self.timer.disarm()
        } else if restartTimer {
            self.timer.arm(now: now)
        }
    }

    /// Send-buffer autotuning (``TCPConfiguration/sendBufferAutotuning``), after Linux's `tcp_new_space` and
    /// `tcp_sndbuf_expand`: an ACK frees space in a ring the application had filled (the ring, not the network,
    /// limited it: Linux's `SOCK_NOSPACE`; no flag records it, a full ring says it), so the ring may hold twice what
    /// the windows let fly, min(cwnd, the peer's largest window), rounded up to a power of two and at most
    /// ``TCPConfiguration/sendBufferLimit``. Not in recovery (as Linux: no growth while losses are repaired).
    func expandSendBuffer() {
        guard self.configuration.sendBufferAutotuning, !self.congestion.inRecovery else { return }
        let flying = Swift.min(self.congestion.congestionWindow, Int(self.maxSndWnd))
        var target = self.sendRing.capacity
        while target < 2 * flying && target < self.configuration.sendBufferLimit { target *= 2 }
        if !self.sendRing.raiseCapacity(to: Swift.min(target, self.configuration.sendBufferLimit)) {
            TCPByteRing.growthsRefused += 1
        }
    }

    /// Sends everything from SND.UNA again (after a timeout); Karn's rule discards the RTT sample (RFC 6298 §3).
    func goBack() {
        self.sndNxt = self.sndUna
        self.rttSample = nil
    }

    /// Stores a segment that starts beyond RCV.NXT in the reassembly queue (its part inside the window), and
    /// remembers a FIN it carries.
    private func holdOutOfOrder(_ segment: TCPIncomingSegment, sequence: UInt32, window: UInt32) {
        let offset = Int(sequence &- self.rcvNxt)
        let room = Swift.max(0, Int(window) - offset)
        let length = Swift.min(segment.payload.count, room)
        if self.outOfOrder == nil {
            self.outOfOrder = OutOfOrderBuffer(
                receiveNext: SequenceNumber(self.rcvNxt), capacity: self.receiveRing.capacity)
        }
        self.outOfOrder!.advance(to: SequenceNumber(self.rcvNxt))
        let stored = self.outOfOrder!.insert(
            UnsafeRawBufferPointer(rebasing: segment.payload[0..<length]), at: SequenceNumber(sequence))
        if stored == 0 { self.counters.dropped += 1 }
        if segment.header.flags.contains(.fin) && length == segment.payload.count {
            self.outOfOrderFIN = sequence &+ UInt32(length)
        }
    }

    /// Moves the bytes the reassembly queue holds at RCV.NXT into the receive ring; returns whether a held FIN is
    /// now in order.
    private func drainOutOfOrder() -> Bool {
        guard self.outOfOrder != nil else { return false }
        self.outOfOrder!.advance(to: SequenceNumber(self.rcvNxt))
        // Straight from the queue into the ring's free space, with no staging buffer.
        var held = self.outOfOrder.take()!
        let count = self.receiveRing.append(upTo: held.contiguousBytes) { target in held.read(into: target) }
        self.rcvNxt &+= UInt32(count)
        self.outOfOrder = held.isEmpty ? nil : held
        if let fin = self.outOfOrderFIN, fin == self.rcvNxt {
            self.outOfOrderFIN = nil
            return true
        }
        return false
    }

    /// The ACK owed for an unacceptable segment (RFC 9293 §3.10.7.4 first check, RFC 7323 §5.3 R1). One without
    /// data, SYN or FIN is answered at most once per ``TCPConfiguration/unacceptableAckInterval``: two ends that
    /// each find the other's ACKs unacceptable would otherwise answer ACK with ACK for ever (an "ACK storm"; Linux's
    /// `tcp_invalid_ratelimit`, RFC 5961 §10). Segments with data always get their ACK: it may be what the sender
    /// needs to recover.
    private func replyToUnacceptable(_ segment: TCPIncomingSegment, now: Instant) -> TCPHeader? {
        let flags = segment.header.flags
        if segment.payload.isEmpty && !flags.contains(.syn) && !flags.contains(.fin) {
            if let last = self.lastUnacceptableAck, now - last < self.configuration.unacceptableAckInterval {
                self.counters.unacceptableAcksSuppressed += 1
                return nil
            }
            self.lastUnacceptableAck = now
        }
        return self.ackHeader()
    }

    /// A challenge ACK, unless ``TCPConfiguration/challengeAckLimit`` were already sent in the last second
    /// (RFC 5961 §7: "implementations SHOULD include an ACK throttling mechanism").
    private func challengeAck(now: Instant) -> TCPHeader? {
        if self.challengeWindowStart == nil || now - self.challengeWindowStart! >= .seconds(1) {
            self.challengeWindowStart = now
            self.challengeCount = 0
        }
        guard self.challengeCount < self.configuration.challengeAckLimit else {
            self.counters.challengeAcksSuppressed += 1
            return nil
        }
        self.challengeCount += 1
        self.counters.challengeAcks += 1
        return self.ackHeader()
    }

    /// Remembers `length` duplicate bytes at `sequence` for the next ACK's D-SACK block (RFC 2883), once SACK
    /// was agreed.
    private func noteDuplicate(from sequence: UInt32, length: Int) {
        guard self.sackEnabled else { return }
        self.duplicateBlock = TCPSACKBlock(left: sequence, right: sequence &+ UInt32(length))
    }
}
