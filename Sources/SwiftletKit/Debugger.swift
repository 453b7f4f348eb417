import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `swiftlet debug` starts (docs/DEBUGGING.md §1).
public struct DebugRequest: Sendable {
    public var app: App
    /// A `--debug` image (or any image: a release one has line tables but no variables).
    public var image: String
    public var target: Target
    public var bootArguments: [String]
    public var machine: Machine = .microvm
    public var accel: AccelChoice = .auto
    public var memory: MemorySize?
    public var devices = DevicePlan()
    public var deviceHost: DeviceHost?
    public var modernVirtio = false
    /// `--break NAME`: Swift names (or symbols) to stop at; empty for the app's entry.
    public var breakpoints: [String] = []
    /// `--print-backtrace`: at the first stop print the backtrace, arguments and locals, then end the app.
    public var printBacktrace = false
    /// `--commands FILE`: a gdb command file run once the app is stopped (at the breakpoint or its entry).
    public var commandsFile: String?
    /// Seconds a non-interactive session may take.
    public var timeout: Double = 300
    /// Collect gdb's and the app's output into ``DebugOutcome/output`` instead of our stdout (tests).
    public var capture = false

    public init(app: App, image: String, target: Target, bootArguments: [String]) {
        self.app = app
        self.image = image
        self.target = target
        self.bootArguments = bootArguments
    }

    /// No `--print-backtrace` or `--commands`: the user gets gdb's prompt.
    public var isInteractive: Bool { !printBacktrace && commandsFile == nil }
}

/// How a debug session ended.
public struct DebugOutcome: Sendable {
    /// 0 when a non-interactive session reached its breakpoint; 3 when it was never hit; gdb's status otherwise.
    public var status: Int32
    public var output: String
}

/// Runs an image under gdb: dev as a child of gdb with its sandbox on, prod through QEMU's gdbstub
/// (docs/DEBUGGING.md §1 says why gdb and what each mode needs).
public struct Debugger {
    /// The status when the breakpoint was never hit (the app ended first, or the time ran out).
    public static let neverHitStatus: Int32 = 3

    public var project: Project
    public var log: Log

    public init(project: Project, log: Log) {
        self.project = project
        self.log = log
    }

    /// `Tools/gdb/swiftlet.py`: demangled frames, Int-like values, `swift-break`.
    public var gdbHelper: String { project.root + "/Tools/gdb/swiftlet.py" }

    /// Starts the session and waits for it.
    /// - Throws: ``SwiftletError`` for a missing gdb or QEMU, a name that matches no function, a helper that
    ///   cannot start.
    public func run(_ request: DebugRequest) throws -> DebugOutcome {
        guard Subprocess.which("gdb") != nil else {
            throw SwiftletError("gdb not found", remedy: "run ./swiftlet setup (it installs the gdb package)", status: 127)
        }
        if let file = request.commandsFile, !FileManager.default.isReadableFile(atPath: file) {
            throw SwiftletError("--commands \(file): no such readable file", remedy: "give a gdb command file", status: 2)
        }
        let table = try SymbolTable.load(image: request.image)
        var stops: [(name: String, symbols: [String])] = []
        for name in request.breakpoints {
            let found = table.resolve(name)
            guard !found.isEmpty else {
                throw SwiftletError("--break \(name): no function of \(request.app.name) is named '\(name)'",
                                    remedy: "name a Swift function as Type.method (e.g. Hello.run) or give a symbol "
                                        + "from `llvm-nm \(request.image)`", status: 2)
            }
            stops.append((name, found.map(\.symbol)))
        }
        let module = request.app.name.replacingOccurrences(of: "-", with: "_")
        if stops.isEmpty {
            guard let entry = table.appEntry(module: module) else {
                throw SwiftletError("cannot find \(request.app.name)'s entry (static \(module).<Type>.run) in \(request.image)",
                                    remedy: "use --break NAME")
            }
            stops.append(("\(request.app.name)'s entry", [entry.symbol]))
        }

        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let symbolFile = directory + "/symbols.tsv"
        let rows = table.functions.compactMap { f in f.qualifiedName.map { "\(f.symbol)\t\($0)" } }
        try (rows.joined(separator: "\n") + "\n").write(toFile: symbolFile, atomically: true, encoding: .utf8)

        var session: DeviceSession?
        if !request.devices.isEmpty {
            session = try DeviceSession.start(request.devices, target: request.target, runTimeout: nil, log: log,
                                              host: request.deviceHost ?? .local(project))
        }
        defer { session?.stop() }

        var qemu: BackgroundProcess?
        defer { qemu?.stop(grace: 1) }
        var gdbArguments = ["gdb", "-nx", "-q", "-iex", "set complaints 0"]
        var connect: [String] = []
        switch request.target {
        case .posix:
            gdbArguments += ["--args"] + ImageRunner.posixCommand(image: request.image, devices: session?.attachments ?? [],
                                                                 bootArguments: request.bootArguments,
                                                                 memory: request.memory)
        case .virtio:
            guard Subprocess.which("qemu-system-x86_64") != nil else {
                throw SwiftletError("qemu-system-x86_64 not found", remedy: "run ./swiftlet setup", status: 127)
            }
            let port = try Debugger.freePort()
            let accelerator = try Accelerator.resolve(request.accel, host: .probe())
            var command = ImageRunner.qemuCommand(
                image: request.image, bootArguments: request.bootArguments, machine: request.machine,
                accelerator: accelerator, exitFile: directory + "/exit", devices: session?.attachments ?? [],
                modernVirtio: request.modernVirtio, memory: request.memory ?? .virtioDefault)
            // Stopped before the first instruction, waiting for gdb on a loopback port of its own.
            command += ["-gdb", "tcp:127.0.0.1:\(port)", "-S"]
            // Its own session: Ctrl-C at gdb's prompt interrupts the guest through gdb, and never reaches QEMU.
            var process = Subprocess(Subprocess.which("setsid") != nil ? ["setsid"] + command : command)
            process.inheritedFDs = session?.inheritedFDs ?? []
            process.backgroundKeepsOutput = true
            if request.capture {
                process.logFile = directory + "/console"
                process.backgroundKeepsOutput = false
            }
            log.command(command)
            qemu = try process.start()
            gdbArguments.append(request.image)
            connect = Debugger.connectCommands(port: port)
        }

        let script = Debugger.script(request: request, stops: stops, connect: connect, helper: gdbHelper)
        let scriptFile = directory + "/session.gdb"
        try script.write(toFile: scriptFile, atomically: true, encoding: .utf8)
        if !request.isInteractive { gdbArguments.insert("-batch", at: 1) }
        gdbArguments.insert(contentsOf: ["-x", scriptFile], at: gdbArguments.firstIndex(of: "-q")! + 1)

        var gdb = Subprocess(gdbArguments)
        gdb.environment = ["SWIFT_BACKTRACE": "enable=no", "SWIFTLET_SYMBOLS": symbolFile,
                           "SWIFTLET_SWIFT_DEMANGLE": Symbolizer.toolchainTool("swift-demangle") ?? "swift-demangle"]
        gdb.inheritedFDs = request.target == .posix ? (session?.inheritedFDs ?? []) : []
        if request.isInteractive {
            gdb.forwardSignals = false  // Ctrl-C belongs to gdb (it interrupts the app)
        } else {
            gdb.timeout = request.timeout
            gdb.nullStdin = true
            gdb.forwardSignals = true
        }
        if request.capture {
            gdb.stdout = .capture
            gdb.stderr = .toStdout
        }
        log.command(gdb.arguments)
        // Interactive: Ctrl-C is gdb's (it stops the app); we wait for gdb instead of dying with it.
        let previous = request.isInteractive ? signal(SIGINT, SIG_IGN) : nil
        defer { if let previous { signal(SIGINT, previous) } }
        let result = try gdb.run()
        var output = result.stdoutText
        if let qemu, request.capture {
            qemu.stop(grace: 1)
            output += qemu.output
        }
        var status = result.termination.shellStatus
        if result.timedOut {
            let line = "swiftlet: the session took more than \(Int(request.timeout)) s; stopped it"
            if request.capture { output += line + "\n" } else { Log.standardError(line) }
            status = Debugger.neverHitStatus
        }
        return DebugOutcome(status: status, output: output)
    }

    /// gdb's steps to take over a unikernel that QEMU holds at its first instruction. The PVH entry runs in
    /// 32-bit protected mode; gdb is told the target is x86-64 only once the image reached its first 64-bit
    /// instruction (`pvh_start64` in boot.S), through a hardware breakpoint, which needs no writable code.
    static func connectCommands(port: Int) -> [String] {
        ["target remote 127.0.0.1:\(port)", "hbreak pvh_start64", "continue", "set architecture i386:x86-64",
         "delete"]
    }

    /// The command file: settings, the helper, the breakpoints, the start, then what the request asks for.
    static func script(request: DebugRequest, stops: [(name: String, symbols: [String])], connect: [String],
                       helper: String) -> String {
        var lines = ["set pagination off", "set confirm off", "set complaints 0", "set print frame-arguments scalars",
                     "source \(helper)"]
        if request.target == .posix {
            // The tender locks itself with seccomp after start-up; gdb traces it from outside (ptrace), which the
            // filter does not see. No shell in between, so the device fds reach the app as given.
            lines += ["set startup-with-shell off", "set environment SWIFT_BACKTRACE=enable=no"]
        }
        lines += connect
        if connect.isEmpty { lines.append("starti") }  // posix: the process exists, stopped at its first instruction
        for stop in stops {
            for symbol in stop.symbols { lines.append("break '\(symbol)'") }
        }
        let names = stops.map(\.name).joined(separator: ", ")
        lines.append("python swiftlet_stop_names = \(pythonString(names))")
        if request.isInteractive {
            lines.append("python swiftlet_interactive()")
        } else {
            lines.append("python swiftlet_run(\(request.printBacktrace ? "True" : "False"), "
                         + "\(request.commandsFile.map(pythonString) ?? "None"))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func pythonString(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// A loopback TCP port nobody listens on now (the kernel picks it).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SwiftletError("cannot create a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw SwiftletError("cannot find a free loopback port for QEMU's gdbstub") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func makeTemporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("swiftlet-debug-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else {
            throw SwiftletError("cannot create a temporary folder: \(String(cString: strerror(errno)))", remedy: "check TMPDIR")
        }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
