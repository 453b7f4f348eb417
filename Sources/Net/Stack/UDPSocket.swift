/// The async UDP socket (RFC 768) of a ``NetworkStack``: bind, send, receive with an optional timeout.
///
/// A thin layer over the synchronous ``UDPSocketMachine`` in the stack's ``SocketSet``: `receive` takes a queued
/// datagram or parks on the socket's waker until the poll task delivered one; `send` queues the datagram (waiting
/// while the socket's send queue is full) and kicks the poll task, which sends it. Each operation has its own error
/// enum.
import Runtime

/// Why ``UDPSocket/send(_:to:port:)`` sent nothing.
public enum UDPSendError: Error, Equatable, CustomStringConvertible {
    /// More than ``NetworkStack/maximumUDPPayload`` bytes: there is no fragmentation.
    case tooLarge
    /// No route to the address (unspecified, our own, off-link without a gateway) or port 0.
    case unaddressable
    /// The calling task was cancelled while the socket's send queue was full; nothing was queued.
    case cancelled

    public var description: String {
        switch self {
        case .tooLarge: "datagram larger than the MTU allows"
        case .unaddressable: "no route to that address, or port 0"
        case .cancelled: "cancelled"
        }
    }
}

/// Why ``UDPSocket/receive(timeout:)`` returned no datagram.
public enum UDPReceiveError: Error, Equatable, CustomStringConvertible {
    /// The timeout passed first.
    case timedOut
    /// The calling task was cancelled.
    case cancelled

    public var description: String {
        switch self {
        case .timedOut: "timed out"
        case .cancelled: "cancelled"
        }
    }
}

/// The UDP socket of apps: on a ``NetworkStack``.
public typealias UDPSocket = UDPSocketOn<NetDevice, MonotonicClock>

/// A bound UDP port on a ``NetworkStackOn``; its timeouts run on the stack's clock.
public final class UDPSocketOn<Device: StackDevice, Clock: StackClock> {
    /// The stack the socket lives on.
    public let stack: NetworkStackOn<Device, Clock>
    /// The local port.
    public let port: UInt16
    private var handle: UDPHandle?

    /// Binds a socket to `port` on `stack` (0: a free ephemeral port, 49152...65535).
    ///
    /// - Parameter receiveCapacity: datagrams queued before more are dropped (counted in
    ///   ``UDPCounters/queueOverflows``).
    /// - Throws: ``UDPBindError/addressInUse`` or ``UDPBindError/exhausted``.
    public static func bind(
        port: UInt16, on stack: NetworkStackOn<Device, Clock>, receiveCapacity: Int = 16
    ) throws(UDPBindError) -> UDPSocketOn {
        let handle = try stack.sockets.bindUDP(port: port, receiveCapacity: receiveCapacity)
        return UDPSocketOn(stack: stack, handle: handle, port: stack.sockets[udp: handle].port)
    }

    private init(stack: NetworkStackOn<Device, Clock>, handle: UDPHandle, port: UInt16) {
        self.stack = stack
        self.handle = handle
        self.port = port
    }

    deinit {
        self.close()
    }

    /// Unbinds the port; queued datagrams are dropped. Using the socket afterwards is a precondition failure.
    public func close() {
        guard let handle = self.handle else { return }
        self.stack.sockets.remove(handle)
        self.handle = nil
    }

    private var liveHandle: UDPHandle {
        guard let handle = self.handle else { preconditionFailure("UDP socket used after close") }
        return handle
    }

    /// Sends `bytes` to `address`:`port` from this socket's port and our address.
    ///
    /// Suspends only while the socket's send queue is full (until the poll task took a datagram from it); does
    /// not wait for ARP: a datagram to an unresolved neighbour waits in the interface's bounded queue, and one the
    /// device cannot take is dropped and counted, as UDP allows. The poll task sends the datagram once this task
    /// suspends.
    /// - Throws: ``UDPSendError/tooLarge``, ``UDPSendError/unaddressable``, ``UDPSendError/cancelled``.
    public func send(_ bytes: [UInt8], to address: IPv4Address, port: UInt16) async throws(UDPSendError) {
        guard bytes.count <= self.stack.maximumUDPPayload else { throw .tooLarge }
        guard port != 0, self.stack.interface.route(to: address) != nil else { throw .unaddressable }
        while !self.stack.sockets[udp: self.liveHandle].canSend {
            if Task.isCancelled { throw .cancelled }
            let wait = self.stack.watch(udp: self.liveHandle)
            self.stack.kick()
            await self.stack.waitForProgress(on: wait)
        }
        do throws(UDPSocketSendError) {
            try self.stack.sockets[udp: self.liveHandle].send(bytes, to: address, port: port)
        } catch {
            // Only `.bufferFull` is possible after the checks above, and the loop waited for room.
            throw .unaddressable
        }
        // Let the kicked poll task run before returning, so the datagram is on its way when send returns (an app
        // that sends its last answer and exits still sends it).
        self.stack.kick()
        await Task.yield()
    }

    /// Waits for the next datagram and returns its payload, source address and source port.
    ///
    /// - Parameter timeout: how long to wait at most; `nil` waits for ever.
    /// - Throws: ``UDPReceiveError/timedOut`` when `timeout` passed; ``UDPReceiveError/cancelled`` when the
    ///   calling task was cancelled.
    public func receive(
        timeout: Duration? = nil
    ) async throws(UDPReceiveError) -> (bytes: [UInt8], from: IPv4Address, port: UInt16) {
        let deadline = timeout.map { self.stack.clock.now + $0 }
        while true {
            if let datagram = self.stack.sockets[udp: self.liveHandle].receive() {
                return (datagram.payload, datagram.address, datagram.port)
            }
            if Task.isCancelled { throw .cancelled }
            let wait = self.stack.watch(udp: self.liveHandle)
            guard let deadline else {
                await self.stack.waitForProgress(on: wait)
                continue
            }
            guard self.stack.clock.now < deadline else { throw .timedOut }
            await self.stack.waitForProgress(until: deadline, on: wait)
        }
    }
}
