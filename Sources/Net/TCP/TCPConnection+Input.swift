/// Segment arrival (RFC 9293 §3.10.7 "SEGMENT ARRIVES"), with RFC 5961's RST, SYN and ACK checks.
import Runtime

extension TCPConnection {
    /// Processes one segment addressed to this connection; returns a segment to send at once (a RST, a challenge
    /// ACK, or the ACK owed for an unacceptable segment), else `nil`. ACKs for accepted data are left to
    /// ``dispatch(now:)``, so that one ACK covers every segment of a poll.
    public mutating func process(_ segment: TCPSegment, now: Instant) -> TCPSegment? {
        self.counters.segmentsReceived += 1
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
    private mutating func processInSYNSent(_ segment: TCPSegment, now: Instant) -> TCPSegment? {
        let header = segment.header
        var ackAcceptable = false
        // First, check the ACK bit: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is
        // set, if so drop the segment and return)".
        if header.flags.contains(.ack) {
            let ack = header.acknowledgmentNumber
            guard tcpBefore(self.iss, ack), tcpBeforeOrEqual(ack, self.sndNxt) else {
                self.counters.dropped += 1
                if header.flags.contains(.rst) { return nil }
                return self.resetSegment(sequence: ack)
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
    private mutating func processSynchronized(_ segment: TCPSegment, now: Instant) -> TCPSegment? {
        let header = segment.header
        let window = self.currentWindow
        let length = UInt32(header.sequenceLength)
        let sequence = header.sequenceNumber

        // First, check the sequence number (the four-case acceptance test).
        let acceptable: Bool
        if length == 0 {
            acceptable =
                window == 0 ? sequence == self.rcvNxt : tcpInRange(sequence, from: self.rcvNxt, to: self.rcvNxt &+ window)
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
            if self.state == .timeWait, header.flags.contains(.fin) {
                // A retransmitted FIN: "Acknowledge it, and restart the 2 MSL timeout".
                self.timeWaitUntil = now + self.configuration.maximumSegmentLifetime * 2
            }
            return self.ackSegment()
        }

        // Second, check the RST bit (RFC 5961 §3.2): exactly RCV.NXT resets; elsewhere in the window, challenge.
        if header.flags.contains(.rst) {
            guard sequence == self.rcvNxt else {
                self.counters.challengeAcks += 1
                return self.ackSegment()
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
            self.counters.challengeAcks += 1
            return self.ackSegment()
        }

        // Fifth, check the ACK field: "if the ACK bit is off, drop the segment and return".
        guard header.flags.contains(.ack) else {
            self.counters.dropped += 1
            return nil
        }
        let ack = header.acknowledgmentNumber
        // RFC 5961 §5.2: acceptable iff (SND.UNA − MAX.SND.WND) ≤ SEG.ACK ≤ SND.NXT; else ACK and drop.
        guard tcpBeforeOrEqual(self.sndUna &- self.maxSndWnd, ack), tcpBeforeOrEqual(ack, self.sndNxt) else {
            self.counters.dropped += 1
            return self.ackSegment()
        }
        if self.state == .synReceived {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state ... If the segment acknowledgment is not
            // acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>".
            guard tcpBefore(self.sndUna, ack) else {
                self.counters.dropped += 1
                return self.resetSegment(sequence: ack)
            }
            self.state = self.finQueued ? .finWait1 : .established
            self.sndWnd = UInt32(header.window)
            self.maxSndWnd = Swift.max(self.maxSndWnd, self.sndWnd)
            self.sndWl1 = sequence
            self.sndWl2 = ack
        }
        self.processACK(header, now: now, dataLength: segment.payload.count)
        if self.state == .closed { return nil }

        // Seventh, process the segment text (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2).
        var finInOrder = header.flags.contains(.fin)
        switch self.state {
        case .established, .finWait1, .finWait2:
            let skip = Int(Int32(bitPattern: self.rcvNxt &- sequence))
            if skip < 0 {
                // Out of order: no reassembly yet, so drop and send a duplicate ACK at once (RFC 5681 §4.2).
                self.counters.dropped += 1
                self.ackPending = true
                finInOrder = false
            } else if skip < segment.payload.count {
                let taken = segment.payload.withUnsafeBytes { raw in
                    self.receiveRing.write(UnsafeRawBufferPointer(rebasing: raw[skip...]))
                }
                self.rcvNxt &+= UInt32(taken)
                self.ackPending = true
                if skip + taken < segment.payload.count { finInOrder = false }
            } else if !segment.payload.isEmpty {
                self.ackPending = true
            }
            if finInOrder && sequence &+ UInt32(segment.payload.count) != self.rcvNxt { finInOrder = false }
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
    private mutating func processACK(_ header: TCPHeader, now: Instant, dataLength: Int) {
        let ack = header.acknowledgmentNumber
        let sequence = header.sequenceNumber
        let window = UInt32(header.window)
        if tcpBefore(self.sndUna, ack) {
            self.acknowledge(ack, now: now)
        } else if ack == self.sndUna, dataLength == 0, !header.flags.contains(.fin), window == self.sndWnd,
            self.sndNxt != self.sndUna
        {
            // RFC 5681 §2 "DUPLICATE ACKNOWLEDGMENT".
            self.counters.duplicateAcks += 1
            self.duplicateAcks += 1
            if self.duplicateAcks == 3 { self.fastRetransmit() }
        }
        // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If (SND.WL1 < SEG.SEQ or
        // (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND".
        if tcpBeforeOrEqual(self.sndUna, ack)
            && (tcpBefore(self.sndWl1, sequence) || (self.sndWl1 == sequence && tcpBeforeOrEqual(self.sndWl2, ack)))
        {
            self.sndWnd = window
            self.maxSndWnd = Swift.max(self.maxSndWnd, window)
            self.sndWl1 = sequence
            self.sndWl2 = ack
        }
        // Our FIN is acknowledged when SND.UNA passed its sequence number.
        let finAcknowledged = self.finQueued && self.sendRing.isEmpty && self.sndUna == self.sendBase &+ 1
        switch self.state {
        case .finWait1 where finAcknowledged:
            self.state = .finWait2
        case .closing where finAcknowledged:
            self.enterTimeWait(now: now)
        case .lastAck where finAcknowledged:
            self.enterClosed(reason: nil)
        default:
            break
        }
    }

    /// SND.UNA advances to `ack`: acknowledged data leaves the send ring, the RTT is sampled, the timer restarts
    /// (RFC 6298 (5.2), (5.3)) and the congestion window grows (RFC 5681 §3.1).
    mutating func acknowledge(_ ack: UInt32, now: Instant) {
        let acked = Int(ack &- self.sndUna)
        let fromBase = Int(Int32(bitPattern: ack &- self.sendBase))
        let dataAcked = Swift.max(0, Swift.min(fromBase, self.sendRing.count))
        self.sendRing.consume(dataAcked)
        self.sendBase &+= UInt32(dataAcked)
        self.sndUna = ack
        if tcpBefore(self.sndNxt, ack) { self.sndNxt = ack }
        if let sample = self.rttSample, tcpBeforeOrEqual(sample.sequence, ack) {
            self.measureRTT(now - sample.sentAt)
            self.rttSample = nil
        }
        self.retransmissions = 0
        self.retransmitAt = self.sndUna == self.sndNxt ? nil : now + self.rto
        if self.duplicateAcks >= 3 {
            // Leaving fast recovery (RFC 5681 §3.2 step 6): deflate the window.
            self.cwnd = self.ssthresh
        } else if self.cwnd < self.ssthresh {
            self.cwnd += Swift.min(acked, self.sendMSS)
        } else {
            self.cwnd += Swift.max(1, self.sendMSS * self.sendMSS / Swift.max(self.cwnd, 1))
        }
        self.duplicateAcks = 0
    }

    /// RFC 6298 (2.2), (2.3): SRTT and RTTVAR from a sample R, then RTO = SRTT + max(G, 4 × RTTVAR), clamped.
    mutating func measureRTT(_ sample: Duration) {
        let r = Swift.max(sample.nanosecondsClamped, 0)
        if self.srttNanoseconds < 0 {
            self.srttNanoseconds = r
            self.rttvarNanoseconds = r / 2
        } else {
            let error = self.srttNanoseconds > r ? self.srttNanoseconds - r : r - self.srttNanoseconds
            self.rttvarNanoseconds = (self.rttvarNanoseconds * 3 + error) / 4
            self.srttNanoseconds = (self.srttNanoseconds * 7 + r) / 8
        }
        let variance = Swift.max(self.rttvarNanoseconds * 4, 1_000_000)
        let minimum = self.configuration.minimumRetransmissionTimeout.nanosecondsClamped
        let maximum = self.configuration.maximumRetransmissionTimeout.nanosecondsClamped
        self.rto = .nanoseconds(Swift.min(Swift.max(self.srttNanoseconds + variance, minimum), maximum))
    }

    /// RFC 5681 §3.2 steps 2–3 on the third duplicate ACK. Without a receiver-side reassembly queue the data after
    /// the hole was dropped too, so the whole flight goes again from SND.UNA (go-back-N) at the reduced window.
    mutating func fastRetransmit() {
        let flight = Int(self.sndNxt &- self.sndUna)
        self.ssthresh = Swift.max(flight / 2, 2 * self.sendMSS)
        self.cwnd = self.ssthresh
        self.counters.fastRetransmits += 1
        self.goBack()
    }

    /// Sends everything from SND.UNA again; Karn's rule discards the RTT sample (RFC 6298 §3).
    mutating func goBack() {
        if self.sndNxt != self.sndUna { self.counters.retransmits += 1 }
        self.sndNxt = self.sndUna
        self.rttSample = nil
    }
}
