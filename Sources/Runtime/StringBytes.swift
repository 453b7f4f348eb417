/// A String's UTF-8 bytes, reached without the stdlib's general paths.
///
/// Embedded Swift's Strings are always contiguous UTF-8 (native, small or shared: there are no bridged, "foreign"
/// ones), yet `String.withUTF8`, `utf8.elementsEqual` and iterating `utf8` link the stdlib's code for the foreign
/// kind (copying through `Substring`, UTF-16 index translation, breadcrumbs: about 2.5 KiB) in every image, for a
/// case that cannot arise (docs/BENCHMARKS.md, footprint). These take the contiguous bytes; a String without
/// them would end the run with a message saying so rather than link that code.
enum StringBytes {
    /// Lends `text`'s UTF-8 bytes to `body`.
    static func with<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        noContiguousUTF8()
    }

    /// Whether `a` and `b` are the same bytes (not Unicode canonical equivalence, which `==` is).
    static func equal(_ a: String, _ b: String) -> Bool {
        with(a) { x in with(b) { y in x.elementsEqual(y) } }
    }

    /// The unreachable case of ``with(_:_:)``: ends the run (``ExitStatus/abort``) naming it.
    @inline(never)
    static func noContiguousUTF8() -> Never {
        let message: StaticString = "a String without contiguous UTF-8 bytes (Embedded Swift has none)"
        message.withUTF8Buffer { ABI.abort(bytes: UnsafeRawBufferPointer($0)) }
    }
}
