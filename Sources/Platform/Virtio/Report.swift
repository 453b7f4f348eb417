/// Report.swift — allocation-free console formatting for boot and fault reports.
///
/// Trap and abort reports must work when the heap or the stack is broken, so
/// they format straight to the UART: static strings, hex and decimal numbers.

import VirtioHW

enum Report {
    static func put(_ s: StaticString) {
        Serial.write(s.utf8Start, count: s.utf8CodeUnitCount)
    }

    static func put(_ bytes: UnsafePointer<UInt8>, count: Int) {
        Serial.write(bytes, count: count)
    }

    /// A MAC (first byte in bits 47:40) as `02:53:57:56:df:de`.
    static func mac(_ v: UInt64) {
        for i in 0..<6 {
            let byte = UInt8(truncatingIfNeeded: v >> UInt64(40 - 8 * i))
            if i > 0 { Serial.write(UInt8(ascii: ":")) }
            Serial.write(digit(byte >> 4))
            Serial.write(digit(byte & 15))
        }
    }

    /// `0x` and exactly 16 lowercase hex digits.
    static func hex16(_ v: UInt64) {
        put("0x")
        var shift = 60
        while shift >= 0 {
            Serial.write(digit(UInt8((v >> UInt64(shift)) & 0xF)))
            shift -= 4
        }
    }

    /// `0x` and the fewest lowercase hex digits (at least one).
    static func hex(_ v: UInt64) {
        put("0x")
        var shift = 60
        while shift > 0 && (v >> UInt64(shift)) == 0 { shift -= 4 }
        while shift >= 0 {
            Serial.write(digit(UInt8((v >> UInt64(shift)) & 0xF)))
            shift -= 4
        }
    }

    static func decimal(_ v: UInt64) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat {
                buf[19 - n] = UInt8(48 + x % 10)
                x /= 10
                n += 1
            } while x != 0
            put(buf.baseAddress!.assumingMemoryBound(to: UInt8.self) + (20 - n), count: n)
        }
    }

    /// The backtrace lines that precede a fault, trap or abort report (docs/DEBUGGING.md §3), in the dev
    /// platform's format: `swiftlet: image base 0x...` (always 0: the image runs where it was linked), then
    /// `swiftlet: frame #<n> 0x<return address>` for each of the `count` frames virtio_backtrace stored.
    static func frames(_ count: Int) {
        put("swiftlet: image base ")
        hex16(0)
        put("\n")
        let frames = virtio_backtrace_frames()!
        for i in 0..<count {
            put("swiftlet: frame #")
            decimal(UInt64(i))
            put(" ")
            hex16(frames[i])
            put("\n")
        }
    }

    /// The backtrace of the caller (aborts).
    static func backtraceHere() {
        frames(virtio_backtrace_here())
    }

    private static func digit(_ d: UInt8) -> UInt8 {
        d < 10 ? 48 + d : 87 + d
    }
}
