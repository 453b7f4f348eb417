import XCTest
@testable import SwiftletKit

/// The checks that live outside the dual-mode suite, run from `swift test` so that one
/// command runs everything: the posix platform's own probes (sandbox facts such as
/// "pread on a non-block fd is stopped", device option refusals, TAP in a namespace) and
/// the interop suite against the Linux kernel in network namespaces (needs root; skipped
/// with a message otherwise). Their output goes to the test log as it comes.
final class PlatformChecksTests: XCTestCase {
    func run(_ arguments: [String], timeout: Double) throws -> Subprocess.Result {
        var process = Subprocess(arguments)
        process.nullStdin = true
        process.stdout = .inherit
        process.stderr = .toStdout
        process.timeout = timeout
        return try process.run()
    }

    func skipIfDualModeIsOff() throws {
        if ProcessInfo.processInfo.environment["SWIFTLET_SKIP_DUAL_MODE"] == "1" {
            throw XCTSkip("SWIFTLET_SKIP_DUAL_MODE=1")
        }
    }

    func testPosixPlatformProbesPass() throws {
        try skipIfDualModeIsOff()
        let result = try run(["sh", testProject.root + "/Sources/Platform/Posix/check/check.sh"], timeout: 600)
        XCTAssertFalse(result.timedOut, "check.sh timed out")
        XCTAssertEqual(result.termination, .exited(0), "Sources/Platform/Posix/check/check.sh failed")
    }

    func testInteropWithTheLinuxKernelPassesInBothModes() throws {
        try skipIfDualModeIsOff()
        try XCTSkipUnless(getuid() == 0, "interop needs root (network namespaces, TAP): run swift test as root")
        try XCTSkipIf(Subprocess.which("ip") == nil, "interop needs iproute2: run ./swiftlet setup")
        let result = try run(["bash", testProject.root + "/Tests/Interop/run.sh", "both"], timeout: 2400)
        XCTAssertFalse(result.timedOut, "Tests/Interop/run.sh timed out")
        XCTAssertEqual(result.termination, .exited(0), "Tests/Interop/run.sh failed")
    }
}
