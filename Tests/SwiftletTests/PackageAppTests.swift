import XCTest
@testable import SwiftletKit

/// Apps as Swift packages (docs/PACKAGES.md): reading a package's manifest, `swiftlet new`'s names and files.
final class PackageAppTests: XCTestCase {
    /// `swift package dump-package` JSON, trimmed to what ``PackageApp/parse(dumpedManifest:root:)`` reads.
    func dump(_ targets: String) -> [UInt8] {
        Array("{\"name\":\"p\",\"targets\":[\(targets)]}".utf8)
    }

    func testTheExecutableTargetIsTheApp() throws {
        let root = NSTemporaryDirectory() + "package-app-\(getpid())"
        try FileManager.default.createDirectory(atPath: root + "/Sources/Echo", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        FileManager.default.createFile(atPath: root + "/Sources/Echo/Echo.swift", contents: Data("import Runtime\n".utf8))
        let app = try PackageApp.parse(dumpedManifest: dump("""
            {"name":"Echo","type":"executable","path":null,"dependencies":[
              {"product":["Runtime","swiftlet",null,null]},{"product":["Net","swiftlet",null,null]}]}
            """), root: root)
        XCTAssertEqual(app, PackageApp(root: root, target: "Echo", sourceDirectory: root + "/Sources/Echo"))
        XCTAssertEqual(app.app, App(directory: root + "/Sources/Echo", name: "Echo", packageDirectory: root))
        let builder = Builder(project: testProject, log: Log(verbose: false))
        XCTAssertTrue(builder.makeCommand(app.app, target: .virtio).contains("APPOUT=\(root)/.build-swiftlet/virtio/Echo"))
        XCTAssertFalse(builder.makeCommand(App(directory: "/x", name: "x"), target: .posix).contains { $0.hasPrefix("APPOUT=") })
        // A test image (tests linked in) goes beside the app's own image, never over it.
        let tests = Builder(project: testProject, log: Log(verbose: false), tests: true)
        XCTAssertTrue(tests.makeCommand(app.app, target: .virtio).contains("APPOUT=\(root)/.build-swiftlet/virtio-tests/Echo"))
        XCTAssertTrue(tests.makeCommand(app.app, target: .virtio).contains("TESTS=1"))
        XCTAssertFalse(builder.makeCommand(app.app, target: .virtio).contains("TESTS=1"))
    }

    /// `run` and `debug` build a test image exactly when the boot arguments select tests.
    func testTestImagesAreBuiltWhenTheBootArgumentsSelectTests() {
        XCTAssertTrue(Builder.wantsTests(["a=1", "swiftlet.test=all"]))
        XCTAssertTrue(Builder.wantsTests(["swiftlet.test=clock.monotonic"]))
        XCTAssertFalse(Builder.wantsTests(["a=1", "name=swiftlet.test=x"]))
        XCTAssertFalse(Builder.wantsTests([]))
    }

    func testPackagesSwiftletCannotBuildAreRefusedWithTheReason() {
        func problem(_ targets: String) -> String {
            do {
                _ = try PackageApp.parse(dumpedManifest: dump(targets), root: "/p")
                return "accepted"
            } catch let error as SwiftletError {
                return error.problem
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(problem(#"{"name":"L","type":"regular","dependencies":[]}"#),
                       "/p/Package.swift declares no executable target")
        XCTAssertEqual(problem(#"{"name":"A","type":"executable","dependencies":[]},{"name":"B","type":"executable","dependencies":[]}"#),
                       "/p/Package.swift declares several executable targets (A, B)")
        XCTAssertTrue(problem(#"{"name":"A","type":"executable","path":"App","dependencies":[]}"#)
            .hasPrefix("target A of /p/Package.swift has no Swift sources in /p/App"))
    }

    /// Dependencies other than the libOS products are recorded for ``PackageGraph`` (they no longer refuse the app).
    func testOtherDependenciesAreRecordedForTheGraph() throws {
        let root = NSTemporaryDirectory() + "package-deps-\(getpid())"
        try FileManager.default.createDirectory(atPath: root + "/Sources/A", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        FileManager.default.createFile(atPath: root + "/Sources/A/A.swift", contents: Data("import Runtime\n".utf8))
        let app = try PackageApp.parse(dumpedManifest: dump(#"""
            {"name":"A","type":"executable","dependencies":[{"byName":["Helpers",null]},
              {"product":["Runtime","swiftlet",null,null]},{"product":["Shout","shout",null,null]}]}
            """#), root: root)
        XCTAssertEqual(app.dependencyNames, ["Helpers", "Shout"])
    }

    func testNewPackageNames() throws {
        XCTAssertEqual(NewPackage(project: testProject, name: "my-first_app", template: .hello, parent: "/tmp").targetName,
                       "MyFirstApp")
        for bad in ["", "9lives", "a b", "ä", "x/y", "store", "net", String(repeating: "a", count: 65)] {
            XCTAssertThrowsError(try NewPackage.validate(name: bad), bad)
        }
        XCTAssertNoThrow(try NewPackage.validate(name: "kv-service"))
        let inside = NewPackage(project: testProject, name: "mine", template: .hello, parent: testProject.root + "/Samples")
        XCTAssertThrowsError(try inside.create()) { error in
            XCTAssertTrue((error as? SwiftletError)?.problem.contains("inside the Swiftlet checkout") == true)
        }
    }

    /// Every template renders: no placeholder left, the products the sources import, a three-line README.
    func testTemplatesRender() throws {
        let parent = NSTemporaryDirectory() + "templates-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: parent) }
        for template in PackageTemplate.allCases {
            let made = try NewPackage(project: testProject, name: "t-\(template.rawValue)", template: template,
                                      parent: parent).create()
            let target = "T" + template.rawValue.prefix(1).uppercased() + template.rawValue.dropFirst()
            for file in ["Package.swift", "README.md", ".gitignore", "Sources/\(target)/App.swift",
                         "Sources/\(target)/Tests.swift", "Sources/\(target)/manifest.json"] {
                let text = try String(contentsOfFile: made + "/" + file, encoding: .utf8)
                XCTAssertFalse(text.contains("{{") || text.contains("__Target__"), "\(template) \(file): a placeholder left")
            }
            let manifest = try String(contentsOfFile: made + "/Package.swift", encoding: .utf8)
            XCTAssertTrue(manifest.contains("name: \"\(target)\""), "\(template): target name")
            XCTAssertEqual(manifest.contains("\"Net\""), template != .hello, "\(template): Net product")
            XCTAssertEqual(manifest.contains("\"Store\""), template == .kv, "\(template): Store product")
            let readme = try String(contentsOfFile: made + "/README.md", encoding: .utf8)
            XCTAssertEqual(readme.split(separator: "\n").count, 3, "\(template): README lines")
        }
    }
}

/// `swiftlet new` end to end: a fresh package type-checks with `swift build` and passes `swiftlet test` (run in the
/// package's folder, no app named) in both modes. About a minute (QEMU under TCG); SWIFTLET_SKIP_DUAL_MODE=1 skips it.
final class NewPackageEndToEndTests: XCTestCase {
    func run(_ command: String, in directory: String) throws -> (status: Int32, output: String) {
        var child = Subprocess(["sh", "-c", "cd '\(directory)' && \(command) 2>&1"])
        child.stdout = .capture
        child.stderr = .capture
        child.timeout = 480
        let result = try child.run()
        return (result.termination.shellStatus, result.stdoutText)
    }

    func testAFreshPackageBuildsAndPassesItsTestsInBothModes() throws {
        if ProcessInfo.processInfo.environment["SWIFTLET_SKIP_DUAL_MODE"] == "1" {
            throw XCTSkip("SWIFTLET_SKIP_DUAL_MODE=1")
        }
        let parent = NSTemporaryDirectory() + "new-package-\(getpid())"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let swiftlet = testProject.root + "/swiftlet"
        let made = try run("'\(swiftlet)' new probe --path '\(parent)'", in: parent)
        XCTAssertEqual(made.status, 0, made.output)
        let package = parent + "/probe"
        // SwiftPM type-checks the app against Runtime (Embedded Swift); its link step makes a relocatable object.
        let build = try run("swift build", in: package)
        XCTAssertEqual(build.status, 0, build.output)
        let tested = try run("'\(swiftlet)' test", in: package)
        XCTAssertEqual(tested.status, 0, tested.output)
        for line in ["ok [posix] greeting", "ok [virtio] greeting", "ok [virtio] sleep", "ok [both] transcripts match"] {
            XCTAssertTrue(tested.output.contains(line), "missing '\(line)' in:\n" + tested.output)
        }
        // `swiftlet test` builds the test image, kept apart from the ordinary one (`<target>-tests/`).
        XCTAssertTrue(FileManager.default.fileExists(atPath: package + "/.build-swiftlet/virtio-tests/Probe/Probe.elf"),
                      "the test image is built in the package")
    }

    /// docs/PACKAGES.md §3: an app package with a library target of its own that depends on another package's
    /// product (by path) builds with `swift build` and runs in both modes, the modules compiled into the image.
    func testAPackageWithLibraryTargetsAndADependencyRunsInBothModes() throws {
        if ProcessInfo.processInfo.environment["SWIFTLET_SKIP_DUAL_MODE"] == "1" {
            throw XCTSkip("SWIFTLET_SKIP_DUAL_MODE=1")
        }
        let parent = NSTemporaryDirectory() + "package-modules-\(getpid())"
        try FileManager.default.createDirectory(atPath: parent + "/shout/Sources/Shout", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let swiftlet = testProject.root + "/swiftlet"
        let made = try run("'\(swiftlet)' new probe --path '\(parent)'", in: parent)
        XCTAssertEqual(made.status, 0, made.output)
        // A pure-Swift package of its own, vending a product.
        try """
            // swift-tools-version:6.1
            import PackageDescription
            let package = Package(name: "shout", products: [.library(name: "Shout", targets: ["Shout"])],
                                  targets: [.target(name: "Shout", swiftSettings: [.enableExperimentalFeature("Embedded")])],
                                  swiftLanguageModes: [.v5])
            """.write(toFile: parent + "/shout/Package.swift", atomically: true, encoding: .utf8)
        try """
            /// Upper-cases ASCII letters and adds an exclamation mark.
            public func shout(_ text: String) -> String {
                String(decoding: text.utf8.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self) + "!"
            }
            """.write(toFile: parent + "/shout/Sources/Shout/Shout.swift", atomically: true, encoding: .utf8)
        // The app's own library target, using it.
        let package = parent + "/probe"
        try FileManager.default.createDirectory(atPath: package + "/Sources/Greeting", withIntermediateDirectories: true)
        try """
            import Shout
            /// A greeting, shouted.
            public func loudGreeting(_ name: String) -> String { shout("hello, " + name) }
            """.write(toFile: package + "/Sources/Greeting/Greeting.swift", atomically: true, encoding: .utf8)
        var manifest = try String(contentsOfFile: package + "/Package.swift", encoding: .utf8)
        manifest = manifest.replacingOccurrences(of: "\n    dependencies: [\n", with: "\n    dependencies: [\n        .package(path: \"../shout\"),\n")
        manifest = manifest.replacingOccurrences(of: "\n    targets: [\n", with: """

                targets: [
                    .target(name: "Greeting", dependencies: [.product(name: "Shout", package: "shout")],
                            swiftSettings: [.enableExperimentalFeature("Embedded")]),

            """)
        manifest = manifest.replacingOccurrences(of: "\n            dependencies: [\n", with: "\n            dependencies: [\n                \"Greeting\",\n")
        try manifest.write(toFile: package + "/Package.swift", atomically: true, encoding: .utf8)
        var app = try String(contentsOfFile: package + "/Sources/Probe/App.swift", encoding: .utf8)
        app = app.replacingOccurrences(of: "import Runtime\n", with: "import Greeting\nimport Runtime\n")
        app = app.replacingOccurrences(of: "        print(greeting(for: arguments[\"name\"]))\n",
                                       with: "        print(greeting(for: arguments[\"name\"]))\n        print(loudGreeting(\"modules\"))\n")
        try app.write(toFile: package + "/Sources/Probe/App.swift", atomically: true, encoding: .utf8)

        let build = try run("swift build", in: package)
        XCTAssertEqual(build.status, 0, build.output + "\n" + manifest)
        for target in ["posix", "virtio"] {
            let ran = try run("'\(swiftlet)' run --target \(target)", in: package)
            XCTAssertEqual(ran.status, 0, ran.output)
            XCTAssertTrue(ran.output.contains("HELLO, MODULES!"), "\(target): no shouted line in:\n" + ran.output)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: package + "/.build-swiftlet/virtio/Probe/modules/Shout.o"),
                      "the dependency's module is compiled with the app's objects")
    }
}
