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
    /// This duration in whole nanoseconds, clamped to `Int64`'s range.
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (fromSeconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = fromSeconds.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }

    /// This duration in whole milliseconds (truncated towards zero).
    public var milliseconds: Int64 { nanosecondsClamped / 1_000_000 }
}
