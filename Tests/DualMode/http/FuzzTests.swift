/// HTTPRequestParser under mutated input: it never traps, and the outcome never depends on how the bytes were split.
import Net
import Runtime

/// A one-line summary of a parse outcome, for comparing runs.
func summary(_ parsed: Parsed) -> String {
    var result = ""
    for request in parsed.requests { result += request.description + " " + text(request.body) + "|" }
    if let error = parsed.error { result += "error \(error)" }
    return result
}

func registerFuzzTests(_ suite: inout TestSuite) {
    suite.test("fuzz.mutations-never-trap-and-splitting-never-matters") { () throws(TestFailure) in
        let seeds = [
            simpleGet, postWithBody, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\nTransfer-Encoding: x\r\n\r\nabc",
        ]
        let alphabet: [UInt8] = [0x0D, 0x0A, 0x20, 0x09, 0x3A, 0x2C, 0x2F, 0x30, 0x39, 0x00, 0x7F, 0xFF, 0x41]
        var random = SplitMix64(state: 0x4854_5450)
        var outcomes = [0, 0]  // accepted-all, refused
        for round in 0..<400 {
            var input = bytes(seeds[round % seeds.count] + seeds[(round / 4) % seeds.count])
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let position = Int(random.next() % UInt64(input.count))
                switch random.next() % 3 {
                case 0: input[position] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: input.remove(at: position)
                default: input.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: position)
                }
            }
            let whole = summary(parseAll(input))
            let piece = 1 + Int(random.next() % 17)
            let split = summary(parseAll(input, piece: piece))
            if whole != split { throw TestFailure("round \(round), piece \(piece): \(whole) vs \(split)") }
            let byByte = parseAll(input, piece: 1)
            if summary(byByte) != whole { throw TestFailure("round \(round), bytes: differs") }
            outcomes[byByte.error == nil ? 0 : 1] += 1
        }
        try expect(
            outcomes[0] > 20 && outcomes[1] > 100, "mix of outcomes: \(outcomes[0]) accepted, \(outcomes[1]) refused")
    }
}
