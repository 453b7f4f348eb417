import ArgumentParser
import Foundation
import SwiftletKit

extension Target: ExpressibleByArgument {}
extension Machine: ExpressibleByArgument {}
extension AccelChoice: ExpressibleByArgument {}

/// `--target posix|virtio|both` for `swiftlet test`.
enum TestTargets: String, CaseIterable, ExpressibleByArgument {
    case posix, virtio, both

    var targets: [Target] {
        switch self {
        case .posix: return [.posix]
        case .virtio: return [.virtio]
        case .both: return [.posix, .virtio]
        }
    }
}

/// A subcommand that returns the status `swiftlet` exits with.
protocol StatusCommand: ParsableCommand {
    func execute() throws -> Int32
}

extension StatusCommand {
    func run() throws {
        let status = try execute()
        if status != 0 { throw ExitCode(status) }
    }
}

struct Swiftlet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "Build, run and test Swiftlet unikernels in dev (posix) and prod (virtio) mode.",
        subcommands: [Setup.self, Build.self, Run.self, Test.self])
}

struct VerboseOption: ParsableArguments {
    @Flag(name: .long, help: "Print every command before running it.")
    var verbose = false
}

struct Setup: StatusCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install the Debian packages Swiftlet needs, then build hello for both targets.")

    @OptionGroup var options: VerboseOption

    func execute() throws -> Int32 {
        let project = try Project.locate()
        let log = Log(verbose: options.verbose)
        try HostSetup(log: log).installMissingPackages()
        let builder = Builder(project: project, log: log)
        let hello = try App.resolve("hello", in: project)
        for target in Target.allCases {
            let image = try builder.build(hello, target: target)
            log.result(image)
        }
        log.progress("setup done")
        return 0
    }
}

struct Build: StatusCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build an app's image and print its path.")

    @Argument(help: "A sample name (a folder under Samples/) or a path to a folder of Swift sources.")
    var app: String

    @Option(name: .long, help: "posix (dev: a Linux process) or virtio (prod: boots under QEMU).")
    var target: Target

    @OptionGroup var options: VerboseOption

    func execute() throws -> Int32 {
        let project = try Project.locate()
        let resolved = try App.resolve(app, in: project)
        let image = try Builder(project: project, log: Log(verbose: options.verbose)).build(resolved, target: target)
        Log.standardOutput(image)
        return 0
    }
}

struct Run: StatusCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build an app, run it, and exit with its exit status.",
        discussion: "Boot arguments come after `--`, each key=value: swiftlet run hello --target posix -- a=1 b=2")

    @Argument(help: "A sample name (a folder under Samples/) or a path to a folder of Swift sources.")
    var app: String

    @Option(name: .long, help: "posix (dev: a Linux process) or virtio (prod: boots under QEMU).")
    var target: Target

    @Option(name: .long, help: "QEMU machine for virtio.")
    var machine: Machine = .microvm

    @Option(name: .long, help: "QEMU accelerator for virtio; auto picks KVM only when it is real hardware virtualisation.")
    var accel: AccelChoice = .auto

    @OptionGroup var options: VerboseOption

    @Argument(parsing: .postTerminator, help: "Boot arguments (key=value), after `--`.")
    var bootArguments: [String] = []

    func execute() throws -> Int32 {
        try BootArgumentCheck.validate(bootArguments)
        let project = try Project.locate()
        let log = Log(verbose: options.verbose)
        let resolved = try App.resolve(app, in: project)
        let runner = ImageRunner(log: log)
        if target == .virtio {
            // Fail on a missing QEMU or an impossible accelerator before building.
            guard Subprocess.which("qemu-system-x86_64") != nil else {
                throw SwiftletError("qemu-system-x86_64 not found", remedy: "run ./swiftlet setup", status: 127)
            }
            _ = try Accelerator.resolve(accel, host: runner.host)
        }
        let image = try Builder(project: project, log: log).build(resolved, target: target)
        var request = RunRequest(image: image, target: target, bootArguments: bootArguments)
        request.machine = machine
        request.accel = accel
        request.forwardSignals = true
        if target == .virtio {
            log.progress("running \(resolved.name) under QEMU (\(machine.rawValue), \(try Accelerator.resolve(accel, host: runner.host).rawValue))...")
        } else {
            log.progress("running \(resolved.name)...")
        }
        let outcome = try runner.run(request)
        if let failure = outcome.failure {
            Log.standardError(failure.description)
        }
        return outcome.status
    }
}

struct Test: StatusCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the dual-mode suite (or an app's own tests) in dev and prod and compare the transcripts.")

    @Argument(help: "An app with tests; default: the runtime suite in Tests/DualMode/runtime.")
    var app: String?

    @Option(name: .long, help: "posix, virtio or both (default).")
    var target: TestTargets = .both

    @Option(name: .long, help: "QEMU machine for virtio.")
    var machine: Machine = .microvm

    @Option(name: .long, help: "QEMU accelerator for virtio.")
    var accel: AccelChoice = .auto

    @Option(name: .long, help: "Seconds before one run is killed and counted as a FAIL (default: 60 posix, 120 virtio).")
    var timeout: Double?

    @OptionGroup var options: VerboseOption

    func execute() throws -> Int32 {
        let project = try Project.locate()
        let log = Log(verbose: options.verbose)
        var suite: SuiteRunner.Configuration
        if let app {
            suite = .init(app: try App.resolve(app, in: project), targets: target.targets)
        } else {
            suite = try SuiteRunner.Configuration.runtimeSuite(in: project, targets: target.targets)
        }
        suite.machine = machine
        suite.accel = accel
        if let timeout {
            guard timeout > 0 else { throw SwiftletError("--timeout must be more than 0 seconds", status: 64) }
            suite.posixTimeout = timeout
            suite.virtioTimeout = timeout
        }
        if target.targets.contains(.virtio) {
            guard Subprocess.which("qemu-system-x86_64") != nil else {
                throw SwiftletError("qemu-system-x86_64 not found", remedy: "run ./swiftlet setup", status: 127)
            }
            _ = try Accelerator.resolve(accel, host: .probe())
        }
        let report = SuiteRunner(project: project, configuration: suite, log: log).run()
        if let signal = report.interruption { return 128 + signal }
        return report.failed == 0 ? 0 : 1
    }
}
