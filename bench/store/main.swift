// A host micro-benchmark of the store engine over MemoryStoreDevice (CPU cost only: no real flushes).
// Build: swiftc -O -parse-as-library -module-name StoreBench Sources/Store/*.swift bench/store/*.swift -o /tmp/store-bench

#if canImport(Glibc)
import Glibc
#endif

func now() -> Double { var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 }
func key(_ i: Int) -> [UInt8] { var k = Array("key-".utf8); var v = i; var d = [UInt8](repeating: 48, count: 10); for j in stride(from: 9, through: 0, by: -1) { d[j] = UInt8(48 + v % 10); v /= 10 }; return k + d }

@main struct Bench {
    static func main() async throws {
        let device = MemoryStoreDevice(blockSize: 4096, blockCount: 65536)
        let store = try await KeyValueStore.format(device, options: StoreOptions(cacheBlocks: 4096))
        let n = 100_000
        var t = now()
        var i = 0
        while i < n { var b = StoreBatch(); for j in i..<min(n, i + 1000) { b.set(key((j &* 7919) % n), key(j)) }; try await store.commit(b); i += 1000 }
        print("batched random inserts: \(Int(Double(n) / (now() - t))) keys/s")
        t = now()
        for j in 0..<2000 { try await store.set(key(j * 13 % n), Array("v".utf8)) }
        print("single durable sets (memory device): \(Int(2000 / (now() - t))) sets/s")

        let keys = (0..<200_000).map { key($0 * 31 % n) }
        t = now()
        var h2 = 0
        for _ in 0..<10 { h2 = try await store.benchGets(keys) }
        print("warm gets inside the actor: \(Int(2_000_000 / (now() - t))) gets/s (\(h2))")
        t = now()
        let page = try await store.list(prefix: [], after: nil, limit: 100_000)
        print("list 100k: \(now() - t) s, \(page.count)")
        print(await store.statistics.flushes)
    }
}
