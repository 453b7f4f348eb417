/// The dual-mode TCP suite: the wire format (scapy vectors, every option, malformed option lengths, every
/// truncation), the connection state machine transition by transition (two machines wired together, a virtual
/// clock), and transfers between two interfaces on a ``VirtualLink`` with and without loss, in dev (posix) and prod
/// (virtio). Run: `./swiftlet test Tests/DualMode/tcp --target both`.
import Net
import Runtime

@main
struct TCPSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("tcp suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerWireTests(&suite)
        registerStateMachineTests(&suite)
        registerInterfaceTests(&suite)
        registerFuzzTests(&suite)
    }
}

// MARK: - Byte helpers

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

/// Fails unless `actual` equals `expected`, naming the first differing offset.
func expectBytes(_ actual: [UInt8], _ expected: [UInt8], _ what: String) throws(TestFailure) {
    if actual == expected { return }
    var index = 0
    while index < actual.count && index < expected.count && actual[index] == expected[index] { index += 1 }
    throw TestFailure("\(what): \(actual.count) bytes vs \(expected.count) expected; first difference at \(index)")
}

/// Fails unless `actual` is not nil, and returns it.
func unwrap<T>(_ actual: T?, _ what: String) throws(TestFailure) -> T {
    guard let actual else { throw TestFailure("\(what): missing") }
    return actual
}

func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }

func testMAC(_ last: UInt8) -> MACAddress { MACAddress(0x02, 0, 0, 0, 0, last) }

/// `count` bytes of a repeating pattern that starts at `seed`, not a multiple of any segment size.
func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count { bytes[index] = UInt8(truncatingIfNeeded: index &* 7 &+ index >> 8 &+ Int(seed)) }
    return bytes
}
