/// A store's statistics in Runtime's metrics registry (docs/OBSERVABILITY.md). Embedded only, like the adapter.
#if hasFeature(Embedded)
import Runtime
import _Concurrency

extension KeyValueStore {
    /// Adds this store's ``StoreStatistics`` to ``Metrics`` under the label `store` (e.g. the block device's name):
    /// `swiftlet_store_commits_total`, `_requests_total`, `_flushes_total`, `_cache_lookups_total{result}`,
    /// `_device_requests_total{op}` (counters) and `swiftlet_store_keys`, `_pages{state}`, `_height`,
    /// `_failed` (gauges). A second registration under the same label replaces the first.
    public nonisolated func registerMetrics(store label: String) {
        Metrics.register("store." + label) { writer in
            let s = await self.statistics
            let l: [(StaticString, String)] = [("store", label)]
            writer.family("swiftlet_store_commits_total", .counter, help: "Transactions committed since open.")
            writer.sample("swiftlet_store_commits_total", l, s.commits)
            writer.family("swiftlet_store_requests_total", .counter, help: "Write requests acknowledged.")
            writer.sample("swiftlet_store_requests_total", l, s.requests)
            writer.family("swiftlet_store_flushes_total", .counter, help: "Device flushes issued.")
            writer.sample("swiftlet_store_flushes_total", l, s.flushes)
            writer.family("swiftlet_store_cache_lookups_total", .counter, help: "Page lookups, by cache result.")
            writer.sample("swiftlet_store_cache_lookups_total", l + [("result", "hit")], s.cacheHits)
            writer.sample("swiftlet_store_cache_lookups_total", l + [("result", "miss")], s.cacheMisses)
            writer.family("swiftlet_store_device_requests_total", .counter, help: "Device requests, by operation.")
            writer.sample("swiftlet_store_device_requests_total", l + [("op", "read")], s.deviceReads)
            writer.sample("swiftlet_store_device_requests_total", l + [("op", "write")], s.deviceWrites)
            writer.family("swiftlet_store_keys", .gauge, help: "Keys in the store.")
            writer.sample("swiftlet_store_keys", l, s.keys)
            writer.family("swiftlet_store_pages", .gauge, help: "Pages, by state.")
            writer.sample("swiftlet_store_pages", l + [("state", "used")], s.pagesUsed)
            writer.sample("swiftlet_store_pages", l + [("state", "free")], s.pagesFree)
            writer.family("swiftlet_store_height", .gauge, help: "Height of the store's tree.")
            writer.sample("swiftlet_store_height", l, s.height)
            writer.family("swiftlet_store_failed", .gauge, help: "1 when writes are refused after a device failure.")
            writer.sample("swiftlet_store_failed", l, s.failed ? 1 : 0)
        }
    }
}
#endif
