/// Strings made from bytes without the standard library's repairing initializer.
///
/// `String(decoding:as: UTF8.self)` repairs ill-formed input through code that, in an Embedded image, links the
/// foreign-string, UTF-16 index and breadcrumb paths behind `String` growth (about 5 KiB in `hello`, which has
/// no other use for them: docs/BENCHMARKS.md, footprint). Well-formed bytes become a String through
/// `String(validating:as:)`, which only validates; ill-formed ones are repaired here first, the same way.
extension StringBytes {
    /// `bytes` as a String, each maximal ill-formed subsequence replaced by U+FFFD: the same String as
    /// `String(decoding: bytes, as: UTF8.self)` (Unicode 15, §3.9, "U+FFFD Substitution of Maximal Subparts").
    @inline(never)
    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        // At most one U+FFFD (3 bytes) per input byte.
        let repaired = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count * 3)
        defer { repaired.deallocate() }
        var count = 0
        var index = 0
        while index < bytes.count {
            let length = wellFormedLength(bytes, at: index)
            if length > 0 {
                for offset in 0..<length { repaired[count + offset] = bytes[index + offset] }
                count += length
                index += length
            } else {
                repaired[count] = 0xEF
                repaired[count + 1] = 0xBF
                repaired[count + 2] = 0xBD
                count += 3
                index += -length
            }
        }
        // Well-formed by construction, so this cannot be nil.
        return String(validating: UnsafeBufferPointer(rebasing: repaired[..<count]), as: UTF8.self) ?? ""
    }

    /// The length of the well-formed UTF-8 sequence at `index` (1...4), or minus the length of the maximal
    /// subpart of one that is ill-formed there (-1...-3): Unicode 15, Table 3-7.
    static func wellFormedLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xED: length = 3; high = 0x9F
        case 0xE1...0xEF: length = 3
        case 0xF0: length = 4; low = 0x90
        case 0xF4: length = 4; high = 0x8F
        case 0xF1...0xF3: length = 4
        default: return -1
        }
        // The second byte has the lead's range, the others 80...BF; the maximal subpart ends before the first miss.
        for offset in 1..<length {
            guard index + offset < bytes.count else { return -offset }
            let byte = bytes[index + offset]
            if byte < low || byte > high { return -offset }
            low = 0x80
            high = 0xBF
        }
        return length
    }
}
