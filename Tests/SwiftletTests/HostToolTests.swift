import XCTest
@testable import SwiftletKit

/// The checkout this test file lives in.
let testProject = Project(root: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path)

final class AppResolutionTests: XCTestCase {
    func testSampleNameResolvesToItsFolder() throws {
        let app = try App.resolve("hello", in: testProject)
        XCTAssertEqual(app, App(directory: testProject.root + "/Samples/hello", name: "hello"))
    }

    func testPathsResolveFromTheCurrentDirectory() throws {
        let app = try App.resolve("Samples/hello", in: testProject, currentDirectory: testProject.root)
        XCTAssertEqual(app.directory, testProject.root + "/Samples/hello")
        let relative = try App.resolve("../hello/", in: testProject, currentDirectory: testProject.root + "/Samples/exit-code")
        XCTAssertEqual(relative.name, "hello")
    }

    func testDualModeFoldersGetATestPrefix() throws {
        let app = try App.resolve("Tests/DualMode/runtime", in: testProject, currentDirectory: testProject.root)
        XCTAssertEqual(app.name, "test-runtime")
    }

    func testUnknownAppIsOneClearError() {
        XCTAssertThrowsError(try App.resolve("no-such-app", in: testProject)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("swiftlet: error: unknown app 'no-such-app'; give a sample name (hello"), text)
            XCTAssertFalse(text.contains("\n"))
        }
    }
}

final class SubprocessTests: XCTestCase {
    func testExitStatusIsReturned() throws {
        var child = Subprocess(["sh", "-c", "echo out; echo err >&2; exit 7"])
        child.stdout = .capture
        child.stderr = .capture
        let result = try child.run()
        XCTAssertEqual(result.termination, .exited(7))
        XCTAssertEqual(result.stdoutText, "out\n")
        XCTAssertEqual(result.stderrText, "err\n")
    }

    func testSignalDeathIs128PlusSignal() throws {
        var child = Subprocess(["sh", "-c", "kill -SEGV $$"])
        child.stdout = .discard
        XCTAssertEqual(try child.run().termination.shellStatus, 128 + 11)
    }

    func testTimeoutKillsTheChild() throws {
        var child = Subprocess(["sleep", "30"])
        child.timeout = 0.3
        let start = Date()
        let result = try child.run()
        XCTAssertTrue(result.timedOut)
        XCTAssertEqual(result.termination, .signaled(9))
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testMissingProgramIs127() {
        XCTAssertThrowsError(try Subprocess(["no-such-program-swiftlet"]).run()) { error in
            XCTAssertEqual((error as? SwiftletError)?.status, 127)
        }
    }
}

final class HostSetupTests: XCTestCase {
    func testWithoutRootTheExactCommandIsPrinted() throws {
        try XCTSkipIf(Subprocess.which("dpkg-query") == nil, "not a Debian host")
        let setup = HostSetup(log: Log(), required: ["make", "swiftlet-no-such-package"], isRoot: false)
        XCTAssertThrowsError(try setup.installMissingPackages()) { error in
            XCTAssertEqual("\(error)", "swiftlet: error: missing packages: swiftlet-no-such-package; run: "
                + "sudo apt-get update && sudo apt-get install -y --no-install-recommends swiftlet-no-such-package")
        }
    }

    func testInstalledPackagesAreRecognised() throws {
        try XCTSkipIf(Subprocess.which("dpkg-query") == nil, "not a Debian host")
        let setup = HostSetup(log: Log(), isRoot: false)
        XCTAssertTrue(try setup.isInstalled("dpkg"))
        XCTAssertFalse(try setup.isInstalled("swiftlet-no-such-package"))
    }
}
