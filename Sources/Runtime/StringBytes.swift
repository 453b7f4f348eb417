/// A String's UTF-8 bytes, reached without the stdlib's general paths.
///
/// Embedded Swift's Strings are always native UTF-8 (there are no bridged ones), yet `String.withUTF8` and
/// `utf8.elementsEqual` link the stdlib's code for the other kind (copying through `Substring`, a generic
/// sequence comparison) in every image for a case that cannot arise (docs/BENCHMARKS.md, footprint). These take
/// the contiguous bytes and fall back to iterating.
enum StringBytes {
    /// Lends `text`'s UTF-8 bytes to `body`.
    static func with<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var bytes: [UInt8] = []
        for byte in text.utf8 { bytes.append(byte) }
        return bytes.withUnsafeBufferPointer(body)
    }

    /// Whether `a` and `b` are the same bytes (not Unicode canonical equivalence, which `==` is).
    static func equal(_ a: String, _ b: String) -> Bool {
        var x = a.utf8.makeIterator()
        var y = b.utf8.makeIterator()
        while true {
            let byte = x.next()
            guard byte == y.next() else { return false }
            if byte == nil { return true }
        }
    }
}
