/// `GET /stats`: the stack's counters, the HTTP server's and the heap's as one JSON object (RFC 8259), numbers only.
import Net
import Runtime

enum StatsJSON {
    /// `{"eth":{...},"ip":{...},"tcp":{...},"http":{...},"mem":{...}}`, one line; `mem` is the heap now and its
    /// high-water mark since start, in bytes (the same heap in both modes).
    static func render(_ stack: InterfaceCounters, _ http: HTTPServerCounters) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(768)
        let e = stack.ethernet
        let i = stack.ipv4
        let t = stack.tcp
        let k = stack.tcpConnections
        out.write("{\"eth\":{")
        field(&out, "rx", e.received, first: true)
        field(&out, "tx", e.sent)
        field(&out, "drop", e.malformed + e.notForUs + e.unknownType + e.transmitQueueFull + e.deviceErrors)
        out.write("},\"ip\":{")
        field(&out, "rx", i.received, first: true)
        field(&out, "tx", i.sent)
        field(&out, "checksum_errors", i.checksumErrors)
        out.write("},\"tcp\":{")
        field(&out, "rx", t.received, first: true)
        field(&out, "tx", t.sent)
        field(&out, "retransmits", k.retransmits)
        field(&out, "timeouts", k.timeouts)
        field(&out, "resets_in", k.resetsReceived)
        field(&out, "resets_out", k.resetsSent + t.resetsSent)
        field(&out, "syn_dropped", t.synDropped)
        field(&out, "refused", t.connectionsRefused)
        field(&out, "zero_window_aborts", k.zeroWindowAborts)
        field(&out, "malformed", t.malformed)
        out.write("},\"http\":{")
        field(&out, "connections", http.connections, first: true)
        field(&out, "requests", http.requests)
        field(&out, "1xx", http.informational)
        field(&out, "2xx", http.successful)
        field(&out, "3xx", http.redirection)
        field(&out, "4xx", http.clientErrors)
        field(&out, "5xx", http.serverErrors)
        field(&out, "400", http.badRequests)
        field(&out, "404", http.notFound)
        field(&out, "405", http.methodNotAllowed)
        field(&out, "408", http.requestTimeouts)
        field(&out, "413", http.contentTooLarge)
        field(&out, "431", http.headersTooLarge)
        field(&out, "500", http.handlerFailures)
        field(&out, "503", http.unavailable)
        field(&out, "idle_timeouts", http.idleTimeouts)
        field(&out, "write_timeouts", http.writeTimeouts)
        field(&out, "transport_failures", http.transportFailures)
        field(&out, "discarded_body_bytes", http.discardedBodyBytes)
        out.write("},\"mem\":{")
        field(&out, "in_use", Runtime.heapInUse(), first: true)
        field(&out, "high_water", Runtime.heapHighWater())
        field(&out, "size", Runtime.heapSize())
        out.write("}}\n")
        return out
    }

    @inline(never)
    static func field(_ out: inout [UInt8], _ name: StaticString, _ value: Int, first: Bool = false) {
        out.write(first ? "\"" : ",\"")
        out.write(name)
        out.write("\":")
        out.writeDecimal(UInt64(max(value, 0)))
    }
}
