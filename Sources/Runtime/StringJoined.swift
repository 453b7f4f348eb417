/// `joined(separator:)` for an array of Strings, built in one buffer.
///
/// The standard library's appends each element to a growing `String`; in an Embedded image `String` growth links
/// the foreign-string, UTF-16 index and breadcrumb paths an Embedded `String` never takes (about 4.5 KiB in
/// `hello`: docs/BENCHMARKS.md, footprint). This one, on `Array` and so chosen over the standard library's
/// (which extends `Sequence` and `BidirectionalCollection`) for an app that imports Runtime, counts the bytes,
/// copies them into one buffer and makes the String once: the same String.
extension Array where Element == String {
    /// The elements in order with `separator` between each two: the same String as the standard library's
    /// `joined(separator:)`.
    public func joined(separator: String = "") -> String {
        StringBytes.joined(self, separator: separator)
    }
}

extension StringBytes {
    /// `parts` with `separator` between each two, as one String.
    @inline(never)
    static func joined(_ parts: [String], separator: String) -> String {
        with(separator) { separator in
            var total = 0
            for part in parts { total += with(part) { $0.count } }
            total += Swift.max(parts.count - 1, 0) * separator.count
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Swift.max(total, 1))
            defer { buffer.deallocate() }
            var count = 0
            for (index, part) in parts.enumerated() {
                if index > 0 {
                    for byte in separator { buffer[count] = byte; count += 1 }
                }
                with(part) { bytes in
                    for byte in bytes { buffer[count] = byte; count += 1 }
                }
            }
            // Strings joined are well-formed UTF-8: this validates and cannot be nil.
            return String(validating: UnsafeBufferPointer(rebasing: buffer[..<count]), as: UTF8.self) ?? ""
        }
    }
}
