/// A token bucket: at most `burst` events at once, refilled at `rate` per second (RFC 1812 §4.3.2.8 suggests one
/// for ICMP errors; RFC 1122 §3.2.2 asks that their rate be limited). Integer nanosecond arithmetic; time is an
/// argument.
import Runtime

public struct TokenBucket {
    /// Tokens added per second.
    public let rate: Int
    /// The most tokens the bucket holds.
    public let burst: Int
    /// Accumulated credit in nanoseconds; one token costs `1e9 / rate` ns.
    private var credit: UInt64
    private var last: Instant?

    /// A full bucket of `burst` tokens refilled at `rate` per second.
    ///
    /// - Precondition: `rate > 0`, `burst ≥ 0`.
    public init(rate: Int, burst: Int) {
        precondition(rate > 0 && burst >= 0, "a token bucket needs a positive rate")
        self.rate = rate
        self.burst = burst
        self.credit = UInt64(burst) * (1_000_000_000 / UInt64(rate))
        self.last = nil
    }

    private var cost: UInt64 { 1_000_000_000 / UInt64(self.rate) }

    /// Takes one token if there is one at `now`; returns false (and takes nothing) when the bucket is empty.
    public mutating func take(now: Instant) -> Bool {
        let capacity = UInt64(self.burst) * self.cost
        if let last = self.last, now > last {
            let elapsed = now.nanoseconds - last.nanoseconds
            self.credit = Swift.min(capacity, self.credit &+ Swift.min(elapsed, capacity))
        }
        if self.last == nil || now > self.last! { self.last = now }
        guard self.credit >= self.cost else { return false }
        self.credit -= self.cost
        return true
    }
}
