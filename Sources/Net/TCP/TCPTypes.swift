/// TCP: the connection state machine, listeners and the set the interface serves (smoltcp `socket/tcp.rs` in
/// spirit).
///
/// ## Read first
///
/// - RFC 9293, TCP (the consolidated spec): §3.3.2 the state diagram, §3.4 sequence numbers, §3.10 the event
///   processing this file follows clause by clause ("RFC 9293 §3.10.7.4 first check").
/// - RFC 5961, improving robustness against blind in-window attacks: §3 RST (exact match resets, else a challenge
///   ACK), §4 SYN in a synchronized state (challenge ACK), §5 the ACK acceptance range.
/// - RFC 6298, computing TCP's retransmission timer (SRTT, RTTVAR, RTO ≥ 1 s, back-off, Karn):
///   `Congestion/RetransmissionTimer.swift`.
/// - RFC 5681, TCP congestion control (slow start, congestion avoidance, fast retransmit on 3 duplicate ACKs);
///   RFC 6582, NewReno: `Congestion/NewRenoCongestion.swift`.
/// - RFC 7323, window scale (§2) and timestamps (§3 TSopt, §4 RTTM, §5 PAWS); RFC 6191 for reusing a tuple in
///   TIME-WAIT.
/// - RFC 2018, SACK (our ACKs carry blocks for `Congestion/OutOfOrderBuffer.swift`'s held data); RFC 6675, SACK
///   loss recovery (`Congestion/SACKScoreboard.swift`, NextSeg rule 1).
/// - RFC 6528, defending against sequence number attacks (the ISN, `Congestion/InitialSequenceNumber.swift`).
/// - RFC 1122 §4.2, host requirements for TCP (§4.2.2.6 MSS default 536, §4.2.2.17 probing zero windows,
///   §4.2.3.2 delayed ACK, §4.2.3.4 Nagle, §4.2.3.6 keep-alives); RFC 896, Nagle's algorithm (small segments wait
///   while data is unacknowledged); RFC 5681 §4.2 when an ACK must not be delayed, §4.1 restarting after idle.
///   These timers are in `TCPControlBlock+Timers.swift`.
/// - RFC 3042, limited transmit (the first two duplicate ACKs each let one new segment out, folded into
///   `Congestion/NewRenoCongestion.swift`'s send window).
/// - RFC 2525 §2.17, closing with unread data (RST, not FIN), which ``TCPControlBlock/detach()`` follows, with
///   Linux's `tcp_fin_timeout` bound on an orphaned FIN-WAIT-2.
///
/// ## Design
///
/// - ``TCPControlBlock`` is one connection as a synchronous state machine: `process(_:now:emit:)` takes one
///   received segment (a ``TCPIncomingSegment``: a header and a payload borrowed from the frame) and may emit an
///   immediate reply (a RST or a challenge ACK); `dispatch(now:emit:)` runs the timers that are due and emits the
///   next segment to send, if any (a ``TCPOutgoingSegment``: a header and a payload borrowed from the send ring);
///   `pollAt` says when `dispatch` has something to do without new input (a segment ready, or the earliest
///   retransmission, persist, delayed-ACK, keep-alive, FIN-WAIT-2 or TIME-WAIT deadline). Time is an argument;
///   nothing here reads a clock or touches a device.
/// - The seam to the interface copies no payload byte: the interface's emit callback copies the data once, from the
///   send ring into the frame, and says whether the device took it; the connection commits the send (SND.NXT,
///   timers, the ACK it carried) only then, so a full transmit queue stops dispatch without losing anything
///   (smoltcp's `dispatch` with its emit closure and `TxToken`). `TCPControlBlock+Segments.swift` wraps both
///   directions in owned ``TCPSegment`` values, so the machine is also tested by wiring two of them together, with
///   no interface.
/// - The application side never blocks: ``TCPControlBlock/send(_:)`` copies into a bounded send ring,
///   ``TCPControlBlock/receive(into:)`` copies out of a bounded receive ring; the receive ring's free space is the
///   advertised window.
/// - The connection owns one of each `Congestion/` helper (timer, NewReno, scoreboard, out-of-order queue) and
///   drives them with the numbers it tracks (SND.UNA, SND.NXT, SND.MAX, RCV.NXT); see `Congestion/README.md`.
///   After a timeout SND.NXT goes back to SND.UNA (and skips SACKed data); ACKs are judged against SND.MAX.
/// - ``TCPSocketSet`` holds connections and listeners reached by ``TCPHandle``; a listener keeps a bounded SYN
///   queue (its backlog) of half-open connections that ``TCPSocketSet/accept(_:)`` hands out once established.
///   `Interface+TCP.swift` demultiplexes received segments to it, answers closed ports with a RST
///   (RFC 9293 §3.10.7.1), and sends what the connections dispatch.
import Runtime

// MARK: - Sequence-number arithmetic (RFC 9293 §3.4, modulo 2^32)

/// Whether `a` comes before `b` in sequence space ("a < b" modulo 2^32).
@inline(__always)
func tcpBefore(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }

/// Whether `a ≤ b` in sequence space.
@inline(__always)
func tcpBeforeOrEqual(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) <= 0 }

/// `from ≤ value < to` in sequence space.
@inline(__always)
func tcpInRange(_ value: UInt32, from: UInt32, to: UInt32) -> Bool {
    tcpBeforeOrEqual(from, value) && tcpBefore(value, to)
}

// MARK: - States, segments, settings, errors

/// The connection states of RFC 9293 §3.3.2.
public enum TCPState: Equatable, Sendable, CustomStringConvertible {
    case closed, listen, synSent, synReceived, established, finWait1, finWait2, closeWait, closing, lastAck, timeWait

    /// The eleven states of RFC 9293 §3.3.2, in the order of its state diagram.
    public static let all: [TCPState] = [
        .closed, .listen, .synSent, .synReceived, .established, .finWait1, .finWait2, .closeWait, .closing, .lastAck,
        .timeWait,
    ]

    /// Whether the handshake is complete (RFC 9293 §3.3.2 "synchronized states").
    public var isSynchronized: Bool {
        switch self {
        case .closed, .listen, .synSent, .synReceived: false
        default: true
        }
    }

    public var description: String {
        switch self {
        case .closed: "CLOSED"
        case .listen: "LISTEN"
        case .synSent: "SYN-SENT"
        case .synReceived: "SYN-RECEIVED"
        case .established: "ESTABLISHED"
        case .finWait1: "FIN-WAIT-1"
        case .finWait2: "FIN-WAIT-2"
        case .closeWait: "CLOSE-WAIT"
        case .closing: "CLOSING"
        case .lastAck: "LAST-ACK"
        case .timeWait: "TIME-WAIT"
        }
    }
}

/// A received segment as the state machine takes it (``TCPControlBlock/process(_:now:emit:)``): the parsed header
/// and its data, borrowed from the frame the interface received (smoltcp's `TcpRepr` with a borrowed payload). The
/// payload is valid only during the call; the connection copies what it accepts once, into its receive ring (or
/// its out-of-order queue), and keeps no pointer.
public struct TCPIncomingSegment {
    /// The header; its `payloadLength` equals `payload.count`.
    public var header: TCPHeader
    /// The data, borrowed.
    public let payload: UnsafeRawBufferPointer

    public init(header: TCPHeader, payload: UnsafeRawBufferPointer) {
        self.header = header
        self.header.payloadLength = payload.count
        self.payload = payload
    }
}

/// A segment on its way out, as a connection hands it to the emit callback of ``TCPControlBlock/dispatch(now:emit:)``
/// (smoltcp's `TcpRepr` handed to a `TxToken`): the header, both endpoints, and the data borrowed from the send ring
/// (two pieces where the ring wraps), valid only during the callback.
///
/// The callback builds the frame, copying the data once with ``copyPayload(into:)``, and returns whether the device
/// took it. Only then does the connection commit what sending it means (SND.NXT, the retransmission timer, the ACK
/// and window it carries); a refused segment leaves the connection as it was, to be built again at a later dispatch.
public struct TCPOutgoingSegment {
    /// The header; its `payloadLength` equals ``payloadCount``.
    public let header: TCPHeader
    /// Our address and port: the source.
    public let local: TCPEndpoint
    /// The peer's: the destination.
    public let remote: TCPEndpoint
    /// For a segment longer than one SMSS, handed to a device that segments TCP itself (TSO): the data each
    /// segment on the wire carries (the SMSS less the options every segment carries); 0 otherwise.
    public let segmentationSize: Int
    let head: UnsafeRawBufferPointer
    let tail: UnsafeRawBufferPointer

    /// A segment whose data is `head` followed by `tail` (borrowed for the callback).
    public init(
        header: TCPHeader, local: TCPEndpoint, remote: TCPEndpoint,
        head: UnsafeRawBufferPointer = .init(start: nil, count: 0),
        tail: UnsafeRawBufferPointer = .init(start: nil, count: 0), segmentationSize: Int = 0
    ) {
        var header = header
        header.payloadLength = head.count + tail.count
        self.header = header
        self.local = local
        self.remote = remote
        self.head = head
        self.tail = tail
        self.segmentationSize = segmentationSize
    }

    /// Bytes of data.
    public var payloadCount: Int { self.head.count + self.tail.count }

    /// Copies the data into the first ``payloadCount`` bytes of `target`.
    ///
    /// - Precondition: `target.count >= payloadCount`.
    public func copyPayload(into target: UnsafeMutableRawBufferPointer) {
        precondition(target.count >= self.payloadCount, "payload does not fit")
        if let base = self.head.baseAddress, !self.head.isEmpty {
            target.baseAddress!.copyMemory(from: base, byteCount: self.head.count)
        }
        if let base = self.tail.baseAddress, !self.tail.isEmpty {
            target.baseAddress!.advanced(by: self.head.count).copyMemory(from: base, byteCount: self.tail.count)
        }
    }
}

/// What one ``TCPControlBlock/dispatch(now:emit:)`` (or ``TCPSocketSet``'s) did.
public enum TCPDispatchResult: Equatable, Sendable, CustomStringConvertible {
    /// Nothing was due.
    case idle
    /// One segment was emitted and the device took it.
    case sent
    /// A segment was due but the emit callback refused it (the device's transmit queue is full): nothing changed;
    /// dispatch again once the device has room.
    case refused

    public var description: String {
        switch self {
        case .idle: "idle"
        case .sent: "sent"
        case .refused: "refused"
        }
    }
}

/// A TCP endpoint: address and port.
public struct TCPEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4Address
    public var port: UInt16

    public init(_ address: IPv4Address, _ port: UInt16) {
        self.address = address
        self.port = port
    }

    public var description: String { "\(self.address):\(self.port)" }
}

/// The settings of a connection.
public struct TCPConfiguration: Sendable {
    /// Receive ring size in bytes; its free space is the window (at most 65535 unless window scaling is agreed).
    public var receiveBufferSize = 65535
    /// Whether to offer Window Scale (RFC 7323 §2): our shift is the smallest that fits the receive ring in 16
    /// bits; it applies only if the peer's SYN carries the option too.
    public var windowScaling = true
    /// Whether to offer SACK-Permitted (RFC 2018 §2); once agreed, our ACKs carry SACK blocks for held
    /// out-of-order data (the sender side does not use received blocks yet).
    public var selectiveAcknowledgments = true
    /// Whether to offer Timestamps (RFC 7323 §3): once agreed, every segment but a RST carries TSval/TSecr,
    /// ACKs give RTT samples (§4) and old duplicates are rejected (PAWS, §5). Each segment then carries 12 bytes
    /// less data.
    public var timestamps = true
    /// ``sendBufferLimit``, 0 with autotuning off: 32 bits right after the Bools, in what was padding, so the
    /// settings every connection slot holds grow by nothing (at `--memory 4M` dev has no KiB to spare).
    private var autotunedSendLimit = Int32(TCPConfiguration.defaultSendBufferLimit)
    /// Send ring size in bytes. Setting it turns ``sendBufferAutotuning`` off (as `SO_SNDBUF` locks Linux's send
    /// buffer): an app that names a size gets that size.
    public var sendBufferSize = 65536 {
        didSet { self.sendBufferAutotuning = false }
    }
    /// Whether the send ring grows past ``sendBufferSize`` with the connection's bandwidth-delay product, up to
    /// ``sendBufferLimit``, as Linux's `tcp_sndbuf_expand` does: when an ACK frees space in a ring the application
    /// had filled, the ring may hold twice the data the congestion and peer's windows let fly (rounded up to a power
    /// of two). Memory is taken only as data fills the ring and only when the heap can spare it
    /// (``TCPByteRing/heapCanSpare(_:)``; refusals count in ``TCPByteRing/growthsRefused``), and is kept until
    /// the connection ends. On by default, so bulk senders need not ask; off once ``sendBufferSize`` is set (set
    /// this after it to turn it on again).
    public var sendBufferAutotuning: Bool {
        get { self.autotunedSendLimit > 0 }
        set { self.autotunedSendLimit = newValue ? Int32(Self.defaultSendBufferLimit) : 0 }
    }
    /// The most the send ring autotunes to, per connection, at most 1 GiB (Linux's `tcp_wmem[2]` is 4 MiB; 1 MiB
    /// keeps 64 KiB TSO frames flowing back to back on a LAN and under TCG). Setting it turns autotuning on.
    public var sendBufferLimit: Int {
        get { Int(self.autotunedSendLimit) }
        set { self.autotunedSendLimit = Int32(Swift.max(1, Swift.min(newValue, 1 << 30))) }
    }
    /// ``sendBufferLimit``'s default.
    public static let defaultSendBufferLimit = 1 << 20
    /// The MSS we announce and send at most: MTU 1500 − 40 (RFC 9293 §3.7.1).
    public var maximumSegmentSize: UInt16 = 1460
    /// The most data one segment handed to the interface may carry when the device segments TCP itself (TSO,
    /// ``NetOffloads/transmitSegmentation``): a multiple of the SMSS up to this, which the device cuts into
    /// SMSS-sized segments on the wire. The interface sets it from its device; 0 (no TSO) sends one SMSS at most.
    public var segmentationOffloadLimit = 0
    /// Maximum Segment Lifetime; TIME-WAIT lasts 2 × MSL (RFC 9293 §3.4.2 suggests 2 minutes; tests shorten it).
    public var maximumSegmentLifetime: Duration = .seconds(60)
    /// The first RTO before any measurement (RFC 6298 (2.1): 1 s).
    public var initialRetransmissionTimeout: Duration = .seconds(1)
    /// The RTO floor. RFC 6298 (2.4) says 1 s "SHOULD"; like Linux (`TCP_RTO_MIN`) and FreeBSD we use 200 ms
    /// by default, a deliberate deviation: with a 1 s floor every lost retransmission on a LAN stalls a connection
    /// for a second (measured: 4 MiB over a 5 % loss link took 39 s against Linux's 2 s). Set 1 s for the RFC's
    /// conservative floor on long, variable paths.
    public var minimumRetransmissionTimeout: Duration = .milliseconds(200)
    /// The RTO ceiling (RFC 6298 (2.5): at least 60 s).
    public var maximumRetransmissionTimeout: Duration = .seconds(60)
    /// Retransmissions of one segment before the connection is given up (RFC 1122 §4.2.3.5 R2).
    public var maximumRetransmissions = 12
    /// Challenge ACKs sent per second at most (RFC 5961 §7; Linux's historical default was 100 per second
    /// system-wide, this is per connection).
    public var challengeAckLimit = 10
    /// Unacceptable segments without data, SYN or FIN get an ACK at most this often (Linux's
    /// `tcp_invalid_ratelimit`, 500 ms): the end of ACK storms.
    public var unacceptableAckInterval: Duration = .milliseconds(500)
    /// How long the ACK of in-order data may wait for more data or a reply to ride on (RFC 1122 §4.2.3.2: "MUST
    /// be less than 0.5 seconds", so longer values act as 500 ms; 40 ms is Linux's minimum). An ACK still goes
    /// out at once for every second full-sized segment, for out-of-order, gap-filling or duplicate data (RFC 5681
    /// §4.2), for a FIN and for window updates. `nil` acknowledges every segment at once.
    public var delayedAckTimeout: Duration? = .milliseconds(40)
    /// Whether to turn Nagle's algorithm off (`TCP_NODELAY`). With it on (RFC 1122 §4.2.3.4, RFC 896), while
    /// data is unacknowledged a segment shorter than the most one segment carries waits until the outstanding
    /// data is acknowledged or a full segment has accumulated; a FIN never waits. See
    /// ``TCPControlBlock/noDelay`` to change it on an open connection.
    public var noDelay = false
    /// Keep-alive probes (RFC 1122 §4.2.3.6: "MUST default to off"); `nil` sends none.
    public var keepAlive: TCPKeepAlive? = nil
    /// How long a connection the application let go of (``TCPControlBlock/detach()``) may stay in FIN-WAIT-2
    /// waiting for the peer's FIN before it is closed (Linux's `tcp_fin_timeout`, 60 s). A connection still
    /// attached waits as long as the peer keeps its side open (RFC 9293 allows half-closed connections).
    public var finWait2Timeout: Duration = .seconds(60)
    /// How long the peer may keep its window shut while we have data for it: once it has done so for longer, the
    /// connection is aborted with a RST at the next persist probe, closes as ``TCPCloseReason/timedOut`` and is
    /// counted in ``TCPConnectionCounters/zeroWindowAborts``. Answered probes never end a connection by
    /// themselves (RFC 1122 §4.2.2.17), so without this bound a reader that never reads would hold the send ring
    /// for ever; this is the user timeout of RFC 9293 §3.8.3 (its suggested default, five minutes) and RFC 5482,
    /// applied to a shut window. `nil`: no bound.
    public var zeroWindowTimeout: Duration? = .seconds(300)

    public init() {}
}

/// Keep-alive settings (RFC 1122 §4.2.3.6): after ``idle`` without receiving anything, probe the peer every
/// ``interval``; after ``probes`` unanswered probes, give the connection up.
public struct TCPKeepAlive: Equatable, Sendable {
    /// Time without any acceptable segment from the peer before the first probe ("MUST default to no less than
    /// two hours").
    public var idle: Duration = .seconds(7200)
    /// Time between unanswered probes (Linux's `tcp_keepalive_intvl`, 75 s).
    public var interval: Duration = .seconds(75)
    /// Unanswered probes before the connection closes with ``TCPCloseReason/timedOut`` (Linux's
    /// `tcp_keepalive_probes`, 9).
    public var probes = 9

    public init(idle: Duration = .seconds(7200), interval: Duration = .seconds(75), probes: Int = 9) {
        self.idle = idle
        self.interval = interval
        self.probes = probes
    }
}

/// What a connection counted.
public struct TCPConnectionCounters: Equatable, Sendable {
    /// Segments sent again after a timeout or a fast retransmit.
    public var retransmits = 0
    /// Retransmission timeouts.
    public var timeouts = 0
    /// Fast retransmits (RFC 5681 §3.2, third duplicate ACK).
    public var fastRetransmits = 0
    /// Duplicate ACKs received.
    public var duplicateAcks = 0
    /// Resets received and accepted.
    public var resetsReceived = 0
    /// Resets sent.
    public var resetsSent = 0
    /// Challenge ACKs sent (RFC 5961).
    public var challengeAcks = 0
    /// Challenge ACKs not sent because of ``TCPConfiguration/challengeAckLimit``.
    public var challengeAcksSuppressed = 0
    /// Segments dropped: unacceptable, out of order, or beyond the receive ring.
    public var dropped = 0
    /// Segments received and processed.
    public var segmentsReceived = 0
    /// Segments sent.
    public var segmentsSent = 0
    /// Keep-alive probes sent (RFC 1122 §4.2.3.6).
    public var keepAliveProbes = 0
    /// ACKs not sent for unacceptable segments without data (``TCPConfiguration/unacceptableAckInterval``).
    public var unacceptableAcksSuppressed = 0
    /// ACKs sent because the delayed-ACK timer ran out (RFC 1122 §4.2.3.2).
    public var delayedAcks = 0
    /// Connections aborted because the peer kept its window shut longer than
    /// ``TCPConfiguration/zeroWindowTimeout`` while answering the probes.
    public var zeroWindowAborts = 0

    public init() {}

    /// Adds every count of `other` (for totals over several connections).
    public static func += (total: inout TCPConnectionCounters, other: TCPConnectionCounters) {
        total.retransmits += other.retransmits
        total.timeouts += other.timeouts
        total.fastRetransmits += other.fastRetransmits
        total.duplicateAcks += other.duplicateAcks
        total.resetsReceived += other.resetsReceived
        total.resetsSent += other.resetsSent
        total.challengeAcks += other.challengeAcks
        total.challengeAcksSuppressed += other.challengeAcksSuppressed
        total.dropped += other.dropped
        total.segmentsReceived += other.segmentsReceived
        total.segmentsSent += other.segmentsSent
        total.keepAliveProbes += other.keepAliveProbes
        total.delayedAcks += other.delayedAcks
        total.unacceptableAcksSuppressed += other.unacceptableAcksSuppressed
        total.zeroWindowAborts += other.zeroWindowAborts
    }
}

/// Why ``TCPSocketSet/connect(from:to:now:configuration:)`` opened nothing.
public enum TCPConnectError: Error, Equatable, CustomStringConvertible {
    /// The remote address or port is unspecified, or the local address is.
    case unaddressable
    /// No free slot or ephemeral port.
    case exhausted

    public var description: String {
        switch self {
        case .unaddressable: "unaddressable"
        case .exhausted: "no free socket or port"
        }
    }
}

/// Why ``TCPSocketSet/listen(port:backlog:configuration:)`` opened nothing.
public enum TCPListenError: Error, Equatable, CustomStringConvertible {
    /// Another listener has the port.
    case addressInUse
    /// No free slot.
    case exhausted

    public var description: String {
        switch self {
        case .addressInUse: "address in use"
        case .exhausted: "no free socket"
        }
    }
}

/// Why ``TCPControlBlock/send(_:)`` queued nothing.
public enum TCPSendError: Error, Equatable, CustomStringConvertible {
    /// The connection cannot send: not yet open, closed by us, or reset.
    case invalidState
    /// The send ring is full; retry after the interface polled.
    case bufferFull

    public var description: String {
        switch self {
        case .invalidState: "connection not open for sending"
        case .bufferFull: "send buffer full"
        }
    }
}

/// Why ``TCPControlBlock/receive(into:)`` returned nothing.
public enum TCPReceiveError: Error, Equatable, CustomStringConvertible {
    /// The peer closed its side and every byte was read.
    case finished
    /// The connection is not open for receiving (never opened, reset or timed out).
    case invalidState

    public var description: String {
        switch self {
        case .finished: "peer closed"
        case .invalidState: "connection not open for receiving"
        }
    }
}

/// How a connection ended, if it did not close normally.
public enum TCPCloseReason: Equatable, Sendable {
    /// The peer reset it.
    case reset
    /// Retransmissions ran out (RFC 1122 §4.2.3.5), keep-alive probes went unanswered (RFC 1122 §4.2.3.6), the
    /// peer's window stayed shut past ``TCPConfiguration/zeroWindowTimeout``, or a detached connection waited out
    /// ``TCPConfiguration/finWait2Timeout``.
    case timedOut
    /// We aborted it: ``TCPControlBlock/abort()``, a detach with unread data, or data that arrived after the
    /// detach (RFC 2525 §2.17).
    case aborted
}
