/// The dual-mode TCP suite: the wire format (scapy vectors, every option, malformed option lengths, every
/// truncation), the connection state machine transition by transition (two machines wired together, a virtual
/// clock), and transfers between two interfaces on a ``VirtualLink`` with and without loss, in dev (posix) and prod
/// (virtio). Run: `./swiftlet test Tests/DualMode/tcp --target both`.
import Net
import NetTesting
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
        registerTimerTests(&suite)
        registerInterfaceTests(&suite)
        registerAutotuningTests(&suite)
        registerTransitionTests(&suite)
        registerSYNCookieTests(&suite)
        registerFuzzTests(&suite)
        registerSeamTests(&suite)
    }
}

// MARK: - Byte helpers

func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }

func testMAC(_ last: UInt8) -> MACAddress { MACAddress(0x02, 0, 0, 0, 0, last) }

/// `count` bytes of a repeating pattern that starts at `seed`, not a multiple of any segment size.
func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count { bytes[index] = UInt8(truncatingIfNeeded: index &* 7 &+ index >> 8 &+ Int(seed)) }
    return bytes
}
