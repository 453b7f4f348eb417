/// `RetransmissionTimer` (RFC 6298): SRTT/RTTVAR/RTO after sample sequences (expected values by hand, exact in
/// nanoseconds), bounds, Karn's algorithm, backoff and its cap.
import Net
import Runtime

private func linux() -> RetransmissionTimer.Configuration {
    RetransmissionTimer.Configuration(minimumTimeout: .milliseconds(200))
}

private let once = RetransmissionTimer.SampleSource.timedSegment(retransmitted: false)

func registerRetransmissionTimerTests(_ suite: inout TestSuite) {
    suite.test("rto.starts-at-one-second-before-any-sample") { () throws(TestFailure) in
        let timer = RetransmissionTimer()
        try expectEqual(ns(timer.timeout), 1_000_000_000, "RTO (2.1)")
        try expect(timer.smoothedRoundTripTime == nil, "no SRTT")
        try expect(timer.deadline == nil && !timer.isArmed, "stopped")
    }
    suite.test("rto.first-sample-sets-srtt-r-rttvar-r/2") { () throws(TestFailure) in
        var timer = RetransmissionTimer(configuration: linux())
        try expect(timer.sample(.milliseconds(100), source: once), "used")
        try expectEqual(ns(timer.smoothedRoundTripTime), 100_000_000, "SRTT")
        try expectEqual(ns(timer.roundTripTimeVariation), 50_000_000, "RTTVAR")
        try expectEqual(ns(timer.timeout), 300_000_000, "RTO = 100 + 4*50 ms")
    }
    suite.test("rto.later-samples-follow-2.3-with-the-old-srtt") { () throws(TestFailure) in
        var timer = RetransmissionTimer(configuration: linux())
        timer.sample(.milliseconds(100), source: once)
        timer.sample(.milliseconds(200), source: once)
        // RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5; RTO = 112.5 + 250.
        try expectEqual(ns(timer.roundTripTimeVariation), 62_500_000, "RTTVAR")
        try expectEqual(ns(timer.smoothedRoundTripTime), 112_500_000, "SRTT")
        try expectEqual(ns(timer.timeout), 362_500_000, "RTO")
        timer.sample(.milliseconds(100), source: once)
        // RTTVAR = 3/4*62.5 + 1/4*12.5 = 50; SRTT = 7/8*112.5 + 1/8*100 = 110.9375; RTO = 310.9375.
        try expectEqual(ns(timer.roundTripTimeVariation), 50_000_000, "RTTVAR 3")
        try expectEqual(ns(timer.smoothedRoundTripTime), 110_937_500, "SRTT 3")
        try expectEqual(ns(timer.timeout), 310_937_500, "RTO 3")
        try expectEqual(timer.statistics.samples, 3, "samples")
    }
    suite.test("rto.rounds-up-to-the-one-second-minimum") { () throws(TestFailure) in
        var timer = RetransmissionTimer()
        timer.sample(.milliseconds(100), source: once)
        try expectEqual(ns(timer.computedTimeout), 1_000_000_000, "300 ms raised to 1 s (2.4)")
        timer.sample(.seconds(2), source: once)
        // RTTVAR = 3/4*50 + 1/4*1900 = 512.5; SRTT = 87.5 + 250 = 337.5; RTO = 337.5 + 2050 = 2387.5 ms.
        try expectEqual(ns(timer.timeout), 2_387_500_000, "RTO above the minimum")
    }
    suite.test("rto.is-capped-at-sixty-seconds") { () throws(TestFailure) in
        var timer = RetransmissionTimer()
        timer.sample(.seconds(30), source: once)
        try expectEqual(ns(timer.timeout), 60_000_000_000, "30 + 60 s capped (2.5)")
    }
    suite.test("rto.clock-granularity-floors-the-variance-term") { () throws(TestFailure) in
        let configuration = RetransmissionTimer.Configuration(
            minimumTimeout: .zero, clockGranularity: .milliseconds(10))
        var timer = RetransmissionTimer(configuration: configuration)
        timer.sample(.zero, source: once)
        try expectEqual(ns(timer.timeout), 10_000_000, "RTO = 0 + max(G, 0)")
        var steady = RetransmissionTimer(configuration: configuration)
        for _ in 0..<40 { steady.sample(.milliseconds(100), source: once) }
        try expectEqual(ns(steady.smoothedRoundTripTime), 100_000_000, "SRTT")
        try expectEqual(ns(steady.timeout), 110_000_000, "RTO = SRTT + G once RTTVAR decayed")
    }
    suite.test("rto.karn-ignores-retransmitted-segments-but-not-timestamps") { () throws(TestFailure) in
        var timer = RetransmissionTimer(configuration: linux())
        timer.sample(.milliseconds(100), source: once)
        try expect(!timer.sample(.milliseconds(900), source: .timedSegment(retransmitted: true)), "refused")
        try expectEqual(ns(timer.smoothedRoundTripTime), 100_000_000, "SRTT unchanged")
        try expectEqual(timer.statistics.karnRejected, 1, "counted")
        try expect(timer.sample(.milliseconds(100), source: .timestampEcho), "TSecr sample used")
        try expectEqual(ns(timer.roundTripTimeVariation), 37_500_000, "RTTVAR = 3/4*50")
        try expectEqual(ns(timer.timeout), 250_000_000, "RTO = 100 + 150")
    }
    suite.test("rto.arm-expire-and-disarm") { () throws(TestFailure) in
        var timer = RetransmissionTimer()
        try expect(!timer.expired(now: at(milliseconds: 5000)), "stopped never expires")
        timer.arm(now: at(milliseconds: 0))
        try expect(timer.deadline == at(milliseconds: 1000), "deadline = now + RTO")
        try expect(!timer.expired(now: at(milliseconds: 999)), "not yet")
        try expect(timer.expired(now: at(milliseconds: 1000)), "at the deadline")
        timer.armIfStopped(now: at(milliseconds: 500))
        try expect(timer.deadline == at(milliseconds: 1000), "armIfStopped keeps a running timer (5.1)")
        timer.arm(now: at(milliseconds: 500))
        try expect(timer.deadline == at(milliseconds: 1500), "arm restarts (5.3)")
        timer.disarm()
        try expect(timer.deadline == nil && !timer.expired(now: at(milliseconds: 9999)), "disarmed (5.2)")
    }
    suite.test("rto.backoff-doubles-to-the-cap-and-rearms") { () throws(TestFailure) in
        var timer = RetransmissionTimer()
        var now = 0
        timer.arm(now: at(milliseconds: now))
        var timeouts: [Int64] = []
        for _ in 0..<8 {
            now = Int((timer.deadline! - origin).milliseconds)
            try expect(timer.expired(now: at(milliseconds: now)), "expired at \(now)")
            timer.onExpiry(now: at(milliseconds: now))
            timeouts.append(timer.timeout.milliseconds / 1000)
        }
        try expectElements(timeouts, [2, 4, 8, 16, 32, 60, 60, 60], "RTO after each expiry (s, 5.5)")
        try expect(timer.deadline == at(milliseconds: now + 60_000), "re-armed (5.6)")
        try expectEqual(timer.backoffCount, 8, "backoffs")
        try expectEqual(timer.statistics.expiries, 8, "expiries")
    }
    suite.test("rto.backoff-survives-karn-and-resets-on-a-new-sample") { () throws(TestFailure) in
        var timer = RetransmissionTimer(configuration: linux())
        timer.sample(.milliseconds(100), source: once)
        timer.arm(now: at(milliseconds: 0))
        timer.onExpiry(now: at(milliseconds: 300))
        timer.onExpiry(now: at(milliseconds: 900))
        try expectEqual(ns(timer.timeout), 1_200_000_000, "300 ms doubled twice")
        timer.sample(.milliseconds(100), source: .timedSegment(retransmitted: true))
        try expectEqual(ns(timer.timeout), 1_200_000_000, "kept: Karn gives no sample")
        timer.sample(.milliseconds(100), source: once)
        try expectEqual(timer.backoffCount, 0, "backoff reset")
        try expectEqual(ns(timer.timeout), 250_000_000, "RTO from SRTT = 100, RTTVAR = 37.5")
    }
    suite.test("rto.handshake-timeout-raises-rto-to-three-seconds") { () throws(TestFailure) in
        var timer = RetransmissionTimer()
        timer.arm(now: at(milliseconds: 0))
        timer.onExpiry(now: at(milliseconds: 1000))
        timer.resetAfterHandshakeTimeout()
        try expectEqual(ns(timer.timeout), 3_000_000_000, "RTO 3 s (5.7)")
        try expectEqual(timer.backoffCount, 0, "backoff cleared")
        var measured = RetransmissionTimer(configuration: linux())
        measured.sample(.milliseconds(100), source: once)
        measured.resetAfterHandshakeTimeout()
        try expectEqual(ns(measured.timeout), 300_000_000, "a measured RTO is kept")
    }
    suite.test("rto.timestamp-samples-weigh-by-expected-samples") { () throws(TestFailure) in
        var timer = RetransmissionTimer(configuration: linux())
        timer.sample(.milliseconds(100), source: .timestampEcho, expectedSamples: 2)
        try expectEqual(ns(timer.smoothedRoundTripTime), 100_000_000, "the first sample is taken whole (2.2)")
        timer.sample(.milliseconds(200), source: .timestampEcho, expectedSamples: 2)
        // RFC 7323 Appendix G: beta' = 1/8, alpha' = 1/16. RTTVAR = 50 - 6.25 + 12.5; SRTT = 100 - 6.25 + 12.5.
        try expectEqual(ns(timer.roundTripTimeVariation), 56_250_000, "RTTVAR")
        try expectEqual(ns(timer.smoothedRoundTripTime), 106_250_000, "SRTT")
        try expectEqual(ns(timer.timeout), 331_250_000, "RTO = 106.25 + 4 * 56.25")
    }
}
