/// The async TCP connection of a ``NetworkStack`` (RFC 9293): connect, read, write with back-pressure, half-close,
/// close, abort, each with an optional timeout and typed errors.
///
/// A thin layer over the synchronous ``TCPControlBlock`` in the interface's ``TCPSocketSet``: an operation does what
/// the control block allows now (copy into the send ring, out of the receive ring) and kicks the stack's poll task,
/// which does all the sending; otherwise it parks on the connection's waker until the poll task changed the
/// connection. Nothing here runs the interface or blocks the executor.
import Runtime

/// The TCP connection of apps: on a ``NetworkStack``.
public typealias TCPConnection = TCPConnectionOn<NetDevice, MonotonicClock>

/// One TCP connection on a ``NetworkStackOn``, from ``connect(to:port:on:timeout:configuration:)`` or
/// ``TCPListenerOn/accept(timeout:)``; its timeouts run on the stack's clock.
///
/// Dropping the last reference closes it gracefully, like ``close()``.
public final class TCPConnectionOn<Device: StackDevice, Clock: StackClock> {
    /// The stack the connection lives on.
    public let stack: NetworkStackOn<Device, Clock>
    /// Our address and port.
    public let local: TCPEndpoint
    /// The peer's address and port.
    public let remote: TCPEndpoint
    private var handle: TCPHandle?

    init(stack: NetworkStackOn<Device, Clock>, handle: TCPHandle) {
        self.stack = stack
        self.handle = handle
        let block = stack.sockets.tcp[connection: handle]
        self.local = block.local
        self.remote = block.remote
    }

    deinit {
        self.close()
    }

    /// Opens a connection to `address`:`port` from our address and a free ephemeral port (RFC 9293 §3.10.1) and
    /// waits for the handshake.
    ///
    /// - Parameter timeout: how long the handshake may take (the SYN is retransmitted with back-off meanwhile,
    ///   RFC 6298 (5.5)); `nil` waits until retransmissions run out.
    /// - Throws: ``TCPError/connectionRefused`` (a RST answered), ``TCPError/connectionTimedOut`` (no answer),
    ///   ``TCPError/timedOut`` (`timeout` passed), ``TCPError/unaddressable``, ``TCPError/exhausted``,
    ///   ``TCPError/cancelled``.
    public static func connect(
        to address: IPv4Address, port: UInt16, on stack: NetworkStackOn<Device, Clock>,
        timeout: Duration? = .seconds(75), configuration: TCPConfiguration = TCPConfiguration()
    ) async throws(TCPError) -> TCPConnectionOn {
        guard port != 0, stack.interface.route(to: address) != nil else { throw .unaddressable }
        let handle: TCPHandle
        do throws(TCPConnectError) {
            handle = try stack.interface.connectTCP(
                to: address, port: port, now: stack.clock.now, configuration: configuration, sockets: &stack.sockets)
        } catch .unaddressable {
            throw .unaddressable
        } catch {
            throw .exhausted
        }
        let connection = TCPConnectionOn(stack: stack, handle: handle)
        stack.kick()  // the SYN goes out at the poll task's next poll
        let deadline = timeout.map { stack.clock.now + $0 }
        while true {
            let block = stack.sockets.tcp[connection: handle]
            if block.state.isSynchronized { return connection }
            if let reason = block.closeReason {
                connection.release()
                throw TCPError(reason, synchronized: false)
            }
            do throws(TCPError) {
                try await stack.waitForTCP(until: deadline, on: stack.watch(connection: handle))
            } catch {
                connection.abort()
                throw error
            }
        }
    }

    // MARK: - State

    /// The state (RFC 9293 §3.3.2); `.closed` once released.
    public var state: TCPState {
        guard let handle = self.handle else { return .closed }
        return self.stack.sockets.tcp[connection: handle].state
    }

    /// What the connection counted (retransmits, duplicate ACKs, resets, drops); zero once released.
    public var counters: TCPConnectionCounters {
        guard let handle = self.handle else { return TCPConnectionCounters() }
        return self.stack.sockets.tcp[connection: handle].counters
    }

    /// The control block's one-line summary (sequence variables, windows, RTO), for diagnostics.
    public var details: String {
        guard let handle = self.handle else { return "\(self.local) > \(self.remote) released" }
        return self.stack.sockets.tcp[connection: handle].description
    }

    private func liveHandle() throws(TCPError) -> TCPHandle {
        guard let handle = self.handle else { throw .notConnected }
        return handle
    }

    // MARK: - Reading

    /// Waits for received bytes and moves up to `buffer.count` of them into `buffer`; returns how many, 0 once the
    /// peer closed its side and everything was read (end of stream).
    ///
    /// - Parameter timeout: how long to wait for the first byte; `nil` waits for ever.
    /// - Throws: ``TCPError/connectionReset``, ``TCPError/connectionTimedOut``, ``TCPError/aborted`` when the
    ///   connection ended abnormally; ``TCPError/timedOut``; ``TCPError/cancelled``; ``TCPError/notConnected``
    ///   after ``close()``.
    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration? = nil) async throws(TCPError)
        -> Int
    {
        guard !buffer.isEmpty else { return 0 }
        return try await self.receiveLoop(timeout: timeout) { (handle) throws(TCPReceiveError) in
            try self.stack.sockets.tcp.modifying(handle).receive(into: buffer)
        }
    }

    /// Waits for received bytes and returns up to `maximum` of them; empty once the peer closed its side and
    /// everything was read (end of stream). Errors as ``read(into:timeout:)``.
    public func read(maximum: Int = 65536, timeout: Duration? = nil) async throws(TCPError) -> [UInt8] {
        // Each attempt makes an array of just the bytes there are and copies them straight in, within one synchronous
        // step: nothing is zero-filled, and nothing is allocated while waiting.
        var bytes: [UInt8] = []
        _ = try await self.receiveLoop(timeout: timeout) { (handle) throws(TCPReceiveError) in
            bytes = try self.stack.sockets.tcp.modifying(handle).receive(maximum: Swift.max(1, maximum))
            return bytes.count
        }
        return bytes
    }

    /// The read loop: `attempt` moves what was received (synchronously); when nothing was, waits for the
    /// connection to change and tries again. Returns the bytes moved, 0 at the end of the stream.
    private func receiveLoop(
        timeout: Duration?, _ attempt: (TCPHandle) throws(TCPReceiveError) -> Int
    ) async throws(TCPError) -> Int {
        let deadline = timeout.map { self.stack.clock.now + $0 }
        while true {
            let handle = try self.liveHandle()
            let wasDue = self.stack.sockets.tcp[connection: handle].hasOutputDue
            do throws(TCPReceiveError) {
                let count = try attempt(handle)
                if count > 0 {
                    // Reading may open the window enough for an update (RFC 1122 §4.2.3.3): kick the poll task and
                    // let it send the update before going on. Left until this task next suspends (after it wrote a
                    // whole response, say), the peer waits for the window meanwhile: POST /echo of bench/tcp.sh
                    // ran at a tenth of its rate.
                    if !wasDue && self.stack.sockets.tcp[connection: handle].hasOutputDue {
                        self.stack.kick()
                        await Task.yield()
                    }
                    return count
                }
            } catch .finished {
                return 0
            } catch {
                throw self.endError(handle)
            }
            try await self.stack.waitForTCP(until: deadline, on: self.stack.watch(connection: handle))
        }
    }

    // MARK: - Writing

    /// Queues all of `bytes` for sending, waiting while the send ring is full (back-pressure: the ring drains as
    /// the peer acknowledges); returns once the last byte is queued, not acknowledged.
    ///
    /// - Parameter timeout: how long the whole write may take; on ``TCPError/timedOut`` a prefix of `bytes` may
    ///   have been queued and will be sent.
    /// - Throws: ``TCPError/notConnected`` after ``closeWrite()`` or ``close()``; ``TCPError/connectionReset``,
    ///   ``TCPError/connectionTimedOut``, ``TCPError/aborted``; ``TCPError/timedOut``; ``TCPError/cancelled``.
    public func write(_ bytes: UnsafeRawBufferPointer, timeout: Duration? = nil) async throws(TCPError) {
        try await self.sendLoop(count: bytes.count, timeout: timeout) { (handle, offset) throws(TCPSendError) in
            try self.stack.sockets.tcp.modifying(handle).send(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
    }

    /// ``write(_:timeout:)`` for an array.
    public func write(_ bytes: [UInt8], timeout: Duration? = nil) async throws(TCPError) {
        // Each attempt copies straight from the array, within one synchronous step.
        try await self.sendLoop(count: bytes.count, timeout: timeout) { (handle, offset) throws(TCPSendError) in
            var result: Result<Int, TCPSendError> = .success(0)
            bytes.withUnsafeBytes { raw in
                do throws(TCPSendError) {
                    result = .success(
                        try self.stack.sockets.tcp.modifying(handle).send(
                            UnsafeRawBufferPointer(rebasing: raw[offset...])))
                } catch {
                    result = .failure(error)
                }
            }
            return try result.get()
        }
    }

    /// The write loop: `attempt` queues what fits from byte `offset` on (synchronously); while the send ring is
    /// full, waits for the connection to change (the peer acknowledging) and tries again.
    private func sendLoop(
        count: Int, timeout: Duration?, _ attempt: (TCPHandle, Int) throws(TCPSendError) -> Int
    ) async throws(TCPError) {
        let deadline = timeout.map { self.stack.clock.now + $0 }
        var offset = 0
        while offset < count {
            let handle = try self.liveHandle()
            do throws(TCPSendError) {
                offset += try attempt(handle, offset)
                // Leave the sending to the poll task, which runs once this task yields: a close() right after the
                // last write then rides on the last data segment (one FIN+data segment, as Linux sends) instead of
                // trailing it, so an HTTP client that closes on the complete response does not race our FIN into a
                // simultaneous close and pile up TIME-WAIT sockets (bench/tcp.sh, Connection: close).
                self.stack.kick()
                continue
            } catch .bufferFull {
                self.stack.kick()  // have the poll task send what the ring holds; the peer's ACKs make room
            } catch {
                throw self.endError(handle)
            }
            try await self.stack.waitForTCP(until: deadline, on: self.stack.watch(connection: handle))
        }
    }

    /// ``write(_:timeout:)`` for a string's UTF-8 bytes.
    public func write(_ text: String, timeout: Duration? = nil) async throws(TCPError) {
        try await self.write(Array(text.utf8), timeout: timeout)
    }

    // MARK: - Closing

    /// Half-close (RFC 9293 §3.10.4 CLOSE while reading goes on): a FIN follows the queued data; ``read(into:timeout:)``
    /// keeps returning what the peer sends until its own FIN. Writing afterwards throws
    /// ``TCPError/notConnected``.
    public func closeWrite() {
        guard let handle = self.handle else { return }
        self.stack.sockets.tcp.modifying(handle).close()
        self.stack.kick()
    }

    /// Closes the connection and lets go of it: a FIN follows the queued data and the closing handshake (and
    /// TIME-WAIT) finishes in the background; every later call throws ``TCPError/notConnected``. Returns at once,
    /// as `close(2)` does without `SO_LINGER`.
    public func close() {
        guard let handle = self.handle else { return }
        self.handle = nil
        self.stack.sockets.tcp.release(handle)
        self.stack.kick()
    }

    /// Aborts (RFC 9293 §3.10.5 ABORT): queued data is dropped, a RST goes to the peer, and the connection is let
    /// go.
    public func abort() {
        guard let handle = self.handle else { return }
        self.stack.sockets.tcp.modifying(handle).abort()
        self.release()  // the RST is still owed: the released connection stays until it went out
        self.stack.kick()
    }

    private func release() {
        guard let handle = self.handle else { return }
        self.handle = nil
        self.stack.sockets.tcp.release(handle)
    }

    /// The error for a connection that cannot go on (reset, timed out, aborted, or closed for this operation).
    private func endError(_ handle: TCPHandle) -> TCPError {
        let block = self.stack.sockets.tcp[connection: handle]
        guard let reason = block.closeReason else { return .notConnected }
        return TCPError(reason, synchronized: true)
    }
}
