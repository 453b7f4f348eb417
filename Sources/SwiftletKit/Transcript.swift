import Foundation

/// Reading what an image in test mode prints, and comparing two modes' transcripts.
///
/// The in-image harness (Sources/Runtime/TestHarness.swift) prints:
///
///     swiftlet-test: <N> tests
///     ok <name>                       (optionally ending in " [<timing>]")
///     FAIL <name>: <message>
///     fault-test <name> expects <status>
///     <P> passed, <F> failed
///
/// with app output possibly in between.
public enum Transcript {
    /// One recognised line of harness output.
    public enum Line: Equatable, Sendable {
        case header(count: Int)
        case ok(name: String)
        case fail(name: String, message: String)
        case faultTest(name: String, expectedStatus: Int32)
        case summary(passed: Int, failed: Int)
        /// Anything else (app output, platform messages).
        case other(String)
    }

    /// Splits console output into clean lines: `\r` and ANSI escape sequences
    /// (SeaBIOS clears the screen on `-M pc`) removed, trailing blanks trimmed.
    public static func lines(of console: String) -> [String] {
        // Split on the byte: in a Swift String "\r\n" is one Character, not a "\n".
        var result = console.utf8.split(separator: 10, omittingEmptySubsequences: false)
            .map { clean(String(decoding: $0, as: UTF8.self)) }
        while let last = result.last, last.isEmpty { result.removeLast() }
        return result
    }

    static func clean(_ line: String) -> String {
        var output = ""
        var iterator = line.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            if scalar == "\u{1B}" {
                // CSI: ESC [ params final-byte (0x40...0x7E); other escapes: ESC + one character.
                guard let next = iterator.next() else { break }
                if next == "[" {
                    while let c = iterator.next(), !(0x40...0x7E).contains(c.value) {}
                }
                continue
            }
            if scalar == "\r" || (scalar.value < 0x20 && scalar != "\t") { continue }
            output.unicodeScalars.append(scalar)
        }
        while output.last == " " || output.last == "\t" { output.removeLast() }
        return output
    }

    /// Removes a trailing ` [<anything>]` timing suffix.
    public static func strippingTiming(_ line: String) -> String {
        guard line.hasSuffix("]"), let open = line.range(of: " [", options: .backwards) else { return line }
        return String(line[..<open.lowerBound])
    }

    /// Classifies one clean line.
    public static func parse(_ line: String) -> Line {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        if line.hasPrefix("swiftlet-test: "), words.count == 3, words[2] == "tests", let count = Int(words[1]) {
            return .header(count: count)
        }
        if line.hasPrefix("ok "), words.count >= 2 {
            return .ok(name: String(words[1]))
        }
        if line.hasPrefix("FAIL "), let colon = line.range(of: ": ") {
            let name = String(line[line.index(line.startIndex, offsetBy: 5)..<colon.lowerBound])
            return .fail(name: name, message: strippingTiming(String(line[colon.upperBound...])))
        }
        if line.hasPrefix("fault-test "), words.count == 4, words[2] == "expects", let status = Int32(words[3]) {
            return .faultTest(name: String(words[1]), expectedStatus: status)
        }
        if words.count == 4, words[1] == "passed,", words[3] == "failed", let passed = Int(words[0]),
           let failed = Int(words[2]) {
            return .summary(passed: passed, failed: failed)
        }
        return .other(line)
    }

    /// The kind of a one-line fault report (`swiftlet: memory fault: ... at 0x...`):
    /// the text after `swiftlet: ` and before ` at 0x` or ` (rip`; nil for other lines.
    /// A device error's kind ends with the device's name (`device error: block device 'storage'`):
    /// what broke differs by mode (prod: a used ring; dev: a block file that ended early).
    public static func faultKind(_ line: String) -> String? {
        guard line.hasPrefix("swiftlet: ") else { return nil }
        var text = String(line.dropFirst("swiftlet: ".count))
        if text.hasPrefix("device error: "), let end = text.range(of: "': ") {
            return String(text[..<text.index(after: end.lowerBound)])
        }
        for marker in [" at 0x", " (rip"] {
            if let range = text.range(of: marker) { text = String(text[..<range.lowerBound]) }
        }
        return text
    }

    /// The lines of a run that take part in the comparison: from the harness
    /// header to the summary (platform boot chatter before it is left out),
    /// or everything when there is no header.
    public static func suiteSection(_ lines: [String]) -> [String] {
        guard let start = lines.firstIndex(where: { if case .header = parse($0) { return true }; return false })
        else { return lines }
        var section = Array(lines[start...])
        if let end = section.firstIndex(where: { if case .summary = parse($0) { return true }; return false }) {
            section = Array(section[...end])
        }
        return section
    }

    /// One line made comparable between dev and prod: timing suffix removed,
    /// fault reports reduced to their kind, hexadecimal addresses and clock
    /// readings (long numbers, durations) replaced by placeholders.
    public static func normalise(_ line: String) -> String {
        if let kind = faultKind(line) { return "swiftlet: " + maskNumbers(kind) }
        // Test names are kept as written ("sleep.one-second-within-200ms").
        switch parse(line) {
        case .ok(let name): return "ok \(name)"
        case .fail(let name, let message): return "FAIL \(name): \(maskNumbers(message))"
        case .header, .faultTest, .summary: return line
        case .other(let text): return maskNumbers(strippingTiming(text))
        }
    }

    /// `0x1f00` → `0x?`; numbers of 6 or more digits → `#`; `12 ms`, `3.5s`, `40ns` → `<time>`.
    static func maskNumbers(_ text: String) -> String {
        let units: Set<String> = ["ns", "us", "µs", "ms", "s", "sec", "seconds"]
        var output = ""
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let atWordStart = i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber || chars[i - 1] == "_")
            if c == "0", atWordStart, i + 1 < chars.count, chars[i + 1] == "x" || chars[i + 1] == "X" {
                var j = i + 2
                while j < chars.count, chars[j].isHexDigit { j += 1 }
                if j > i + 2 {
                    output += "0x?"
                    i = j
                    continue
                }
            }
            if c.isASCII, c.isNumber, atWordStart {
                var j = i
                while j < chars.count, chars[j].isASCII, chars[j].isNumber || chars[j] == "." { j += 1 }
                let number = String(chars[i..<j])
                var k = j
                if k < chars.count, chars[k] == " " { k += 1 }
                var u = k
                while u < chars.count, chars[u].isLetter { u += 1 }
                let unit = String(chars[k..<u])
                if units.contains(unit) {
                    output += "<time>"
                    i = u
                    continue
                }
                output += number.filter(\.isNumber).count >= 6 ? "#" : number
                i = j
                continue
            }
            output.append(c)
            i += 1
        }
        return output
    }

    /// A short line diff of `a` against `b` (longest common subsequence),
    /// at most `limit` lines, each `- <line>` (only in a) or `+ <line>` (only in b).
    public static func diff(_ a: [String], _ b: [String], limit: Int = 10) -> [String] {
        let n = a.count, m = b.count
        var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var result: [String] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] {
                i += 1; j += 1
            } else if i < n, j == m || table[i + 1][j] >= table[i][j + 1] {
                result.append("- " + a[i]); i += 1
            } else {
                result.append("+ " + b[j]); j += 1
            }
        }
        if result.count > limit {
            let extra = result.count - limit
            result = Array(result.prefix(limit)) + ["... \(extra) more"]
        }
        return result
    }
}
