/// Heap: allocation churn and large collections behave the same in both modes.
import Runtime

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
}
