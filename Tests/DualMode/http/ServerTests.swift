/// HTTPServer (Sources/Net/HTTP/HTTPServer.swift, HTTPConnectionLoop.swift) on the image's own stack: a client
/// connection sends raw bytes through loopback and checks the exact answers, deadlines, budgets and counters.
import Net
import Runtime

/// The one stack of this image (a device is acquired once), brought up by the first server test.
enum SharedStack {
    nonisolated(unsafe) static var stack: NetworkStack?
    nonisolated(unsafe) static var nextPort: UInt16 = 8000
    /// The last test's listener, closed when the next test starts one (the stack has few listener slots).
    nonisolated(unsafe) static var listener: TCPListener?
}

func serverStack() async throws(TestFailure) -> NetworkStack {
    if let stack = SharedStack.stack { return stack }
    do throws(NetworkStackError) {
        let stack = try await NetworkStack.up(
            device: "service", configuration: .static(cidr: IPv4CIDR("10.9.0.2/24")!, gateway: nil), tcpCapacity: 64)
        SharedStack.stack = stack
        return stack
    } catch {
        throw TestFailure("stack up: \(error)")
    }
}

/// Serves `server` on a fresh port of the shared stack, in a task of its own until the next test starts a server.
func start(_ server: HTTPServer) async throws(TestFailure) -> UInt16 {
    let stack = try await serverStack()
    SharedStack.nextPort += 1
    let port = SharedStack.nextPort
    let listener: TCPListener
    do throws(TCPError) {
        listener = try TCPListener.listen(port: port, backlog: 16, on: stack)
    } catch {
        throw TestFailure("listen: \(error)")
    }
    SharedStack.listener?.close()
    SharedStack.listener = listener
    Task { _ = try? await server.serve(on: listener) }
    return port
}

/// One response as the client read it.
struct ClientResponse {
    var status = 0
    var fields: [(String, String)] = []
    var body: [UInt8] = []

    /// The value of field `name` (lowercase), or nil.
    func field(_ name: String) -> String? {
        for (key, value) in fields where key == name { return value }
        return nil
    }
}

/// A raw HTTP client on one connection, with its own buffer.
final class RawClient {
    let connection: TCPConnection
    var buffer: [UInt8] = []

    init(_ connection: TCPConnection) { self.connection = connection }

    static func connect(_ port: UInt16) async throws(TestFailure) -> RawClient {
        let stack = try await serverStack()
        do throws(TCPError) {
            return RawClient(
                try await TCPConnection.connect(to: stack.address!.address, port: port, on: stack, timeout: .seconds(5)))
        } catch {
            throw TestFailure("connect: \(error)")
        }
    }

    func send(_ text: String) async throws(TestFailure) { try await send(bytes(text)) }

    func send(_ data: [UInt8]) async throws(TestFailure) {
        do throws(TCPError) {
            try await connection.write(data, timeout: .seconds(10))
        } catch {
            throw TestFailure("send: \(error)")
        }
    }

    /// Reads more bytes into the buffer; false at the end of the stream.
    func fill(_ timeout: Duration = .seconds(10)) async throws(TestFailure) -> Bool {
        do throws(TCPError) {
            let data = try await connection.read(timeout: timeout)
            buffer += data
            return !data.isEmpty
        } catch {
            throw TestFailure("read: \(error)")
        }
    }

    /// Takes one line (without CRLF) from the buffer, reading as needed.
    func line() async throws(TestFailure) -> [UInt8] {
        while true {
            if let end = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[0..<(end > 0 && buffer[end - 1] == 0x0D ? end - 1 : end)])
                buffer.removeFirst(end + 1)
                return line
            }
            guard try await fill() else { throw TestFailure("end of stream inside a line: \(visible(buffer))") }
        }
    }

    func take(_ count: Int) async throws(TestFailure) -> [UInt8] {
        while buffer.count < count {
            guard try await fill() else { throw TestFailure("end of stream after \(buffer.count) of \(count) bytes") }
        }
        let data = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return data
    }

    /// Reads one response; `head` leaves the body out (a HEAD or 1xx answer).
    func response(head: Bool = false) async throws(TestFailure) -> ClientResponse {
        var response = ClientResponse()
        let statusLine = try await line()
        guard statusLine.count >= 12, text(Array(statusLine[0..<9])) == "HTTP/1.1 " else {
            throw TestFailure("status line: \(visible(statusLine))")
        }
        var code = 0
        for digit in statusLine[9..<12] { code = code * 10 + Int(digit) - 48 }
        response.status = code
        while true {
            let fieldLine = try await line()
            if fieldLine.isEmpty { break }
            guard let colon = fieldLine.firstIndex(of: UInt8(ascii: ":")) else {
                throw TestFailure("field line: \(visible(fieldLine))")
            }
            let name = fieldLine[0..<colon].map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
            var value = fieldLine[(colon + 1)...]
            while value.first == 0x20 { value = value.dropFirst() }
            response.fields.append((text(name), text(Array(value))))
        }
        if head || code < 200 || code == 204 { return response }
        if let length = response.field("content-length") {
            var count = 0
            for digit in length.utf8 { count = count * 10 + Int(digit) - 48 }
            response.body = try await take(count)
        } else if response.field("transfer-encoding") == "chunked" {
            while true {
                let sizeLine = try await line()
                var size = 0
                for byte in sizeLine {
                    let digit: Int
                    switch byte {
                    case 48...57: digit = Int(byte) - 48
                    case 97...102: digit = Int(byte) - 87
                    case 65...70: digit = Int(byte) - 55
                    default: digit = -1
                    }
                    if digit < 0 { break }
                    size = size * 16 + digit
                }
                if size == 0 {
                    _ = try await line()
                    break
                }
                response.body += try await take(size)
                _ = try await line()
            }
        }
        return response
    }

    /// Whether the server closes (end of stream or reset) within `timeout`, with nothing more to read.
    func closes(within timeout: Duration = .seconds(5)) async -> Bool {
        guard buffer.isEmpty else { return false }
        do throws(TCPError) {
            return try await connection.read(timeout: timeout).isEmpty
        } catch {
            return error != .timedOut
        }
    }

    func close() { connection.close() }
}

/// Byte `offset` of a `/big/N` body: the alphabet, repeated.
func bigByte(at offset: Int) -> UInt8 { UInt8(ascii: "a") + UInt8(offset % 26) }

/// A router for the tests: `/hello`, `/echo` (streamed back), `/big/N` (N bytes chunked), `/fail` (500),
/// `/missing` (a handler's 404), `/short` (promises 10 bytes, writes 5).
func testRouter() -> HTTPRouter {
    var router = HTTPRouter()
    router.get("/hello") { _ throws(HTTPError) in .text(.ok, "hello\n") }
    router.post("/echo") { request throws(HTTPError) in
        let body = request.body
        return HTTPServerResponse(
            body: .stream(length: body.length) { writer throws(HTTPError) in
                while true {
                    let run = try await body.read(maximum: 1000)
                    if run.isEmpty { return }
                    try await writer.write(run)
                }
            })
    }
    router.get("/big/:count") { request throws(HTTPError) in
        var count = 0
        for digit in request.parameter("count") ?? [] { count = count * 10 + Int(digit) - 48 }
        return HTTPServerResponse(
            body: .stream(length: nil) { writer throws(HTTPError) in
                // Runs of 4096 bytes (gathered into the output) and 20,000 (sent from the array directly) by turns.
                var sent = 0
                var large = false
                while sent < count {
                    let run = min(count - sent, large ? 20_000 : 4096)
                    try await writer.write((sent..<(sent + run)).map { bigByte(at: $0) })
                    sent += run
                    large.toggle()
                }
            })
    }
    router.get("/fail") { _ throws(HTTPError) in throw .status(.internalServerError) }
    router.get("/missing") { _ throws(HTTPError) in throw .status(.notFound) }
    router.get("/short") { _ throws(HTTPError) in
        HTTPServerResponse(body: .stream(length: 10) { writer throws(HTTPError) in try await writer.write(bytes("12345")) })
    }
    return router
}

func registerServerTests(_ suite: inout TestSuite) {
    suite.test("server.keep-alive-get-head-echo-chunked") { () async throws(TestFailure) in
        let server = HTTPServer(router: testRouter())
        let client = try await RawClient.connect(try await start(server))
        try await client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\nHEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        let get = try await client.response()
        try expect(get.status == 200 && text(get.body) == "hello\n", "GET: \(get.status) \(visible(get.body))")
        try expectEqual(get.field("content-length") ?? "none", "6", "GET length")
        let head = try await client.response(head: true)
        try expect(head.status == 200 && head.field("content-length") == "6", "HEAD has the GET's length")
        try await client.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world")
        let echo = try await client.response()
        try expect(echo.status == 200 && text(echo.body) == "hello world", "echo: \(visible(echo.body))")
        try expectEqual(echo.field("content-length") ?? "none", "11", "echo keeps the length")
        try await client.send(
            "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n")
        let chunked = try await client.response()
        try expect(chunked.field("transfer-encoding") == "chunked", "chunked in, chunked out")
        try expectEqual(text(chunked.body), "abcde", "chunked echo")
        try await client.send("GET /big/100000 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        let big = try await client.response()
        try expect(big.body.count == 100_000 && big.field("connection") == "close", "100000 chunked bytes, then close")
        try expect(big.body == (0..<100_000).map { bigByte(at: $0) }, "the chunked bytes in order, gathered and direct runs")
        try expect(await client.closes(), "closed after Connection: close")
        try expectEqual(server.counters.requests, 5, "requests")
        try expectEqual(server.counters.successful, 5, "2xx")
    }
    suite.test("server.refusals-close-and-are-counted") { () async throws(TestFailure) in
        var limits = HTTPServerLimits()
        limits.request.maximumBodyLength = 1000
        limits.request.maximumHeaderSectionLength = 512
        let server = HTTPServer(router: testRouter(), limits: limits)
        let port = try await start(server)
        let cases: [(String, Int)] = [
            ("BAD\r\n\r\n", 400),
            ("GET /hello HTTP/1.1\r\nHost: h\r\nX: " + repeated("v", 600) + "\r\n\r\n", 431),
            ("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n", 413),
            ("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n", 413),
            ("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 400),
            ("GET /fail HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 500),
        ]
        for (request, status) in cases {
            let client = try await RawClient.connect(port)
            try await client.send(request)
            let response = try await client.response()
            try expectEqual(response.status, status, visible(bytes(String(request.prefix(40)))))
            try expect(await client.closes(), "\(status): closed")
            client.close()
        }
        let counters = server.counters
        try expect(
            counters.badRequests == 2 && counters.headersTooLarge == 1 && counters.contentTooLarge == 2
                && counters.handlerFailures == 1 && counters.serverErrors == 1,
            "counters: \(counters)")
    }
    suite.test("server.404-405-and-handler-statuses-keep-the-connection-and-drop-bodies") { () async throws(TestFailure) in
        let server = HTTPServer(router: testRouter())
        let client = try await RawClient.connect(try await start(server))
        try await client.send(
            "POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n" + repeated("z", 5000)
                + "GET /nope HTTP/1.1\r\nHost: h\r\n\r\nGET /missing HTTP/1.1\r\nHost: h\r\n\r\n"
                + "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        let notAllowed = try await client.response()
        try expect(notAllowed.status == 405 && notAllowed.field("allow") == "GET, HEAD", "405 with Allow")
        try expectEqual(try await client.response().status, 404, "no route")
        try expectEqual(try await client.response().status, 404, "handler's 404")
        try expectEqual(try await client.response().status, 200, "still serving")
        try expectEqual(server.counters.discardedBodyBytes, 5000, "the POST body was dropped")
        try expectEqual(server.counters.notFound, 2, "404s")
    }
    suite.test("server.100-continue-before-the-body-or-close") { () async throws(TestFailure) in
        let server = HTTPServer(router: testRouter())
        let port = try await start(server)
        let client = try await RawClient.connect(port)
        try await client.send("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let interim = try await client.response(head: true)
        try expectEqual(interim.status, 100, "100 Continue first")
        try await client.send("ping")
        let echo = try await client.response()
        try expect(echo.status == 200 && text(echo.body) == "ping", "then the echo")
        let other = try await RawClient.connect(port)
        try await other.send("POST /hello HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let refused = try await other.response()
        try expect(refused.status == 405 && refused.field("connection") == "close", "no 100 for an unread body: close")
        try expect(await other.closes(), "closed")
        try expectEqual(server.counters.informational, 1, "one 100 sent")
    }
    suite.test("server.header-deadline-408-and-idle-deadline") { () async throws(TestFailure) in
        let limits = HTTPServerLimits(headerDeadline: .milliseconds(300), idleDeadline: .milliseconds(600))
        let server = HTTPServer(router: testRouter(), limits: limits)
        let port = try await start(server)
        let slow = try await RawClient.connect(port)
        let started = Instant.now
        try await slow.send("GET /hello HT")
        let timedOut = try await slow.response()
        let waited = Instant.now - started
        try expect(timedOut.status == 408 && timedOut.field("connection") == "close", "408: \(timedOut.status)")
        try expect(waited >= .milliseconds(300) && waited < .seconds(3), "at the deadline: \(waited)")
        let idle = try await RawClient.connect(port)
        try await idle.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        try expectEqual(try await idle.response().status, 200, "served")
        try expect(await idle.closes(within: .seconds(5)), "closed when idle")
        try expectEqual(server.counters.requestTimeouts, 1, "408 counted")
        try expectEqual(server.counters.idleTimeouts, 1, "idle close counted")
    }
    suite.test("server.write-deadline-resets-a-client-that-does-not-read") { () async throws(TestFailure) in
        let server = HTTPServer(router: testRouter(), limits: HTTPServerLimits(writeDeadline: .milliseconds(300)))
        let client = try await RawClient.connect(try await start(server))
        try await client.send("GET /big/20000000 HTTP/1.1\r\nHost: h\r\n\r\n")
        let deadline = Instant.now + .seconds(10)
        while server.counters.writeTimeouts == 0 && Instant.now < deadline { try? await sleep(for: .milliseconds(50)) }
        try expectEqual(server.counters.writeTimeouts, 1, "write deadline hit")
        try expectEqual(server.activeConnections, 0, "connection gone")
        client.connection.abort()
    }
    suite.test("server.connection-budget-answers-503") { () async throws(TestFailure) in
        let server = HTTPServer(router: testRouter(), limits: HTTPServerLimits(maximumConnections: 1))
        let port = try await start(server)
        let first = try await RawClient.connect(port)
        try await first.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        try expectEqual(try await first.response().status, 200, "first served")
        let second = try await RawClient.connect(port)
        try await second.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        let refused = try await second.response()
        try expect(refused.status == 503 && refused.field("connection") == "close", "503: \(refused.status)")
        try expectEqual(server.counters.unavailable, 1, "503 counted")
        first.close()
        let deadline = Instant.now + .seconds(5)
        while server.activeConnections > 0 && Instant.now < deadline { try? await sleep(for: .milliseconds(20)) }
        let third = try await RawClient.connect(port)
        try await third.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        try expectEqual(try await third.response().status, 200, "served again once the first closed")
    }
    suite.test("server.a-stream-that-fails-before-anything-was-sent-is-answered-500") { () async throws(TestFailure) in
        // /short promises 10 bytes and writes 5: nothing has left the server yet, so it answers 500 and closes
        // (once output has been sent, the connection is reset instead; the write-deadline test covers a reset).
        let server = HTTPServer(router: testRouter())
        let client = try await RawClient.connect(try await start(server))
        try await client.send("GET /short HTTP/1.1\r\nHost: h\r\n\r\n")
        let response = try await client.response()
        try expect(response.status == 500 && response.field("connection") == "close", "500: \(response.status)")
        try expect(await client.closes(), "closed")
        try expectEqual(server.counters.handlerFailures, 1, "counted")
    }
}
