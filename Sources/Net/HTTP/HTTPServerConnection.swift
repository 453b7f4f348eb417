import Runtime

/// One server-side HTTP/1.1 connection of ``StaticSite`` without a transport: bytes in, bytes out, and when to close.
///
/// The transport (a TCP socket in the `http` sample) loops:
///
/// ```
/// var connection = HTTPServerConnection()
/// // Received bytes: offer them until all are taken (each call stops after a request whose reply is pending).
/// offset += connection.receive(UnsafeRawBufferPointer(rebasing: buffer[offset..<count]), date: WallClock.now)
/// // While there is output: offer it to the socket, which takes what fits.
/// _ = try connection.sendOutput(maximum: 16384) { bytes throws(TCPSendError) in try socket.send(bytes) }
/// // Peer's FIN: connection.receiveEnd(). Once connection.isFinished: close (FIN) the socket.
/// ```
///
/// It answers one request at a time, in order (pipelined requests wait in the transport's buffer, RFC 9112 §9.3.2),
/// holds at most one reply's head and fixed body (well under 1 KiB; ``StaticSite/indexPage`` is the largest) plus a
/// generator for `/bytes/N`, and after a refused request (400, 413, 414, 431, 501, 505) or a reply with
/// `Connection: close` it takes no more input and finishes once that reply is written (RFC 9112 §9.6).
public struct HTTPServerConnection {
    /// The site answering requests.
    public let site: StaticSite

    var parser: HTTPRequestParser
    /// The reply head and fixed body not yet written.
    var pending: [UInt8] = []
    var pendingOffset = 0
    /// The generated body after `pending`, if any.
    var generator: HTTPByteGenerator? = nil
    /// Whether the reply being written ends the connection.
    var closeAfterReply = false
    /// Whether no more input will be taken (closing reply, refusal or peer's FIN).
    var inputEnded = false

    /// Requests answered so far (refusals included).
    public private(set) var repliesStarted = 0

    public init(site: StaticSite = StaticSite(), limits: HTTPLimits = HTTPLimits()) {
        self.site = site
        // The site answers from the method and target alone: bodies are read and dropped, never held (a client
        // sending a large POST costs no memory beyond the TCP rings).
        self.parser = HTTPRequestParser(limits: limits, keepsBodies: false)
    }

    /// Whether a reply is being written: ``receive(_:date:)`` takes nothing until it is done.
    public var hasOutput: Bool { pendingOffset < pending.count || (generator?.remaining ?? 0) > 0 }

    /// Whether the transport should close now: input is over (a closing reply, a refusal, or the peer's FIN) and
    /// every reply byte has been written.
    public var isFinished: Bool { inputEnded && !hasOutput }

    /// Takes received bytes up to the end of the first request they complete, and starts its reply.
    ///
    /// - Parameter date: the `Date` for a reply started by these bytes (the caller reads the wall clock), or nil.
    /// - Returns: bytes taken; 0 while a reply is being written or after input ended. Offer the rest again once
    ///   ``hasOutput`` is false. After a refusal all bytes are taken (and dropped).
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, date: WallClock? = nil) -> Int {
        if inputEnded || hasOutput { return 0 }
        do throws(HTTPRequestError) {
            let step = try parser.parse(bytes)
            if let request = step.request {
                start(site.respond(to: request, date: date))
            } else if parser.expectsContinue {
                // The client waits for this before sending the body (RFC 9110 §10.1.1).
                parser.acknowledgeContinue()
                pending.removeAll(keepingCapacity: true)
                pendingOffset = 0
                pending.write("HTTP/1.1 100 Continue\r\n\r\n")
            }
            return step.consumed
        } catch {
            start(site.respond(to: error, date: date))
            return bytes.count
        }
    }

    /// Whether a request's header section is partly received (the transport runs its header deadline meanwhile).
    public var isReceivingHeaders: Bool { !inputEnded && !hasOutput && parser.isInHeaderSection }

    /// The header deadline passed: answers 408 Request Timeout with `Connection: close` and takes no more input
    /// (RFC 9110 §15.5.9); the transport closes once it is written. Does nothing while a reply is being written.
    public mutating func timeOut(date: WallClock? = nil) {
        if inputEnded || hasOutput { return }
        start(site.respond(to: HTTPRequestError.requestTimeout, date: date))
        inputEnded = true
    }

    /// The peer sent FIN: no more requests. A partly received request is dropped (RFC 9112 §9.6 lets a server close
    /// at any time; the client sees the close).
    public mutating func receiveEnd() {
        inputEnded = true
    }

    /// Writes up to `maximum` bytes of pending output into `sink`; returns how many (0 when there is none).
    public mutating func write<Sink: HTTPByteSink>(into sink: inout Sink, maximum: Int) -> Int {
        var written = 0
        if pendingOffset < pending.count && maximum > 0 {
            let run = min(maximum, pending.count - pendingOffset)
            pending.withUnsafeBytes { bytes in
                sink.write(UnsafeRawBufferPointer(rebasing: bytes[pendingOffset..<(pendingOffset + run)]))
            }
            pendingOffset += run
            written += run
        }
        if pendingOffset == pending.count, var body = generator {
            written += body.write(into: &sink, maximum: maximum - written)
            generator = body.remaining > 0 ? body : nil
        }
        if !hasOutput {
            pending.removeAll(keepingCapacity: true)
            pendingOffset = 0
        }
        return written
    }

    /// Offers up to `maximum` bytes of pending output to `send`, which returns how many it took (a TCP send that
    /// queues what fits); the connection moves on by exactly that many, so nothing is lost on a partial send.
    ///
    /// - Returns: the bytes `send` took (0 when there is no output).
    /// - Throws: whatever `send` throws; the output is then unchanged.
    public mutating func sendOutput<Failure: Error>(
        maximum: Int, _ send: (UnsafeRawBufferPointer) throws(Failure) -> Int
    ) throws(Failure) -> Int {
        guard hasOutput && maximum > 0 else { return 0 }
        scratch.removeAll(keepingCapacity: true)
        let fromPending = min(maximum, pending.count - pendingOffset)
        if fromPending > 0 {
            pending.withUnsafeBytes { bytes in
                scratch.write(UnsafeRawBufferPointer(rebasing: bytes[pendingOffset..<(pendingOffset + fromPending)]))
            }
        }
        if var body = generator, fromPending < maximum {
            _ = body.write(into: &scratch, maximum: maximum - fromPending)
        }
        var outcome: Result<Int, Failure> = .success(0)
        scratch.withUnsafeBytes { bytes in
            do throws(Failure) {
                outcome = .success(try send(bytes))
            } catch {
                outcome = .failure(error)
            }
        }
        let taken = min(max(try outcome.get(), 0), scratch.count)
        let takenFromPending = min(taken, fromPending)
        pendingOffset += takenFromPending
        if taken > takenFromPending, var body = generator {
            body.skip(taken - takenFromPending)
            generator = body.remaining > 0 ? body : nil
        }
        if !hasOutput {
            pending.removeAll(keepingCapacity: true)
            pendingOffset = 0
        }
        return taken
    }

    /// Bytes being offered by ``sendOutput(maximum:_:)``.
    var scratch: [UInt8] = []

    private mutating func start(_ reply: HTTPReply) {
        repliesStarted += 1
        pending.removeAll(keepingCapacity: true)
        pendingOffset = 0
        reply.head.write(into: &pending)
        switch reply.body {
        case .empty: generator = nil
        case .page(let text): pending.write(text)
        case .generated(let body): generator = body
        }
        closeAfterReply = reply.closesConnection
        // Input stops at once: whatever follows a closing reply is never read.
        if closeAfterReply { inputEnded = true }
    }
}
