/// The dual-mode store crash suite: the systematic crash sweep, bit flips and failed device requests of the host
/// tests (`Tests/StoreCrash`, compiled into this image through `shared-sources`), on an in-memory fault-injecting
/// device: a power cut at every write and flush of two short workloads (4096- and 512-byte blocks), a fixed
/// budget that keeps a run near 20 s under QEMU TCG. The host
/// compares the transcripts of both modes, the counts printed included.
///
///     swiftlet test Tests/DualMode/store-crash
import Runtime
import Store

@main
struct StoreCrashSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("store-crash suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        suite.test("store-crash.power-cuts-4k-blocks") { () async throws(TestFailure) in
            try await sweep(seed: 501, blockSize: 4096, transactions: 40, cuts: nil)
        }
        suite.test("store-crash.power-cuts-512-byte-blocks") { () async throws(TestFailure) in
            try await sweep(seed: 502, blockSize: 512, transactions: 25, cuts: nil)
        }
        suite.test("store-crash.bit-flips") { () async throws(TestFailure) in
            let recording = try await record(configuration(seed: 503, blockSize: 4096, transactions: 30))
            let report = try await crashing { () async throws(CrashFailure) in try await crashBitFlips(recording, 80) }
            print("store-crash: \(report.flips) bit flips: \(report.detectedAtOpen) at open, \(report.detectedAtRead) at a read or check, " +
                  "\(report.rolledBack) fell back one commit, \(report.harmless) harmless")
        }
        suite.test("store-crash.failed-flush-and-write") { () async throws(TestFailure) in
            let recording = try await record(configuration(seed: 504, blockSize: 4096, transactions: 15))
            let flushes = try await crashing { () async throws(CrashFailure) in
                try await crashFailedDevice(recording, 6, failFlushes: true)
            }
            let writes = try await crashing { () async throws(CrashFailure) in
                try await crashFailedDevice(recording, 6, failFlushes: false)
            }
            print("store-crash: \(flushes.faults) failed flushes, \(writes.faults) failed writes, " +
                  "\(flushes.images + writes.images) post-fault images checked")
        }
    }
}

/// A 256 KiB in-memory device of `blockSize` blocks.
func configuration(seed: UInt64, blockSize: Int, transactions: Int) -> CrashCampaignConfiguration {
    var workload = CrashWorkloadConfiguration(seed: seed, transactions: transactions)
    workload.largeValueSize = 8 * 1024
    var configuration = CrashCampaignConfiguration(workload: workload)
    configuration.blockSize = blockSize
    configuration.blockCount = UInt64(256 * 1024 / blockSize)
    configuration.options = StoreOptions(cacheBlocks: 32)
    return configuration
}

/// Runs `body`, turning a ``CrashFailure`` into a test failure.
func crashing<T>(_ body: () async throws(CrashFailure) -> T) async throws(TestFailure) -> T {
    do {
        return try await body()
    } catch {
        throw TestFailure(error.message)
    }
}

func record(_ configuration: CrashCampaignConfiguration) async throws(TestFailure) -> CrashRecording {
    try await crashing { () async throws(CrashFailure) in try await crashRecord(configuration) }
}

/// Records a workload and sweeps `cuts` power cuts spread over its writes and flushes (nil: one at each), every
/// plan at each.
func sweep(seed: UInt64, blockSize: Int, transactions: Int, cuts: Int?) async throws(TestFailure) {
    var configuration = configuration(seed: seed, blockSize: blockSize, transactions: transactions)
    configuration.maximumCuts = cuts
    let recording = try await record(configuration)
    let report = try await crashing { () async throws(CrashFailure) in try await crashSweep(recording) }
    let expected = Swift.min(cuts ?? Int.max, recording.events.count + 1)
    try expect(report.cutPoints == expected, "cut points: \(report.cutPoints), expected \(expected)")
    print("store-crash: \(report.cutPoints) cut points over \(recording.events.count) writes and flushes, " +
          "\(report.images) post-crash images checked, \(report.inFlightKept) kept an in-flight transaction")
}
