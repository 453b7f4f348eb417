/// {{Name}}'s tests: `swiftlet test . --net service=echo` builds the image with them and runs it in dev and prod,
/// comparing the two transcripts (the manifest's `service` device needs a backend even though no test uses it).
import Runtime

extension {{Target}}App {
    static func tests(_ suite: inout TestSuite) {
        suite.test("get") { () throws(TestFailure) in
            let text = reply(toRequestHead: Array("GET /a HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            try expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"), "status line")
            try expect(text.hasSuffix("you asked for /a\n"), "body names the path")
        }
        suite.test("errors") { () throws(TestFailure) in
            try expect(reply(toRequestHead: Array("POST / HTTP/1.1\r\n\r\n".utf8)).hasPrefix("HTTP/1.1 405"), "POST is 405")
            try expect(reply(toRequestHead: []).hasPrefix("HTTP/1.1 400"), "no request line is 400")
            try expect(endsHead(Array("GET / HTTP/1.1\r\n\r\n".utf8)), "end of head")
            try expect(!endsHead(Array("GET / HTTP/1.1\r\n".utf8)), "not yet")
        }
    }
}
