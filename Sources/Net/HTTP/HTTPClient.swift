/// An HTTP/1.1 client (RFC 9112, RFC 9110) on a ``NetworkStack``: requests by URL, names through the stack's DNS
/// resolver, responses framed by `Content-Length`, chunked (RFC 9112 §7.1) or the connection's end, persistent
/// connections reused per host and port (RFC 9112 §9.3), timeouts on the runtime's clock, budgets, typed errors.
import Runtime

/// Sends requests and reads their responses, keeping a bounded pool of idle connections.
///
/// ```swift
/// let client = HTTPClient(stack: stack)
/// let response = try await client.get("http://service.internal:8080/status")   // throws(HTTPClientError)
/// print(response.status, response.body.count)
/// ```
///
/// - One request at a time per connection (no pipelining). A response that ends with the connection, asks for
///   `close`, or leaves stray bytes after its body closes its connection; otherwise the connection goes back to
///   the pool (``HTTPClientConfiguration/maximumIdleConnectionsPerHost``, ``HTTPClientConfiguration/maximumIdleConnections``;
///   the oldest is closed beyond them). A pooled connection the server has closed is dropped at the next request.
/// - If a reused connection closes or resets before any byte of the answer, an idempotent request (RFC 9110
///   §9.2.2) is sent once more on a new connection; others fail with the error.
/// - Interim (1xx) responses are skipped (RFC 9110 §15.2); 101 is malformed (no upgrade was asked).
/// - Redirects (301, 302, 303, 307, 308 with a `Location`) are returned as responses unless `followRedirects` is
///   above 0; then up to that many are followed (303, and 301/302 after POST, become GET without body, RFC 9110
///   §15.4), and one more is ``HTTPClientError/tooManyRedirects``. Request fields are sent again as they are.
/// - Memory held: per request the head (``HTTPClientConfiguration/maximumHeaderLength``), one read of up to
///   64 KiB, and a collected body (``HTTPClientConfiguration/maximumBodyLength``); per pooled connection its TCP
///   buffers.
public final class HTTPClient {
    /// The stack requests go out on.
    public let stack: NetworkStack
    /// Timeouts, budgets and pool bounds; changes apply to the next request.
    public var configuration: HTTPClientConfiguration
    /// What this client counted.
    public internal(set) var counters = HTTPClientCounters()
    /// Idle connections, oldest first.
    var idle: [HTTPClientConnection] = []

    public init(stack: NetworkStack, configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        self.stack = stack
        self.configuration = configuration
    }

    deinit {
        closeIdleConnections()
    }

    /// Idle connections in the pool.
    public var idleConnectionCount: Int { idle.count }

    /// Closes every idle connection.
    public func closeIdleConnections() {
        for connection in idle { connection.tcp.close() }
        idle = []
    }

    // MARK: - Conveniences

    /// GET `url`. Errors as ``execute(_:followRedirects:)``, plus the URL's.
    public func get(
        _ url: String, headers: [HTTPField] = [], followRedirects: Int = 0
    ) async throws(HTTPClientError) -> HTTPClientResponse {
        try await execute(HTTPClientRequest(method: .get, url: try HTTPURL(url), headers: headers),
                          followRedirects: followRedirects)
    }

    /// POST `body` to `url`, with `Content-Type: contentType` when given.
    public func post(
        _ url: String, body: [UInt8], contentType: String? = nil, headers: [HTTPField] = [], followRedirects: Int = 0
    ) async throws(HTTPClientError) -> HTTPClientResponse {
        var request = HTTPClientRequest(method: .post, url: try HTTPURL(url), headers: headers, body: body)
        if let contentType { request.addHeader("Content-Type", contentType) }
        return try await execute(request, followRedirects: followRedirects)
    }

    /// PUT `body` at `url`, with `Content-Type: contentType` when given.
    public func put(
        _ url: String, body: [UInt8], contentType: String? = nil, headers: [HTTPField] = [], followRedirects: Int = 0
    ) async throws(HTTPClientError) -> HTTPClientResponse {
        var request = HTTPClientRequest(method: .put, url: try HTTPURL(url), headers: headers, body: body)
        if let contentType { request.addHeader("Content-Type", contentType) }
        return try await execute(request, followRedirects: followRedirects)
    }

    /// DELETE `url`.
    public func delete(
        _ url: String, headers: [HTTPField] = [], followRedirects: Int = 0
    ) async throws(HTTPClientError) -> HTTPClientResponse {
        try await execute(HTTPClientRequest(method: .delete, url: try HTTPURL(url), headers: headers),
                          followRedirects: followRedirects)
    }

    // MARK: - Requests

    /// Sends `request` and returns the response with its whole body (at most
    /// ``HTTPClientConfiguration/maximumBodyLength`` bytes).
    ///
    /// - Throws: ``HTTPClientError``: the lookup (``HTTPClientError/dns(_:)``), the connection
    ///   (``HTTPClientError/connect(_:)``, ``HTTPClientError/transport(_:)``, ``HTTPClientError/connectionClosed``),
    ///   a timeout (``HTTPClientError/timedOut(_:)``), the response (``HTTPClientError/malformedResponse``,
    ///   ``HTTPClientError/headerTooLarge``, ``HTTPClientError/bodyTooLarge``, ``HTTPClientError/malformedBody``,
    ///   ``HTTPClientError/truncatedBody``, ``HTTPClientError/unsupportedTransferCoding``), redirects.
    public func execute(
        _ request: HTTPClientRequest, followRedirects: Int = 0
    ) async throws(HTTPClientError) -> HTTPClientResponse {
        var body: [UInt8] = []
        var response = try await execute(request, followRedirects: followRedirects) { body += $0 }
        response.body = body
        return response
    }

    /// Sends `request` and hands the final response's body to `deliver` as it arrives, in runs (never kept; the
    /// body budget still applies). The returned response has an empty ``HTTPClientResponse/body``. Errors as
    /// ``execute(_:followRedirects:)``; `deliver` may have seen part of the body when one is thrown.
    public func execute(
        _ request: HTTPClientRequest, followRedirects: Int = 0, body deliver: (UnsafeRawBufferPointer) -> Void
    ) async throws(HTTPClientError) -> HTTPClientResponse {
        var request = request
        var hops = 0
        while true {
            var length = 0
            let head: HTTPResponseHead
            do throws(HTTPClientError) {
                head = try await send(request, redirecting: followRedirects > 0) { run in
                    length += run.count
                    deliver(run)
                }
            } catch {
                counters.failures += 1
                switch error {
                case .timedOut: counters.timeouts += 1
                case .headerTooLarge, .bodyTooLarge: counters.budgetRefusals += 1
                default: break
                }
                throw error
            }
            counters.responses += 1
            guard followRedirects > 0, let redirection = redirect(from: request, head: head) else {
                return HTTPClientResponse(head: head, body: [], bodyLength: length, url: request.url)
            }
            guard let next = redirection else { throw .invalidRedirect }
            guard hops < followRedirects else { throw .tooManyRedirects }
            hops += 1
            counters.redirects += 1
            request = next
        }
    }

    /// The request a redirect asks for: nil when `head` is no redirect; `.some(nil)` when its `Location` is
    /// missing or unusable.
    func redirect(from request: HTTPClientRequest, head: HTTPResponseHead) -> HTTPClientRequest?? {
        guard Self.isRedirect(head.status) else { return nil }
        guard let location = head.value(of: "Location"), let url = request.url.resolving(location: location) else {
            return .some(nil)
        }
        var next = request
        next.url = url
        if head.status == 303 && request.method != .head || (head.status == 301 || head.status == 302)
            && request.method == .post
        {
            next.method = .get
            next.body = []
        }
        return .some(next)
    }

    /// 301, 302, 303, 307, 308 (RFC 9110 §15.4).
    static func isRedirect(_ status: UInt16) -> Bool {
        status == 301 || status == 302 || status == 303 || status == 307 || status == 308
    }

    /// One request and its response (one hop), with the resend of an idempotent request whose reused connection
    /// turned out closed. When `redirecting`, a redirect's body is read and dropped instead of delivered.
    func send(
        _ request: HTTPClientRequest, redirecting: Bool, deliver: (UnsafeRawBufferPointer) -> Void
    ) async throws(HTTPClientError) -> HTTPResponseHead {
        let message = try request.serialized(userAgent: configuration.userAgent)
        var resent = false
        while true {
            counters.requests += 1
            let (connection, reused) = try await checkout(request.url)
            var answered = false
            do throws(HTTPClientError) {
                let head = try await exchange(
                    message, method: request.method, on: connection, redirecting: redirecting, answered: &answered,
                    deliver: deliver)
                return head
            } catch {
                connection.tcp.abort()
                let stale = error == .connectionClosed || error == .transport(.connectionReset)
                    || error == .transport(.notConnected)
                if reused && stale && !answered && !resent && request.method.isIdempotent {
                    resent = true
                    counters.retries += 1
                    continue
                }
                throw error
            }
        }
    }

    /// Writes `message` on `connection`, reads the response head (skipping 1xx) and the body; returns the
    /// connection to the pool when it may be reused. Sets `answered` once a response byte arrived.
    func exchange(
        _ message: [UInt8], method: HTTPMethod, on connection: HTTPClientConnection, redirecting: Bool,
        answered: inout Bool, deliver: (UnsafeRawBufferPointer) -> Void
    ) async throws(HTTPClientError) -> HTTPResponseHead {
        let headDeadline = Instant.now + configuration.responseHeadTimeout
        do throws(TCPError) {
            try await connection.tcp.write(message, timeout: configuration.responseHeadTimeout)
        } catch {
            throw HTTPClientError(error, during: .responseHead)
        }
        // The head (RFC 9112 §4), skipping interim responses.
        var parser = HTTPResponseParser(
            maximumHeaderLength: configuration.maximumHeaderLength, maximumFieldCount: configuration.maximumFieldCount)
        var interim = 0
        var found: HTTPResponseHead? = nil
        while found == nil {
            if !connection.buffer.isEmpty {
                let step = try parser.parse(connection.buffer[...], requestMethod: method)
                connection.buffer.removeFirst(step.consumed)
                if let head = step.head {
                    if !head.isInterim {
                        found = head
                        break
                    }
                    interim += 1
                    // 101 switches protocols, which was never asked; endless 1xx would hold us to the deadline.
                    if head.status == 101 || interim > 16 { throw .malformedResponse }
                    continue
                }
            }
            let now = Instant.now
            guard now < headDeadline else { throw .timedOut(.responseHead) }
            let data = try await read(connection, timeout: headDeadline - now, phase: .responseHead)
            if data.isEmpty { throw .connectionClosed }
            answered = true
            connection.buffer += data
        }
        guard let head = found else { throw .malformedResponse }
        let limit = configuration.maximumBodyLength
        let drop = redirecting && Self.isRedirect(head.status) && head.value(of: "Location") != nil
        // The body (RFC 9112 §6.3).
        if case .length(let length) = head.framing, length > UInt64(limit) { throw .bodyTooLarge }
        if let framing = head.framing.bodyFraming {
            var decoder = HTTPBodyDecoder(framing: framing, maximumLength: limit)
            while !decoder.isComplete {
                if !connection.buffer.isEmpty {
                    let taken = try decode(&decoder, connection.buffer, drop ? { _ in } : deliver)
                    connection.buffer.removeFirst(taken)
                    continue
                }
                let data = try await read(connection, timeout: configuration.bodyTimeout, phase: .body)
                if data.isEmpty { throw .truncatedBody }
                connection.buffer = data
            }
        } else {
            var received = connection.buffer.count
            if received > limit { throw .bodyTooLarge }
            connection.buffer.withUnsafeBytes { if !drop { deliver($0) } }
            connection.buffer = []
            while true {
                let data = try await read(connection, timeout: configuration.bodyTimeout, phase: .body)
                if data.isEmpty { break }
                received += data.count
                if received > limit { throw .bodyTooLarge }
                data.withUnsafeBytes { if !drop { deliver($0) } }
            }
        }
        if head.keepAlive && connection.buffer.isEmpty {
            checkin(connection)
        } else {
            connection.tcp.close()
        }
        return head
    }

    /// One read of up to 64 KiB; empty at the end of the stream.
    private func read(
        _ connection: HTTPClientConnection, timeout: Duration, phase: HTTPClientPhase
    ) async throws(HTTPClientError) -> [UInt8] {
        do throws(TCPError) {
            return try await connection.tcp.read(maximum: 65536, timeout: timeout)
        } catch {
            throw HTTPClientError(error, during: phase)
        }
    }

    /// Runs `decoder` over `bytes`; returns the bytes it took.
    private func decode(
        _ decoder: inout HTTPBodyDecoder, _ bytes: [UInt8], _ deliver: (UnsafeRawBufferPointer) -> Void
    ) throws(HTTPClientError) -> Int {
        var outcome: Result<Int, HTTPRequestError> = .success(0)
        bytes.withUnsafeBytes { raw in
            do throws(HTTPRequestError) {
                outcome = .success(try decoder.decode(raw, deliver))
            } catch {
                outcome = .failure(error)
            }
        }
        switch outcome {
        case .success(let taken): return taken
        case .failure(let error): throw HTTPClientError(error)
        }
    }
}
