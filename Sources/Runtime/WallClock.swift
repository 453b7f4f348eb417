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
    public var description: String {
        let (year, month, day) = civilDate
        let secondOfDay = Int(secondsSinceEpoch % 86_400)
        return "\(year)-\(Self.pad(month))-\(Self.pad(day))T\(Self.pad(secondOfDay / 3600)):"
            + "\(Self.pad(secondOfDay / 60 % 60)):\(Self.pad(secondOfDay % 60))Z"
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
