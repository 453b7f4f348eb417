/// Store semantics over the real block device: the same checks in both modes.
import Runtime
import Store

func registerStoreTests(_ suite: inout TestSuite) {
    suite.test("store.geometry") { () throws(TestFailure) in
        let device = try Disk.device()
        try expectEqual(device.blockSize, 512, "block size")
        try expectEqual(device.blockCount, 2048, "block count")
    }

    suite.test("store.blank-disk-is-not-formatted") { () async throws(TestFailure) in
        let device = try Disk.device()
        let zero = [UInt8](repeating: 0, count: 4096)
        for page: UInt64 in 0...1 {
            var failed = false
            zero.withUnsafeBytes { buffer in
                do throws(ABIError) { try device.device.write(at: page * 4096, from: buffer) } catch { failed = true }
            }
            try expect(!failed, "clearing meta page \(page) failed")
        }
        try await mustFail("open of a blank disk", .notFormatted) { () async throws(StoreError) in
            try await KeyValueStore.open(device, options: StoreOptions())
        }
    }

    suite.test("store.set-get-remove") { () async throws(TestFailure) in
        let store = try await Disk.freshStore()
        let missing = try await must("get") { () async throws(StoreError) in try await store.get(bytes("a")) }
        try expect(missing == nil, "a fresh store has key a")
        let v1 = try await must("set") { () async throws(StoreError) in try await store.set(bytes("a"), bytes("one")) }
        let value = try await must("get") { () async throws(StoreError) in try await store.get(bytes("a")) }
        try expectBytes(try unwrap(value, "a"), bytes("one"), "a")
        let version = try await must("version") { () async throws(StoreError) in try await store.version(of: bytes("a")) }
        try expectEqual(try unwrap(version, "version of a"), v1, "version of a")
        let removed = try await must("remove") { () async throws(StoreError) in try await store.remove(bytes("a")) }
        try expect(removed, "remove of a present key returned false")
        let again = try await must("remove") { () async throws(StoreError) in try await store.remove(bytes("a")) }
        try expect(!again, "remove of an absent key returned true")
        let exists = try await must("exists") { () async throws(StoreError) in try await store.exists(bytes("a")) }
        try expect(!exists, "a removed key still exists")
        try await mustFail("empty key", .invalidKey) { () async throws(StoreError) in try await store.set([], bytes("x")) }
    }

    suite.test("store.compare-and-set") { () async throws(TestFailure) in
        let store = try await Disk.freshStore()
        let v1 = try await must("create") { () async throws(StoreError) in
            try await store.set(bytes("k"), bytes("1"), ifVersion: 0)
        }
        try await mustFail("create again", .conflict) { () async throws(StoreError) in
            try await store.set(bytes("k"), bytes("2"), ifVersion: 0)
        }
        let v2 = try await must("update") { () async throws(StoreError) in
            try await store.set(bytes("k"), bytes("2"), ifVersion: v1)
        }
        try await mustFail("stale update", .conflict) { () async throws(StoreError) in
            try await store.set(bytes("k"), bytes("3"), ifVersion: v1)
        }
        try await mustFail("stale remove", .conflict) { () async throws(StoreError) in
            try await store.remove(bytes("k"), ifVersion: v1)
        }
        let removed = try await must("remove") { () async throws(StoreError) in
            try await store.remove(bytes("k"), ifVersion: v2)
        }
        try expect(removed, "conditional remove did not remove")
    }

    suite.test("store.batch-all-or-nothing") { () async throws(TestFailure) in
        let store = try await Disk.freshStore()
        let v = try await must("set") { () async throws(StoreError) in try await store.set(bytes("a"), bytes("1")) }
        var bad = StoreBatch()
        bad.set(bytes("b"), bytes("2"))
        bad.set(bytes("a"), bytes("x"), ifVersion: v + 1)
        try await mustFail("conflicting batch", .conflict) { () async throws(StoreError) in try await store.commit(bad) }
        let b = try await must("get") { () async throws(StoreError) in try await store.get(bytes("b")) }
        try expect(b == nil, "a failed batch applied part of itself")
        var good = StoreBatch()
        good.set(bytes("b"), bytes("2"))
        good.set(bytes("a"), bytes("x"), ifVersion: v)
        let id = try await must("batch") { () async throws(StoreError) in try await store.commit(good) }
        let va = try await must("version") { () async throws(StoreError) in try await store.version(of: bytes("a")) }
        let vb = try await must("version") { () async throws(StoreError) in try await store.version(of: bytes("b")) }
        try expect(va == id && vb == id, "batch members do not carry the batch's transaction id")
    }

    suite.test("store.list-ordered-and-paged") { () async throws(TestFailure) in
        let store = try await Disk.freshStore()
        var batch = StoreBatch()
        for i in 0..<600 { batch.set(bytes("item/\((i * 337) % 600 + 1000)"), bytes("v\(i)")) }
        batch.set(bytes("itez"), bytes("outside"))
        _ = try await must("batch") { () async throws(StoreError) in try await store.commit(batch) }
        var after: [UInt8]? = nil
        var count = 0
        var previous = 999
        while true {
            let cursor = after
            let page = try await must("list") { () async throws(StoreError) in
                try await store.list(prefix: bytes("item/"), after: cursor, limit: 45)
            }
            if page.isEmpty { break }
            for entry in page {
                let number = Int(String(decoding: entry.key.dropFirst(5), as: UTF8.self)) ?? -1
                try expect(number == previous + 1, "list out of order: \(number) after \(previous)")
                previous = number
                count += 1
            }
            after = page.last?.key
        }
        try expectEqual(count, 600, "keys listed")
    }

    suite.test("store.listing-and-upsert") { () async throws(TestFailure) in
        let store = try await Disk.freshStore()
        var batch = StoreBatch()
        for i in 0..<300 { batch.set(bytes("p/\(i * 7 % 300 + 1000)"), bytes("v\(i)")) }
        _ = try await must("batch") { () async throws(StoreError) in try await store.commit(batch) }
        var after: [UInt8]? = nil
        var count = 0
        while true {
            let cursor = after
            let listing = try await must("listing") { () async throws(StoreError) in
                try await store.listing(prefix: bytes("p/"), after: cursor, limit: 70)
            }
            let list = try await must("list") { () async throws(StoreError) in
                try await store.list(prefix: bytes("p/"), after: cursor, limit: 70)
            }
            try expectEqual(listing.count, list.count, "listing and list page sizes")
            for index in 0..<listing.count {
                try expect(listing.entry(at: index) == list[index], "listing entry \(count + index) differs from list")
            }
            count += listing.count
            guard listing.count == 70, let last = listing.lastKey else { break }
            after = last
        }
        try expectEqual(count, 300, "keys listed")
        let created = try await must("upsert") { () async throws(StoreError) in try await store.upsert(bytes("u"), bytes("1")) }
        try expect(created.created, "upsert of a new key did not report it created")
        let replaced = try await must("upsert") { () async throws(StoreError) in try await store.upsert(bytes("u"), bytes("2")) }
        try expect(!replaced.created, "upsert of an existing key reported it created")
    }

    suite.test("store.large-value") { () async throws(TestFailure) in
        let store = try await Disk.freshStore()
        var value = [UInt8](repeating: 0, count: 300_000)
        for i in 0..<value.count { value[i] = UInt8(truncatingIfNeeded: i &* 7 &+ i >> 9) }
        let big = value
        _ = try await must("set") { () async throws(StoreError) in try await store.set(bytes("big"), big) }
        let reopened = try await Disk.reopen()
        let got = try await must("get") { () async throws(StoreError) in try await reopened.get(bytes("big")) }
        try expectBytes(try unwrap(got, "big"), big, "big value after reopen")
    }

    suite.test("store.reopen-and-check") { () async throws(TestFailure) in
        let store = try await Disk.freshStore()
        for i in 0..<200 {
            _ = try await must("set") { () async throws(StoreError) in try await store.set(bytes("k\(i)"), bytes("v\(i)")) }
        }
        for i in stride(from: 0, to: 200, by: 4) {
            _ = try await must("remove") { () async throws(StoreError) in try await store.remove(bytes("k\(i)")) }
        }
        let reopened = try await Disk.reopen()
        for i in 0..<200 {
            let value = try await must("get") { () async throws(StoreError) in try await reopened.get(bytes("k\(i)")) }
            if i % 4 == 0 {
                try expect(value == nil, "removed key k\(i) came back")
            } else {
                try expectBytes(try unwrap(value, "k\(i)"), bytes("v\(i)"), "k\(i)")
            }
        }
        let report = try await must("check") { () async throws(StoreError) in try await reopened.check() }
        try expectEqual(report.keys, 150, "keys checked")
        try expectEqual(report.leakedPages, 0, "leaked pages")
    }

    suite.test("store.full-disk-loses-nothing") { () async throws(TestFailure) in
        let store = try await Disk.freshStore()
        var stored = 0
        while true {
            let i = stored
            do throws(StoreError) {
                try await store.set(bytes("key\(i)"), [UInt8](repeating: UInt8(i & 255), count: 900))
            } catch {
                try expect(error == .full, "filling the disk ended with \(error.name), not full")
                break
            }
            stored += 1
        }
        try expect(stored > 200, "only \(stored) values fit")
        let reopened = try await Disk.reopen()
        for i in 0..<stored {
            let value = try await must("get") { () async throws(StoreError) in try await reopened.get(bytes("key\(i)")) }
            try expectBytes(try unwrap(value, "key\(i)"), [UInt8](repeating: UInt8(i & 255), count: 900), "key\(i)")
        }
        for i in 0..<(stored / 2) {
            _ = try await must("remove") { () async throws(StoreError) in try await reopened.remove(bytes("key\(i)")) }
        }
        _ = try await must("set after removing") { () async throws(StoreError) in
            try await reopened.set(bytes("after"), [UInt8](repeating: 1, count: 900))
        }
    }

    suite.test("store.group-commit") { () async throws(TestFailure) in
        let store = try await Disk.freshStore()
        let before = await store.statistics
        var failures = 0
        await withTaskGroup(of: Bool.self) { group in
            for i in 0..<64 {
                group.addTask {
                    do throws(StoreError) {
                        try await store.set(bytes("w\(i)"), bytes("v\(i)"))
                        return true
                    } catch {
                        return false
                    }
                }
            }
            for await ok in group where !ok { failures += 1 }
        }
        try expectEqual(failures, 0, "failed writers")
        let after = await store.statistics
        try expectEqual(after.requests - before.requests, 64, "acknowledged requests")
        let flushes = after.flushes - before.flushes
        // Without group commit this would be 128 (two per write); grouped, a handful.
        try expect(flushes <= 16, "64 concurrent writers cost \(flushes) flushes")
        for i in 0..<64 {
            let value = try await must("get") { () async throws(StoreError) in try await store.get(bytes("w\(i)")) }
            try expectBytes(try unwrap(value, "w\(i)"), bytes("v\(i)"), "w\(i)")
        }
    }
}
