/// HTTPBodyDecoder (Sources/Net/HTTP/HTTPBodyDecoder.swift): Content-Length and chunked bodies (RFC 9112 §7.1) in
/// any pieces, extensions and trailers, malformed framing, the body limit.
import Net
import Runtime

/// Decodes `input` in pieces of `piece` bytes: (content, bytes taken, error).
func decodeAll(_ input: [UInt8], framing: HTTPBodyFraming, piece: Int, limit: Int = 1 << 20)
    -> (body: [UInt8], taken: Int, error: HTTPRequestError?, complete: Bool)
{
    var decoder = HTTPBodyDecoder(framing: framing, maximumLength: limit)
    var body: [UInt8] = []
    var offset = 0
    while offset < input.count && !decoder.isComplete {
        let end = min(offset + piece, input.count)
        var outcome: Result<Int, HTTPRequestError> = .success(0)
        input.withUnsafeBytes { raw in
            do throws(HTTPRequestError) {
                outcome = .success(
                    try decoder.decode(UnsafeRawBufferPointer(rebasing: raw[offset..<end])) { body += Array($0) })
            } catch {
                outcome = .failure(error)
            }
        }
        switch outcome {
        case .success(let taken): offset += taken
        case .failure(let error): return (body, offset, error, false)
        }
    }
    return (body, offset, nil, decoder.isComplete)
}

func registerDecoderTests(_ suite: inout TestSuite) {
    suite.test("decoder.chunked-in-any-pieces-stops-at-the-end") { () throws(TestFailure) in
        let input = bytes("5;name=value\r\nhello\r\nA\r\n, world!!!\r\n0\r\nTrailer: x\r\n\r\nNEXT")
        for piece in [1, 2, 3, 7, 100] {
            let result = decodeAll(input, framing: .chunked, piece: piece)
            try expect(result.error == nil && result.complete, "piece \(piece): complete, \(result.error.map { $0.description } ?? "none")")
            try expectHTTPBytes(result.body, bytes("hello, world!!!"), "piece \(piece)")
            try expectEqual(result.taken, input.count - 4, "piece \(piece): the next request is left")
        }
    }
    suite.test("decoder.bare-lf-line-ends-and-uppercase-hex") { () throws(TestFailure) in
        let result = decodeAll(bytes("1F\nabcdefghijklmnopqrstuvwxyz01234\n0\n\n"), framing: .chunked, piece: 5)
        try expect(result.complete && result.body.count == 31, "31 bytes, complete: \(result.body.count)")
    }
    suite.test("decoder.malformed-chunks-are-400") { () throws(TestFailure) in
        for bad in [
            "zz\r\n", "\r\n", ";x\r\n", "5\r\nhelloX\r\n", "5\r\nhello\r\r\n", "11111111111111111\r\n", "5 x\u{01}\r\n",
            "3\r\nabc\r\n0\r\n", "-1\r\n",
        ] {
            let result = decodeAll(bytes(bad + "\r\n\r\n"), framing: .chunked, piece: 1)
            if bad == "3\r\nabc\r\n0\r\n" {
                try expect(result.error == nil && result.complete, "\(visible(bytes(bad))): ends at the empty line")
                continue
            }
            try expect(result.error == .badRequest, "\(visible(bytes(bad))): \(result.error.map { $0.description } ?? "none")")
        }
    }
    suite.test("decoder.chunk-sizes-over-the-limit-are-413-before-the-data") { () throws(TestFailure) in
        let result = decodeAll(bytes("401\r\n"), framing: .chunked, piece: 1, limit: 1024)
        try expect(result.error == .contentTooLarge, "one chunk of 1025: \(result.error.map { $0.description } ?? "none")")
        let input = bytes("200\r\n") + [UInt8](repeating: 65, count: 512) + bytes("\r\n201\r\n")
        let second = decodeAll(input, framing: .chunked, piece: 100, limit: 1024)
        try expect(second.error == .contentTooLarge && second.body.count == 512, "two chunks of 1025 in all")
        let exact = decodeAll(
            bytes("200\r\n") + [UInt8](repeating: 65, count: 512) + bytes("\r\n200\r\n") + [UInt8](repeating: 66, count: 512)
                + bytes("\r\n0\r\n\r\n"), framing: .chunked, piece: 300, limit: 1024)
        try expect(exact.complete && exact.body.count == 1024, "1024 in all is accepted")
    }
    suite.test("decoder.endless-extension-and-trailer-are-bounded") { () throws(TestFailure) in
        let longExtension = decodeAll(bytes("5;" + repeated("x", 5000)), framing: .chunked, piece: 512)
        try expect(longExtension.error == .badRequest, "extension: \(longExtension.error.map { $0.description } ?? "none")")
        let longTrailer = decodeAll(bytes("0\r\nX: " + repeated("y", 5000)), framing: .chunked, piece: 512)
        try expect(longTrailer.error == .headerFieldsTooLarge, "trailer: \(longTrailer.error.map { $0.description } ?? "none")")
        var many = "0\r\n"
        for _ in 0..<70 { many += "X: y\r\n" }
        let manyTrailers = decodeAll(bytes(many), framing: .chunked, piece: 64)
        try expect(manyTrailers.error == .headerFieldsTooLarge, "70 trailer lines")
    }
    suite.test("decoder.content-length-takes-exactly-its-bytes") { () throws(TestFailure) in
        let result = decodeAll(bytes("abcdefGET"), framing: .length(6), piece: 4)
        try expect(result.complete && result.taken == 6, "6 taken")
        try expectHTTPBytes(result.body, bytes("abcdef"), "body")
        try expect(HTTPBodyDecoder(framing: .none, maximumLength: 0).isComplete, "no body is complete at once")
    }
}
