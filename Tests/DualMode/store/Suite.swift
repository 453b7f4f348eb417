/// The dual-mode store suite: the store engine over the real block device `storage` (a temporary
/// 1 MiB disk of 512-byte blocks from `swiftlet test`; virtio-blk in prod, a host file in dev), with the
/// same semantics the host tests check over an in-memory device. The host compares the transcripts.
///
///     swiftlet test Tests/DualMode/store
import Runtime
import Store

@main
struct StoreSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("store suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerStoreTests(&suite)
    }
}

/// The device is acquired once per run and shared by the tests; each test formats it afresh.
enum Disk {
    nonisolated(unsafe) static var storage: BlockDeviceStore?

    static func device() throws(TestFailure) -> BlockDeviceStore {
        if let storage { return storage }
        do throws(StoreDeviceError) {
            let device = try BlockDeviceStore.acquire("storage")
            storage = device
            return device
        } catch {
            throw TestFailure("cannot acquire block device 'storage'")
        }
    }

    static func freshStore(cacheBlocks: Int = 32) async throws(TestFailure) -> KeyValueStore<BlockDeviceStore> {
        let device = try device()
        return try await must("format") { () async throws(StoreError) in
            try await KeyValueStore.format(device, options: StoreOptions(cacheBlocks: cacheBlocks))
        }
    }

    static func reopen(cacheBlocks: Int = 32) async throws(TestFailure) -> KeyValueStore<BlockDeviceStore> {
        let device = try device()
        return try await must("open") { () async throws(StoreError) in
            try await KeyValueStore.open(device, options: StoreOptions(cacheBlocks: cacheBlocks))
        }
    }
}


/// The result of `body`, or a test failure naming `what` and the store error.
func must<T>(_ what: String, _ body: () async throws(StoreError) -> T) async throws(TestFailure) -> T {
    do throws(StoreError) {
        return try await body()
    } catch {
        throw TestFailure("\(what): \(error.name)")
    }
}

/// Fails unless `body` throws `expected`.
func mustFail<T>(_ what: String, _ expected: StoreError, _ body: () async throws(StoreError) -> T)
    async throws(TestFailure)
{
    do throws(StoreError) {
        _ = try await body()
    } catch {
        if error == expected { return }
        throw TestFailure("\(what): expected \(expected.name), got \(error.name)")
    }
    throw TestFailure("\(what): expected \(expected.name), got success")
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
