import Foundation
import XCTest
@testable import SwiftletKit

/// The host's log lines (``LogLine``, the CLI's own messages) have the libOS's shape (`Sources/Runtime/Log.swift`):
/// for the inputs of the runtime suite's `log.text-and-json-lines` test, the host formatter gives exactly the strings
/// that test expects of the libOS formatter, and each string is found in that test's source (so changing one side
/// fails here).
final class LogLineTests: XCTestCase {
    static let cases: [(LogLine.Level, String, String, Int64, LogLine.Format, String)] = [
        (.warning, "net", "arp: conflict for 10.0.0.2", 12_000_345_678, .text,
         "[12.000345] warning net: arp: conflict for 10.0.0.2"),
        (.info, "kv", "key \"a\\b\"\n\tnext\u{1}", 1_500, .json,
         #"{"time":0.000001,"level":"info","subsystem":"kv","message":"key \"a\\b\"\n\tnext\u0001"}"#),
        (.error, "swiftlet", "unknown app 'x'; give a sample name", 3_000_000_999, .text,
         "[3.000000] error swiftlet: unknown app 'x'; give a sample name"),
    ]

    func testHostLinesMatchTheLibOSLinesForTheSameInput() throws {
        let source = try String(
            contentsOfFile: testProject.root + "/Tests/DualMode/runtime/ObservabilityTests.swift", encoding: .utf8)
        for (level, subsystem, message, nanoseconds, format, expected) in Self.cases {
            let line = LogLine.format(level, subsystem, message, elapsedNanoseconds: nanoseconds, as: format)
            XCTAssertEqual(line, expected)
            // The libOS test states the same expectation: as a plain or a raw string literal.
            XCTAssertTrue(source.contains("\"\(expected)\"") || source.contains("#\"\(expected)\"#"),
                          "the runtime suite's log.text-and-json-lines no longer expects \(expected)")
        }
    }

    func testTimesHaveSixDecimalsAndNeverGoNegative() {
        XCTAssertEqual(LogLine.format(.debug, "swiftlet", "m", elapsedNanoseconds: 0, as: .text), "[0.000000] debug swiftlet: m")
        XCTAssertEqual(LogLine.format(.info, "swiftlet", "m", elapsedNanoseconds: -5, as: .text), "[0.000000] info swiftlet: m")
        XCTAssertEqual(LogLine.format(.info, "s", "m", elapsedNanoseconds: 61_000_010_000, as: .text), "[61.000010] info s: m")
    }

    func testTheCommandsOwnLinesAreLogLines() {
        let line = LogLine.now(.info, "swiftlet", "building hello for virtio...")
        XCTAssertNotNil(line.range(of: #"^\[[0-9]+\.[0-9]{6}\] info swiftlet: building hello for virtio\.\.\.$"#,
                                   options: .regularExpression), line)
    }
}
