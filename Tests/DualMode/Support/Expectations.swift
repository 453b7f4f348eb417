/// Expectations and helpers shared by the in-image test suites. Every app under
/// Tests/DualMode is compiled together with this folder (mk/image.mk), so the
/// suites share one copy without widening Runtime's or Net's public API.
/// Embedded Swift has no `description` for arrays and no reflection, so
/// failures are rendered here by hand.
import Runtime

/// Fails unless `actual == expected`, naming the first differing offset and both sizes.
func expectBytes(_ actual: [UInt8], _ expected: [UInt8], _ what: String) throws(TestFailure) {
    if actual == expected { return }
    var index = 0
    while index < actual.count && index < expected.count && actual[index] == expected[index] { index += 1 }
    let got = index < actual.count ? hex(actual[index]) : "end"
    let wanted = index < expected.count ? hex(expected[index]) : "end"
    let sizes = "\(actual.count) bytes vs \(expected.count) expected"
    throw TestFailure("\(what): \(sizes); first difference at \(index): \(got) vs \(wanted)")
}

/// Fails unless the arrays are equal, showing both.
func expectElements<T: Equatable & CustomStringConvertible>(
    _ actual: [T], _ expected: [T], _ what: String
) throws(TestFailure) {
    if actual != expected { throw TestFailure("\(what): expected \(list(expected)), got \(list(actual))") }
}

/// The value inside `actual`, or a failure saying `what` was nil.
func unwrap<T>(_ actual: T?, _ what: String) throws(TestFailure) -> T {
    guard let actual else { throw TestFailure("\(what): missing") }
    return actual
}

/// `value` as `0x..` with two digits per byte.
func hex<T: FixedWidthInteger>(_ value: T) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
    var text = "0x"
    var shift = T.bitWidth - 4
    while shift >= 0 {
        text.append(digits[Int(truncatingIfNeeded: (value >> T(shift)) & 0xF)])
        shift -= 4
    }
    return text
}

/// `[a, b, c]`.
func list<T: CustomStringConvertible>(_ values: [T]) -> String {
    var text = "["
    for (index, value) in values.enumerated() {
        if index > 0 { text += ", " }
        text += value.description
    }
    return text + "]"
}

/// A deterministic generator (SplitMix64), so both modes test the same "random" values.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(state: UInt64) { self.state = state }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
