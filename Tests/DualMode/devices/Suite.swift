/// The dual-mode device suite: the same image exercises net and block devices
/// through the ABI in dev and in prod; the host compares the transcripts.
///
/// The host runs it with (docs/DEVICES.md; test-only backends of `swiftlet test`):
///
///     swiftlet test Tests/DualMode/devices --net service=echo --net second=echo \
///         --block storage=temp:1048576 --block other=temp:1048576,block-size=4096
///
/// `echo` peers return every frame with the MACs swapped; `temp:` disks are
/// fresh zero-filled files. Expected geometry is passed as boot arguments
/// by the host: none are needed beyond the defaults below.
import Runtime

@main
struct DeviceSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("device suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerNetTests(&suite)
        registerBlockTests(&suite)
        registerBlockAsyncTests(&suite)
        registerFaultTests(&suite)
    }
}

/// Devices are acquired once per run (a second acquire is `.invalid`) and shared by the tests.
enum Devices {
    nonisolated(unsafe) static var service: NetDevice?
    nonisolated(unsafe) static var second: NetDevice?
    nonisolated(unsafe) static var storage: BlockDevice?
    nonisolated(unsafe) static var other: BlockDevice?

    static func net(_ name: String) throws(TestFailure) -> NetDevice {
        if name == "service", let device = service { return device }
        if name == "second", let device = second { return device }
        let device: NetDevice
        do throws(ABIError) {
            device = try NetDevice.acquire(name)
        } catch {
            throw TestFailure("cannot acquire net device '\(name)': \(error)")
        }
        if name == "service" { service = device } else { second = device }
        return device
    }

    static func block(_ name: String) throws(TestFailure) -> BlockDevice {
        if name == "storage", let device = storage { return device }
        if name == "other", let device = other { return device }
        let device: BlockDevice
        do throws(ABIError) {
            device = try BlockDevice.acquire(name)
        } catch {
            throw TestFailure("cannot acquire block device '\(name)': \(error)")
        }
        if name == "storage" { storage = device } else { other = device }
        return device
    }
}

/// FNV-1a-32, as docs/DEVICES.md §2 uses to derive default MACs.
func fnv1a32(_ text: String) -> UInt32 {
    var hash: UInt32 = 0x811c_9dc5
    for byte in text.utf8 {
        hash ^= UInt32(byte)
        hash = hash &* 0x0100_0193
    }
    return hash
}
