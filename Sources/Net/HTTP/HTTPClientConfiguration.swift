/// ``HTTPClient``'s timeouts, budgets and pool bounds, their boot-argument overrides, and its counters.
import Runtime

/// What an ``HTTPClient`` waits for and holds at most. Defaults suit a service calling another on a LAN.
public struct HTTPClientConfiguration {
    /// The whole name lookup (``NetworkStack/resolve(_:timeout:)``). Default 10 s.
    public var dnsTimeout: Duration = .seconds(10)
    /// The TCP handshake. Default 10 s.
    public var connectTimeout: Duration = .seconds(10)
    /// From the start of sending the request to the end of the response head (a server that stalls). Default 30 s.
    public var responseHeadTimeout: Duration = .seconds(30)
    /// The longest wait for the next body bytes. Default 30 s.
    public var bodyTimeout: Duration = .seconds(30)
    /// Bytes of a response head (status line, fields, line ends). Default 16 KiB.
    public var maximumHeaderLength = 16384
    /// Field lines of a response head. Default 100.
    public var maximumFieldCount = 100
    /// Bytes of a response body, whether collected or streamed to a handler. Default 1 MiB.
    public var maximumBodyLength = 1 << 20
    /// Idle connections kept per host and port for reuse. Default 2; 0 turns reuse off.
    public var maximumIdleConnectionsPerHost = 2
    /// Idle connections kept in all. Default 8.
    public var maximumIdleConnections = 8
    /// How long an idle connection is kept before it is closed instead of reused. Default 30 s.
    public var idleTimeout: Duration = .seconds(30)
    /// The `User-Agent` sent unless the request has one.
    public var userAgent = "swiftlet"

    public init() {}

    /// Applies the boot arguments that are set: `timeout=S` (connect, head and body timeouts, seconds),
    /// `connect-timeout=S`, `head-timeout=S`, `body-timeout=S`, `dns-timeout=S`, `max-header=BYTES`,
    /// `max-body=BYTES`, `pool=N` (idle connections per host). Returns the first malformed one's name, else nil.
    public mutating func apply(_ arguments: BootArguments) -> String? {
        /// The value of `name`: nil when absent, -1 when not a number in `minimum`...
        func number(_ name: String, minimum: Int) -> Int? {
            guard let text = arguments[name] else { return nil }
            guard let value = Int(text), value >= minimum else { return -1 }
            return value
        }
        if let seconds = number("timeout", minimum: 1) {
            guard seconds > 0 else { return "timeout" }
            connectTimeout = .seconds(seconds)
            responseHeadTimeout = .seconds(seconds)
            bodyTimeout = .seconds(seconds)
        }
        if let seconds = number("connect-timeout", minimum: 1) {
            guard seconds > 0 else { return "connect-timeout" }
            connectTimeout = .seconds(seconds)
        }
        if let seconds = number("head-timeout", minimum: 1) {
            guard seconds > 0 else { return "head-timeout" }
            responseHeadTimeout = .seconds(seconds)
        }
        if let seconds = number("body-timeout", minimum: 1) {
            guard seconds > 0 else { return "body-timeout" }
            bodyTimeout = .seconds(seconds)
        }
        if let seconds = number("dns-timeout", minimum: 1) {
            guard seconds > 0 else { return "dns-timeout" }
            dnsTimeout = .seconds(seconds)
        }
        if let bytes = number("max-header", minimum: 1) {
            guard bytes > 0 else { return "max-header" }
            maximumHeaderLength = bytes
        }
        if let bytes = number("max-body", minimum: 0) {
            guard bytes >= 0 else { return "max-body" }
            maximumBodyLength = bytes
        }
        if let count = number("pool", minimum: 0) {
            guard count >= 0 else { return "pool" }
            maximumIdleConnectionsPerHost = count
        }
        return nil
    }
}

/// What an ``HTTPClient`` counted.
public struct HTTPClientCounters: CustomStringConvertible {
    /// Requests started (each redirect hop counts).
    public var requests = 0
    /// Complete responses received.
    public var responses = 0
    /// TCP connections opened.
    public var connectionsOpened = 0
    /// Requests sent on a pooled connection.
    public var connectionsReused = 0
    /// Pooled connections closed unused: found closed by the server, idle too long, or over a pool bound.
    public var idleClosed = 0
    /// Requests resent on a new connection after a reused one closed before answering (idempotent methods only).
    public var retries = 0
    /// Redirects followed.
    public var redirects = 0
    /// Requests that failed, by kind.
    public var failures = 0
    public var timeouts = 0
    /// Responses refused for a header or body budget.
    public var budgetRefusals = 0

    public var description: String {
        "requests=\(requests) responses=\(responses) opened=\(connectionsOpened) reused=\(connectionsReused) "
            + "idle-closed=\(idleClosed) retries=\(retries) redirects=\(redirects) failures=\(failures) "
            + "timeouts=\(timeouts) budget=\(budgetRefusals)"
    }
}
