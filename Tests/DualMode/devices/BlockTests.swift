/// Block device tests: the ABI's request rules (nothing written on a rejected
/// request), geometry, multi-block I/O, flush, and two disks at once.
import Runtime

/// Writes `bytes` at `offset`, failing the test on any error.
func writeBlocks(_ disk: BlockDevice, at offset: UInt64, _ bytes: [UInt8]) throws(TestFailure) {
    var failure: ABIError? = nil
    bytes.withUnsafeBytes { buffer in
        do throws(ABIError) { try disk.write(at: offset, from: buffer) } catch { failure = error }
    }
    if let failure { throw TestFailure("write of \(bytes.count) bytes at \(offset) failed: \(failure)") }
}

func readBlocks(_ disk: BlockDevice, at offset: UInt64, count: Int) throws(TestFailure) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var failure: ABIError? = nil
    bytes.withUnsafeMutableBytes { buffer in
        do throws(ABIError) { try disk.read(at: offset, into: buffer) } catch { failure = error }
    }
    if let failure { throw TestFailure("read of \(count) bytes at \(offset) failed: \(failure)") }
    return bytes
}

/// The error of a write of `count` bytes at `offset`, or nil when it succeeded.
func writeError(_ disk: BlockDevice, at offset: UInt64, count: Int) -> ABIError? {
    let bytes = [UInt8](repeating: 0xEE, count: count)
    var failure: ABIError? = nil
    bytes.withUnsafeBytes { buffer in
        do throws(ABIError) { try disk.write(at: offset, from: buffer) } catch { failure = error }
    }
    return failure
}

func pattern(_ count: Int, seed: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 131) ^ seed) }
}

func registerBlockTests(_ suite: inout TestSuite) {
    suite.test("block.geometry") { () throws(TestFailure) in
        let storage = try Devices.block("storage")
        try expectEqual(storage.capacity, 1_048_576, "storage capacity")
        try expectEqual(storage.blockSize, 512, "storage block size")
        let other = try Devices.block("other")
        try expectEqual(other.capacity, 1_048_576, "other capacity")
        try expectEqual(other.blockSize, 4096, "other block size")
    }
    suite.test("block.second-acquire-is-invalid") { () throws(TestFailure) in
        _ = try Devices.block("storage")
        var failure: ABIError? = nil
        do throws(ABIError) { _ = try BlockDevice.acquire("storage") } catch { failure = error }
        try expect(failure == .invalid, "a second acquire of 'storage' did not fail with .invalid")
    }
    suite.test("block.rejected-requests-write-nothing") { () throws(TestFailure) in
        let disk = try Devices.block("storage")
        let before = pattern(4096, seed: 1)
        try writeBlocks(disk, at: 0, before)
        let last = disk.capacity - 4096
        try writeBlocks(disk, at: last, before)
        let cases: [(String, UInt64, Int)] = [
            ("misaligned offset", 100, 512), ("misaligned length", 0, 700), ("zero length", 0, 0),
            ("past capacity", last, 8192), ("offset at capacity", disk.capacity, 512),
            ("offset beyond capacity", disk.capacity + 512, 512),
        ]
        for (what, offset, count) in cases {
            let failure = writeError(disk, at: offset, count: count)
            try expect(failure == .invalid, "\(what) (offset \(offset), length \(count)) was not .invalid")
        }
        try expect(try readBlocks(disk, at: 0, count: 4096) == before, "a rejected request changed the first blocks")
        try expect(try readBlocks(disk, at: last, count: 4096) == before, "a rejected request changed the last blocks")
    }
    suite.test("block.misaligned-read-is-invalid") { () throws(TestFailure) in
        let disk = try Devices.block("storage")
        var bytes = [UInt8](repeating: 0, count: 1000)
        var failure: ABIError? = nil
        bytes.withUnsafeMutableBytes { buffer in
            do throws(ABIError) { try disk.read(at: 0, into: buffer) } catch { failure = error }
        }
        try expect(failure == .invalid, "a 1000-byte read was not .invalid")
    }
    suite.test("block.multi-block-round-trip") { () throws(TestFailure) in
        let disk = try Devices.block("storage")
        for (offset, count) in [(UInt64(512), 512), (8192, 64 * 1024), (131_072, 512 * 7), (262_144, 256 * 1024)] {
            let data = pattern(count, seed: Int(offset & 0xff) + count)
            try writeBlocks(disk, at: offset, data)
            try expect(try readBlocks(disk, at: offset, count: count) == data, "\(count) bytes at \(offset) came back different")
        }
        // Reading across two earlier writes sees both.
        let joined = try readBlocks(disk, at: 0, count: 1024)
        try expect(Array(joined[512..<1024]) == pattern(512, seed: 0 + 512), "a read spanning two writes is wrong")
    }
    suite.test("block.4096-byte-blocks") { () throws(TestFailure) in
        let disk = try Devices.block("other")
        try expect(writeError(disk, at: 512, count: 4096) == .invalid, "512-byte offset accepted on a 4096-byte disk")
        try expect(writeError(disk, at: 0, count: 512) == .invalid, "512-byte length accepted on a 4096-byte disk")
        let data = pattern(3 * 4096, seed: 9)
        try writeBlocks(disk, at: 4096, data)
        try expect(try readBlocks(disk, at: 4096, count: data.count) == data, "three 4 KiB blocks came back different")
    }
    suite.test("block.flush-after-writes") { () throws(TestFailure) in
        let disk = try Devices.block("storage")
        try writeBlocks(disk, at: 524_288, pattern(8192, seed: 77))
        do throws(ABIError) { try disk.flush() } catch { throw TestFailure("flush failed: \(error)") }
        try expect(try readBlocks(disk, at: 524_288, count: 8192) == pattern(8192, seed: 77), "data changed across flush")
    }
    suite.test("block.two-disks-at-once") { () throws(TestFailure) in
        let storage = try Devices.block("storage")
        let other = try Devices.block("other")
        try expect(storage.handle != other.handle, "both disks have handle \(storage.handle)")
        let a = pattern(4096, seed: 21)
        let b = pattern(4096, seed: 42)
        try writeBlocks(storage, at: 16_384, a)
        try writeBlocks(other, at: 16_384, b)
        try expect(try readBlocks(storage, at: 16_384, count: 4096) == a, "storage holds the wrong data")
        try expect(try readBlocks(other, at: 16_384, count: 4096) == b, "other holds the wrong data")
    }
}
