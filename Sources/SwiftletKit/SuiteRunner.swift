import Foundation

/// The host side of the dual-mode suite (`swiftlet test`).
///
/// For each target it builds the test app, runs `swiftlet.test=all`, then
/// each announced fault test alone (checking its exit status and its one-line
/// `swiftlet: ` report), plus host-level checks: exact exit statuses through
/// `Samples/exit-code`, status 2 for a malformed boot argument, and (dev only)
/// the sandbox stopping `Samples/forbidden` with status 253. With both
/// targets it compares the normalised transcripts. It prints one line per
/// check per mode (`ok [posix] <name>`, `FAIL [virtio] <name>: <why>`) and a
/// final `<N> passed, <M> failed`.
public struct SuiteRunner {
    /// What to run.
    public struct Configuration: Sendable {
        public var app: App
        public var targets: [Target]
        public var machine: Machine = .microvm
        public var accel: AccelChoice = .auto
        /// Boot arguments passed to every run besides `swiftlet.test=...`.
        public var extraArguments: [String] = []
        /// Run the exit-status checks (`Samples/exit-code`).
        public var exitStatusChecks = false
        /// Statuses the exit-status checks ask for.
        public var exitStatuses: [Int32] = [0, 42, 200, 255]
        /// The suite app's devices, given to every run of its image (both modes).
        public var devices = DevicePlan()
        /// Where the echo peer is (for `--net NAME=echo`).
        public var deviceHost: DeviceHost?
        /// Modern-only virtio devices in prod.
        public var modernVirtio = false
        /// `--memory`: every run's memory (``RunRequest/memory``).
        public var memory: MemorySize?
        /// Per-run limits in seconds.
        public var posixTimeout: Double = 60
        public var virtioTimeout: Double = 120
        /// Run the block persistence checks (`Samples/disk-tool`, SuiteRunner+Persistence.swift).
        public var persistenceChecks = false
        /// Whether ``SuiteRunner/run()`` ends with its own `N passed, M failed` line
        /// (off when several suites share one total).
        public var printsSummary = true
        /// `--debug`: images built with the debug profile.
        public var profile: BuildProfile = .release

        public init(app: App, targets: [Target]) {
            self.app = app
            self.targets = targets
        }

        /// The runtime suite (`Tests/DualMode/runtime`) with its boot arguments and the host checks.
        /// - Throws: ``SwiftletError`` when the suite folder is missing.
        public static func runtimeSuite(in project: Project, targets: [Target]) throws -> Configuration {
            guard App.containsSwiftSources(project.runtimeSuite) else {
                throw SwiftletError("the dual-mode suite \(project.runtimeSuite) has no Swift sources",
                                    remedy: "restore Tests/DualMode/runtime, or name an app: swiftlet test hello")
            }
            var configuration = Configuration(
                app: App(directory: project.runtimeSuite, name: App.imageName(for: project.runtimeSuite, in: project)),
                targets: targets)
            configuration.extraArguments = ["alpha=1", "beta=two"]
            configuration.exitStatusChecks = true
            return configuration
        }

        /// The device options the device suite (`Tests/DualMode/devices`) runs with: two echo
        /// peers and two fresh temporary disks (512 B and 4 KiB blocks).
        public static let deviceSuiteOptions = (
            net: ["service=echo", "second=echo"],
            block: ["storage=temp:1048576", "other=temp:1048576,block-size=4096"])

        /// The device suite with ``deviceSuiteOptions``, checked like `swiftlet test` checks them.
        /// - Throws: ``SwiftletError`` when the folder is missing, ``DeviceProblems`` when its manifest
        ///   and the options disagree.
        public static func deviceSuite(in project: Project, targets: [Target]) throws -> Configuration {
            guard App.containsSwiftSources(project.deviceSuite) else {
                throw SwiftletError("the device suite \(project.deviceSuite) has no Swift sources",
                                    remedy: "restore Tests/DualMode/devices")
            }
            let app = App(directory: project.deviceSuite, name: App.imageName(for: project.deviceSuite, in: project))
            var configuration = Configuration(app: app, targets: targets)
            let options = try DeviceOptions.parse(net: deviceSuiteOptions.net, block: deviceSuiteOptions.block, pcap: [],
                                                  testBackends: true)
            configuration.deviceHost = .local(project)
            configuration.persistenceChecks = true
            configuration.devices = try DevicePlan.make(manifest: try Manifest.load(appDirectory: app.directory),
                                                        options: options, host: .local(project))
            return configuration
        }

        /// A suite folder as a test app; each device its manifest declares gets a test backend: a net device an
        /// echo peer (a stack on it talks to itself through loopback, the peer only sees announcements), a block
        /// device a fresh 1 MiB temporary disk.
        /// - Throws: ``SwiftletError`` for an unreadable manifest.
        public static func plainSuite(_ directory: String, in project: Project, targets: [Target]) throws -> Configuration {
            let app = App(directory: directory, name: App.imageName(for: directory, in: project))
            var configuration = Configuration(app: app, targets: targets)
            let manifest = try Manifest.load(appDirectory: app.directory)
            guard !manifest.devices.isEmpty else { return configuration }
            let net = manifest.devices.filter { $0.kind == .net }.map { "\($0.name)=echo" }
            let block = manifest.devices.filter { $0.kind == .block }.map { "\($0.name)=temp:1048576" }
            let options = try DeviceOptions.parse(net: net, block: block, pcap: [], testBackends: true)
            configuration.deviceHost = .local(project)
            configuration.devices = try DevicePlan.make(manifest: manifest, options: options, host: .local(project))
            return configuration
        }

        /// Every suite under `Tests/DualMode/`: the runtime suite (with the host checks), the
        /// device suite (with its echo peers and temporary disks), and each other folder as a
        /// plain test app (net wire, stack, protocols, ...). This is `swiftlet test` with no app.
        public static func allSuites(in project: Project, targets: [Target]) throws -> [Configuration] {
            var suites = [try runtimeSuite(in: project, targets: targets)]
            for directory in project.dualModeSuites where directory != project.runtimeSuite {
                if directory == project.deviceSuite {
                    suites.append(try deviceSuite(in: project, targets: targets))
                } else {
                    suites.append(try plainSuite(directory, in: project, targets: targets))
                }
            }
            return suites
        }
    }

    /// The tally and the lines printed.
    public struct Report: Sendable {
        public var passed = 0
        public var failed = 0
        /// Every result line, in order, the final summary included.
        public var lines: [String] = []
        /// Normalised transcript per target (what the comparison used).
        public var transcripts: [Target: [String]] = [:]
        /// The signal that stopped the run early (SIGINT from Ctrl-C, SIGTERM), if any.
        public var interruption: Int32?
    }

    public var project: Project
    public var configuration: Configuration
    public var log: Log
    var runner: ImageRunner

    public init(project: Project, configuration: Configuration, log: Log) {
        self.project = project
        self.configuration = configuration
        self.log = log
        self.runner = ImageRunner(log: log)
    }

    /// Runs everything and prints the report; never throws (problems are FAILs).
    public func run() -> Report {
        var report = Report()
        Subprocess.resetInterruption()
        for target in configuration.targets {
            runMode(target, into: &report)
            if let signal = Subprocess.interruption {
                report.interruption = signal
                log.progress("interrupted by signal \(signal) after \(report.passed) passed, \(report.failed) failed; stopping")
                return report
            }
        }
        if configuration.persistenceChecks { persistenceChecks(into: &report) }
        if configuration.targets.count == 2 {
            let (a, b) = (configuration.targets[0], configuration.targets[1])
            if let ta = report.transcripts[a], let tb = report.transcripts[b] {
                let difference = Transcript.diff(ta, tb)
                if difference.isEmpty {
                    record(&report, ok: true, "[both] transcripts match")
                } else {
                    record(&report, ok: false, "[both] transcripts differ (- \(a.rawValue), + \(b.rawValue)):")
                    for line in difference {
                        emit(&report, "    " + (line.count > 160 ? String(line.prefix(157)) + "..." : line))
                    }
                }
            } else {
                record(&report, ok: false, "[both] transcripts: a mode produced no transcript to compare")
            }
        }
        if configuration.printsSummary { emit(&report, "\(report.passed) passed, \(report.failed) failed") }
        return report
    }

    // MARK: one mode

    func runMode(_ target: Target, into report: inout Report) {
        let mode = "[\(target.rawValue)]"
        log.progress("building \(configuration.app.name) for \(target.rawValue)...")
        let image: String
        do {
            image = try Builder(project: project, log: log, profile: configuration.profile, tests: true)
                .build(configuration.app, target: target, quiet: true)
        } catch let error as SwiftletError {
            if Subprocess.interruption != nil { return }
            record(&report, ok: false, "\(mode) build: \(error.problem)")
            return
        } catch {
            record(&report, ok: false, "\(mode) build: \(error)")
            return
        }

        // 1. Everything but the fault tests, in one run.
        var place = target.rawValue
        if target == .virtio, let accelerator = try? Accelerator.resolve(configuration.accel, host: runner.host) {
            place += " (\(configuration.machine.rawValue), \(accelerator.rawValue))"
        }
        let with = configuration.devices.isEmpty ? "" : " with " + configuration.devices.summary
        log.progress("running \(configuration.app.name) tests on \(place)\(with)...")
        let all = runImage(image, target, ["swiftlet.test=all"] + configuration.extraArguments, devices: true, pcap: true)
        if Subprocess.interruption != nil { return }
        let lines = Transcript.lines(of: all.console)
        showConsole(lines)
        var transcript = Transcript.suiteSection(lines).map(Transcript.normalise)
        var faultTests: [(name: String, status: Int32)] = []
        var header: Int?
        var summary: (passed: Int, failed: Int)?
        var seenOK = 0, seenFail = 0
        for line in lines {
            switch Transcript.parse(line) {
            case .header(let count): header = count
            case .ok(let name):
                seenOK += 1
                record(&report, ok: true, "\(mode) \(name)")
            case .fail(let name, let message):
                seenFail += 1
                record(&report, ok: false, "\(mode) \(name): \(message)")
            case .faultTest(let name, let status): faultTests.append((name, status))
            case .summary(let passed, let failed): summary = (passed, failed)
            case .other: break
            }
        }
        if let problem = checkAllRun(all, lines: lines, header: header, summary: summary, seen: (seenOK, seenFail),
                                     faultTests: faultTests.count) {
            record(&report, ok: false, "\(mode) suite: \(problem)")
        }

        // 2. Each fault test alone.
        for test in faultTests {
            if Subprocess.interruption != nil { return }
            let (ok, why, kind, symbols) = runFaultTest(image, target, test.name, expecting: test.status)
            transcript.append("fault \(test.name): \(kind.map { Transcript.normalise("swiftlet: " + $0) } ?? "none")"
                              + (symbols.map { " " + $0 } ?? ""))
            record(&report, ok: ok, "\(mode) \(test.name)" + (ok ? " (\(why))" : ": \(why)"))
        }

        // 3. Host-level checks.
        if Subprocess.interruption != nil { return }
        if configuration.exitStatusChecks { exitStatusChecks(target, into: &report) }
        if configuration.exitStatusChecks && target == .posix { sandboxCheck(into: &report) }
        let malformed = runImage(image, target, ["novalue"], devices: true)
        showConsole(Transcript.lines(of: malformed.console))
        if malformed.failure == nil, malformed.status == 2 {
            record(&report, ok: true, "\(mode) malformed boot argument exits 2")
        } else {
            record(&report, ok: false, "\(mode) malformed boot argument: expected exit status 2, got \(describe(malformed))")
        }
        report.transcripts[target] = transcript
    }

    /// Why the `all` run is not a clean harness run, or nil.
    func checkAllRun(_ outcome: RunOutcome, lines: [String], header: Int?, summary: (passed: Int, failed: Int)?,
                     seen: (ok: Int, fail: Int), faultTests: Int) -> String? {
        if let failure = outcome.failure { return failure.problem + lastLineHint(lines) }
        guard let header else {
            return "no 'swiftlet-test: N tests' line (is it a TestableApplication?); exit status \(outcome.status)"
                + lastLineHint(lines)
        }
        guard let summary else {
            return "no 'P passed, F failed' line; exit status \(outcome.status)" + lastLineHint(lines)
        }
        if summary.passed != seen.ok || summary.failed != seen.fail {
            return "summary says \(summary.passed) passed, \(summary.failed) failed but \(seen.ok) ok and \(seen.fail) FAIL lines were printed"
        }
        if header != seen.ok + seen.fail + faultTests {
            return "header announced \(header) tests but \(seen.ok + seen.fail + faultTests) were reported"
        }
        let expected: Int32 = summary.failed == 0 ? 0 : 1
        if outcome.status != expected {
            return "exit status \(outcome.status), expected \(expected) for \(summary.failed) failed"
        }
        return nil
    }

    /// Runs one fault test; returns (passed, detail, fault kind, symbolized backtrace for the transcript).
    ///
    /// The report's backtrace must symbolize (docs/DEBUGGING.md §3): the transcript gets the Swift runtime
    /// failure it names, if any, and the app's and libOS's functions on it (``SymbolizedCrash/portableFunctions``),
    /// which must be the same in both modes.
    func runFaultTest(_ image: String, _ target: Target, _ name: String, expecting status: Int32)
        -> (Bool, String, String?, String?) {
        let outcome = runImage(image, target, ["swiftlet.test=\(name)"] + configuration.extraArguments, devices: true)
        let lines = Transcript.lines(of: outcome.console)
        showConsole(lines)
        let last = lines.last ?? ""
        let kind = Transcript.faultKind(last)
        if let failure = outcome.failure { return (false, failure.problem + lastLineHint(lines), kind, nil) }
        if outcome.status != status {
            return (false, "expected exit status \(status), got \(outcome.status)" + lastLineHint(lines), kind, nil)
        }
        guard let kind else {
            return (false, "exit status \(status) but the last console line is not a 'swiftlet: ' report"
                + lastLineHint(lines), nil, nil)
        }
        let crash: SymbolizedCrash?
        do {
            crash = try SymbolizedCrash.from(console: lines, image: image)
        } catch {
            return (false, "the backtrace could not be symbolized: \(error)", kind, nil)
        }
        guard let crash else { return (false, "the report has no backtrace" + lastLineHint(lines), kind, nil) }
        let functions = crash.portableFunctions(root: project.root)
        guard !functions.isEmpty else {
            return (false, "no app or libOS function on the backtrace: "
                + crash.lines(image: image, root: project.root).joined(separator: " | "), kind, nil)
        }
        var symbols = crash.runtimeFailure.map { "(Swift runtime failure: \($0)) " } ?? ""
        symbols += "in " + functions.joined(separator: " < ")
        // A device error is found where each platform meets the device: dev's backends complete a request at
        // submit, prod reaps the used ring in poll (docs/DEVICES.md §8). Its frames differ by design, so the
        // transcript compares only the report; the backtrace is still required above.
        let compared = kind.hasPrefix("device error") ? nil : symbols
        return (true, "\(kind), exit \(status), \(symbols)", kind, compared)
    }

    func exitStatusChecks(_ target: Target, into report: inout Report) {
        let mode = "[\(target.rawValue)]"
        guard let image = buildSample("exit-code", target, label: "\(mode) exit-code", into: &report) else { return }
        for status in configuration.exitStatuses {
            if Subprocess.interruption != nil { return }
            let outcome = runImage(image, target, ["status=\(status)"])
            showConsole(Transcript.lines(of: outcome.console))
            if outcome.failure == nil, outcome.status == status {
                record(&report, ok: true, "\(mode) exit-code status=\(status)")
            } else {
                record(&report, ok: false, "\(mode) exit-code status=\(status): got \(describe(outcome))")
            }
        }
    }

    /// Dev only (the documented exception): `Samples/forbidden` opens a file through libc;
    /// the sandbox must stop `openat` with status 253 and name it.
    func sandboxCheck(into report: inout Report) {
        let name = "[posix] sandbox stops forbidden's openat"
        guard let image = buildSample("forbidden", .posix, label: name, into: &report) else { return }
        let outcome = runImage(image, .posix, [])
        let lines = Transcript.lines(of: outcome.console)
        showConsole(lines)
        let explained = lines.last?.hasPrefix("swiftlet: blocked system call openat (257): ") ?? false
        if outcome.failure == nil, outcome.status == 253, explained {
            record(&report, ok: true, "\(name) (exit 253)")
        } else {
            record(&report, ok: false, "\(name): expected exit 253 and the explanation, got \(describe(outcome))")
        }
    }

    // MARK: helpers

    /// Builds the sample `name` for `target`; on failure records `FAIL <label>: <why>` and returns nil.
    func buildSample(_ name: String, _ target: Target, label: String, into report: inout Report) -> String? {
        do {
            let app = try App.resolve(name, in: project)
            return try Builder(project: project, log: log, profile: configuration.profile).build(app, target: target, quiet: true)
        } catch let error as SwiftletError {
            record(&report, ok: false, "\(label): \(error.problem)")
        } catch {
            record(&report, ok: false, "\(label): \(error)")
        }
        return nil
    }

    /// Runs one image once; `devices`: the suite image, which gets the suite's devices (fresh
    /// helpers and temporary disks per run). Other images (exit-code, forbidden) get none.
    /// `pcap`: keep the `--pcap` files (only the `swiftlet.test=all` run records).
    func runImage(_ image: String, _ target: Target, _ arguments: [String], devices: Bool = false,
                  pcap: Bool = false) -> RunOutcome {
        var request = RunRequest(image: image, target: target, bootArguments: arguments)
        if devices {
            request.devices = pcap ? pcapPerTarget(configuration.devices, target) : withoutPcaps(configuration.devices)
            request.deviceHost = configuration.deviceHost
            request.modernVirtio = configuration.modernVirtio
        }
        request.machine = configuration.machine
        request.accel = configuration.accel
        request.memory = configuration.memory
        request.capture = true
        request.forwardSignals = true
        request.timeout = target == .posix ? configuration.posixTimeout : configuration.virtioTimeout
        do {
            return try runner.run(request)
        } catch let error as SwiftletError {
            return RunOutcome(status: error.status, failure: error)
        } catch {
            return RunOutcome(status: 1, failure: SwiftletError("\(error)"))
        }
    }

    /// With both targets, `FILE.pcap` becomes `FILE.posix.pcap` and `FILE.virtio.pcap`, so the
    /// two modes' frames can be compared.
    func pcapPerTarget(_ plan: DevicePlan, _ target: Target) -> DevicePlan {
        guard configuration.targets.count > 1 else { return plan }
        var plan = plan
        plan.devices = plan.devices.map { device in
            guard case .net(var net) = device, let path = net.pcap else { return device }
            net.pcap = SuiteRunner.pcapPath(path, target: target)
            return .net(net)
        }
        return plan
    }

    /// `a/b.pcap` → `a/b.posix.pcap`; `a/b` → `a/b.posix`.
    static func pcapPath(_ path: String, target: Target) -> String {
        let ns = path as NSString
        let name = ns.lastPathComponent as NSString
        let base = name.pathExtension.isEmpty ? name as String
            : name.deletingPathExtension + "." + target.rawValue + "." + name.pathExtension
        let file = name.pathExtension.isEmpty ? base + "." + target.rawValue : base
        return ns.deletingLastPathComponent.isEmpty ? file : (ns.deletingLastPathComponent as NSString).appendingPathComponent(file)
    }

    func withoutPcaps(_ plan: DevicePlan) -> DevicePlan {
        var plan = plan
        plan.devices = plan.devices.map { device in
            guard case .net(var net) = device else { return device }
            net.pcap = nil
            return .net(net)
        }
        return plan
    }

    func describe(_ outcome: RunOutcome) -> String {
        if let failure = outcome.failure { return failure.problem }
        let lines = Transcript.lines(of: outcome.console)
        return "exit status \(outcome.status)" + lastLineHint(lines)
    }

    func lastLineHint(_ lines: [String]) -> String {
        guard let last = lines.last(where: { !$0.isEmpty }) else { return " (no output)" }
        let short = last.count > 120 ? String(last.prefix(117)) + "..." : last
        return " (last line: \(short))"
    }

    /// With `--verbose`, echoes the image's console, indented.
    func showConsole(_ lines: [String]) {
        guard log.verbose else { return }
        for line in lines { Log.standardError("    | " + line) }
    }

    func record(_ report: inout Report, ok: Bool, _ text: String) {
        if ok { report.passed += 1 } else { report.failed += 1 }
        emit(&report, (ok ? "ok " : "FAIL ") + text)
    }

    func emit(_ report: inout Report, _ line: String) {
        report.lines.append(line)
        log.result(line)
    }
}
