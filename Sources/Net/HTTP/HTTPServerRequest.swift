/// What an ``HTTPServer`` hands a handler: the request head, the route's path parameters, and the body as a stream.

/// A request as a handler sees it. The body is not read yet: read it with ``body`` (the server sends
/// `100 Continue` at the first read when the client asked for it), or leave it and the server drops it unread.
public struct HTTPServerRequest {
    /// The parsed head: method, target, version, fields, persistence.
    public let head: HTTPRequest
    /// The route's `:name` and `*name` values, in pattern order.
    public let parameters: [HTTPPathParameter]
    /// The body, read on demand; valid until the handler's response has been written.
    public let body: HTTPRequestBody

    public init(head: HTTPRequest, parameters: [HTTPPathParameter] = [], body: HTTPRequestBody = HTTPRequestBody()) {
        self.head = head
        self.parameters = parameters
        self.body = body
    }

    public var method: HTTPMethod { head.method }
    /// The request-target as received (RFC 9112 §3.2).
    public var target: [UInt8] { head.target }
    /// The target's path without the query (see ``HTTPRequest/path``).
    public var path: ArraySlice<UInt8> { head.path }
    /// The bytes after `?`, empty when none (see ``HTTPRequest/query``).
    public var query: ArraySlice<UInt8> { head.query }
    /// The field lines in the order received.
    public var headers: [HTTPField] { head.fields }

    /// The value of the first field named `name` (ASCII case-insensitive), or nil.
    public func header(_ name: StaticString) -> [UInt8]? { head.value(of: name) }

    /// The value of the path parameter `name` (as received, percent-encoded), or nil.
    public func parameter(_ name: StaticString) -> ArraySlice<UInt8>? {
        for parameter in parameters where asciiEqual(parameter.name, name) { return parameter.value }
        return nil
    }
}

/// A request's body as a stream of byte runs, decoded from its framing (`Content-Length` or chunked).
///
/// Each ``read(maximum:)`` returns the next bytes that arrived (waiting up to the server's idle deadline for them),
/// and an empty array at the end. A malformed chunk, a body over the server's limit, a client that closes before
/// the whole body, or one that stops sending throws ``HTTPError/request(_:)``; the server then answers that status
/// (if the handler rethrows it) and closes the connection.
public struct HTTPRequestBody {
    let loop: HTTPConnectionLoop?
    let number: Int
    /// How the body is delimited.
    public let framing: HTTPBodyFraming

    /// An empty body (for a request built by hand, e.g. in a test).
    public init() {
        self.loop = nil
        self.number = 0
        self.framing = .none
    }

    init(loop: HTTPConnectionLoop, number: Int, framing: HTTPBodyFraming) {
        self.loop = loop
        self.number = number
        self.framing = framing
    }

    /// The body's length when known in advance: `Content-Length`, or 0 for none; nil for a chunked body.
    public var length: UInt64? {
        switch framing {
        case .none: 0
        case .length(let count): count
        case .chunked: nil
        }
    }

    /// The next bytes of the body, at most `maximum`; empty once it has all been read.
    ///
    /// - Throws: ``HTTPError/request(_:)`` (400 malformed or truncated, 408 too slow, 413 too large),
    ///   ``HTTPError/transport(_:)``.
    public func read(maximum: Int = 65536) async throws(HTTPError) -> [UInt8] {
        guard let loop else { return [] }
        return try await loop.readBody(number, maximum: max(maximum, 1))
    }

    /// The whole body, if it is at most `maximum` bytes; else throws 413 (``HTTPRequestError/contentTooLarge``).
    public func collect(upTo maximum: Int) async throws(HTTPError) -> [UInt8] {
        if let length, length > UInt64(max(maximum, 0)) { throw tooLarge() }
        var bytes: [UInt8] = []
        while true {
            let run = try await read()
            if run.isEmpty { return bytes }
            if bytes.count + run.count > maximum { throw tooLarge() }
            bytes += run
        }
    }

    private func tooLarge() -> HTTPError {
        let error = HTTPError.request(.contentTooLarge)
        if let loop, loop.requestNumber == number { loop.bodyFailure = error }
        return error
    }
}
