/// The dual-mode TCP transfer suite: 10 MiB streams between two interfaces on a ``VirtualLink`` with a virtual
/// clock, through 1 % and 10 % loss, reordering, duplication, corruption and a 1 s outage, plus zero-window
/// recovery and back-pressure from a device whose transmit queue fills, in dev (posix) and prod (virtio). Every
/// stream is checked byte for byte and closed with a FIN, and each test also checks the mechanism that repaired it
/// (fast retransmit, timeouts and their back-off, checksums, SACK, zero-window probes), or that nothing needed
/// repair. Run: `./swiftlet test Tests/DualMode/tcp-transfers --target both`, or one test with
/// `./swiftlet run Tests/DualMode/tcp-transfers --target posix -- swiftlet.test=<name>`.
import Net
import NetTesting
import Runtime

@main
struct TCPTransferSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("tcp-transfers suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerFaultTransferTests(&suite)
        registerRecoveryTests(&suite)
        registerOffloadTransferTests(&suite)
        registerBackPressureTests(&suite)
    }
}
