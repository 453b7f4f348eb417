/// A point on the monotonic clock, in nanoseconds from an arbitrary origin.
///
/// Instants are only comparable within one run of one unikernel. Arithmetic
/// saturates instead of trapping: `.distantFuture + x` stays `.distantFuture`,
/// and an instant never goes below zero.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// An instant no deadline reaches.
    public static let distantFuture = Instant(nanoseconds: .max)

    /// The current monotonic time (through the ABI).
    public static var now: Instant { ABI.monotonicNow() }

    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    public static func + (a: Instant, d: Duration) -> Instant {
        let delta = d.nanosecondsClamped
        if delta >= 0 {
            let (sum, overflow) = a.nanoseconds.addingReportingOverflow(UInt64(delta))
            return Instant(nanoseconds: overflow ? .max : sum)
        }
        let magnitude = UInt64(-(delta + 1)) + 1
        return Instant(nanoseconds: a.nanoseconds > magnitude ? a.nanoseconds - magnitude : 0)
    }

    public static func - (a: Instant, d: Duration) -> Instant { a + (.zero - d) }

    /// The (signed) duration from `b` to `a`.
    public static func - (a: Instant, b: Instant) -> Duration {
        if a.nanoseconds >= b.nanoseconds {
            let diff = a.nanoseconds - b.nanoseconds
            return .nanoseconds(diff > UInt64(Int64.max) ? Int64.max : Int64(diff))
        }
        let diff = b.nanoseconds - a.nanoseconds
        return .nanoseconds(diff > UInt64(Int64.max) ? Int64.min : -Int64(diff))
    }

    /// The duration from this instant until now (how long ago it was).
    public var elapsed: Duration { Instant.now - self }

    public var description: String { "\(nanoseconds)ns" }
}

extension Duration {
    /// This duration in whole nanoseconds (truncated towards zero), clamped to `Int64`'s range.
    ///
    /// Divides the 128-bit attosecond count by 10^9 in two 64-bit steps of 32 bits each (every partial dividend
    /// is below 10^9 * 2^32, so each quotient fits): the stdlib's `components` (an `Int128` division by 10^18) was
    /// 673 bytes of every image that sleeps (docs/BENCHMARKS.md, footprint).
    public var nanosecondsClamped: Int64 {
        let negative = _high < 0
        var high = UInt64(bitPattern: _high)
        var low = _low
        if negative {
            low = ~low &+ 1
            high = ~high &+ (low == 0 ? 1 : 0)
        }
        let divisor: UInt64 = 1_000_000_000
        guard high < divisor else { return negative ? .min : .max }  // the quotient needs more than 64 bits
        let upper = high << 32 | low >> 32
        let lower = (upper % divisor) << 32 | (low & 0xFFFF_FFFF)
        let quotient = (upper / divisor) << 32 | lower / divisor
        if negative {
            return quotient > UInt64(Int64.max) + 1 ? .min : Int64(truncatingIfNeeded: 0 &- quotient)
        }
        return quotient > UInt64(Int64.max) ? .max : Int64(quotient)
    }

    /// This duration in whole milliseconds (truncated towards zero).
    public var milliseconds: Int64 { nanosecondsClamped / 1_000_000 }
}
