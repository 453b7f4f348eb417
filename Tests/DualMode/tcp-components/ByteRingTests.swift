/// `TCPByteRing` (Sources/Net/TCP/TCPByteRing.swift), the send and receive buffers: random writes, peeks at any
/// offset, consumes and reads across the wrap, checked against a plain array.
import Net
import Runtime

func registerByteRingTests(_ suite: inout TestSuite) {
    suite.test("ring.matches-an-array-across-the-wrap") { () throws(TestFailure) in
        var random = SplitMix64(state: 0x7269_6e67)
        for capacity in [1, 7, 64, 1000] {
            var ring = TCPByteRing(capacity: capacity)
            var model: [UInt8] = []
            var next: UInt8 = 0
            for step in 0..<2000 {
                switch random.below(4) {
                case 0:
                    var bytes = [UInt8](repeating: 0, count: random.below(capacity + 3))
                    for index in bytes.indices {
                        bytes[index] = next
                        next &+= 1
                    }
                    let taken = bytes.withUnsafeBytes { ring.write($0) }
                    try expectEqual(taken, Swift.min(bytes.count, capacity - model.count), "write at step \(step)")
                    model += bytes[0..<taken]
                    next &-= UInt8(truncatingIfNeeded: bytes.count - taken)
                case 1:
                    let offset = random.below(capacity + 2) - 1
                    let wanted = random.below(capacity + 2)
                    let peeked = ring.bytes(at: Swift.max(0, offset), length: wanted)
                    let start = Swift.max(0, offset)
                    let end = Swift.min(model.count, start + wanted)
                    let expected = start < model.count ? Array(model[start..<end]) : []
                    try expectBytes(peeked, expected, "peek \(wanted) at \(offset), step \(step)")
                case 2:
                    let length = random.below(capacity + 2)
                    ring.consume(length)
                    model.removeFirst(Swift.min(length, model.count))
                default:
                    var target = [UInt8](repeating: 0, count: random.below(capacity + 2))
                    let count = target.withUnsafeMutableBytes { ring.read(into: $0) }
                    try expectBytes(Array(target[0..<count]), Array(model.prefix(target.count)), "read, step \(step)")
                    model.removeFirst(count)
                }
                try expectEqual(ring.count, model.count, "count at step \(step)")
                try expectEqual(ring.free, capacity - model.count, "free at step \(step)")
            }
        }
    }
}
