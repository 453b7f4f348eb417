import Runtime

/// A stub resolver for IPv4 addresses, a pure state machine: one lookup at a time, over UDP to recursive servers
/// (RFC 1035 §7 "Resolver implementation", RFC 1123 §6.1.3.3 retransmission, RFC 5452 answer acceptance).
///
/// The interface drives it (smoltcp's shape; time is an argument):
///
/// - ``start(name:now:)`` begins a lookup of `name`'s A records.
/// - ``poll(now:)`` returns the query to send now, if any: UDP from ``DNSQuery/sourcePort`` to port 53 of
///   ``DNSQuery/server``. When the last try times out, it finishes the lookup instead (see ``result``).
/// - ``handle(_:from:sourcePort:destinationPort:now:)`` takes every UDP datagram that arrived for the query's
///   port and returns the result when the lookup is over.
/// - ``nextPollTime`` says when to poll again.
///
/// Retries: each server is tried ``timeouts``.count times (by default after 1, 2 and 4 s: RFC 1123 §6.1.3.3
/// asks for exponential backoff), then the next server in order. Each server gets a fresh random query ID and
/// a fresh random source port from 49152–65535 (RFC 5452 §9.2, RFC 6056), kept across its retries so that a
/// late answer to an earlier try still counts.
///
/// Acceptance (RFC 5452 §3, §9.1): a datagram counts only if it comes from the server queried, from port 53,
/// to the query's port, parses, is a response with the query's ID and opcode QUERY, and has exactly our question
/// (name ignoring case, type A, class IN). Anything else is ignored (``ignored``), so a forged or stray datagram
/// cannot end a lookup. Then:
///
/// - NOERROR with addresses for the name (CNAMEs followed within the response): success.
/// - NOERROR without them: ``DNSError/noAddress``; NXDOMAIN: ``DNSError/nameNotFound``. Both are final.
/// - SERVFAIL, REFUSED, NOTIMP, FORMERR or any other code, or TC set (no TCP fallback here): the next server;
///   after the last, ``DNSError/serverFailure``.
/// - No acceptable answer from any server: ``DNSError/timedOut``, or ``DNSError/malformedResponse`` if the
///   queried server did answer but never with a well-formed message.
public struct DNSResolver {
    /// What the resolver is doing.
    public enum State: Equatable, CustomStringConvertible {
        /// No lookup was started.
        case idle
        /// A lookup is in progress.
        case running
        /// The lookup is over: see ``DNSResolver/result``.
        case finished

        public var description: String {
            switch self {
            case .idle: "idle"
            case .running: "running"
            case .finished: "finished"
            }
        }
    }

    /// The recursive servers, in order of preference (e.g. from DHCP option 6); changes apply to the next
    /// lookup.
    public var servers: [IPv4Address]
    /// The wait after each try to one server; its count is the number of tries per server.
    public let timeouts: [Duration]
    private let random: () -> UInt64

    /// The current state.
    public private(set) var state: State = .idle
    /// The name being (or last) looked up.
    public private(set) var name: DNSName = .root
    /// The outcome of the last lookup, once ``state`` is ``State/finished``.
    public private(set) var result: Result<DNSAnswer, DNSError>?
    /// Datagrams dropped: wrong source, port, ID or question, not a response, or malformed.
    public private(set) var ignored = 0

    private var lookupServers: [IPv4Address] = []
    private var serverIndex = 0
    private var tries = 0
    private var identification: UInt16 = 0
    private var sourcePort: UInt16 = 0
    private var deadline = Instant(nanoseconds: 0)
    private var failure: DNSError?

    /// A resolver asking `servers`.
    ///
    /// - Parameters:
    ///   - servers: recursive servers in order of preference.
    ///   - timeouts: the wait after each try to one server (default 1, 2, 4 s); must not be empty.
    ///   - random: uniformly random 64-bit values for IDs and ports (in production `Entropy.next`, a strong
    ///     source: RFC 5452 relies on these being unpredictable).
    public init(
        servers: [IPv4Address], timeouts: [Duration] = [.seconds(1), .seconds(2), .seconds(4)],
        random: @escaping () -> UInt64
    ) {
        precondition(!timeouts.isEmpty, "DNSResolver needs at least one try per server")
        self.servers = servers
        self.timeouts = timeouts
        self.random = random
    }

    /// Begins looking up `name`'s IPv4 addresses, abandoning any lookup in progress.
    ///
    /// With no servers the lookup finishes at once with ``DNSError/noServers``.
    public mutating func start(name: DNSName, now: Instant) {
        self.name = name
        self.result = nil
        self.failure = nil
        self.lookupServers = self.servers
        self.serverIndex = -1
        self.state = .running
        self.nextServer(now: now)
    }

    /// When ``poll(now:)`` has something to do: the next try or the last try's timeout; `nil` unless running.
    public var nextPollTime: Instant? {
        self.state == .running ? self.deadline : nil
    }

    /// Returns the query to send at `now`, if one is due; finishes the lookup when the last try timed out.
    public mutating func poll(now: Instant) -> DNSQuery? {
        while self.state == .running && now >= self.deadline {
            if self.tries == self.timeouts.count {
                self.nextServer(now: now)
                continue
            }
            self.deadline = now + self.timeouts[self.tries]
            self.tries += 1
            let query = DNSMessage.query(identification: self.identification, name: self.name)
            var buffer = PacketBuffer(capacity: query.length, headroom: 0)
            buffer.append(query.length) { bytes in query.emit(into: DNSPacket(unchecked: bytes)) }
            let bytes = buffer.withUnsafeReadableBytes { Array($0) }
            return DNSQuery(
                bytes: bytes, identification: self.identification, server: self.lookupServers[self.serverIndex],
                sourcePort: self.sourcePort)
        }
        return nil
    }

    /// Takes a UDP datagram that arrived from `source`:`sourcePort` to local `destinationPort` at `now`.
    ///
    /// - Returns: the lookup's result when this datagram ended it, else `nil` (ignored, or the next server is
    ///   to be tried: poll).
    public mutating func handle(
        _ datagram: UnsafeRawBufferPointer, from source: IPv4Address, sourcePort: UInt16, destinationPort: UInt16,
        now: Instant
    ) -> Result<DNSAnswer, DNSError>? {
        guard self.state == .running, source == self.lookupServers[self.serverIndex],
            sourcePort == DNSPacket.serverPort, destinationPort == self.sourcePort
        else { return self.ignore() }
        let parsed: DNSMessage
        do throws(WireError) {
            parsed = try DNSMessage(parsing: try DNSPacket(checking: UnsafeMutableRawBufferPointer(mutating: datagram)))
        } catch {
            if self.failure == nil { self.failure = .malformedResponse }
            return self.ignore()
        }
        guard parsed.isResponse, parsed.identification == self.identification, parsed.opcode == .query,
            parsed.questions.count == 1, parsed.questions[0] == DNSQuestion(name: self.name, type: .a)
        else { return self.ignore() }
        if parsed.truncated {
            return self.serverFailed(now: now)
        }
        switch parsed.responseCode {
        case .noError:
            let answer = parsed.addresses(of: self.name)
            return self.finish(answer.addresses.isEmpty ? .failure(.noAddress) : .success(answer))
        case .nameError:
            return self.finish(.failure(.nameNotFound))
        default:
            return self.serverFailed(now: now)
        }
    }

    // MARK: - Internals

    private mutating func ignore() -> Result<DNSAnswer, DNSError>? {
        self.ignored += 1
        return nil
    }

    /// This server cannot answer: try the next one now, or finish with ``DNSError/serverFailure``.
    private mutating func serverFailed(now: Instant) -> Result<DNSAnswer, DNSError>? {
        self.failure = .serverFailure
        self.nextServer(now: now)
        return self.result
    }

    /// Moves to the next server with a fresh ID and port, due at once; finishes when none is left.
    private mutating func nextServer(now: Instant) {
        self.serverIndex += 1
        guard self.serverIndex < self.lookupServers.count else {
            _ = self.finish(.failure(self.lookupServers.isEmpty ? .noServers : (self.failure ?? .timedOut)))
            return
        }
        let random = self.random()
        self.identification = UInt16(truncatingIfNeeded: random)
        self.sourcePort = 49152 + UInt16(truncatingIfNeeded: random >> 16) % 16384
        self.tries = 0
        self.deadline = now
    }

    private mutating func finish(_ result: Result<DNSAnswer, DNSError>) -> Result<DNSAnswer, DNSError>? {
        self.result = result
        self.state = .finished
        return result
    }
}

/// A query for the interface to send over UDP.
public struct DNSQuery: Equatable, CustomStringConvertible {
    /// The DNS message (a UDP payload).
    public var bytes: [UInt8]
    /// The message's ID.
    public var identification: UInt16
    /// The server to send it to, at UDP port 53 (``DNSPacket/serverPort``).
    public var server: IPv4Address
    /// The local UDP port to send from; answers arrive there.
    public var sourcePort: UInt16

    public var description: String {
        "DNS query id=\(self.identification) \(self.bytes.count) bytes from port \(self.sourcePort) to \(self.server)"
    }
}

/// Why a lookup failed; each case is something the caller can act on.
public enum DNSError: Error, Equatable, CustomStringConvertible {
    /// NXDOMAIN: the name does not exist.
    case nameNotFound
    /// The name exists but has no IPv4 address (NOERROR without A records for it: "NODATA", RFC 2308 §2.2).
    case noAddress
    /// Every server failed to answer (SERVFAIL, REFUSED, other error codes, or truncated answers).
    case serverFailure
    /// No server answered in time.
    case timedOut
    /// The servers answered only with malformed messages.
    case malformedResponse
    /// No DNS server is configured.
    case noServers

    public var description: String {
        switch self {
        case .nameNotFound: "name not found"
        case .noAddress: "no IPv4 address"
        case .serverFailure: "server failure"
        case .timedOut: "timed out"
        case .malformedResponse: "malformed response"
        case .noServers: "no DNS server"
        }
    }
}
