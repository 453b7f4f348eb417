/// HTTPRequestParser (Sources/Net/HTTP/HTTPRequestParser.swift): request lines, field lines, framing, persistence,
/// pipelining, and input split at every byte boundary.
import Net
import Runtime

let simpleGet = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"
let postWithBody = "POST /form?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"

func registerParserTests(_ suite: inout TestSuite) {
    suite.test("parser.simple-get") { () throws(TestFailure) in
        let request = try parseOne(simpleGet)
        try expectEqual(request.method, .get, "method")
        try expectHTTPBytes(request.target, bytes("/index.html"), "target")
        try expectEqual(request.version, .http11, "version")
        try expectEqual(request.fields.count, 3, "fields")
        try expectHTTPBytes(request.fields[1].name, bytes("User-Agent"), "name")
        try expectHTTPBytes(request.value(of: "user-agent") ?? [], bytes("curl/8.5.0"), "value, case-insensitive")
        try expect(request.value(of: "Cookie") == nil, "absent field")
        try expect(request.body.isEmpty && request.keepAlive, "no body, keep-alive")
        try expectEqual(request.description, "GET /index.html HTTP/1.1 fields=3 body=0 keep-alive", "description")
    }
    suite.test("parser.split-at-every-byte-boundary") { () throws(TestFailure) in
        let input = bytes(simpleGet + postWithBody)
        for split in 0...input.count {
            var parser = HTTPRequestParser()
            var requests: [HTTPRequest] = []
            for part in [input[0..<split], input[split...]] {
                var offset = part.startIndex
                while offset < part.endIndex {
                    let step = try feed(&parser, part[offset...], "split at \(split)")
                    offset += step.consumed
                    if let request = step.request { requests.append(request) }
                }
            }
            try expectEqual(requests.count, 2, "split at \(split)")
            try expectHTTPBytes(requests[1].body, bytes("hello world"), "split at \(split): body")
            try expect(parser.isIdle, "split at \(split): idle after")
        }
    }
    suite.test("parser.split-at-every-pair-of-boundaries") { () throws(TestFailure) in
        let input = bytes("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nokGET /b HTTP/1.0\r\n\r\n")
        let expected = summary(parseAll(input))
        for first in 0...input.count {
            for second in first...input.count {
                var parser = HTTPRequestParser()
                var parsed = Parsed()
                for part in [input[0..<first], input[first..<second], input[second...]] {
                    var offset = part.startIndex
                    while offset < part.endIndex {
                        let step = try feed(&parser, part[offset...], "split at \(first), \(second)")
                        offset += step.consumed
                        if let request = step.request { parsed.requests.append(request) }
                    }
                }
                if summary(parsed) != expected { throw TestFailure("split at \(first), \(second): \(summary(parsed))") }
            }
        }
        let outcome = "POST /a HTTP/1.1 fields=2 body=2 keep-alive ok|GET /b HTTP/1.0 fields=0 body=0 close |"
        try expectEqual(expected, outcome, "outcome")
    }
    suite.test("parser.one-byte-at-a-time") { () throws(TestFailure) in
        let parsed = parseAll(bytes(simpleGet + postWithBody + simpleGet), piece: 1)
        try expect(parsed.error == nil, "refused")
        try expectEqual(parsed.requests.count, 3, "requests")
        try expectEqual(parsed.requests[1].method, .post, "second method")
        try expectHTTPBytes(parsed.requests[1].body, bytes("hello world"), "body")
        try expectHTTPBytes(Array(parsed.requests[1].path), bytes("/form"), "path without query")
    }
    suite.test("parser.pipelined-requests-come-out-in-order") { () throws(TestFailure) in
        var input: [UInt8] = []
        for index in 0..<10 { input += bytes("GET /\(index) HTTP/1.1\r\nHost: h\r\n\r\n") }
        var parser = HTTPRequestParser()
        var offset = 0
        var order: [String] = []
        while offset < input.count {
            let step = try feed(&parser, input[offset...], "at \(offset)")
            offset += step.consumed
            guard let request = step.request else { throw TestFailure("no request at \(offset)") }
            order.append(text(request.target))
        }
        try expectElements(order, ["/0", "/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8", "/9"], "order")
    }
    suite.test("parser.parse-stops-after-each-request") { () throws(TestFailure) in
        var parser = HTTPRequestParser()
        let input = bytes(simpleGet + simpleGet)
        let step = try feed(&parser, input[0...], "two requests")
        try expectEqual(step.consumed, simpleGet.utf8.count, "consumed")
        try expect(step.request != nil, "request")
        try expect(parser.isIdle, "idle")
        let half = try feed(&parser, input[simpleGet.utf8.count..<(simpleGet.utf8.count + 5)], "part")
        try expect(half.request == nil && half.consumed == 5 && !parser.isIdle, "partial")
    }
    suite.test("parser.methods-and-unknown-tokens") { () throws(TestFailure) in
        try expectEqual(try parseOne("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n").method, .head, "HEAD")
        try expectEqual(try parseOne("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n").method, .delete, "DELETE")
        try expectEqual(try parseOne("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").method, .options, "OPTIONS *")
        let brew = try parseOne("BREW / HTTP/1.1\r\nHost: h\r\n\r\n")
        try expectEqual(brew.method, .unknown(bytes("BREW")), "unknown")
        try expectEqual(try parseOne("get / HTTP/1.1\r\nHost: h\r\n\r\n").method, .unknown(bytes("get")), "case")
    }
    suite.test("parser.malformed-request-lines-are-400") { () throws(TestFailure) in
        let lines = [
            "GET\r\n", "GET /\r\n", "GET  / HTTP/1.1\r\n", "GET / HTTP/1.1 \r\n", "GET / http/1.1\r\n",
            "GET / HTTP/1.10\r\n", "GET / HTTP/1\r\n", "GET / HTTP/a.1\r\n", "GET index.html HTTP/1.1\r\n",
            "GET * HTTP/1.1\r\n", "G(T / HTTP/1.1\r\n", " GET / HTTP/1.1\r\n", "GET /a\u{7F} HTTP/1.1\r\n",
            "GET /\tx HTTP/1.1\r\n", "GET / HTTP/1.1\rHost: h\r\n", "GET /é HTTP/1.1\r\n",
            "GET ftp://h/ HTTP/1.1\r\n", "GET http:/x HTTP/1.1\r\n", "GET http:///x HTTP/1.1\r\n",
            "GET https:// HTTP/1.1\r\n",
        ]
        for line in lines { try expectRefused(line + "Host: h\r\n\r\n", .badRequest) }
    }
    suite.test("parser.absolute-form-targets") { () throws(TestFailure) in
        let cases = [
            ("http://example.com/a/b?q=1", "/a/b"), ("HTTPS://h:8080/x", "/x"), ("http://h", ""), ("http://h?q", ""),
            ("/plain?x", "/plain"), ("/", "/"),
        ]
        for (target, path) in cases {
            let request = try parseOne("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n")
            try expectHTTPBytes(request.target, bytes(target), "target")
            try expectHTTPBytes(Array(request.path), bytes(path), "path of \(target)")
        }
        try expectHTTPBytes(Array(try parseOne("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").path), bytes("*"), "*")
    }
    suite.test("parser.versions-1.0-1.1-1.x-and-505") { () throws(TestFailure) in
        try expectEqual(try parseOne("GET / HTTP/1.0\r\n\r\n").version, .http10, "1.0 without Host")
        try expectEqual(try parseOne("GET / HTTP/1.9\r\nHost: h\r\n\r\n").version, .http11, "1.9 as 1.1")
        try expectRefused("GET / HTTP/2.0\r\nHost: h\r\n\r\n", .versionNotSupported)
        try expectRefused("GET / HTTP/0.9\r\n\r\n", .versionNotSupported)
        try expectEqual(HTTPRequestError.versionNotSupported.status.code, 505, "status")
    }
    suite.test("parser.leading-empty-lines-and-bare-lf") { () throws(TestFailure) in
        let request = try parseOne("\r\n\nGET / HTTP/1.1\nHost: h\n\n")
        try expectHTTPBytes(request.value(of: "Host") ?? [], bytes("h"), "host")
        try expectRefused("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", .badRequest)
    }
    suite.test("parser.field-values-lose-surrounding-whitespace") { () throws(TestFailure) in
        let request = try parseOne("GET / HTTP/1.1\r\nHost:h\r\nX-A: \t a b \t\r\nX-Empty:\r\nX-Obs: caf\u{E9}\r\n\r\n")
        try expectHTTPBytes(request.value(of: "Host") ?? [], bytes("h"), "no OWS")
        try expectHTTPBytes(request.value(of: "x-a") ?? [], bytes("a b"), "trimmed, inner kept")
        try expectHTTPBytes(request.value(of: "X-Empty") ?? [0], [], "empty value")
        try expectHTTPBytes(request.value(of: "X-Obs") ?? [], bytes("caf\u{E9}"), "obs-text")
    }
    suite.test("parser.malformed-field-lines-are-400") { () throws(TestFailure) in
        let lines = [
            "Host : h", "Host\t: h", "No-Colon", ": empty-name", "Bad(Name): v", "X: a\u{1}b", "X: a\u{7F}",
            "X: a\rb",
        ]
        for line in lines { try expectRefused("GET / HTTP/1.1\r\nHost: h\r\n\(line)\r\n\r\n", .badRequest) }
    }
    suite.test("parser.obsolete-line-folding-is-400") { () throws(TestFailure) in
        try expectRefused("GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n  b\r\n\r\n", .badRequest)
        try expectRefused("GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n\tb\r\n\r\n", .badRequest)
        try expectRefused("GET / HTTP/1.1\r\n Host: h\r\n\r\n", .badRequest)
    }
    suite.test("parser.host-rules") { () throws(TestFailure) in
        try expectRefused("GET / HTTP/1.1\r\n\r\n", .badRequest)
        try expectRefused("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .badRequest)
        try expectRefused("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", .badRequest)
        _ = try parseOne("GET / HTTP/1.1\r\nHOST: a\r\n\r\n")
        for host in ["", "example.com:8080", "[::1]:80", "10.0.2.15", "xn--bcher-kva.example"] {
            _ = try parseOne("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
        }
        for host in ["a b", "a/b", "user@h", "h?x", "h#f", "caf\u{E9}"] {
            try expectRefused("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n", .badRequest)
        }
    }
    suite.test("parser.keep-alive-rules-for-1.1") { () throws(TestFailure) in
        try expect(try parseOne("GET / HTTP/1.1\r\nHost: h\r\n\r\n").keepAlive, "1.1 default")
        try expect(!(try parseOne("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keepAlive), "close")
        try expect(!(try parseOne("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n").keepAlive), "list")
        try expect(try parseOne("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n").keepAlive, "explicit")
        try expect(try parseOne("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n").keepAlive, "not a token")
        let twoFields = "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"
        try expect(!(try parseOne(twoFields).keepAlive), "two fields")
    }
    suite.test("parser.keep-alive-rules-for-1.0") { () throws(TestFailure) in
        try expect(!(try parseOne("GET / HTTP/1.0\r\n\r\n").keepAlive), "1.0 default closes")
        try expect(try parseOne("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive, "keep-alive")
        try expect(!(try parseOne("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keepAlive), "both")
    }
    suite.test("parser.content-length-bodies") { () throws(TestFailure) in
        let request = try parseOne(postWithBody)
        try expectHTTPBytes(request.body, bytes("hello world"), "body")
        try expectEqual(try parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").body.count, 0, "0")
        try expectEqual(
            try parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n1234567").body.count, 7,
            "leading zeros")
        try expectEqual(
            try parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc").body.count,
            3,
            "duplicates that agree")
        try expectEqual(
            try parseOne("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3 , 3\r\n\r\nabc").body.count, 3, "list")
        let parsed = parseAll(bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab"), piece: 1)
        try expect(parsed.requests.isEmpty && parsed.error == nil && !parsed.idle, "waits for the rest of the body")
    }
    suite.test("parser.body-bytes-that-look-like-requests-stay-body") { () throws(TestFailure) in
        let inner = "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
        let parsed = parseAll(
            bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(inner.utf8.count)\r\n\r\n\(inner)\(inner)"))
        try expectEqual(parsed.requests.count, 2, "requests")
        try expectHTTPBytes(parsed.requests[0].body, bytes(inner), "body")
    }
    suite.test("parser.bad-content-length-is-400") { () throws(TestFailure) in
        for value in ["-1", "+5", "5a", "", "0x10", "1 2", "3, 4", "3,", "1.0"] {
            try expectRefused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(value)\r\n\r\n", .badRequest)
        }
        try expectRefused(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", .badRequest)
    }
    suite.test("parser.transfer-encoding-rules") { () throws(TestFailure) in
        let chunked = try parseOne(
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", piece: 1)
        try expectHTTPBytes(chunked.body, bytes("abcd"), "chunked body decoded")
        try expect(chunked.framing == .chunked, "framing")
        try expectRefused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .notImplemented)
        try expectRefused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", .badRequest)
        try expectRefused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .badRequest)
        try expectRefused("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .badRequest)
        try expectRefused(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", .badRequest)
        try expectRefused(
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", .badRequest)
        try expectRefused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .badRequest)
        try expectEqual(HTTPRequestError.notImplemented.status.code, 501, "status")
    }
    suite.test("parser.expect-100-continue") { () throws(TestFailure) in
        var parser = HTTPRequestParser()
        let head = bytes("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n")
        try expect(!parser.expectsContinue, "not before the head")
        let step = try feed(&parser, head[0...], "head")
        try expect(step.request == nil && step.consumed == head.count, "waits for the body")
        try expect(parser.expectsContinue, "expects 100")
        parser.acknowledgeContinue()
        try expect(!parser.expectsContinue, "acknowledged")
        let body = bytes("hi")
        try expect(try feed(&parser, body[0...], "body").request != nil, "request")
        var old = HTTPRequestParser()
        let head10 = bytes("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        _ = try feed(&old, head10[0...], "1.0")
        try expect(!old.expectsContinue, "ignored in 1.0")
        var empty = HTTPRequestParser()
        let noBody = bytes("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n")
        _ = try feed(&empty, noBody[0...], "no body")
        try expect(!empty.expectsContinue, "nothing to continue")
    }
    suite.test("parser.a-parser-that-keeps-no-bodies-drops-them-and-goes-on") { () throws(TestFailure) in
        var parser = HTTPRequestParser(keepsBodies: false)
        var input = bytes("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n")
        input += [UInt8](repeating: 0x41, count: 1_048_576)
        input += bytes(simpleGet)
        var offset = 0
        var requests: [HTTPRequest] = []
        while offset < input.count {
            // 1460-byte pieces, as TCP segments would bring them.
            let end = min(offset + 1460, input.count)
            let step = try feed(&parser, input[offset..<end], "piece at \(offset)")
            offset += step.consumed
            if let request = step.request { requests.append(request) }
        }
        try expectEqual(requests.count, 2, "the POST and the GET after it")
        try expectEqual(requests[0].body.count, 0, "no body kept")
        try expectEqual(requests[0].discardedBodyLength, 1_048_576, "body bytes counted")
        try expect(requests[1].method == .get && requests[1].discardedBodyLength == 0, "the next request is intact")
        // A keeping parser (the default) still keeps them.
        var keeping = HTTPRequestParser()
        let post = bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
        try expectBytes(try feed(&keeping, post[0...], "post").request?.body ?? [], bytes("abc"), "kept body")
    }
    suite.test("parser.an-error-is-sticky") { () throws(TestFailure) in
        var parser = HTTPRequestParser()
        let bad = bytes("BAD\r\n")
        let good = bytes(simpleGet)
        try expectEqual(try feedRefused(&parser, bad[0...], "bad"), .badRequest, "first")
        try expectEqual(try feedRefused(&parser, good[0...], "good after bad"), .badRequest, "again")
        try expect(parser.error == .badRequest && !parser.isIdle, "stopped")
    }
    suite.test("parser.complete-request-before-an-error-is-delivered") { () throws(TestFailure) in
        let parsed = parseAll(bytes(simpleGet + "GET / HTTP/3.0\r\n"))
        try expectEqual(parsed.requests.count, 1, "first request")
        try expect(parsed.error == .versionNotSupported, "then 505")
    }
}
