import ArgumentParser
import Foundation
import SwiftletKit

extension Target: ExpressibleByArgument {}
extension Machine: ExpressibleByArgument {}
extension AccelChoice: ExpressibleByArgument {}
extension VMM: ExpressibleByArgument {}
extension BootFirmware: ExpressibleByArgument {}
extension DiskFormat: ExpressibleByArgument {}

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
        subcommands: [Setup.self, New.self, Build.self, Run.self, Test.self, Debug.self, ProfileCommand.self, ImageCommand.self,
                      StoreCommand.self])
}

/// `--memory SIZE` of `run` and `test`.
struct MemoryOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Guest memory (default 128M): QEMU's -m in prod; in dev the heap arena the tender maps, sized as prod's heap.",
        valueName: "size"))
    var memory: String?

    /// The parsed size, nil when not given.
    /// - Throws: ``SwiftletError`` (one line, status 2) for a malformed size.
    func parsed() throws -> MemorySize? {
        try memory.map { try MemorySize(parsing: $0) }
    }
}

/// `--debug` of `build`, `run` and `test`.
struct ProfileOption: ParsableArguments {
    @Flag(name: .long, help: ArgumentHelp(
        "Build with the debug profile (-Onone, full debug information, frame pointers) into .build-swiftlet-debug."))
    var debug = false

    var profile: BuildProfile { debug ? .debug : .release }
}

struct VerboseOption: ParsableArguments {
    @Flag(name: .long, help: "Print every command before running it.")
    var verbose = false
}

/// The device options of `run` and `test` (docs/DEVICES.md §2).
struct DeviceOptionGroup: ParsableArguments {
    @Option(name: .customLong("net"), help: ArgumentHelp(
        "A net device's backend: NAME=tap:IFACE | NAME=passt[:tcp=H:G,...,udp=H:G,...] | NAME=socket:PATH, each with optional ,mac=M and ,offload=off (a TAP without virtio_net_hdr: full checksums, no frame above the MTU).",
        valueName: "name=spec"))
    var net: [String] = []

    @Option(name: .customLong("block"), help: ArgumentHelp(
        "A block device's backing file: NAME=FILE[,block-size=512|4096].", valueName: "name=file"))
    var block: [String] = []

    @Option(name: .customLong("pcap"), help: ArgumentHelp(
        "Record every frame a net device sends and receives: NAME=FILE (pcap).", valueName: "name=file"))
    var pcap: [String] = []

    @Flag(name: .customLong("modern"), help: .hidden)
    var modern = false

    /// No device option was given.
    var isEmpty: Bool { net.isEmpty && block.isEmpty && pcap.isEmpty }

    /// `--modern` or SWIFTLET_VIRTIO_MODERN=1: modern-only virtio-pci devices (virtio-mmio v2 on microvm).
    var modernVirtio: Bool {
        modern || ImageRunner.modernFromEnvironment
    }

    /// Parses the options and matches them to the app's manifest and the host, before anything is built.
    /// - Throws: ``DeviceProblems`` (one line each) or ``SwiftletError`` (a bad manifest).
    func plan(for app: App, project: Project, testBackends: Bool) throws -> DevicePlan {
        let manifest = try Manifest.load(appDirectory: app.directory)
        let options = try DeviceOptions.parse(net: net, block: block, pcap: pcap, testBackends: testBackends)
        return try DevicePlan.make(manifest: manifest, options: options, host: .local(project))
    }
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

    @Argument(help: "A sample name (a folder under Samples/), a path to an app package or to a folder of Swift sources; default: the package in the current directory.")
    var app: String?

    @Option(name: .long, help: "posix (dev: a Linux process) or virtio (prod: boots under QEMU).")
    var target: Target

    @OptionGroup var profile: ProfileOption

    @OptionGroup var options: VerboseOption

    func execute() throws -> Int32 {
        let project = try Project.locate()
        let resolved = try App.resolve(app ?? PackageApp.currentDirectorySpec(project: project), in: project)
        let image = try Builder(project: project, log: Log(verbose: options.verbose), profile: profile.profile)
            .build(resolved, target: target)
        Log.standardOutput(image)
        return 0
    }
}

struct Run: StatusCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build an app, run it, and exit with its exit status.",
        discussion: "Boot arguments come after `--`, each key=value: swiftlet run hello --target posix -- a=1 b=2")

    @Argument(help: "A sample name (a folder under Samples/), a path to an app package or to a folder of Swift sources; default: the package in the current directory.")
    var app: String?

    @Option(name: .long, help: "posix (dev: a Linux process) or virtio (prod: boots under QEMU).")
    var target: Target

    @Option(name: .long, help: ArgumentHelp(
        "QEMU machine for virtio (default microvm; q35 with --boot); firecracker: microvm with only Firecracker's devices."))
    var machine: Machine?

    @Option(name: .long, help: "QEMU accelerator for virtio; auto picks KVM only when it is real hardware virtualisation.")
    var accel: AccelChoice = .auto

    @Option(name: .long, help: ArgumentHelp(
        "Boot a disk image (swiftlet image) through the firmware and GRUB instead of -kernel: bios (SeaBIOS) or uefi (OVMF).",
        valueName: "firmware"))
    var boot: BootFirmware?

    @Option(name: .long, help: "The monitor for virtio: qemu, or firecracker (needs the firecracker binary and KVM).")
    var vmm: VMM = .qemu

    @OptionGroup(title: "Devices (docs/DEVICES.md §2)")
    var devices: DeviceOptionGroup

    @OptionGroup var memory: MemoryOption

    @OptionGroup var profile: ProfileOption

    @OptionGroup var options: VerboseOption

    @Argument(parsing: .postTerminator, help: "Boot arguments (key=value), after `--`.")
    var bootArguments: [String] = []

    /// Combinations that cannot work, refused before anything is built.
    func checkCombination() throws -> Machine {
        let machine = self.machine ?? (boot == nil ? .microvm : .q35)
        if target == .posix && (boot != nil || vmm != .qemu || self.machine == .firecracker) {
            throw SwiftletError("--boot, --vmm and --machine firecracker are for --target virtio",
                                remedy: "add --target virtio", status: 2)
        }
        if let boot {
            guard boot != .both else {
                throw SwiftletError("--boot both: a run boots one firmware", remedy: "use --boot bios or --boot uefi",
                                    status: 2)
            }
            guard machine.hasPCI, vmm == .qemu else {
                throw SwiftletError("--boot \(boot.rawValue) needs --machine pc or q35 under QEMU (microvm and "
                                    + "Firecracker have no disk firmware)", remedy: "use --machine q35", status: 2)
            }
        }
        if vmm == .firecracker && self.machine != nil {
            throw SwiftletError("--machine is for QEMU; Firecracker has one machine",
                                remedy: "drop --machine (or use --machine firecracker with --vmm qemu)", status: 2)
        }
        return machine
    }

    func execute() throws -> Int32 {
        try BootArgumentCheck.validate(bootArguments)
        try BootArgumentCheck.refuseProfilerWords(bootArguments)
        let machine = try checkCombination()
        let memorySize = try memory.parsed()
        let project = try Project.locate()
        let log = Log(verbose: options.verbose)
        let resolved = try App.resolve(app ?? PackageApp.currentDirectorySpec(project: project), in: project)
        let plan = try devices.plan(for: resolved, project: project, testBackends: false)
        let runner = ImageRunner(log: log)
        if target == .virtio && vmm == .firecracker {
            if let problem = ImageRunner.firecrackerProblems(plan).first { throw problem }
        } else if target == .virtio {
            // Fail on a missing QEMU or an impossible accelerator before building.
            guard Subprocess.which("qemu-system-x86_64") != nil else {
                throw SwiftletError("qemu-system-x86_64 not found", remedy: "run ./swiftlet setup", status: 127)
            }
            _ = try Accelerator.resolve(accel, host: runner.host)
        }
        let image = try Builder(project: project, log: log, profile: profile.profile,
                                tests: Builder.wantsTests(bootArguments)).build(resolved, target: target)
        var request = RunRequest(image: image, target: target, bootArguments: bootArguments)
        request.watchConsole = true
        if let boot {
            // The image carries no words of its own here: they all come through the SMBIOS OEM string.
            let disk = project.buildDirectory + "/images/\(resolved.name)-\(boot.rawValue).raw"
            try DiskImageBuilder(log: log).build(kernel: ImageCommand.kernel(for: image), appName: resolved.name,
                                                 words: [], firmware: boot, format: .raw, output: disk)
            request.disk = DiskBoot(path: disk, firmware: boot)
        }
        request.vmm = vmm
        request.machine = machine
        request.accel = accel
        request.forwardSignals = true
        request.devices = plan
        request.deviceHost = .local(project)
        request.modernVirtio = devices.modernVirtio
        request.memory = memorySize
        let with = plan.isEmpty ? "" : " with " + plan.summary
        if target == .virtio && vmm == .firecracker {
            log.progress("running \(resolved.name) under Firecracker\(with)...")
        } else if target == .virtio {
            let via = boot.map { " from a disk image, \($0.rawValue) firmware" } ?? ""
            log.progress("running \(resolved.name) under QEMU (\(machine.rawValue), \(try Accelerator.resolve(accel, host: runner.host).rawValue))\(via)\(with)...")
        } else {
            log.progress("running \(resolved.name)\(with)...")
        }
        let outcome = try runner.run(request)
        if let failure = outcome.failure {
            Log.report(failure)
        }
        // A crash report's backtrace, symbolized from the image (docs/DEBUGGING.md §3).
        let lines = Transcript.lines(of: outcome.console)
        do {
            if let crash = try SymbolizedCrash.from(console: lines, image: image) {
                crash.lines(image: image, root: project.root).forEach(Log.standardError)
            }
        } catch {
            Log.line(.warning, "the backtrace could not be symbolized: \(error)")
        }
        return outcome.status
    }
}

struct Test: StatusCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the dual-mode suite (or an app's own tests) in dev and prod and compare the transcripts.",
        discussion: """
            Test-only backends, fresh for every run: --net NAME=echo[,mac=M] starts a frame echo peer \
            (every frame comes back with its MACs swapped) and connects NAME to it; --block \
            NAME=temp:SIZE[,block-size=N] gives NAME a new zero-filled file of SIZE bytes (or 64K, 1M, 1G), \
            deleted after the run. The device suite: swiftlet test Tests/DualMode/devices --net service=echo \
            --net second=echo --block storage=temp:1M --block other=temp:1M,block-size=4096
            """)

    @Argument(help: "An app with tests; default: the app package in the current directory, else every suite in Tests/DualMode (runtime, devices, net, ...).")
    var app: String?

    @Option(name: .long, help: "posix, virtio or both (default).")
    var target: TestTargets = .both

    @Option(name: .long, help: "QEMU machine for virtio.")
    var machine: Machine = .microvm

    @Option(name: .long, help: "QEMU accelerator for virtio.")
    var accel: AccelChoice = .auto

    @Option(name: .long, help: "Seconds before one run is killed and counted as a FAIL (default: 60 posix, 120 virtio).")
    var timeout: Double?

    @OptionGroup(title: "Devices (given to every run of the suite's image)")
    var devices: DeviceOptionGroup

    @OptionGroup var memory: MemoryOption

    @OptionGroup var profile: ProfileOption

    @OptionGroup var options: VerboseOption

    func execute() throws -> Int32 {
        let memorySize = try memory.parsed()
        let project = try Project.locate()
        let log = Log(verbose: options.verbose)
        var suites: [SuiteRunner.Configuration]
        // In an app package (not the checkout) the default is the package's own tests.
        let app = self.app ?? (PackageApp.isPackage(FileManager.default.currentDirectoryPath, project: project) ? "." : nil)
        if let app {
            let resolved = try App.resolve(app, in: project)
            if devices.isEmpty, project.dualModeSuites.contains(resolved.directory) {
                // A dual-mode suite on its own gets what it gets in the whole run: the runtime suite its boot
                // arguments and host checks, the device suite its echo peers, disks and persistence checks,
                // any other its manifest's test backends.
                if resolved.directory == project.runtimeSuite {
                    suites = [try SuiteRunner.Configuration.runtimeSuite(in: project, targets: target.targets)]
                } else if resolved.directory == project.deviceSuite {
                    suites = [try SuiteRunner.Configuration.deviceSuite(in: project, targets: target.targets)]
                } else {
                    suites = [try SuiteRunner.Configuration.plainSuite(resolved.directory, in: project,
                                                                       targets: target.targets)]
                }
            } else {
                var suite = SuiteRunner.Configuration(app: resolved, targets: target.targets)
                suite.devices = try devices.plan(for: suite.app, project: project, testBackends: true)
                suites = [suite]
            }
        } else {
            // The whole dual-mode suite: each folder of Tests/DualMode with its own devices; one total.
            guard devices.isEmpty else {
                throw SwiftletError("device options need an app: the whole suite brings its own devices",
                                    remedy: "name the suite, e.g. swiftlet test Tests/DualMode/devices --net ...",
                                    status: 64)
            }
            suites = try SuiteRunner.Configuration.allSuites(in: project, targets: target.targets)
        }
        if target.targets.contains(.virtio) {
            guard Subprocess.which("qemu-system-x86_64") != nil else {
                throw SwiftletError("qemu-system-x86_64 not found", remedy: "run ./swiftlet setup", status: 127)
            }
            _ = try Accelerator.resolve(accel, host: .probe())
        }
        if let timeout, timeout <= 0 {
            throw SwiftletError("--timeout must be more than 0 seconds", status: 64)
        }
        var passed = 0
        var failed = 0
        for var suite in suites {
            suite.deviceHost = .local(project)
            suite.modernVirtio = devices.modernVirtio
            suite.memory = memorySize
            suite.profile = profile.profile
            suite.machine = machine
            suite.accel = accel
            if let timeout {
                suite.posixTimeout = timeout
                suite.virtioTimeout = timeout
            }
            suite.printsSummary = suites.count == 1
            if suites.count > 1 { log.progress("suite \((suite.app.directory as NSString).lastPathComponent):") }
            let report = SuiteRunner(project: project, configuration: suite, log: log).run()
            passed += report.passed
            failed += report.failed
            if let signal = report.interruption { return 128 + signal }
        }
        if suites.count > 1 { log.result("\(passed) passed, \(failed) failed") }
        return failed == 0 ? 0 : 1
    }
}

struct Debug: StatusCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build an app with debug information and start it under gdb, stopped at its entry.",
        discussion: """
            dev (posix): the process runs under gdb with its seccomp sandbox on. prod (virtio): QEMU waits on a \
            loopback gdbstub port and gdb attaches with the image's symbols. Swift names work: --break Ledger.add, \
            and at the gdb prompt swift-break Type.method. Non-interactive: --break NAME --print-backtrace runs to \
            the first hit, prints the backtrace, arguments and locals, ends the app and exits 0 (3 when it is never \
            hit). docs/DEBUGGING.md.
            """)

    @Argument(help: "A sample name (a folder under Samples/) or a path to a folder of Swift sources.")
    var app: String

    @Option(name: .long, help: "posix (dev: a Linux process) or virtio (prod: boots under QEMU).")
    var target: Target

    @Option(name: .customLong("break"), help: ArgumentHelp(
        "Stop at this Swift function (Type.method, Module.Type.method, or a symbol) instead of the app's entry.",
        valueName: "name"))
    var breakpoints: [String] = []

    @Flag(name: .customLong("print-backtrace"), help: "At the first stop print the backtrace, arguments and locals, end the app, exit 0 (3 if never hit).")
    var printBacktrace = false

    @Option(name: .customLong("commands"), help: ArgumentHelp(
        "A gdb command file to run once the app is stopped (then the app is ended).", valueName: "file"))
    var commands: String?

    @Flag(name: .long, help: "Debug the release image (line tables, no variables) instead of a --debug build.")
    var release = false

    @Option(name: .long, help: "Seconds a non-interactive session may take (default 300).")
    var timeout: Double = 300

    @Option(name: .long, help: "QEMU machine for virtio.")
    var machine: Machine = .microvm

    @Option(name: .long, help: "QEMU accelerator for virtio.")
    var accel: AccelChoice = .auto

    @OptionGroup(title: "Devices (docs/DEVICES.md §2)")
    var devices: DeviceOptionGroup

    @OptionGroup var memory: MemoryOption

    @OptionGroup var options: VerboseOption

    @Argument(parsing: .postTerminator, help: "Boot arguments (key=value), after `--`.")
    var bootArguments: [String] = []

    func execute() throws -> Int32 {
        try BootArgumentCheck.validate(bootArguments)
        if printBacktrace && breakpoints.isEmpty {
            throw SwiftletError("--print-backtrace needs --break NAME", remedy: "e.g. --break Hello.run --print-backtrace",
                                status: 2)
        }
        guard timeout > 0 else { throw SwiftletError("--timeout must be more than 0 seconds", status: 2) }
        let memorySize = try memory.parsed()
        let project = try Project.locate()
        let log = Log(verbose: options.verbose)
        let resolved = try App.resolve(app, in: project)
        let plan = try devices.plan(for: resolved, project: project, testBackends: false)
        let image = try Builder(project: project, log: log, profile: release ? .release : .debug,
                                tests: Builder.wantsTests(bootArguments)).build(resolved, target: target)
        var request = DebugRequest(app: resolved, image: image, target: target, bootArguments: bootArguments)
        request.machine = machine
        request.accel = accel
        request.memory = memorySize
        request.devices = plan
        request.deviceHost = .local(project)
        request.modernVirtio = devices.modernVirtio
        request.breakpoints = breakpoints
        request.printBacktrace = printBacktrace
        request.commandsFile = commands.map { ($0 as NSString).expandingTildeInPath }
        request.timeout = timeout
        log.progress("debugging \(resolved.name) (\(target.rawValue)) under gdb...")
        return try Debugger(project: project, log: log).run(request).status
    }
}
