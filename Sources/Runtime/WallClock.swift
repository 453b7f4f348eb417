/// The wall clock: UTC time from the platform (host clock in dev, RTC or
/// kvmclock in prod), with a civil-date rendering for logs.
public struct WallClock: CustomStringConvertible, Comparable {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanosecondsSinceEpoch: UInt64

    public init(nanosecondsSinceEpoch: UInt64) { self.nanosecondsSinceEpoch = nanosecondsSinceEpoch }

    /// The current wall-clock time (through the ABI).
    public static var now: WallClock { WallClock(nanosecondsSinceEpoch: ABI.wallClockNanoseconds()) }

    public static func < (a: WallClock, b: WallClock) -> Bool { a.nanosecondsSinceEpoch < b.nanosecondsSinceEpoch }

    /// Whole seconds since the epoch.
    public var secondsSinceEpoch: UInt64 { nanosecondsSinceEpoch / 1_000_000_000 }

    /// (year, month 1...12, day 1...31) for this instant, UTC — Howard Hinnant's `civil_from_days`.
    public var civilDate: (year: Int, month: Int, day: Int) {
        let days = Int(secondsSinceEpoch / 86_400) + 719_468
        let era = days / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// ISO 8601, UTC, whole seconds: `2026-11-27T01:19:11Z`.
    ///
    /// Written byte by byte into a buffer on the stack: six interpolations and a concatenation cost 3 KiB of code in
    /// every image that prints the time, and growing an Array more than this (docs/BENCHMARKS.md, footprint).
    /// The year has at most four digits (`UInt64.max` nanoseconds is in 2554): 20 bytes at most.
    public var description: String {
        let (year, month, day) = civilDate
        let secondOfDay = Int(secondsSinceEpoch % 86_400)
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &text) { raw in
            var count = 0
            var divisor = 1
            while year / divisor >= 10 { divisor *= 10 }
            while divisor > 0 {
                raw[count] = UInt8(truncatingIfNeeded: 0x30 + year / divisor % 10)
                count += 1
                divisor /= 10
            }
            let separators: StaticString = "--T::Z"
            for i in 0..<5 {
                let field: Int
                switch i {
                case 0: field = month
                case 1: field = day
                case 2: field = secondOfDay / 3600
                case 3: field = secondOfDay / 60 % 60
                default: field = secondOfDay % 60
                }
                raw[count] = separators.utf8Start[i]
                raw[count + 1] = UInt8(truncatingIfNeeded: 0x30 + field / 10)
                raw[count + 2] = UInt8(truncatingIfNeeded: 0x30 + field % 10)
                count += 3
            }
            raw[count] = separators.utf8Start[5]
            let start = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return StringBytes.string(UnsafeBufferPointer(start: start, count: count + 1))
        }
    }
}
