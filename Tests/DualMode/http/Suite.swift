/// The dual-mode HTTP suite: `Sources/Net/HTTP` in dev (posix) and prod (virtio): the transport-free layer (the
/// request parser, the body decoder, the response head, the router), then the server library (``HTTPServer``) on a
/// real ``NetworkStack`` (net device `service`), its clients in this image talking to it through the stack's
/// loopback. Run: `./swiftlet test Tests/DualMode/http --target both`.
import Net
import Runtime

@main
struct HTTPSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("http suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerParserTests(&suite)
        registerLimitTests(&suite)
        registerResponseTests(&suite)
        registerDecoderTests(&suite)
        registerRouterTests(&suite)
        registerFuzzTests(&suite)
        registerServerTests(&suite)
        registerClientTests(&suite)
    }
}

// MARK: - Helpers

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// `bytes` as text for messages and comparisons.
func text(_ bytes: [UInt8]) -> String {
    var result = ""
    for byte in bytes { result.append(Character(Unicode.Scalar(byte))) }
    return result
}

/// `text` with CR and LF spelled out, for failure messages.
func visible(_ bytes: [UInt8]) -> String {
    var result = ""
    for byte in bytes {
        switch byte {
        case 0x0D: result += "\\r"
        case 0x0A: result += "\\n"
        default: result.append(Character(Unicode.Scalar(byte)))
        }
    }
    return result
}

/// The outcome of feeding a whole input: the requests in order, then the error if one stopped the parser.
struct Parsed {
    var requests: [HTTPRequest] = []
    var error: HTTPRequestError? = nil
    var idle = true
}

/// Feeds `input` to a fresh parser in pieces of `piece` bytes (0: all at once), re-feeding after each request.
func parseAll(_ input: [UInt8], piece: Int = 0, limits: HTTPLimits = HTTPLimits()) -> Parsed {
    var parser = HTTPRequestParser(limits: limits)
    var parsed = Parsed()
    var start = 0
    let size = piece == 0 ? max(input.count, 1) : piece
    while start < input.count {
        let end = min(start + size, input.count)
        var offset = start
        while offset < end {
            do throws(HTTPRequestError) {
                let step = try parser.parse(input[offset..<end])
                offset += step.consumed
                if let request = step.request { parsed.requests.append(request) }
            } catch {
                parsed.error = error
                parsed.idle = parser.isIdle
                return parsed
            }
        }
        start = end
    }
    parsed.idle = parser.isIdle
    return parsed
}

/// The single request `input` holds, else a failure.
func parseOne(_ input: String, piece: Int = 0) throws(TestFailure) -> HTTPRequest {
    let parsed = parseAll(bytes(input), piece: piece)
    if let error = parsed.error { throw TestFailure("\(visible(bytes(input))): refused with \(error)") }
    guard parsed.requests.count == 1 else {
        throw TestFailure("\(visible(bytes(input))): \(parsed.requests.count) requests")
    }
    return parsed.requests[0]
}

/// Fails unless `input` is refused with `expected` (after any complete requests before it).
func expectRefused(_ input: String, _ expected: HTTPRequestError, limits: HTTPLimits = HTTPLimits()) throws(TestFailure)
{
    try expectRefused(bytes(input), expected, limits: limits)
}

func expectRefused(_ input: [UInt8], _ expected: HTTPRequestError, limits: HTTPLimits = HTTPLimits())
    throws(TestFailure)
{
    let shown = input.count > 80 ? "\(visible(Array(input[0..<60])))... (\(input.count) bytes)" : visible(input)
    for piece in [0, 1] {
        let parsed = parseAll(input, piece: piece, limits: limits)
        guard let error = parsed.error else {
            throw TestFailure("\(shown): accepted (\(parsed.requests.count) requests), expected \(expected)")
        }
        try expectEqual(error, expected, "\(shown) piece \(piece)")
    }
}

/// Fails unless the byte arrays are equal, showing both.
func expectHTTPBytes(_ actual: [UInt8], _ expected: [UInt8], _ what: String) throws(TestFailure) {
    if actual == expected { return }
    throw TestFailure("\(what):\n got      \(visible(actual))\n expected \(visible(expected))")
}

/// One ``HTTPRequestParser/parse(_:)`` call; a refusal fails the test.
func feed(_ parser: inout HTTPRequestParser, _ input: ArraySlice<UInt8>, _ what: String) throws(TestFailure)
    -> HTTPRequestParser.Step
{
    do throws(HTTPRequestError) {
        return try parser.parse(input)
    } catch {
        throw TestFailure("\(what): refused with \(error)")
    }
}

/// The error one ``HTTPRequestParser/parse(_:)`` call throws; acceptance fails the test.
func feedRefused(_ parser: inout HTTPRequestParser, _ input: ArraySlice<UInt8>, _ what: String) throws(TestFailure)
    -> HTTPRequestError
{
    do throws(HTTPRequestError) {
        _ = try parser.parse(input)
    } catch {
        return error
    }
    throw TestFailure("\(what): accepted")
}
