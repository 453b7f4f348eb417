import Store
import StoreCrash
import XCTest

/// The fault-injecting device on its own: durability across flushes, kept subsets, tears, bit flips, faults.
final class CrashDeviceTests: XCTestCase {
    func write(_ device: CrashDevice, _ block: UInt64, _ bytes: [UInt8]) async throws {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { raw.deallocate() }
        raw.copyBytes(from: bytes)
        try await device.write(block: block, from: UnsafeRawBufferPointer(raw))
    }

    func read(_ device: CrashDevice, _ block: UInt64, _ count: Int) async throws -> [UInt8] {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: count * device.blockSize, alignment: 16)
        defer { raw.deallocate() }
        try await device.read(block: block, into: raw)
        return [UInt8](raw)
    }

    func testReadsSeeWritesButOnlyFlushedWritesAreDurable() async throws {
        let device = CrashDevice(blockSize: 512, blockCount: 8)
        try await write(device, 1, [UInt8](repeating: 0xAA, count: 512))
        try await device.flush()
        try await write(device, 2, [UInt8](repeating: 0xBB, count: 1024))
        let back = try await read(device, 2, 2)
        XCTAssertEqual(back, [UInt8](repeating: 0xBB, count: 1024))
        var random = CrashRandom(seed: 1)
        let dropped = device.crashImage(.dropAll, random: &random)
        XCTAssertEqual(Array(dropped[512..<1024]), [UInt8](repeating: 0xAA, count: 512))
        XCTAssertEqual(Array(dropped[1024..<2048]), [UInt8](repeating: 0, count: 1024))
        let kept = device.crashImage(.keepAll, random: &random)
        XCTAssertEqual(Array(kept[1024..<2048]), [UInt8](repeating: 0xBB, count: 1024))
        XCTAssertEqual(device.eventCount, 3)
    }

    func testOutOfRangeAndMisalignedRequestsAreInvalid() async throws {
        let device = CrashDevice(blockSize: 512, blockCount: 4)
        do { try await write(device, 3, [UInt8](repeating: 1, count: 1024)); XCTFail("past the end") } catch let error as StoreDeviceError {
            XCTAssertEqual(error, .invalid)
        }
        do { try await write(device, 0, [1, 2, 3]); XCTFail("partial block") } catch let error as StoreDeviceError {
            XCTAssertEqual(error, .invalid)
        }
        XCTAssertEqual(device.eventCount, 0)
    }

    func testTornImagesMixSectorsOfOneBlockAndBlocksOfOneWrite() async throws {
        var sawTornBlock = false
        var sawPartialWrite = false
        for seed in 0..<200 as Range<UInt64> {
            let device = CrashDevice(blockSize: 4096, blockCount: 4)
            try await write(device, 0, [UInt8](repeating: 0xCC, count: 4 * 4096))
            var random = CrashRandom(seed: seed)
            let image = device.crashImage(.keepSubsetTorn, random: &random)
            var blocksNew = 0
            for block in 0..<4 {
                var sectors = 0
                for sector in 0..<8 {
                    let bytes = image[block * 4096 + sector * 512..<block * 4096 + (sector + 1) * 512]
                    XCTAssertTrue(bytes.allSatisfy { $0 == 0xCC } || bytes.allSatisfy { $0 == 0 }, "a sector is never torn")
                    if bytes.first == 0xCC { sectors += 1 }
                }
                if sectors > 0 && sectors < 8 { sawTornBlock = true }
                if sectors > 0 { blocksNew += 1 }
            }
            if blocksNew > 0 && blocksNew < 4 { sawPartialWrite = true }
        }
        XCTAssertTrue(sawTornBlock)
        XCTAssertTrue(sawPartialWrite)
    }

    func testSubsetsKeepSomeWritesAndReorderOverlappingOnes() async throws {
        var outcomes = Set<[UInt8]>()
        for seed in 0..<100 as Range<UInt64> {
            let device = CrashDevice(blockSize: 512, blockCount: 2)
            try await write(device, 0, [UInt8](repeating: 1, count: 512))
            try await write(device, 0, [UInt8](repeating: 2, count: 512))
            try await write(device, 1, [UInt8](repeating: 3, count: 512))
            var random = CrashRandom(seed: seed)
            let image = device.crashImage(.keepSubset, random: &random)
            outcomes.insert([image[0], image[512]])
        }
        // Block 0: old (0), either write (1 or 2, order not kept); block 1: old or new, independently.
        XCTAssertEqual(outcomes, [[0, 0], [1, 0], [2, 0], [0, 3], [1, 3], [2, 3]])
    }

    func testInjectedFaultsAndBitFlips() async throws {
        let device = CrashDevice(blockSize: 512, blockCount: 4)
        device.failingWrite = 0
        device.failingFlush = 1
        do { try await write(device, 0, [UInt8](repeating: 7, count: 512)); XCTFail() } catch let error as StoreDeviceError {
            XCTAssertEqual(error, .io)
        }
        do { try await device.flush(); XCTFail() } catch { XCTAssertEqual(error, .io) }
        XCTAssertEqual(device.unflushed.count, 1, "a failed flush makes nothing durable")
        try await device.flush()
        XCTAssertEqual(device.durable[0], 7)
        device.flipBit(block: 0, bit: 3)
        let flipped = try await read(device, 0, 1)
        XCTAssertEqual(flipped[0], 7 ^ 8)
        XCTAssertEqual(device.durable[0], 7 ^ 8)
    }

    func testTheSameSeedGivesTheSameSequence() {
        var a = CrashRandom(seed: 42)
        var b = CrashRandom(seed: 42)
        var c = CrashRandom(seed: 43)
        let first = (0..<8).map { _ in a.next() }
        XCTAssertEqual(first, (0..<8).map { _ in b.next() })
        XCTAssertNotEqual(first, (0..<8).map { _ in c.next() })
    }

    func testModelListsInKeyOrderWithPrefixAndAfter() {
        var model = StoreModel()
        for key in ["b", "a/2", "a/1", "c", "a"] {
            model.apply(ModelChange(key: Array(key.utf8), value: Array(key.utf8), version: 1))
        }
        XCTAssertEqual(model.entries.map { String(decoding: $0.key, as: UTF8.self) }, ["a", "a/1", "a/2", "b", "c"])
        let listed = model.list(prefix: Array("a/".utf8), after: Array("a/1".utf8), limit: 10)
        XCTAssertEqual(listed.map { String(decoding: $0.key, as: UTF8.self) }, ["a/2"])
        let before = model.digest
        model.apply(ModelChange(key: Array("b".utf8), value: nil, version: 0))
        model.apply(ModelChange(key: Array("b".utf8), value: Array("b".utf8), version: 1))
        XCTAssertEqual(model.digest, before)
        XCTAssertEqual(StoreModel.digest(of: model.entries), before)
    }
}
