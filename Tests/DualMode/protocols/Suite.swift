/// The dual-mode protocols suite: the pure state machines of `Sources/Net/Protocols` (IPv4 reassembly and
/// fragmentation, the DHCP client, the DNS resolver) and their wire formats (`Sources/Net/Wire/DHCP.swift`,
/// `DNS.swift`), driven by fixed byte vectors built with scapy on the host and a virtual clock, in dev (posix) and
/// prod (virtio).
import Net
import Runtime

@main
struct ProtocolsSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("protocols suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerReassemblerTests(&suite)
        registerFragmenterTests(&suite)
        registerDHCPTests(&suite)
        registerDHCPClientTests(&suite)
        registerDNSTests(&suite)
        registerDNSResolverTests(&suite)
        registerFuzzTests(&suite)
    }
}

// MARK: - Virtual clock

/// The virtual clock's origin: an arbitrary non-zero instant, so nothing may assume time starts at 0.
let origin = Instant(nanoseconds: 1_000_000_000_000)

/// `origin` plus `seconds`.
func at(_ seconds: Int) -> Instant { origin + .seconds(seconds) }

/// `origin` plus `milliseconds`.
func at(milliseconds: Int) -> Instant { origin + .milliseconds(milliseconds) }

/// An instant as seconds (with milliseconds) since `origin`, for messages.
func since(_ instant: Instant?) -> String {
    guard let instant else { return "never" }
    let ms = (instant - origin).milliseconds
    return "\(ms / 1000).\(ms % 1000 < 100 ? "0" : "")\(ms % 1000 < 10 ? "0" : "")\(ms % 1000)s"
}

/// Fails unless `actual` is `expected`, both shown relative to the origin.
func expectInstant(_ actual: Instant?, _ expected: Instant?, _ what: String) throws(TestFailure) {
    if actual != expected { throw TestFailure("\(what): expected \(since(expected)), got \(since(actual))") }
}

// MARK: - Helpers shared by the tests (as in Tests/DualMode/net)

/// Runs `body` on a private mutable copy of `bytes`.
func withBytes<Result>(
    _ bytes: [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(TestFailure) -> Result
) throws(TestFailure) -> Result {
    var buffer = PacketBuffer(bytes)
    return try buffer.withUnsafeMutableReadableBytes(body)
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

/// Fails unless every proper prefix of `bytes` is rejected by `parse` and the whole is accepted. Each prefix is a
/// view into the full message, so a parser that read past its view's end would find the rest of a valid message
/// there and wrongly accept: an out-of-bounds read shows up as a failure, not as luck.
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

/// A deterministic generator (SplitMix64), so both modes see the same "random" numbers.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random source for the state machines: replays `values` (then zeros), or SplitMix64 when given a seed.
final class ScriptedRandom {
    var values: [UInt64]
    var generator: SplitMix64?
    var drawn = 0

    init(_ values: [UInt64]) { self.values = values }
    init(seed: UInt64) {
        self.values = []
        self.generator = SplitMix64(state: seed)
    }

    func next() -> UInt64 {
        self.drawn += 1
        if !self.values.isEmpty { return self.values.removeFirst() }
        if self.generator != nil { return self.generator!.next() }
        return 0
    }
}

/// `[a, b, c]` (Embedded arrays have no `description`).
func list<T: CustomStringConvertible>(_ values: [T]) -> String {
    var text = "["
    for (index, value) in values.enumerated() {
        if index > 0 { text += ", " }
        text += value.description
    }
    return text + "]"
}

/// Fails unless the arrays are equal, showing both.
func expectElements<T: Equatable & CustomStringConvertible>(
    _ actual: [T], _ expected: [T], _ what: String
) throws(TestFailure) {
    if actual != expected { throw TestFailure("\(what): expected \(list(expected)), got \(list(actual))") }
}
