/// The UDP socket (RFC 768) as a synchronous state machine: a bound port, a bounded receive queue and a bounded
/// send queue (smoltcp `socket/udp.rs`).
///
/// Sockets live in a ``SocketSet`` and are reached by ``UDPHandle``. Public calls never block: ``send(_:to:port:)``
/// queues a datagram for the interface's next poll and ``receive()`` takes one that the interface delivered. The
/// interface alone calls the internal `process` (a datagram arrived for this port) and `dispatch` (take the next
/// datagram to send). The async ``UDPSocket`` of `Sources/Net/Stack` waits for readiness and retries these.
import Runtime

/// A datagram with the address and port of its peer: the source of a received one, the destination of one to send.
public struct UDPDatagram: Equatable, Sendable {
    /// The payload.
    public var payload: [UInt8]
    /// The peer's address.
    public var address: IPv4Address
    /// The peer's port.
    public var port: UInt16

    public init(payload: [UInt8], address: IPv4Address, port: UInt16) {
        self.payload = payload
        self.address = address
        self.port = port
    }
}

/// Why ``UDPSocketMachine/send(_:to:port:)`` queued nothing.
public enum UDPSocketSendError: Error, Equatable, CustomStringConvertible {
    /// The destination address is unspecified or the port is 0.
    case unaddressable
    /// The send queue is full; retry after the interface has polled.
    case bufferFull

    public var description: String {
        switch self {
        case .unaddressable: "unaddressable"
        case .bufferFull: "send queue full"
        }
    }
}

/// One bound UDP port's queues.
public struct UDPSocketMachine {
    /// The local port, never 0.
    public let port: UInt16
    /// Datagrams the receive queue holds; more are dropped and counted in ``receiveOverflows``.
    public let receiveCapacity: Int
    /// Datagrams the send queue holds.
    public let sendCapacity: Int
    /// Datagrams dropped because the receive queue was full.
    public private(set) var receiveOverflows = 0

    private var receiveQueue: [UDPDatagram] = []
    private var receiveHead = 0
    private var sendQueue: [UDPDatagram] = []
    private var sendHead = 0

    /// A socket bound to `port` with these queue sizes (in datagrams).
    ///
    /// - Precondition: `port != 0`, capacities ≥ 1.
    public init(port: UInt16, receiveCapacity: Int = 16, sendCapacity: Int = 16) {
        precondition(port != 0 && receiveCapacity >= 1 && sendCapacity >= 1, "bad UDP socket parameters")
        self.port = port
        self.receiveCapacity = receiveCapacity
        self.sendCapacity = sendCapacity
    }

    /// Datagrams waiting to be received.
    public var receiveQueueCount: Int { self.receiveQueue.count - self.receiveHead }
    /// Datagrams waiting to be sent.
    public var sendQueueCount: Int { self.sendQueue.count - self.sendHead }
    /// Whether ``receive()`` would return a datagram.
    public var canReceive: Bool { self.receiveQueueCount > 0 }
    /// Whether ``send(_:to:port:)`` would queue a datagram.
    public var canSend: Bool { self.sendQueueCount < self.sendCapacity }

    /// Queues a datagram for `address`:`port`; the interface sends it at its next poll.
    ///
    /// - Throws: ``UDPSocketSendError/unaddressable`` for `0.0.0.0` or port 0; ``UDPSocketSendError/bufferFull``
    ///   when the send queue is full.
    public mutating func send(
        _ payload: [UInt8], to address: IPv4Address, port: UInt16
    ) throws(UDPSocketSendError) {
        guard !address.isUnspecified, port != 0 else { throw .unaddressable }
        guard self.canSend else { throw .bufferFull }
        self.sendQueue.append(UDPDatagram(payload: payload, address: address, port: port))
    }

    /// Takes the oldest received datagram, or returns `nil` when there is none.
    public mutating func receive() -> UDPDatagram? {
        Self.pop(&self.receiveQueue, &self.receiveHead)
    }

    /// A datagram arrived for this port; returns false when the queue was full and it was dropped (counted).
    mutating func process(_ payload: UnsafeRawBufferPointer, from address: IPv4Address, port: UInt16) -> Bool {
        guard self.receiveQueueCount < self.receiveCapacity else {
            self.receiveOverflows += 1
            return false
        }
        self.receiveQueue.append(UDPDatagram(payload: Array(payload), address: address, port: port))
        return true
    }

    /// The next datagram to send, removed from the queue.
    mutating func dispatch() -> UDPDatagram? {
        Self.pop(&self.sendQueue, &self.sendHead)
    }

    /// The datagram at `head`, advancing it; compacts the array once it is half consumed (amortised O(1)).
    private static func pop(_ queue: inout [UDPDatagram], _ head: inout Int) -> UDPDatagram? {
        guard head < queue.count else { return nil }
        let datagram = queue[head]
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head * 2 >= queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return datagram
    }
}
