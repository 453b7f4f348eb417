/// The one error type of ``HTTPClient``: a request's whole life (URL, name lookup, connection, response) in one
/// `catch`, each case something the caller can act on.

/// Which wait of a request ran past its timeout (``HTTPClientConfiguration``).
public enum HTTPClientPhase: Equatable, CustomStringConvertible {
    /// The TCP handshake (``HTTPClientConfiguration/connectTimeout``).
    case connect
    /// Sending the request and receiving the response head (``HTTPClientConfiguration/responseHeadTimeout``).
    case responseHead
    /// A wait for the next body bytes (``HTTPClientConfiguration/bodyTimeout``).
    case body

    public var description: String {
        switch self {
        case .connect: "connecting"
        case .responseHead: "waiting for the response head"
        case .body: "waiting for the body"
        }
    }
}

/// Why an ``HTTPClient`` request did not produce a response.
public enum HTTPClientError: Error, Equatable, CustomStringConvertible {
    /// The URL is not `http://host[:port][/path][?query]` (empty host, bad port, user info, IPv6 literal, spaces or
    /// control bytes).
    case invalidURL
    /// A scheme other than `http` (`https` included: there is no TLS).
    case unsupportedScheme
    /// A request field with a name that is not a token or a value with control bytes (RFC 9112 §5).
    case invalidHeader
    /// The host name did not resolve (``DNSLookupError``: not found, no server, timed out, ...).
    case dns(DNSLookupError)
    /// The connection could not be opened (``TCPError/connectionRefused``, ``TCPError/connectionTimedOut``,
    /// ``TCPError/unaddressable``, ``TCPError/exhausted``).
    case connect(TCPError)
    /// The connection failed while the request or response was under way (reset, aborted).
    case transport(TCPError)
    /// A timeout of ``HTTPClientConfiguration`` passed.
    case timedOut(HTTPClientPhase)
    /// The server closed the connection before a complete response head.
    case connectionClosed
    /// The response head is malformed (status line, field line, framing fields; RFC 9112 §4, §5, §6.3).
    case malformedResponse
    /// The response head exceeded ``HTTPClientConfiguration/maximumHeaderLength`` bytes or
    /// ``HTTPClientConfiguration/maximumFieldCount`` fields.
    case headerTooLarge
    /// The body exceeded ``HTTPClientConfiguration/maximumBodyLength`` bytes (a `Content-Length` above it is refused
    /// before any body byte is read).
    case bodyTooLarge
    /// The body's framing is broken: a malformed chunk (RFC 9112 §7.1), or a trailer section over its bounds.
    case malformedBody
    /// The connection ended before the body did (fewer bytes than `Content-Length`, no last chunk).
    case truncatedBody
    /// A `Transfer-Encoding` other than `chunked`, which a server may only send when asked (RFC 9112 §6.1, §7.4).
    case unsupportedTransferCoding
    /// More redirects than the request allowed (`followRedirects:`).
    case tooManyRedirects
    /// A redirect without a usable `Location` (missing, or not an `http` URL or absolute path).
    case invalidRedirect
    /// The calling task was cancelled.
    case cancelled

    public var description: String {
        switch self {
        case .invalidURL: "invalid URL (expected http://host[:port]/path)"
        case .unsupportedScheme: "unsupported URL scheme (only http)"
        case .invalidHeader: "invalid request header field"
        case .dns(let error): "cannot resolve: \(error)"
        case .connect(let error): "cannot connect: \(error)"
        case .transport(let error): "connection failed: \(error)"
        case .timedOut(let phase): "timed out \(phase)"
        case .connectionClosed: "connection closed before a response"
        case .malformedResponse: "malformed response head"
        case .headerTooLarge: "response head over the header budget"
        case .bodyTooLarge: "response body over the body budget"
        case .malformedBody: "malformed chunked body"
        case .truncatedBody: "connection closed inside the body"
        case .unsupportedTransferCoding: "unsupported transfer coding"
        case .tooManyRedirects: "too many redirects"
        case .invalidRedirect: "redirect without a usable Location"
        case .cancelled: "cancelled"
        }
    }

    /// The error for a failed read or write of an open connection in `phase`.
    init(_ error: TCPError, during phase: HTTPClientPhase) {
        switch error {
        case .timedOut: self = .timedOut(phase)
        case .cancelled: self = .cancelled
        default: self = .transport(error)
        }
    }

    /// The error for a body decoder's refusal (``HTTPBodyDecoder`` speaks in request terms).
    init(_ error: HTTPRequestError) {
        self = error == .contentTooLarge ? .bodyTooLarge : .malformedBody
    }
}
