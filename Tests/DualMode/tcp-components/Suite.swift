/// The dual-mode TCP components suite: the pure pieces under `Sources/Net/TCP/Congestion` (sequence-number
/// arithmetic, the RFC 6298 retransmission timer, NewReno congestion control, the SACK scoreboard, the
/// out-of-order queue, SipHash-2-4 and RFC 6528 ISNs), driven by hand-computed traces and a virtual clock, in dev
/// (posix) and prod (virtio).
import Net
import Runtime

@main
struct TCPComponentsSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("tcp-components suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerSequenceNumberTests(&suite)
        registerRetransmissionTimerTests(&suite)
        registerNewRenoTests(&suite)
        registerSACKScoreboardTests(&suite)
        registerOutOfOrderBufferTests(&suite)
        registerInitialSequenceNumberTests(&suite)
        registerByteRingTests(&suite)
        registerPropertyTests(&suite)
        registerSimulationTests(&suite)
    }
}

/// The virtual clock's origin: an arbitrary non-zero instant.
let origin = Instant(nanoseconds: 1_000_000_000_000)

/// `origin` plus `milliseconds`.
func at(milliseconds: Int) -> Instant { origin + .milliseconds(milliseconds) }

/// `duration` in whole nanoseconds, for exact comparisons.
func ns(_ duration: Duration?) -> Int64 { duration?.nanosecondsClamped ?? -1 }

/// Sequence number `raw`.
func seq(_ raw: UInt32) -> SequenceNumber { SequenceNumber(raw) }

/// The block `[start, end)` of raw sequence numbers.
func block(_ start: UInt32, _ end: UInt32) -> SACKBlock { SACKBlock(start: seq(start), end: seq(end)) }

