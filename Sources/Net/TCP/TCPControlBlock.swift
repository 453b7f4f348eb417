/// One TCP connection as a synchronous state machine (RFC 9293 §3.3.2, §3.10): its sequence variables, rings and
/// timers, and the application's calls. Segment input is in `TCPControlBlock+Input.swift`, output and the
/// retransmission timer in `TCPControlBlock+Output.swift`, the other timers (delayed ACK, keep-alive, FIN-WAIT-2) and
/// Nagle's algorithm in `TCPControlBlock+Timers.swift`.
import Runtime

/// One connection: the transmission control block of RFC 9293 §3.3.1.
///
/// Public calls never block: ``send(_:)`` copies into the send ring, ``receive(into:)`` copies out of the receive
/// ring, ``close()`` queues a FIN after the data, ``abort()`` queues a RST. The interface (or a test wiring two
/// machines together) calls ``process(_:now:emit:)`` for each segment received and ``dispatch(now:emit:)`` until it
/// returns ``TCPDispatchResult/idle`` (or the device refuses a segment), then polls again at ``pollAt(now:)``.
///
/// A class, not a struct: the block is about 1.2 KB, and a struct that size was copied whole wherever the
/// optimizer loaded it to pass to an out-of-line method (`-Osize` lowers such a copy to `rep movsb`, which TCG
/// emulates a byte at a time). ``TCPSocketSet`` owns each block; the application changes one only through
/// ``TCPSocketSet/modifying(_:)``, which tells the set it changed.
public final class TCPControlBlock {
    /// Our address and port.
    public let local: TCPEndpoint
    /// The peer's address and port.
    public let remote: TCPEndpoint
    /// The settings.
    public let configuration: TCPConfiguration
    /// The state (RFC 9293 §3.3.2).
    public internal(set) var state: TCPState
    /// What happened so far.
    public internal(set) var counters = TCPConnectionCounters()
    /// Why the connection closed abnormally, if it did.
    public internal(set) var closeReason: TCPCloseReason?
    /// Whether Nagle's algorithm is off (`TCP_NODELAY`; RFC 1122 §4.2.3.4): starts as
    /// ``TCPConfiguration/noDelay``; turning it on lets data Nagle held go out at the next dispatch.
    public var noDelay: Bool
    /// Whether the application let go of the connection (``detach()``).
    public internal(set) var isDetached = false

    var sendRing: TCPByteRing
    var receiveRing: TCPByteRing

    // RFC 9293 §3.3.1 "Send Sequence Variables".
    /// ISS: our initial sequence number.
    var iss: UInt32
    /// SND.UNA: oldest unacknowledged sequence number.
    var sndUna: UInt32
    /// SND.NXT: next sequence number to send.
    var sndNxt: UInt32
    /// SND.WND: the peer's window.
    var sndWnd: UInt32 = 0
    /// SND.WL1, SND.WL2: the segment sequence and ack numbers of the last window update.
    var sndWl1: UInt32 = 0
    var sndWl2: UInt32 = 0
    /// The largest window the peer ever offered (RFC 5961 §5 MAX.SND.WND).
    var maxSndWnd: UInt32 = 0
    /// The highest sequence number sent so far (an RTT sample is taken only on new data, RFC 6298 §3 Karn).
    var sndMax: UInt32
    /// The sequence number of the send ring's first byte.
    var sendBase: UInt32

    // "Receive Sequence Variables".
    /// IRS: the peer's initial sequence number.
    var irs: UInt32 = 0
    /// RCV.NXT: next sequence number expected.
    var rcvNxt: UInt32 = 0
    /// The window last advertised, for window updates after the application reads.
    var advertisedWindow: UInt32 = 0
    /// Rcv.Wind.Shift and Snd.Wind.Shift (RFC 7323 §2.2): 0 unless both SYNs carried Window Scale.
    var receiveScale: UInt8 = 0
    var sendScale: UInt8 = 0
    /// The peer's SYN carried Window Scale and we offer it too.
    var windowScaleAgreed = false
    /// Both SYNs carried SACK-Permitted (RFC 2018 §2).
    var sackEnabled = false
    /// Duplicate data to report first in the next ACK's SACK option (RFC 2883 D-SACK).
    var duplicateBlock: TCPSACKBlock?
    /// Both SYNs carried Timestamps (RFC 7323 §3.2).
    var timestampsEnabled = false
    /// TS.Recent: the TSval to echo (RFC 7323 §4.3).
    var tsRecent: UInt32 = 0
    /// Last.ACK.sent: the acknowledgment number of the last ACK sent (RFC 7323 §4.3).
    var lastAckSent: UInt32 = 0
    /// Our timestamp clock's offset, so that TSvals do not reveal the uptime (RFC 7323 §7.1): a function of the
    /// 4-tuple, keyed by ``TCPSocketSet``'s ISN secret (``InitialSequenceNumber/timestampOffset(local:remote:)``).
    var tsOffset: UInt32
    /// The latest `now` seen, for the TSval of segments built without one at hand.
    var clock = Instant(nanoseconds: 0)

    /// The largest segment data we send: the peer's MSS option (default 536, RFC 9293 §3.7.1), capped by ours.
    var sendMSS: Int
    /// The application closed its side: a FIN follows the data.
    var finQueued = false
    /// The peer's FIN was received.
    var finReceived = false
    /// An ACK is owed.
    var ackPending = false
    /// A RST to send at the next dispatch (``abort()``).
    var resetPending = false

    // Timers of `TCPControlBlock+Timers.swift`.
    /// When the delayed ACK is due (RFC 1122 §4.2.3.2), if one is owed.
    var delayedAckDeadline: Instant?
    /// The largest segment data received so far, at most our MSS (Linux's `rcv_mss`): what "full-sized" means
    /// for RFC 5681 §4.2's every-second-segment ACK. Starts at 536 (RFC 9293 §3.7.1's default).
    var receiveSegmentEstimate: Int
    /// When the last acceptable segment arrived (keep-alive idle time, RFC 1122 §4.2.3.6).
    var lastReceived: Instant?
    /// Keep-alive probes sent since the peer was last heard from.
    var keepAliveProbesSent = 0
    /// When a detached FIN-WAIT-2 ends (``TCPConfiguration/finWait2Timeout``).
    var finWait2Deadline: Instant?
    /// Detached while already in FIN-WAIT-2: the timeout starts at the next dispatch, which has the time (the
    /// connection may have been idle, and its `clock` old, since its last one).
    var finWait2StartPending = false
    /// When data was last sent (RFC 5681 §4.1 restart after idle).
    var lastDataSent: Instant?

    // Retransmission (RFC 6298), congestion (RFC 5681, RFC 6582) and reassembly (RFC 9293 §3.10.7.4), from
    // `Congestion/`.
    var timer: RetransmissionTimer
    var congestion: NewRenoCongestion
    /// Segments held beyond RCV.NXT; created at the first gap, dropped once empty.
    var outOfOrder: OutOfOrderBuffer?
    /// The sequence number of a FIN that arrived beyond RCV.NXT, taken once the gap before it fills.
    var outOfOrderFIN: UInt32?
    var rttSample: (sequence: UInt32, sentAt: Instant)?
    /// Consecutive expiries without progress (RFC 1122 §4.2.3.5 R2).
    var retransmissions = 0
    /// The SYN was sent again: RFC 6298 §5.7 applies once established.
    var synRetransmitted = false
    /// The TSval of the last retransmission timeout: echoes older than it give no RTT sample.
    var timeoutTimestamp: UInt32?
    /// When an unacceptable segment without data was last answered (rate limit against ACK storms).
    var lastUnacceptableAck: Instant?
    /// Send one segment at SND.UNA at the next dispatch (fast retransmit, NewReno partial ACK).
    var retransmitPending = false
    /// What the peer SACKed (RFC 6675), once SACK was agreed.
    var scoreboard: SACKScoreboard?
    /// SACK-chosen retransmissions allowed during recovery: one per ACK that arrives in it.
    var sackRetransmitBudget = 0
    /// A zero-window probe (or a timeout's first segment) may exceed the windows by one byte.
    var probe = false
    /// Since when the peer's window has been shut while we had data for it (``TCPConfiguration/zeroWindowTimeout``).
    var zeroWindowSince: Instant?
    var timeWaitUntil: Instant?
    var challengeWindowStart: Instant?
    var challengeCount = 0

    init(
        local: TCPEndpoint, remote: TCPEndpoint, iss: UInt32, state: TCPState, configuration: TCPConfiguration,
        timestampOffset: UInt32?
    ) {
        self.local = local
        self.remote = remote
        self.configuration = configuration
        self.state = state
        self.noDelay = configuration.noDelay
        self.receiveSegmentEstimate = Swift.max(1, Swift.min(536, Int(configuration.maximumSegmentSize)))
        self.sendRing = TCPByteRing(capacity: configuration.sendBufferSize)
        self.receiveRing = TCPByteRing(capacity: Swift.min(Swift.max(configuration.receiveBufferSize, 1), 1 << 30))
        if configuration.windowScaling {
            while self.receiveScale < 14 && self.receiveRing.capacity >> Int(self.receiveScale) > 65535 {
                self.receiveScale += 1
            }
        }
        self.iss = iss
        self.sndUna = iss
        self.sndNxt = iss
        self.sndMax = iss
        self.sendBase = iss &+ 1
        self.sendMSS = 536
        // A function of the 4-tuple, not the ISS, so a new connection on the same tuple continues the same clock
        // (as Linux's per-flow offsets): RFC 6191's TIME-WAIT check compares TSvals across connections.
        if let timestampOffset {
            self.tsOffset = timestampOffset
        } else {
            // Unkeyed fallback for connections made outside a ``TCPSocketSet`` (tests).
            var mix = UInt64(local.address.rawValue) << 32 | UInt64(remote.address.rawValue)
            mix ^= UInt64(local.port) << 16 | UInt64(remote.port) | 0x5DEE_CE66_D000_0000
            mix = (mix ^ (mix >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mix = (mix ^ (mix >> 27)) &* 0x94D0_49BB_1331_11EB
            self.tsOffset = UInt32(truncatingIfNeeded: mix ^ (mix >> 31))
        }
        self.timer = RetransmissionTimer(
            configuration: RetransmissionTimer.Configuration(
                initialTimeout: configuration.initialRetransmissionTimeout,
                minimumTimeout: configuration.minimumRetransmissionTimeout,
                maximumTimeout: configuration.maximumRetransmissionTimeout))
        self.congestion = NewRenoCongestion(maximumSegmentSize: 536)
    }

    /// An active open (RFC 9293 §3.10.1): SYN-SENT; the first ``dispatch(now:emit:)`` sends the SYN.
    ///
    /// - Parameter timestampOffset: added to every TSval (RFC 7323 §7.1); ``TCPSocketSet`` passes a keyed hash of
    ///   the 4-tuple. `nil` uses an unkeyed one.
    public convenience init(
        connectingFrom local: TCPEndpoint, to remote: TCPEndpoint, iss: UInt32,
        configuration: TCPConfiguration = TCPConfiguration(), timestampOffset: UInt32? = nil
    ) {
        self.init(
            local: local, remote: remote, iss: iss, state: .synSent, configuration: configuration,
            timestampOffset: timestampOffset)
    }

    /// A passive open after a SYN arrived at a listener (RFC 9293 §3.10.7.2 "If the state is LISTEN", third
    /// check): SYN-RECEIVED; the first ``dispatch(now:emit:)`` sends the SYN-ACK.
    ///
    /// - Parameter timestampOffset: as for ``init(connectingFrom:to:iss:configuration:timestampOffset:)``.
    public convenience init(
        acceptingSYN syn: TCPHeader, at local: TCPEndpoint, from remote: TCPEndpoint, iss: UInt32,
        configuration: TCPConfiguration = TCPConfiguration(), timestampOffset: UInt32? = nil
    ) {
        self.init(
            local: local, remote: remote, iss: iss, state: .synReceived, configuration: configuration,
            timestampOffset: timestampOffset)
        self.irs = syn.sequenceNumber
        self.rcvNxt = syn.sequenceNumber &+ 1
        self.takeSYNOptions(syn)
        self.sndWnd = UInt32(syn.window)
        self.maxSndWnd = self.sndWnd
        self.sndWl1 = syn.sequenceNumber
    }

    /// Takes the MSS option of the peer's SYN (RFC 9293 §3.7.1; RFC 1122 §4.2.2.6: 536 when absent).
    func takeSYNOptions(_ syn: TCPHeader) {
        let peer = Int(syn.options.maximumSegmentSize ?? 536)
        self.sendMSS = Self.clampedSendMSS(peer: peer, ours: self.configuration.maximumSegmentSize)
        // RFC 7323 §2.2: scaling applies in both directions only if both SYNs carried the option; a shift above
        // 14 is used as 14 (§2.3).
        if self.configuration.windowScaling, let shift = syn.options.windowScale {
            self.sendScale = Swift.min(shift, 14)
            self.windowScaleAgreed = true
        } else {
            self.sendScale = 0
            self.receiveScale = 0
        }
        self.sackEnabled = self.configuration.selectiveAcknowledgments && syn.options.sackPermitted
        if self.configuration.timestamps, let timestamps = syn.options.timestamps {
            self.timestampsEnabled = true
            self.tsRecent = timestamps.value
        } else {
            self.timestampsEnabled = false
        }
        self.scoreboard =
            self.sackEnabled
            ? SACKScoreboard(
                sendUnacknowledged: SequenceNumber(self.sndUna), maximumSegmentSize: self.segmentDataLimit) : nil
        // RFC 6928 §2: the initial window follows from the SMSS now known.
        // RFC 5681 §2: SMSS excludes the options every segment carries (timestamps take 12 bytes), or cwnd would be
        // counted in 1460s while segments carry 1448 and each flight would end with a 12-byte runt.
        self.congestion = NewRenoCongestion(maximumSegmentSize: self.segmentDataLimit)
    }

    // MARK: - The application's side

    /// Bytes the send ring can still take.
    public var sendCapacityLeft: Int { self.sendRing.free }
    /// Bytes queued and not yet acknowledged.
    public var sendQueueCount: Int { self.sendRing.count }
    /// The most the send ring holds now: ``TCPConfiguration/sendBufferSize``, or more once autotuned.
    public var sendBufferCapacity: Int { self.sendRing.capacity }
    /// Bytes received and not yet read.
    public var receiveQueueCount: Int { self.receiveRing.count }
    /// Whether ``send(_:)`` can queue data now.
    public var canSend: Bool { self.isSendOpen && self.sendRing.free > 0 }
    /// Whether ``receive(into:)`` returns data, or the end of the stream.
    public var canReceive: Bool { self.receiveRing.count > 0 || self.finReceived || self.closeReason != nil }
    /// Whether a segment (an ACK, a window update, a RST) is owed now, before any timer.
    public var hasOutputDue: Bool { self.ackPending || self.resetPending }
    /// Whether the connection is open: established, or closing with data still to exchange.
    public var isOpen: Bool { self.state != .closed && self.state != .listen && self.state != .timeWait }

    var isSendOpen: Bool {
        !self.finQueued
            && (self.state == .synSent || self.state == .synReceived || self.state == .established
                || self.state == .closeWait)
    }

    /// Queues as much of `bytes` as fits in the send ring; returns how much.
    ///
    /// - Throws: ``TCPSendError/invalidState`` after ``close()`` or once the connection ended;
    ///   ``TCPSendError/bufferFull`` when no byte fits.
    public func send(_ bytes: UnsafeRawBufferPointer) throws(TCPSendError) -> Int {
        guard self.isSendOpen else { throw .invalidState }
        if bytes.isEmpty { return 0 }
        guard self.sendRing.free > 0 else { throw .bufferFull }
        let capacity = self.sendRing.capacity
        let taken = self.sendRing.write(bytes, checkingHeapPast: self.configuration.sendBufferSize)
        if self.sendRing.capacity < capacity { TCPByteRing.growthsRefused += 1 }
        return taken
    }

    /// ``send(_:)`` for an array.
    public func send(_ bytes: [UInt8]) throws(TCPSendError) -> Int {
        var result: Result<Int, TCPSendError> = .success(0)
        bytes.withUnsafeBytes { raw in
            do throws(TCPSendError) {
                result = .success(try self.send(raw))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// Moves received bytes into `target`; returns how many (0 when none has arrived yet).
    ///
    /// - Throws: ``TCPReceiveError/finished`` when the peer closed and everything was read;
    ///   ``TCPReceiveError/invalidState`` when the connection was reset, timed out or never opened.
    public func receive(into target: UnsafeMutableRawBufferPointer) throws(TCPReceiveError) -> Int {
        if self.receiveRing.isEmpty {
            if self.closeReason != nil { throw .invalidState }
            if self.finReceived { throw .finished }
            if self.state == .closed { throw .invalidState }
            return 0
        }
        let count = self.receiveRing.read(into: target)
        // RFC 1122 §4.2.3.3: send a window update once the window opened by at least min(MSS, half the ring)
        // (receiver-side silly window syndrome avoidance).
        let window = self.currentWindow
        let threshold = UInt32(Swift.min(Int(self.configuration.maximumSegmentSize), self.receiveRing.capacity / 2))
        if self.state.isSynchronized && window >= self.advertisedWindow &+ threshold { self.ackPending = true }
        return count
    }

    /// Takes up to `maximum` received bytes as an array (empty when none has arrived yet).
    public func receive(maximum: Int) throws(TCPReceiveError) -> [UInt8] {
        // Sized to what is buffered and filled by the ring's copy: no zero-filling first, no second array.
        let size = Swift.max(0, Swift.min(maximum, self.receiveRing.count))
        var failure: TCPReceiveError? = nil
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            do throws(TCPReceiveError) {
                initialized = try self.receive(into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Closes our side (RFC 9293 §3.10.4 CLOSE): a FIN follows the queued data. From SYN-SENT (or before any data
    /// was exchanged in SYN-RECEIVED, with nothing queued) the connection simply ends.
    public func close() {
        switch self.state {
        case .synSent, .listen:
            self.state = .closed
        case .synReceived, .established:
            self.finQueued = true
            self.state = .finWait1
        case .closeWait:
            self.finQueued = true
            self.state = .lastAck
        default:
            break
        }
    }

    /// Aborts (RFC 9293 §3.10.5 ABORT): a RST goes out at the next dispatch and the connection is closed.
    public func abort() {
        if self.state.isSynchronized || self.state == .synReceived {
            if self.state != .timeWait { self.resetPending = true }
        }
        self.enterClosed(reason: .aborted)
    }

    /// Lets go of the connection: the application will never read or write it again (what `close(2)` means for
    /// a socket, as opposed to ``close()``'s half-close).
    ///
    /// - With unread received data, the connection is aborted: a RST, not a FIN, tells the peer its data was
    ///   lost (RFC 2525 §2.17), and ``closeReason`` becomes ``TCPCloseReason/aborted``.
    /// - Otherwise it closes as ``close()`` does; FIN-WAIT-2 then lasts at most
    ///   ``TCPConfiguration/finWait2Timeout`` (counted from entering FIN-WAIT-2, or from the next dispatch when
    ///   already there), and data the peer sends after this is answered with a RST that ends the connection
    ///   (RFC 2525 §2.17; what Linux does for data arriving on a closed socket).
    public func detach() {
        guard !self.isDetached else { return }
        self.isDetached = true
        if self.receiveRing.count > 0 && self.isOpen {
            self.abort()
            return
        }
        self.close()
        if self.state == .finWait2 { self.finWait2StartPending = true }
    }

    /// TSval at `now`: a 1 ms clock (RFC 7323 §5.4 allows 1 ms to 1 s per tick) plus the connection's offset.
    func timestampValue(_ now: Instant) -> UInt32 {
        UInt32(truncatingIfNeeded: now.nanoseconds / 1_000_000) &+ self.tsOffset
    }

    /// The most data one segment carries: SMSS less the options every segment carries (RFC 9293 §3.7.1), never
    /// below ``minimumSendMSS``.
    var segmentDataLimit: Int {
        Swift.max(Self.minimumSendMSS, self.sendMSS - (self.timestampsEnabled ? 12 : 0))
    }

    /// The smallest segment data we send whatever MSS the peer announces (Linux's `tcp_min_snd_mss`, 48): a peer
    /// advertising MSS 1 would otherwise get one-byte segments, some 50 packets per 1,460 bytes of a response
    /// (CVE-2019-11479). A deliberate deviation from RFC 9293 §3.7.1, which would honour any MSS.
    static let minimumSendMSS = 48

    /// The send MSS for a peer's MSS option and ours: the smaller, floored at ``minimumSendMSS``.
    static func clampedSendMSS(peer: Int, ours: UInt16) -> Int {
        Swift.max(minimumSendMSS, Swift.min(peer, Int(ours)))
    }

    /// The most new data one dispatched segment carries: ``segmentDataLimit``, or with TSO the most whole
    /// SMSS-sized pieces that fit ``TCPConfiguration/segmentationOffloadLimit`` (the device cuts them apart; the
    /// congestion and receive windows still bound the flight byte for byte).
    var sendBurstLimit: Int {
        let smss = self.segmentDataLimit
        return Swift.max(1, self.configuration.segmentationOffloadLimit / smss) * smss
    }

    /// The receive window: the receive ring's free space, at most what the Window field can say.
    var currentWindow: UInt32 { UInt32(Swift.min(self.receiveRing.free, 65535 << Int(self.receiveScale))) }

    /// Whether `syn` may reopen this 4-tuple while in TIME-WAIT: a bare SYN whose sequence number is beyond
    /// RCV.NXT, or whose timestamp is newer than TS.Recent (RFC 6191 §2), so it cannot be an old duplicate.
    func acceptsNewSYN(_ syn: TCPHeader) -> Bool {
        guard self.state == .timeWait, syn.flags.contains(.syn), !syn.flags.contains(.ack), !syn.flags.contains(.rst)
        else { return false }
        if self.timestampsEnabled, let timestamps = syn.options.timestamps {
            return tcpBefore(self.tsRecent, timestamps.value)
        }
        return tcpBefore(self.rcvNxt, syn.sequenceNumber)
    }

    func enterClosed(reason: TCPCloseReason?) {
        self.state = .closed
        if let reason, self.closeReason == nil { self.closeReason = reason }
        self.timer.disarm()
        self.timeWaitUntil = nil
        self.ackPending = false
        self.delayedAckDeadline = nil
        self.finWait2Deadline = nil
        self.finWait2StartPending = false
        self.retransmitPending = false
        self.outOfOrder = nil
        self.releaseBuffers()
    }

    func enterTimeWait(now: Instant) {
        self.state = .timeWait
        self.timer.disarm()
        self.timeWaitUntil = now + self.configuration.maximumSegmentLifetime * 2
        self.releaseBuffers()
    }

    /// Gives back the rings' memory once nothing more can be sent (TIME-WAIT: every byte and the FIN were
    /// acknowledged; CLOSED): a server closing first may hold hundreds of TIME-WAIT blocks for 2 MSL, and with
    /// 64 KiB rings each that was megabytes for nothing. Unread received data is kept for the application.
    private func releaseBuffers() {
        if self.sendRing.capacity > 1 {
            self.sendBase &+= UInt32(self.sendRing.count)
            self.sendRing = TCPByteRing(capacity: 1)
        }
        if self.receiveRing.isEmpty && self.receiveRing.capacity > 1 { self.receiveRing = TCPByteRing(capacity: 1) }
    }
}

extension TCPControlBlock: CustomStringConvertible {
    /// One line: `10.0.0.2:49152 > 10.0.0.3:80 ESTABLISHED una=… nxt=… rcv=… wnd=… rto=…ms`.
    public var description: String {
        "\(self.local) > \(self.remote) \(self.state) una=\(self.sndUna) nxt=\(self.sndNxt) rcv=\(self.rcvNxt)"
            + " wnd=\(self.sndWnd) cwnd=\(self.congestion.congestionWindow) rto=\(self.timer.timeout.milliseconds)ms"
    }
}
