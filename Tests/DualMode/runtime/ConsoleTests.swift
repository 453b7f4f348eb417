/// Console: long writes arrive whole (the host compares both modes' transcripts byte for byte).
import Runtime

func registerConsoleTests(_ suite: inout TestSuite) {
    suite.test("console.long-line-arrives-whole") { () throws(TestFailure) in
        // 10,000 printable bytes in one print: crosses the 4 KiB line buffer twice.
        var line = "console-long-line "
        var value: UInt32 = 2_166_136_261
        while line.utf8.count < 10_000 {
            value = (value ^ UInt32(line.utf8.count & 0xff)) &* 16_777_619
            line.append(Character(Unicode.Scalar(UInt8(97 + value % 26))))
        }
        print(line)
        try expectEqual(line.utf8.count, 10_000, "line length")
    }
    suite.test("console.many-short-writes-keep-order") { () throws(TestFailure) in
        var expected = ""
        for index in 0..<200 {
            print(index % 10, terminator: "")
            expected.append(Character(Unicode.Scalar(UInt8(48 + index % 10))))
        }
        print("")
        try expectEqual(expected.utf8.count, 200, "digits written")
    }
}

/// A value with only a `description`.
private struct Described: CustomStringConvertible {
    var description: String { "described(é)" }
}

/// A value that only writes itself to a stream.
private struct Streamed: TextOutputStreamable {
    func write<Target: TextOutputStream>(to target: inout Target) {
        target.write("streamed-")
        target.write("twice")
    }
}

/// Fails unless `message` composed the same UTF-8 bytes as `expected` (the same interpolation as a `String`).
private func expectComposed(_ message: ConsoleMessage, _ expected: String, _ what: String) throws(TestFailure) {
    let composed = message.withUTF8 { String(decoding: $0, as: UTF8.self) }
    try expectEqual(composed, expected, what)
}

/// Prints a line of its own while a message that interpolates its result is being composed.
private func noisyValue() -> Int {
    print("console-inner: printed while the outer line is composed")
    return 7
}

func registerConsoleMessageTests(_ suite: inout TestSuite) {
    suite.test("console.message-matches-string-interpolation") { () throws(TestFailure) in
        let name = "Ada"
        let middle = "<Lovelace>".dropFirst().dropLast()
        let fixed: StaticString = "static"
        try expectComposed("plain, no interpolation", "plain, no interpolation", "literal")
        try expectComposed("", "", "empty literal")
        try expectComposed("hello \(name)!", "hello \(name)!", "String")
        try expectComposed("[\(middle)]", "[\(middle)]", "Substring")
        try expectComposed("\(fixed)|\(true)|\(false)", "\(fixed)|\(true)|\(false)", "StaticString and Bool")
        try expectComposed(
            "\(Int.min) \(Int.max) \(UInt64.max) \(0) \(-7) \(Int8.min) \(UInt8.max) \(Int32(-42)) \(UInt16(65_535))",
            "\(Int.min) \(Int.max) \(UInt64.max) \(0) \(-7) \(Int8.min) \(UInt8.max) \(Int32(-42)) \(UInt16(65_535))",
            "integers")
        try expectComposed(
            "\(Described()) \(Streamed()) \(Character("ß")) \(Unicode.Scalar(0x2713)!)",
            "\(Described()) \(Streamed()) \(Character("ß")) \(Unicode.Scalar(0x2713)!)",
            "description, TextOutputStreamable, Character, Unicode.Scalar")
        try expectComposed("ünïcödé \(name) ✓", "ünïcödé \(name) ✓", "multi-byte literal segments")
        let inner: ConsoleMessage = "inner \(name) é"
        try expectComposed("outer [\(inner)]", "outer [inner \(name) é]", "a message in a message")
        try expectEqual(inner, "inner Ada é", "equal messages")
        try expect(inner != "inner Ada e", "messages with different bytes are equal")
        try expectEqual(inner.description, "inner Ada é", "description")
    }
    suite.test("console.message-grows-past-its-first-buffer") { () throws(TestFailure) in
        // The first buffer holds the literal plus 8 bytes per interpolation; 40 values of 100 bytes outgrow it
        // several times.
        var long = ""
        for index in 0..<100 { long.append(Character(Unicode.Scalar(UInt8(97 + index % 26)))) }
        var expected = ""
        for index in 0..<40 {
            let piece: ConsoleMessage = "\(index):\(long);"
            try expectComposed(piece, "\(index):\(long);", "piece \(index)")
            expected += "\(index):\(long);"
        }
        let one: ConsoleMessage = """
            \(long)\(long)\(long)\(long)\(long)\(long)\(long)\(long)\(long)\(long) \(Int.min) \(long)\(long)\(long)
            """
        try expectComposed(one, "\(long)\(long)\(long)\(long)\(long)\(long)\(long)\(long)\(long)\(long) \(Int.min) \(long)\(long)\(long)", "long message")
        try expectEqual(one.withUTF8 { $0.count }, 1_322, "long message length")
        try expectEqual(expected.utf8.count, 40 * 102 + 10 + 2 * 30, "pieces length")
    }
    suite.test("console.print-writes-composed-lines") { () throws(TestFailure) in
        // What these print is compared across the modes by the runner; the inner line comes out before the
        // outer one, whole, as it would with a String: a message is composed before anything is written.
        let name = "Ada"
        print("console-outer: \(noisyValue()) after the inner line, \(name), \(-12), \(true)")
        print("console-terminator: \(name)", terminator: " <- no newline; ")
        print("then a static literal")
        let text = "a String value \(name)"
        print(text)
        try expectEqual(noisyValue(), 7, "value")
    }
}
