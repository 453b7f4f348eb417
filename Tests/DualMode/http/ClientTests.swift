/// The HTTP client (Sources/Net/HTTP/HTTPClient.swift, HTTPResponseParser.swift, HTTPURL.swift): the response head
/// parser and framing over fixed bytes in any pieces, URLs, the request's wire form; then ``HTTPClient`` against
/// ``HTTPServer`` on the image's own stack through loopback (keep-alive reuse, chunked and Content-Length bodies,
/// budgets, timeouts, refused connections, a closed pooled connection, a name with no DNS server).
import Net
import Runtime

/// Feeds `input` to a fresh parser in pieces of `piece` bytes (0: all at once); the heads in order, then the
/// error if one stopped it, and the bytes after the last head.
func parseResponses(
    _ input: [UInt8], piece: Int = 0, method: HTTPMethod = .get, parser: HTTPResponseParser = HTTPResponseParser()
) -> (heads: [HTTPResponseHead], error: HTTPClientError?, rest: Int) {
    var parser = parser
    var heads: [HTTPResponseHead] = []
    var start = 0
    var afterHead = 0
    let size = piece == 0 ? max(input.count, 1) : piece
    while start < input.count {
        let end = min(start + size, input.count)
        var offset = start
        while offset < end {
            do throws(HTTPClientError) {
                let step = try parser.parse(input[offset..<end], requestMethod: method)
                offset += step.consumed
                if let head = step.head {
                    heads.append(head)
                    afterHead = offset
                    // A final head ends parsing: what follows is its body.
                    if !head.isInterim { return (heads, nil, input.count - afterHead) }
                }
            } catch {
                return (heads, error, 0)
            }
        }
        start = end
    }
    return (heads, nil, input.count - afterHead)
}

/// The one final head `input` holds, the same in every split, else a failure.
func parseResponse(_ input: String, method: HTTPMethod = .get) throws(TestFailure) -> HTTPResponseHead {
    var first: HTTPResponseHead? = nil
    for piece in [0, 1, 3] {
        let parsed = parseResponses(bytes(input), piece: piece, method: method)
        if let error = parsed.error { throw TestFailure("\(visible(bytes(input))): \(error)") }
        guard let head = parsed.heads.last, !head.isInterim else {
            throw TestFailure("\(visible(bytes(input))): no final head")
        }
        if let first, first.description != head.description {
            throw TestFailure("piece \(piece): \(head) differs from \(first)")
        }
        first = head
    }
    return first!
}

/// Fails unless `input` is refused with `expected` in every split.
func expectResponseRefused(
    _ input: [UInt8], _ expected: HTTPClientError, parser: HTTPResponseParser = HTTPResponseParser()
) throws(TestFailure) {
    let shown = input.count > 80 ? "\(visible(Array(input[0..<60])))... (\(input.count) bytes)" : visible(input)
    for piece in [0, 1] {
        let parsed = parseResponses(input, piece: piece, parser: parser)
        guard let error = parsed.error else { throw TestFailure("\(shown): accepted, expected \(expected)") }
        try expectEqual(error, expected, "\(shown) piece \(piece)")
    }
}

func expectURL(_ text: String, _ expected: HTTPClientError) throws(TestFailure) {
    let accepted: HTTPURL
    do throws(HTTPClientError) {
        accepted = try HTTPURL(text)
    } catch {
        try expectEqual(error, expected, text)
        return
    }
    throw TestFailure("\(text): accepted as \(accepted)")
}

func url(_ text: String) throws(TestFailure) -> HTTPURL {
    do throws(HTTPClientError) {
        return try HTTPURL(text)
    } catch {
        throw TestFailure("\(text): \(error)")
    }
}

/// A client on the shared stack with short timeouts.
func testClient(_ configure: (inout HTTPClientConfiguration) -> Void = { _ in }) async throws(TestFailure)
    -> HTTPClient
{
    var configuration = HTTPClientConfiguration()
    configuration.connectTimeout = .seconds(5)
    configuration.responseHeadTimeout = .seconds(5)
    configuration.bodyTimeout = .seconds(5)
    configure(&configuration)
    return HTTPClient(stack: try await serverStack(), configuration: configuration)
}

/// `http://<the stack's address>:port/path`.
func localURL(_ port: UInt16, _ path: String) async throws(TestFailure) -> String {
    let stack = try await serverStack()
    return "http://\(stack.address!.address):\(port)\(path)"
}

/// The error `body` throws; success fails the test.
func expectClientError(
    _ expected: HTTPClientError, _ what: String, _ body: () async throws(HTTPClientError) -> HTTPClientResponse
) async throws(TestFailure) {
    let response: HTTPClientResponse
    do throws(HTTPClientError) {
        response = try await body()
    } catch {
        try expectEqual(error, expected, what)
        return
    }
    throw TestFailure("\(what): answered \(response)")
}

/// The response `body` returns; an error fails the test.
func expectResponse(_ what: String, _ body: () async throws(HTTPClientError) -> HTTPClientResponse)
    async throws(TestFailure) -> HTTPClientResponse
{
    do throws(HTTPClientError) {
        return try await body()
    } catch {
        throw TestFailure("\(what): \(error)")
    }
}

func registerClientTests(_ suite: inout TestSuite) {
    // MARK: Response heads over fixed bytes
    suite.test("client.parser.content-length-head-in-any-pieces") { () throws(TestFailure) in
        let head = try parseResponse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
        try expectEqual(head.status, 200, "status")
        try expectEqual(text(head.reason), "OK", "reason")
        try expectEqual(head.description, "HTTP/1.1 200 fields=2 length=5 keep-alive", "head")
        try expectEqual(text(head.value(of: "content-type") ?? []), "text/plain", "field lookup ignores case")
        let parsed = parseResponses(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), piece: 4)
        try expectEqual(parsed.rest, 5, "the body is left for the decoder")
    }
    suite.test("client.parser.framing-per-rfc-9112-6.3") { () throws(TestFailure) in
        let cases: [(String, HTTPMethod, String)] = [
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .get, "HTTP/1.1 200 fields=1 chunked keep-alive"),
            ("HTTP/1.1 200 OK\r\n\r\n", .get, "HTTP/1.1 200 fields=0 until-close close"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", .get, "HTTP/1.1 200 fields=1 no-body keep-alive"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", .head, "HTTP/1.1 200 fields=1 no-body keep-alive"),
            ("HTTP/1.1 204 No Content\r\n\r\n", .delete, "HTTP/1.1 204 fields=0 no-body keep-alive"),
            ("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", .get, "HTTP/1.1 304 fields=1 no-body keep-alive"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n", .get,
             "HTTP/1.1 200 fields=2 length=3 close"),
            ("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", .get, "HTTP/1.0 200 fields=1 length=3 close"),
            ("HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n", .get,
             "HTTP/1.0 200 fields=2 length=3 keep-alive"),
            ("HTTP/1.1 200\nContent-Length: 3, 3\n\n", .get, "HTTP/1.1 200 fields=1 length=3 keep-alive"),
        ]
        for (input, method, expected) in cases {
            try expectEqual(try parseResponse(input, method: method).description, expected, visible(bytes(input)))
        }
    }
    suite.test("client.parser.interim-heads-come-first") { () throws(TestFailure) in
        let parsed = parseResponses(
            bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: <a>\r\n\r\nHTTP/1.1 201 Created\r\n"
                + "Content-Length: 2\r\n\r\nok"), piece: 2)
        try expect(parsed.error == nil, "accepted")
        try expectEqual(parsed.heads.count, 3, "two interim heads, then the final one")
        try expect(parsed.heads[0].isInterim && parsed.heads[1].isInterim && parsed.heads[2].status == 201, "order")
        try expectEqual(parsed.rest, 2, "body left")
    }
    suite.test("client.parser.malformed-heads-are-refused") { () throws(TestFailure) in
        for bad in [
            "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.1 600 High\r\n\r\n",
            "ICY 200 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1 200 OK\r\n Folded: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nName : x\r\n\r\n", "HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n",
            "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, \r\n\r\n",
        ] {
            try expectResponseRefused(bytes(bad), .malformedResponse)
        }
        for unsupported in ["gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked"] {
            try expectResponseRefused(
                bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: \(unsupported)\r\n\r\n"), .unsupportedTransferCoding)
        }
    }
    suite.test("client.parser.header-budget-bytes-and-fields") { () throws(TestFailure) in
        let head = "HTTP/1.1 200 OK\r\nX: " + repeated("v", 100) + "\r\n\r\n"
        let exact = HTTPResponseParser(maximumHeaderLength: head.utf8.count)
        let parsed = parseResponses(bytes(head), piece: 7, parser: exact)
        try expect(parsed.error == nil && parsed.heads.count == 1, "a head of exactly the budget is accepted")
        try expectResponseRefused(bytes(head), .headerTooLarge,
                                  parser: HTTPResponseParser(maximumHeaderLength: head.utf8.count - 1))
        // No end of line at all: refused at the budget, not held for ever.
        try expectResponseRefused(bytes("HTTP/1.1 200 " + repeated("x", 20000)), .headerTooLarge)
        var fields = "HTTP/1.1 200 OK\r\n"
        for index in 0..<11 { fields += "F\(index): v\r\n" }
        try expectResponseRefused(bytes(fields + "\r\n"), .headerTooLarge,
                                  parser: HTTPResponseParser(maximumFieldCount: 10))
    }

    // MARK: URLs and requests
    suite.test("client.url.parts-defaults-and-refusals") { () throws(TestFailure) in
        let plain = try url("http://Example.Test/a/b?q=1#frag")
        try expect(plain.host == "example.test" && plain.port == 80, "host lowercased, port 80: \(plain)")
        try expectEqual(text(plain.target), "/a/b?q=1", "target without the fragment")
        try expectEqual(plain.authority, "example.test", "no default port in Host")
        let ported = try url("HTTP://10.0.0.1:8080")
        try expect(ported.port == 8080 && text(ported.target) == "/" && ported.authority == "10.0.0.1:8080", "\(ported)")
        try expectEqual(text(try url("http://h?x").target), "/?x", "a query without a path")
        try expectEqual(try url("http://h:/").port, 80, "an empty port is the default")
        try expectURL("https://h/", .unsupportedScheme)
        try expectURL("ftp://h/", .unsupportedScheme)
        for bad in [
            "http:/h", "http://", "http:///x", "http://h:0/", "http://h:65536/", "http://h:8x/", "http://u@h/",
            "http://[::1]/", "http://h/a b", "h/x", "://h", "http://h\u{7F}/",
        ] {
            try expectURL(bad, .invalidURL)
        }
        try expectEqual(plain.resolving(location: bytes("/c?d#e"))?.description ?? "nil", "http://example.test/c?d",
                        "absolute path")
        try expectEqual(plain.resolving(location: bytes("http://other:81/x"))?.description ?? "nil",
                        "http://other:81/x", "absolute URL")
        try expect(plain.resolving(location: bytes("relative")) == nil, "relative path refused")
        try expect(plain.resolving(location: bytes("https://h/")) == nil, "https refused")
        try expect(plain.resolving(location: bytes("//h/x")) == nil, "network-path reference refused")
    }
    suite.test("client.request.wire-form") { () throws(TestFailure) in
        var request = HTTPClientRequest(method: .post, url: try url("http://h:8080/p?q"), body: bytes("abc"))
        request.addHeader("X-Test", "1")
        request.addHeader("Content-Length", "99")
        request.addHeader("Connection", "close")
        let wire: [UInt8]
        do throws(HTTPClientError) {
            wire = try request.serialized()
        } catch {
            throw TestFailure("serialized: \(error)")
        }
        try expectHTTPBytes(
            wire,
            bytes("POST /p?q HTTP/1.1\r\nHost: h:8080\r\nX-Test: 1\r\nUser-Agent: swiftlet\r\nContent-Length: 3\r\n\r\nabc"),
            "POST")
        let empty = HTTPClientRequest(method: .put, url: try url("http://h/"))
        let emptyWire: [UInt8]
        do throws(HTTPClientError) {
            emptyWire = try empty.serialized()
        } catch {
            throw TestFailure("empty PUT: \(error)")
        }
        try expectHTTPBytes(
            emptyWire, bytes("PUT / HTTP/1.1\r\nHost: h\r\nUser-Agent: swiftlet\r\nContent-Length: 0\r\n\r\n"),
            "empty PUT")
        var injected = HTTPClientRequest(url: try url("http://h/"))
        injected.addHeader("X", "a\r\nEvil: 1")
        var refusal: HTTPClientError? = nil
        do throws(HTTPClientError) {
            _ = try injected.serialized()
        } catch {
            refusal = error
        }
        try expect(refusal == .invalidHeader, "a CRLF in a value: \(refusal.map { $0.description } ?? "sent")")
    }

    // MARK: HTTPClient against HTTPServer through loopback
    suite.test("client.keep-alive-reuses-one-connection") { () async throws(TestFailure) in
        let server = HTTPServer(router: testRouter())
        let port = try await start(server)
        let client = try await testClient()
        let address = try await localURL(port, "/hello")
        for round in 0..<3 {
            let response = try await expectResponse("GET \(round)") { () async throws(HTTPClientError) in
                try await client.get(address)
            }
            try expect(response.status == 200 && text(response.body) == "hello\n", "GET \(round): \(response)")
        }
        try expectEqual(server.counters.connections, 1, "server: one connection")
        try expectEqual(server.counters.requests, 3, "server: three requests")
        try expect(client.counters.connectionsOpened == 1 && client.counters.connectionsReused == 2,
                   "client: \(client.counters)")
        try expectEqual(client.idleConnectionCount, 1, "one idle connection pooled")
        client.closeIdleConnections()
    }
    suite.test("client.chunked-and-length-bodies-and-post") { () async throws(TestFailure) in
        let server = HTTPServer(router: testRouter())
        let port = try await start(server)
        let client = try await testClient()
        let bigURL = try await localURL(port, "/big/100000")
        let echoURL = try await localURL(port, "/echo")
        let nothingURL = try await localURL(port, "/nothing")
        let big = try await expectResponse("chunked") { () async throws(HTTPClientError) in
            try await client.get(bigURL)
        }
        try expect(big.head.framing == .chunked && big.body.count == 100_000
                   && big.body == (0..<100_000).map { bigByte(at: $0) }, "100000 chunked bytes: \(big)")
        let echo = try await expectResponse("POST") { () async throws(HTTPClientError) in
            try await client.post(echoURL, body: bytes("ping pong"), contentType: "text/plain")
        }
        try expect(echo.head.framing == .length(9) && text(echo.body) == "ping pong", "echo: \(echo)")
        var streamed = 0
        let request = HTTPClientRequest(url: try url(try await localURL(port, "/big/70000")))
        let response = try await expectResponse("streamed") { () async throws(HTTPClientError) in
            try await client.execute(request) { streamed += $0.count }
        }
        try expect(streamed == 70_000 && response.bodyLength == 70_000 && response.body.isEmpty,
                   "streamed to the handler, not kept: \(response)")
        let missing = try await expectResponse("404") { () async throws(HTTPClientError) in
            try await client.delete(nothingURL)
        }
        try expectEqual(missing.status, 404, "a 404 is a response, not an error")
        try expectEqual(client.counters.connectionsOpened, 1, "all on one connection: \(client.counters)")
        client.closeIdleConnections()
    }
    suite.test("client.body-budget-for-length-and-chunked") { () async throws(TestFailure) in
        var router = HTTPRouter()
        router.get("/length") { _ throws(HTTPError) in
            HTTPServerResponse(body: .bytes([UInt8](repeating: 0x61, count: 2000)))
        }
        let server = HTTPServer(router: router)
        let port = try await start(server)
        let chunkedServer = HTTPServer(router: testRouter())
        let client = try await testClient { $0.maximumBodyLength = 1000 }
        let lengthURL = try await localURL(port, "/length")
        try await expectClientError(.bodyTooLarge, "Content-Length 2000 over 1000") { () async throws(HTTPClientError) in
            try await client.get(lengthURL)
        }
        let chunkedPort = try await start(chunkedServer)
        let overURL = try await localURL(chunkedPort, "/big/5000")
        let exactURL = try await localURL(chunkedPort, "/big/1000")
        try await expectClientError(.bodyTooLarge, "chunked 5000 over 1000") { () async throws(HTTPClientError) in
            try await client.get(overURL)
        }
        let exact = try await expectResponse("chunked 1000 at 1000") { () async throws(HTTPClientError) in
            try await client.get(exactURL)
        }
        try expectEqual(exact.body.count, 1000, "a body of exactly the budget")
        try expectEqual(client.counters.budgetRefusals, 2, "counted: \(client.counters)")
        client.closeIdleConnections()
    }
    suite.test("client.head-timeout-on-a-server-that-never-answers") { () async throws(TestFailure) in
        let stack = try await serverStack()
        SharedStack.nextPort += 1
        let port = SharedStack.nextPort
        let listener: TCPListener
        do throws(TCPError) {
            listener = try TCPListener.listen(port: port, backlog: 4, on: stack)
        } catch {
            throw TestFailure("listen: \(error)")
        }
        SharedStack.listener?.close()
        SharedStack.listener = listener
        let client = try await testClient { $0.responseHeadTimeout = .seconds(1) }
        let silentURL = try await localURL(port, "/")
        let started = Instant.now
        try await expectClientError(.timedOut(.responseHead), "silent server") { () async throws(HTTPClientError) in
            try await client.get(silentURL)
        }
        let waited = started.elapsed
        try expect(waited >= .milliseconds(900) && waited < .seconds(4), "about 1 s: \(waited.milliseconds) ms")
        try expectEqual(client.counters.timeouts, 1, "counted")
    }
    suite.test("client.refused-and-unresolvable") { () async throws(TestFailure) in
        let client = try await testClient()
        let closedURL = try await localURL(7, "/")
        try await expectClientError(.connect(.connectionRefused), "nothing listens") { () async throws(HTTPClientError) in
            try await client.get(closedURL)
        }
        // The shared stack has a static address and no DNS server.
        try await expectClientError(.dns(.noServers), "a name without a server") { () async throws(HTTPClientError) in
            try await client.get("http://service.test/")
        }
        try await expectClientError(.unsupportedScheme, "https") { () async throws(HTTPClientError) in
            try await client.get("https://10.9.0.2/")
        }
    }
    suite.test("client.pooled-connection-closed-by-the-server-is-replaced") { () async throws(TestFailure) in
        var limits = HTTPServerLimits()
        limits.idleDeadline = .milliseconds(300)
        let server = HTTPServer(router: testRouter(), limits: limits)
        let port = try await start(server)
        let client = try await testClient()
        let address = try await localURL(port, "/hello")
        _ = try await expectResponse("first") { () async throws(HTTPClientError) in try await client.get(address) }
        try? await sleep(for: .milliseconds(800))
        let second = try await expectResponse("after the server's idle close") { () async throws(HTTPClientError) in
            try await client.get(address)
        }
        try expectEqual(text(second.body), "hello\n", "answered")
        try expectEqual(client.counters.connectionsOpened, 2, "a new connection: \(client.counters)")
        try expect(client.counters.idleClosed + client.counters.retries >= 1, "the stale one dropped: \(client.counters)")
        client.closeIdleConnections()
    }
    suite.test("client.pool-bound-closes-the-oldest-idle-connection") { () async throws(TestFailure) in
        // (start closes the previous test listener, not the connections it accepted.)
        let client = try await testClient { $0.maximumIdleConnections = 1 }
        let first = try await start(HTTPServer(router: testRouter()))
        let firstURL = try await localURL(first, "/hello")
        _ = try await expectResponse("first") { () async throws(HTTPClientError) in try await client.get(firstURL) }
        let second = try await start(HTTPServer(router: testRouter()))
        let secondURL = try await localURL(second, "/hello")
        _ = try await expectResponse("second") { () async throws(HTTPClientError) in try await client.get(secondURL) }
        try expectEqual(client.idleConnectionCount, 1, "one idle connection kept")
        try expectEqual(client.counters.idleClosed, 1, "the first host's closed: \(client.counters)")
        _ = try await expectResponse("second again") { () async throws(HTTPClientError) in
            try await client.get(secondURL)
        }
        try expect(client.counters.connectionsOpened == 2 && client.counters.connectionsReused == 1,
                   "the kept one reused: \(client.counters)")
        var off = HTTPClientConfiguration()
        off.maximumIdleConnectionsPerHost = 0
        client.configuration = off
        _ = try await expectResponse("pool off") { () async throws(HTTPClientError) in try await client.get(secondURL) }
        try expectEqual(client.idleConnectionCount, 0, "pool=0 keeps nothing")
    }
    suite.test("client.redirects-only-when-asked") { () async throws(TestFailure) in
        var router = HTTPRouter()
        router.get("/old") { _ throws(HTTPError) in
            var response = HTTPServerResponse(status: HTTPStatus(code: 301, reason: "Moved Permanently"))
            response.addHeader("Location", bytes("/hello"))
            return response
        }
        router.get("/loop") { _ throws(HTTPError) in
            var response = HTTPServerResponse(status: HTTPStatus(code: 307, reason: "Temporary Redirect"))
            response.addHeader("Location", bytes("/loop"))
            return response
        }
        router.get("/hello") { _ throws(HTTPError) in .text(.ok, "hello\n") }
        let port = try await start(HTTPServer(router: router))
        let client = try await testClient()
        let old = try await localURL(port, "/old")
        let unfollowed = try await expectResponse("not followed") { () async throws(HTTPClientError) in
            try await client.get(old)
        }
        try expectEqual(unfollowed.status, 301, "the 301 itself")
        let followed = try await expectResponse("followed") { () async throws(HTTPClientError) in
            try await client.get(old, followRedirects: 1)
        }
        try expect(followed.status == 200 && text(followed.body) == "hello\n"
                   && text(followed.url.target) == "/hello", "followed: \(followed)")
        let loopURL = try await localURL(port, "/loop")
        try await expectClientError(.tooManyRedirects, "a loop") { () async throws(HTTPClientError) in
            try await client.get(loopURL, followRedirects: 3)
        }
        try expectEqual(client.counters.redirects, 4, "1 + 3 followed: \(client.counters)")
        client.closeIdleConnections()
    }
}
