import XCTest
@testable import SwiftletKit

final class TranscriptTests: XCTestCase {
    func testHarnessLinesParse() {
        XCTAssertEqual(Transcript.parse("swiftlet-test: 12 tests"), .header(count: 12))
        XCTAssertEqual(Transcript.parse("ok clock.monotonic"), .ok(name: "clock.monotonic"))
        XCTAssertEqual(Transcript.parse("ok sleep.one-second [1003 ms]"), .ok(name: "sleep.one-second"))
        XCTAssertEqual(Transcript.parse("FAIL heap.big: expected 3, got 4 [2 ms]"),
                       .fail(name: "heap.big", message: "expected 3, got 4"))
        XCTAssertEqual(Transcript.parse("fault-test memory.page-zero expects 254"),
                       .faultTest(name: "memory.page-zero", expectedStatus: 254))
        XCTAssertEqual(Transcript.parse("11 passed, 1 failed"), .summary(passed: 11, failed: 1))
        XCTAssertEqual(Transcript.parse("hello from the app"), .other("hello from the app"))
        XCTAssertEqual(Transcript.parse("ok"), .other("ok"))
    }

    func testLinesDropCarriageReturnsAndEscapes() {
        let console = "\u{1B}c\u{1B}[2J\u{1B}[0;0Hswiftlet-test: 1 tests\r\nok a\r\n1 passed, 0 failed\r\n\r\n"
        XCTAssertEqual(Transcript.lines(of: console), ["swiftlet-test: 1 tests", "ok a", "1 passed, 0 failed"])
    }

    func testTimingSuffixIsStripped() {
        XCTAssertEqual(Transcript.strippingTiming("ok a [12 ms]"), "ok a")
        XCTAssertEqual(Transcript.strippingTiming("ok a"), "ok a")
        XCTAssertEqual(Transcript.strippingTiming("FAIL a: x [y] z"), "FAIL a: x [y] z")
    }

    func testFaultKindIsTheTextBeforeTheAddress() {
        XCTAssertEqual(Transcript.faultKind("swiftlet: memory fault: write of protected page at 0x1000 (rip 0x2000)"),
                       "memory fault: write of protected page")
        XCTAssertEqual(Transcript.faultKind("swiftlet: cpu trap: invalid opcode (rip 0x401000)"), "cpu trap: invalid opcode")
        XCTAssertEqual(Transcript.faultKind("swiftlet: abort: requested by the test"), "abort: requested by the test")
        // A device error's kind stops at the device's name: the broken part is mode-specific.
        XCTAssertEqual(Transcript.faultKind("swiftlet: device error: block device 'storage': request queue: used id 71 is not a buffer in flight"),
                       "device error: block device 'storage'")
        XCTAssertEqual(Transcript.faultKind("swiftlet: device error: block device 'storage': block file: read ended at byte 0 of a disk of 1048576"),
                       "device error: block device 'storage'")
        XCTAssertNil(Transcript.faultKind("ok a"))
    }

    func testNormalisationIgnoresTimingAddressesAndClocks() {
        XCTAssertEqual(Transcript.normalise("ok sleep [1001 ms]"), "ok sleep")
        XCTAssertEqual(Transcript.normalise("heap at 0xffff8000 grew"), "heap at 0x? grew")
        XCTAssertEqual(Transcript.normalise("wall clock 1795000000 s"), "wall clock <time>")
        XCTAssertEqual(Transcript.normalise("now 1795000000123"), "now #")
        XCTAssertEqual(Transcript.normalise("took 12ms and 3.5 s"), "took <time> and <time>")
        XCTAssertEqual(Transcript.normalise("expected 3, got 4"), "expected 3, got 4")
        XCTAssertEqual(Transcript.normalise("swiftlet: memory fault: read of unmapped page at 0x0 (rip 0x4011)"),
                       "swiftlet: memory fault: read of unmapped page")
        XCTAssertEqual(Transcript.normalise("sha1 a0x12"), "sha1 a0x12")
        XCTAssertEqual(Transcript.normalise("ok sleep.within-200ms [3 ms]"), "ok sleep.within-200ms")
        XCTAssertEqual(Transcript.normalise("FAIL sleep.within-200ms: took 250 ms"), "FAIL sleep.within-200ms: took <time>")
        XCTAssertEqual(Transcript.normalise("fault-test trap.x-1 expects 252"), "fault-test trap.x-1 expects 252")
    }

    func testSuiteSectionSkipsBootChatter() {
        let lines = ["SeaBIOS", "swiftlet: virtio boot", "swiftlet-test: 1 tests", "ok a", "1 passed, 0 failed", "after"]
        XCTAssertEqual(Transcript.suiteSection(lines), ["swiftlet-test: 1 tests", "ok a", "1 passed, 0 failed"])
        XCTAssertEqual(Transcript.suiteSection(["just", "output"]), ["just", "output"])
    }

    func testEqualTranscriptsHaveNoDiff() {
        XCTAssertEqual(Transcript.diff(["a", "b"], ["a", "b"]), [])
    }

    func testDiffShowsWhatEachSideHasAlone() {
        XCTAssertEqual(Transcript.diff(["a", "b", "c"], ["a", "x", "c"]), ["- b", "+ x"])
        XCTAssertEqual(Transcript.diff(["a"], ["a", "b"]), ["+ b"])
        XCTAssertEqual(Transcript.diff(["a", "b"], []), ["- a", "- b"])
    }

    func testDiffIsCutShort() {
        let a = (0..<50).map { "a\($0)" }
        let diff = Transcript.diff(a, [], limit: 5)
        XCTAssertEqual(diff.count, 6)
        XCTAssertEqual(diff.last, "... 45 more")
    }
}
