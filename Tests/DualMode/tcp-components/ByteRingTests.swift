/// TCPByteRing against a plain array model: writes, peeks at offsets, reads and consumes of random sizes, so every
/// copy in and out crosses the wrap at every position (the copies are two `memcpy`s split at the storage's end).
import Net
import Runtime

func registerByteRingTests(_ suite: inout TestSuite) {
    suite.test("byte-ring.wraps-like-an-array-model") { () throws(TestFailure) in
        var random = SplitMix64(state: 0x7263_7062_7974_6573)
        for capacity in [1, 2, 7, 64, 1000] {
            var ring = TCPByteRing(capacity: capacity)
            var model: [UInt8] = []
            var next: UInt8 = 0
            for step in 0..<2000 {
                let size = Int(random.next() % UInt64(capacity + 3))
                switch random.next() % 4 {
                case 0:
                    var input = [UInt8](repeating: 0, count: size)
                    for index in 0..<size {
                        input[index] = next
                        next &+= 1
                    }
                    let taken = input.withUnsafeBytes { raw in ring.write(raw) }
                    try expect(taken == Swift.min(size, capacity - model.count), "capacity \(capacity) step \(step): wrote \(taken)")
                    model += input[0..<taken]
                case 1:
                    var output = [UInt8](repeating: 0xEE, count: size)
                    let count = output.withUnsafeMutableBytes { raw in ring.read(into: raw) }
                    try expectBytes(Array(output[0..<count]), Array(model.prefix(size)), "capacity \(capacity) step \(step): read")
                    model.removeFirst(count)
                case 2:
                    let offset = model.isEmpty ? 0 : Int(random.next() % UInt64(model.count))
                    let expected = Array(model.dropFirst(offset).prefix(size))
                    try expectBytes(ring.bytes(at: offset, length: size), expected, "capacity \(capacity) step \(step): bytes(at: \(offset))")
                    var output = [UInt8](repeating: 0xEE, count: size)
                    let count = output.withUnsafeMutableBytes { raw in ring.get(at: offset, into: raw) }
                    try expectBytes(Array(output[0..<count]), model.isEmpty ? [] : expected, "capacity \(capacity) step \(step): get(at: \(offset))")
                default:
                    ring.consume(size)
                    model.removeFirst(Swift.min(size, model.count))
                }
                try expect(ring.count == model.count && ring.free == capacity - model.count, "capacity \(capacity) step \(step): count \(ring.count) vs \(model.count)")
            }
        }
    }
}
