/// StaticSite (Sources/Net/HTTP/StaticSite.swift): the `http` sample's answers, byte for byte, and /bytes/N.
import Net
import Runtime

/// The answer to `input` (one request), serialized.
func answer(_ input: String) throws(TestFailure) -> [UInt8] {
    serialize(StaticSite().respond(to: try parseOne(input)))
}

let indexHead = "HTTP/1.1 200 OK\r\nServer: swiftlet\r\nContent-Type: text/html\r\nContent-Length: 612\r\n\r\n"

/// The index page as bytes.
func indexPageBytes() -> [UInt8] {
    var out: [UInt8] = []
    out.write(StaticSite.indexPage)
    return out
}

/// Total bytes of /bytes/N in chunks of at most `chunk`, checking the pattern at chunk starts; (total, chunks).
func drain(_ count: UInt64, chunk: Int) throws(TestFailure) -> (UInt64, Int) {
    var generator = HTTPByteGenerator(count: count)
    var buffer = [UInt8](repeating: 0, count: chunk)
    var total: UInt64 = 0
    var chunks = 0
    while true {
        let made = buffer.withUnsafeMutableBytes { generator.fill($0) }
        if made == 0 { break }
        if buffer[0] != HTTPByteGenerator.byte(at: total)
            || buffer[made - 1] != HTTPByteGenerator.byte(at: total + UInt64(made) - 1)
        {
            throw TestFailure("pattern broken at \(total)")
        }
        try expect(made <= chunk, "chunk too big")
        total += UInt64(made)
        chunks += 1
    }
    try expectEqual(generator.remaining, 0, "remaining")
    try expectEqual(generator.produced, count, "produced")
    return (total, chunks)
}

func registerStaticSiteTests(_ suite: inout TestSuite) {
    suite.test("site.index-page-is-612-bytes-of-html") { () throws(TestFailure) in
        let page = indexPageBytes()
        try expectEqual(page.count, 612, "size")
        try expectEqual(StaticSite.indexPage.utf8CodeUnitCount, 612, "static size")
        try expectHTTPBytes(Array(page[0..<15]), bytes("<!DOCTYPE html>"), "start")
        try expectHTTPBytes(Array(page[(612 - 8)...]), bytes("</html>\n"), "end")
    }
    suite.test("site.get-root-and-index-exact-bytes") { () throws(TestFailure) in
        let expected = bytes(indexHead) + indexPageBytes()
        try expectHTTPBytes(try answer("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), expected, "/")
        try expectHTTPBytes(try answer("GET /index.html?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"), expected, "/index.html")
        try expectHTTPBytes(try answer("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n"), expected, "absolute, no path")
        try expectHTTPBytes(
            try answer("GET http://h/index.html HTTP/1.1\r\nHost: h\r\n\r\n"), expected, "absolute /index.html")
    }
    suite.test("site.head-has-length-and-no-body") { () throws(TestFailure) in
        try expectHTTPBytes(try answer("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"), bytes(indexHead), "HEAD /")
        try expectHTTPBytes(
            try answer("HEAD /bytes/100 HTTP/1.1\r\nHost: h\r\n\r\n"),
            bytes(
                "HTTP/1.1 200 OK\r\nServer: swiftlet\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: 100\r\n\r\n"), "HEAD /bytes/100")
    }
    suite.test("site.404-exact-bytes") { () throws(TestFailure) in
        try expectHTTPBytes(
            try answer("GET /missing HTTP/1.1\r\nHost: h\r\n\r\n"),
            bytes(
                "HTTP/1.1 404 Not Found\r\nServer: swiftlet\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n"
                    + "Not Found\n"), "404")
        for path in [
            "/bytes/", "/bytes/x", "/bytes/-1", "/bytes/1073741825", "/bytes/12345678901", "/index.htm",
            "/bytes/1/",
        ] {
            let reply = StaticSite().respond(to: try parseOne("GET \(path) HTTP/1.1\r\nHost: h\r\n\r\n"))
            try expectEqual(reply.head.status.code, 404, path)
            try expect(reply.head.keepAlive, "\(path) keeps the connection")
        }
    }
    suite.test("site.head-404-has-length-and-no-body") { () throws(TestFailure) in
        try expectHTTPBytes(
            try answer("HEAD /missing HTTP/1.1\r\nHost: h\r\n\r\n"),
            bytes("HTTP/1.1 404 Not Found\r\nServer: swiftlet\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
                + "\r\n"),
            "HEAD 404")
    }
    suite.test("site.405-exact-bytes-with-allow") { () throws(TestFailure) in
        try expectHTTPBytes(
            try answer("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi"),
            bytes(
                "HTTP/1.1 405 Method Not Allowed\r\nServer: swiftlet\r\nContent-Type: text/plain\r\n"
                    + "Content-Length: 19\r\nAllow: GET, HEAD\r\n\r\nMethod Not Allowed\n"), "405")
        for method in ["PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"] {
            let reply = StaticSite().respond(to: try parseOne("\(method) / HTTP/1.1\r\nHost: h\r\n\r\n"))
            try expectEqual(reply.head.status.code, 405, method)
        }
        let unknown = StaticSite().respond(to: try parseOne("BREW / HTTP/1.1\r\nHost: h\r\n\r\n"))
        try expectEqual(unknown.head.status.code, 501, "unknown method")
    }
    suite.test("site.400-exact-bytes-and-close") { () throws(TestFailure) in
        let reply = StaticSite().respond(to: HTTPRequestError.badRequest)
        try expect(reply.closesConnection, "closes")
        try expectHTTPBytes(
            serialize(reply),
            bytes(
                "HTTP/1.1 400 Bad Request\r\nServer: swiftlet\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
                    + "Connection: close\r\n\r\nBad Request\n"), "400")
        for error in [
            HTTPRequestError.contentTooLarge, .uriTooLong, .headerFieldsTooLarge, .notImplemented,
            .versionNotSupported,
        ] {
            let reply = StaticSite().respond(to: error)
            try expectEqual(reply.head.status, error.status, "\(error)")
            try expect(reply.closesConnection, "\(error) closes")
            try expectEqual(reply.head.contentLength, reply.body.count, "\(error) length")
        }
    }
    suite.test("site.keep-alive-follows-the-request") { () throws(TestFailure) in
        let closing = try answer("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        try expectHTTPBytes(
            Array(closing[0..<(closing.count - 612)]),
            bytes(
                "HTTP/1.1 200 OK\r\nServer: swiftlet\r\nContent-Type: text/html\r\nContent-Length: 612\r\n"
                    + "Connection: close\r\n\r\n"), "1.1 close")
        let old = try answer("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        try expectHTTPBytes(
            Array(old[0..<(old.count - 612)]),
            bytes(
                "HTTP/1.1 200 OK\r\nServer: swiftlet\r\nContent-Type: text/html\r\nContent-Length: 612\r\n"
                    + "Connection: keep-alive\r\n\r\n"), "1.0 keep-alive")
        let plain10 = StaticSite().respond(to: try parseOne("GET / HTTP/1.0\r\n\r\n"))
        try expect(plain10.closesConnection, "1.0 closes by default")
    }
    suite.test("site.date-passed-through") { () throws(TestFailure) in
        let reply = StaticSite().respond(
            to: try parseOne("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"), date: wall(784_111_777))
        try expectHTTPBytes(
            reply.head.bytes,
            bytes(
                "HTTP/1.1 404 Not Found\r\nServer: swiftlet\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                    + "Content-Type: text/plain\r\nContent-Length: 10\r\n\r\n"), "head")
    }
    suite.test("site.bytes-n-small-exact") { () throws(TestFailure) in
        let reply = try answer("GET /bytes/70 HTTP/1.1\r\nHost: h\r\n\r\n")
        let head =
            "HTTP/1.1 200 OK\r\nServer: swiftlet\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 70\r\n\r\n"
        try expectHTTPBytes(
            reply,
            bytes(head + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+\n012345"), "70 bytes")
        try expectHTTPBytes(
            try answer("GET /bytes/0 HTTP/1.1\r\nHost: h\r\n\r\n"),
            bytes(
                "HTTP/1.1 200 OK\r\nServer: swiftlet\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: 0\r\n\r\n"
            ),
            "0 bytes")
    }
    suite.test("site.bytes-n-chunk-totals") { () throws(TestFailure) in
        for (count, chunks) in [(UInt64(0), 0), (1, 1), (4095, 1), (4096, 1), (4097, 2), (10 << 20, 2560)] {
            let (total, made) = try drain(count, chunk: 4096)
            try expectEqual(total, count, "total for \(count)")
            try expectEqual(made, chunks, "chunks for \(count)")
        }
        let (total, made) = try drain(4096, chunk: 1000)
        try expect(total == 4096 && made == 5, "odd chunk size: \(total) in \(made)")
    }
    suite.test("site.bytes-n-through-a-sink-in-chunks") { () throws(TestFailure) in
        let reply = StaticSite().respond(to: try parseOne("GET /bytes/10485760 HTTP/1.1\r\nHost: h\r\n\r\n"))
        guard case .generated(var generator) = reply.body else { throw TestFailure("not generated") }
        try expectEqual(reply.head.contentLength, 10 << 20, "length")
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1460)
        var total: UInt64 = 0
        var largest = 0
        while true {
            chunk.removeAll(keepingCapacity: true)
            let made = generator.write(into: &chunk, maximum: 1460)
            if made == 0 { break }
            try expectEqual(chunk.count, made, "chunk")
            largest = max(largest, made)
            total += UInt64(made)
        }
        try expectEqual(total, 10 << 20, "total")
        try expectEqual(largest, 1460, "largest chunk")
    }
    suite.test("site.bytes-1-gib-is-allowed-and-not-materialised") { () throws(TestFailure) in
        let reply = StaticSite().respond(to: try parseOne("GET /bytes/1073741824 HTTP/1.1\r\nHost: h\r\n\r\n"))
        try expectEqual(reply.head.status.code, 200, "status")
        try expectEqual(reply.body.count, 1 << 30, "body length")
        try expectEqual(HTTPByteGenerator.byte(at: (1 << 30) - 1), UInt8(ascii: "\n"), "last byte")
    }
    suite.test("site.pipelined-session") { () throws(TestFailure) in
        // A whole client session through parser and site: three requests in one segment, then a bad one.
        let input =
            "GET / HTTP/1.1\r\nHost: h\r\n\r\nHEAD /nope HTTP/1.1\r\nHost: h\r\n\r\n"
            + "GET /bytes/5 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n"
        let parsed = parseAll(bytes(input))
        try expectEqual(parsed.requests.count, 3, "requests")
        var codes: [Int] = []
        var closes: [Bool] = []
        for request in parsed.requests {
            let reply = StaticSite().respond(to: request)
            codes.append(Int(reply.head.status.code))
            closes.append(reply.closesConnection)
        }
        try expectElements(codes, [200, 404, 200], "codes")
        try expectEqual(closes[2], true, "third closes")
        try expect(!closes[0] && !closes[1], "first two keep")
        try expect(parsed.error == nil && !parsed.idle, "a partial fourth is pending")
    }
}
