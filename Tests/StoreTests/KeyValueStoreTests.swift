import XCTest
@testable import Store

/// Bytes of a string.
func b(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A device whose flush yields a few times, so concurrent writers pile up behind a commit in flight.
final class SlowFlushDevice: StoreDevice {
    let inner: MemoryStoreDevice
    var blockSize: Int { inner.blockSize }
    var blockCount: UInt64 { inner.blockCount }
    init(_ inner: MemoryStoreDevice) { self.inner = inner }
    func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) async throws(StoreDeviceError) {
        try await inner.read(block: block, into: buffer)
    }
    func write(block: UInt64, from buffer: UnsafeRawBufferPointer) async throws(StoreDeviceError) {
        try await inner.write(block: block, from: buffer)
    }
    func flush() async throws(StoreDeviceError) {
        for _ in 0..<20 { await Task.yield() }
        try await inner.flush()
    }
}

func expectError<T>(_ expected: StoreError, _ body: () async throws(StoreError) -> T,
                    file: StaticString = #filePath, line: UInt = #line) async {
    do {
        _ = try await body()
        XCTFail("expected \(expected), got success", file: file, line: line)
    } catch {
        XCTAssertEqual(error, expected, file: file, line: line)
    }
}

final class KeyValueStoreTests: XCTestCase {
    func makeStore(blocks: UInt64 = 8192, blockSize: Int = 512, cache: Int = 64)
        async throws -> (MemoryStoreDevice, KeyValueStore<MemoryStoreDevice>)
    {
        let device = MemoryStoreDevice(blockSize: blockSize, blockCount: blocks)
        let store = try await KeyValueStore.format(device, options: StoreOptions(cacheBlocks: cache))
        return (device, store)
    }

    func testCRC32CMatchesTheKnownCheckValue() {
        XCTAssertEqual(CRC32C.checksum(b("123456789")), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
    }

    func testSetGetRemoveAndVersions() async throws {
        let (_, store) = try await makeStore()
        let empty = try await store.get(b("a"))
        XCTAssertNil(empty)
        let v1 = try await store.set(b("a"), b("one"))
        let got = try await store.get(b("a"))
        XCTAssertEqual(got, b("one"))
        let version = try await store.version(of: b("a"))
        XCTAssertEqual(version, v1)
        let v2 = try await store.set(b("a"), b("two"))
        XCTAssertGreaterThan(v2, v1)
        let exists = try await store.exists(b("a"))
        XCTAssertTrue(exists)
        let removed = try await store.remove(b("a"))
        XCTAssertTrue(removed)
        let again = try await store.remove(b("a"))
        XCTAssertFalse(again)
        let gone = try await store.get(b("a"))
        XCTAssertNil(gone)
        let emptyValue = try await store.set(b("e"), [])
        XCTAssertGreaterThan(emptyValue, 0)
        let e = try await store.get(b("e"))
        XCTAssertEqual(e, [])
    }

    func testKeyAndValueLimitsAreEnforced() async throws {
        let (_, store) = try await makeStore()
        await expectError(.invalidKey) { () async throws(StoreError) in try await store.set([], b("x")) }
        await expectError(.invalidKey) { () async throws(StoreError) in
            try await store.set([UInt8](repeating: 1, count: 256), b("x"))
        }
        await expectError(.valueTooLarge) { () async throws(StoreError) in
            try await store.set(b("k"), [UInt8](repeating: 1, count: StoreLimits.maximumValueLength + 1))
        }
        let longKey = [UInt8](repeating: 7, count: 255)
        try await store.set(longKey, b("ok"))
        let got = try await store.get(longKey)
        XCTAssertEqual(got, b("ok"))
    }

    func testLargeValuesRoundTripThroughOverflowExtents() async throws {
        let (device, store) = try await makeStore(blocks: 16384)
        var big = [UInt8](repeating: 0, count: 1 << 20)
        for i in 0..<big.count { big[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 7) }
        try await store.set(b("big"), big)
        let medium = [UInt8](repeating: 0x5A, count: 5000)
        try await store.set(b("medium"), medium)
        let got = try await store.get(b("big"))
        XCTAssertEqual(got, big)
        let reopened = try await KeyValueStore.open(device, options: StoreOptions())
        let again = try await reopened.get(b("big"))
        XCTAssertEqual(again, big)
        let m = try await reopened.get(b("medium"))
        XCTAssertEqual(m, medium)
        let freeBefore = await reopened.statistics.pagesFree
        try await reopened.remove(b("big"))
        try await reopened.set(b("x"), b("y"))
        try await reopened.set(b("y"), b("z"))
        let freeAfter = await reopened.statistics.pagesFree
        XCTAssertGreaterThan(freeAfter, freeBefore + 200, "the 1 MiB extent was not reclaimed")
        let report = try await reopened.check()
        XCTAssertEqual(report.keys, 3)
        XCTAssertEqual(report.leakedPages, 0)
    }

    func testListIsOrderedAndPaginates() async throws {
        let (_, store) = try await makeStore(blocks: 16384)
        var batch = StoreBatch()
        var expected: [[UInt8]] = []
        for i in 0..<3000 {
            let key = b("user/\(String(i * 7919 % 3000, radix: 10))")
            batch.set(key, b("v\(i)"))
            expected.append(key)
        }
        batch.set(b("other"), b("x"))
        batch.set(b("user"), b("no"))
        batch.set(b("usez"), b("no"))
        try await store.commit(batch)
        expected.sort { $0.lexicographicallyPrecedes($1) }
        var seen: [[UInt8]] = []
        var after: [UInt8]? = nil
        while true {
            let page = try await store.list(prefix: b("user/"), after: after, limit: 97)
            if page.isEmpty { break }
            seen += page.map(\.key)
            after = page.last?.key
        }
        XCTAssertEqual(seen, expected)
        let all = try await store.list(prefix: [], after: nil, limit: 10_000)
        XCTAssertEqual(all.count, 3003)
        XCTAssertEqual(all.first?.key, b("other"))
        let afterAll = try await store.list(prefix: [], after: b("z"), limit: 10)
        XCTAssertEqual(afterAll, [])
        let report = try await store.check()
        XCTAssertEqual(report.keys, 3003)
    }

    func testListingPacksTheSameEntriesAsList() async throws {
        let (_, store) = try await makeStore(blocks: 16384)
        var batch = StoreBatch()
        for i in 0..<800 { batch.set(b("p/\(i * 7 % 800)"), [UInt8](repeating: UInt8(i % 251), count: i % 50)) }
        batch.set(b("big"), [UInt8](repeating: 7, count: 9000))  // an overflow value inside a listing
        batch.set(b("p/z-big"), [UInt8](repeating: 9, count: 12000))
        try await store.commit(batch)
        for prefix in [b("p/"), b(""), b("p/7"), b("q")] {
            var after: [UInt8]? = nil
            while true {
                let listing = try await store.listing(prefix: prefix, after: after, limit: 61)
                let list = try await store.list(prefix: prefix, after: after, limit: 61)
                XCTAssertEqual(listing.count, list.count)
                for index in 0..<listing.count {
                    XCTAssertEqual(listing.entry(at: index), list[index])
                    XCTAssertEqual(Array(listing.key(at: index)), list[index].key)
                    XCTAssertEqual(Array(listing.value(at: index)), list[index].value)
                    XCTAssertEqual(listing.version(at: index), list[index].version)
                }
                guard listing.count == 61, let last = listing.lastKey else { break }
                XCTAssertEqual(last, list.last?.key)
                after = last
            }
        }
    }

    func testUpsertSaysWhetherItCreatedTheKey() async throws {
        let (_, store) = try await makeStore()
        let first = try await store.upsert(b("k"), b("1"))
        XCTAssertTrue(first.created)
        let second = try await store.upsert(b("k"), b("2"), ifVersion: first.version)
        XCTAssertFalse(second.created)
        XCTAssertGreaterThan(second.version, first.version)
        await expectError(.conflict) { () async throws(StoreError) in _ = try await store.upsert(b("k"), b("3"), ifVersion: 0) }
        _ = try await store.remove(b("k"))
        let again = try await store.upsert(b("k"), b("4"))
        XCTAssertTrue(again.created)
        let value = try await store.get(b("k"))
        XCTAssertEqual(value, b("4"))
    }

    func testPageCacheIndexMatchesAModelThroughEvictionsAndInvalidations() {
        let cache = PageCache(pageSize: 64, capacity: 37)
        var model: [UInt64: UInt8] = [:]   // what a hit must return (the page's first byte)
        var seed: UInt64 = 12345
        func next() -> UInt64 {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
            return seed
        }
        var page = [UInt8](repeating: 0, count: 64)
        for step in 0..<20000 {
            let number = next() % 300 + 2
            switch next() % 3 {
            case 0:
                page[0] = UInt8(truncatingIfNeeded: step)
                page.withUnsafeBytes { _ = cache.insert(number, from: $0.baseAddress!) }
                model[number] = page[0]
            case 1:
                cache.invalidate(number)
                model[number] = nil
            default:
                if let hit = cache.lookup(number) {
                    XCTAssertEqual(hit.u8(0), model[number], "page \(number) at step \(step)")
                }
            }
            if step % 997 == 0 {
                // Evicted pages leave the model's side too: every page the cache holds must be right, and it
                // holds at most its capacity.
                var held = 0
                for candidate: UInt64 in 2..<302 {
                    guard let hit = cache.lookup(candidate) else { continue }
                    held += 1
                    XCTAssertEqual(hit.u8(0), model[candidate], "page \(candidate) at step \(step)")
                }
                XCTAssertLessThanOrEqual(held, 37)
            }
        }
        cache.removeAll()
        XCTAssertNil(cache.lookup(2))
    }

    func testBatchesAreAllOrNothing() async throws {
        let (_, store) = try await makeStore()
        let v = try await store.set(b("a"), b("1"))
        var batch = StoreBatch()
        batch.set(b("b"), b("2"))
        batch.set(b("a"), b("changed"), ifVersion: v + 100)
        await expectError(.conflict) { () async throws(StoreError) in try await store.commit(batch) }
        let bValue = try await store.get(b("b"))
        XCTAssertNil(bValue, "a failed batch applied part of itself")
        var good = StoreBatch()
        good.set(b("b"), b("2"))
        good.set(b("a"), b("changed"), ifVersion: v)
        good.remove(b("zzz"))
        let id = try await store.commit(good)
        let a = try await store.get(b("a"))
        XCTAssertEqual(a, b("changed"))
        let av = try await store.version(of: b("a"))
        XCTAssertEqual(av, id)
        let bv = try await store.version(of: b("b"))
        XCTAssertEqual(bv, id)
    }

    func testCompareAndSetConflicts() async throws {
        let (_, store) = try await makeStore()
        let v1 = try await store.set(b("k"), b("1"), ifVersion: 0)
        await expectError(.conflict) { () async throws(StoreError) in try await store.set(b("k"), b("2"), ifVersion: 0) }
        await expectError(.conflict) { () async throws(StoreError) in
            try await store.set(b("k"), b("2"), ifVersion: v1 + 1)
        }
        let v2 = try await store.set(b("k"), b("2"), ifVersion: v1)
        await expectError(.conflict) { () async throws(StoreError) in try await store.remove(b("k"), ifVersion: v1) }
        let removed = try await store.remove(b("k"), ifVersion: v2)
        XCTAssertTrue(removed)
        let absent = try await store.remove(b("k"), ifVersion: 0)
        XCTAssertFalse(absent)
    }

    func testConcurrentWritersShareFlushes() async throws {
        let device = SlowFlushDevice(MemoryStoreDevice(blockCount: 8192))
        let store = try await KeyValueStore.format(device, options: StoreOptions())
        let before = await store.statistics
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<100 {
                group.addTask { try await store.set(b("key\(i)"), b("value\(i)")) }
            }
            try await group.waitForAll()
        }
        let after = await store.statistics
        let flushes = after.flushes - before.flushes
        XCTAssertEqual(after.requests - before.requests, 100)
        XCTAssertLessThan(flushes, 40, "100 concurrent writers cost \(flushes) flushes")
        print("group commit: 100 concurrent writers, \(flushes) flushes, \(after.commits - before.commits) commits")
        for i in 0..<100 {
            let value = try await store.get(b("key\(i)"))
            XCTAssertEqual(value, b("value\(i)"))
        }
    }

    func testReadersSeeCommittedValuesWhileWritersCommit() async throws {
        let device = SlowFlushDevice(MemoryStoreDevice(blockCount: 16384))
        let store = try await KeyValueStore.format(device, options: StoreOptions(cacheBlocks: 16))
        var batch = StoreBatch()
        for i in 0..<400 { batch.set(b("k\(i)"), [UInt8](repeating: 0, count: 60)) }
        try await store.commit(batch)
        let bad = try await withThrowingTaskGroup(of: Int.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for round in 1...15 {
                        var batch = StoreBatch()
                        for i in stride(from: writer, to: 400, by: 4) {
                            batch.set(b("k\(i)"), [UInt8](repeating: UInt8(round), count: 60 + round * 40))
                        }
                        if round % 5 == 0 { for i in stride(from: writer, to: 400, by: 8) { batch.remove(b("k\(i)")) } }
                        try await store.commit(batch)
                    }
                    return 0
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    var bad = 0
                    for _ in 0..<10 {
                        for i in stride(from: 0, to: 400, by: 7) {
                            guard let value = try await store.get(b("k\(i)")) else { continue }
                            let round = Int(value.first ?? 0)
                            if value.count != (round == 0 ? 60 : 60 + round * 40) || value.contains(where: { Int($0) != round }) {
                                bad += 1
                            }
                        }
                        let all = try await store.list(prefix: b("k"), after: nil, limit: 1000)
                        if all.count > 400 { bad += 1 }
                    }
                    return bad
                }
            }
            var total = 0
            for try await count in group { total += count }
            return total
        }
        XCTAssertEqual(bad, 0)
        let report = try await store.check()
        XCTAssertEqual(report.leakedPages, 0)
    }

    func testReopenSeesEveryCommittedChange() async throws {
        let (device, store) = try await makeStore()
        for i in 0..<500 { try await store.set(b("k\(i)"), b("v\(i)")) }
        for i in stride(from: 0, to: 500, by: 3) { try await store.remove(b("k\(i)")) }
        let reopened = try await KeyValueStore.open(device, options: StoreOptions())
        for i in 0..<500 {
            let value = try await reopened.get(b("k\(i)"))
            XCTAssertEqual(value, i % 3 == 0 ? nil : b("v\(i)"))
        }
        let report = try await reopened.check()
        XCTAssertEqual(report.leakedPages, 0)
        let stats = await reopened.statistics
        XCTAssertEqual(stats.keys, UInt64(500 - 167))
    }

    func testOpenRejectsABlankDevice() async {
        let device = MemoryStoreDevice(blockCount: 64)
        await expectError(.notFormatted) { () async throws(StoreError) in
            try await KeyValueStore.open(device, options: StoreOptions())
        }
        let tiny = MemoryStoreDevice(blockCount: 16)
        await expectError(.deviceTooSmall) { () async throws(StoreError) in
            try await KeyValueStore.format(tiny, options: StoreOptions())
        }
    }

    func testAFullDiskIsFullAndLosesNothing() async throws {
        let (device, store) = try await makeStore(blocks: 256)   // 32 pages of 4 KiB
        var stored: [Int] = []
        var i = 0
        while true {
            do {
                try await store.set(b("key\(i)"), [UInt8](repeating: UInt8(i & 255), count: 900))
                stored.append(i)
                i += 1
            } catch {
                XCTAssertEqual(error, .full)
                break
            }
        }
        XCTAssertGreaterThan(stored.count, 20)
        await expectError(.full) { () async throws(StoreError) in
            try await store.set(b("huge"), [UInt8](repeating: 1, count: 200_000))
        }
        for i in stored {
            let value = try await store.get(b("key\(i)"))
            XCTAssertEqual(value, [UInt8](repeating: UInt8(i & 255), count: 900))
        }
        // Space comes back: removing keys makes room again.
        for i in stored.prefix(stored.count / 2) { try await store.remove(b("key\(i)")) }
        try await store.set(b("after"), [UInt8](repeating: 9, count: 900))
        let reopened = try await KeyValueStore.open(device, options: StoreOptions())
        let after = try await reopened.get(b("after"))
        XCTAssertEqual(after, [UInt8](repeating: 9, count: 900))
        _ = try await reopened.check()
    }

    func testAFailedFlushRefusesWritesUntilReopened() async throws {
        let (device, store) = try await makeStore()
        try await store.set(b("safe"), b("1"))
        device.failFlushes = true
        await expectError(.io) { () async throws(StoreError) in try await store.set(b("lost"), b("2")) }
        device.failFlushes = false
        await expectError(.io) { () async throws(StoreError) in try await store.set(b("later"), b("3")) }
        let safe = try await store.get(b("safe"))
        XCTAssertEqual(safe, b("1"))
        let reopened = try await KeyValueStore.open(device, options: StoreOptions())
        let value = try await reopened.get(b("safe"))
        XCTAssertEqual(value, b("1"))
        try await reopened.set(b("later"), b("3"))
    }

    func testAFlippedByteIsReportedAsCorruptNeverAsWrongBytes() async throws {
        let (device, store) = try await makeStore()
        for i in 0..<2000 { try await store.set(b("key\(i)"), b("value\(i)")) }
        let big = [UInt8](repeating: 0xC3, count: 20000)
        try await store.set(b("big"), big)
        // Flip one byte in every page but the meta pages, one page at a time, and read through a fresh open.
        let pageBlocks = 4096 / 512
        let image = device.bytes
        let newestBefore = await store.statistics.transaction
        var corruptSeen = 0
        var rolledBack = 0
        for page in 2..<(Int(device.blockCount) / pageBlocks) where image[page * 4096 + 4] != 0 {
            var bytes = image
            let offset = page * 4096 + 100 + (page * 37) % 3900
            bytes[offset] ^= 0x40
            let copy = MemoryStoreDevice(blockSize: 512, copying: bytes)
            let reopened = try await KeyValueStore.open(copy, options: StoreOptions())
            if await reopened.statistics.rolledBack {
                // A page of the newest commit (the one that set "big") fails its commit digest: the store cannot
                // tell it from a commit cut short by a crash and opens at the commit before, saying so.
                let pageTransaction = image[(page * 4096 + 16)..<(page * 4096 + 24)].reversed()
                    .reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                XCTAssertEqual(pageTransaction, newestBefore, "rolled back for a page of an older commit")
                let value = try await reopened.get(b("big"))
                XCTAssertNil(value)
                let kept = try await reopened.get(b("key1999"))
                XCTAssertEqual(kept, b("value1999"))
                rolledBack += 1
                continue
            }
            for i in stride(from: 0, to: 2000, by: 97) {
                do {
                    let value = try await reopened.get(b("key\(i)"))
                    XCTAssertEqual(value, b("value\(i)"))
                } catch {
                    guard case .corrupt = error else { return XCTFail("unexpected \(error)") }
                    corruptSeen += 1
                }
            }
            do {
                let value = try await reopened.get(b("big"))
                XCTAssertEqual(value, big)
            } catch {
                guard case .corrupt = error else { return XCTFail("unexpected \(error)") }
                corruptSeen += 1
            }
            // check() either passes (the page was not reachable) or names the damaged page's first block.
            do { _ = try await reopened.check() } catch {
                guard case .corrupt(let block) = error else { return XCTFail("unexpected \(error)") }
                XCTAssertEqual(block % UInt64(pageBlocks), 0)
            }
        }
        XCTAssertGreaterThan(corruptSeen, 0)
        XCTAssertGreaterThan(rolledBack, 0)
        // A torn meta page: the other one is used.
        var torn = device.bytes
        let newestSlot = Int((await store.statistics.transaction) % 2)
        for i in 512..<1024 { torn[newestSlot * 4096 + i] = 0xAA }  // one sector of the page left from another write
        let previous = MemoryStoreDevice(blockSize: 512, copying: torn)
        let fallback = try await KeyValueStore.open(previous, options: StoreOptions())
        let transaction = await fallback.statistics.transaction
        let newest = await store.statistics.transaction
        XCTAssertEqual(transaction, newest - 1)
    }

    func testRandomOperationsMatchAModel() async throws {
        let (device, store) = try await makeStore(blocks: 32768, cache: 16)
        var model: [[UInt8]: [UInt8]] = [:]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
            return Int(truncatingIfNeeded: seed & 0x7FFF_FFFF)
        }
        for round in 0..<60 {
            var batch = StoreBatch()
            for _ in 0..<(1 + next() % 200) {
                let key = b("k\(next() % 3000)") + [UInt8](repeating: UInt8(next() % 256), count: next() % 40)
                if next() % 3 == 0 {
                    batch.remove(key)
                    model[key] = nil
                } else {
                    let length = next() % 9 == 0 ? next() % 20000 : next() % 300
                    let value = [UInt8](repeating: UInt8(truncatingIfNeeded: round), count: length)
                    batch.set(key, value)
                    model[key] = value
                }
            }
            try await store.commit(batch)
            if round % 10 == 9 {
                let all = try await store.list(prefix: [], after: nil, limit: 1_000_000)
                let expected = model.keys.sorted { $0.lexicographicallyPrecedes($1) }
                XCTAssertEqual(all.map(\.key), expected)
                for entry in all { XCTAssertEqual(entry.value, model[entry.key]) }
                let report = try await store.check()
                XCTAssertEqual(report.keys, UInt64(model.count))
            }
        }
        // Remove everything: the tree empties and every page but the meta pages comes back.
        var batch = StoreBatch()
        for key in model.keys { batch.remove(key) }
        try await store.commit(batch)
        try await store.set(b("x"), b("y"))
        try await store.set(b("y"), b("z"))
        let stats = await store.statistics
        XCTAssertEqual(stats.keys, 2)
        XCTAssertLessThan(stats.pagesUsed, 10)
        let reopened = try await KeyValueStore.open(device, options: StoreOptions())
        let report = try await reopened.check()
        XCTAssertEqual(report.keys, 2)
        XCTAssertEqual(report.leakedPages, 0)
    }

    func testALostWriteIsDetectedByTheParentsTransactionId() async throws {
        let (device, store) = try await makeStore()
        for i in 0..<300 { try await store.set(b("k\(i)"), b("first")) }
        let before = device.bytes
        try await store.set(b("k7"), b("second"))
        let afterLost = device.bytes
        try await store.set(b("k0"), b("third"))  // the leftmost leaf: k7's leaf is not rewritten
        // Put back the old copy of every page the commit of "second" changed but the meta pages: as if the
        // device had acknowledged those writes and lost them. The old copies have valid checksums.
        func losingWrites(of changed: [UInt8], on image: [UInt8]) -> (image: [UInt8], restored: Int) {
            var image = image
            var restored = 0
            for page in 2..<(image.count / 4096)
            where changed[page * 4096..<(page + 1) * 4096] != before[page * 4096..<(page + 1) * 4096]
                && image[page * 4096..<(page + 1) * 4096] == changed[page * 4096..<(page + 1) * 4096]
            {
                image.replaceSubrange(page * 4096..<(page + 1) * 4096, with: before[page * 4096..<(page + 1) * 4096])
                restored += 1
            }
            return (image, restored)
        }
        // An older commit's lost pages: the parent's transaction id does not match, a read says corrupt.
        let older = losingWrites(of: afterLost, on: device.bytes)
        XCTAssertGreaterThan(older.restored, 0)
        let copy = MemoryStoreDevice(blockSize: 512, copying: older.image)
        let reopened = try await KeyValueStore.open(copy, options: StoreOptions())
        let rolledBackOlder = await reopened.statistics.rolledBack
        XCTAssertFalse(rolledBackOlder)
        do throws(StoreError) {
            let value = try await reopened.get(b("k7"))
            XCTFail("a lost write went unnoticed: got \(String(describing: value))")
        } catch {
            guard case .corrupt = error else { return XCTFail("expected corrupt, got \(error)") }
        }
        // The newest commit's lost pages: its commit digest fails, and open stands on the commit before it
        // (what a crash before the commit's flush leaves), saying so; never a mix of the two.
        let newest = losingWrites(of: afterLost, on: afterLost)
        let atNewest = MemoryStoreDevice(blockSize: 512, copying: newest.image)
        let fallback = try await KeyValueStore.open(atNewest, options: StoreOptions())
        let rolledBack = await fallback.statistics.rolledBack
        XCTAssertTrue(rolledBack)
        let value = try await fallback.get(b("k7"))
        XCTAssertEqual(value, b("first"))
        _ = try await fallback.check()
    }

    func testDamagedPagesWithValidChecksumsNeverTrap() async throws {
        // Pages re-sealed after random damage pass the checksum: only the structure checks stand between
        // them and a trap. Any answer but a crash is acceptable here.
        let (device, store) = try await makeStore(blocks: 4096)
        for i in 0..<1500 { try await store.set(b("key\(i)"), [UInt8](repeating: UInt8(i & 255), count: i % 50)) }
        try await store.set(b("big"), [UInt8](repeating: 3, count: 30000))
        let image = device.bytes
        let used = (2..<(image.count / 4096)).filter { image[$0 * 4096 + 4] != 0 }
        var seed: UInt64 = 12345
        func next() -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) }
        for round in 0..<300 {
            var bytes = image
            let page = round % 7 == 0 ? round % 2 : used[next() % used.count]
            for _ in 0..<(1 + next() % 4) {
                let offset = next() % 3 == 0 ? 4 + next() % 60 : next() % 4096
                bytes[page * 4096 + offset] = UInt8(truncatingIfNeeded: next())
            }
            let crc = bytes[(page * 4096 + 4)..<((page + 1) * 4096)].withContiguousStorageIfAvailable {
                CRC32C.checksum($0.baseAddress!, count: $0.count)
            } ?? 0
            withUnsafeBytes(of: crc.littleEndian) { for k in 0..<4 { bytes[page * 4096 + k] = $0[k] } }
            let copy = MemoryStoreDevice(blockSize: 512, copying: bytes)
            guard let reopened = try? await KeyValueStore.open(copy, options: StoreOptions(cacheBlocks: 16)) else {
                continue
            }
            _ = try? await reopened.list(prefix: [], after: nil, limit: 5000)
            for i in stride(from: 0, to: 1500, by: 61) { _ = try? await reopened.get(b("key\(i)")) }
            _ = try? await reopened.get(b("big"))
            _ = try? await reopened.check()
            _ = try? await reopened.set(b("new"), b("value"))
            _ = try? await reopened.remove(b("key10"))
        }
    }

    func testOneMillionKeys() async throws {
        // 1M keys of 16 bytes with 16-byte values in 1 GiB of 4 KiB blocks, a 1 MiB cache.
        let device = MemoryStoreDevice(blockSize: 4096, blockCount: 65536)
        let store = try await KeyValueStore.format(device, options: StoreOptions(cacheBlocks: 256))
        func key(_ i: Int) -> [UInt8] {
            var k = b("key-")
            var v = UInt64(i)
            var digits = [UInt8](repeating: 0, count: 12)
            for d in stride(from: 11, through: 0, by: -1) { digits[d] = UInt8(48 + v % 10); v /= 10 }
            k += digits
            return k
        }
        let total = 1_000_000
        var i = 0
        while i < total {
            var batch = StoreBatch()
            for j in i..<min(total, i + 10_000) { batch.set(key(j), key(j &* 31)) }
            try await store.commit(batch)
            i += 10_000
        }
        let stats = await store.statistics
        XCTAssertEqual(stats.keys, UInt64(total))
        for j in stride(from: 0, to: total, by: 9973) {
            let value = try await store.get(key(j))
            XCTAssertEqual(value, key(j &* 31))
        }
        let reopened = try await KeyValueStore.open(device, options: StoreOptions(cacheBlocks: 256))
        let report = try await reopened.check()
        XCTAssertEqual(report.keys, UInt64(total))
        XCTAssertEqual(report.leakedPages, 0)
        print("1M keys: \(report.leafPages) leaves, \(report.branchPages) branches, height \(report.height)")
        let page = try await reopened.list(prefix: b("key-0000005"), after: nil, limit: 3)
        XCTAssertEqual(page.map(\.key), [key(500_000), key(500_001), key(500_002)])
    }
}
