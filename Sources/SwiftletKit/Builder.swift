import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How images are compiled (mk/image.mk's `PROFILE`).
public enum BuildProfile: String, Sendable, CaseIterable {
    /// `-Osize`, frame pointers and line tables (for symbolized crash reports): what ships.
    case release
    /// `--debug`: `-Onone -g`, for a debugger (docs/DEBUGGING.md); built in its own folder.
    case debug
}

/// Builds images with `make -f mk/image.mk` (the one build recipe; see its header).
public struct Builder {
    public var project: Project
    public var log: Log
    public var profile: BuildProfile
    /// A test image (mk/image.mk's `TESTS=1`): a ``TestableApplication``'s tests and the harness are linked only
    /// into these, which `swiftlet.test=...` runs; an ordinary image leaves them out (docs/BENCHMARKS.md,
    /// footprint). Built beside the ordinary image, never over it.
    public var tests: Bool
    /// Link the sampling profiler (mk/image.mk `PROFILER=1`; `swiftlet profile`): the image goes to its own folder
    /// (`<app>-profiler`), so the image without it is never replaced.
    public var profiler = false

    public init(project: Project, log: Log, profile: BuildProfile = .release, tests: Bool = false,
                profiler: Bool = false) {
        self.project = project
        self.log = log
        self.profile = profile
        self.tests = tests
        self.profiler = profiler
    }

    /// Whether `bootArguments` ask for the app's tests (`swiftlet.test=...`): `run` and `debug` then build a test image.
    public static func wantsTests(_ bootArguments: [String]) -> Bool {
        bootArguments.contains { $0.hasPrefix("swiftlet.test=") }
    }

    /// Where this profile's images go: release in ``Project/buildDirectory``, debug beside it, so a debug build
    /// never replaces a release image.
    public var outputDirectory: String {
        profile == .release ? project.buildDirectory : project.debugBuildDirectory
    }

    /// The `make` command line for `app` and `target`, before any goal.
    public func makeCommand(_ app: App, target: Target) -> [String] {
        var command = ["make"]
        if !log.verbose { command.append("-s") }
        command += ["-f", project.makefile, "TARGET=\(target.rawValue)", "APP=\(app.directory)",
                    "APPNAME=\(app.name)", "OUT=\(outputDirectory)"]
        if profile != .release { command.append("PROFILE=\(profile.rawValue)") }
        if tests { command.append("TESTS=1") }
        if profiler { command.append("PROFILER=1") }
        if let package = app.packageDirectory {
            let output = PackageApp.outputDirectory(package: package, app: app.name, target: target,
                                                    profile: profile, tests: tests) + (profiler ? "-profiler" : "")
            command.append("APPOUT=" + output)
            if !app.modules.isEmpty { command.append("PACKAGE_MODULES=" + Self.modulesFile(in: output)) }
        }
        return command
    }

    /// Where ``writeModules(_:target:)`` puts the app's module list for mk/image.mk.
    static func modulesFile(in output: String) -> String { output + "/modules.mk" }

    /// mk/image.mk's description of the package modules an app compiles in (`PACKAGE_MODULES=FILE`): their names in
    /// dependency order and each one's sources. Paths with spaces cannot be make words, so they are refused.
    static func modulesMakefile(_ modules: [PackageModule]) throws -> String {
        var text = "# Written by swiftlet build: the package modules of this app, dependencies first (docs/PACKAGES.md §3).\n"
        text += "PACKAGE_MODULE_NAMES := " + modules.map(\.name).joined(separator: " ") + "\n"
        for module in modules {
            if let bad = module.sources.first(where: { $0.contains(" ") || $0.contains("$") || $0.contains("#") }) {
                throw SwiftletError("the path \(bad) (module \(module.name)) has a space, $ or #, which make cannot build",
                                    remedy: "move the package to a path without them", status: 2)
            }
            text += "PACKAGE_MODULE_SRC_\(module.name) := " + module.sources.joined(separator: " ") + "\n"
        }
        return text
    }

    /// Writes the app's module list where ``makeCommand(_:target:)`` points mk/image.mk (only when it changed, so
    /// make does not rebuild for nothing).
    func writeModules(_ app: App, target: Target) throws {
        guard let package = app.packageDirectory, !app.modules.isEmpty else { return }
        let output = PackageApp.outputDirectory(package: package, app: app.name, target: target, profile: profile,
                                                tests: tests)
        let file = Self.modulesFile(in: output)
        let text = try Self.modulesMakefile(app.modules)
        if (try? String(contentsOfFile: file, encoding: .utf8)) == text { return }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
    }

    /// Builds `app` for `target` and returns the path of its image (the `.elf`).
    ///
    /// Prints one progress line; with `--verbose` make runs without `-s` and
    /// its output streams. Otherwise output is shown only when the build fails.
    /// - Parameter quiet: no progress line (the test runner prints its own).
    /// - Throws: ``SwiftletError`` when make is missing or the build fails.
    public func build(_ app: App, target: Target, quiet: Bool = false) throws -> String {
        guard Subprocess.which("make") != nil else {
            throw SwiftletError("make not found", remedy: "run ./swiftlet setup", status: 127)
        }
        try Manifest.load(appDirectory: app.directory).check(target: target, appName: app.name)
        let kind = (profile == .release ? "" : " (\(profile.rawValue))") + (tests ? " with its tests" : "")
        if !quiet { log.progress("building \(app.name) for \(target.rawValue)\(kind)...") }
        // Several builds may share OUT (a `swift test` and a `./swiftlet run`): one at a time per target.
        let lock = try BuildLock(path: "\(outputDirectory)/\(target.rawValue).lock") {
            log.progress("waiting for another build for \(target.rawValue) to finish...")
        }
        defer { lock.release() }
        try writeModules(app, target: target)
        let command = makeCommand(app, target: target)
        log.command(command)
        var make = Subprocess(command)
        make.nullStdin = true
        make.forwardSignals = true
        if log.verbose {
            make.stdout = .inherit
            make.stderr = .toStdout
        } else {
            make.stdout = .capture
            make.stderr = .toStdout
        }
        let result = try make.run()
        if result.interruptedBy != nil {
            throw SwiftletError("interrupted", status: result.termination.shellStatus)
        }
        guard result.termination == .exited(0) else {
            if !log.verbose {
                let text = result.stdoutText
                if !text.isEmpty { Log.standardError(text.hasSuffix("\n") ? String(text.dropLast()) : text) }
            }
            throw SwiftletError("building \(app.name) for \(target.rawValue) failed (make \(result.termination))",
                                remedy: "fix the errors above (rerun with --verbose to see every command)")
        }
        var print = Subprocess(makeCommand(app, target: target) + ["print-image"])
        if !print.arguments.contains("-s") { print.arguments.insert("-s", at: 1) }
        print.stdout = .capture
        print.stderr = .capture
        print.nullStdin = true
        let printed = try print.run()
        let image = printed.stdoutText.split(separator: "\n").last.map(String.init) ?? ""
        guard printed.termination == .exited(0), !image.isEmpty, FileManager.default.fileExists(atPath: image) else {
            throw SwiftletError("the build of \(app.name) for \(target.rawValue) produced no image (\(image))",
                                remedy: "check mk/image.mk's print-image goal")
        }
        return image
    }
}

/// An exclusive `flock` on a file under the build folder, held for the length of a build.
struct BuildLock {
    let fd: Int32

    /// Takes the lock, calling `waiting` once if someone else holds it.
    init(path: String, waiting: () -> Void) throws {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SwiftletError("cannot open \(path): \(String(cString: strerror(errno)))",
                                remedy: "check that the build folder is writable")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            waiting()
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
