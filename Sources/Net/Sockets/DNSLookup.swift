/// One DNS lookup over a ``SocketSet``: a ``DNSResolver`` (the pure state machine of `Sources/Net/Protocols`) and
/// the UDP socket on its source port. Added to the set as a DNS query (``SocketSet/addDNS(_:)``, what
/// ``NetworkStack/resolve(_:timeout:)`` does), the interface polls it; a test may also poll one itself on a virtual
/// clock. Synchronous, never blocks, never reads a clock.
///
/// Each ``poll(now:sockets:)`` hands every datagram that arrived on the socket to the resolver, then queues the
/// query the resolver has due. The resolver picks a fresh random source port per server (RFC 5452 §9.2), so the
/// socket is re-bound when it moves on; a port another socket holds means that server's queries are not sent
/// and it times out (the next server gets another port).
import Runtime

/// Why a lookup found no address; each case is something the caller can act on.
public enum DNSLookupError: Error, Equatable, CustomStringConvertible {
    /// The text is not a DNS name (empty label, label over 63 bytes, name over 255).
    case invalidName
    /// No DNS server is known: no lease with option 6, and no `dns=` boot argument.
    case noServers
    /// NXDOMAIN: the name does not exist.
    case nameNotFound
    /// The name exists but has no IPv4 address.
    case noAddress
    /// Every server failed (SERVFAIL, REFUSED, truncated or malformed answers).
    case serverFailure
    /// No answer before the timeout, or from any server after all retries.
    case timedOut
    /// No socket could be bound for the query (the stack's socket set is full).
    case socketsExhausted
    /// The calling task was cancelled.
    case cancelled

    /// The lookup error for a resolver's ``DNSError``.
    public init(_ error: DNSError) {
        switch error {
        case .nameNotFound: self = .nameNotFound
        case .noAddress: self = .noAddress
        case .serverFailure, .malformedResponse: self = .serverFailure
        case .timedOut: self = .timedOut
        case .noServers: self = .noServers
        }
    }

    public var description: String {
        switch self {
        case .invalidName: "not a valid DNS name"
        case .noServers: "no DNS server (DHCP gave none; use dns=a.b.c.d)"
        case .nameNotFound: "name not found"
        case .noAddress: "no IPv4 address for that name"
        case .serverFailure: "DNS server failure"
        case .timedOut: "timed out"
        case .socketsExhausted: "no free UDP socket"
        case .cancelled: "cancelled"
        }
    }
}

/// A lookup in progress on a socket set.
public struct DNSLookup {
    /// The resolver (its ``DNSResolver/ignored`` counts forged and stray datagrams).
    public private(set) var resolver: DNSResolver
    /// The socket on the resolver's current source port, while bound.
    public private(set) var handle: UDPHandle?
    /// Queries sent so far.
    public private(set) var queriesSent = 0
    private var bindFailed = false

    /// Starts looking up `name`'s A records at `servers`, in order.
    ///
    /// - Parameters:
    ///   - timeouts: the wait after each try to one server (the resolver's default: 1, 2, 4 s).
    ///   - random: uniformly random 64-bit values for query IDs and source ports (`Entropy.next` in production).
    public init(
        name: DNSName, servers: [IPv4Address], timeouts: [Duration] = [.seconds(1), .seconds(2), .seconds(4)],
        random: @escaping () -> UInt64, now: Instant
    ) {
        self.resolver = DNSResolver(servers: servers, timeouts: timeouts, random: random)
        self.resolver.start(name: name, now: now)
    }

    /// When ``poll(now:sockets:)`` next has work besides arriving datagrams: the next retry or timeout.
    public var nextPollTime: Instant? { self.resolver.nextPollTime }

    /// Takes the datagrams that arrived, sends the query that is due, and returns the outcome once the lookup is
    /// over (the socket is closed then).
    public mutating func poll(now: Instant, sockets: inout SocketSet) -> Result<DNSAnswer, DNSLookupError>? {
        if let handle = self.handle {
            while let datagram = sockets[udp: handle].receive() {
                let port = sockets[udp: handle].port
                let result = datagram.payload.withUnsafeBytes { bytes in
                    self.resolver.handle(
                        bytes, from: datagram.address, sourcePort: datagram.port, destinationPort: port, now: now)
                }
                if result != nil { break }
            }
        }
        while self.resolver.state == .running, let query = self.resolver.poll(now: now) {
            guard let handle = self.socket(port: query.sourcePort, sockets: &sockets) else { continue }
            do throws(UDPSocketSendError) {
                try sockets[udp: handle].send(query.bytes, to: query.server, port: DNSPacket.serverPort)
                self.queriesSent += 1
            } catch {
                continue  // a full send queue loses the query like the network would; the retry follows
            }
        }
        guard self.resolver.state == .finished, let result = self.resolver.result else { return nil }
        self.close(sockets: &sockets)
        switch result {
        case .success(let answer): return .success(answer)
        case .failure(let error):
            return .failure(self.bindFailed && error == .timedOut ? .socketsExhausted : DNSLookupError(error))
        }
    }

    /// Abandons the lookup and closes its socket.
    public mutating func close(sockets: inout SocketSet) {
        if let handle = self.handle { sockets.remove(handle) }
        self.handle = nil
    }

    /// The socket bound to `port`, re-binding when the resolver moved to another port; `nil` when it cannot bind.
    private mutating func socket(port: UInt16, sockets: inout SocketSet) -> UDPHandle? {
        if let handle = self.handle, sockets.isValid(handle), sockets[udp: handle].port == port { return handle }
        self.close(sockets: &sockets)
        do throws(UDPBindError) {
            self.handle = try sockets.bindUDP(port: port, receiveCapacity: 4, sendCapacity: 2)
        } catch {
            self.bindFailed = true
            return nil
        }
        return self.handle
    }
}
