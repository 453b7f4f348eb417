/// A line for the console written from a string literal, interpolations included, without building a `String`.
///
/// Runtime's `print` takes one (Print.swift), so an app's `print("boot arguments: \(arguments.count)")` compiles
/// to calls that copy the literal segments (static bytes) and each value's bytes into one buffer, and `print` hands
/// that buffer to ``Console``: the same bytes as the standard library's `print` of the interpolated `String`, the
/// same single write per line, without the `String` growth and append code (`_StringGuts.append` and the
/// foreign-string paths behind it) or an inlined `DefaultStringInterpolation` at every call
/// (docs/BENCHMARKS.md, footprint).
///
/// The message is composed completely before anything is written, as a `String` would be: a value whose
/// computation prints (or awaits a task that prints) does not split the line.
///
/// Interpolations take what `String`'s do in Embedded Swift: `String`, `Substring`, `StaticString`, `Bool`,
/// integers (written in decimal here, no `String` made), another `ConsoleMessage`, `TextOutputStreamable` values,
/// and anything `CustomStringConvertible` (its `description`). docs/CONSOLE.md. Extend ``Interpolation`` with more `appendInterpolation`
/// methods as for `DefaultStringInterpolation`. An interpolation it cannot take makes the call fall back to the
/// standard library's `print` of a `String`, with the same output.
public struct ConsoleMessage: ExpressibleByStringInterpolation {
    public typealias StringLiteralType = StaticString

    /// The text when the literal has no interpolation (empty otherwise).
    let literal: StaticString
    /// The composed bytes when it has one (nil otherwise).
    let composed: ConsoleMessageBytes?

    /// A literal with no interpolation: written from its static bytes, nothing allocated.
    public init(stringLiteral text: StaticString) {
        literal = text
        composed = nil
    }

    /// A literal with interpolations: the bytes ``Interpolation`` composed.
    public init(stringInterpolation: Interpolation) {
        literal = ""
        composed = stringInterpolation.bytes
    }

    /// Lends the message's UTF-8 bytes (what `print` writes before its terminator) to `body`.
    public func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let composed { return body(UnsafeBufferPointer(start: composed.start, count: composed.count)) }
        return literal.withUTF8Buffer(body)
    }

    /// Hands the message's bytes to ``Console`` (no terminator).
    @inline(never)
    func write() {
        if let composed {
            Console.write(UnsafeBufferPointer(start: composed.start, count: composed.count))
        } else {
            Console.write(literal)
        }
    }

    /// Composes a ``ConsoleMessage`` from literal segments and interpolated values (the compiler calls these).
    public struct Interpolation: StringInterpolationProtocol, TextOutputStream {
        public typealias StringLiteralType = StaticString

        /// The bytes so far: a class, so that the message keeps them without a copy.
        let bytes: ConsoleMessageBytes

        public init(literalCapacity: Int, interpolationCount: Int) {
            bytes = ConsoleMessageBytes(capacity: literalCapacity + 8 * interpolationCount)
        }

        /// A literal segment: its static bytes.
        @inline(__always)
        public mutating func appendLiteral(_ literal: StaticString) { bytes.append(literal) }

        /// A `String`'s UTF-8 bytes.
        @inline(__always)
        public mutating func appendInterpolation(_ value: String) { bytes.append(value) }

        /// A `Substring`'s UTF-8 bytes.
        @inline(__always)
        public mutating func appendInterpolation(_ value: Substring) { bytes.append(value) }

        /// A static string's bytes.
        @inline(__always)
        public mutating func appendInterpolation(_ value: StaticString) { bytes.append(value) }

        /// `true` or `false`, as `Bool.description`.
        @inline(__always)
        public mutating func appendInterpolation(_ value: Bool) { bytes.append(value ? "true" : "false") }

        /// An integer in decimal, as its `description`, written without a `String` (up to 64 bits; a wider one
        /// through its `description`).
        @inline(__always)
        public mutating func appendInterpolation<T: FixedWidthInteger>(_ value: T) {
            if T.bitWidth > 64 {
                bytes.append(value.description)
            } else if T.isSigned {
                bytes.appendDecimal(Int64(truncatingIfNeeded: value))
            } else {
                bytes.appendDecimal(UInt64(truncatingIfNeeded: value), negative: false)
            }
        }

        /// Another message's bytes.
        @inline(__always)
        public mutating func appendInterpolation(_ value: ConsoleMessage) { value.withUTF8 { bytes.append($0) } }

        /// A value that writes itself to a text stream.
        @inline(__always)
        public mutating func appendInterpolation<T: TextOutputStreamable>(_ value: T) { value.write(to: &self) }

        /// A value that both writes itself and has a `description`: written, as `String`'s interpolation does.
        @inline(__always)
        public mutating func appendInterpolation<T: TextOutputStreamable & CustomStringConvertible>(_ value: T) {
            value.write(to: &self)
        }

        /// A value's `description`.
        @inline(__always)
        public mutating func appendInterpolation<T: CustomStringConvertible>(_ value: T) {
            bytes.append(value.description)
        }

        /// `TextOutputStream`: what a `TextOutputStreamable` value writes.
        @inline(__always)
        public mutating func write(_ string: String) { bytes.append(string) }
    }
}

/// The growing byte buffer behind a ``ConsoleMessage`` (freed with the message).
///
/// Its appends are out of line: each interpolation in an app is one call, not a copy loop.
final class ConsoleMessageBytes {
    private(set) var start: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        start = .allocate(capacity: self.capacity)
    }

    deinit { start.deallocate() }

    /// Room for `more` bytes after ``count``, growing by doubling; returns where they go.
    private func reserve(_ more: Int) -> UnsafeMutablePointer<UInt8> {
        if count + more > capacity {
            var grown = capacity * 2
            while grown < count + more { grown *= 2 }
            let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            moved.update(from: start, count: count)
            start.deallocate()
            start = moved
            capacity = grown
        }
        return start + count
    }

    /// Appends `bytes`.
    @inline(never)
    func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count).update(from: base, count: bytes.count)
        count += bytes.count
    }

    /// Appends a static string's bytes.
    @inline(never)
    func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    /// Appends a `String`'s UTF-8 bytes.
    @inline(never)
    func append(_ text: String) {
        StringBytes.with(text) { append($0) }
    }

    /// Appends a `Substring`'s UTF-8 bytes (contiguous, as a String's: StringBytes).
    @inline(never)
    func append(_ text: Substring) {
        if text.utf8.withContiguousStorageIfAvailable({ append($0) }) == nil { StringBytes.noContiguousUTF8() }
    }

    /// Appends `value` in decimal, as `Int64.description`.
    @inline(never)
    func appendDecimal(_ value: Int64) {
        appendDecimal(value < 0 ? 0 &- UInt64(bitPattern: value) : UInt64(bitPattern: value), negative: value < 0)
    }

    /// Appends `magnitude` in decimal, after a `-` when `negative`.
    @inline(never)
    func appendDecimal(_ magnitude: UInt64, negative: Bool) {
        var digits = 1
        var rest = magnitude
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        let sign = negative ? 1 : 0
        let at = reserve(sign + digits)
        if negative { at.pointee = UInt8(ascii: "-") }
        var value = magnitude
        for index in stride(from: sign + digits - 1, through: sign, by: -1) {
            at[index] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
            value /= 10
        }
        count += sign + digits
    }
}

extension ConsoleMessage: Equatable, CustomStringConvertible {
    /// Whether the two messages are the same bytes (not Unicode canonical equivalence, which `String ==` is).
    public static func == (a: ConsoleMessage, b: ConsoleMessage) -> Bool {
        a.withUTF8 { x in b.withUTF8 { y in x.elementsEqual(y) } }
    }

    /// The message's text as a `String` (`print` never makes one).
    public var description: String { withUTF8 { StringBytes.string($0) } }
}
