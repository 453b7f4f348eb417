/// The C memory functions every copy goes through (`memcpy`/`memmove`/`memset`/`memcmp`): glibc's in dev,
/// the unikernel's own in prod (Sources/Platform/Virtio/C/memory.c, 64-byte blocks, then words, then
/// bytes). Lengths straddle each step, offsets every alignment, moves overlap both ways, and the bytes
/// around the destination must stay as they were. Expected bytes come from a formula, never from a copy
/// loop (the optimizer may turn such a loop into the very call under test).
import Runtime

@_extern(c, "memcmp")
func c_memcmp(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Int32

/// The byte the test pattern has at `index` (distinct from its neighbours, and from ``fillByte``).
private func patternByte(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index &* 7 &+ 3) | 1 }
private let fillByte: UInt8 = 0xA4

private let lengths = [0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 127, 128, 129, 200, 1_000]

func registerMemoryFunctionTests(_ suite: inout TestSuite) {
    suite.test("memory.copy-set-compare-every-length-and-alignment") { () throws(TestFailure) in
        let size = 1_040
        let source = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        let target = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { source.deallocate(); target.deallocate() }
        for i in 0..<size { source[i] = patternByte(i) }
        var checked = 0
        for length in lengths {
            for from in 0..<9 {
                for to in 0..<9 {
                    let window = to + length + 16  // the destination and guard bytes on both sides
                    for i in 0..<window { target[i] = 0 }
                    (target.baseAddress! + to).copyMemory(from: source.baseAddress! + from, byteCount: length)
                    for i in 0..<window {
                        let inside = i >= to && i < to + length
                        let expected = inside ? patternByte(from + i - to) : 0
                        if target[i] != expected {
                            throw TestFailure("copy of \(length) bytes from +\(from) to +\(to): byte \(i) is \(target[i]), expected \(expected)")
                        }
                    }
                    if c_memcmp(target.baseAddress! + to, source.baseAddress! + from, length) != 0 {
                        throw TestFailure("memcmp of \(length) equal bytes (+\(from), +\(to)) is not 0")
                    }
                    if length > 0 {
                        // One differing byte at each end, one at a time: the sign follows the first difference.
                        let last = to + length - 1
                        target[last] = target[last] &+ 1
                        if c_memcmp(target.baseAddress! + to, source.baseAddress! + from, length) <= 0 {
                            throw TestFailure("memcmp of \(length) bytes with the last one larger is not > 0")
                        }
                        target[last] = target[last] &- 1
                        target[to] = target[to] &- 1
                        if c_memcmp(target.baseAddress! + to, source.baseAddress! + from, length) >= 0 {
                            throw TestFailure("memcmp of \(length) bytes with the first one smaller is not < 0")
                        }
                    }
                    (target.baseAddress! + to).initializeMemory(as: UInt8.self, repeating: fillByte, count: length)
                    for i in 0..<window {
                        let expected = (i >= to && i < to + length) ? fillByte : 0
                        if target[i] != expected {
                            throw TestFailure("memset of \(length) bytes at +\(to): byte \(i) is \(target[i]), expected \(expected)")
                        }
                    }
                    checked += 1
                }
            }
        }
        try expectEqual(checked, lengths.count * 81, "cases")
    }
    suite.test("memory.move-overlapping-both-ways") { () throws(TestFailure) in
        let size = 1_200
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var checked = 0
        for length in lengths {
            for shift in [-70, -64, -17, -8, -1, 1, 8, 17, 64, 70] {
                let from = 100
                let to = from + shift
                for i in 0..<size { buffer[i] = patternByte(i) }
                (buffer.baseAddress! + to).copyMemory(from: buffer.baseAddress! + from, byteCount: length)
                for i in 0..<size {
                    let inside = i >= to && i < to + length
                    let expected = inside ? patternByte(from + i - to) : patternByte(i)
                    if buffer[i] != expected {
                        throw TestFailure("move of \(length) bytes by \(shift): byte \(i) is \(buffer[i]), expected \(expected)")
                    }
                }
                checked += 1
            }
        }
        try expectEqual(checked, lengths.count * 10, "cases")
    }
}
