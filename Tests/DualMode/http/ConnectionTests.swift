/// HTTPServerConnection (Sources/Net/HTTP/HTTPServerConnection.swift): whole sessions through a pretend transport
/// with a small receive piece and send window.
import Net
import Runtime

/// What a transport sees: everything written, and whether and when the connection finished.
struct Session {
    var output: [UInt8] = []
    var finished = false
    /// Input bytes taken before the connection finished.
    var taken = 0
}

/// Runs `input` through a connection, offering `piece` bytes at a time and writing at most `window` per call; sends
/// FIN after the input when `fin`.
func runSession(_ input: [UInt8], piece: Int, window: Int, fin: Bool = false) -> Session {
    var connection = HTTPServerConnection()
    var session = Session()
    var received = 0  // bytes the transport has received so far
    var offset = 0  // bytes taken by the connection
    var rounds = 0
    while rounds < 1_000_000 {
        rounds += 1
        if received < input.count {
            received = min(received + piece, input.count)
        } else if fin {
            connection.receiveEnd()
        }
        while offset < received {
            let taken = input.withUnsafeBytes { bytes in
                connection.receive(UnsafeRawBufferPointer(rebasing: bytes[offset..<received]))
            }
            if taken == 0 { break }
            offset += taken
        }
        while connection.hasOutput { _ = connection.write(into: &session.output, maximum: window) }
        if connection.isFinished {
            session.finished = true
            break
        }
        if received == input.count && offset == received && !fin { break }
    }
    session.taken = offset
    return session
}

/// The replies StaticSite gives to `requests`, serialized back to back.
func expectedReplies(_ requests: [String]) throws(TestFailure) -> [UInt8] {
    var out: [UInt8] = []
    for request in requests { out += try answer(request) }
    return out
}

func registerConnectionTests(_ suite: inout TestSuite) {
    let one = "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
    let two = "HEAD /nope HTTP/1.1\r\nHost: h\r\n\r\n"
    let three = "GET /bytes/100 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    suite.test("connection.pipelined-session-in-any-pieces-and-windows") { () throws(TestFailure) in
        let expected = try expectedReplies([one, two, three])
        let input = bytes(one + two + three + one)
        for (piece, window) in [(10_000, 10_000), (1, 1), (7, 100), (100, 7), (1460, 1460)] {
            let session = runSession(input, piece: piece, window: window)
            try expectHTTPBytes(session.output, expected, "piece \(piece) window \(window)")
            try expect(session.finished, "finished after the closing reply")
            try expectEqual(session.taken, input.count - one.utf8.count, "request after close is not read")
        }
    }
    suite.test("connection.keep-alive-stays-open") { () throws(TestFailure) in
        let session = runSession(bytes(one + one), piece: 5, window: 50)
        try expectHTTPBytes(session.output, try expectedReplies([one, one]), "two replies")
        try expect(!session.finished, "still open")
    }
    suite.test("connection.refusal-answers-400-and-finishes") { () throws(TestFailure) in
        let session = runSession(bytes(one + "GET / HTTP/1.1\r\nHost : h\r\n\r\n" + one), piece: 3, window: 64)
        let refusal = serialize(StaticSite().respond(to: HTTPRequestError.badRequest))
        try expectHTTPBytes(session.output, try expectedReplies([one]) + refusal, "200 then 400")
        try expect(session.finished, "finished")
    }
    suite.test("connection.sends-100-continue-before-the-body") { () throws(TestFailure) in
        var connection = HTTPServerConnection()
        let head = bytes("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let taken = head.withUnsafeBytes { connection.receive($0) }
        try expectEqual(taken, head.count, "head taken")
        var out: [UInt8] = []
        while connection.hasOutput { _ = connection.write(into: &out, maximum: 10) }
        try expectHTTPBytes(out, bytes("HTTP/1.1 100 Continue\r\n\r\n"), "interim")
        let body = bytes("data")
        _ = body.withUnsafeBytes { connection.receive($0) }
        out = []
        while connection.hasOutput { _ = connection.write(into: &out, maximum: 1000) }
        try expectEqual(text(Array(out[0..<33])), "HTTP/1.1 405 Method Not Allowed\r\n", "final")
        try expect(!connection.isFinished, "kept open")
    }
    suite.test("connection.send-output-survives-partial-sends") { () throws(TestFailure) in
        let requests = [one, "GET /bytes/5000 HTTP/1.1\r\nHost: h\r\n\r\n", two, three]
        var input: [UInt8] = []
        for request in requests { input += bytes(request) }
        var connection = HTTPServerConnection()
        var random = SplitMix64(state: 7)
        var output: [UInt8] = []
        var offset = 0
        var calls = 0
        while !connection.isFinished && calls < 100_000 {
            calls += 1
            offset += input.withUnsafeBytes { connection.receive(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            let accept = Int(random.next() % 700)  // sometimes 0: a full send buffer
            let taken = connection.sendOutput(maximum: 512) { bytes in
                let count = min(accept, bytes.count)
                output += Array(bytes[0..<count])
                return count
            }
            try expect(taken <= min(accept, 512), "took \(taken) of \(accept)")
        }
        try expect(connection.isFinished, "finished after \(calls) calls")
        try expectHTTPBytes(output, try expectedReplies(requests), "output")
        try expectEqual(connection.repliesStarted, 4, "replies")
    }
    suite.test("connection.send-output-error-leaves-output-unchanged") { () throws(TestFailure) in
        struct Full: Error {}
        var connection = HTTPServerConnection()
        let request = bytes(one)
        _ = request.withUnsafeBytes { connection.receive($0) }
        var threw = false
        do throws(Full) {
            _ = try connection.sendOutput(maximum: 100) { (_) throws(Full) -> Int in throw Full() }
        } catch {
            threw = true
        }
        try expect(threw, "the error comes through")
        var output: [UInt8] = []
        while connection.hasOutput { _ = connection.write(into: &output, maximum: 1000) }
        try expectHTTPBytes(output, try expectedReplies([one]), "whole reply still there")
    }
    suite.test("connection.fin-when-idle-finishes") { () throws(TestFailure) in
        let session = runSession(bytes(one), piece: 1000, window: 1000, fin: true)
        try expectHTTPBytes(session.output, try expectedReplies([one]), "reply")
        try expect(session.finished, "finished on FIN")
        let partial = runSession(bytes("GET / HT"), piece: 1000, window: 1000, fin: true)
        try expect(partial.finished && partial.output.isEmpty, "partial request dropped on FIN")
    }
    suite.test("connection.ten-mib-streams-in-windows") { () throws(TestFailure) in
        var connection = HTTPServerConnection()
        let request = bytes("GET /bytes/10485760 HTTP/1.0\r\n\r\n")
        let taken = request.withUnsafeBytes { connection.receive($0, date: wall(784_111_777)) }
        try expectEqual(taken, request.count, "taken")
        var segment: [UInt8] = []
        segment.reserveCapacity(1460)
        var total = 0
        var segments = 0
        var head: [UInt8] = []
        while connection.hasOutput {
            segment.removeAll(keepingCapacity: true)
            let made = connection.write(into: &segment, maximum: 1460)
            try expect(made == segment.count && made > 0 && made <= 1460, "segment \(segments): \(made)")
            if segments == 0 { head = Array(segment[0..<200]) }
            total += made
            segments += 1
        }
        let headText =
            "HTTP/1.1 200 OK\r\nServer: swiftlet\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            + "Content-Type: application/octet-stream\r\nContent-Length: 10485760\r\nConnection: close\r\n\r\n"
        try expectHTTPBytes(Array(head[0..<headText.utf8.count]), bytes(headText), "head")
        try expectEqual(total, headText.utf8.count + (10 << 20), "total")
        try expect(connection.isFinished, "1.0 without keep-alive finishes")
        try expectEqual(connection.repliesStarted, 1, "replies")
    }
}
