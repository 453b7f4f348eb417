/// The boot arguments: `key=value` words from `swiftlet run app -- key=value ...`.
///
/// In prod they arrive as the kernel command line (QEMU `-append`); in dev as
/// the tender's arguments after `--`. Both become one space-separated line, so
/// parsing (and rejecting malformed words) happens here, once.
public struct BootArguments {
    /// The pairs in the order given. A key given twice keeps both; lookups see the last.
    public private(set) var pairs: [(key: String, value: String)] = []

    /// No arguments (before launch).
    init() {}

    /// Parses a command line; returns the first malformed word on failure.
    ///
    /// Words are split on ASCII spaces and at their first `=` by bytes, and keys match byte for
    /// byte: nothing here compares Strings by Unicode canonical equivalence, which keeps the stdlib's
    /// normalization code and Unicode data tables out of an image that does not use them itself.
    public init(parsing line: String) throws(MalformedBootArgument) {
        let parsed: Result<BootArguments, MalformedBootArgument> = StringBytes.with(line) { bytes in
            do throws(MalformedBootArgument) {
                return .success(try BootArguments(parsing: bytes))
            } catch {
                return .failure(error)
            }
        }
        self = try parsed.get()
    }

    /// Parses a command line's bytes (``Runtime/launch(_:)`` parses the platform's line in place: no String of
    /// the whole line, and no Array of its bytes). Bytes that are not UTF-8 become U+FFFD in keys and values, as
    /// `String(decoding:as:)` would make them.
    public init(parsing bytes: UnsafeBufferPointer<UInt8>) throws(MalformedBootArgument) {
        var start = 0
        while start < bytes.count {
            if bytes[start] == 0x20 {
                start += 1
                continue
            }
            var end = start
            var equals = -1
            while end < bytes.count && bytes[end] != 0x20 {
                if equals < 0 && bytes[end] == 0x3D { equals = end }
                end += 1
            }
            guard equals > start else { throw MalformedBootArgument(word: Self.text(bytes, start..<end)) }
            let key = Self.text(bytes, start..<equals)
            let value = Self.text(bytes, (equals + 1)..<end)
            pairs.append((key: key, value: value))
            start = end
        }
    }

    private static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        StringBytes.string(UnsafeBufferPointer(rebasing: bytes[range]))
    }

    /// The value of `key` (compared byte for byte), or nil. The last occurrence wins.
    public subscript(_ key: String) -> String? {
        for pair in pairs.reversed() where StringBytes.equal(pair.key, key) { return pair.value }
        return nil
    }

    /// The value of `key` as an integer, or nil when absent or not a decimal integer.
    public func integer(_ key: String) -> Int? {
        guard let text = self[key] else { return nil }
        return Int(text)
    }

    public var count: Int { pairs.count }
}

/// A boot argument that is not `key=value` with a non-empty key.
public struct MalformedBootArgument: Error {
    public var word: String
}
