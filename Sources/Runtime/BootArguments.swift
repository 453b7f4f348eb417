/// The boot arguments: `key=value` words from `swiftlet run app -- key=value ...`.
///
/// In prod they arrive as the kernel command line (QEMU `-append`); in dev as
/// the tender's arguments after `--`. Both become one space-separated line, so
/// parsing (and rejecting malformed words) happens here, once.
public struct BootArguments {
    /// The pairs in the order given. A key given twice keeps both; lookups see the last.
    public private(set) var pairs: [(key: String, value: String)] = []

    /// Parses a command line; returns the first malformed word on failure.
    public init(parsing line: String) throws(MalformedBootArgument) {
        for word in line.split(separator: " ", omittingEmptySubsequences: true) {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                throw MalformedBootArgument(word: String(word))
            }
            let key = String(word[word.startIndex..<equals])
            let value = String(word[word.index(after: equals)...])
            pairs.append((key: key, value: value))
        }
    }

    /// The value of `key`, or nil. The last occurrence wins.
    public subscript(_ key: String) -> String? {
        for pair in pairs.reversed() where pair.key == key { return pair.value }
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
