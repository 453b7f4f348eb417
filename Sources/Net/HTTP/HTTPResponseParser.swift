/// The client's side of the message layer: a response head (RFC 9112 §4 status line, §5 fields) parsed
/// incrementally and bounded, and how its body is delimited (RFC 9112 §6.3). Field lines and framing fields go
/// through the same code as the server's requests (`HTTPFields.swift`); bodies through ``HTTPBodyDecoder``.

/// How a response's body is delimited (RFC 9112 §6.3, response rules).
public enum HTTPResponseFraming: Equatable {
    /// No body: a response to HEAD, a 1xx, 204 or 304 (item 1), or `Content-Length: 0`.
    case none
    /// `Content-Length` bytes (item 6).
    case length(UInt64)
    /// The chunked transfer coding (item 4, RFC 9112 §7.1).
    case chunked
    /// Neither: the body is everything until the server closes the connection (item 8).
    case untilClose

    /// The decoder framing for `.length` and `.chunked` (``HTTPBodyDecoder``); nil for `.untilClose`.
    var bodyFraming: HTTPBodyFraming? {
        switch self {
        case .none: HTTPBodyFraming.none
        case .length(let length): .length(length)
        case .chunked: .chunked
        case .untilClose: nil
        }
    }
}

/// A parsed response head.
public struct HTTPResponseHead: CustomStringConvertible {
    /// The response's protocol version (`HTTP/1.x` with x > 1 reads as 1.1).
    public var version: HTTPVersion
    /// The three-digit status code (100...599).
    public var status: UInt16
    /// The reason phrase as sent (clients ignore it, RFC 9112 §4).
    public var reason: [UInt8]
    /// The field lines in order.
    public var fields: [HTTPField]
    /// How the body is delimited, for the request method this head answered.
    public var framing: HTTPResponseFraming
    /// Whether the server keeps the connection open after the body (RFC 9112 §9.3); false for `.untilClose`.
    public var keepAlive: Bool
    /// Bytes of the head, line ends included.
    public var length: Int

    /// The value of the first field named `name` (ASCII case-insensitive), or nil.
    public func value(of name: StaticString) -> [UInt8]? {
        for field in fields where field.hasName(name) { return field.value }
        return nil
    }

    /// Whether this is an interim (1xx) response, to be followed by the final one (RFC 9110 §15.2).
    public var isInterim: Bool { status < 200 }

    /// `HTTP/1.1 200 fields=3 chunked keep-alive`.
    public var description: String {
        let framing: String
        switch self.framing {
        case .none: framing = "no-body"
        case .length(let length): framing = "length=\(length)"
        case .chunked: framing = "chunked"
        case .untilClose: framing = "until-close"
        }
        return "\(version) \(status) fields=\(fields.count) \(framing) \(keepAlive ? "keep-alive" : "close")"
    }
}

/// An incremental, bounded response head parser.
///
/// Feed it bytes as they arrive; ``parse(_:requestMethod:)`` stops right after the empty line that ends a head and
/// returns it (what follows is body, or the next head after a 1xx). What it accepts:
///
/// - Lines end at LF; one CR before it is dropped; a CR elsewhere is malformed (RFC 9112 §2.2).
/// - Status line (§4): `HTTP/1.x SP 3DIGIT [SP reason]`, the code 100...599, the reason VCHAR, obs-text, SP, HTAB.
///   A missing SP after the code is tolerated. Another major version is malformed.
/// - Field lines (§5) as for requests (``HTTPRequestParser``): no obsolete folding, no whitespace before the colon.
/// - Framing (§6.3): HEAD, 1xx, 204 and 304 have no body; `Transfer-Encoding: chunked` is chunked, with a
///   `Content-Length` too it is refused (item 3: a smuggling sign, "ought to be handled as an error"); any other
///   coding is ``HTTPClientError/unsupportedTransferCoding`` (a server may not send one unasked, §6.1); a
///   `Content-Length` whose values differ or are not numbers is malformed (item 5); no framing field: until close.
///
/// Bounds: the whole head (status line, fields, line ends) at most `maximumHeaderLength` bytes and
/// `maximumFieldCount` fields, else ``HTTPClientError/headerTooLarge``. Errors are sticky.
public struct HTTPResponseParser {
    /// Bytes a head may take, line ends included.
    public let maximumHeaderLength: Int
    /// Field lines a head may have.
    public let maximumFieldCount: Int

    var line: [UInt8] = []
    var length = 0
    var statusLine: (version: HTTPVersion, status: UInt16, reason: [UInt8])?
    var fields: [HTTPField] = []
    var failure: HTTPClientError?

    public init(maximumHeaderLength: Int = 16384, maximumFieldCount: Int = 100) {
        self.maximumHeaderLength = maximumHeaderLength
        self.maximumFieldCount = maximumFieldCount
    }

    /// Whether no byte of a head has arrived since the last one completed.
    public var isIdle: Bool { length == 0 }

    /// Consumes `bytes` up to the end of the first head they complete.
    ///
    /// - Parameter requestMethod: the method of the request being answered (HEAD responses have no body).
    /// - Returns: bytes taken, and the head if it completed; parse the rest again (body, or the final head after
    ///   a 1xx).
    /// - Throws: ``HTTPClientError/malformedResponse``, ``HTTPClientError/headerTooLarge``,
    ///   ``HTTPClientError/unsupportedTransferCoding``; the parser stays failed.
    public mutating func parse(
        _ bytes: UnsafeRawBufferPointer, requestMethod: HTTPMethod
    ) throws(HTTPClientError) -> (consumed: Int, head: HTTPResponseHead?) {
        if let failure { throw failure }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            length += 1
            if length > maximumHeaderLength { throw fail(.headerTooLarge) }
            guard byte == 0x0A else {
                line.append(byte)
                continue
            }
            if line.last == 0x0D { line.removeLast() }
            if line.contains(0x0D) { throw fail(.malformedResponse) }
            if statusLine == nil {
                try parseStatusLine()
            } else if line.isEmpty {
                return (index, try headCompleted(requestMethod))
            } else {
                guard let field = parseHTTPFieldLine(line[...]) else { throw fail(.malformedResponse) }
                if fields.count == maximumFieldCount { throw fail(.headerTooLarge) }
                fields.append(field)
            }
            line.removeAll(keepingCapacity: true)
        }
        return (index, nil)
    }

    /// ``parse(_:requestMethod:)`` over an array's bytes.
    public mutating func parse(
        _ bytes: ArraySlice<UInt8>, requestMethod: HTTPMethod
    ) throws(HTTPClientError) -> (consumed: Int, head: HTTPResponseHead?) {
        var result: Result<(consumed: Int, head: HTTPResponseHead?), HTTPClientError> = .success((0, nil))
        bytes.withUnsafeBytes { raw in
            do throws(HTTPClientError) {
                result = .success(try self.parse(raw, requestMethod: requestMethod))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    private mutating func fail(_ error: HTTPClientError) -> HTTPClientError {
        failure = error
        line = []
        fields = []
        return error
    }

    private mutating func parseStatusLine() throws(HTTPClientError) {
        // HTTP-version = "HTTP/" DIGIT "." DIGIT (§2.3), then SP 3DIGIT.
        guard line.count >= 12, asciiEqual(line[0..<5], "HTTP/"), line[5] == UInt8(ascii: "1"),
            line[6] == UInt8(ascii: "."), isDigit(line[7]), line[8] == 0x20,
            isDigit(line[9]), isDigit(line[10]), isDigit(line[11]), line.count == 12 || line[12] == 0x20
        else { throw fail(.malformedResponse) }
        let status = UInt16(line[9] - 0x30) * 100 + UInt16(line[10] - 0x30) * 10 + UInt16(line[11] - 0x30)
        guard status >= 100 && status <= 599 else { throw fail(.malformedResponse) }
        let reason = line.count > 13 ? Array(line[13...]) : []
        for byte in reason where byte < 0x20 && byte != 0x09 || byte == 0x7F { throw fail(.malformedResponse) }
        statusLine = (line[7] == UInt8(ascii: "0") ? .http10 : .http11, status, reason)
    }

    private mutating func headCompleted(_ method: HTTPMethod) throws(HTTPClientError) -> HTTPResponseHead {
        guard let statusLine else { throw fail(.malformedResponse) }
        guard let framingFields = HTTPFramingFields(fields) else { throw fail(.malformedResponse) }
        let framing: HTTPResponseFraming
        if method == .head || statusLine.status < 200 || statusLine.status == 204 || statusLine.status == 304 {
            framing = .none
        } else {
            switch framingFields.transferCoding {
            case .chunked:
                if framingFields.contentLength != nil { throw fail(.malformedResponse) }
                framing = .chunked
            case .chunkedAfterOthers, .chunkedNotLast:
                throw fail(.unsupportedTransferCoding)
            case .none:
                if let length = framingFields.contentLength {
                    framing = length == 0 ? .none : .length(length)
                } else {
                    framing = .untilClose
                }
            }
        }
        let head = HTTPResponseHead(
            version: statusLine.version, status: statusLine.status, reason: statusLine.reason, fields: fields,
            framing: framing, keepAlive: framing != .untilClose && framingFields.persists(statusLine.version),
            length: length)
        self.statusLine = nil
        fields = []
        line.removeAll(keepingCapacity: true)
        length = 0
        return head
    }
}
