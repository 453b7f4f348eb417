import XCTest
@testable import SwiftletKit

/// A short run of every fuzz harness (docs/FUZZING.md): `bench/fuzz.sh` builds the host fuzz binary (the libOS's
/// parsers under libFuzzer and AddressSanitizer, bounds checks kept; at -Onone in .build-fuzz-smoke, which halves
/// the build) and runs each harness from the seed corpus for a few seconds, two at a time. It fails on any finding
/// (crash, timeout, leak) and unless every harness ran inputs and reached coverage. Longer runs: `bench/fuzz.sh 600`.
final class FuzzSmokeTests: XCTestCase {
    func testEveryFuzzHarnessRunsFromTheSeedCorpusWithoutFindings() throws {
        let toolchain = URL(fileURLWithPath: try XCTUnwrap(Subprocess.which("swiftc"), "swiftc is on PATH"))
            .deletingLastPathComponent().deletingLastPathComponent().path
        let runtimes = (try? FileManager.default.subpathsOfDirectory(atPath: toolchain + "/lib/clang")) ?? []
        try XCTSkipUnless(
            runtimes.contains { $0.hasSuffix("libclang_rt.fuzzer-x86_64.a") },
            "the toolchain at \(toolchain) ships no libFuzzer runtime (lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a)")
        var process = Subprocess(["bash", testProject.root + "/bench/fuzz.sh", "4"])
        process.environment["FUZZ_JOBS"] = "2"
        // -Onone halves the build (about a minute) and keeps the checks; bench/fuzz.sh itself builds with -O.
        process.environment["FUZZ_SWIFT_OPT"] = "-Onone"
        process.environment["FUZZ_OUT"] = testProject.root + "/.build-fuzz-smoke"
        process.nullStdin = true
        process.stdout = .capture
        process.stderr = .toStdout
        process.timeout = 600
        let result = try process.run()
        let output = result.stdoutText
        print(output)
        XCTAssertFalse(result.timedOut, "bench/fuzz.sh timed out")
        XCTAssertEqual(result.termination, .exited(0), "bench/fuzz.sh found something or failed (output above)")
        let harnesses = try FileManager.default.contentsOfDirectory(atPath: testProject.root + "/Tests/Fuzz/corpus")
        XCTAssertGreaterThanOrEqual(harnesses.count, 15)
        for harness in harnesses {
            let line = output.split(separator: "\n").first { $0.hasPrefix(harness + " ") }
            let fields = line.map { $0.split(separator: " ") } ?? []
            // harness inputs execs/s cov ft corpus outcome
            XCTAssertEqual(fields.count, 7, "a result line for \(harness)")
            guard fields.count == 7 else { continue }
            XCTAssertGreaterThan(Int(fields[1]) ?? 0, 0, "\(harness) ran inputs")
            XCTAssertGreaterThan(Int(fields[3]) ?? 0, 20, "\(harness) reached coverage")
            XCTAssertEqual(fields[6], "ok", "\(harness) found nothing")
        }
    }
}
