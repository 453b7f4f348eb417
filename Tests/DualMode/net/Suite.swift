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

/// Fails unless the 16-bit values are equal, showing both in hex.
func expectHex(_ actual: UInt16, _ expected: UInt16, _ what: String) throws(TestFailure) {
    if actual != expected { throw TestFailure("\(what): expected \(hex(expected)), got \(hex(actual))") }
}

/// Runs `body` on a private read-only copy of `bytes`.
func withRawBytes<Result>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(TestFailure) -> Result
) throws(TestFailure) -> Result {
    let buffer = PacketBuffer(bytes)
    return try buffer.withUnsafeReadableBytes(body)
}
