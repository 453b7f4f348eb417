import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How to run one image once.
public struct RunRequest: Sendable {
    public var image: String
    public var target: Target
    /// `key=value` words (not checked here: the suite runner passes malformed ones on purpose).
    public var bootArguments: [String]
    public var machine: Machine = .microvm
    public var accel: AccelChoice = .auto
    /// Collect the console instead of letting it reach our stdout.
    public var capture = false
    /// Let the console reach our stdout as it comes and also keep its tail in ``RunOutcome/console`` (for the
    /// crash report's backtrace, docs/DEBUGGING.md §3). Ignored with ``capture``.
    public var watchConsole = false
    /// Seconds before the run is killed; nil for none.
    public var timeout: Double?
    /// Forward SIGINT/SIGTERM to the child (interactive `swiftlet run`).
    public var forwardSignals = false
    /// The app's devices with their backends (docs/DEVICES.md); empty for none.
    public var devices = DevicePlan()
    /// What the echo peer is and where (for `--net NAME=echo`).
    public var deviceHost: DeviceHost?
    /// virtio-pci devices without the legacy interface (`disable-legacy=on`); virtio-mmio version 2 on microvm.
    public var modernVirtio = false
    /// `--memory`: QEMU's `-m` in prod, the tender's heap arena in dev (both default ``MemorySize/virtioDefault``).
    public var memory: MemorySize?
    /// Boot a disk image made by ``DiskImageBuilder`` through its firmware instead of `-kernel`
    /// (boot arguments then travel in an SMBIOS OEM string).
    public var disk: DiskBoot?
    /// The monitor (`--vmm`): QEMU, or Firecracker (KVM only).
    public var vmm: VMM = .qemu
    /// With ``watchConsole``: console lines starting with the tap's prefix are kept whole in the tap and not
    /// shown (`swiftlet profile`'s sample dump).
    public var consoleTap: ConsoleTap?
    /// Dev only: a command the image runs under (`perf record ... --`).
    public var wrapper: [String] = []

    public init(image: String, target: Target, bootArguments: [String]) {
        self.image = image
        self.target = target
        self.bootArguments = bootArguments
    }
}

/// A disk image to boot through firmware (`swiftlet run --boot bios|uefi`).
public struct DiskBoot: Equatable, Sendable {
    public var path: String
    /// `.bios` (SeaBIOS) or `.uefi` (OVMF, ``uefiCode``).
    public var firmware: BootFirmware
    public var format: DiskFormat

    public init(path: String, firmware: BootFirmware, format: DiskFormat = .raw) {
        self.path = path
        self.firmware = firmware
        self.format = format
    }

    /// Debian's OVMF (package ovmf): the firmware code, and the variable store each run copies.
    public static let uefiCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
    public static let uefiVariables = "/usr/share/OVMF/OVMF_VARS_4M.fd"
}

/// What one run of an image came to.
public struct RunOutcome: Sendable {
    /// The status `swiftlet run` exits with: the app's own, 128+signal, or 255/127/1 on failure.
    public var status: Int32
    /// When the run did not end the normal way (the app reporting a status), why, as one line
    /// (`swiftlet: error: ` goes in front).
    public var failure: SwiftletError?
    /// The console (stdout, plus stderr in dev), when captured.
    public var console: String
    /// The run hit its timeout.
    public var timedOut: Bool
    /// We forwarded SIGINT/SIGTERM/SIGHUP to it.
    public var interrupted: Bool

    public init(status: Int32, failure: SwiftletError? = nil, console: String = "", timedOut: Bool = false,
                interrupted: Bool = false) {
        self.status = status
        self.failure = failure
        self.console = console
        self.timedOut = timedOut
        self.interrupted = interrupted
    }
}

/// Runs images in either mode.
public struct ImageRunner {
    public var log: Log
    /// The host facts used for `--accel auto` (probed once).
    public var host: HostVirtualization

    public init(log: Log, host: HostVirtualization = .probe()) {
        self.log = log
        self.host = host
    }

    /// Runs the image per `request`, with its device backends started before and stopped after.
    /// - Throws: ``SwiftletError`` only for problems found before starting (no QEMU, bad accel,
    ///   a helper that cannot start).
    public func run(_ request: RunRequest) throws -> RunOutcome {
        var session: DeviceSession?
        if !request.devices.isEmpty {
            let host = request.deviceHost ?? DeviceHost(echoPeerScript: "")
            session = try DeviceSession.start(request.devices, target: request.target, runTimeout: request.timeout,
                                              log: log, host: host)
        }
        defer { session?.stop() }
        var outcome: RunOutcome
        switch request.target {
        case .posix: outcome = try runPosix(request, session: session)
        case .virtio:
            outcome = request.vmm == .firecracker ? try runFirecracker(request, session: session)
                : try runQEMU(request, session: session)
        }
        if let session, outcome.status != 0 || outcome.failure != nil {
            for problem in session.helperProblems() {
                if request.capture { outcome.console += "swiftlet: \(problem)\n" } else { log.progress(problem) }
            }
        }
        return outcome
    }

    // MARK: dev

    /// The dev command line (docs/DEVICES.md §3): `<image> [--memory BYTES] [device options] -- key=value ...`.
    public static func posixCommand(image: String, devices: [DeviceAttachment] = [], bootArguments: [String],
                                    memory: MemorySize? = nil) -> [String] {
        [image] + (memory.map { ["--memory", String($0.bytes)] } ?? []) + DeviceArguments.tender(devices) + ["--"]
            + bootArguments
    }

    func runPosix(_ request: RunRequest, session: DeviceSession?) throws -> RunOutcome {
        let environment = ["SWIFT_BACKTRACE": "enable=no"]
        var process = Subprocess(request.wrapper + ImageRunner.posixCommand(
            image: request.image, devices: session?.attachments ?? [], bootArguments: request.bootArguments,
            memory: request.memory))
        process.inheritedFDs = session?.inheritedFDs ?? []
        process.environment = environment
        process.timeout = request.timeout
        process.forwardSignals = request.forwardSignals
        if request.capture {
            process.stdout = .capture
            process.stderr = .toStdout
            process.nullStdin = true
        } else if request.watchConsole {
            ImageRunner.watch(&process, tap: request.consoleTap)
        }
        log.command(process.arguments, environment: environment)
        let result = try process.run()
        var outcome = RunOutcome(status: result.termination.shellStatus, console: result.stdoutText,
                                 timedOut: result.timedOut, interrupted: result.interruptedBy != nil)
        if result.timedOut {
            outcome.failure = SwiftletError("timed out after \(Int(request.timeout ?? 0)) s (killed)")
        } else if case .signaled(let signal) = result.termination, result.interruptedBy == nil, !request.capture {
            // The platform turns faults into exit statuses; a bare signal means something outside killed it.
            Log.line(.error, "the process was killed by signal \(signal) (exit status \(128 + signal))")
        }
        return outcome
    }

    /// The console passes through to our stdout as it arrives; its last 256 KiB are kept.
    static func watch(_ process: inout Subprocess, tap: ConsoleTap? = nil) {
        process.stdout = .capture
        process.stdoutTailLimit = 256 * 1024
        process.onStdout = { whole in
            let chunk = tap.map { ArraySlice($0.filter(whole)) } ?? whole
            chunk.withUnsafeBytes { bytes in
                var done = 0
                while done < bytes.count {
                    let n = write(1, bytes.baseAddress! + done, bytes.count - done)
                    if n > 0 { done += n } else if errno != EINTR { break }
                }
            }
        }
    }

    // MARK: prod

    /// The QEMU command line for `request` (the exit-status file at `exitFile`).
    ///
    /// The guest reports its status byte on the debug console port 0x402
    /// (which QEMU writes to `exitFile`), then ends QEMU through
    /// isa-debug-exit at 0xf4, whose own code (`(v << 1) | 1`) cannot carry an
    /// even status, hence the file.
    ///
    /// Devices (docs/DEVICES.md §4) follow the exit protocol's devices, and their
    /// `@net.NAME=MAC` boot words follow the boot arguments.
    public static func qemuCommand(image: String, bootArguments: [String], machine: Machine,
                                   accelerator: Accelerator, exitFile: String,
                                   devices: [DeviceAttachment] = [], modernVirtio: Bool = false,
                                   memory: MemorySize = .virtioDefault, disk: DiskBoot? = nil,
                                   uefiVariables: String? = nil) -> [String] {
        var command = ["qemu-system-x86_64", "-M", machine.qemuMachine, "-accel", accelerator.rawValue,
                       "-cpu", accelerator.cpuModel, "-m", memory.qemuArgument, "-display", "none", "-serial", "stdio",
                       "-no-reboot", "-nodefaults"]
        var words = bootArguments + DeviceArguments.bootWords(devices)
        if machine.exitsThroughConsole { words.append("@exit=i8042") }
        if let disk {
            // Through the firmware and GRUB (docs/DEPLOY.md §1): the words go in an SMBIOS OEM string, which the
            // image's grub.cfg appends to its own; the disk is IDE (pc) or AHCI (q35), never written (snapshot).
            if disk.firmware == .uefi {
                command += ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=\(DiskBoot.uefiCode)",
                            "-drive", "if=pflash,format=raw,unit=1,file=\(DeviceArguments.escape(uefiVariables ?? ""))"]
            }
            command += ["-drive", "file=\(DeviceArguments.escape(disk.path)),format=\(disk.format.rawValue),if=none,"
                            + "id=swiftlet-disk,snapshot=on", "-device", "ide-hd,drive=swiftlet-disk,bootindex=0"]
            if !words.isEmpty {
                command += ["-smbios", "type=11,value=" + DeviceArguments.escape(DiskImageBuilder.oemPrefix
                                                                                 + words.joined(separator: " "))]
            }
        } else {
            command += ["-kernel", image]
            if !words.isEmpty { command += ["-append", words.joined(separator: " ")] }
        }
        if machine.exitsThroughConsole {
            command += ["-device", "i8042"]
        } else {
            command += ["-chardev", "file,id=swiftlet-exit,path=\(exitFile)",
                        "-device", "isa-debugcon,iobase=0x402,chardev=swiftlet-exit",
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        }
        var deviceArguments = DeviceArguments.qemu(devices, machine: machine, modern: modernVirtio || machine == .firecracker)
        if disk != nil {
            // No iPXE option ROM on the NICs: the firmware would try a network boot before the disk (OVMF: ~15 s).
            deviceArguments = deviceArguments.map { $0.hasPrefix("virtio-net-pci,") ? $0 + ",romfile=" : $0 }
        }
        command += deviceArguments
        return command
    }

    /// `SWIFTLET_VIRTIO_MODERN=1`: every QEMU run gets modern-only virtio devices (as `--modern`).
    public static var modernFromEnvironment: Bool {
        ProcessInfo.processInfo.environment["SWIFTLET_VIRTIO_MODERN"] == "1"
    }

    /// What QEMU's ending means for `swiftlet run`.
    public enum QEMUVerdict: Equatable, Sendable {
        /// The guest reported this status.
        case status(Int32)
        /// The guest ran but never reported a status (triple fault, hang killed, QEMU crash).
        case noStatus(qemu: Termination)
        /// QEMU refused to start (bad option, missing device); its stderr says why.
        case qemuFailed(qemu: Termination)
    }

    /// Decodes the exit-status file and QEMU's termination.
    /// - Parameters:
    ///   - exitBytes: what was written to port 0x402. Firmware (SeaBIOS on pc/q35) logs there
    ///     too, so a status counts only as the byte right after the guest's marker
    ///     `\nswiftlet-exit:` at the very end (Sources/Platform/Virtio/Exit.swift).
    ///   - qemu: how QEMU ended.
    ///   - qemuStderr: QEMU's own messages.
    public static func decode(exitBytes: [UInt8], qemu: Termination, qemuStderr: String) -> QEMUVerdict {
        let marker = Array("\nswiftlet-exit:".utf8)
        if exitBytes.count >= marker.count + 1,
           Array(exitBytes[(exitBytes.count - 1 - marker.count)..<(exitBytes.count - 1)]) == marker {
            return .status(Int32(exitBytes[exitBytes.count - 1]))
        }
        // QEMU reports startup errors as "qemu-system-x86_64: ..." and exits 1.
        if qemu == .exited(1), qemuStderr.contains("qemu-system") { return .qemuFailed(qemu: qemu) }
        return .noStatus(qemu: qemu)
    }

    func runQEMU(_ request: RunRequest, session: DeviceSession?) throws -> RunOutcome {
        guard Subprocess.which("qemu-system-x86_64") != nil else {
            throw SwiftletError("qemu-system-x86_64 not found", remedy: "run ./swiftlet setup", status: 127)
        }
        let accelerator = try Accelerator.resolve(request.accel, host: host)
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("swiftlet-exit-XXXXXX")).utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else {
            throw SwiftletError("cannot create a temporary file: \(String(cString: strerror(errno)))",
                                remedy: "check TMPDIR")
        }
        close(fd)
        let exitFile = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(exitFile) }
        // OVMF writes its variable store: each run gets a fresh copy.
        var uefiVariables: String?
        if let disk = request.disk, disk.firmware == .uefi {
            uefiVariables = exitFile + ".OVMF_VARS.fd"
            guard FileManager.default.fileExists(atPath: DiskBoot.uefiCode),
                  (try? FileManager.default.copyItem(atPath: DiskBoot.uefiVariables, toPath: uefiVariables!)) != nil
            else {
                throw SwiftletError("UEFI firmware not found (\(DiskBoot.uefiCode), \(DiskBoot.uefiVariables))",
                                    remedy: "run ./swiftlet setup (or apt-get install ovmf)", status: 127)
            }
        }
        defer { if let uefiVariables { unlink(uefiVariables) } }

        var process = Subprocess(ImageRunner.qemuCommand(
            image: request.image, bootArguments: request.bootArguments, machine: request.machine,
            accelerator: accelerator, exitFile: exitFile, devices: session?.attachments ?? [],
            modernVirtio: request.modernVirtio || ImageRunner.modernFromEnvironment,
            memory: request.memory ?? .virtioDefault, disk: request.disk, uefiVariables: uefiVariables))
        process.inheritedFDs = session?.inheritedFDs ?? []
        process.stderr = .capture
        process.timeout = request.timeout
        process.forwardSignals = request.forwardSignals
        if request.capture {
            process.stdout = .capture
            process.nullStdin = true
        } else if request.watchConsole || request.machine.exitsThroughConsole {
            // Keep the console's tail while it streams to our stdout: for a crash report's symbols, and on a machine
            // without a debug-exit port for the status the guest prints last.
            ImageRunner.watch(&process, tap: request.consoleTap)
        }
        log.command(process.arguments)
        let result = try process.run()
        var exitBytes = (FileManager.default.contents(atPath: exitFile)).map { [UInt8]($0) } ?? []
        var console = result.stdoutText
        if request.machine.exitsThroughConsole, let status = FirecrackerConfig.consoleStatus(console) {
            exitBytes = Array("\nswiftlet-exit:".utf8) + [UInt8(status)]
            // The report is the platform's, not the app's: keep it out of transcripts.
            let report = "\nswiftlet-exit: \(status)\n"
            if console.hasSuffix(report) { console.removeLast(report.count) }
        }
        let stderrText = result.stderrText
        var outcome = RunOutcome(status: 255, console: request.capture ? console : "",
                                 timedOut: result.timedOut, interrupted: result.interruptedBy != nil)
        if result.timedOut {
            outcome.failure = SwiftletError("timed out after \(Int(request.timeout ?? 0)) s (QEMU killed)")
            return outcome
        }
        switch ImageRunner.decode(exitBytes: exitBytes, qemu: result.termination, qemuStderr: stderrText) {
        case .status(let status):
            outcome.status = status
            if log.verbose, !stderrText.isEmpty { Log.standardError(stderrText.trimmingCharacters(in: .newlines)) }
        case .noStatus(let qemu):
            if let signal = result.interruptedBy {
                outcome.status = 128 + signal
            } else {
                if !stderrText.isEmpty { Log.standardError(stderrText.trimmingCharacters(in: .newlines)) }
                outcome.failure = SwiftletError(
                    "the unikernel stopped without reporting an exit status (QEMU \(qemu))", status: 255)
            }
        case .qemuFailed(let qemu):
            Log.standardError(stderrText.trimmingCharacters(in: .newlines))
            outcome.status = 1
            outcome.failure = SwiftletError(
                "QEMU failed to start (\(qemu))",
                remedy: "see its message above; check --machine/--accel, or run with --verbose for the command")
        }
        return outcome
    }
}

/// Takes the console lines that start with a prefix out of a streamed console, whole, and keeps them
/// (`swiftlet profile`: the `swiftlet-profile:` dump must not flood the terminal nor be cut to the console's tail).
public final class ConsoleTap: @unchecked Sendable {
    public let prefix: [UInt8]
    private let lock = NSLock()
    private var partial: [UInt8] = []
    private var taken: [String] = []

    public init(prefix: String) { self.prefix = Array(prefix.utf8) }

    /// The lines taken so far (without their newline).
    public var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return taken
    }

    /// Returns the bytes of `chunk` to show: every complete line without the prefix (a line still incomplete at the
    /// chunk's end waits for the next chunk).
    func filter(_ chunk: ArraySlice<UInt8>) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        var shown: [UInt8] = []
        for byte in chunk {
            partial.append(byte)
            guard byte == 10 else { continue }
            var line = partial
            partial = []
            var start = 0
            while start < line.count, line[start] == 13 || line[start] == 10 { start += 1 }
            if line.count - start >= prefix.count, Array(line[start..<(start + prefix.count)]) == prefix {
                line.removeLast()
                if line.last == 13 { line.removeLast() }
                taken.append(String(decoding: line[start...], as: UTF8.self))
            } else {
                shown.append(contentsOf: line)
            }
        }
        return shown
    }
}
