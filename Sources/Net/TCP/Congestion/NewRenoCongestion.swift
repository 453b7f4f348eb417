/// NewReno congestion control for one connection's sender: slow start, congestion avoidance, fast retransmit
/// and fast recovery (RFC 5681 "TCP Congestion Control") with NewReno's partial-acknowledgment handling (RFC 6582
/// "The NewReno Modification to TCP's Fast Recovery Algorithm"). A pure value: the connection reports ACKs,
/// duplicate ACKs and retransmission timeouts, and asks how much it may send.
///
/// All windows are in bytes. The connection decides what a duplicate ACK is (RFC 5681 §2 "DUPLICATE
/// ACKNOWLEDGMENT": no data, no window change, SND.UNA unchanged, data outstanding) and calls
/// ``onDuplicateAck(ackNumber:flightSize:sendNext:)`` for each one; every ACK that advances SND.UNA goes to
/// ``onAck(bytesAcked:ackNumber:flightSize:)``.
///
/// - Initial window: RFC 6928's IW = min(10·SMSS, max(2·SMSS, 14600)) by default (what Linux and the other major
///   stacks send); ``InitialWindow/rfc5681`` gives RFC 5681 §3.1's 2-4 segments. ssthresh starts "arbitrarily
///   high" (RFC 5681 §3.1).
/// - Slow start (cwnd < ssthresh): cwnd grows by the bytes acknowledged, at most L·SMSS per ACK with L = 2
///   (RFC 3465 §2.2 appropriate byte counting; RFC 5681 eq. 2 allows SMSS per ACK; L = 1 gives exactly that).
/// - Congestion avoidance (cwnd ≥ ssthresh): cwnd grows by SMSS each time a whole cwnd of bytes has been
///   acknowledged (RFC 3465 §2.1 byte counting, the form RFC 5681 §3.1 recommends over eq. 3).
/// - Third duplicate ACK: unless it does not cover more than `recover` (RFC 6582 §3.2 step 2, which keeps a
///   timeout's retransmissions from triggering another halving), ssthresh ← max(FlightSize/2, 2·SMSS) (RFC 5681
///   eq. 4), recover ← SND.NXT, the first unacknowledged segment is retransmitted and cwnd ← ssthresh + 3·SMSS
///   (RFC 5681 §3.2 steps 2-3, entered through RFC 6582 §3.2 step 2). Each further duplicate ACK inflates cwnd by
///   SMSS (RFC 5681 §3.2 step 4).
/// - ACKs of new data in recovery (RFC 6582 §3.2 step 3): a full ACK (covering recover) sets cwnd ←
///   min(ssthresh, max(FlightSize, SMSS) + SMSS) and leaves recovery; a partial ACK retransmits the first
///   unacknowledged segment, deflates cwnd by the bytes acknowledged and adds back SMSS if they were at least
///   SMSS, and restarts the retransmission timer on the first partial ACK only (the "Impatient" variant).
/// - Limited transmit (RFC 3042 §2, recommended by RFC 5681 §3.2 step 1): after the first and second duplicate
///   ACK, ``sendWindow(receiverWindow:)`` lets one more SMSS of *new* data out per duplicate ACK (FlightSize up to
///   cwnd + 2·SMSS) without changing cwnd, so that a small window still produces the third duplicate ACK.
/// - Restart after idle (RFC 5681 §4.1): ``restartAfterIdle(idle:retransmissionTimeout:)`` cuts cwnd to
///   RW = min(IW, cwnd) when nothing was sent for longer than an RTO.
/// - Retransmission timeout: ssthresh ← max(FlightSize/2, 2·SMSS) unless this segment already timed out (RFC 5681
///   §3.1, eq. 4: "and the given segment has not yet been resent by way of the retransmission timer"), cwnd ←
///   LW = 1·SMSS, recover ← SND.NXT and recovery ends (RFC 6582 §3.2 step 4).
///
/// Here `recover` is kept as the sequence number *after* the highest one sent (SND.NXT at that moment), as
/// FreeBSD's `snd_recover`, where RFC 6582 keeps the highest sequence number sent (one less): "acknowledges all of
/// the data up to and including recover" (§3.2 step 3) is then `ack ≥ recover`, and "covers more than recover"
/// (step 2; §3.2's note: `ack_number - 1 > recover`) is `ack > recover`. RFC 6582 §3.2 step 1 starts recover at
/// the ISS, which would refuse fast retransmit when the very first data segment is lost (its duplicate ACKs carry
/// ISS + 1); here recover starts unset and the check passes until a recovery or a timeout sets it.
public struct NewRenoCongestion {
    /// How the initial window is chosen.
    public enum InitialWindow: Equatable, Sendable {
        /// RFC 6928 §2: min(10·SMSS, max(2·SMSS, 14600)).
        case rfc6928
        /// RFC 5681 §3.1: 2·SMSS above 2190 bytes, 3·SMSS above 1095, else 4·SMSS.
        case rfc5681
        /// A fixed number of bytes (for tests).
        case bytes(Int)
    }

    /// What the connection must do after an ACK.
    public enum Action: Equatable, Sendable, CustomStringConvertible {
        /// Nothing beyond sending what ``sendWindow(receiverWindow:)`` now allows.
        case none
        /// Fast retransmit: resend the segment at SND.UNA now (RFC 5681 §3.2 step 3, RFC 6582 §3.2 step 2).
        case fastRetransmit
        /// A partial ACK: resend the segment at the new SND.UNA now, restarting the retransmission timer when
        /// `restartTimer` (RFC 6582 §3.2 step 3, first partial ACK of a recovery).
        case retransmitAfterPartialAck(restartTimer: Bool)

        public var description: String {
            switch self {
            case .none: "none"
            case .fastRetransmit: "fast-retransmit"
            case .retransmitAfterPartialAck(let restart): "partial-ack-retransmit\(restart ? "+timer" : "")"
            }
        }
    }

    /// Counters of congestion events.
    public struct Statistics: Equatable, CustomStringConvertible {
        /// Fast retransmits (entries into fast recovery).
        public var fastRetransmits = 0
        /// Third duplicate ACKs ignored because they did not cover more than `recover` (RFC 6582 §3.2 step 2).
        public var ignoredDuplicateAckTriggers = 0
        /// Partial ACKs in recovery.
        public var partialAcks = 0
        /// Recoveries left by a full ACK.
        public var fullAcks = 0
        /// Retransmission timeouts.
        public var timeouts = 0

        public init() {}

        public var description: String {
            "fast-retransmits=\(self.fastRetransmits) ignored-triggers=\(self.ignoredDuplicateAckTriggers)"
                + " partial-acks=\(self.partialAcks) full-acks=\(self.fullAcks) timeouts=\(self.timeouts)"
        }
    }

    /// The duplicate-ACK threshold (RFC 5681 §3.2: "three duplicate ACKs").
    public static let duplicateThreshold = 3

    /// SMSS, the sender maximum segment size in bytes.
    public let maximumSegmentSize: Int
    /// L, the appropriate-byte-counting limit in segments per ACK during slow start (RFC 3465 §2.2).
    public let byteCountingLimit: Int
    /// IW, the initial window in bytes (also RFC 5681 §4.1's restart window bound).
    public let initialWindowBytes: Int
    /// Whether the first two duplicate ACKs each allow one more segment of new data (RFC 3042).
    public let limitedTransmit: Bool
    /// cwnd, the congestion window in bytes.
    public private(set) var congestionWindow: Int
    /// ssthresh, the slow-start threshold in bytes.
    public private(set) var slowStartThreshold: Int
    /// recover: SND.NXT when recovery (or the last timeout) began; `nil` before either.
    public private(set) var recover: SequenceNumber?
    /// Whether fast recovery is in progress.
    public private(set) var inRecovery = false
    /// Consecutive duplicate ACKs seen outside recovery.
    public private(set) var duplicateAcks = 0
    /// Congestion-avoidance byte counter (RFC 3465 §2.1 `bytes_acked`).
    public private(set) var bytesAckedInAvoidance = 0
    /// Congestion events so far.
    public private(set) var statistics = Statistics()
    private var partialAckSeen = false
    private var timedOutSinceProgress = false

    /// A sender about to start: cwnd = the initial window, ssthresh arbitrarily high (RFC 5681 §3.1).
    ///
    /// - Parameters:
    ///   - maximumSegmentSize: SMSS in bytes (> 0).
    ///   - initialWindow: RFC 6928 by default.
    ///   - byteCountingLimit: L for slow start (RFC 3465 §2.2: 2; 1 is RFC 5681's one SMSS per ACK).
    ///   - initialSlowStartThreshold: ssthresh at start; by default `Int(Int32.max)`.
    ///   - limitedTransmit: RFC 3042's limited transmit, on by default.
    public init(
        maximumSegmentSize: Int, initialWindow: InitialWindow = .rfc6928, byteCountingLimit: Int = 2,
        initialSlowStartThreshold: Int = Int(Int32.max), limitedTransmit: Bool = true
    ) {
        precondition(maximumSegmentSize > 0, "SMSS must be positive")
        self.maximumSegmentSize = maximumSegmentSize
        self.byteCountingLimit = Swift.max(1, byteCountingLimit)
        self.limitedTransmit = limitedTransmit
        self.initialWindowBytes = Self.initialWindow(initialWindow, maximumSegmentSize: maximumSegmentSize)
        self.congestionWindow = self.initialWindowBytes
        self.slowStartThreshold = initialSlowStartThreshold
    }

    /// The initial window in bytes for `smss` (RFC 6928 §2 or RFC 5681 §3.1).
    public static func initialWindow(_ rule: InitialWindow, maximumSegmentSize smss: Int) -> Int {
        switch rule {
        case .rfc6928: Swift.min(10 * smss, Swift.max(2 * smss, 14600))
        case .rfc5681: smss > 2190 ? 2 * smss : (smss > 1095 ? 3 * smss : 4 * smss)
        case .bytes(let bytes): bytes
        }
    }

    /// Whether the sender is in slow start (cwnd < ssthresh, RFC 5681 §3.1).
    public var inSlowStart: Bool { self.congestionWindow < self.slowStartThreshold }

    /// The most the sender may have outstanding: min(cwnd, rwnd) (RFC 5681 §3: "the minimum of cwnd and rwnd
    /// governs data transmission"), plus one SMSS per duplicate ACK before the third when limited transmit is on
    /// (RFC 3042 §2: only new data may use it, and rwnd still bounds it).
    public func sendWindow(receiverWindow: Int) -> Int {
        Swift.min(self.congestionWindow + self.limitedTransmitAllowance, Swift.max(0, receiverWindow))
    }

    /// The bytes beyond cwnd that RFC 3042 allows now: SMSS per duplicate ACK while fewer than three arrived
    /// outside recovery, else zero.
    public var limitedTransmitAllowance: Int {
        guard self.limitedTransmit, !self.inRecovery, self.duplicateAcks < Self.duplicateThreshold else { return 0 }
        return self.duplicateAcks * self.maximumSegmentSize
    }

    /// Restarts from a smaller window after an idle period (RFC 5681 §4.1: "if the TCP has not sent data in an
    /// interval exceeding the retransmission timeout", cwnd ← RW = min(IW, cwnd)).
    ///
    /// - Parameters:
    ///   - idle: time since the last segment was sent.
    ///   - retransmissionTimeout: the current RTO (``RetransmissionTimer/timeout``).
    /// - Returns: whether cwnd was reduced.
    @discardableResult
    public mutating func restartAfterIdle(idle: Duration, retransmissionTimeout: Duration) -> Bool {
        guard idle > retransmissionTimeout, self.congestionWindow > self.initialWindowBytes else { return false }
        self.congestionWindow = self.initialWindowBytes
        self.bytesAckedInAvoidance = 0
        return true
    }

    /// How many more bytes may be sent now: the send window less the bytes in flight, or zero.
    public func usableWindow(receiverWindow: Int, flightSize: Int) -> Int {
        Swift.max(0, self.sendWindow(receiverWindow: receiverWindow) - flightSize)
    }

    /// An ACK that advanced SND.UNA by `bytesAcked` to `ackNumber`.
    ///
    /// - Parameters:
    ///   - bytesAcked: new bytes acknowledged (> 0; SYN/FIN count as in the sequence space).
    ///   - ackNumber: the ACK's acknowledgment number (the new SND.UNA).
    ///   - flightSize: bytes still outstanding *after* this ACK (SND.NXT - SND.UNA), RFC 6582's FlightSize for
    ///     the full-ACK rule.
    /// - Returns: ``Action/retransmitAfterPartialAck(restartTimer:)`` for a partial ACK in recovery, else
    ///   ``Action/none``.
    public mutating func onAck(bytesAcked: Int, ackNumber: SequenceNumber, flightSize: Int) -> Action {
        guard bytesAcked > 0 else { return .none }
        let smss = self.maximumSegmentSize
        self.timedOutSinceProgress = false
        self.duplicateAcks = 0
        if self.inRecovery, let recover = self.recover {
            if ackNumber >= recover {
                // RFC 6582 §3.2 step 3, full acknowledgment: deflate, option (1).
                self.congestionWindow = Swift.min(self.slowStartThreshold, Swift.max(flightSize, smss) + smss)
                self.inRecovery = false
                self.bytesAckedInAvoidance = 0
                self.statistics.fullAcks += 1
                return .none
            }
            // Partial acknowledgment: deflate by the new data, add back SMSS if at least SMSS was acknowledged.
            self.congestionWindow -= bytesAcked
            if bytesAcked >= smss { self.congestionWindow += smss }
            self.congestionWindow = Swift.max(self.congestionWindow, smss)
            self.statistics.partialAcks += 1
            let first = !self.partialAckSeen
            self.partialAckSeen = true
            return .retransmitAfterPartialAck(restartTimer: first)
        }
        if self.inSlowStart {
            // RFC 3465 §2.2: cwnd += min(N, L·SMSS).
            self.congestionWindow += Swift.min(bytesAcked, self.byteCountingLimit * smss)
        } else {
            // RFC 3465 §2.1: a SMSS per cwnd of acknowledged bytes.
            self.bytesAckedInAvoidance += bytesAcked
            if self.bytesAckedInAvoidance >= self.congestionWindow {
                self.bytesAckedInAvoidance -= self.congestionWindow
                self.congestionWindow += smss
            }
        }
        return .none
    }

    /// A duplicate ACK (RFC 5681 §2's definition, judged by the connection).
    ///
    /// - Parameters:
    ///   - ackNumber: its acknowledgment number (SND.UNA).
    ///   - flightSize: bytes outstanding (SND.NXT - SND.UNA), for ssthresh (RFC 5681 eq. 4).
    ///   - sendNext: SND.NXT, which becomes `recover` on entering recovery.
    /// - Returns: ``Action/fastRetransmit`` on the third one when recovery starts, else ``Action/none``.
    public mutating func onDuplicateAck(ackNumber: SequenceNumber, flightSize: Int, sendNext: SequenceNumber)
        -> Action
    {
        let smss = self.maximumSegmentSize
        if self.inRecovery {
            // RFC 5681 §3.2 step 4: inflate by one segment per further duplicate ACK.
            self.congestionWindow += smss
            return .none
        }
        self.duplicateAcks += 1
        guard self.duplicateAcks == Self.duplicateThreshold else { return .none }
        return self.enterRecovery(ackNumber: ackNumber, flightSize: flightSize, sendNext: sendNext)
    }

    /// A loss the SACK scoreboard detected before the third duplicate ACK (RFC 6675 §5 step (2)(b),
    /// `IsLost(HighACK + 1)`): enters fast recovery as the third duplicate ACK would, unless already in it or the
    /// ACK does not cover more than `recover` (RFC 6582 §3.2 step 2).
    ///
    /// - Returns: ``Action/fastRetransmit`` when recovery began, else ``Action/none``.
    public mutating func onLossDetected(ackNumber: SequenceNumber, flightSize: Int, sendNext: SequenceNumber)
        -> Action
    {
        guard !self.inRecovery else { return .none }
        return self.enterRecovery(ackNumber: ackNumber, flightSize: flightSize, sendNext: sendNext)
    }

    private mutating func enterRecovery(ackNumber: SequenceNumber, flightSize: Int, sendNext: SequenceNumber)
        -> Action
    {
        let smss = self.maximumSegmentSize
        if let recover = self.recover, !(ackNumber > recover) {
            // RFC 6582 §3.2 step 2: does not cover more than recover, so no fast retransmit and no new ssthresh.
            self.statistics.ignoredDuplicateAckTriggers += 1
            return .none
        }
        // RFC 5681 §3.2 steps 2-3: ssthresh (eq. 4), recover, retransmit, cwnd = ssthresh + 3·SMSS.
        self.slowStartThreshold = Swift.max(flightSize / 2, 2 * smss)
        self.recover = sendNext
        self.congestionWindow = self.slowStartThreshold + 3 * smss
        self.inRecovery = true
        self.partialAckSeen = false
        self.statistics.fastRetransmits += 1
        return .fastRetransmit
    }

    /// The retransmission timer expired (RFC 5681 §3.1, RFC 6582 §3.2 step 4).
    ///
    /// - Parameters:
    ///   - flightSize: bytes outstanding when it expired.
    ///   - sendNext: SND.NXT (highest sequence number sent + 1), the new `recover`.
    public mutating func onRetransmissionTimeout(flightSize: Int, sendNext: SequenceNumber) {
        let smss = self.maximumSegmentSize
        if !self.timedOutSinceProgress {
            self.slowStartThreshold = Swift.max(flightSize / 2, 2 * smss)
        }
        self.timedOutSinceProgress = true
        self.congestionWindow = smss
        self.recover = sendNext
        self.inRecovery = false
        self.duplicateAcks = 0
        self.bytesAckedInAvoidance = 0
        self.statistics.timeouts += 1
    }
}
