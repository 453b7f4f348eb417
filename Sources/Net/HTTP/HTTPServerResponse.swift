/// What a handler returns: a status, fields, and a body of bytes or a streaming writer.

/// Writes a streamed body (see ``HTTPServerResponse/Body/stream(length:_:)``).
public typealias HTTPBodyStream = (HTTPBodyWriter) async throws(HTTPError) -> Void

/// A handler's response. The server adds `Server`, `Date`, the framing (`Content-Length`, or
/// `Transfer-Encoding: chunked` for a stream of unknown length) and `Connection`, and leaves the body out for HEAD.
public struct HTTPServerResponse {
    public var status: HTTPStatus
    /// The media type for `Content-Type`, if any.
    public var contentType: StaticString?
    /// More fields (`Allow`, `ETag`, `Location`, ...). Do not set the framing fields or `Connection`.
    public var headers: [HTTPField]
    public var body: Body

    /// The bytes after the head.
    public enum Body {
        case empty
        case bytes([UInt8])
        /// Text in the image, never copied.
        case text(StaticString)
        /// Bytes written by a function after the head: exactly `length` of them, or, with nil, a chunked body
        /// (RFC 9112 §7.1; to an HTTP/1.0 client, a body that ends when the connection closes). Not called for HEAD.
        case stream(length: UInt64?, HTTPBodyStream)

        /// The length, nil for a chunked stream.
        var length: UInt64? {
            switch self {
            case .empty: 0
            case .bytes(let bytes): UInt64(bytes.count)
            case .text(let text): UInt64(text.utf8CodeUnitCount)
            case .stream(let length, _): length
            }
        }
    }

    public init(
        status: HTTPStatus = .ok, contentType: StaticString? = nil, headers: [HTTPField] = [], body: Body = .empty
    ) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// A `text/plain` response.
    public static func text(_ status: HTTPStatus, _ text: StaticString) -> HTTPServerResponse {
        HTTPServerResponse(status: status, contentType: "text/plain", body: .text(text))
    }

    /// The server's own answer for `status`: its reason phrase and a newline, as `text/plain`.
    public static func plain(_ status: HTTPStatus) -> HTTPServerResponse {
        var bytes: [UInt8] = []
        bytes.write(status.reason)
        bytes.append(0x0A)
        return HTTPServerResponse(status: status, contentType: "text/plain", body: .bytes(bytes))
    }

    /// Adds the field `name: value`.
    public mutating func addHeader(_ name: StaticString, _ value: [UInt8]) {
        var field = HTTPField(name: [], value: value)
        field.name.write(name)
        headers.append(field)
    }
}

/// Writes a streamed response body; the server frames it (chunks, or checks the promised length) and sends it,
/// each write within the write deadline. Small writes are gathered into runs of 16 KiB; a write of 16 KiB or more
/// goes from the caller's buffer straight into the connection's send ring.
public struct HTTPBodyWriter {
    let loop: HTTPConnectionLoop

    /// Sends `bytes` as the next part of the body; `bytes` must stay valid until the call returns (as for
    /// ``TCPConnection/write(_:timeout:)``).
    ///
    /// - Throws: ``HTTPError/transport(_:)`` when the client is gone or does not read within the write deadline;
    ///   ``HTTPError/status(_:)`` (500) when the bytes would exceed the promised length.
    public func write(_ bytes: UnsafeRawBufferPointer) async throws(HTTPError) {
        if bytes.count >= HTTPConnectionLoop.flushSize {
            try await loop.sendBody(bytes)
        } else {
            try loop.appendBody(bytes)
            try await loop.flushIfFull()
        }
    }

    /// ``write(_:)`` for an array.
    public func write(_ bytes: [UInt8]) async throws(HTTPError) {
        if bytes.count >= HTTPConnectionLoop.flushSize {
            try await loop.sendBody(bytes)
            return
        }
        var outcome: Result<Void, HTTPError> = .success(())
        bytes.withUnsafeBytes { raw in
            do throws(HTTPError) {
                try loop.appendBody(raw)
            } catch {
                outcome = .failure(error)
            }
        }
        try outcome.get()
        try await loop.flushIfFull()
    }
}
