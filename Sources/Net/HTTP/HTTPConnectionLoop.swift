import Runtime

/// One connection of an ``HTTPServer``: read a request head, route it, run the handler, write its response, drop
/// whatever of the body the handler left, and again while the connection persists (RFC 9112 §9.3).
///
/// Requests are answered one at a time, in order; pipelined ones wait in the input (RFC 9112 §9.3.2). The
/// connection closes after a response with `Connection: close` (asked by the client, or after a refusal: 400, 408,
/// 413, 414, 431, 501, 505, RFC 9112 §9.6), when the client closes, or after ``HTTPServerLimits/idleDeadline``
/// without a request; it is reset when a write misses ``HTTPServerLimits/writeDeadline`` or a streamed body fails
/// after its head was sent. A client that asked for `100 Continue` and whose body the handler never read is
/// answered with `Connection: close` (RFC 9110 §10.1.1 lets the server close instead of reading the body).
final class HTTPConnectionLoop {
    let server: HTTPServer
    let connection: TCPConnection
    let limits: HTTPServerLimits
    var parser: HTTPRequestParser

    /// Received bytes not yet taken, from `inputStart` on.
    var input: [UInt8] = []
    var inputStart = 0

    /// The request being handled (its body's reads check it), its body decoder and `100 Continue` state.
    var requestNumber = 0
    var decoder = HTTPBodyDecoder(framing: .none, maximumLength: 0)
    var expectsContinue = false
    var continueSent = false
    /// Why the body cannot be read further; the connection closes after the response.
    var bodyFailure: HTTPError? = nil

    /// Response bytes not yet written, and the streamed body's framing.
    var output: [UInt8] = []
    var chunkedBody = false
    var remainingBodyLength: UInt64? = nil
    /// Whether part of the current response has been written (a failure can no longer be answered).
    var flushedResponse = false

    /// Output is written once it reaches this size (and at the end of each response).
    static let flushSize = 16384
    /// Bytes asked of the socket per read: a request head, then a body.
    static let readSize = 16384
    static let bodyReadSize = 65536

    init(server: HTTPServer, connection: TCPConnection) {
        self.server = server
        self.connection = connection
        self.limits = server.limits
        self.parser = HTTPRequestParser(limits: server.limits.request, bodies: .stream)
    }

    // MARK: - The loop

    func run() async {
        while true {
            let head: HTTPRequest
            switch await nextHead() {
            case .request(let request):
                head = request
            case .closed:
                connection.close()
                return
            case .failed:
                connection.abort()
                return
            case .refused(let error):
                // The parser is stopped; the refusal closes the connection.
                let refusal = HTTPRequest(method: .get, target: [], version: .http11, keepAlive: false)
                if await write(.plain(error.status), for: refusal, keepAlive: false) {
                    await HTTPConnectionLoop.lingeringClose(connection)
                } else {
                    connection.abort()
                }
                return
            }
            server.counters.requests += 1
            requestNumber += 1
            decoder = HTTPBodyDecoder(framing: head.framing, maximumLength: limits.request.maximumBodyLength)
            expectsContinue = head.expectsContinue
            continueSent = false
            bodyFailure = nil
            var keepAlive = head.keepAlive
            var response: HTTPServerResponse
            switch server.router.resolve(head.method, head.path) {
            case .notFound:
                response = .plain(.notFound)
            case .methodNotAllowed(let allow):
                response = .plain(.methodNotAllowed)
                response.headers.append(HTTPField(name: Array("Allow".utf8), value: allow))
            case .handler(let handler, let parameters):
                let body = HTTPRequestBody(loop: self, number: requestNumber, framing: head.framing)
                do throws(HTTPError) {
                    response = try await handler(HTTPServerRequest(head: head, parameters: parameters, body: body))
                } catch {
                    switch error {
                    case .status(let status):
                        response = .plain(status)
                        if status.code == 500 { server.counters.handlerFailures += 1 }
                    case .request(let refusal):
                        response = .plain(refusal.status)
                        keepAlive = false
                    case .transport:
                        server.counters.transportFailures += 1
                        connection.abort()
                        return
                    }
                }
            }
            if bodyFailure != nil { keepAlive = false }
            // The client waits for 100 Continue that will not come: close rather than wait for a body.
            if !decoder.isComplete && expectsContinue && !continueSent { keepAlive = false }
            guard await write(response, for: head, keepAlive: keepAlive) else {
                connection.abort()
                return
            }
            if bodyFailure != nil { keepAlive = false }
            if keepAlive && !decoder.isComplete { keepAlive = await discardBody() }
            if !keepAlive {
                // A body still coming (refused, or never asked for with 100-continue): linger so that the answer
                // is not lost to the reset an unread input causes.
                if decoder.isComplete { connection.close() } else { await Self.lingeringClose(connection) }
                return
            }
        }
    }

    enum HeadOutcome {
        case request(HTTPRequest)
        /// The client closed, or stayed idle too long: close.
        case closed
        /// The connection failed: abort.
        case failed
        /// Answer with the error's status and close.
        case refused(HTTPRequestError)
    }

    /// Reads until a request head is complete, under the idle and header deadlines.
    func nextHead() async -> HeadOutcome {
        var headerDeadline: Instant? = nil
        while true {
            if inputStart < input.count {
                do throws(HTTPRequestError) {
                    let step = try parser.parse(input[inputStart...])
                    consume(step.consumed)
                    if let request = step.request { return .request(request) }
                } catch {
                    return .refused(error)
                }
            }
            var wait = limits.idleDeadline
            if parser.isInHeaderSection {
                let deadline = headerDeadline ?? Instant.now + limits.headerDeadline
                headerDeadline = deadline
                let left = deadline - Instant.now
                guard left > .zero else { return .refused(.requestTimeout) }
                if left < wait { wait = left }
            }
            do throws(TCPError) {
                if try await !receive(timeout: wait) { return .closed }
            } catch .timedOut {
                if headerDeadline != nil { return .refused(.requestTimeout) }
                server.counters.idleTimeouts += 1
                return .closed
            } catch {
                server.counters.transportFailures += 1
                return .failed
            }
        }
    }

    /// Reads more input; false at the end of the stream.
    func receive(timeout: Duration, maximum: Int = readSize) async throws(TCPError) -> Bool {
        let bytes = try await connection.read(maximum: maximum, timeout: timeout)
        if bytes.isEmpty { return false }
        if inputStart == input.count {
            input = bytes
        } else {
            if inputStart > 0 {
                input.removeFirst(inputStart)
            }
            input += bytes
        }
        inputStart = 0
        return true
    }

    func consume(_ count: Int) {
        inputStart += count
        if inputStart == input.count {
            input = []
            inputStart = 0
        }
    }

    /// Closes after a refusal the way RFC 9112 §9.6 recommends: FIN first, then read and drop what the client
    /// still sends (at most 64 KiB, 2 s), so that unread input does not turn the close into a reset that destroys
    /// the answer before the client reads it.
    static func lingeringClose(_ connection: TCPConnection) async {
        connection.closeWrite()
        let deadline = Instant.now + .seconds(2)
        var dropped = 0
        while dropped < 65536 {
            let left = deadline - Instant.now
            guard left > .zero else { break }
            do throws(TCPError) {
                let bytes = try await connection.read(maximum: 16384, timeout: left)
                if bytes.isEmpty { break }
                dropped += bytes.count
            } catch {
                break
            }
        }
        connection.close()
    }

    // MARK: - Request bodies

    /// The next run of request `number`'s body (see ``HTTPRequestBody/read(maximum:)``).
    func readBody(_ number: Int, maximum: Int) async throws(HTTPError) -> [UInt8] {
        guard number == requestNumber else { return [] }
        if let bodyFailure { throw bodyFailure }
        var bytes: [UInt8] = []
        while !decoder.isComplete {
            if inputStart < input.count {
                let end = min(input.count, inputStart + maximum)
                var outcome: Result<Int, HTTPRequestError> = .success(0)
                input.withUnsafeBytes { raw in
                    do throws(HTTPRequestError) {
                        outcome = .success(
                            try decoder.decode(UnsafeRawBufferPointer(rebasing: raw[inputStart..<end])) { run in
                                bytes.append(contentsOf: run)
                            })
                    } catch {
                        outcome = .failure(error)
                    }
                }
                switch outcome {
                case .success(let taken): consume(taken)
                case .failure(let error): throw failBody(.request(error))
                }
                if !bytes.isEmpty { return bytes }
                continue
            }
            if expectsContinue && !continueSent {
                // RFC 9110 §10.1.1: the client holds the body back until this interim response.
                continueSent = true
                server.counters.count(100)
                do throws(TCPError) {
                    try await connection.write(Self.continueBytes, timeout: limits.writeDeadline)
                } catch {
                    throw failBody(.transport(error))
                }
            }
            let more: Bool
            do throws(TCPError) {
                more = try await receive(timeout: limits.idleDeadline, maximum: Self.bodyReadSize)
            } catch .timedOut {
                throw failBody(.request(.requestTimeout))
            } catch {
                throw failBody(.transport(error))
            }
            // The client closed before the whole body: the body is shorter than its framing said.
            if !more { throw failBody(.request(.badRequest)) }
        }
        return bytes
    }

    static let continueBytes: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private func failBody(_ error: HTTPError) -> HTTPError {
        bodyFailure = error
        return error
    }

    /// Reads and drops the rest of the body the handler left; whether the connection can go on.
    func discardBody() async -> Bool {
        while !decoder.isComplete {
            do throws(HTTPError) {
                server.counters.discardedBodyBytes += try await readBody(requestNumber, maximum: 65536).count
            } catch {
                if case .request(let refusal) = error { server.counters.count(refusal.status.code) }
                return false
            }
        }
        return true
    }

    // MARK: - Responses

    /// Writes `response` to `request`; false when the connection must be reset (a write failed or missed its
    /// deadline, or a streamed body failed after the head).
    func write(_ response: HTTPServerResponse, for request: HTTPRequest, keepAlive: Bool) async -> Bool {
        var keepAlive = keepAlive
        let length = response.body.length
        var head = HTTPResponse(
            status: response.status, contentLength: length, contentType: response.contentType, keepAlive: keepAlive,
            requestVersion: request.version, date: WallClock.now)
        let sendsBody = request.method != .head && !head.hasNoContent
        // HTTP/1.0 has no chunked coding: the body ends with the connection (RFC 9112 §6.3 item 8).
        if length == nil && request.version == .http10 {
            keepAlive = false
            head.keepAlive = false
            head.delimitedByClose = true
        }
        head.fields = response.headers
        output.removeAll(keepingCapacity: true)
        flushedResponse = false
        head.write(into: &output)
        if sendsBody {
            switch response.body {
            case .empty: break
            case .bytes(let bytes): output += bytes
            case .text(let text): output.write(text)
            case .stream(let length, let writer):
                chunkedBody = length == nil && request.version == .http11
                remainingBodyLength = length
                do throws(HTTPError) {
                    try await writer(HTTPBodyWriter(loop: self))
                    if chunkedBody { output.write("0\r\n\r\n") }
                    if let left = remainingBodyLength, left > 0 { throw HTTPError.status(.internalServerError) }
                } catch {
                    if case .transport = error { return false }
                    guard !flushedResponse, let status = error.responseStatus else {
                        server.counters.handlerFailures += 1
                        return false
                    }
                    // Nothing sent yet: answer the failure instead (a truncated or malformed request body, 400/408/
                    // 413; a handler's status), and close.
                    if status.code == 500 { server.counters.handlerFailures += 1 }
                    if bodyFailure == nil { bodyFailure = error }
                    output.removeAll(keepingCapacity: true)
                    return await write(.plain(status), for: request, keepAlive: false)
                }
            }
        }
        do throws(HTTPError) {
            try await flush()
        } catch {
            return false
        }
        if output.capacity > 4 * Self.flushSize { output = [] }
        server.counters.count(response.status.code)
        return true
    }

    /// Appends a run of a streamed body to the output, framed.
    func appendBody(_ bytes: UnsafeRawBufferPointer) throws(HTTPError) {
        guard !bytes.isEmpty else { return }
        try countBody(bytes.count)
        if chunkedBody {
            output.writeHexadecimal(UInt64(bytes.count))
            output.write("\r\n")
            output.write(bytes)
            output.write("\r\n")
        } else {
            output.write(bytes)
        }
    }

    /// Sends a large run of a streamed body (at least ``flushSize`` bytes) from the caller's buffer, framed: what
    /// the output holds first (the head, earlier runs, a chunk's size line), then `bytes` straight into the
    /// connection's send ring. One copy fewer than through the output; the 10 MiB body of Samples/http spent 6 % of
    /// its time in that copy under TCG (docs/BENCHMARKS.md, "Copies under TCG").
    func sendBody(_ bytes: UnsafeRawBufferPointer) async throws(HTTPError) {
        try await beginDirectRun(bytes.count)
        do throws(TCPError) {
            try await connection.write(bytes, timeout: limits.writeDeadline)
        } catch {
            throw countFailure(error)
        }
        endDirectRun()
    }

    /// ``sendBody(_:)`` for an array.
    func sendBody(_ bytes: [UInt8]) async throws(HTTPError) {
        try await beginDirectRun(bytes.count)
        do throws(TCPError) {
            try await connection.write(bytes, timeout: limits.writeDeadline)
        } catch {
            throw countFailure(error)
        }
        endDirectRun()
    }

    /// Before a run sent from the caller's buffer: count it, frame it, and write what the output holds.
    private func beginDirectRun(_ count: Int) async throws(HTTPError) {
        try countBody(count)
        if chunkedBody {
            output.writeHexadecimal(UInt64(count))
            output.write("\r\n")
        }
        try await flush()
    }

    /// After a run sent from the caller's buffer: the response has begun, and a chunk ends with CRLF.
    private func endDirectRun() {
        flushedResponse = true
        if chunkedBody { output.write("\r\n") }
    }

    /// Counts `count` more body bytes against the promised length; more than promised is the handler's error (500).
    private func countBody(_ count: Int) throws(HTTPError) {
        if let left = remainingBodyLength {
            guard UInt64(count) <= left else { throw HTTPError.status(.internalServerError) }
            remainingBodyLength = left - UInt64(count)
        }
    }

    /// Writes the output once it is large enough.
    func flushIfFull() async throws(HTTPError) {
        if output.count >= Self.flushSize { try await flush() }
    }

    /// Writes the output within the write deadline.
    func flush() async throws(HTTPError) {
        guard !output.isEmpty else { return }
        do throws(TCPError) {
            try await connection.write(output, timeout: limits.writeDeadline)
        } catch {
            throw countFailure(error)
        }
        output.removeAll(keepingCapacity: true)
        flushedResponse = true
    }

    /// Counts a failed write (a deadline passed, or the transport failed) and says it as the HTTP error.
    private func countFailure(_ error: TCPError) -> HTTPError {
        if error == .timedOut { server.counters.writeTimeouts += 1 } else { server.counters.transportFailures += 1 }
        return .transport(error)
    }
}
