/// An HTTP/1.1 server (RFC 9112, RFC 9110) on the stack's async TCP: a router of async handlers, limits, counters.
///
/// ```
/// var router = HTTPRouter()
/// router.get("/hello/:name") { request throws(HTTPError) in
///     var body = Array("hello, ".utf8)
///     body += request.parameter("name") ?? []
///     return HTTPServerResponse(contentType: "text/plain", body: .bytes(body))
/// }
/// let server = HTTPServer(router: router)
/// try await server.serve(on: try TCPListener.listen(port: 80, on: stack))
/// ```

import Runtime

/// Serves HTTP/1.1 on TCP connections, each in its own task (``HTTPConnectionLoop`` documents one connection's
/// life). The library answers on its own: 400 (malformed), 404 (no route), 405 with `Allow`, 408 (header deadline),
/// 413 (body too large), 414/431 (request line, header section), 500 (a handler threw 500 or its streamed body
/// failed), 501/505, 503 (over ``HTTPServerLimits/maximumConnections``); each is counted in ``counters``.
///
/// Handlers run on the single-threaded executor: a handler that awaits lets other connections go on.
public final class HTTPServer {
    /// The routes. Changing them while serving affects the next requests.
    public var router: HTTPRouter
    /// The bounds, read when a connection starts.
    public var limits: HTTPServerLimits
    /// What the server did so far.
    public internal(set) var counters = HTTPServerCounters()
    /// Connections being served now.
    public private(set) var activeConnections = 0

    public init(router: HTTPRouter = HTTPRouter(), limits: HTTPServerLimits = HTTPServerLimits()) {
        self.router = router
        self.limits = limits
    }

    /// Serves each connection `listener` accepts, for ever or until `count` connections were served.
    ///
    /// - Returns: the connections served (only with a `count`).
    /// - Throws: what ``TCPListener/serve(count:_:)`` throws.
    @discardableResult
    public func serve(on listener: TCPListener, count: Int? = nil) async throws(TCPError) -> Int {
        try await listener.serve(count: count) { connection in await self.serve(connection) }
    }

    /// Serves one connection until it closes; closes or aborts it.
    public func serve(_ connection: TCPConnection) async {
        counters.connections += 1
        guard activeConnections < limits.maximumConnections else {
            counters.count(503)
            var bytes = HTTPResponse(
                status: .serviceUnavailable, contentLength: 20, contentType: "text/plain", keepAlive: false
            ).bytes
            bytes.write("Service Unavailable\n")
            try? await connection.write(bytes, timeout: .seconds(1))
            await HTTPConnectionLoop.lingeringClose(connection)
            return
        }
        activeConnections += 1
        await HTTPConnectionLoop(server: self, connection: connection).run()
        activeConnections -= 1
    }
}
