import ArgumentParser
import Foundation
import SwiftletKit

/// `swiftlet profile`: runs an app with a sampling profiler and writes folded stacks with symbols (docs/PROFILING.md).
///
/// Prod (`--target virtio`): the unikernel's own sampler (boot argument `profile=HZ`), dumped on the console at exit
/// and symbolized from the image's ELF. Dev (`--target posix`): the process under `perf record -g` (frame pointers),
/// folded from `perf script`.
struct ProfileCommand: StatusCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Run an app under a sampling profiler and write folded stacks (flame-graph input) with symbols.",
        discussion: """
            virtio: the unikernel samples itself from its timer interrupt (boot argument profile=HZ) and dumps at exit \
            (or when the app calls Profiler.dump()); posix: the process runs under perf record. A server that never \
            exits: --seconds N makes it exit after N seconds (the boot argument profile.seconds=N, both modes).
            Example: swiftlet profile http --target virtio --seconds 20 --net service=tap:tap0 -- ip=10.0.0.2/24
            """)

    @Argument(help: "A sample name, a path to an app package or to a folder of Swift sources.")
    var app: String?

    @Option(name: .long, help: "posix (perf) or virtio (the unikernel's own sampler).")
    var target: Target

    @Option(name: .long, help: "Samples per second (1...10000).")
    var hz: Int = 499

    @Option(name: .long, help: "Stop the app after this many seconds (for a server that never exits).")
    var seconds: Int?

    @Option(name: .long, help: "Where to write the folded stacks (default .build-swiftlet/profiles/APP-TARGET.folded).")
    var output: String?

    @Option(name: .long, help: "How many functions the summary lists.")
    var top: Int = 15

    @OptionGroup(title: "Devices (docs/DEVICES.md §2)")
    var devices: DeviceOptionGroup

    @OptionGroup var memory: MemoryOption

    @OptionGroup var options: VerboseOption

    @Argument(parsing: .postTerminator, help: "Boot arguments (key=value), after `--`.")
    var bootArguments: [String] = []

    func execute() throws -> Int32 {
        guard (1...10_000).contains(hz) else {
            throw SwiftletError("--hz \(hz) is out of range", remedy: "use 1...10000 samples per second", status: 2)
        }
        if let seconds, seconds <= 0 {
            throw SwiftletError("--seconds \(seconds) is not above 0", remedy: "give a whole number of seconds", status: 2)
        }
        try BootArgumentCheck.validate(bootArguments)
        let memorySize = try memory.parsed()
        let project = try Project.locate()
        let log = Log(verbose: options.verbose)
        let resolved = try App.resolve(app ?? PackageApp.currentDirectorySpec(project: project), in: project)
        let plan = try devices.plan(for: resolved, project: project, testBackends: false)
        if target == .virtio, Subprocess.which("qemu-system-x86_64") == nil {
            throw SwiftletError("qemu-system-x86_64 not found", remedy: "run ./swiftlet setup", status: 127)
        }
        if target == .posix, Subprocess.which("perf") == nil {
            throw SwiftletError("perf not found (dev profiles with perf)", remedy: "run ./swiftlet setup (linux-perf)",
                                status: 127)
        }
        let image = try Builder(project: project, log: log, profile: .release, profiler: true).build(resolved, target: target)
        let folder = project.buildDirectory + "/profiles"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let output = self.output ?? folder + "/\(resolved.name)-\(target.rawValue).folded"
        let perfData = folder + "/\(resolved.name)-posix.perf.data"

        var request = RunRequest(image: image, target: target, bootArguments: bootArguments)
        request.watchConsole = true
        request.forwardSignals = true
        request.devices = plan
        request.deviceHost = .local(project)
        request.modernVirtio = devices.modernVirtio
        request.memory = memorySize
        let tap = ConsoleTap(prefix: "swiftlet-profile: ")
        request.bootArguments += seconds.map { ["profile.seconds=\($0)"] } ?? []
        switch target {
        case .virtio:
            request.bootArguments += ["profile=\(hz)"]
            request.consoleTap = tap
        case .posix:
            request.wrapper = ["perf", "record", "--quiet", "-F", String(hz), "-g", "-o", perfData, "--"]
        }
        log.progress("profiling \(resolved.name) (\(target.rawValue), \(hz) samples per second)...")
        let outcome = try ImageRunner(log: log).run(request)
        if let failure = outcome.failure { Log.report(failure) }

        let report: ProfileReport
        switch target {
        case .virtio:
            report = try ProfileReport.fold(dump: tap.lines, symbolizer: try Symbolizer(image: image))
        case .posix:
            var script = Subprocess(["perf", "script", "-i", perfData, "-F", "ip,sym"])
            script.stdout = .capture
            script.stderr = .capture
            script.nullStdin = true
            script.timeout = 300
            log.command(script.arguments)
            let result = try script.run()
            guard result.termination == .exited(0) else {
                throw SwiftletError("perf script failed: " + result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            report = try ProfileReport.fold(perfScript: result.stdoutText, symbolizer: try Symbolizer(image: image))
        }
        try report.folded.write(toFile: output, atomically: true, encoding: .utf8)
        log.progress("\(report.samples) samples" + (report.dropped > 0 ? " (\(report.dropped) dropped: buffer full)" : "")
                     + ", \(report.stacks.count) distinct stacks; folded stacks in \(output)")
        if target == .posix, report.samples < 50 {
            // perf's clock event counts time on the CPU: a sleeping process is not sampled (docs/PROFILING.md §2).
            log.progress("few samples: at \(hz) per second (one per \(1000.0 / Double(hz)) ms on the CPU) the app ran "
                         + "about \(report.samples * 1000 / hz) ms; dev samples CPU time only (perf cpu-clock), so an "
                         + "app that mostly sleeps shows little; raise --hz (up to 10000) or put load on it "
                         + "(bench/profile-http.sh)")
        }
        log.progress("running (self) time:")
        for entry in report.top(top) {
            Log.standardError(String(format: "  %5.1f%%  %6d  %@", entry.percent, entry.count, entry.function))
        }
        log.progress("flame graph: flamegraph.pl \(output) > profile.svg (or load the file in speedscope.app)")
        return outcome.status
    }
}
