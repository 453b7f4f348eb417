/// The wire layer: zero-copy packet views and plain header values, one file per protocol.
///
/// Each protocol has two types (smoltcp's `Packet`/`Repr` split):
///
/// - A `<Proto>Packet` view over borrowed bytes, with a getter and a setter per header field, in network byte order.
///   Untrusted bytes enter only through `init(checking:)`, which validates every length an accessor relies on.
///   After that no accessor traps or reads outside the borrowed bytes, whatever the bytes say and whatever the
///   setters later write: accessors whose extent comes off the wire (payloads, options) clamp it to the buffer.
///   `init(unchecked:)` is for building packets in buffers the caller sized; it only requires the fixed header.
/// - A `<Proto>Header` (or `<Proto>Message`) value of just the meaningful fields, converted by `init(parsing:)` and
///   `emit(into:)`.
///
/// The views hold an `UnsafeMutableRawBufferPointer` and do not own it: the caller keeps the bytes alive (for
/// example with ``PacketBuffer/withUnsafeMutableReadableBytes(_:)``) for as long as the view is used.
///
/// Every parse failure is the single ``WireError``: the interface drops the packet and counts it.

/// A packet is malformed or uses a feature the stack does not support.
///
/// Deliberately fieldless (smoltcp's `wire::Error`): the caller can only drop the packet and count it.
public struct WireError: Error, Equatable, CustomStringConvertible {
    /// The one error value.
    public init() {}

    public var description: String { "malformed or unsupported packet" }
}

// MARK: - Network-byte-order access at fixed offsets (internal)

extension UnsafeMutableRawBufferPointer {
    /// The byte at `offset`; the caller has checked `offset < count`.
    @inline(__always)
    func wireUInt8(at offset: Int) -> UInt8 {
        self.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// The big-endian 16-bit field at `offset`; the caller has checked `offset + 2 <= count`.
    @inline(__always)
    func wireUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// The big-endian 32-bit field at `offset`; the caller has checked `offset + 4 <= count`.
    @inline(__always)
    func wireUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func setWireUInt8(_ value: UInt8, at offset: Int) {
        self.storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
    }

    @inline(__always)
    func setWireUInt16(_ value: UInt16, at offset: Int) {
        self.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inline(__always)
    func setWireUInt32(_ value: UInt32, at offset: Int) {
        self.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// The bytes `start..<end`, both clamped to `0...count`: never out of bounds, whatever the wire said.
    func clampedSlice(_ start: Int, _ end: Int) -> UnsafeMutableRawBufferPointer {
        let lower = Swift.min(Swift.max(start, 0), self.count)
        let upper = Swift.min(Swift.max(end, lower), self.count)
        guard let base = self.baseAddress else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
        return UnsafeMutableRawBufferPointer(start: base + lower, count: upper - lower)
    }
}

// MARK: - Text helpers for descriptions (internal; no Foundation, no String(format:))

/// The lower-case hex digit of `nibble` (0...15).
func wireHexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}

/// `value` as `width` lowercase hex digits.
func wireHex<T: FixedWidthInteger>(_ value: T, width: Int) -> String {
    var text = ""
    var shift = (width - 1) * 4
    while shift >= 0 {
        let nibble = UInt8(truncatingIfNeeded: (value >> T(shift)) & 0xF)
        let digit = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
        text.append(Character(Unicode.Scalar(digit)))
        shift -= 4
    }
    return text
}
