/// The dual-mode wire-layer suite: fixed frames (built with scapy on the host) through deconstruct, construct,
/// parse, emit and truncation, for every protocol of `Sources/Net/Wire`, in dev (posix) and prod (virtio).
import Net
import Runtime

@main
struct NetSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("net suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerChecksumTests(&suite)
        registerPacketBufferTests(&suite)
        registerEthernetTests(&suite)
        registerARPTests(&suite)
        registerIPv4Tests(&suite)
        registerIPv4AddressTests(&suite)
        registerICMPv4Tests(&suite)
        registerUDPTests(&suite)
        registerFuzzTests(&suite)
    }
}

// MARK: - Helpers shared by the wire tests

/// Runs `body` on a private mutable copy of `bytes`.
func withBytes<Result>(
    _ bytes: [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(TestFailure) -> Result
) throws(TestFailure) -> Result {
    var buffer = PacketBuffer(bytes)
    return try buffer.withUnsafeMutableReadableBytes(body)
}

/// The bytes of a buffer region as an array.
func array(_ bytes: UnsafeMutableRawBufferPointer) -> [UInt8] {
    Array(UnsafeRawBufferPointer(bytes))
}

/// The readable bytes of `buffer` as an array.
func array(_ buffer: PacketBuffer) -> [UInt8] {
    buffer.withUnsafeReadableBytes { bytes in Array(bytes) }
}

/// `body`'s value; a ``WireError`` fails the test with `what`.
func accept<Value>(_ what: String, _ body: () throws(WireError) -> Value) throws(TestFailure) -> Value {
    do throws(WireError) {
        return try body()
    } catch {
        throw TestFailure("\(what): rejected (\(error))")
    }
}

/// Fails unless `body` throws ``WireError``.
func reject<Value>(_ what: String, _ body: () throws(WireError) -> Value) throws(TestFailure) {
    do throws(WireError) {
        _ = try body()
    } catch {
        return
    }
    throw TestFailure("\(what): accepted")
}

/// Fails unless every proper prefix of `bytes` (lengths 0 ..< count) is rejected by `parse` and the whole is
/// accepted. Each prefix is a view into the full frame, so a parser that read past its view's end would find the
/// rest of a valid packet there and wrongly accept: an out-of-bounds read shows up as a failure, not as luck.
func expectEveryTruncationRejected(
    _ bytes: [UInt8], _ parse: (UnsafeMutableRawBufferPointer) throws(WireError) -> Void
) throws(TestFailure) {
    try withBytes(bytes) { (full) throws(TestFailure) in
        for length in 0..<full.count {
            let prefix = UnsafeMutableRawBufferPointer(rebasing: full[0..<length])
            try reject("prefix of \(length) of \(full.count) bytes") { () throws(WireError) in try parse(prefix) }
        }
        try accept("whole \(full.count) bytes") { () throws(WireError) in try parse(full) }
    }
}

/// Fails unless `actual` equals `expected`, naming the first differing offset.
func expectBytes(_ actual: [UInt8], _ expected: [UInt8], _ what: String) throws(TestFailure) {
    if actual == expected { return }
    var index = 0
    while index < actual.count && index < expected.count && actual[index] == expected[index] { index += 1 }
    let got = index < actual.count ? hex(actual[index]) : "end"
    let wanted = index < expected.count ? hex(expected[index]) : "end"
    let sizes = "\(actual.count) bytes vs \(expected.count) expected"
    throw TestFailure("\(what): \(sizes); first difference at \(index): \(got) vs \(wanted)")
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

/// Fails unless the 16-bit values are equal, showing both in hex.
func expectHex(_ actual: UInt16, _ expected: UInt16, _ what: String) throws(TestFailure) {
    if actual != expected { throw TestFailure("\(what): expected \(hex(expected)), got \(hex(actual))") }
}

/// A deterministic generator (SplitMix64), so both modes test the same "random" bytes.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs `body` on a private read-only copy of `bytes`.
func withRawBytes<Result>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(TestFailure) -> Result
) throws(TestFailure) -> Result {
    let buffer = PacketBuffer(bytes)
    return try buffer.withUnsafeReadableBytes(body)
}
