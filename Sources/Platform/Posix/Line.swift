/// Line.swift — a byte line for the platform's own messages (tender errors, aborts).
///
/// Messages are built from `StaticString`s and C strings as bytes, without
/// `String` formatting, and leave through the console or stderr in one write.

/// A growing line of bytes.
struct Line {
    private(set) var bytes: [UInt8] = []

    init() {
        self.bytes.reserveCapacity(128)
    }

    mutating func append(byte: UInt8) {
        self.bytes.append(byte)
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
    }

    /// Appends `count` bytes starting at `start`.
    mutating func append(_ start: UnsafePointer<UInt8>, count: Int) {
        self.bytes.append(contentsOf: UnsafeBufferPointer(start: start, count: count))
    }

    /// Appends a NUL-terminated C string.
    mutating func append(cString: UnsafePointer<CChar>) {
        var cursor = UnsafeRawPointer(cString).assumingMemoryBound(to: UInt8.self)
        while cursor.pointee != 0 {
            self.bytes.append(cursor.pointee)
            cursor += 1
        }
    }

    /// Lends the bytes written so far.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        self.bytes.withUnsafeBytes(body)
    }
}
