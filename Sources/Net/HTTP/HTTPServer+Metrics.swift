/// HTTPServer+Metrics.swift — an HTTP server's counters in Runtime's metrics registry, and `GET /metrics`.

import Runtime

extension HTTPServer {
    /// Serves the metrics registry (docs/OBSERVABILITY.md) at `GET /metrics` in the Prometheus text format 0.0.4:
    /// registers this server's counters (``registerMetrics()``) and, when given, `stack`'s per-layer counters and
    /// TCP socket states under `interface`, then adds the route. The one line an app adds to be scraped.
    public func serveMetrics(stack: NetworkStack?, interface: String = "service") {
        stack?.registerMetrics(interface: interface)
        registerMetrics()
        router.get("/metrics") { _ throws(HTTPError) in
            HTTPServerResponse(contentType: "text/plain; version=0.0.4; charset=utf-8", body: .bytes(await Metrics.exposition()))
        }
    }

    /// Adds this server's counters to ``Metrics`` (collector `http`; a second server replaces the first):
    /// `swiftlet_http_connections_total`, `swiftlet_http_requests_total`, `swiftlet_http_responses_total{class}`
    /// (`1xx`...`5xx`, the server's own refusals included), `swiftlet_http_refusals_total{reason}` (the statuses
    /// the library answers by itself, and connections it ended), `swiftlet_http_discarded_body_bytes_total`, and
    /// the gauge `swiftlet_http_active_connections`.
    public func registerMetrics() {
        Metrics.register("http") { writer in
            let c = self.counters
            writer.single("swiftlet_http_connections_total", .counter, help: "Connections taken from the listener.",
                          c.connections)
            writer.single("swiftlet_http_requests_total", .counter, help: "Requests whose header section was complete.",
                          c.requests)
            writer.family("swiftlet_http_responses_total", .counter, help: "Responses sent, by status class.")
            writer.samples("swiftlet_http_responses_total", label: "class", values: "1xx,2xx,3xx,4xx,5xx",
                           [c.informational, c.successful, c.redirection, c.clientErrors, c.serverErrors])
            writer.family("swiftlet_http_refusals_total", .counter,
                          help: "Requests refused and connections ended by the server itself, by reason.")
            writer.samples(
                "swiftlet_http_refusals_total", label: "reason",
                values: "bad_request,not_found,method_not_allowed,request_timeout,content_too_large,headers_too_large,handler_failure,unavailable,idle_timeout,write_timeout,transport_failure",
                [c.badRequests, c.notFound, c.methodNotAllowed, c.requestTimeouts, c.contentTooLarge,
                 c.headersTooLarge, c.handlerFailures, c.unavailable, c.idleTimeouts, c.writeTimeouts,
                 c.transportFailures])
            writer.single("swiftlet_http_discarded_body_bytes_total", .counter,
                          help: "Request body bytes read and dropped because the handler did not read them.",
                          c.discardedBodyBytes)
            writer.single("swiftlet_http_active_connections", .gauge, help: "Connections being served now.",
                          self.activeConnections)
        }
    }
}
