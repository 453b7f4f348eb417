/// An incremental HTTP/1.1 request parser (RFC 9112 §2–§6, persistence per §9.3).
///
/// Feed it the bytes of a TCP stream in whatever pieces they arrive (one byte at a time works):
///
/// ```
/// var offset = 0
/// while offset < received.count {
///     let step = try parser.parse(UnsafeRawBufferPointer(rebasing: received[offset...]))
///     offset += step.consumed
///     if let request = step.request { answer(request) }   // pipelined requests come out in order
/// }
/// ```
///
/// ``parse(_:)`` stops right after a complete request, so at most one request is held at a time and a pipelining
/// client is paced by the server's answers. What it accepts:
///
/// - An empty line (up to 8) before the request line is ignored (§2.2). A line ends at LF; one CR before it is
///   dropped; a CR anywhere else is a 400 (§2.2).
/// - Request line (§3): `method SP request-target SP HTTP-version`, single spaces. The method is a token; the target
///   is origin-form (starts with `/`), absolute-form with an `http` or `https` scheme and a non-empty authority
///   (which a server must accept, §3.2.2), or `*` with OPTIONS; visible ASCII only (§3.2). `HTTP/1.0` and `HTTP/1.1`;
///   `HTTP/1.x` is handled as 1.1; another major digit is 505; anything else is 400.
/// - Field lines (§5): `token ":" OWS value OWS`; whitespace before the colon (§5.1) and obsolete line folding
///   (§5.2) are 400; values may hold VCHAR, obs-text, SP and HTAB only.
/// - HTTP/1.1 needs exactly one `Host` (§3.2); HTTP/1.0 at most one. Its value may be empty or hold only the
///   characters of `uri-host [":" port]` (RFC 3986 §3.2.2: unreserved, pct-encoded, sub-delims, `:`, `[`, `]`).
/// - Framing (§6): `Transfer-Encoding` with `Content-Length` is 400 (§6.3 item 3); in HTTP/1.0 it is 400 (§6.1);
///   `Transfer-Encoding: chunked` is decoded by ``HTTPBodyDecoder`` (§7.1); a coding list that does not end in
///   `chunked` is 400 (§6.3 item 4), any other coding before it 501. `Content-Length` values (several fields or a
///   comma list) must be digits and all equal, else 400 (§6.3 item 5); above the body limit is 413.
/// - `Expect: 100-continue` on an HTTP/1.1 request with content sets ``expectsContinue`` once the header section is
///   in (RFC 9110 §10.1.1); the caller sends `HTTP/1.1 100 Continue` and calls ``acknowledgeContinue()``.
/// - Persistence (§9.3): HTTP/1.1 stays open unless `Connection` lists `close`; HTTP/1.0 closes unless it lists
///   `keep-alive` (and not `close`).
///
/// Bodies are kept, dropped, or left to the caller (``HTTPBodyHandling``); the last is how ``HTTPServer`` streams
/// them to handlers.
///
/// Any error stops the parser: every later call throws the same error, and the caller answers with
/// ``HTTPRequestError/status`` and closes.
public struct HTTPRequestParser {
    /// What one ``HTTPRequestParser/parse(_:)`` call did.
    public struct Step {
        /// Bytes taken from the input; all of it unless a request completed earlier.
        public var consumed: Int
        /// The request completed by these bytes, if any.
        public var request: HTTPRequest?
    }

    enum State {
        case requestLine
        case fields
        case body
        case failed(HTTPRequestError)
    }

    /// The bounds in force.
    public let limits: HTTPLimits
    /// What happens to bodies.
    public let bodies: HTTPBodyHandling
    /// Whether bodies are kept in ``HTTPRequest/body`` (``HTTPBodyHandling/keep``).
    public var keepsBodies: Bool { bodies == .keep }
    var discarded = 0
    var decoder = HTTPBodyDecoder(framing: .none, maximumLength: 0)

    var state: State = .requestLine
    /// The line being collected, without its LF.
    var line: [UInt8] = []
    var emptyLinesSkipped = 0
    var headerSectionLength = 0

    var method: HTTPMethod = .get
    var target: [UInt8] = []
    var version: HTTPVersion = .http11
    var fields: [HTTPField] = []
    var body: [UInt8] = []
    var framing = HTTPBodyFraming.none

    /// Empty lines tolerated before a request line.
    static let maximumEmptyLines = 8

    public init(limits: HTTPLimits = HTTPLimits(), bodies: HTTPBodyHandling) {
        self.limits = limits
        self.bodies = bodies
    }

    /// A parser that keeps bodies, or reads and drops them (``HTTPRequest/discardedBodyLength`` says how many bytes):
    /// a server that never uses bodies then holds no body memory, however many clients send large ones at once.
    public init(limits: HTTPLimits = HTTPLimits(), keepsBodies: Bool = true) {
        self.init(limits: limits, bodies: keepsBodies ? .keep : .discard)
    }

    /// Whether no request is partly received: nothing buffered since the last complete request (so a peer's FIN
    /// here is an orderly close, elsewhere a truncated request).
    public var isIdle: Bool {
        if case .requestLine = state { return line.isEmpty }
        return false
    }

    /// Whether part of a request line or header section has arrived and its end has not: the time a server lets
    /// this last is its header deadline (slow clients that dribble header bytes hold a connection otherwise).
    public var isInHeaderSection: Bool {
        switch state {
        case .requestLine: return !line.isEmpty || emptyLinesSkipped > 0
        case .fields: return true
        case .body, .failed: return false
        }
    }

    /// The error that stopped the parser, if any.
    public var error: HTTPRequestError? {
        if case .failed(let error) = state { return error }
        return nil
    }

    /// Consumes `bytes` up to the end of the first request they complete.
    ///
    /// - Returns: how many bytes were taken and the completed request, if any. Parse the rest again.
    /// - Throws: ``HTTPRequestError`` for a request to refuse (see the type's discussion); the parser stays failed.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(HTTPRequestError) -> Step {
        var index = 0
        while index < bytes.count {
            switch state {
            case .failed(let error):
                throw error
            case .body:
                let rest = UnsafeRawBufferPointer(rebasing: bytes[index...])
                // Locals, not `self`'s properties, in the closure: the decoder is itself part of `self`.
                var kept = body
                body = []
                var dropped = 0
                let keep = keepsBodies
                let outcome: Result<Int, HTTPRequestError>
                do throws(HTTPRequestError) {
                    outcome = .success(
                        try decoder.decode(rest) { run in
                            if keep { kept.append(contentsOf: run) } else { dropped += run.count }
                        })
                } catch {
                    outcome = .failure(error)
                }
                body = kept
                discarded += dropped
                switch outcome {
                case .success(let taken): index += taken
                case .failure(let error): throw fail(error)
                }
                if decoder.isComplete { return Step(consumed: index, request: finish()) }
            case .requestLine, .fields:
                let byte = bytes[index]
                index += 1
                if byte == 0x0A {
                    if let request = try lineCompleted() { return Step(consumed: index, request: request) }
                } else {
                    line.append(byte)
                    try checkLineLength()
                }
            }
        }
        if case .failed(let error) = state { throw error }
        return Step(consumed: index, request: nil)
    }

    /// ``parse(_:)`` over an array's bytes.
    public mutating func parse(_ bytes: ArraySlice<UInt8>) throws(HTTPRequestError) -> Step {
        var result: Result<Step, HTTPRequestError> = .success(Step(consumed: 0, request: nil))
        bytes.withUnsafeBytes { raw in
            do throws(HTTPRequestError) {
                result = .success(try self.parse(raw))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: - Lines

    private mutating func fail(_ error: HTTPRequestError) -> HTTPRequestError {
        state = .failed(error)
        line = []
        fields = []
        body = []
        target = []
        return error
    }

    private mutating func checkLineLength() throws(HTTPRequestError) {
        switch state {
        case .requestLine:
            // One more byte may be the CR of the CRLF.
            if line.count > limits.maximumRequestLineLength + 1 { throw fail(.uriTooLong) }
        case .fields:
            headerSectionLength += 1
            if headerSectionLength > limits.maximumHeaderSectionLength { throw fail(.headerFieldsTooLarge) }
        default:
            break
        }
    }

    /// Handles the line in `line` (its LF just arrived); returns a request when it ends one without a body.
    private mutating func lineCompleted() throws(HTTPRequestError) -> HTTPRequest? {
        if line.last == 0x0D { line.removeLast() }
        if line.contains(0x0D) { throw fail(.badRequest) }
        switch state {
        case .requestLine:
            if line.isEmpty {
                emptyLinesSkipped += 1
                if emptyLinesSkipped > Self.maximumEmptyLines { throw fail(.badRequest) }
                return nil
            }
            if line.count > limits.maximumRequestLineLength { throw fail(.uriTooLong) }
            try parseRequestLine()
            line.removeAll(keepingCapacity: true)
            state = .fields
            headerSectionLength = 0
            return nil
        case .fields:
            headerSectionLength += 1
            if headerSectionLength > limits.maximumHeaderSectionLength { throw fail(.headerFieldsTooLarge) }
            if line.isEmpty { return try headerSectionCompleted() }
            try parseFieldLine()
            line.removeAll(keepingCapacity: true)
            return nil
        default:
            return nil
        }
    }

    private mutating func parseRequestLine() throws(HTTPRequestError) {
        guard let firstSpace = line.firstIndex(of: 0x20) else { throw fail(.badRequest) }
        guard let secondSpace = line[(firstSpace + 1)...].firstIndex(of: 0x20) else { throw fail(.badRequest) }
        let methodBytes = line[0..<firstSpace]
        let targetBytes = line[(firstSpace + 1)..<secondSpace]
        let versionBytes = line[(secondSpace + 1)...]
        guard isToken(methodBytes) else { throw fail(.badRequest) }
        method = HTTPMethod(token: Array(methodBytes))
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw fail(.badRequest)
        }
        let asterisk = targetBytes.count == 1 && targetBytes.first == UInt8(ascii: "*")
        let originForm = targetBytes.first == UInt8(ascii: "/")
        guard originForm || absoluteFormAuthorityStart(targetBytes) != nil || (asterisk && method == .options) else {
            throw fail(.badRequest)
        }
        target = Array(targetBytes)
        // HTTP-version = "HTTP" "/" DIGIT "." DIGIT (§2.3), case-sensitive.
        guard versionBytes.count == 8, asciiEqual(versionBytes.prefix(5), "HTTP/"),
            versionBytes[versionBytes.startIndex + 6] == UInt8(ascii: ".")
        else { throw fail(.badRequest) }
        let major = versionBytes[versionBytes.startIndex + 5]
        let minor = versionBytes[versionBytes.startIndex + 7]
        guard isDigit(major), isDigit(minor) else { throw fail(.badRequest) }
        guard major == UInt8(ascii: "1") else { throw fail(.versionNotSupported) }
        version = minor == UInt8(ascii: "0") ? .http10 : .http11
    }

    private mutating func parseFieldLine() throws(HTTPRequestError) {
        guard let field = parseHTTPFieldLine(line[...]) else { throw fail(.badRequest) }
        if fields.count == limits.maximumFieldCount { throw fail(.headerFieldsTooLarge) }
        fields.append(field)
    }

    // MARK: - Framing and persistence

    private mutating func headerSectionCompleted() throws(HTTPRequestError) -> HTTPRequest? {
        var hosts = 0
        var continueExpected = false
        for field in fields {
            if field.hasName("Host") {
                hosts += 1
                guard field.value.allSatisfy(isHostCharacter) else { throw fail(.badRequest) }
            } else if field.hasName("Expect") {
                continueExpected = asciiEqualIgnoringCase(field.value, "100-continue")
            }
        }
        if hosts > 1 || (version == .http11 && hosts == 0) { throw fail(.badRequest) }
        // Transfer-Encoding, Content-Length and Connection: read as for responses (HTTPFields.swift); the request
        // rules of RFC 9112 §6.3 follow.
        guard let framingFields = HTTPFramingFields(fields) else { throw fail(.badRequest) }
        switch framingFields.transferCoding {
        case .none:
            let length = framingFields.contentLength ?? 0
            if length > UInt64(limits.maximumBodyLength) { throw fail(.contentTooLarge) }
            framing = length == 0 ? .none : .length(length)
        case .chunked, .chunkedAfterOthers, .chunkedNotLast:
            // With Content-Length (item 3), in HTTP/1.0 (§6.1) or not ending in chunked (item 4): 400.
            if framingFields.contentLength != nil || version == .http10
                || framingFields.transferCoding == .chunkedNotLast
            {
                throw fail(.badRequest)
            }
            if framingFields.transferCoding == .chunkedAfterOthers { throw fail(.notImplemented) }
            framing = .chunked
        }
        keepAlive = framingFields.persists(version)
        line.removeAll(keepingCapacity: true)
        if framing == .none { return finish() }
        // An HTTP/1.0 expectation is ignored (RFC 9110 §10.1.1).
        expectsContinue = continueExpected && version == .http11
        if bodies == .stream { return finish() }
        decoder = HTTPBodyDecoder(framing: framing, maximumLength: limits.maximumBodyLength)
        if keepsBodies, case .length(let length) = framing { body.reserveCapacity(Int(min(length, 64 * 1024))) }
        state = .body
        return nil
    }

    var keepAlive = true

    /// Whether the request being received asked for `100 Continue` before its body (RFC 9110 §10.1.1: an HTTP/1.1
    /// request with `Expect: 100-continue` and content) and the caller has not yet sent one. It turns on when the
    /// header section is complete and off with ``acknowledgeContinue()`` or when the request completes.
    public private(set) var expectsContinue = false

    /// Records that `HTTP/1.1 100 Continue` was sent (or will not be).
    public mutating func acknowledgeContinue() { expectsContinue = false }

    /// The request collected so far; resets for the next one.
    private mutating func finish() -> HTTPRequest {
        var request = HTTPRequest(
            method: method, target: target, version: version, fields: fields, body: body, keepAlive: keepAlive)
        request.discardedBodyLength = discarded
        request.framing = framing
        request.expectsContinue = expectsContinue
        discarded = 0
        framing = .none
        state = .requestLine
        line.removeAll(keepingCapacity: true)
        emptyLinesSkipped = 0
        target = []
        fields = []
        body = []
        expectsContinue = false
        return request
    }
}

/// What a parser does with request bodies.
public enum HTTPBodyHandling: Equatable {
    /// Collects each body into ``HTTPRequest/body``.
    case keep
    /// Reads each body and drops it, counting its bytes (``HTTPRequest/discardedBodyLength``).
    case discard
    /// Returns each request as soon as its header section is complete, with its ``HTTPRequest/framing``; the caller
    /// takes the body off the stream (``HTTPBodyDecoder``) before parsing the next request.
    case stream
}

/// Where the authority starts in an absolute-form target (`http://` or `https://`, any case, then at least one
/// authority byte), else nil.
func absoluteFormAuthorityStart<Bytes: Collection>(_ target: Bytes) -> Int? where Bytes.Element == UInt8 {
    let scheme: Int
    if asciiEqualIgnoringCase(target.prefix(7), "http://") {
        scheme = 7
    } else if asciiEqualIgnoringCase(target.prefix(8), "https://") {
        scheme = 8
    } else {
        return nil
    }
    guard let first = target.dropFirst(scheme).first, first != UInt8(ascii: "/"), first != UInt8(ascii: "?") else {
        return nil
    }
    return scheme
}

/// Whether `byte` may appear in a `Host` value: RFC 3986 unreserved, `%`, sub-delims, `:`, `[`, `]`.
func isHostCharacter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "A")...UInt8(ascii: "Z"):
        return true
    case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"),
        UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
        UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
        UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"):
        return true
    default:
        return false
    }
}

@inline(__always)
func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

/// `1*DIGIT` as a number, saturating at `UInt64.max`; nil when empty or not all digits.
func decimalValue(_ bytes: ArraySlice<UInt8>) -> UInt64? {
    guard !bytes.isEmpty else { return nil }
    var value: UInt64 = 0
    for byte in bytes {
        guard isDigit(byte) else { return nil }
        let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
        value = overflow1 || overflow2 ? UInt64.max : sum
    }
    return value
}
