/// Boot arguments: what the host passed arrives, and the parser rejects bad words.
import Runtime

func registerBootArgumentTests(_ suite: inout TestSuite) {
    suite.test("bootargs.host-values-arrive") { () throws(TestFailure) in
        try expectEqual(Runtime.arguments["alpha"] ?? "(missing)", "1", "alpha")
        try expectEqual(Runtime.arguments["beta"] ?? "(missing)", "two", "beta")
        try expectEqual(Runtime.arguments.integer("alpha") ?? -1, 1, "alpha as integer")
        try expect(Runtime.arguments["gamma"] == nil, "an absent key has a value")
    }
    suite.test("bootargs.parser-splits-and-keeps-order") { () throws(TestFailure) in
        let parsed: BootArguments
        do throws(MalformedBootArgument) {
            parsed = try BootArguments(parsing: "  a=1 b=x=y  c= a=2 ")
        } catch {
            throw TestFailure("rejected a well-formed line at '\(error.word)'")
        }
        try expectEqual(parsed.count, 4, "pair count")
        try expectEqual(parsed["a"] ?? "", "2", "last a wins")
        try expectEqual(parsed["b"] ?? "", "x=y", "value with '='")
        try expectEqual(parsed["c"] ?? "nil", "", "empty value")
    }
    suite.test("bootargs.parser-rejects-malformed-words") { () throws(TestFailure) in
        for (line, word) in [("a=1 novalue", "novalue"), ("=x", "=x"), ("k=v =", "=")] {
            var rejected: String? = nil
            do throws(MalformedBootArgument) {
                _ = try BootArguments(parsing: line)
            } catch {
                rejected = error.word
            }
            try expectEqual(rejected ?? "(accepted)", word, "rejected word of '\(line)'")
        }
    }
}

/// Bytes that are not UTF-8 in a boot argument become what `String(decoding:as:)` makes of them (Runtime repairs
/// them itself, without the standard library's repairing initializer: Sources/Runtime/StringFromBytes.swift).
func registerBootArgumentRepairTests(_ suite: inout TestSuite) {
    suite.test("bootargs.ill-formed-utf8-repaired-as-the-stdlib-does") { () throws(TestFailure) in
        // Table 3-7's edges: stray continuations, overlongs, surrogates, above U+10FFFF, truncated sequences.
        var values: [[UInt8]] = [
            [0x80], [0xBF, 0x41], [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xC2, 0x41], [0xC3, 0xA9],
            [0xE0, 0x80, 0x80], [0xE0, 0xA0], [0xE0, 0xA0, 0x80], [0xE2, 0x82, 0x41], [0xED, 0x9F, 0xBF],
            [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x90, 0x80],
            [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80],
            [0xFF, 0xFE], [0x61, 0xE2, 0x82, 0xAC, 0xE2, 0x82, 0x62], [0xF1, 0x80, 0x80, 0xC3, 0xA9, 0x80],
        ]
        // And random ones, biased to the bytes that begin or continue sequences (no space: it splits words).
        var random = SplitMix64(state: 0x5EED_0F_B007)
        for _ in 0..<300 {
            var value: [UInt8] = []
            for _ in 0..<(1 + Int(random.next() % 9)) {
                let pick = random.next()
                let byte = pick % 4 == 0 ? UInt8(0x41 + pick / 4 % 26) : UInt8(0x80 + pick / 4 % 0x80)
                value.append(byte)
            }
            values.append(value)
        }
        for (index, value) in values.enumerated() {
            let line: [UInt8] = Array("k=".utf8) + value
            let parsed: BootArguments? = line.withUnsafeBufferPointer { bytes in
                do throws(MalformedBootArgument) {
                    return try BootArguments(parsing: bytes)
                } catch {
                    return nil
                }
            }
            guard let parsed else { throw TestFailure("value \(index) rejected") }
            let expected = value.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
            try expectBytes(Array((parsed["k"] ?? "(missing)").utf8), Array(expected.utf8), "value \(index) \(list(value))")
        }
    }
}
