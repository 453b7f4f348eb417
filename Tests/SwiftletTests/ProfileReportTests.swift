import XCTest
@testable import SwiftletKit

/// `swiftlet profile`'s readers: prod's `swiftlet-profile:` dump and dev's `perf script` output (docs/PROFILING.md).
final class ProfileReportTests: XCTestCase {
    func testADumpIsReadWithItsHeaderCountsAndAddresses() throws {
        let lines = [
            "hello",
            "swiftlet-profile: begin hz=499 samples=7 dropped=2 depth=32",
            "swiftlet-profile: 5 0x1244eb 0x110c20 0x100132",
            "swiftlet-profile: 2 0x101573",
            "swiftlet-profile: end",
        ]
        let (header, samples) = try ProfileReport.parseDump(lines)
        XCTAssertEqual(header.hz, 499)
        XCTAssertEqual(header.samples, 7)
        XCTAssertEqual(header.dropped, 2)
        XCTAssertEqual(samples, [.init(count: 5, addresses: [0x1244eb, 0x110c20, 0x100132]),
                                 .init(count: 2, addresses: [0x101573])])
    }

    func testAMalformedLineOrNoDumpIsAnError() {
        XCTAssertThrowsError(try ProfileReport.parseDump(["swiftlet-profile: begin hz=1 samples=1 dropped=0",
                                                          "swiftlet-profile: 1 0xzz"]))
        XCTAssertThrowsError(try ProfileReport.parseDump(["no profile here"]))
    }

    func testPerfScriptStacksFoldOutermostFirstAndCount() throws {
        let text = """
                      4011a0 inner
                      4011b0 outer+0x10
                      4011c0 main

                      4011a0 inner
                      4011b0 outer+0x10
                      4011c0 main

                      4011d0 other+0x4
                      4011c0 main

            """
        let report = try ProfileReport.fold(perfScript: text, symbolizer: try Symbolizer(image: "/dev/null"))
        XCTAssertEqual(report.samples, 3)
        XCTAssertEqual(report.folded, "main;outer;inner 2\nmain;other 1\n")
        XCTAssertEqual(report.top(1).first?.function, "inner")
        XCTAssertEqual(report.inclusive(1).first?.function, "main")
    }
}
