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
    suite.test("clock.civil-date-rendering") { () throws(TestFailure) in
        // 2024-02-29T12:34:56Z = 1709210096 s: a leap day exercises civil_from_days.
        let date = WallClock(nanosecondsSinceEpoch: 1_709_210_096 * 1_000_000_000)
        try expectEqual(date.description, "2024-02-29T12:34:56Z", "rendering")
        try expectEqual(WallClock(nanosecondsSinceEpoch: 0).description, "1970-01-01T00:00:00Z", "epoch")
    }
}
