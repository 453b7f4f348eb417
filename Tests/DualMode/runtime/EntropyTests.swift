/// Entropy: the ABI's random bytes are not constant and cover the byte range.
import Runtime

func registerEntropyTests(_ suite: inout TestSuite) {
    suite.test("entropy.not-constant") { () throws(TestFailure) in
        var first = [UInt8](repeating: 0, count: 32)
        var second = [UInt8](repeating: 0, count: 32)
        first.withUnsafeMutableBytes { Entropy.fill($0) }
        second.withUnsafeMutableBytes { Entropy.fill($0) }
        try expect(first != second, "two 32-byte draws were equal")
        try expect(first.contains { $0 != 0 }, "32 random bytes were all zero")
    }
    suite.test("entropy.covers-every-byte-value") { () throws(TestFailure) in
        var bytes = [UInt8](repeating: 0, count: 16_384)
        bytes.withUnsafeMutableBytes { Entropy.fill($0) }
        var seen = [Bool](repeating: false, count: 256)
        for byte in bytes { seen[Int(byte)] = true }
        let missing = seen.filter { !$0 }.count
        // P(some value absent from 16 KiB of uniform bytes) < 256 * e^-64.
        try expectEqual(missing, 0, "byte values never drawn")
    }
    suite.test("entropy.seeds-the-system-generator") { () throws(TestFailure) in
        let draws = (0..<8).map { _ in UInt64.random(in: 0...UInt64.max) }
        try expect(Set(draws).count == 8, "SystemRandomNumberGenerator repeated a 64-bit value")
    }
}
