/// ``HTTPClient``'s request and response values, and the request's wire form (RFC 9112 §3, §6.2).

/// A request for ``HTTPClient/execute(_:followRedirects:)``.
///
/// The client writes `Host`, `Content-Length` and a `User-Agent` (unless `headers` has one) itself; `Host`,
/// `Content-Length`, `Transfer-Encoding` and `Connection` in `headers` are not sent. A body is sent with its
/// `Content-Length` (RFC 9112 §6.2); POST and PUT always carry one, `0` when empty.
public struct HTTPClientRequest {
    public var method: HTTPMethod
    public var url: HTTPURL
    /// Extra fields, sent in order; names must be tokens and values visible ASCII, SP or HTAB.
    public var headers: [HTTPField]
    public var body: [UInt8]

    public init(method: HTTPMethod = .get, url: HTTPURL, headers: [HTTPField] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// Appends a field `name: value`.
    public mutating func addHeader(_ name: String, _ value: String) {
        headers.append(HTTPField(name: Array(name.utf8), value: Array(value.utf8)))
    }

    /// The head and body as sent by a client whose `User-Agent` is `userAgent`.
    ///
    /// - Throws: ``HTTPClientError/invalidHeader`` for a field that is not a token name and a clean value (it
    ///   could otherwise end or split the head).
    public func serialized(userAgent: String = "swiftlet") throws(HTTPClientError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + body.count)
        out += Array(method.description.utf8)
        out.append(0x20)
        out += url.target
        out += Array(" HTTP/1.1\r\nHost: ".utf8)
        out += Array(url.authority.utf8)
        out += [0x0D, 0x0A]
        var hasUserAgent = false
        for field in headers {
            guard isToken(field.name),
                field.value.allSatisfy({ ($0 >= 0x20 && $0 != 0x7F) || $0 == 0x09 })
            else { throw .invalidHeader }
            if field.hasName("Host") || field.hasName("Content-Length") || field.hasName("Transfer-Encoding")
                || field.hasName("Connection")
            {
                continue
            }
            if field.hasName("User-Agent") { hasUserAgent = true }
            out += field.name
            out += [UInt8(ascii: ":"), 0x20]
            out += field.value
            out += [0x0D, 0x0A]
        }
        if !hasUserAgent {
            out += Array("User-Agent: ".utf8)
            out += Array(userAgent.utf8)
            out += [0x0D, 0x0A]
        }
        if !body.isEmpty || method == .post || method == .put {
            out += Array("Content-Length: \(body.count)\r\n".utf8)
        }
        out += [0x0D, 0x0A]
        out += body
        return out
    }
}

/// A complete response from ``HTTPClient``.
public struct HTTPClientResponse: CustomStringConvertible {
    /// The status line and fields.
    public var head: HTTPResponseHead
    /// The body (empty when it was handed to a body handler instead).
    public var body: [UInt8]
    /// Body bytes received (also when streamed).
    public var bodyLength: Int
    /// The URL that gave this response (the last one after redirects).
    public var url: HTTPURL

    /// The status code.
    public var status: UInt16 { head.status }

    /// The value of the first field named `name` (ASCII case-insensitive), or nil.
    public func value(of name: StaticString) -> [UInt8]? { head.value(of: name) }

    public var description: String { "\(head) body=\(bodyLength) from \(url)" }
}

extension HTTPMethod {
    /// Whether repeating the request has the same effect as sending it once (RFC 9110 §9.2.2), so a client may
    /// resend it after a connection failed before the answer.
    public var isIdempotent: Bool {
        switch self {
        case .get, .head, .put, .delete, .options, .trace: true
        default: false
        }
    }
}
