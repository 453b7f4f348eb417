/// HTTPRequestParser's bounds (HTTPLimits): request line 8 KiB (414), header section 16 KiB and 100 fields (431),
/// body 1 MiB (413), each just at and just over the limit, whole and byte by byte.
import Net
import Runtime

/// `count` copies of `byte`.
func repeated(_ byte: Character, _ count: Int) -> String {
    var text = ""
    for _ in 0..<count { text.append(byte) }
    return text
}

/// A GET whose request line is exactly `length` bytes without its CRLF.
func requestLine(length: Int) -> String {
    // "GET /" + padding + " HTTP/1.1"
    "GET /" + repeated("a", length - 14) + " HTTP/1.1"
}

/// Field lines of total length `length` including their CRLFs, the last one padded (each at least 8 bytes).
func fieldLines(totalLength length: Int, count: Int) -> String {
    var lines = "Host: h\r\n"  // 9 bytes
    var used = 9
    for index in 1..<count {
        let remaining = length - used
        let size = index == count - 1 ? remaining : 8
        // "X:" + value + "\r\n": value of size - 4.
        lines += "X:" + repeated("v", size - 4) + "\r\n"
        used += size
    }
    return lines
}

func registerLimitTests(_ suite: inout TestSuite) {
    suite.test("limits.request-line-of-8192-is-accepted") { () throws(TestFailure) in
        let line = requestLine(length: 8192)
        try expectEqual(line.utf8.count, 8192, "length")
        let request = try parseOne(line + "\r\nHost: h\r\n\r\n", piece: 1)
        try expectEqual(request.target.count, 8192 - 13, "target")
    }
    suite.test("limits.request-line-of-8193-is-414") { () throws(TestFailure) in
        try expectRefused(requestLine(length: 8193) + "\r\nHost: h\r\n\r\n", .uriTooLong)
        try expectEqual(HTTPRequestError.uriTooLong.status.code, 414, "status")
    }
    suite.test("limits.endless-request-line-stops-at-the-limit") { () throws(TestFailure) in
        // No LF ever comes: the parser must refuse once the line is too long, not buffer forever.
        let parsed = parseAll(bytes("GET /" + repeated("a", 20_000)), piece: 1000)
        try expect(parsed.error == .uriTooLong, "refused while still reading the line")
    }
    suite.test("limits.header-section-of-16384-is-accepted") { () throws(TestFailure) in
        // The section is the field lines plus the final CRLF.
        let fields = fieldLines(totalLength: 16382, count: 50)
        try expectEqual(fields.utf8.count, 16382, "length")
        let request = try parseOne("GET / HTTP/1.1\r\n" + fields + "\r\n", piece: 1)
        try expectEqual(request.fields.count, 50, "fields")
    }
    suite.test("limits.header-section-of-16385-is-431") { () throws(TestFailure) in
        try expectRefused(
            "GET / HTTP/1.1\r\n" + fieldLines(totalLength: 16383, count: 50) + "\r\n", .headerFieldsTooLarge)
        try expectEqual(HTTPRequestError.headerFieldsTooLarge.status.code, 431, "status")
    }
    suite.test("limits.one-endless-field-line-is-431") { () throws(TestFailure) in
        let parsed = parseAll(bytes("GET / HTTP/1.1\r\nX: " + repeated("v", 40_000)), piece: 4096)
        try expect(parsed.error == .headerFieldsTooLarge, "refused while reading")
    }
    suite.test("limits.100-fields-accepted-101-is-431") { () throws(TestFailure) in
        let request = try parseOne("GET / HTTP/1.1\r\n" + fieldLines(totalLength: 9 + 99 * 8, count: 100) + "\r\n")
        try expectEqual(request.fields.count, 100, "fields")
        try expectRefused(
            "GET / HTTP/1.1\r\n" + fieldLines(totalLength: 9 + 100 * 8, count: 101) + "\r\n", .headerFieldsTooLarge)
    }
    suite.test("limits.body-of-1-mib-accepted-one-more-is-413") { () throws(TestFailure) in
        var input = bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n")
        input += [UInt8](repeating: 0x41, count: 1 << 20)
        let parsed = parseAll(input, piece: 1460)
        try expect(parsed.error == nil && parsed.requests.count == 1, "accepted")
        try expectEqual(parsed.requests[0].body.count, 1 << 20, "body")
        try expectRefused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n", .contentTooLarge)
        try expectRefused(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999999\r\n\r\n", .contentTooLarge)
        try expectEqual(HTTPRequestError.contentTooLarge.status.code, 413, "status")
    }
    suite.test("limits.custom-limits") { () throws(TestFailure) in
        let small = HTTPLimits(
            maximumRequestLineLength: 20, maximumHeaderSectionLength: 30, maximumFieldCount: 2, maximumBodyLength: 4)
        try expectRefused("GET /0123456789abc HTTP/1.1\r\nHost: h\r\n\r\n", .uriTooLong, limits: small)
        try expectRefused("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", .headerFieldsTooLarge, limits: small)
        try expectRefused(
            "GET / HTTP/1.1\r\nHost: h\r\nA: 0123456789012345\r\n\r\n", .headerFieldsTooLarge, limits: small)
        try expectRefused("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", .contentTooLarge, limits: small)
        let parsed = parseAll(bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd"), limits: small)
        try expectEqual(parsed.requests.count, 1, "at the limits")
    }
}
