/// HTTPResponse (Sources/Net/HTTP/HTTPResponse.swift): exact head bytes, Connection rules, IMF-fixdate.
import Net
import Runtime

func wall(_ seconds: UInt64) -> WallClock { WallClock(nanosecondsSinceEpoch: seconds * 1_000_000_000 + 999_999_999) }

func registerResponseTests(_ suite: inout TestSuite) {
    suite.test("response.200-head-bytes") { () throws(TestFailure) in
        let head = HTTPResponse(status: .ok, contentLength: 612, contentType: "text/html")
        try expectHTTPBytes(
            head.bytes,
            bytes("HTTP/1.1 200 OK\r\nServer: swiftlet\r\nContent-Type: text/html\r\nContent-Length: 612\r\n\r\n"),
            "head")
    }
    suite.test("response.close-and-1.0-keep-alive") { () throws(TestFailure) in
        try expectHTTPBytes(
            HTTPResponse(status: .notFound, contentLength: 0, keepAlive: false).bytes,
            bytes("HTTP/1.1 404 Not Found\r\nServer: swiftlet\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
            "close")
        try expectHTTPBytes(
            HTTPResponse(status: .ok, contentLength: 1, keepAlive: true, requestVersion: .http10).bytes,
            bytes("HTTP/1.1 200 OK\r\nServer: swiftlet\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n"), "1.0")
        try expectHTTPBytes(
            HTTPResponse(status: .ok, contentLength: 1, keepAlive: false, requestVersion: .http10).bytes,
            bytes("HTTP/1.1 200 OK\r\nServer: swiftlet\r\nContent-Length: 1\r\nConnection: close\r\n\r\n"), "1.0 close")
    }
    suite.test("response.date-is-imf-fixdate") { () throws(TestFailure) in
        let head = HTTPResponse(status: .ok, contentLength: 0, date: wall(784_111_777))
        try expectHTTPBytes(
            head.bytes,
            bytes(
                "HTTP/1.1 200 OK\r\nServer: swiftlet\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                    + "Content-Length: 0\r\n\r\n"
            ),
            "RFC 9110's example")
        var out: [UInt8] = []
        writeIMFFixdate(wall(951_782_400), into: &out)
        try expectHTTPBytes(out, bytes("Tue, 29 Feb 2000 00:00:00 GMT"), "leap day")
        out = []
        writeIMFFixdate(wall(4_102_444_799), into: &out)
        try expectHTTPBytes(out, bytes("Thu, 31 Dec 2099 23:59:59 GMT"), "end of century")
        out = []
        writeIMFFixdate(wall(0), into: &out)
        try expectHTTPBytes(out, bytes("Thu, 01 Jan 1970 00:00:00 GMT"), "epoch")
    }
    suite.test("response.decimal-lengths") { () throws(TestFailure) in
        for (value, expected) in [
            (UInt64(0), "0"), (9, "9"), (10, "10"), (1 << 30, "1073741824"),
            (UInt64.max, "18446744073709551615"),
        ] {
            var out: [UInt8] = []
            out.writeDecimal(value)
            try expectHTTPBytes(out, bytes(expected), "\(expected)")
        }
    }
    suite.test("response.writes-into-a-custom-sink") { () throws(TestFailure) in
        struct Counter: HTTPByteSink {
            var writes = 0
            var total = 0
            mutating func write(_ bytes: UnsafeRawBufferPointer) {
                writes += 1
                total += bytes.count
            }
        }
        var counter = Counter()
        let head = HTTPResponse(
            status: .methodNotAllowed, contentLength: 19, contentType: "text/plain", allow: "GET, HEAD")
        head.write(into: &counter)
        try expectEqual(counter.total, head.bytes.count, "bytes")
        try expect(counter.writes < 25, "runs, not characters: \(counter.writes) writes")
    }
}
