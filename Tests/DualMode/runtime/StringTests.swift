/// Runtime's `[String].joined(separator:)` (Sources/Runtime/StringJoined.swift) makes the same Strings as the
/// standard library's, which a generic context still reaches.
import Runtime

/// The standard library's `joined(separator:)` (Runtime's extends `Array` only, so it is not seen here).
private func stdlibJoined<S: Sequence>(_ parts: S, separator: String) -> String where S.Element: StringProtocol {
    parts.joined(separator: separator)
}

func registerStringTests(_ suite: inout TestSuite) {
    suite.test("string.joined-matches-the-stdlib") { () throws(TestFailure) in
        var long = ""
        for index in 0..<300 { long.append(Character(Unicode.Scalar(UInt8(65 + index % 26)))) }
        let arrays: [[String]] = [
            [], [""], ["", ""], ["a"], ["fast", "medium", "slow"], ["é", "✓", "𝄞", "ascii"], [long, "", long],
        ]
        for (index, parts) in arrays.enumerated() {
            for separator in ["", ", ", "→", long] {
                let ours = parts.joined(separator: separator)
                let theirs = stdlibJoined(parts, separator: separator)
                try expectBytes(Array(ours.utf8), Array(theirs.utf8), "array \(index), separator of \(separator.utf8.count) bytes")
            }
        }
        try expectEqual(["a", "b"].joined(), "ab", "default separator")
    }
}
