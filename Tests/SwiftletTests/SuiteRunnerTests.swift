import XCTest
@testable import SwiftletKit

/// The checks the suite runner applies to a `swiftlet.test=all` run, without building anything.
final class SuiteRunnerTests: XCTestCase {
    let runner = SuiteRunner(project: testProject,
                             configuration: .init(app: App(directory: "/nowhere", name: "x"), targets: [.posix]),
                             log: Log(output: { _ in }))

    func check(_ console: String, status: Int32 = 0) -> String? {
        let lines = Transcript.lines(of: console)
        var header: Int?, summary: (passed: Int, failed: Int)?, ok = 0, fail = 0, faults = 0
        for line in lines {
            switch Transcript.parse(line) {
            case .header(let count): header = count
            case .ok: ok += 1
            case .fail: fail += 1
            case .faultTest: faults += 1
            case .summary(let p, let f): summary = (p, f)
            case .other: break
            }
        }
        return runner.checkAllRun(RunOutcome(status: status, console: console), lines: lines, header: header,
                                  summary: summary, seen: (ok, fail), faultTests: faults)
    }

    func testCleanRunPasses() {
        XCTAssertNil(check("boot\nswiftlet-test: 3 tests\nok a\napp says hi\nok b [2 ms]\nfault-test c expects 254\n2 passed, 0 failed\n"))
        XCTAssertNil(check("swiftlet-test: 1 tests\nFAIL a: no\n0 passed, 1 failed\n", status: 1))
    }

    func testMissingHeaderIsReported() {
        XCTAssertEqual(check("hello\n")?.hasPrefix("no 'swiftlet-test: N tests' line"), true)
    }

    func testMissingSummaryIsReported() {
        XCTAssertEqual(check("swiftlet-test: 1 tests\nok a\n", status: 254)?.hasPrefix("no 'P passed, F failed' line; exit status 254"), true)
    }

    func testSummaryMustMatchTheLines() {
        XCTAssertNotNil(check("swiftlet-test: 2 tests\nok a\nok b\n3 passed, 0 failed\n"))
        XCTAssertNotNil(check("swiftlet-test: 5 tests\nok a\n1 passed, 0 failed\n"))
    }

    func testPcapFilesArePerTarget() {
        XCTAssertEqual(SuiteRunner.pcapPath("/tmp/s.pcap", target: .posix), "/tmp/s.posix.pcap")
        XCTAssertEqual(SuiteRunner.pcapPath("s.pcap", target: .virtio), "s.virtio.pcap")
        XCTAssertEqual(SuiteRunner.pcapPath("dir/s", target: .virtio), "dir/s.virtio")
    }

    func testExitStatusMustMatchTheSummary() {
        XCTAssertNotNil(check("swiftlet-test: 1 tests\nok a\n1 passed, 0 failed\n", status: 1))
        XCTAssertNotNil(check("swiftlet-test: 1 tests\nFAIL a: x\n0 passed, 1 failed\n", status: 0))
    }
}

final class ParserMessageTests: XCTestCase {
    func testArgumentParserErrorsBecomeOneLine() {
        XCTAssertEqual(
            SwiftletError.oneLine(parserMessage: "Error: The value 'foo' is invalid for '--target <target>'. Please provide one of 'posix' and 'virtio'.\nUsage: swiftlet build <app> --target <target>\n  See 'swiftlet build --help' for more information."),
            "swiftlet: error: the value 'foo' is invalid for '--target <target>'; please provide one of 'posix' and 'virtio'")
        XCTAssertEqual(SwiftletError.oneLine(parserMessage: "Error: Missing expected argument '--target <target>'\nHelp: ..."),
                       "swiftlet: error: missing expected argument '--target <target>'; see 'swiftlet help'")
    }
}
