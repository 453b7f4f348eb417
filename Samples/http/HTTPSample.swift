/// http: an HTTP/1.1 server on the `Net` HTTP library (`HTTPServer`, `HTTPRouter`) over the stack's TCP:
///
/// - `GET`/`HEAD` `/`, `/index.html`: the 612-byte index page; `/bytes/N`: N streamed bytes (see ``StaticSite``)
/// - `POST /echo`: the request body back, as it arrives (`Content-Length` or chunked in, the same framing out)
/// - `GET /stats`: the stack's and the server's counters and the heap (in use, high-water mark, size) as JSON
/// - `GET /metrics`: the metrics registry in the Prometheus text format (net per layer, TCP sockets per state, HTTP,
///   heap, executor; docs/OBSERVABILITY.md)
/// - anything else: 404, or 405 with `Allow`; malformed requests 400 (the library's answers).
///
///     swiftlet run http --target posix --net service=passt:tcp=8080:80     # then: curl localhost:8080
///     swiftlet run http --target virtio --net service=passt:tcp=8080:80
///
/// Boot arguments: `ip=a.b.c.d/n` and optional `gw=a.b.c.d` (no `ip`, or `ip=dhcp`: DHCP, as passt offers);
/// `port=P` instead of 80; the server's limits (``HTTPServerLimits/apply(_:)``): `idle=S` seconds a kept-alive
/// connection may wait for its next request (60), `header-timeout=S` seconds a request's header section may take
/// once it started (10; then 408 and close), `write-timeout=S` seconds a reply may wait for a client that does not
/// read (30; then reset), `connections=N` connections served at once (512; the stack gets 16 more TCP slots, so that
/// the next ones are answered 503), `max-body=BYTES` (1 MiB), `max-header=BYTES` (16 KiB);
/// `verbose=1` logs the stack's counters every 5 seconds (subsystem `net`); `count=N` exits 0 once N connections
/// have ended, logging the counters (subsystem `http`). `log=` sets the levels (docs/OBSERVABILITY.md).
import Net
import Runtime

@main
struct HTTPSample: Application {
    static let log = Log("http")

    static func run(_ arguments: BootArguments) async -> Int32 {
        var limits = HTTPServerLimits()
        limits.apply(arguments)
        let endpoint: HTTPEndpoint
        do throws(HTTPEndpointFailure) {
            endpoint = try await HTTPEndpoint.open("http", arguments: arguments, limits: limits)
        } catch {
            return error.exitStatus
        }
        let stack = endpoint.stack
        let server = HTTPServer(limits: limits)
        addRoutes(to: server, stack: stack)
        if arguments.integer("verbose") == 1 { stack.reportCounters(every: .seconds(5), label: "http") }
        do throws(TCPError) {
            let handled = try await server.serve(on: endpoint.listener, count: arguments.integer("count"))
            // Concatenations, not interpolations: each interpolated segment is inlined where it is written.
            log.info(String(handled) + " connections; " + stack.counters.description)
            log.info(server.counters.description)
            return 0
        } catch {
            log.error("accept: " + error.description)
            return 1
        }
    }

    /// The sample's routes on `server` (`/stats` reads the server's and the stack's counters; `/metrics` scrapes).
    static func addRoutes(to server: HTTPServer, stack: NetworkStack) {
        server.router.get("/") { _ throws(HTTPError) in index() }
        server.router.get("/index.html") { _ throws(HTTPError) in index() }
        server.router.get("/bytes/:count") { request throws(HTTPError) in
            guard let count = StaticSite.generatedLength(request.parameter("count") ?? []) else {
                throw .status(.notFound)
            }
            return HTTPServerResponse(
                contentType: "application/octet-stream", body: .stream(length: count) { writer throws(HTTPError) in
                    var generator = HTTPByteGenerator(count: count)
                    while let run = generator.next() { try await writer.write(run) }
                })
        }
        server.router.post("/echo") { request throws(HTTPError) in
            let body = request.body
            return HTTPServerResponse(
                contentType: "application/octet-stream", body: .stream(length: body.length) { writer throws(HTTPError) in
                    while true {
                        let run = try await body.read()
                        if run.isEmpty { return }
                        try await writer.write(run)
                    }
                })
        }
        server.serveMetrics(stack: stack)
        server.router.get("/stats") { _ throws(HTTPError) in
            HTTPServerResponse(
                contentType: "application/json", body: .bytes(StatsJSON.render(stack.counters, server.counters)))
        }
    }

    static func index() -> HTTPServerResponse {
        HTTPServerResponse(contentType: "text/html", body: .text(StaticSite.indexPage))
    }
}
