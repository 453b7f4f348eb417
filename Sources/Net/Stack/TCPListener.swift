/// The async TCP listener of a ``NetworkStack``: a port with a bounded SYN queue (its backlog, RFC 9293
/// §3.10.7.2) whose established connections ``TCPListener/accept(timeout:)`` hands out.
import Runtime

/// The TCP listener of apps: on a ``NetworkStack``.
public typealias TCPListener = TCPListenerOn<NetDevice, MonotonicClock>

/// A listening TCP port on a ``NetworkStackOn``. Dropping the last reference closes it, like ``close()``.
public final class TCPListenerOn<Device: StackDevice, Clock: StackClock> {
    /// The stack the listener lives on.
    public let stack: NetworkStackOn<Device, Clock>
    /// The port.
    public let port: UInt16
    private var handle: TCPHandle?

    /// Listens on `port` of `stack`.
    ///
    /// - Parameters:
    ///   - backlog: connections half-open or established but not yet accepted, at most; SYNs beyond it are
    ///     dropped and counted (``overflows``), so the peer retransmits them later.
    ///   - configuration: the settings every accepted connection gets (its MSS is capped to the MTU).
    ///   - connectionLimit: connections from this listener alive at once (half-open and closing ones included),
    ///     at most; a SYN past it is refused with a RST and counted (``refused``). `nil`: as many as the stack has
    ///     TCP slots (a SYN that finds none free is dropped and counted in ``overflows``).
    /// - Throws: ``TCPError/addressInUse``, ``TCPError/exhausted``, ``TCPError/unaddressable`` for port 0.
    public static func listen(
        port: UInt16, backlog: Int = 64, on stack: NetworkStackOn<Device, Clock>,
        configuration: TCPConfiguration = TCPConfiguration(), connectionLimit: Int? = nil
    ) throws(TCPError) -> TCPListenerOn {
        guard port != 0 else { throw .unaddressable }
        do throws(TCPListenError) {
            let handle = try stack.interface.listenTCP(
                port: port, backlog: Swift.max(1, backlog), configuration: configuration,
                connectionLimit: connectionLimit.map { Swift.max(1, $0) }, sockets: &stack.sockets)
            return TCPListenerOn(stack: stack, handle: handle, port: port)
        } catch .addressInUse {
            throw .addressInUse
        } catch {
            throw .exhausted
        }
    }

    private init(stack: NetworkStackOn<Device, Clock>, handle: TCPHandle, port: UInt16) {
        self.stack = stack
        self.handle = handle
        self.port = port
    }

    deinit {
        self.close()
    }

    /// SYNs dropped because the backlog (or the stack's connection slots) was full.
    public var overflows: Int {
        guard let handle = self.handle else { return 0 }
        return self.stack.sockets.tcp[listener: handle].overflows
    }

    /// SYNs refused with a RST because the listener had its `connectionLimit` of connections.
    public var refused: Int {
        guard let handle = self.handle else { return 0 }
        return self.stack.sockets.tcp[listener: handle].refused
    }

    /// Waits for the next established connection and returns it.
    ///
    /// - Parameter timeout: how long to wait; `nil` waits for ever.
    /// - Throws: ``TCPError/timedOut``, ``TCPError/cancelled``, ``TCPError/notConnected`` after ``close()``.
    public func accept(timeout: Duration? = nil) async throws(TCPError) -> TCPConnectionOn<Device, Clock> {
        let deadline = timeout.map { self.stack.clock.now + $0 }
        while true {
            guard let handle = self.handle else { throw .notConnected }
            if let connection = self.stack.sockets.tcp.accept(handle) {
                return TCPConnectionOn(stack: self.stack, handle: connection)
            }
            try await self.stack.waitForTCP(until: deadline, on: self.stack.watch(listener: handle))
        }
    }

    /// Accepts connections and runs `handler` on each in a task of its own, as a server's main loop: for ever, or
    /// until `count` connections were accepted and their handlers returned. The handler owns its connection
    /// (close or abort it; dropping it closes it).
    ///
    /// - Returns: the connections handled (only with a `count`).
    /// - Throws: ``TCPError/cancelled`` when the calling task is cancelled; ``TCPError/notConnected`` after
    ///   ``close()``. Handlers already running go on.
    @discardableResult
    public func serve(
        count: Int? = nil, _ handler: @escaping (TCPConnectionOn<Device, Clock>) async -> Void
    ) async throws(TCPError)
        -> Int
    {
        var running: [Task<Void, Never>] = []
        let limit = count ?? Int.max
        var accepted = 0
        while accepted < limit {
            let connection = try await self.accept()
            accepted += 1
            let task = Task { await handler(connection) }
            if count != nil { running.append(task) }
        }
        for task in running { await task.value }
        return accepted
    }

    /// Stops listening; connections not yet accepted are reset.
    public func close() {
        guard let handle = self.handle else { return }
        self.handle = nil
        self.stack.sockets.tcp.remove(handle)
        self.stack.kick()  // RSTs for the connections not yet accepted
    }
}
