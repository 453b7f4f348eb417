import XCTest
@testable import SwiftletKit

/// Runs the dual-mode suite in both modes, exactly as `swiftlet test --target both`.
///
/// Slow (it builds the suite and boots it under QEMU, TCG here): set
/// SWIFTLET_SKIP_DUAL_MODE=1 to skip it while iterating on unit tests.
final class DualModeSuiteTests: XCTestCase {
    /// Appends a suite's totals (`P F`, one line per suite run) to the file named by
    /// SWIFTLET_SUMMARY_FILE, so `.ci/run` can print the dual-mode totals of this very run
    /// as its last line instead of running every suite a second time.
    private func recordTotals(_ report: SuiteRunner.Report) {
        guard let path = ProcessInfo.processInfo.environment["SWIFTLET_SUMMARY_FILE"], !path.isEmpty else { return }
        let line = "\(report.passed) \(report.failed)\n"
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(line.data(using: .utf8)!)
            handle.closeFile()
        } else {
            _ = FileManager.default.createFile(atPath: path, contents: line.data(using: .utf8))
        }
    }

    func testRuntimeSuitePassesInBothModesWithMatchingTranscripts() throws {
        if ProcessInfo.processInfo.environment["SWIFTLET_SKIP_DUAL_MODE"] == "1" {
            throw XCTSkip("SWIFTLET_SKIP_DUAL_MODE=1")
        }
        let configuration = try SuiteRunner.Configuration.runtimeSuite(in: testProject, targets: [.posix, .virtio])
        let log = Log(verbose: false, output: { line in print(line) })
        let report = SuiteRunner(project: testProject, configuration: configuration, log: log).run()
        recordTotals(report)
        let failures = report.lines.filter { $0.hasPrefix("FAIL") }
        XCTAssertEqual(report.failed, 0, "failed:\n" + failures.joined(separator: "\n"))
        XCTAssertGreaterThan(report.passed, 0)
        XCTAssertTrue(report.lines.contains("ok [both] transcripts match"), "transcripts differ")
    }

    /// `swiftlet test Tests/DualMode/devices --net service=echo --net second=echo
    ///  --block storage=temp:1048576 --block other=temp:1048576,block-size=4096`, both modes.
    func testDeviceSuitePassesInBothModesWithMatchingTranscripts() throws {
        if ProcessInfo.processInfo.environment["SWIFTLET_SKIP_DUAL_MODE"] == "1" {
            throw XCTSkip("SWIFTLET_SKIP_DUAL_MODE=1")
        }
        try XCTSkipIf(Subprocess.which("python3") == nil, "the echo peer needs python3")
        let configuration = try SuiteRunner.Configuration.deviceSuite(in: testProject, targets: [.posix, .virtio])
        let log = Log(verbose: false, output: { line in print(line) })
        let report = SuiteRunner(project: testProject, configuration: configuration, log: log).run()
        recordTotals(report)
        let failures = report.lines.filter { $0.hasPrefix("FAIL") }
        XCTAssertEqual(report.failed, 0, "failed:\n" + failures.joined(separator: "\n"))
        XCTAssertGreaterThan(report.passed, 0)
        XCTAssertTrue(report.lines.contains("ok [both] transcripts match"), "transcripts differ")
    }

    /// Every other suite under Tests/DualMode (net wire, stack, protocols, ...), both modes.
    func testEveryOtherSuitePassesInBothModesWithMatchingTranscripts() throws {
        if ProcessInfo.processInfo.environment["SWIFTLET_SKIP_DUAL_MODE"] == "1" {
            throw XCTSkip("SWIFTLET_SKIP_DUAL_MODE=1")
        }
        let others = try SuiteRunner.Configuration.allSuites(in: testProject, targets: [.posix, .virtio])
            .filter { $0.app.directory != testProject.runtimeSuite && $0.app.directory != testProject.deviceSuite }
        XCTAssertFalse(others.isEmpty, "no other suites under Tests/DualMode")
        for configuration in others {
            let log = Log(verbose: false, output: { line in print(line) })
            let report = SuiteRunner(project: testProject, configuration: configuration, log: log).run()
            recordTotals(report)
            let failures = report.lines.filter { $0.hasPrefix("FAIL") }
            XCTAssertEqual(report.failed, 0, "\(configuration.app.name) failed:\n" + failures.joined(separator: "\n"))
            XCTAssertGreaterThan(report.passed, 0, configuration.app.name)
            XCTAssertTrue(report.lines.contains("ok [both] transcripts match"), "\(configuration.app.name): transcripts differ")
        }
    }
}
