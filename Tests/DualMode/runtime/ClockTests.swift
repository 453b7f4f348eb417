/// Clocks: the monotonic clock never goes back and advances with sleeps; the
/// wall clock is plausible and moves with the monotonic clock.
import Runtime

func registerClockTests(_ suite: inout TestSuite) {
    suite.test("clock.monotonic-never-goes-back") { () throws(TestFailure) in
        var previous = Instant.now
        for _ in 0..<100_000 {
            let now = Instant.now
            try expect(now >= previous, "monotonic clock went back from \(previous) to \(now)")
            previous = now
        }
    }
    suite.test("clock.monotonic-advances-across-a-sleep") { () async throws(TestFailure) in
        let before = Instant.now
        try? await sleep(for: .milliseconds(20))
        let after = Instant.now
        try expect(after - before >= .milliseconds(20), "only \((after - before).milliseconds) ms passed")
    }
    suite.test("clock.wall-is-plausible") { () throws(TestFailure) in
        let year = WallClock.now.civilDate.year
        try expect(year >= 2024 && year < 2100, "wall clock says year \(year)")
    }
    suite.test("clock.wall-moves-with-monotonic") { () async throws(TestFailure) in
        let wall0 = WallClock.now.nanosecondsSinceEpoch
        let mono0 = Instant.now
        try? await sleep(for: .milliseconds(300))
        let wallDelta = Int64(WallClock.now.nanosecondsSinceEpoch) - Int64(wall0)
        let monoDelta = (Instant.now - mono0).nanosecondsClamped
        let skew = wallDelta - monoDelta
        try expect(skew > -50_000_000 && skew < 50_000_000, "wall and monotonic differ by \(skew / 1_000_000) ms")
    }
    suite.test("clock.duration-in-nanoseconds-truncates-and-clamps") { () throws(TestFailure) in
        // Duration.nanosecondsClamped (Instant arithmetic rests on it): towards zero, clamped to Int64's range,
        // on both sides of each limit of its 64-bit division.
        let cases: [(Duration, Int64, String)] = [
            (.nanoseconds(1_234), 1_234, "1234 ns"),
            (.nanoseconds(-7), -7, "-7 ns"),
            (.seconds(5), 5_000_000_000, "5 s"),
            (Duration(secondsComponent: 0, attosecondsComponent: 1_999_999_999), 1, "1.999999999 ns"),
            (Duration(secondsComponent: 0, attosecondsComponent: -1_999_999_999), -1, "-1.999999999 ns"),
            (.nanoseconds(Int64.max), Int64.max, "Int64.max ns"),
            (.nanoseconds(Int64.min), Int64.min, "Int64.min ns"),
            (.seconds(9_223_372_036), 9_223_372_036_000_000_000, "9223372036 s"),
            (.seconds(10_000_000_000), Int64.max, "1e10 s (a 64-bit quotient over Int64.max)"),
            (.seconds(-10_000_000_000), Int64.min, "-1e10 s"),
            (.seconds(Int64(1) << 40), Int64.max, "2^40 s (a quotient over 64 bits)"),
            (.seconds(Int64.min), Int64.min, "Int64.min s"),
        ]
        for (duration, nanoseconds, what) in cases {
            try expect(duration.nanosecondsClamped == nanoseconds, "\(what): \(duration.nanosecondsClamped)")
        }
        try expect(Duration.milliseconds(1_500).milliseconds == 1_500, "1500 ms")
        try expect(Instant(nanoseconds: 10) + .nanoseconds(-20) == Instant(nanoseconds: 0), "saturates at 0")
    }
    suite.test("clock.civil-date-rendering") { () throws(TestFailure) in
        // 2024-02-29T12:34:56Z = 1709210096 s: a leap day exercises civil_from_days.
        let date = WallClock(nanosecondsSinceEpoch: 1_709_210_096 * 1_000_000_000)
        try expectEqual(date.description, "2024-02-29T12:34:56Z", "rendering")
        try expectEqual(WallClock(nanosecondsSinceEpoch: 0).description, "1970-01-01T00:00:00Z", "epoch")
    }
}
