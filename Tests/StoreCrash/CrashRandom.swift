/// A small seeded generator for the crash suite: xoshiro256** seeded through SplitMix64, so a seed gives the same
/// workload, the same kept subsets and the same tears in every run and in both modes (Embedded Swift, no Foundation).
public struct CrashRandom {
    var s0: UInt64
    var s1: UInt64
    var s2: UInt64
    var s3: UInt64

    /// A generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&x)
        s1 = splitMix(&x)
        s2 = splitMix(&x)
        s3 = splitMix(&x)
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A number in `0..<bound` (`bound` > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// A number in `range`.
    public mutating func within(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `percent` / 100.
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = next()
            var taken = 0
            while taken < 8 && index < count {
                result[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                taken += 1
                index += 1
            }
        }
        return result
    }

    /// `values` in a random order (Fisher-Yates).
    public mutating func shuffled<T>(_ values: [T]) -> [T] {
        var result = values
        var index = result.count - 1
        while index > 0 {
            result.swapAt(index, below(index + 1))
            index -= 1
        }
        return result
    }
}
