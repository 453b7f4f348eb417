import Runtime

/// What one ``HTTPServer`` lets a client make it hold, and for how long: every bound has a default and can be set
/// per server (``init(request:headerDeadline:idleDeadline:writeDeadline:maximumConnections:)``) or from boot
/// arguments (``apply(_:)``).
public struct HTTPServerLimits {
    /// The parser's bounds: request line (414), header section bytes and field count (431), body bytes (413;
    /// chunked bodies included, checked as their chunk sizes arrive).
    public var request: HTTPLimits
    /// How long a request's header section may take once its first byte arrived; then 408 and close (RFC 9110
    /// §15.5.9), so that clients dribbling header bytes cannot hold connections.
    public var headerDeadline: Duration
    /// How long a kept-alive connection may wait for the next request's first byte, and how long a body read may
    /// wait for its next bytes; then the connection is closed (RFC 9112 §9.5).
    public var idleDeadline: Duration
    /// How long one write may wait for a client that does not read; then the connection is reset.
    public var writeDeadline: Duration
    /// Connections served at once; one more is answered 503 and closed. Keep it below the stack's TCP capacity,
    /// or the stack drops the SYNs first and the 503 is never sent.
    public var maximumConnections: Int

    public init(
        request: HTTPLimits = HTTPLimits(), headerDeadline: Duration = .seconds(10), idleDeadline: Duration = .seconds(60),
        writeDeadline: Duration = .seconds(30), maximumConnections: Int = 512
    ) {
        self.request = request
        self.headerDeadline = headerDeadline
        self.idleDeadline = idleDeadline
        self.writeDeadline = writeDeadline
        self.maximumConnections = maximumConnections
    }

    /// Overrides from boot arguments, each optional: `header-timeout=S`, `idle=S`, `write-timeout=S` (seconds),
    /// `connections=N`, `max-body=BYTES`, `max-header=BYTES` (the header section). Values below 1 are ignored.
    public mutating func apply(_ arguments: BootArguments) {
        if let seconds = arguments.integer("header-timeout"), seconds > 0 { headerDeadline = .seconds(Int64(seconds)) }
        if let seconds = arguments.integer("idle"), seconds > 0 { idleDeadline = .seconds(Int64(seconds)) }
        if let seconds = arguments.integer("write-timeout"), seconds > 0 { writeDeadline = .seconds(Int64(seconds)) }
        if let count = arguments.integer("connections"), count > 0 { maximumConnections = count }
        if let bytes = arguments.integer("max-body"), bytes > 0 { request.maximumBodyLength = bytes }
        if let bytes = arguments.integer("max-header"), bytes > 0 { request.maximumHeaderSectionLength = bytes }
    }
}

/// What an ``HTTPServer`` did, one counter per outcome. ``description`` is one line.
public struct HTTPServerCounters: Equatable, CustomStringConvertible {
    /// Connections taken from the listener.
    public var connections = 0
    /// Requests whose header section was complete (refusals by the parser are not requests).
    public var requests = 0
    /// Responses by status class (the server's own refusals included), and `100 Continue` sent.
    public var informational = 0
    public var successful = 0
    public var redirection = 0
    public var clientErrors = 0
    public var serverErrors = 0
    /// 400: malformed request line, fields or framing (chunk sizes, a body shorter than its `Content-Length`).
    public var badRequests = 0
    /// 404: no route for the path.
    public var notFound = 0
    /// 405: a route for the path, none for the method.
    public var methodNotAllowed = 0
    /// 408: the header section (or a body) did not arrive in time.
    public var requestTimeouts = 0
    /// 413: a body over the limit.
    public var contentTooLarge = 0
    /// 414 and 431: a request line or header section over the limit.
    public var headersTooLarge = 0
    /// 500: a handler threw something other than a status, or its body writer failed after the head was sent.
    public var handlerFailures = 0
    /// 503: a connection over ``HTTPServerLimits/maximumConnections``.
    public var unavailable = 0
    /// Kept-alive connections closed for waiting longer than ``HTTPServerLimits/idleDeadline``.
    public var idleTimeouts = 0
    /// Connections reset because a write missed ``HTTPServerLimits/writeDeadline``.
    public var writeTimeouts = 0
    /// Connections that failed under us (reset by the peer, timed out by TCP).
    public var transportFailures = 0
    /// Body bytes of requests read and dropped because the handler did not read them (never buffered).
    public var discardedBodyBytes = 0

    public init() {}

    /// Counts a response with `code`.
    mutating func count(_ code: UInt16) {
        switch code {
        case ..<200: informational += 1
        case ..<300: successful += 1
        case ..<400: redirection += 1
        case ..<500: clientErrors += 1
        default: serverErrors += 1
        }
        switch code {
        case 400: badRequests += 1
        case 404: notFound += 1
        case 405: methodNotAllowed += 1
        case 408: requestTimeouts += 1
        case 413: contentTooLarge += 1
        case 414, 431: headersTooLarge += 1
        case 503: unavailable += 1
        default: break
        }
    }

    public var description: String {
        // One call per field, not interpolation (each interpolated segment is code at its call site).
        var text = ""
        Self.field(&text, "http conn=", connections)
        Self.field(&text, " req=", requests)
        Self.field(&text, " 1xx=", informational)
        Self.field(&text, " 2xx=", successful)
        Self.field(&text, " 3xx=", redirection)
        Self.field(&text, " 4xx=", clientErrors)
        Self.field(&text, " 5xx=", serverErrors)
        Self.field(&text, " 400=", badRequests)
        Self.field(&text, " 404=", notFound)
        Self.field(&text, " 405=", methodNotAllowed)
        Self.field(&text, " 408=", requestTimeouts)
        Self.field(&text, " 413=", contentTooLarge)
        Self.field(&text, " 431=", headersTooLarge)
        Self.field(&text, " 500=", handlerFailures)
        Self.field(&text, " 503=", unavailable)
        Self.field(&text, " idle=", idleTimeouts)
        Self.field(&text, " wto=", writeTimeouts)
        Self.field(&text, " fail=", transportFailures)
        Self.field(&text, " discarded=", discardedBodyBytes)
        return text
    }

    @inline(never)
    private static func field(_ text: inout String, _ label: StaticString, _ value: Int) {
        label.withUTF8Buffer { text.append(String(decoding: $0, as: UTF8.self)) }
        text.append(String(value))
    }
}
