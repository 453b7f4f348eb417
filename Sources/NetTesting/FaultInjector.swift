/// Seeded link faults for tests: loss, duplication, corruption and reordering (smoltcp `phy/fault_injector.rs` in
/// spirit), and scheduled outages.
///
/// The ``VirtualLink`` asks the injector what becomes of each frame it carries. Every decision comes from a
/// SplitMix64 generator seeded by the test, so a run is the same in both modes and on every machine; nothing reads a
/// clock (an outage is judged by the sending instant the link passes in). Rates are probabilities per frame, 0...1.
import Net
import Runtime

/// Which faults to inject, and how often.
public struct FaultConfiguration: Sendable {
    /// Probability that a frame is lost.
    public var lossRate: Double
    /// Probability that a frame is delivered twice.
    public var duplicationRate: Double
    /// Probability that one random byte of a frame is changed (a nonzero XOR, so it really changes).
    public var corruptionRate: Double
    /// Probability that a frame is held back by ``reorderDelay``, so that later frames overtake it.
    public var reorderRate: Double
    /// How long a reordered frame is held back.
    public var reorderDelay: Duration

    /// These rates; all default to zero.
    public init(
        lossRate: Double = 0, duplicationRate: Double = 0, corruptionRate: Double = 0, reorderRate: Double = 0,
        reorderDelay: Duration = .milliseconds(5)
    ) {
        self.lossRate = lossRate
        self.duplicationRate = duplicationRate
        self.corruptionRate = corruptionRate
        self.reorderRate = reorderRate
        self.reorderDelay = reorderDelay
    }

    /// No faults: every frame arrives once, intact, in order.
    public static let none = FaultConfiguration()
}

/// A span of virtual time in which the link carries nothing (a cable pulled, a switch rebooting): every frame sent
/// at an instant in `from ..< until` is lost, whatever the rates.
public struct LinkOutage: Equatable, Sendable {
    /// The first instant without a link.
    public var from: Instant
    /// The first instant with the link back.
    public var until: Instant

    public init(from: Instant, until: Instant) {
        self.from = from
        self.until = until
    }

    /// Whether a frame sent at `now` is lost to this outage.
    public func covers(_ now: Instant) -> Bool { self.from <= now && now < self.until }
}

/// What a ``FaultInjector`` did, frame by frame.
public struct FaultCounters: Equatable, CustomStringConvertible, Sendable {
    /// Frames offered to the injector.
    public var frames = 0
    /// Frames dropped.
    public var lost = 0
    /// Extra copies delivered.
    public var duplicated = 0
    /// Copies with a byte changed.
    public var corrupted = 0
    /// Copies held back.
    public var reordered = 0
    /// Frames dropped because they were sent during a ``LinkOutage`` (not counted in ``lost``).
    public var outageLost = 0

    public init() {}

    public var description: String {
        "faults frames=\(self.frames) lost=\(self.lost) dup=\(self.duplicated) corrupt=\(self.corrupted)"
            + " reorder=\(self.reordered) outage-lost=\(self.outageLost)"
    }
}

/// Decides, deterministically from its seed, what happens to each frame.
public struct FaultInjector {
    /// The fault rates in force; may be changed between frames.
    public var configuration: FaultConfiguration
    /// Spans of time in which every frame is lost (``apply(to:at:)``); may be changed between frames.
    public var outages: [LinkOutage] = []
    /// What was done so far.
    public private(set) var counters = FaultCounters()
    private var random: SplitMix64

    /// An injector with these rates whose decisions follow from `seed`.
    public init(_ configuration: FaultConfiguration = .none, seed: UInt64) {
        self.configuration = configuration
        self.random = SplitMix64(seed: seed)
    }

    /// The copies of `frame`, sent at `now`, to deliver: none during an outage (counted in
    /// ``FaultCounters/outageLost``, and no random number is drawn), else as ``apply(to:)`` decides.
    public mutating func apply(to frame: [UInt8], at now: Instant) -> [(frame: [UInt8], delay: Duration)] {
        for outage in self.outages where outage.covers(now) {
            self.counters.frames += 1
            self.counters.outageLost += 1
            return []
        }
        return self.apply(to: frame)
    }

    /// The copies of `frame` to deliver (none, one or two), each with its extra delay; outages do not apply.
    public mutating func apply(to frame: [UInt8]) -> [(frame: [UInt8], delay: Duration)] {
        self.counters.frames += 1
        if self.chance(self.configuration.lossRate) {
            self.counters.lost += 1
            return []
        }
        var copies = 1
        if self.chance(self.configuration.duplicationRate) {
            self.counters.duplicated += 1
            copies = 2
        }
        var result: [(frame: [UInt8], delay: Duration)] = []
        for _ in 0..<copies {
            var copy = frame
            if !copy.isEmpty && self.chance(self.configuration.corruptionRate) {
                self.counters.corrupted += 1
                let index = Int(self.random.next() % UInt64(copy.count))
                copy[index] ^= UInt8(truncatingIfNeeded: self.random.next() % 255 + 1)
            }
            var delay = Duration.zero
            if self.chance(self.configuration.reorderRate) {
                self.counters.reordered += 1
                delay = self.configuration.reorderDelay
            }
            result.append((frame: copy, delay: delay))
        }
        return result
    }

    /// True with probability `rate` (always false for 0, always true for 1).
    private mutating func chance(_ rate: Double) -> Bool {
        if rate <= 0 { return false }
        if rate >= 1 { return true }
        // 53 random bits as a fraction in [0, 1).
        let fraction = Double(self.random.next() >> 11) / 9_007_199_254_740_992.0
        return fraction < rate
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast, seedable generator; not for secrets.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
