/// The sockets an ``Interface`` serves, reached by handles (smoltcp `iface/socket_set.rs`).
///
/// The interface does not own the set: `poll(now:sockets:)` borrows it, so an app (or the async stack) keeps it and
/// reaches each socket through its ``UDPHandle``. A handle names one slot and one generation, so a handle kept
/// after ``SocketSet/remove(_:)`` never reaches the socket that later reuses the slot. It holds every socket the
/// stack owns: UDP sockets, TCP connections and listeners (``tcp``, a ``TCPSocketSet``, by a ``TCPHandle``), the
/// DHCP client (``DHCPSocket``, at most one, by a ``DHCPHandle``) and DNS queries (``DNSLookup`` by a ``DNSHandle``,
/// `SocketSet+DNS.swift`).
import Runtime

/// What kind of socket a ``SocketHandle`` names: the set that made it.
public protocol SocketKind {}
/// A UDP socket of a ``SocketSet``.
public enum UDPSocketKind: SocketKind {}
/// A TCP connection or listener of a ``TCPSocketSet`` (``SocketSet/tcp``).
public enum TCPSocketKind: SocketKind {}

/// A socket's name in the set of its `Kind`: a slot and a generation.
///
/// Typed by the kind of socket it names (smoltcp's `SocketHandle` with `get::<T>()`, checked at compile time here):
/// a ``UDPHandle`` cannot be passed where a ``TCPHandle`` is expected, nor the other way round, even though both
/// are a slot index and a generation; ``SocketSet``'s `remove` and `isValid` take each kind.
public struct SocketHandle<Kind: SocketKind>: Hashable, CustomStringConvertible, Sendable {
    let index: Int
    let generation: UInt32

    public var description: String { "#\(self.index).\(self.generation)" }
}

/// A UDP socket's handle, from ``SocketSet/bindUDP(port:receiveCapacity:sendCapacity:)``.
public typealias UDPHandle = SocketHandle<UDPSocketKind>
/// A TCP connection's or listener's handle, from ``Interface/connectTCP(to:port:localPort:now:configuration:sockets:)``
/// or ``Interface/listenTCP(port:backlog:configuration:connectionLimit:sockets:)`` (``SocketSet/tcp``).
public typealias TCPHandle = SocketHandle<TCPSocketKind>

/// Why ``SocketSet/bindUDP(port:receiveCapacity:sendCapacity:)`` bound nothing.
public enum UDPBindError: Error, Equatable, CustomStringConvertible {
    /// Another socket is bound to that port.
    case addressInUse
    /// The set is full, or (for port 0) every ephemeral port is taken.
    case exhausted

    public var description: String {
        switch self {
        case .addressInUse: "address in use"
        case .exhausted: "no free socket or port"
        }
    }
}

/// A bounded set of sockets.
public struct SocketSet {
    /// The TCP connections and listeners (``TCPSocketSet``; the interface hands it segments in `Interface+TCP.swift`
    /// and takes its segments at each egress). A stored field, read and changed in place through the set.
    public var tcp: TCPSocketSet
    private var slots: [UDPSocketMachine?]
    private var generations: [UInt32]
    /// Per slot, how many times its socket got a datagram or had one taken to send (wrapping): a task waiting on
    /// the socket notes the count and is woken only once it changes (the stack's per-socket wakers).
    private var touchCounts: [UInt32]
    private var nextEphemeralPort: UInt16 = SocketSet.ephemeralPorts.lowerBound
    /// The DHCP client, while one runs (the interface dispatches to it: `Interface+DHCP.swift`); a reference, so a
    /// set without DHCP holds no client state.
    var dhcp: DHCPSocket?
    private var dhcpGeneration: UInt32 = 0
    /// How many times the DHCP client applied a lease change (wrapping), for its waiters.
    var dhcpTouches: UInt32 = 0
    /// DNS queries (`SocketSet+DNS.swift`): `nil` until the first ``addDNS(_:)``, so a set that never resolves
    /// holds no DNS slots.
    var dns: DNSQueries?
    /// Polls the DNS queries at each egress; installed by the first ``addDNS(_:)``. The interface reaches the
    /// resolver only through it, so an app that never resolves a name links none of the resolver's code.
    var dnsPoll: ((inout SocketSet, Instant) -> Void)?
    /// The earliest retry or timeout of a running DNS query, as of the last ``addDNS(_:)`` or DNS poll (only those
    /// change it); it joins ``Interface/nextPollTime(now:sockets:)``.
    var nextDNSTime: Instant?
    /// DNS queries refused because every DNS slot was taken (``DNSLookupError/socketsExhausted``).
    public internal(set) var dnsRefused = 0

    /// The dynamic port range (RFC 6335 §6) from which port 0 binds choose.
    public static let ephemeralPorts: ClosedRange<UInt16> = 49152...65535

    /// An empty set with room for `capacity` UDP sockets, and `tcp` for TCP (its capacity, ISN and cookie keys).
    public init(capacity: Int = 16, tcp: TCPSocketSet = TCPSocketSet()) {
        self.tcp = tcp
        self.slots = [UDPSocketMachine?](repeating: nil, count: capacity)
        self.generations = [UInt32](repeating: 0, count: capacity)
        self.touchCounts = [UInt32](repeating: 0, count: capacity)
    }

    /// Binds a new UDP socket to `port` (0: a free ephemeral port) and returns its handle.
    ///
    /// - Throws: ``UDPBindError/addressInUse`` when the port is taken; ``UDPBindError/exhausted`` when no slot or
    ///   ephemeral port is free.
    public mutating func bindUDP(
        port: UInt16, receiveCapacity: Int = 16, sendCapacity: Int = 16
    ) throws(UDPBindError) -> UDPHandle {
        guard let index = self.slots.firstIndex(where: { $0 == nil }) else { throw .exhausted }
        var chosen = port
        if chosen == 0 {
            chosen = try self.freeEphemeralPort()
        } else if self.udpIndex(boundTo: chosen) != nil {
            throw .addressInUse
        }
        self.slots[index] = UDPSocketMachine(
            port: chosen, receiveCapacity: receiveCapacity, sendCapacity: sendCapacity)
        return UDPHandle(index: index, generation: self.generations[index])
    }

    /// Closes the socket; its queued datagrams are dropped. A stale handle is ignored.
    public mutating func remove(_ handle: UDPHandle) {
        guard self.isValid(handle) else { return }
        self.slots[handle.index] = nil
        self.generations[handle.index] &+= 1
        self.touchCounts[handle.index] &+= 1
    }

    /// Whether `handle` names a live socket.
    public func isValid(_ handle: UDPHandle) -> Bool {
        handle.index >= 0 && handle.index < self.slots.count && self.generations[handle.index] == handle.generation
            && self.slots[handle.index] != nil
    }

    /// The UDP socket `handle` names.
    ///
    /// - Precondition: the handle is valid (not removed): using a stale handle is a bug.
    public subscript(udp handle: UDPHandle) -> UDPSocketMachine {
        get {
            precondition(self.isValid(handle), "stale socket handle")
            return self.slots[handle.index]!
        }
        _modify {
            precondition(self.isValid(handle), "stale socket handle")
            var socket = self.slots[handle.index].take()!
            defer { self.slots[handle.index] = socket }
            yield &socket
        }
    }

    /// How many times the socket in `handle`'s slot received a datagram or had one taken to send, so far
    /// (wrapping); a change means the socket may have something to receive or room to send.
    func touches(_ handle: UDPHandle) -> UInt32 { self.touchCounts[handle.index] }

    /// Room for this many UDP sockets (and as many DNS queries).
    var capacity: Int { self.slots.count }

    /// Live UDP sockets.
    public var count: Int { self.slots.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    // MARK: - TCP

    /// The TCP connection `handle` names, to read (``TCPSocketSet/subscript(connection:)``).
    ///
    /// - Precondition: the handle is valid and names a connection.
    public subscript(tcp handle: TCPHandle) -> TCPControlBlock { self.tcp[connection: handle] }

    /// The TCP connection `handle` names, for a change (``TCPSocketSet/modifying(_:)``: its slot is touched).
    ///
    /// - Precondition: the handle is valid and names a connection.
    public mutating func modifying(tcp handle: TCPHandle) -> TCPControlBlock { self.tcp.modifying(handle) }

    /// Frees a TCP connection or listener (``TCPSocketSet/remove(_:)``). A stale handle is ignored.
    public mutating func remove(_ handle: TCPHandle) { self.tcp.remove(handle) }

    /// Whether `handle` names a live TCP connection or listener.
    public func isValid(_ handle: TCPHandle) -> Bool { self.tcp.isValid(handle) }

    // MARK: - DHCP

    /// Adds the DHCP client, replacing one already there (a set holds at most one), and returns its handle.
    @discardableResult
    public mutating func addDHCP(_ socket: DHCPSocket) -> DHCPHandle {
        if self.dhcp != nil { self.dhcpGeneration &+= 1 }
        self.dhcp = socket
        self.dhcpTouches &+= 1
        return DHCPHandle(index: 0, generation: self.dhcpGeneration)
    }

    /// Removes the DHCP client without a DHCPRELEASE (``Interface/releaseDHCP(now:sockets:)`` sends one). A stale
    /// handle is ignored.
    public mutating func remove(_ handle: DHCPHandle) {
        guard self.isValid(handle) else { return }
        self.dhcp = nil
        self.dhcpGeneration &+= 1
        self.dhcpTouches &+= 1
    }

    /// Whether `handle` names the DHCP client in the set.
    public func isValid(_ handle: DHCPHandle) -> Bool {
        handle.index == 0 && handle.generation == self.dhcpGeneration && self.dhcp != nil
    }

    /// The DHCP client `handle` names.
    ///
    /// - Precondition: the handle is valid (not removed): using a stale handle is a bug.
    public subscript(dhcp handle: DHCPHandle) -> DHCPSocket {
        precondition(self.isValid(handle), "stale socket handle")
        return self.dhcp!
    }

    /// The DHCP client's handle while one runs.
    public var dhcpHandle: DHCPHandle? {
        self.dhcp == nil ? nil : DHCPHandle(index: 0, generation: self.dhcpGeneration)
    }

    /// How many times the DHCP client `handle` names applied a lease change so far (wrapping).
    func touches(_ handle: DHCPHandle) -> UInt32 { self.dhcpTouches }

    // MARK: - For the interface

    /// The slot of the socket bound to `port`.
    func udpIndex(boundTo port: UInt16) -> Int? {
        self.slots.firstIndex { $0?.port == port }
    }

    /// Hands a received datagram to slot `index`; false when its queue was full.
    mutating func processUDP(
        at index: Int, _ payload: UnsafeRawBufferPointer, from address: IPv4Address, port: UInt16
    ) -> Bool {
        var socket = self.slots[index].take()!
        defer { self.slots[index] = socket }
        self.touchCounts[index] &+= 1
        return socket.process(payload, from: address, port: port)
    }

    /// Takes the next datagram to send from any socket, round-robin from `start`; returns it with its source port.
    mutating func dispatchUDP(startingAt start: inout Int) -> (datagram: UDPDatagram, sourcePort: UInt16)? {
        let count = self.slots.count
        guard count > 0 else { return nil }
        for offset in 0..<count {
            let index = (start + offset) % count
            guard self.slots[index] != nil, self.slots[index]!.sendQueueCount > 0 else { continue }
            var socket = self.slots[index].take()!
            let datagram = socket.dispatch()
            self.slots[index] = socket
            self.touchCounts[index] &+= 1
            start = (index + 1) % count
            if let datagram { return (datagram, socket.port) }
        }
        return nil
    }

    /// Whether any socket has a datagram to send.
    var hasPendingSend: Bool {
        self.slots.contains { ($0?.sendQueueCount ?? 0) > 0 }
    }

    private mutating func freeEphemeralPort() throws(UDPBindError) -> UInt16 {
        let range = Self.ephemeralPorts
        let size = Int(range.upperBound - range.lowerBound) + 1
        for _ in 0..<size {
            let candidate = self.nextEphemeralPort
            self.nextEphemeralPort = candidate == range.upperBound ? range.lowerBound : candidate + 1
            if self.udpIndex(boundTo: candidate) == nil { return candidate }
        }
        throw .exhausted
    }
}
