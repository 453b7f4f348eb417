/// The async network stack: an ``Interface`` over a device, its ``SocketSet``, an ``IPv4Reassembler`` for
/// fragments, and a poll task on Swiftlet's executor.
///
/// ``NetworkStackOn`` is generic over its device (``StackDevice``) and its clock (``StackClock``), specialised at
/// compile time (Embedded Swift: no existentials in the hot path). Apps use ``NetworkStack``, the stack on a
/// Runtime ``NetDevice`` and the ``MonotonicClock``; the tests also run the same async API over NetTesting's
/// simulated link in virtual time (Tests/DualMode/tcp-api, `VirtualLinkTests.swift`).
///
/// The stack's one poll task is the only caller of the interface: it polls with its clock's `now`, wakes the socket
/// waiters whose socket changed, then parks on one wait until the device has frames (``StackDevice``), the
/// interface's ``Interface/nextPollTime(now:sockets:)`` arrives, or a socket operation kicks it (``kick()``). Socket
/// operations (``TCPConnectionOn``, ``TCPListenerOn``, ``UDPSocketOn``, ``resolve(_:timeout:)``) only call the
/// non-blocking socket methods and kick; when they would block, they park on their socket's waker
/// (`SocketWakers.swift`); wakes may be spurious and are followed by a retry (smoltcp §4's one-shot waker).
/// Everything runs on the executor's one thread, so nothing here locks (docs/ARCHITECTURE.md §4).
///
/// ```swift
/// let stack = try await NetworkStack.up(device: "service", configuration: .dhcp, timeout: .seconds(30))
/// let address = try await stack.resolve("example.com", timeout: .seconds(10))
/// let socket = try UDPSocket.bind(port: 7, on: stack)
/// let (bytes, from, port) = try await socket.receive()
/// try await socket.send(bytes, to: from, port: port)
/// ```
import Runtime

/// Why ``NetworkStack/up(device:configuration:socketCapacity:timeout:)`` brought nothing up.
public enum NetworkStackError: Error, Equatable, CustomStringConvertible {
    /// No net device has that name in the manifest, or it was acquired already.
    case deviceUnavailable
    /// ``StackConfiguration/dhcp``: no lease was bound before the timeout (no server answered, or every
    /// offered address was in use). The stack keeps trying in the background.
    case dhcpTimedOut
    /// The boot arguments' `ip=`, `gw=` or `dns=` is malformed (``NetworkStack/up(device:bootArguments:tcpCapacity:timeout:)``).
    case invalidArguments(StackConfigurationError)

    public var description: String {
        switch self {
        case .deviceUnavailable: "no such net device, or it is in use"
        case .dhcpTimedOut: "no DHCP lease in time (is a DHCP server on the link? or use ip=a.b.c.d/n)"
        case .invalidArguments(let error): error.description
        }
    }

    /// The exit status an app conventionally returns for it: 2 for bad boot arguments, else 1.
    public var exitStatus: Int32 {
        if case .invalidArguments = self { return 2 }
        return 1
    }
}

/// The network stack of apps: on a Runtime ``NetDevice``, timed by the ``MonotonicClock``.
public typealias NetworkStack = NetworkStackOn<NetDevice, MonotonicClock>

/// A running network stack on one device, timed by one clock (see the file's comment).
public final class NetworkStackOn<Device: StackDevice, Clock: StackClock> {
    let interface: Interface<Device>
    var sockets: SocketSet
    let reassembly: SharedIPv4Reassembler
    /// What the stack reads `now` from and sleeps on; socket operations time their timeouts with it too.
    public let clock: Clock
    /// Random numbers for DHCP transaction IDs and DNS query IDs and ports (the platform's entropy in apps).
    let random: () -> UInt64

    private var pollWaiter: UnsafeContinuation<Void, Never>?
    private var wakePending = false
    /// The poll task's armed deadline and its clock wake (``StackClock/wake(at:_:)``).
    private var timerDeadline: Instant?
    private var timerWake: UInt64?
    /// The parked socket operations and what each waits for (per-socket wakers).
    private var wakers = SocketWakers()
    /// DNS servers given with the configuration (or set); when empty, the lease's are used.
    private var configuredDNSServers: [IPv4Address] = []

    /// Polls run by the poll task so far (for diagnostics).
    public private(set) var polls: UInt64 = 0
    /// Parked socket operations resumed after a poll so far, by their socket's waker (for diagnostics and the
    /// tests of per-socket wakers).
    public private(set) var socketWakes: UInt64 = 0

    /// Acquires net device `name`, configures it and starts the poll task; with DHCP, returns once a lease is
    /// bound.
    ///
    /// With a static address the first poll announces it (gratuitous ARP, RFC 5227). With
    /// ``StackConfiguration/dhcp`` the interface broadcasts a DHCPDISCOVER from 0.0.0.0 at once (RFC 2131 §4.4.1;
    /// the optional random wait of up to 10 s is skipped), ARP-probes the offered address (RFC 5227 §2.1.1,
    /// about 2–5 s) and then applies the lease: address, default route (option 3) and DNS servers (option 6).
    /// The poll task renews it at T1, rebinds at T2, and removes the address if it expires.
    /// - Parameters:
    ///   - socketCapacity: UDP sockets at most.
    ///   - tcpCapacity: TCP connections at most (accepted, connecting, and closing in the background); when all are
    ///     taken, the oldest released connection in TIME-WAIT makes room.
    ///   - timeout: how long DHCP may take (ignored for a static address).
    /// - Throws: ``NetworkStackError/deviceUnavailable`` when the device cannot be acquired;
    ///   ``NetworkStackError/dhcpTimedOut`` when DHCP bound no lease within `timeout`.
    public static func up(
        device name: String, configuration: StackConfiguration, socketCapacity: Int = 16,
        tcpCapacity: Int = 256, timeout: Duration = .seconds(30)
    ) async throws(NetworkStackError) -> NetworkStack where Device == NetDevice, Clock == MonotonicClock {
        let device: NetDevice
        do throws(ABIError) {
            device = try NetDevice.acquire(name)
        } catch {
            throw .deviceUnavailable
        }
        // RFC 6528 §3, RFC 4987 §3.6: the ISN and SYN-cookie secrets come from the platform's entropy, once per boot.
        let stack = NetworkStack.start(
            device: device, clock: MonotonicClock(), configuration: configuration, socketCapacity: socketCapacity,
            tcpCapacity: tcpCapacity, random: { Entropy.next() })
        guard configuration == .dhcp else { return stack }
        let deadline = Instant.now + timeout
        while true {
            let wait = stack.sockets.dhcpHandle.map { stack.watch(dhcp: $0) } ?? .poll
            if stack.interface.lease != nil { break }
            guard Instant.now < deadline else { throw .dhcpTimedOut }
            await stack.waitForProgress(until: deadline, on: wait)
        }
        return stack
    }

    /// Starts a stack on `device`, timed by `clock`, with `configuration` (DHCP starts in the background: the
    /// stack has an address once ``lease`` is set), and its poll task; for a device an app acquired itself, or a
    /// simulated one in tests.
    ///
    /// - Parameters:
    ///   - socketCapacity: UDP sockets at most.
    ///   - tcpCapacity: TCP connections at most (see ``up(device:configuration:socketCapacity:tcpCapacity:timeout:)``).
    ///   - random: the source of the TCP ISN and SYN-cookie secrets (RFC 6528 §3, RFC 4987 §3.6), DHCP transaction
    ///     IDs and DNS query IDs: the platform's entropy in apps, a seeded generator in deterministic tests.
    public static func start(
        device: Device, clock: Clock, configuration: StackConfiguration, socketCapacity: Int = 16,
        tcpCapacity: Int = 256, random: @escaping () -> UInt64
    ) -> NetworkStackOn {
        var address: IPv4CIDR? = nil
        var gateway: IPv4Address? = nil
        var servers: [IPv4Address] = []
        if case .static(let cidr, let router, let dnsServers) = configuration {
            address = cidr
            gateway = router
            servers = dnsServers
        }
        let interface = Interface(
            device: device, configuration: InterfaceConfiguration(address: address, gateway: gateway))
        let tcp = TCPSocketSet(
            capacity: Swift.max(1, tcpCapacity), isn: InitialSequenceNumber(random: random),
            cookies: SYNCookies(key0: random(), key1: random()))
        let reassembly = SharedIPv4Reassembler()
        interface.reassembler = reassembly.hook
        let stack = NetworkStackOn(
            interface: interface, sockets: SocketSet(capacity: socketCapacity, tcp: tcp), reassembly: reassembly,
            clock: clock, random: random)
        stack.configuredDNSServers = servers
        if configuration == .dhcp { interface.startDHCP(random: random, sockets: &stack.sockets) }
        stack.startPolling()
        return stack
    }

    // Only stores: the class's metadata keeps its initializer alive in every image (Embedded Swift), so the work of
    // building a stack is in `start`, which an app that does not call it does not link.
    init(
        interface: Interface<Device>, sockets: SocketSet, reassembly: SharedIPv4Reassembler, clock: Clock,
        random: @escaping () -> UInt64
    ) {
        self.interface = interface
        self.sockets = sockets
        self.reassembly = reassembly
        self.clock = clock
        self.random = random
    }

    /// The interface's counters, per layer, TCP included; `description` is one line.
    public var counters: InterfaceCounters {
        var counters = self.interface.counters
        counters.tcp = self.sockets.tcp.counters
        counters.tcpConnections = self.sockets.tcp.connectionTotals
        return counters
    }
    /// What IPv4 reassembly completed and dropped (fragments reach ``IPv4Reassembler`` through the interface).
    public var reassemblyStatistics: IPv4Reassembler.Statistics { self.reassembly.statistics }
    /// The address and prefix.
    public var address: IPv4CIDR? { self.interface.address }
    /// The default gateway.
    public var gateway: IPv4Address? { self.interface.gateway }
    /// The DHCP lease in force, with ``StackConfiguration/dhcp``.
    public var lease: DHCPLease? { self.interface.lease }
    /// The DNS servers ``resolve(_:timeout:)`` asks, in order: those given with a static configuration (or set
    /// here), else the lease's (DHCP option 6). Setting `[]` goes back to the lease's.
    public var dnsServers: [IPv4Address] {
        get { self.configuredDNSServers.isEmpty ? (self.interface.lease?.dnsServers ?? []) : self.configuredDNSServers }
        set { self.configuredDNSServers = newValue }
    }
    /// The next lease change the stack applied (bound, renewed, lost), oldest first; the last 8 are kept.
    public func takeDHCPEvent() -> DHCPEvent? { self.interface.takeDHCPEvent() }
    /// The device's MAC address.
    public var mac: MACAddress { self.interface.mac }
    /// The largest UDP payload a datagram may carry (MTU − 28; there is no fragmentation).
    public var maximumUDPPayload: Int { self.interface.maximumUDPPayload }

    // MARK: - The poll task

    private func startPolling() {
        // Device readiness: the device calls back (the executor's readiness for a real one) when frames arrive.
        self.interface.device.watchArrivals { self.kick() }
        Task { await self.pollLoop() }
    }

    private func pollLoop() async {
        while true {
            let now = self.clock.now
            self.interface.poll(now: now, sockets: &self.sockets)
            self.polls &+= 1
            self.wakeSocketWaiters()
            var next = self.nextPollTime(now: now, sockets: &self.sockets)
            if let timeout = self.wakers.earliestDeadline, next == nil || timeout < next! { next = timeout }
            if let arrival = self.interface.device.nextArrivalTime(), next == nil || arrival < next! { next = arrival }
            if let next, next <= now {
                // Budget used up: let every other task run a step, then go on.
                await Task.yield()
                continue
            }
            if let next { self.armTimer(next) }
            await self.park()
        }
    }

    /// The interface's next poll time, reading the set in place: passed by value from this class's property, the
    /// set would be copied at each poll (an outlined copy of its every field, with a retain of each buffer).
    private func nextPollTime(now: Instant, sockets: inout SocketSet) -> Instant? {
        self.interface.nextPollTime(now: now, sockets: sockets)
    }

    /// Makes sure the poll task wakes by `deadline`; an earlier timer already armed is kept (an early wake only
    /// costs one poll).
    private func armTimer(_ deadline: Instant) {
        if let armed = self.timerDeadline, armed <= deadline { return }
        if let wake = self.timerWake { self.clock.cancelWake(wake) }
        self.timerDeadline = deadline
        self.timerWake = self.clock.wake(at: deadline) {
            self.timerDeadline = nil
            self.timerWake = nil
            self.kick()
        }
    }

    private func park() async {
        if self.wakePending {
            self.wakePending = false
            return
        }
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            self.pollWaiter = continuation
        }
        self.wakePending = false
    }

    /// Kicks the poll task: an application task changed a socket (queued data, closed, aborted, read enough to
    /// open the window) and leaves the sending to the poll task, which runs once the kicking task suspends. Also
    /// what device readiness and the deadline timer call. Several kicks before the poll task runs cost one poll.
    func kick() {
        if let waiter = self.pollWaiter {
            self.pollWaiter = nil
            waiter.resume()
        } else {
            self.wakePending = true
        }
    }

    // MARK: - Socket waiters

    /// Resumes the waiters whose socket changed in the poll just run, and those whose deadline passed.
    private func wakeSocketWaiters() {
        guard !self.wakers.isEmpty else { return }
        for continuation in self.wakers.takeReady(now: self.clock.now, { self.hasChanged($0) }) {
            self.socketWakes &+= 1
            continuation.resume()
        }
    }

    /// Whether what `wait` waits on may have changed since its touch count was noted.
    private func hasChanged(_ wait: SocketWait) -> Bool {
        switch wait {
        case .connection(let slot, let seen): self.sockets.tcp.touches(slot) != seen
        case .listener(let handle, let seen): self.sockets.tcp.listenerTouches(handle) != seen
        case .datagram(let handle, let seen): self.sockets.touches(handle) != seen
        case .dhcp(let handle, let seen): self.sockets.touches(handle) != seen
        case .query(let handle, let seen): self.sockets.touches(handle) != seen
        case .poll: true
        }
    }

    /// A wait for TCP connection `handle` to change, from now.
    func watch(connection handle: TCPHandle) -> SocketWait {
        .connection(slot: handle.index, seen: self.sockets.tcp.touches(handle.index))
    }

    /// A wait for listener `handle` to have a connection to accept, from now.
    func watch(listener handle: TCPHandle) -> SocketWait {
        .listener(handle, seen: self.sockets.tcp.listenerTouches(handle))
    }

    /// A wait for UDP socket `handle` to receive a datagram or send one, from now.
    func watch(udp handle: UDPHandle) -> SocketWait {
        .datagram(handle, seen: self.sockets.touches(handle))
    }

    /// A wait for DHCP client `handle` to apply a lease change (bound, renewed, lost), from now.
    func watch(dhcp handle: DHCPHandle) -> SocketWait {
        .dhcp(handle, seen: self.sockets.touches(handle))
    }

    /// A wait for DNS query `handle` to end, from now.
    func watch(dns handle: DNSHandle) -> SocketWait {
        .query(handle, seen: self.sockets.touches(handle))
    }

    /// Parks the calling task until `wait` is satisfied after a poll, or `deadline`; for the TCP API, whose callers
    /// re-check their connection or listener.
    ///
    /// Note `wait` (``watch(connection:)``, ``watch(listener:)``) before the caller's last check of its socket and
    /// before any suspension: a segment that arrives between that check and the wait's registration moves the
    /// touch count the wait noted, so the wait ends at once instead of missing it.
    /// - Throws: ``TCPError/cancelled`` when the task is (or gets) cancelled; ``TCPError/timedOut`` once `deadline`
    ///   passed.
    func waitForTCP(until deadline: Instant?, on wait: SocketWait) async throws(TCPError) {
        if Task.isCancelled { throw .cancelled }
        if let deadline {
            guard self.clock.now < deadline else { throw .timedOut }
        }
        await self.waitForProgress(until: deadline, on: wait)
        if Task.isCancelled { throw .cancelled }
    }

    /// Parks the calling task until a poll after which `wait` is satisfied, `deadline` (nil: none) or its
    /// cancellation, whichever comes first; the caller re-checks its socket (and the time).
    ///
    /// The deadline is kept with the waiter, and the poll task wakes by the earliest one (``SocketWakers``): no
    /// timer task per wait. A race of the wait against a sleep made two child tasks, a task group and their
    /// cancellation records for each read that had to wait: per request, on a keep-alive HTTP connection.
    func waitForProgress(until deadline: Instant? = nil, on wait: SocketWait = .poll) async {
        if let deadline, self.clock.now >= deadline { return }
        let state = SocketWaitState()
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                if state.cancelled {
                    continuation.resume()
                } else if case .poll = wait {
                    state.id = self.wakers.park(wait, until: deadline, continuation)
                } else if self.hasChanged(wait) {
                    continuation.resume()  // changed while this wait was being set up
                } else {
                    state.id = self.wakers.park(wait, until: deadline, continuation)
                }
                if state.id != nil, let deadline { self.armTimer(deadline) }
            }
        } onCancel: {
            state.cancelled = true
            if let id = state.id, let continuation = self.wakers.unpark(id) { continuation.resume() }
        }
    }
}

/// Shared between a parked socket wait and its cancellation handler (one thread: no locking).
private final class SocketWaitState: @unchecked Sendable {
    var id: UInt64?
    var cancelled = false
}
