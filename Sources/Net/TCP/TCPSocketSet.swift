/// TCP connections and listeners reached by ``TCPHandle`` (smoltcp `iface/socket_set.rs`), and the
/// demultiplexer the interface hands segments to.
import Runtime

/// A listening port with a bounded SYN queue (RFC 9293 §3.10.7.2; the `backlog` of `listen(2)`). A class for the
/// reason ``TCPControlBlock`` is one: with its configuration it is 321 bytes, copied whole by each read through
/// the set's optional slots.
public final class TCPListenQueue {
    /// The port.
    public let port: UInt16
    /// Half-open and established connections not yet accepted, at most.
    public let backlog: Int
    /// The settings each accepted connection gets.
    public let configuration: TCPConfiguration
    /// Whether a SYN that finds the queue full is answered with a SYN cookie (RFC 4987 §3.6) instead of being
    /// dropped.
    public let synCookies: Bool
    /// Connections from this listener alive at once, at most (half-open, queued, accepted, and closing after the
    /// application let go); `nil`: as many as the set has slots. A SYN past it is refused with a RST (see
    /// ``TCPSocketSet/listen(port:backlog:configuration:synCookies:connectionLimit:)``).
    public let connectionLimit: Int?
    /// Connections from this listener that hold a slot now.
    public internal(set) var connectionCount = 0
    /// SYNs (and cookie ACKs) refused with a RST because ``connectionLimit`` was reached.
    public internal(set) var refused = 0
    /// Connections from SYNs, oldest first.
    var queue: [TCPHandle] = []
    /// SYNs dropped because the queue was full.
    public internal(set) var overflows = 0
    /// When the last cookie went out: returning ACKs are checked for cookies only within 128 s of it.
    var lastCookieAt: Instant?

    /// Connections waiting in the queue (half-open or established).
    public var queueCount: Int { self.queue.count }

    init(port: UInt16, backlog: Int, configuration: TCPConfiguration, synCookies: Bool, connectionLimit: Int?) {
        self.port = port
        self.backlog = backlog
        self.configuration = configuration
        self.synCookies = synCookies
        self.connectionLimit = connectionLimit
    }
}

/// What the TCP layer of an interface counted.
public struct TCPCounters: Equatable, Sendable {
    /// Segments handed to a connection or listener.
    public var received = 0
    /// Segments sent.
    public var sent = 0
    /// Bad lengths, ports or options.
    public var malformed = 0
    /// Bad checksum.
    public var checksumErrors = 0
    /// Segments for no connection and no listener (answered with a RST unless they carried one).
    public var noSocket = 0
    /// RSTs sent for segments to closed ports.
    public var resetsSent = 0
    /// SYNs dropped because a listener's queue held only established connections not yet accepted (or the set
    /// was full).
    public var synDropped = 0
    /// Half-open connections whose SYN-ACK went unanswered for a retransmission timeout, dropped to make room in
    /// a full listen queue (RFC 4987 §3.4).
    public var halfOpenRecycled = 0
    /// SYN-ACKs sent with a SYN cookie because a listener's queue was full (RFC 4987 §3.6).
    public var synCookiesSent = 0
    /// Connections opened by an ACK that returned a valid cookie.
    public var synCookiesAccepted = 0
    /// ACKs that returned a valid cookie but found the queue full of connections not yet accepted: dropped (the
    /// client retransmits).
    public var synCookiesDropped = 0
    /// Connections in TIME-WAIT ended early to make room for a new one (the set was full; Linux's
    /// `tcp_max_tw_buckets` behaviour).
    public var timeWaitRecycled = 0
    /// Connections released by the application while still open, left to close in the background.
    public var orphaned = 0
    /// Segments to a listening port with neither SYN, ACK nor RST (FIN, NULL, URG/PSH-only, XMAS probes): dropped
    /// without an answer, as RFC 9293 §3.10.7.2 says, so a stealth scan learns nothing.
    public var listenDropped = 0
    /// SYNs refused with a RST because their listener had ``TCPListenQueue/connectionLimit`` connections.
    public var connectionsRefused = 0

    public init() {}
}

/// The bounded set of TCP connections and listeners an interface serves. A class, owned by the ``SocketSet``:
/// as a struct of 384 bytes it was copied whole into each out-of-line call that reads it (`pollAt` at every poll,
/// `isValid` at every use of a handle).
public final class TCPSocketSet {
    private var connections: [TCPControlBlock?]
    private var listeners: [TCPListenQueue?]
    private var generations: [UInt32]
    /// Connections the application released while open (``release(_:)``): freed once they reach CLOSED.
    private var orphans: [Bool]
    /// Per connection slot, the listener slot its connection came from (counted in its
    /// ``TCPListenQueue/connectionCount``), or -1.
    private var origins: [Int]
    private var nextEphemeralPort: UInt16 = SocketSet.ephemeralPorts.lowerBound
    private var dispatchCursor = 0
    /// Slots at and past this index are empty: dispatch, pollAt and the lookup of a segment's connection scan
    /// only below it (with a few connections, a few slots instead of the whole capacity per segment).
    private var occupied = 0
    /// Per slot, how many times its connection took a segment or ended in a dispatch (wrapping): a task waiting
    /// on a connection notes the count and is woken once it changes.
    private var touchCounts: [UInt32]
    /// Per listener slot, how many times a connection may have become ready to accept (a SYN queued, a queued
    /// connection took a segment in SYN-RECEIVED, a cookie's ACK, the listener removed): what an accept waits on.
    private var listenerTouchCounts: [UInt32]
    /// Per slot, for a connection that had nothing to send at its last dispatch: when it next has work without
    /// new input (its earliest timer; `nil` in ``parkedUntil`` with ``isParked`` set: none). Until then, or until
    /// the slot is touched (a segment for the connection, any use by the application and every other change to
    /// it: ``touch(_:)`` un-parks), dispatch and pollAt pass over it without reading its control block. A server
    /// that closes first keeps hundreds of connections in TIME-WAIT; reading each one per poll halved keep-alive
    /// HTTP (perf: `pollAt` 28 % and control-block copies 11 % of the process, with 240 of 256 slots in TIME-WAIT).
    private var isParked: [Bool]
    private var parkedUntil: [Instant?]
    /// At or before every parked slot's ``parkedUntil`` (`nil`: no parked slot has a deadline), so that a poll
    /// reads no parked slot until the first of them is due: then dispatch wakes the due ones and recomputes it
    /// (``wakeParked(now:)``). Reading each parked slot's deadline at every poll was 15 % of the prod server's
    /// time under `Connection: close` load (256 slots, most in TIME-WAIT).
    private var parkedEarliest: Instant?
    /// The slot of each live connection by its endpoints (segment demultiplexing without a scan).
    private var slotsByEndpoints: [TCPEndpointPair: Int] = [:]
    /// RFC 6528's ISN generator.
    private let isn: InitialSequenceNumber
    /// RFC 4987 §3.6's cookies for full listen queues.
    private let cookies: SYNCookies
    /// What the TCP layer counted.
    public internal(set) var counters = TCPCounters()
    /// The counters of connections already freed.
    private var retiredCounters = TCPConnectionCounters()

    /// Every connection's counters summed, those already freed included (retransmits, duplicate ACKs, resets,
    /// drops since the set was made).
    public var connectionTotals: TCPConnectionCounters {
        var totals = self.retiredCounters
        for connection in self.connections {
            if let connection { totals += connection.counters }
        }
        return totals
    }

    /// Room for `capacity` connections and `listenerCapacity` listeners, with ISNs from `isn` (RFC 6528).
    ///
    /// - Warning: the default keys are fixed, so ISNs and cookies are predictable: a stack keys them with entropy
    ///   (`InitialSequenceNumber(random:)`, ``SYNCookies/init(key0:key1:)``), as `NetworkStack.up` does.
    public init(
        capacity: Int = 16, listenerCapacity: Int = 4,
        isn: InitialSequenceNumber = InitialSequenceNumber(key0: 0x5EED_7C91_2345_6789, key1: 0x0123_4567_89AB_CDEF),
        cookies: SYNCookies = SYNCookies(key0: 0xC00C_1E5E_ED00_0001, key1: 0x7E57_C00C_1E00_0002)
    ) {
        self.cookies = cookies
        self.connections = [TCPControlBlock?](repeating: nil, count: capacity)
        self.touchCounts = [UInt32](repeating: 0, count: capacity)
        self.isParked = [Bool](repeating: false, count: capacity)
        self.parkedUntil = [Instant?](repeating: nil, count: capacity)
        self.listeners = [TCPListenQueue?](repeating: nil, count: listenerCapacity)
        self.listenerTouchCounts = [UInt32](repeating: 0, count: listenerCapacity)
        self.generations = [UInt32](repeating: 0, count: capacity + listenerCapacity)
        self.orphans = [Bool](repeating: false, count: capacity)
        self.origins = [Int](repeating: -1, count: capacity)
        self.isn = isn
    }

    /// RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey).
    func initialSequenceNumber(local: TCPEndpoint, remote: TCPEndpoint, now: Instant) -> UInt32 {
        self.isn.next(
            local: local.address, localPort: local.port, remote: remote.address, remotePort: remote.port, now: now
        ).rawValue
    }

    // MARK: - Opening and closing

    /// Opens a listener on `port`.
    ///
    /// Two budgets bound what its peers can make the set hold, and refuse differently:
    /// - `connectionLimit` (a policy: this port serves at most so many at once): a SYN past it is answered
    ///   <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>, as a closed port is (RFC 9293 §3.10.7.1), so the client fails at
    ///   once (ECONNREFUSED) instead of retrying for a minute; counted in ``TCPCounters/connectionsRefused``.
    ///   Half-open connections count too, so keep it at least `backlog`.
    /// - the set's capacity (every slot live, none in TIME-WAIT to recycle): the SYN is dropped and counted in
    ///   ``TCPCounters/synDropped``, as Linux drops a SYN it cannot queue (`ListenOverflows`): the state is
    ///   transient and the client's retransmitted SYN gets in once a slot frees; nor does a spoofed flood then
    ///   make us send RSTs to the addresses it forges.
    ///
    /// - Throws: ``TCPListenError/addressInUse`` when another listener has the port; ``TCPListenError/exhausted``
    ///   when no listener slot is free.
    public func listen(
        port: UInt16, backlog: Int = 8, configuration: TCPConfiguration = TCPConfiguration(), synCookies: Bool = true,
        connectionLimit: Int? = nil
    ) throws(TCPListenError) -> TCPHandle {
        precondition(port != 0 && backlog >= 1 && (connectionLimit ?? 1) >= 1, "bad listener parameters")
        if self.listeners.contains(where: { $0?.port == port }) { throw .addressInUse }
        guard let slot = self.listeners.firstIndex(where: { $0 == nil }) else { throw .exhausted }
        self.listeners[slot] = TCPListenQueue(
            port: port, backlog: backlog, configuration: configuration, synCookies: synCookies,
            connectionLimit: connectionLimit)
        let index = self.connections.count + slot
        return TCPHandle(index: index, generation: self.generations[index])
    }

    /// Opens a connection from `local` (port 0: a free ephemeral port) to `remote`; the SYN goes out at the
    /// interface's next poll.
    ///
    /// - Throws: ``TCPConnectError/unaddressable`` for an unspecified address or port 0;
    ///   ``TCPConnectError/exhausted`` when no slot or port is free.
    public func connect(
        from local: TCPEndpoint, to remote: TCPEndpoint, now: Instant,
        configuration: TCPConfiguration = TCPConfiguration()
    ) throws(TCPConnectError) -> TCPHandle {
        guard !remote.address.isUnspecified, remote.port != 0, !local.address.isUnspecified else {
            throw .unaddressable
        }
        guard let slot = self.freeConnectionSlot() else { throw .exhausted }
        var local = local
        if local.port == 0 { local.port = try self.freeEphemeralPort(to: remote) }
        let iss = self.initialSequenceNumber(local: local, remote: remote, now: now)
        self.install(
            TCPControlBlock(
                connectingFrom: local, to: remote, iss: iss, configuration: configuration,
                timestampOffset: self.isn.timestampOffset(local: local, remote: remote)),
            at: slot)
        return TCPHandle(index: slot, generation: self.generations[slot])
    }

    /// The next established connection from `listener`'s queue, now the caller's; `nil` when none is ready.
    public func accept(_ listener: TCPHandle) -> TCPHandle? {
        guard let slot = self.listenerSlot(listener) else { return nil }
        self.pruneQueue(slot)
        guard let position = self.listeners[slot]!.queue.firstIndex(where: { handle in
            self.connections[handle.index]!.state != .synReceived
        }) else { return nil }
        return self.listeners[slot]!.queue.remove(at: position)
    }

    /// Frees a connection or listener (a listener's unaccepted connections are aborted). A stale handle is
    /// ignored. Remove a connection after it closed, or ``TCPControlBlock/abort()`` it first.
    public func remove(_ handle: TCPHandle) {
        guard self.isValid(handle) else { return }
        if handle.index >= self.connections.count {
            let slot = handle.index - self.connections.count
            for queued in self.listeners[slot]!.queue {
                self.connections[queued.index]?.abort()
                self.touch(queued.index)
            }
            self.listeners[slot] = nil
            self.listenerTouchCounts[slot] &+= 1
            for index in self.origins.indices where self.origins[index] == slot { self.origins[index] = -1 }
        } else {
            self.retire(handle.index)
        }
        self.generations[handle.index] &+= 1
    }

    /// Lets go of a connection the application is done with; its handle goes stale at once. A connection that
    /// already ended is freed; one still open is detached (``TCPControlBlock/detach()``: a FIN after the queued
    /// data, or a RST if unread data was left, RFC 2525 §2.17) and finishes in the background, FIN-WAIT-2 bounded
    /// by ``TCPConfiguration/finWait2Timeout``; it is freed when it reaches CLOSED (after TIME-WAIT) and has sent
    /// what it owed: Linux's orphaned sockets.
    public func release(_ handle: TCPHandle) {
        guard self.isValid(handle), handle.index < self.connections.count else { return }
        let index = handle.index
        self.touch(index)
        let connection = self.connections[index]!
        let (state, outputDue) = (connection.state, connection.hasOutputDue)
        if state == .closed && !outputDue {
            self.remove(handle)
            return
        }
        // An aborted connection whose RST is still owed (``TCPConnectionOn/abort()`` releases before the poll task
        // sends it) is not an orphan left open: it is freed once the RST went, and not counted.
        if state != .closed {
            connection.detach()
            self.counters.orphaned += 1
        }
        self.orphans[index] = true
        self.generations[index] &+= 1
    }

    /// Whether `handle` names a live connection or listener.
    public func isValid(_ handle: TCPHandle) -> Bool {
        guard handle.index >= 0, handle.index < self.generations.count,
            self.generations[handle.index] == handle.generation
        else { return false }
        if handle.index < self.connections.count { return self.connections[handle.index] != nil }
        return self.listeners[handle.index - self.connections.count] != nil
    }

    /// The connection `handle` names, to read. A change by the application goes through ``modifying(_:)``, which
    /// also tells the set (and any task waiting on the connection) that it changed.
    ///
    /// - Precondition: the handle is valid and names a connection.
    public subscript(connection handle: TCPHandle) -> TCPControlBlock {
        precondition(self.isValid(handle) && handle.index < self.connections.count, "stale TCP handle")
        return self.connections[handle.index]!
    }

    /// The connection `handle` names, for a change (send, receive, close, abort, an option): its slot is touched,
    /// so a connection parked with nothing to send is dispatched again and a task waiting on it re-checks. Every
    /// application-side change must come through here; reads use ``subscript(connection:)``.
    ///
    /// - Precondition: the handle is valid and names a connection.
    public func modifying(_ handle: TCPHandle) -> TCPControlBlock {
        precondition(self.isValid(handle) && handle.index < self.connections.count, "stale TCP handle")
        self.touch(handle.index)
        return self.connections[handle.index]!
    }

    /// The listener `handle` names.
    ///
    /// - Precondition: the handle is valid and names a listener.
    public subscript(listener handle: TCPHandle) -> TCPListenQueue {
        precondition(self.isValid(handle) && handle.index >= self.connections.count, "stale listener handle")
        return self.listeners[handle.index - self.connections.count]!
    }

    /// Live connections (including unaccepted and released ones still closing).
    public var connectionCount: Int { self.connections.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
    /// Connection slots in all.
    public var connectionCapacity: Int { self.connections.count }

    /// How many sockets are in each state of ``TCPState/all`` (RFC 9293 §3.3.2), in that order: listeners under
    /// ``TCPState/listen``, the connection slots under their control block's state (``TCPState/closed``:
    /// connections that ended but whose owner has not released them yet). One pass over the slots, for metrics.
    public func stateCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: TCPState.all.count)
        func add(_ state: TCPState) { if let index = TCPState.all.firstIndex(of: state) { counts[index] += 1 } }
        for listener in self.listeners where listener != nil { add(.listen) }
        for case let connection? in self.connections { add(connection.state) }
        return counts
    }

    // MARK: - For the interface

    /// Hands a segment from `remote` to `local` (its payload borrowed for the call) to its connection, else to a
    /// listener (a SYN), else answers it as a closed port does (RFC 9293 §3.10.7.1). What must go out at once, from
    /// `local` to `remote`, goes to `emit`; the stateless answers (a RST for a closed port, a cookie's SYN-ACK) are
    /// lost when the device refuses them, as on the wire, and the peer's retransmission draws them again.
    func process(
        _ segment: TCPIncomingSegment, local: TCPEndpoint, remote: TCPEndpoint, now: Instant,
        emit: TCPControlBlock.Emit
    ) {
        if let index = self.connectionIndex(local: local, remote: remote) {
            // A queued connection leaving SYN-RECEIVED is one `accept` can take: wake its listener's waiter.
            if self.origins[index] >= 0,
                self.connections[index]?.state == .synReceived
            {
                self.listenerTouchCounts[self.origins[index]] &+= 1
            }
            let connection = self.connections[index]!
            let closed: Bool?
            if connection.acceptsNewSYN(segment.header) {
                // RFC 9293 §3.10.7.4 note / RFC 6191: a new SYN may end TIME-WAIT and open a new connection.
                connection.enterClosed(reason: nil)
                closed = nil
            } else {
                connection.process(segment, now: now, emit: emit)
                closed = connection.state == .closed
            }
            self.touch(index)
            guard let closed else { return self.process(segment, local: local, remote: remote, now: now, emit: emit) }
            self.counters.received += 1
            if closed { self.freeIfUnowned(index) }
            return
        }
        let flags = segment.header.flags
        if let slot = self.listeners.firstIndex(where: { $0?.port == local.port }),
            flags.contains(.syn), !flags.contains(.ack), !flags.contains(.rst)
        {
            self.counters.received += 1
            // RFC 9293 §3.10.7.2 (LISTEN): "third, check for a SYN".
            self.pruneQueue(slot)
            let listener = self.listeners[slot]!
            if self.refuseOverLimit(segment.header, listenerSlot: slot, local: local, remote: remote, emit: emit) {
                return
            }
            if listener.queue.count >= listener.backlog {
                if listener.synCookies {
                    // RFC 4987 §3.6: answer statelessly; the ACK brings the connection back (below).
                    let cookie = self.cookies.make(
                        local: local, remote: remote, peerISN: segment.header.sequenceNumber,
                        mss: segment.header.options.maximumSegmentSize ?? 536, now: now)
                    self.listeners[slot]!.lastCookieAt = now
                    let synAck = TCPControlBlock.cookieSYNACK(
                        answering: segment.header, at: local, from: remote, cookie: cookie,
                        configuration: listener.configuration)
                    if emit(TCPOutgoingSegment(header: synAck, local: local, remote: remote)) {
                        self.counters.synCookiesSent += 1
                    }
                    return
                }
                self.recycleOldestHalfOpen(slot)
            }
            guard self.listeners[slot]!.queue.count < listener.backlog, let free = self.freeConnectionSlot() else {
                self.listeners[slot]!.overflows += 1
                self.counters.synDropped += 1
                return
            }
            let iss = self.initialSequenceNumber(local: local, remote: remote, now: now)
            self.install(
                TCPControlBlock(
                    acceptingSYN: segment.header, at: local, from: remote, iss: iss,
                    configuration: listener.configuration,
                    timestampOffset: self.isn.timestampOffset(local: local, remote: remote)),
                at: free, listenerSlot: slot)
            self.listeners[slot]!.queue.append(TCPHandle(index: free, generation: self.generations[free]))
            return
        }
        if let slot = self.listeners.firstIndex(where: { $0?.port == local.port }) {
            if self.acceptCookie(segment, listenerSlot: slot, local: local, remote: remote, now: now, emit: emit) {
                return
            }
            // RFC 9293 §3.10.7.2 (LISTEN), fourth: "Any other control or text-bearing segment (not containing SYN)
            // must have an ACK and thus would have been discarded by the ACK processing ... drop the segment and
            // return." A RST is ignored (first); only an ACK is answered with a RST (second, below).
            if !flags.contains(.ack) && !flags.contains(.syn) {
                if !flags.contains(.rst) { self.counters.listenDropped += 1 }
                return
            }
        }
        self.counters.noSocket += 1
        if let reset = Self.resetForClosedPort(segment.header, local: local, remote: remote),
            emit(TCPOutgoingSegment(header: reset, local: local, remote: remote))
        {
            self.counters.resetsSent += 1
        }
    }

    /// RFC 9293 §3.10.7.1 (CLOSED): "If the ACK bit is off, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; if the ACK
    /// bit is on, <SEQ=SEG.ACK><CTL=RST>"; an incoming RST is discarded.
    static func resetForClosedPort(_ header: TCPHeader, local: TCPEndpoint, remote: TCPEndpoint) -> TCPHeader? {
        if header.flags.contains(.rst) { return nil }
        if header.flags.contains(.ack) {
            return TCPHeader(
                sourcePort: local.port, destinationPort: remote.port, sequenceNumber: header.acknowledgmentNumber,
                flags: [.rst], window: 0)
        }
        return TCPHeader(
            sourcePort: local.port, destinationPort: remote.port, sequenceNumber: 0,
            acknowledgmentNumber: header.sequenceNumber &+ UInt32(header.sequenceLength), flags: [.rst, .ack],
            window: 0)
    }

    /// Emits the next segment any connection has to send at `now`, round-robin. Returns
    /// ``TCPDispatchResult/refused`` as soon as `emit` refuses one (the device is full): that connection committed
    /// nothing and is first in line at the next dispatch.
    func dispatch(now: Instant, emit: TCPControlBlock.Emit) -> TCPDispatchResult {
        if let earliest = self.parkedEarliest, earliest <= now { self.wakeParked(now: now) }
        let count = self.occupied
        for offset in 0..<count {
            let index = (self.dispatchCursor + offset) % count
            if self.isParked[index] { continue }
            var park: Instant?? = nil
            let outcome: (result: TCPDispatchResult, closed: Bool)?
            if let connection = self.connections[index] {
                // TIME-WAIT has nothing to send until its timer, unless a retransmitted FIN wants its ACK.
                if connection.state == .timeWait, let at = connection.pollAt(now: now), at > now {
                    park = .some(at)
                    outcome = nil
                } else {
                    let result = connection.dispatch(now: now, emit: emit)
                    if result == .idle && connection.state != .closed {
                        let next = connection.pollAt(now: now)
                        if next.map({ $0 > now }) ?? true { park = .some(next) }
                    }
                    outcome = (result, connection.state == .closed)
                }
            } else {
                outcome = nil
            }
            if let park {
                self.isParked[index] = true
                self.parkedUntil[index] = park
                if let until = park { self.lowerParkedEarliest(to: until) }
            }
            guard let outcome else { continue }
            if outcome.closed {
                self.touch(index)
                self.freeIfUnowned(index)
            }
            switch outcome.result {
            case .idle:
                continue
            case .sent:
                self.dispatchCursor = (index + 1) % count
                self.counters.sent += 1
                return .sent
            case .refused:
                self.dispatchCursor = index
                return .refused
            }
        }
        return .idle
    }

    /// The earliest time any connection needs a dispatch, or `nil`.
    func pollAt(now: Instant) -> Instant? {
        var earliest: Instant? = self.parkedEarliest
        for index in 0..<self.occupied where !self.isParked[index] {
            guard let at = self.connections[index]?.pollAt(now: now) else { continue }
            if earliest == nil || at < earliest! { earliest = at }
        }
        return earliest
    }

    // MARK: - Private

    private func listenerSlot(_ handle: TCPHandle) -> Int? {
        guard self.isValid(handle), handle.index >= self.connections.count else { return nil }
        return handle.index - self.connections.count
    }

    /// Un-parks the parked slots whose deadline is at or before `now`, and sets ``parkedEarliest`` to the first
    /// deadline of those that stay parked.
    private func wakeParked(now: Instant) {
        self.parkedEarliest = nil
        for index in 0..<self.occupied where self.isParked[index] {
            guard let until = self.parkedUntil[index] else { continue }
            if until <= now {
                self.isParked[index] = false
            } else {
                self.lowerParkedEarliest(to: until)
            }
        }
    }

    private func lowerParkedEarliest(to deadline: Instant) {
        if self.parkedEarliest == nil || deadline < self.parkedEarliest! { self.parkedEarliest = deadline }
    }

    /// How many times listener `handle` may have had a connection become ready to accept (see
    /// `listenerTouchCounts`); the same for a stale handle as for any other, so a waiter re-checks and finds it gone.
    func listenerTouches(_ handle: TCPHandle) -> UInt32 {
        let slot = handle.index - self.connections.count
        guard slot >= 0, slot < self.listenerTouchCounts.count else { return 0 }
        return self.listenerTouchCounts[slot]
    }

    /// How many times connection slot `index` was touched so far (see `touchCounts`).
    func touches(_ index: Int) -> UInt32 { self.touchCounts[index] }

    /// Notes a change to connection slot `index`: its waiters re-check, and it is dispatched again if parked.
    private func touch(_ index: Int) {
        self.touchCounts[index] &+= 1
        self.isParked[index] = false
    }

    /// The slot of the live (not CLOSED) connection from `local` to `remote`.
    private func connectionIndex(local: TCPEndpoint, remote: TCPEndpoint) -> Int? {
        guard let index = self.slotsByEndpoints[TCPEndpointPair(local: local, remote: remote)] else { return nil }
        guard let state = self.connections[index]?.state, state != .closed else { return nil }
        return index
    }

    /// Puts a new connection in slot `index` (free): indexed by its endpoints, nothing parked, counted against
    /// listener slot `listenerSlot`'s budget if it came from one.
    private func install(_ connection: TCPControlBlock, at index: Int, listenerSlot: Int? = nil) {
        self.slotsByEndpoints[TCPEndpointPair(local: connection.local, remote: connection.remote)] = index
        if let listenerSlot {
            self.origins[index] = listenerSlot
            self.listeners[listenerSlot]!.connectionCount += 1
            self.listenerTouchCounts[listenerSlot] &+= 1
        }
        self.isParked[index] = false
        self.connections[index] = connection
        self.occupied = Swift.max(self.occupied, index + 1)
    }

    /// Drops queued connections that closed before being accepted (reset, timed out).
    private func pruneQueue(_ slot: Int) {
        for handle in self.listeners[slot]!.queue where self.connections[handle.index]?.state == .closed {
            self.retire(handle.index)
            self.generations[handle.index] &+= 1
        }
        self.listeners[slot]!.queue.removeAll { handle in self.generations[handle.index] != handle.generation }
    }

    /// An ACK to a listening port without a connection: when it returns a valid SYN cookie (and cookies went out
    /// in the last 128 s), the connection is made ESTABLISHED and queued for accept, making room by recycling a
    /// half-open entry if need be. Returns true when the segment was taken (any reply went to `emit`), false when
    /// it is not a cookie's ACK.
    private func acceptCookie(
        _ segment: TCPIncomingSegment, listenerSlot slot: Int, local: TCPEndpoint, remote: TCPEndpoint, now: Instant,
        emit: TCPControlBlock.Emit
    ) -> Bool {
        let header = segment.header
        guard header.flags.contains(.ack), !header.flags.contains(.syn), !header.flags.contains(.rst),
            let sent = self.listeners[slot]!.lastCookieAt, now - sent < .seconds(128),
            let mss = self.cookies.check(
                local: local, remote: remote, sequence: header.sequenceNumber,
                acknowledgment: header.acknowledgmentNumber, now: now)
        else { return false }
        self.counters.received += 1
        self.pruneQueue(slot)
        if self.refuseOverLimit(header, listenerSlot: slot, local: local, remote: remote, emit: emit) { return true }
        if self.listeners[slot]!.queue.count >= self.listeners[slot]!.backlog { self.recycleOldestHalfOpen(slot) }
        guard self.listeners[slot]!.queue.count < self.listeners[slot]!.backlog,
            let free = self.freeConnectionSlot()
        else {
            self.counters.synCookiesDropped += 1
            return true
        }
        let configuration = self.listeners[slot]!.configuration
        self.install(
            TCPControlBlock(cookieACK: header, at: local, from: remote, mss: mss, configuration: configuration),
            at: free, listenerSlot: slot)
        self.touch(free)
        self.listeners[slot]!.queue.append(TCPHandle(index: free, generation: self.generations[free]))
        self.counters.synCookiesAccepted += 1
        self.connections[free]!.process(segment, now: now, emit: emit)
        return true
    }

    /// RFC 4987 §3.4 "Recycling the Oldest Half-Open TCB": with the listener's queue full, its oldest connection
    /// still in SYN-RECEIVED whose SYN-ACK already had to be retransmitted is dropped (silently: its peer may not
    /// exist) to make room. A SYN flood from spoofed addresses fills the queue with connections nobody answers;
    /// without this they would keep new clients out until their SYN-ACK retransmissions ran out (minutes). Only
    /// stale ones go (unanswered for a whole retransmission timeout, ≥ 1 s), so a burst of real clients that answer
    /// within a round trip is never cut short; established connections waiting to be accepted never go. Counted in
    /// ``TCPCounters/halfOpenRecycled``.
    private func recycleOldestHalfOpen(_ slot: Int) {
        guard let position = self.listeners[slot]!.queue.firstIndex(where: { handle in
            guard let connection = self.connections[handle.index] else { return false }
            return connection.state == .synReceived && connection.synRetransmitted
        }) else { return }
        let handle = self.listeners[slot]!.queue.remove(at: position)
        self.retire(handle.index)
        self.generations[handle.index] &+= 1
        self.counters.halfOpenRecycled += 1
    }

    /// With listener slot `slot` at its ``TCPListenQueue/connectionLimit``: answers `header` (a SYN, or a cookie's
    /// ACK) with the RST a closed port gives (RFC 9293 §3.10.7.1), counts it and returns true; else false.
    private func refuseOverLimit(
        _ header: TCPHeader, listenerSlot slot: Int, local: TCPEndpoint, remote: TCPEndpoint,
        emit: TCPControlBlock.Emit
    ) -> Bool {
        guard let limit = self.listeners[slot]!.connectionLimit, self.listeners[slot]!.connectionCount >= limit else {
            return false
        }
        self.listeners[slot]!.refused += 1
        self.counters.connectionsRefused += 1
        if let reset = Self.resetForClosedPort(header, local: local, remote: remote),
            emit(TCPOutgoingSegment(header: reset, local: local, remote: remote))
        {
            self.counters.resetsSent += 1
        }
        return true
    }

    /// Empties slot `index`, keeping its connection's counters in the totals.
    private func retire(_ index: Int) {
        if self.origins[index] >= 0 {
            self.listeners[self.origins[index]]?.connectionCount -= 1
            self.origins[index] = -1
        }
        if let connection = self.connections[index] {
            self.retiredCounters += connection.counters
            let key = TCPEndpointPair(local: connection.local, remote: connection.remote)
            if self.slotsByEndpoints[key] == index { self.slotsByEndpoints[key] = nil }
        }
        self.isParked[index] = false
        self.connections[index] = nil
        self.orphans[index] = false
        while self.occupied > 0 && self.connections[self.occupied - 1] == nil { self.occupied -= 1 }
    }

    /// A free connection slot; when there is none, the oldest-ending connection in TIME-WAIT is ended to make one
    /// (counted in ``TCPCounters/timeWaitRecycled``). `nil` when every slot holds a live connection.
    private func freeConnectionSlot() -> Int? {
        if self.occupied < self.connections.count { return self.occupied }  // all slots past it are free
        var victim: Int? = nil
        var victimUntil: Instant? = nil
        for index in self.connections.indices {
            guard let connection = self.connections[index] else { return index }
            guard self.orphans[index], connection.state == .timeWait, let until = connection.timeWaitUntil else { continue }
            if victimUntil == nil || until < victimUntil! {
                victim = index
                victimUntil = until
            }
        }
        guard let victim else { return nil }
        self.connections[victim]!.enterClosed(reason: nil)
        self.touch(victim)
        self.freeIfUnowned(victim)
        self.counters.timeWaitRecycled += 1
        return self.connections[victim] == nil ? victim : nil
    }

    /// Frees a closed connection nobody holds a handle to: released by the application, or still in a listener's
    /// queue.
    private func freeIfUnowned(_ index: Int) {
        if self.orphans[index] {
            // A RST still owed goes out at the next dispatch first.
            if self.connections[index]?.hasOutputDue == true { return }
            self.retire(index)
            self.generations[index] &+= 1
            return
        }
        for slot in self.listeners.indices where self.listeners[slot] != nil {
            if self.listeners[slot]!.queue.contains(where: { $0.index == index }) { self.pruneQueue(slot) }
        }
    }

    private func freeEphemeralPort(to remote: TCPEndpoint) throws(TCPConnectError) -> UInt16 {
        let range = SocketSet.ephemeralPorts
        let size = Int(range.upperBound - range.lowerBound) + 1
        for _ in 0..<size {
            let candidate = self.nextEphemeralPort
            self.nextEphemeralPort = candidate == range.upperBound ? range.lowerBound : candidate + 1
            let taken = self.connections.contains { $0?.local.port == candidate }
                || self.listeners.contains { $0?.port == candidate }
            if !taken { return candidate }
        }
        throw .exhausted
    }
}

/// A connection's two endpoints: the key of ``TCPSocketSet``'s demultiplexing.
struct TCPEndpointPair: Hashable {
    var local: TCPEndpoint
    var remote: TCPEndpoint
}
