import Runtime

/// TCP's retransmission timer: the round-trip estimator and the retransmission timeout, RTO (RFC 6298
/// "Computing TCP's Retransmission Timer"), a pure value driven by the connection with `now` as an argument.
///
/// - Estimator (RFC 6298 §2): the first measurement R sets SRTT ← R, RTTVAR ← R/2 (§2.2); each later R' sets
///   RTTVAR ← (1 - β)·RTTVAR + β·|SRTT - R'| and then SRTT ← (1 - α)·SRTT + α·R' with α = 1/8, β = 1/4 (§2.3, "the
///   value of SRTT used in the update to RTTVAR is its value before updating SRTT itself"); RTO ← SRTT +
///   max(G, K·RTTVAR) with K = 4 and G the clock granularity. Arithmetic is in whole nanoseconds.
/// - Bounds: before any measurement RTO is 1 s (§2.1, RFC 6298 Appendix A's change from 3 s); a computed RTO below
///   the minimum is raised to it (§2.4, "SHOULD be rounded up to 1 second"; Linux uses 200 ms, which
///   ``Configuration/minimumTimeout`` allows); above the maximum it is capped (§2.5, "at least 60 seconds").
/// - Karn's algorithm (§3): an ACK for a segment that was retransmitted gives no sample, because it cannot tell
///   which transmission it answers; the backed-off RTO is kept until a sample from a segment sent once. A sample
///   from the timestamp option's echo (TSecr, RFC 7323 §4 "The RTTM Mechanism") names the transmission it
///   answers, so it is taken even after a retransmission; choosing which TSecr to use (§4.3's rules for
///   TS.Recent) is the caller's job.
/// - Timer management (§5): ``arm(now:)`` starts it (§5.1, §5.3 restart on new data acknowledged),
///   ``disarm()`` stops it when all data is acknowledged (§5.2), ``expired(now:)`` asks, and
///   ``onExpiry(now:)`` doubles the RTO up to the maximum (§5.5 "back off the timer") and re-arms (§5.6).
///   A new sample recomputes RTO from SRTT, which ends the backoff (§5.7's note and Karn).
public struct RetransmissionTimer {
    /// The timer's constants.
    public struct Configuration: Equatable {
        /// The RTO before any measurement (RFC 6298 §2.1: 1 second).
        public var initialTimeout: Duration
        /// The smallest RTO (RFC 6298 §2.4: 1 second; Linux's `TCP_RTO_MIN` is 200 ms).
        public var minimumTimeout: Duration
        /// The largest RTO, also the backoff cap (RFC 6298 §2.5: at least 60 seconds).
        public var maximumTimeout: Duration
        /// G, the clock granularity (RFC 6298 §2: "G seconds"); K·RTTVAR never counts for less.
        public var clockGranularity: Duration

        /// RFC 6298's values: 1 s initial and minimum, 60 s maximum, and a 1 ms clock.
        public init(
            initialTimeout: Duration = .seconds(1), minimumTimeout: Duration = .seconds(1),
            maximumTimeout: Duration = .seconds(60), clockGranularity: Duration = .milliseconds(1)
        ) {
            self.initialTimeout = initialTimeout
            self.minimumTimeout = minimumTimeout
            self.maximumTimeout = maximumTimeout
            self.clockGranularity = clockGranularity
        }
    }

    /// Where a round-trip measurement came from, for Karn's algorithm.
    public enum SampleSource: Equatable, Sendable {
        /// Timing one segment from its send to the ACK that covers it. `retransmitted` segments give no sample
        /// (RFC 6298 §3, Karn).
        case timedSegment(retransmitted: Bool)
        /// The echo of the timestamp option (TSecr) in the ACK (RFC 7323 §4): always usable.
        case timestampEcho
    }

    /// Counters of samples and expiries.
    public struct Statistics: Equatable, CustomStringConvertible {
        /// Samples taken into SRTT/RTTVAR.
        public var samples = 0
        /// Samples refused by Karn's algorithm (from retransmitted segments).
        public var karnRejected = 0
        /// Timer expiries (each doubled the RTO).
        public var expiries = 0

        public init() {}

        public var description: String {
            "samples=\(self.samples) karn-rejected=\(self.karnRejected) expiries=\(self.expiries)"
        }
    }

    /// The constants in force.
    public let configuration: Configuration
    /// SRTT, the smoothed round-trip time, once a sample was taken.
    public private(set) var smoothedRoundTripTime: Duration?
    /// RTTVAR, the round-trip time variation (zero before the first sample).
    public private(set) var roundTripTimeVariation: Duration = .zero
    /// The current RTO, backoff included: what ``arm(now:)`` waits.
    public private(set) var timeout: Duration
    /// How many times the RTO was doubled since the last sample (RFC 6298 §5.5).
    public private(set) var backoffCount = 0
    /// When the timer fires, or `nil` while it is stopped.
    public private(set) var deadline: Instant?
    /// Samples and expiries so far.
    public private(set) var statistics = Statistics()

    /// A timer with no measurement yet: RTO is ``Configuration/initialTimeout`` (RFC 6298 §2.1).
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.timeout = Self.clamp(configuration.initialTimeout.nanosecondsClamped, configuration)
    }

    /// Feeds one round-trip measurement `rtt` and recomputes RTO (RFC 6298 §2.2 for the first, §2.3 after).
    ///
    /// - Parameters:
    ///   - rtt: the measured round trip; negative values are taken as zero.
    ///   - source: where it came from; a retransmitted timed segment is refused (Karn, RFC 6298 §3).
    ///   - expectedSamples: with timestamps on every ACK, RFC 7323 Appendix G's ExpectedSamples =
    ///     ceil(FlightSize / (2·SMSS)): α and β are divided by it so that a window's many samples weigh as much as
    ///     RFC 6298's one. 1 (the default) is plain RFC 6298.
    /// - Returns: whether the sample was used.
    @discardableResult
    public mutating func sample(_ rtt: Duration, source: SampleSource, expectedSamples: Int = 1) -> Bool {
        if source == .timedSegment(retransmitted: true) {
            self.statistics.karnRejected += 1
            return false
        }
        let r = Swift.max(0, rtt.nanosecondsClamped)
        if let srtt = self.smoothedRoundTripTime?.nanosecondsClamped {
            // §2.3: RTTVAR first, with the old SRTT.
            let variation = self.roundTripTimeVariation.nanosecondsClamped
            let delta = srtt > r ? srtt - r : r - srtt
            let n = Int64(Swift.max(1, expectedSamples))
            let newVariation = variation - variation / (4 * n) + delta / (4 * n)
            let newSmoothed = srtt - srtt / (8 * n) + r / (8 * n)
            self.roundTripTimeVariation = .nanoseconds(newVariation)
            self.smoothedRoundTripTime = .nanoseconds(newSmoothed)
        } else {
            // §2.2: the first measurement.
            self.smoothedRoundTripTime = .nanoseconds(r)
            self.roundTripTimeVariation = .nanoseconds(r / 2)
        }
        self.statistics.samples += 1
        self.backoffCount = 0
        self.timeout = self.computedTimeout
        return true
    }

    /// SRTT + max(G, K·RTTVAR) clamped to the configured bounds, without backoff (RFC 6298 §2.2-2.5).
    public var computedTimeout: Duration {
        guard let srtt = self.smoothedRoundTripTime?.nanosecondsClamped else {
            return Self.clamp(self.configuration.initialTimeout.nanosecondsClamped, self.configuration)
        }
        let variation = self.roundTripTimeVariation.nanosecondsClamped
        let (k, overflow) = variation.multipliedReportingOverflow(by: 4)
        let spread = Swift.max(self.configuration.clockGranularity.nanosecondsClamped, overflow ? .max : k)
        let (sum, overflow2) = srtt.addingReportingOverflow(spread)
        return Self.clamp(overflow2 ? .max : sum, self.configuration)
    }

    private static func clamp(_ nanoseconds: Int64, _ configuration: Configuration) -> Duration {
        let low = configuration.minimumTimeout.nanosecondsClamped
        let high = configuration.maximumTimeout.nanosecondsClamped
        return .nanoseconds(Swift.min(high, Swift.max(low, nanoseconds)))
    }

    /// Starts (or restarts) the timer to fire RTO from `now` (RFC 6298 §5.1 on sending data with the timer
    /// stopped, §5.3 on an ACK of new data with data still outstanding).
    public mutating func arm(now: Instant) {
        self.deadline = now + self.timeout
    }

    /// Starts the timer only if it is stopped (RFC 6298 §5.1: "if the timer is not running, start it").
    public mutating func armIfStopped(now: Instant) {
        if self.deadline == nil { self.arm(now: now) }
    }

    /// Stops the timer (RFC 6298 §5.2: "When all outstanding data has been acknowledged, turn off the
    /// retransmission timer").
    public mutating func disarm() {
        self.deadline = nil
    }

    /// Whether the timer is running.
    public var isArmed: Bool { self.deadline != nil }

    /// Whether the timer is running and its deadline has come at `now`.
    public func expired(now: Instant) -> Bool {
        guard let deadline = self.deadline else { return false }
        return deadline <= now
    }

    /// Handles an expiry at `now`: the caller retransmits the earliest unacknowledged segment (RFC 6298 §5.4);
    /// this doubles RTO, capped at the maximum (§5.5), and restarts the timer (§5.6).
    public mutating func onExpiry(now: Instant) {
        let current = self.timeout.nanosecondsClamped
        let (doubled, overflow) = current.multipliedReportingOverflow(by: 2)
        self.timeout = .nanoseconds(
            Swift.min(self.configuration.maximumTimeout.nanosecondsClamped, overflow ? .max : doubled))
        self.backoffCount += 1
        self.statistics.expiries += 1
        self.arm(now: now)
    }

    /// After the SYN (or SYN-ACK) timed out, a connection that then establishes uses an RTO of at least 3 s until
    /// it measures one (RFC 6298 §5.7: "the RTO MUST be re-initialized to 3 seconds when data transmission
    /// begins (i.e., after the three-way handshake completes)").
    public mutating func resetAfterHandshakeTimeout() {
        if self.smoothedRoundTripTime == nil {
            self.timeout = .nanoseconds(
                Swift.min(
                    self.configuration.maximumTimeout.nanosecondsClamped,
                    Swift.max(Duration.seconds(3).nanosecondsClamped, self.computedTimeout.nanosecondsClamped)))
            self.backoffCount = 0
        }
    }
}
