/// Heap: allocation churn and large collections behave the same in both modes, and so do the heap's
/// numbers and its exhaustion (one heap, one size rule: Sources/Platform/Heap).
import Runtime

/// The blocks `heap.exhaustion` keeps, each holding a pointer to the one before (a global list, so the optimiser
/// cannot drop the allocations, and nothing else allocates while the heap fills).
nonisolated(unsafe) var exhaustionBlocks: UnsafeMutableRawPointer? = nil

final class Node {
    var next: Node?
    let value: Int
    init(_ value: Int, next: Node?) {
        self.value = value
        self.next = next
    }
}

func registerMemoryTests(_ suite: inout TestSuite) {
    suite.test("heap.allocation-churn") { () throws(TestFailure) in
        var checksum = 0
        for round in 0..<2_000 {
            var array = [Int](repeating: round, count: 1 + round % 300)
            array.append(round)
            checksum &+= array.reduce(0, &+)
        }
        var expected = 0
        for round in 0..<2_000 { expected &+= round * (2 + round % 300) }
        try expectEqual(checksum, expected, "checksum")
    }
    suite.test("heap.dictionary-of-ten-thousand") { () throws(TestFailure) in
        var table: [Int: String] = [:]
        for key in 0..<10_000 { table[key * 7] = "v\(key)" }
        try expectEqual(table.count, 10_000, "count")
        try expectEqual(table[7 * 4_321] ?? "", "v4321", "lookup")
        for key in 0..<5_000 { table.removeValue(forKey: key * 7) }
        try expectEqual(table.count, 5_000, "count after removals")
    }
    suite.test("heap.linked-list-is-freed-without-stack-overflow") { () throws(TestFailure) in
        var head: Node? = nil
        for value in 0..<10_000 { head = Node(value, next: head) }
        var count = 0
        var cursor = head
        while let node = cursor {
            count += 1
            cursor = node.next
        }
        try expectEqual(count, 10_000, "nodes")
        // Release iteratively: a naive recursive deinit chain would be deep.
        while let node = head { head = node.next; node.next = nil }
    }
    suite.test("heap.large-allocation") { () throws(TestFailure) in
        let size = 8 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096)
        defer { buffer.deallocate() }
        try expect(Int(bitPattern: buffer.baseAddress) % 4096 == 0, "allocation not 4096-aligned")
        for offset in stride(from: 0, to: size, by: 4096) { buffer[offset] = UInt8(truncatingIfNeeded: offset >> 12) }
        var ok = true
        for offset in stride(from: 0, to: size, by: 4096) where buffer[offset] != UInt8(truncatingIfNeeded: offset >> 12) { ok = false }
        try expect(ok, "8 MiB buffer did not hold its pattern")
    }
    suite.test("heap.statistics-count-an-allocation") { () throws(TestFailure) in
        let size = Runtime.heapSize()
        try expect(size > 1 << 20, "heap size \(size) is not above 1 MiB")
        try expect(size == Runtime.heap.size, "heapSize() \(size) is not the start info's \(Runtime.heap.size)")
        let before = Runtime.heapInUse()
        let block = UnsafeMutableRawPointer.allocate(byteCount: 100_000, alignment: 16)
        let during = Runtime.heapInUse()
        let highWater = Runtime.heapHighWater()
        block.deallocate()
        let after = Runtime.heapInUse()
        // 100,000 bytes rounded up to 16, plus the 16-byte header: exactly 100,016 more in use.
        try expectEqual(during - before, 100_016, "bytes in use for one 100,000-byte block")
        try expectEqual(after, before, "bytes in use after freeing it")
        try expect(highWater >= during, "high-water \(highWater) below the bytes in use \(during)")
        try expect(Runtime.heapHighWater() == highWater, "the high-water mark fell")
        try expect(before > 0 && before < size, "bytes in use \(before) outside 0..<\(size)")
    }
    // Allocates 64 KiB blocks and keeps them until the heap cannot serve one: the same line and status (255) in
    // both modes. The line's numbers (bytes in use, the heap's size) are the usable heap of each mode; the host
    // test HeapArenaTests compares them at a small --memory.
    suite.faultTest("heap.exhaustion", expecting: ExitStatus.abort) {
        while true {
            let block = UnsafeMutableRawPointer.allocate(byteCount: 65_536, alignment: 16)
            block.storeBytes(of: exhaustionBlocks, as: UnsafeMutableRawPointer?.self)
            exhaustionBlocks = block
        }
    }
}
