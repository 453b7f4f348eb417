/// The dual-mode protocols suite: the pure state machines of `Sources/Net/Protocols` (IPv4 reassembly and
/// fragmentation, the DHCP client, the DNS resolver) and their wire formats (`Sources/Net/Wire/DHCP.swift`,
/// `DNS.swift`), driven by fixed byte vectors built with scapy on the host and a virtual clock, in dev (posix) and
/// prod (virtio).
import Net
import Runtime

@main
struct ProtocolsSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("protocols suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerReassemblerTests(&suite)
        registerFragmenterTests(&suite)
        registerDHCPTests(&suite)
        registerDHCPClientTests(&suite)
        registerDNSTests(&suite)
        registerDNSResolverTests(&suite)
        registerFuzzTests(&suite)
    }
}

// MARK: - Virtual clock

/// The virtual clock's origin: an arbitrary non-zero instant, so nothing may assume time starts at 0.
let origin = Instant(nanoseconds: 1_000_000_000_000)

/// `origin` plus `seconds`.
func at(_ seconds: Int) -> Instant { origin + .seconds(seconds) }

/// `origin` plus `milliseconds`.
func at(milliseconds: Int) -> Instant { origin + .milliseconds(milliseconds) }

/// An instant as seconds (with milliseconds) since `origin`, for messages.
func since(_ instant: Instant?) -> String {
    guard let instant else { return "never" }
    let ms = (instant - origin).milliseconds
    return "\(ms / 1000).\(ms % 1000 < 100 ? "0" : "")\(ms % 1000 < 10 ? "0" : "")\(ms % 1000)s"
}

/// Fails unless `actual` is `expected`, both shown relative to the origin.
func expectInstant(_ actual: Instant?, _ expected: Instant?, _ what: String) throws(TestFailure) {
    if actual != expected { throw TestFailure("\(what): expected \(since(expected)), got \(since(actual))") }
}

// MARK: - Helpers shared by the tests (as in Tests/DualMode/net)

/// A random source for the state machines: replays `values` (then zeros), or SplitMix64 when given a seed.
final class ScriptedRandom {
    var values: [UInt64]
    var generator: SplitMix64?
    var drawn = 0

    init(_ values: [UInt64]) { self.values = values }
    init(seed: UInt64) {
        self.values = []
        self.generator = SplitMix64(state: seed)
    }

    func next() -> UInt64 {
        self.drawn += 1
        if !self.values.isEmpty { return self.values.removeFirst() }
        if self.generator != nil { return self.generator!.next() }
        return 0
    }
}

