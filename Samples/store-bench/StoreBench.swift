/// store-bench: the store's side of `bench/store.sh`. Formats the `storage` device, runs one workload and prints
/// `WORKLOAD swiftlet ops=N ns=T bytes=B`, the line `bench/store_peer.c` prints for SQLite and LMDB.
///
/// Boot arguments: `workload=put1|put16|load|get|scan|overwrite`, `count=N`, `cache=N` (store cache blocks, 4096).
/// Keys are `k` and 15 decimal digits (16 bytes), values 100 bytes, batches 1,000 keys, as the peers'.
///
/// | workload | timed |
/// |---|---|
/// | put1 | N durable single-key puts, one task |
/// | put16 | N durable single-key puts from 16 tasks at once (group commit shares their flushes) |
/// | load | N keys in batches of 1,000 |
/// | get | N random gets after loading N keys (untimed) |
/// | scan | a prefix scan of N keys after loading them (untimed), 1,000 per page (`listing`: packed pages) |
/// | overwrite | N random overwrites in batches of 1,000 after loading N keys; `bytes` = blocks in use |
import Runtime
import Store

let keyLength = 16
let valueLength = 100
let batchSize = 1000
let writers = 16

/// `k` and `n` as 15 decimal digits.
func key(_ n: UInt64) -> [UInt8] {
    var bytes = [UInt8](repeating: UInt8(ascii: "0"), count: keyLength)
    bytes[0] = UInt8(ascii: "k")
    var rest = n % 1_000_000_000_000_000
    var index = keyLength - 1
    while rest > 0 && index > 0 {
        bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
        rest /= 10
        index -= 1
    }
    return bytes
}

func value(_ n: UInt64) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: valueLength)
    for i in 0..<valueLength { bytes[i] = UInt8(ascii: "a") + UInt8((n + UInt64(i)) % 26) }
    return bytes
}

/// SplitMix64, the peers' generator (same seeds, same key sequence).
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@main
struct StoreBench: Application {
    /// The sample's diagnostics (subsystem `store-bench`, docs/OBSERVABILITY.md).
    static let log = Log("store-bench")

    static func run(_ arguments: BootArguments) async -> Int32 {
        guard let workload = arguments["workload"], let count = arguments.integer("count"), count > 0 else {
            log.error("give workload=put1|put16|load|get|scan|overwrite and count=N")
            return 2
        }
        let device: BlockDevice
        do throws(ABIError) {
            device = try BlockDevice.acquire("storage")
        } catch {
            log.error("no block device 'storage'")
            return 2
        }
        var options = StoreOptions()
        options.cacheBlocks = arguments.integer("cache") ?? 4096
        do throws(StoreError) {
            let store = try await KeyValueStore.format(BlockDeviceStore(device), options: options)
            let (ops, nanoseconds) = try await measure(workload, count: UInt64(count), store)
            guard ops > 0 else {
                log.error("unknown workload '\(workload)'")
                return 2
            }
            let statistics = await store.statistics
            let bytes = workload == "overwrite" ? statistics.pagesUsed * UInt64(statistics.pageSize) : 0
            print("\(workload) swiftlet ops=\(ops) ns=\(nanoseconds) bytes=\(bytes)")
            print("store-bench: \(statistics)")
            return 0
        } catch {
            log.error("\(error)")
            return 1
        }
    }

    /// Runs `workload`; returns the operations timed and the nanoseconds they took (0 operations: unknown workload).
    static func measure<Device: StoreDevice>(_ workload: String, count: UInt64, _ store: KeyValueStore<Device>)
        async throws(StoreError) -> (UInt64, UInt64)
    {
        var start = Instant.now
        switch workload {
        case "put1":
            for n in 0..<count { try await store.set(key(n), value(n)) }
        case "put16":
            let each = count / UInt64(writers)
            var failure: StoreError? = nil
            await withTaskGroup(of: StoreError?.self) { group in
                for writer in 0..<UInt64(writers) {
                    group.addTask {
                        do throws(StoreError) {
                            for n in 0..<each { try await store.set(key(writer * count + n), value(n)) }
                            return nil
                        } catch {
                            return error
                        }
                    }
                }
                for await outcome in group where outcome != nil { failure = outcome }
            }
            if let failure { throw failure }
            return (each * UInt64(writers), UInt64(start.elapsed.nanosecondsClamped))
        case "load":
            try await load(count, store)
        case "get", "scan":
            try await load(count, store)
            start = Instant.now
            var found: UInt64 = 0
            if workload == "get" {
                var random = SplitMix(state: 42)
                for _ in 0..<count {
                    if let bytes = try await store.get(key(random.next() % count)), bytes.count == valueLength {
                        found += 1
                    }
                }
            } else {
                var after: [UInt8]? = nil
                while true {
                    let page = try await store.listing(prefix: [UInt8(ascii: "k")], after: after, limit: batchSize)
                    found += UInt64(page.count)
                    guard page.count == batchSize, let last = page.lastKey else { break }
                    after = last
                }
            }
            guard found == count else {
                print("store-bench: found \(found) of \(count) keys")
                throw .corrupt(block: 0)
            }
        case "overwrite":
            try await load(count, store)
            start = Instant.now
            var random = SplitMix(state: 7)
            var n: UInt64 = 0
            while n < count {
                var batch = StoreBatch()
                var taken: UInt64 = 0
                while taken < UInt64(batchSize) && n + taken < count {
                    let target = random.next() % count
                    batch.set(key(target), value(target))
                    taken += 1
                }
                try await store.commit(batch)
                n += taken
            }
        default:
            return (0, 0)
        }
        return (count, UInt64(start.elapsed.nanosecondsClamped))
    }

    /// Loads keys 0..<count in batches of 1,000.
    static func load<Device: StoreDevice>(_ count: UInt64, _ store: KeyValueStore<Device>) async throws(StoreError) {
        var n: UInt64 = 0
        while n < count {
            var batch = StoreBatch()
            let end = min(n + UInt64(batchSize), count)
            for i in n..<end { batch.set(key(i), value(i)) }
            try await store.commit(batch)
            n = end
        }
    }
}
