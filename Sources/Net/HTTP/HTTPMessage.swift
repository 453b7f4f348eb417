/// HTTP/1.1 message values: methods, versions, status codes, header fields, requests and the request errors.
///
/// The message layer is transport-free: ``HTTPRequestParser`` is fed bytes as they come off a TCP stream,
/// ``HTTPResponse`` writes a response head into a caller's sink; ``HTTPServer`` runs them on TCP connections.
/// Read first: RFC 9112 (HTTP/1.1 message syntax, framing, persistence) and RFC 9110 (semantics, status codes).
/// Everything here works on bytes (ASCII per RFC 9112 §2.2); `String` appears only in descriptions.

/// A request method (RFC 9110 §9). Unknown tokens parse as ``unknown(_:)`` and keep their bytes.
public enum HTTPMethod: Equatable, CustomStringConvertible {
    case get
    case head
    case post
    case put
    case delete
    case connect
    case options
    case trace
    /// PATCH (RFC 5789).
    case patch
    /// Any other method token, kept as is (case-sensitive, RFC 9110 §9.1).
    case unknown([UInt8])

    /// The method named by `token` (already checked to be a token).
    public init(token: [UInt8]) {
        switch token.count {
        case 3 where asciiEqual(token, "GET"): self = .get
        case 3 where asciiEqual(token, "PUT"): self = .put
        case 4 where asciiEqual(token, "HEAD"): self = .head
        case 4 where asciiEqual(token, "POST"): self = .post
        case 5 where asciiEqual(token, "TRACE"): self = .trace
        case 5 where asciiEqual(token, "PATCH"): self = .patch
        case 6 where asciiEqual(token, "DELETE"): self = .delete
        case 7 where asciiEqual(token, "CONNECT"): self = .connect
        case 7 where asciiEqual(token, "OPTIONS"): self = .options
        default: self = .unknown(token)
        }
    }

    public var description: String {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .delete: "DELETE"
        case .connect: "CONNECT"
        case .options: "OPTIONS"
        case .trace: "TRACE"
        case .patch: "PATCH"
        case .unknown(let token): asciiString(token)
        }
    }
}

/// The protocol version of a request (RFC 9112 §2.3). A `1.x` with x > 1 is handled as 1.1 (RFC 9110 §6.2).
public enum HTTPVersion: Equatable, CustomStringConvertible {
    case http10
    case http11

    public var description: String {
        switch self {
        case .http10: "HTTP/1.0"
        case .http11: "HTTP/1.1"
        }
    }
}

/// A response status code with its reason phrase (RFC 9110 §15).
public struct HTTPStatus: Equatable, CustomStringConvertible {
    /// The three-digit code.
    public var code: UInt16
    /// The reason phrase sent on the status line.
    public var reason: StaticString

    public init(code: UInt16, reason: StaticString) {
        self.code = code
        self.reason = reason
    }

    public static let ok = HTTPStatus(code: 200, reason: "OK")
    public static let badRequest = HTTPStatus(code: 400, reason: "Bad Request")
    public static let notFound = HTTPStatus(code: 404, reason: "Not Found")
    public static let methodNotAllowed = HTTPStatus(code: 405, reason: "Method Not Allowed")
    public static let requestTimeout = HTTPStatus(code: 408, reason: "Request Timeout")
    /// 413 (RFC 9110 §15.5.14).
    public static let contentTooLarge = HTTPStatus(code: 413, reason: "Content Too Large")
    public static let uriTooLong = HTTPStatus(code: 414, reason: "URI Too Long")
    /// 431 (RFC 6585 §5).
    public static let requestHeaderFieldsTooLarge = HTTPStatus(code: 431, reason: "Request Header Fields Too Large")
    public static let created = HTTPStatus(code: 201, reason: "Created")
    public static let noContent = HTTPStatus(code: 204, reason: "No Content")
    public static let `continue` = HTTPStatus(code: 100, reason: "Continue")
    public static let internalServerError = HTTPStatus(code: 500, reason: "Internal Server Error")
    public static let serviceUnavailable = HTTPStatus(code: 503, reason: "Service Unavailable")
    public static let notImplemented = HTTPStatus(code: 501, reason: "Not Implemented")
    public static let httpVersionNotSupported = HTTPStatus(code: 505, reason: "HTTP Version Not Supported")

    public static func == (lhs: HTTPStatus, rhs: HTTPStatus) -> Bool { lhs.code == rhs.code }

    public var description: String { "\(code) \(reason.description)" }
}

/// One header field line: a token name and a value with surrounding whitespace removed (RFC 9112 §5).
public struct HTTPField: Equatable {
    /// The field name as received (compare with ``HTTPField/hasName(_:)``, case-insensitively).
    public var name: [UInt8]
    /// The field value without leading or trailing OWS.
    public var value: [UInt8]

    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }

    /// Whether the field's name is `name`, ignoring ASCII case (RFC 9110 §5.1).
    public func hasName(_ name: StaticString) -> Bool { asciiEqualIgnoringCase(self.name, name) }
}

/// A complete request: the request line, its fields, and its body (RFC 9112 §2.1).
public struct HTTPRequest: CustomStringConvertible {
    public var method: HTTPMethod
    /// The request-target as received: origin-form (`/path?query`), absolute-form (`http://host/path?query`) or `*`
    /// for OPTIONS (RFC 9112 §3.2).
    public var target: [UInt8]
    public var version: HTTPVersion
    /// The field lines in the order received.
    public var fields: [HTTPField]
    /// The content (RFC 9112 §6), `Content-Length` bytes; empty when there is none.
    public var body: [UInt8]
    /// Whether the connection stays open after the response (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// Body bytes read and dropped by a parser that does not keep bodies (``HTTPRequestParser/keepsBodies``).
    public var discardedBodyLength = 0
    /// How the body is delimited (for a streaming parser, ``HTTPBodyHandling/stream``, where it has not been read).
    public var framing = HTTPBodyFraming.none
    /// Whether the client waits for `100 Continue` before sending the body (RFC 9110 §10.1.1); for a streaming
    /// parser, whose caller sends it when the body is first read.
    public var expectsContinue = false

    public init(
        method: HTTPMethod, target: [UInt8], version: HTTPVersion, fields: [HTTPField] = [], body: [UInt8] = [],
        keepAlive: Bool = true
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.fields = fields
        self.body = body
        self.keepAlive = keepAlive
    }

    /// The target's absolute path, without the query: `/a/b` for `/a/b?q` and for `http://host/a/b?q`; empty for
    /// `http://host` or `http://host?q` (an empty path means `/`, RFC 9110 §4.2.3); `*` for `*`.
    public var path: ArraySlice<UInt8> {
        var start = 0
        if let authority = absoluteFormAuthorityStart(target) {
            start = authority
            while start < target.count && target[start] != UInt8(ascii: "/") && target[start] != UInt8(ascii: "?") {
                start += 1
            }
        }
        var end = start
        while end < target.count && target[end] != UInt8(ascii: "?") { end += 1 }
        return target[start..<end]
    }

    /// The target's query, the bytes after the first `?` (RFC 3986 §3.4); empty when there is none.
    public var query: ArraySlice<UInt8> {
        guard let mark = target.firstIndex(of: UInt8(ascii: "?")) else { return target[target.endIndex...] }
        return target[(mark + 1)...]
    }

    /// The value of the first field named `name` (ASCII case-insensitive), or nil.
    public func value(of name: StaticString) -> [UInt8]? {
        for field in fields where field.hasName(name) { return field.value }
        return nil
    }

    /// One line: `GET /index.html HTTP/1.1 fields=3 body=0 keep-alive`.
    public var description: String {
        "\(method) \(asciiString(target)) \(version) fields=\(fields.count) body=\(body.count) "
            + (keepAlive ? "keep-alive" : "close")
    }
}

/// Why a request was refused. Each case is one response status (``status``); after any of them the parser is
/// stopped and the connection must close once the answer is sent (RFC 9112 §9.6 "closes the connection").
public enum HTTPRequestError: Error, Equatable, CustomStringConvertible {
    /// 400: malformed request line, field line or framing.
    case badRequest
    /// 413: the `Content-Length` (or a chunked body) exceeds ``HTTPLimits/maximumBodyLength``.
    case contentTooLarge
    /// 414: the request line exceeds ``HTTPLimits/maximumRequestLineLength``.
    case uriTooLong
    /// 431: the header section exceeds ``HTTPLimits/maximumHeaderSectionLength`` or
    /// ``HTTPLimits/maximumFieldCount``.
    case headerFieldsTooLarge
    /// 501: a `Transfer-Encoding` this server does not implement (RFC 9112 §6.1): any but `chunked`.
    case notImplemented
    /// 505: a major version other than 1.
    case versionNotSupported
    /// 408: the header section did not arrive within the server's deadline (RFC 9110 §15.5.9); raised by the
    /// transport's timer (``HTTPServer``), never by the parser.
    case requestTimeout

    /// The status to answer with.
    public var status: HTTPStatus {
        switch self {
        case .badRequest: .badRequest
        case .contentTooLarge: .contentTooLarge
        case .uriTooLong: .uriTooLong
        case .headerFieldsTooLarge: .requestHeaderFieldsTooLarge
        case .notImplemented: .notImplemented
        case .versionNotSupported: .httpVersionNotSupported
        case .requestTimeout: .requestTimeout
        }
    }

    public var description: String { status.description }
}

/// The parser's bounds. Memory held per connection is at most about one request line, one header section and one
/// body of these sizes.
public struct HTTPLimits {
    /// Bytes of the request line without its CRLF (RFC 9112 §3: at least 8000 recommended). Beyond: 414.
    public var maximumRequestLineLength: Int
    /// Bytes of all field lines, terminators included, plus the empty line. Beyond: 431.
    public var maximumHeaderSectionLength: Int
    /// Field lines. Beyond: 431.
    public var maximumFieldCount: Int
    /// `Content-Length` accepted. Beyond: 413.
    public var maximumBodyLength: Int

    public init(
        maximumRequestLineLength: Int = 8192, maximumHeaderSectionLength: Int = 16384, maximumFieldCount: Int = 100,
        maximumBodyLength: Int = 1 << 20
    ) {
        self.maximumRequestLineLength = maximumRequestLineLength
        self.maximumHeaderSectionLength = maximumHeaderSectionLength
        self.maximumFieldCount = maximumFieldCount
        self.maximumBodyLength = maximumBodyLength
    }
}

// MARK: - ASCII helpers (internal)

/// Whether `bytes` is exactly `text`.
func asciiEqual<Bytes: Collection>(_ bytes: Bytes, _ text: StaticString) -> Bool where Bytes.Element == UInt8 {
    text.withUTF8Buffer { expected in
        guard bytes.count == expected.count else { return false }
        var index = 0
        for byte in bytes {
            if byte != expected[index] { return false }
            index += 1
        }
        return true
    }
}

/// Whether `bytes` is `text` ignoring ASCII case.
func asciiEqualIgnoringCase<Bytes: Collection>(_ bytes: Bytes, _ text: StaticString) -> Bool
where Bytes.Element == UInt8 {
    text.withUTF8Buffer { expected in
        guard bytes.count == expected.count else { return false }
        var index = 0
        for byte in bytes {
            if asciiLowercased(byte) != asciiLowercased(expected[index]) { return false }
            index += 1
        }
        return true
    }
}

@inline(__always)
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
}

/// `bytes` as text for descriptions (non-ASCII bytes become `?`).
func asciiString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var text = ""
    for byte in bytes { text.append(Character(Unicode.Scalar(byte < 0x80 ? byte : UInt8(ascii: "?")))) }
    return text
}

/// Whether `byte` is a `tchar` (RFC 9110 §5.6.2).
@inline(__always)
func isTokenCharacter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "A")...UInt8(ascii: "Z"):
        return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
        UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default:
        return false
    }
}

/// Whether `bytes` is a non-empty token.
func isToken<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
    !bytes.isEmpty && bytes.allSatisfy(isTokenCharacter)
}

@inline(__always)
func isOptionalWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

/// `bytes` without leading and trailing SP/HTAB.
func trimmingWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var start = bytes.startIndex
    var end = bytes.endIndex
    while start < end && isOptionalWhitespace(bytes[start]) { start += 1 }
    while end > start && isOptionalWhitespace(bytes[end - 1]) { end -= 1 }
    return bytes[start..<end]
}
