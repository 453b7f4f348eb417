/// The console: a line-buffered writer over the ABI's console call.
///
/// Swift's `print` ends in the C function `putchar`; Runtime defines it here
/// (in both modes) so that all output takes one path: bytes collect in a line
/// buffer and go to the ABI on each newline, when the buffer fills, and before
/// the unikernel exits or aborts. Dev and prod therefore interleave output
/// identically. Defining `putchar` in the image overrides glibc's in dev.
public enum Console {
    static let capacity = 4096
    nonisolated(unsafe) static var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    nonisolated(unsafe) static var count = 0

    /// Appends one byte, flushing on newline or when the buffer is full.
    @inline(__always)
    static func put(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
        if byte == 10 || count == capacity { flush() }
    }

    /// Writes everything buffered to the console now.
    public static func flush() {
        guard count > 0 else { return }
        ABI.consoleWrite(UnsafeRawBufferPointer(start: buffer, count: count))
        count = 0
    }

    /// Writes `text` followed by a newline (same as `print`).
    public static func writeLine(_ text: String) {
        write(text)
        put(10)
    }

    /// Writes `text` with no newline.
    public static func write(_ text: String) {
        StringBytes.with(text) { write($0) }
    }

    /// Writes a static string's bytes with no newline.
    public static func write(_ text: StaticString) {
        text.withUTF8Buffer { write($0) }
    }

    /// Writes `bytes` with no newline (flushing at each newline among them, as ``put(_:)``).
    @inline(never)
    public static func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        for byte in bytes { put(byte) }
    }
}

/// `print`'s byte sink (C `int putchar(int)`), routed to ``Console``.
@_cdecl("putchar")
public func swiftletPutchar(_ character: CInt) -> CInt {
    Console.put(UInt8(truncatingIfNeeded: character))
    return character
}
