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

    /// Appends bytes as they are.
    mutating func append(bytes: [UInt8]) {
        self.bytes.append(contentsOf: bytes)
    }

    /// Appends `value` in decimal.
    mutating func append(decimal value: UInt64) {
        var digits: [UInt8] = []
        var rest = value
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        self.bytes.append(contentsOf: digits.reversed())
    }

    /// Appends a MAC address as `xx:xx:xx:xx:xx:xx` (lower-case hex).
    mutating func append(mac: [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        for (index, byte) in mac.enumerated() {
            if index > 0 { self.bytes.append(UInt8(ascii: ":")) }
            self.bytes.append(hex.utf8Start[Int(byte >> 4)])
            self.bytes.append(hex.utf8Start[Int(byte & 15)])
        }
    }

    /// Lends the bytes written so far.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        self.bytes.withUnsafeBytes(body)
    }
}
