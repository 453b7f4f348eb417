/// The dual-mode runtime suite: the same image runs in dev (posix) and prod
/// (virtio); `swiftlet test` runs it in both and compares the transcripts.
/// The host passes the boot arguments `alpha=1 beta=two` (see BootArgumentTests).
import Runtime

@main
struct RuntimeSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("runtime suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerClockTests(&suite)
        registerTimerTests(&suite)
        registerTaskTests(&suite)
        registerEntropyTests(&suite)
        registerBootArgumentTests(&suite)
        registerBootArgumentRepairTests(&suite)
        registerConsoleTests(&suite)
        registerConsoleMessageTests(&suite)
        registerStringTests(&suite)
        registerMemoryTests(&suite)
        registerMemoryFunctionTests(&suite)
        registerDeviceTests(&suite)
        registerObservabilityTests(&suite)
        registerFaultTests(&suite)
    }
}
