import Foundation
import Store
import StoreCrash
import XCTest

/// The systematic crash suite on the host. `STORE_CRASH_SCALE=N` (bench/store-crash.sh) multiplies the seeds,
/// transactions and budgets; the default checks a few thousand cut points in well under two minutes.
final class CrashSuiteTests: XCTestCase {
    var scale: Int { Int(ProcessInfo.processInfo.environment["STORE_CRASH_SCALE"] ?? "") ?? 1 }

    func configuration(seed: UInt64, transactions: Int, blockSize: Int) -> CrashCampaignConfiguration {
        var configuration = CrashCampaignConfiguration(
            workload: CrashWorkloadConfiguration(seed: seed, transactions: transactions))
        configuration.blockSize = blockSize
        configuration.blockCount = UInt64(256 * 1024 / blockSize)
        return configuration
    }

    func run<T>(_ body: () async throws(CrashFailure) -> T) async -> T? {
        do {
            return try await body()
        } catch {
            XCTFail(error.message)
            return nil
        }
    }

    func testEveryPowerCutRecoversAPrefixHoldingEveryAcknowledgedTransaction() async {
        var cuts = 0
        var images = 0
        var kept = 0
        var events = 0
        let start = Date()
        for index in 0..<(3 * scale) {
            for blockSize in [4096, 512] {
                let seed = UInt64(1000 + index * 2 + (blockSize == 512 ? 1 : 0))
                var configuration = configuration(seed: seed, transactions: 100 + 20 * scale, blockSize: blockSize)
                configuration.randomRepeats = 2
                guard let recording = await run({ () async throws(CrashFailure) in try await crashRecord(configuration) }),
                      let report = await run({ () async throws(CrashFailure) in try await crashSweep(recording) })
                else { return }
                XCTAssertEqual(report.cutPoints, recording.events.count + 1, "a cut at every write and flush")
                cuts += report.cutPoints
                images += report.images
                kept += report.inFlightKept
                events += recording.events.count
            }
        }
        // Large values (up to 96 KiB: overflow extents of many pages, written as multi-page requests).
        for index in 0..<scale {
            var configuration = configuration(seed: UInt64(5000 + index), transactions: 40 + 10 * scale, blockSize: 4096)
            configuration.workload.largeValueSize = 96 * 1024
            configuration.blockCount = 128
            guard let recording = await run({ () async throws(CrashFailure) in try await crashRecord(configuration) }),
                  let report = await run({ () async throws(CrashFailure) in try await crashSweep(recording) })
            else { return }
            cuts += report.cutPoints
            images += report.images
            kept += report.inFlightKept
            events += recording.events.count
        }
        print("store-crash: \(cuts) cut points (\(events) writes and flushes), \(images) post-crash images checked, " +
              "\(kept) kept an in-flight transaction, in \(Int(Date().timeIntervalSince(start))) s")
        XCTAssertGreaterThan(cuts, 2000)
    }

    func testBitFlipsSurfaceAsCorruptNeverAsWrongBytes() async {
        var configuration = configuration(seed: 77, transactions: 80, blockSize: 4096)
        configuration.blockCount = 128
        guard let recording = await run({ () async throws(CrashFailure) in try await crashRecord(configuration) }),
              let report = await run({ () async throws(CrashFailure) in try await crashBitFlips(recording, 150 * scale) })
        else { return }
        print("store-crash: \(report.flips) bit flips: \(report.detectedAtOpen) at open, \(report.detectedAtRead) at a read or check, " +
              "\(report.rolledBack) fell back one commit (newest commit damaged), \(report.harmless) harmless")
        XCTAssertEqual(report.flips, 150 * scale)
        XCTAssertGreaterThan(report.detectedAtOpen + report.detectedAtRead + report.rolledBack, 0)
    }

    func testFailedFlushesAndWritesFailTheTransactionAndLoseNothingAcknowledged() async {
        let configuration = configuration(seed: 91, transactions: 40 * scale, blockSize: 4096)
        guard let recording = await run({ () async throws(CrashFailure) in try await crashRecord(configuration) }),
              let flushes = await run({ () async throws(CrashFailure) in
                  try await crashFailedDevice(recording, 12 * scale, failFlushes: true) }),
              let writes = await run({ () async throws(CrashFailure) in
                  try await crashFailedDevice(recording, 12 * scale, failFlushes: false) })
        else { return }
        print("store-crash: \(flushes.faults) failed flushes, \(writes.faults) failed writes, " +
              "\(flushes.images + writes.images) post-fault images checked")
        var flushEvents = 0
        for event in recording.events { if case .flush = event { flushEvents += 1 } }
        XCTAssertEqual(flushes.faults, min(12 * scale, flushEvents))
        XCTAssertEqual(writes.faults, min(12 * scale, recording.events.count - flushEvents))
    }
}
