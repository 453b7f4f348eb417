import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
public enum Termination: Equatable, Sendable, CustomStringConvertible {
    /// `exit(status)`.
    case exited(Int32)
    /// Killed by a signal.
    case signaled(Int32)

    /// The status a shell would report: the exit status, or 128 + signal.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let status): return status
        case .signaled(let signal): return 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let status): return "exit \(status)"
        case .signaled(let signal): return "signal \(signal)"
        }
    }
}

/// Runs a child process with `posix_spawn`, optionally capturing its output,
/// with a timeout and with SIGINT/SIGTERM forwarded to it.
///
/// Foundation's `Process` is avoided on purpose: we need the pid to kill a
/// hung QEMU, a hard timeout, and signal forwarding without threads.
public struct Subprocess {
    /// What happens to one of the child's output streams.
    public enum Stream: Sendable {
        /// The child writes to our own stdout/stderr.
        case inherit
        /// Collected and returned in ``Result``.
        case capture
        /// Sent to /dev/null.
        case discard
        /// Only for stderr: into the same pipe as stdout (keeps the order of lines).
        case toStdout
    }

    /// What a finished child left behind.
    public struct Result: Sendable {
        public var termination: Termination
        /// True when the timeout expired and the child was killed.
        public var timedOut: Bool
        /// The signal forwarded to the child (SIGINT, SIGTERM), if any.
        public var interruptedBy: Int32?
        public var stdout: [UInt8]
        public var stderr: [UInt8]

        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    public var arguments: [String]
    /// Variables added to (or replacing those in) our own environment.
    public var environment: [String: String] = [:]
    public var stdout: Stream = .inherit
    public var stderr: Stream = .inherit
    /// Give the child /dev/null as stdin instead of ours.
    public var nullStdin = false
    /// Seconds before the child is killed with SIGKILL; nil for no limit.
    public var timeout: Double?
    /// Forward SIGINT and SIGTERM received by us to the child, then wait for it.
    public var forwardSignals = false
    /// Called with each chunk of captured stdout as it arrives.
    public var onStdout: ((ArraySlice<UInt8>) -> Void)?
    /// ``start()`` leaves ``stdout`` and ``stderr`` as they are (QEMU under `swiftlet debug` prints the console).
    public var backgroundKeepsOutput = false
    /// Keep only about the last this many bytes of captured stdout (a long run that is watched, not collected).
    public var stdoutTailLimit: Int?
    /// Our fds the child gets, as fds 3, 4, ... in this order (everything else above 2 is closed in the child).
    public var inheritedFDs: [Int32] = []
    /// File for ``Stream/discard``-like redirection of stdout and stderr to one log file (background helpers).
    public var logFile: String?

    public init(_ arguments: [String]) {
        self.arguments = arguments
    }

    /// Finds `name` on PATH (or returns it when it contains a slash and is executable).
    public static func which(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// Starts the child and waits for it.
    /// - Throws: ``SwiftletError`` when the program cannot be started.
    public func run() throws -> Result {
        if forwardSignals { SignalForwarder.install() }
        defer { if forwardSignals { SignalForwarder.uninstall() } }
        let (pid, out, err) = try spawn()
        return wait(pid: pid, out: out, err: err)
    }

    /// Starts the child in the background (a helper such as passt or the echo peer); its
    /// stdout and stderr go to ``logFile``, or to /dev/null.
    /// - Throws: ``SwiftletError`` when the program cannot be started.
    public func start() throws -> BackgroundProcess {
        var helper = self
        if !backgroundKeepsOutput {
            helper.stdout = .discard
            helper.stderr = .discard
        }
        helper.nullStdin = true
        let (pid, _, _) = try helper.spawn()
        return BackgroundProcess(pid: pid, name: (arguments[0] as NSString).lastPathComponent, logFile: logFile)
    }

    /// Spawns the child; returns its pid and our ends of the capture pipes (-1 when unused).
    private func spawn() throws -> (pid_t, Int32, Int32) {
        precondition(!arguments.isEmpty)
        guard let executable = Subprocess.which(arguments[0]) else {
            throw SwiftletError("\(arguments[0]) not found", remedy: "run ./swiftlet setup", status: 127)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }

        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        if stdout == .capture || stderr == .toStdout { try Subprocess.makePipe(&outPipe) }
        if stderr == .capture { try Subprocess.makePipe(&errPipe) }

        if nullStdin { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        switch stdout {
        case .capture, .toStdout: posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        case .discard:
            if let logFile {
                posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            } else {
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            }
        case .inherit: break
        }
        switch stderr {
        case .capture: posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        case .toStdout:
            if stdout == .inherit {
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            } else {
                posix_spawn_file_actions_adddup2(&actions, outPipe[1], 2)
            }
        case .discard:
            if logFile != nil {
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            } else {
                posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            }
        case .inherit: break
        }
        for fd in outPipe + errPipe where fd >= 0 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        // Inherited fds become 3, 4, ...: first moved out of the way (above any target), then
        // dup2'd into place (dup2 leaves the copy without FD_CLOEXEC); every other fd above
        // them is closed, so the child holds exactly what we meant.
        var staged: [Int32] = []
        defer { staged.forEach { close($0) } }
        for fd in inheritedFDs {
            let high = fcntl(fd, F_DUPFD_CLOEXEC, Int32(64 + inheritedFDs.count))
            guard high >= 0 else {
                throw SwiftletError("cannot pass fd \(fd) to \(arguments[0]): \(String(cString: strerror(errno)))")
            }
            staged.append(high)
        }
        for (index, fd) in staged.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, fd, Int32(3 + index))
        }
        let closeFrom = Int32(3 + staged.count)
        if !Subprocess.addCloseFrom(&actions, closeFrom) {
            Subprocess.markCloseOnExec(from: closeFrom)
        }

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }

        fflush(Glibc.stdout)
        fflush(Glibc.stderr)

        var pid: pid_t = 0
        let spawnStatus = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        if outPipe[1] >= 0 { close(outPipe[1]) }
        if errPipe[1] >= 0 { close(errPipe[1]) }
        guard spawnStatus == 0 else {
            if outPipe[0] >= 0 { close(outPipe[0]) }
            if errPipe[0] >= 0 { close(errPipe[0]) }
            throw SwiftletError(
                "cannot start \(arguments[0]): \(String(cString: strerror(spawnStatus)))",
                remedy: "check that it is installed (./swiftlet setup)", status: 127)
        }
        return (pid, outPipe[0], errPipe[0])
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+; Swift's Glibc module does not export it).
    private static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ from: Int32) -> Bool {
        typealias Function = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = closeFromSymbol else { return false }
        let function = unsafeBitCast(symbol, to: Function.self)
        return function(&actions, from) == 0
    }

    nonisolated(unsafe) private static let closeFromSymbol: UnsafeMutableRawPointer? =
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")

    /// Fallback without closefrom: every open fd from `from` up becomes close-on-exec.
    private static func markCloseOnExec(from: Int32) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for name in names {
            if let fd = Int32(name), fd >= from { _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC) }
        }
    }

    private static func makePipe(_ fds: inout [Int32]) throws {
        var pair: [Int32] = [-1, -1]
        guard Subprocess.pipeCloseOnExec(&pair, nonBlocking: false) else {
            throw SwiftletError("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        fds = pair
    }

    private func wait(pid: pid_t, out: Int32, err: Int32) -> Result {
        var outFD = out
        var errFD = err
        var outBytes: [UInt8] = []
        var errBytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let start = Date()
        var timedOut = false
        var interruptedBy: Int32?
        var termination: Termination?
        var reapedAt: Date?

        func drain(_ fd: inout Int32, into bytes: inout [UInt8], isStdout: Bool) {
            let count = read(fd, &buffer, buffer.count)
            if count > 0 {
                bytes.append(contentsOf: buffer[0..<count])
                if isStdout, let onStdout { onStdout(buffer[0..<count]) }
                if isStdout, let limit = stdoutTailLimit, bytes.count > 2 * limit {
                    bytes.removeFirst(bytes.count - limit)
                }
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                close(fd)
                fd = -1
            }
        }

        while true {
            var fds: [pollfd] = []
            if outFD >= 0 { fds.append(pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)) }
            if errFD >= 0 { fds.append(pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)) }
            if forwardSignals { fds.append(pollfd(fd: SignalForwarder.readFD, events: Int16(POLLIN), revents: 0)) }
            // Output pipes wake us at once; the short cap notices the child's exit promptly.
            let limit: Int32 = (outFD >= 0 || errFD >= 0) ? 100 : 10
            _ = poll(&fds, nfds_t(fds.count), limit)
            for entry in fds where entry.revents != 0 {
                if entry.fd == outFD {
                    drain(&outFD, into: &outBytes, isStdout: true)
                } else if entry.fd == errFD {
                    drain(&errFD, into: &errBytes, isStdout: false)
                } else if forwardSignals && entry.fd == SignalForwarder.readFD {
                    for signal in SignalForwarder.pending() {
                        interruptedBy = signal
                        SignalForwarder.lastSignal = signal
                        kill(pid, signal)
                    }
                }
            }
            if termination == nil {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    termination = Subprocess.decode(status)
                    reapedAt = Date()
                }
            }
            if let termination {
                // Child gone: finish reading what it wrote, but do not wait on
                // pipes inherited by its own children for more than a moment.
                if (outFD < 0 && errFD < 0) || Date().timeIntervalSince(reapedAt!) > 2 {
                    if outFD >= 0 { close(outFD) }
                    if errFD >= 0 { close(errFD) }
                    return Result(termination: termination, timedOut: timedOut, interruptedBy: interruptedBy,
                                  stdout: outBytes, stderr: errBytes)
                }
                continue
            }
            if let timeout, !timedOut, Date().timeIntervalSince(start) > timeout {
                timedOut = true
                kill(pid, SIGKILL)
            }
        }
    }

    /// `pipe` with both ends close-on-exec (Glibc's module does not export `pipe2`).
    static func pipeCloseOnExec(_ pair: inout [Int32], nonBlocking: Bool) -> Bool {
        guard pipe(&pair) == 0 else { return false }
        for fd in pair {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            if nonBlocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        }
        return true
    }

    /// The last SIGINT/SIGTERM/SIGHUP forwarded to a child since ``resetInterruption()``.
    public static var interruption: Int32? { SignalForwarder.lastSignal }

    /// Forgets any earlier interruption.
    public static func resetInterruption() { SignalForwarder.lastSignal = nil }

    /// Decodes a `waitpid` status word.
    public static func decode(_ status: Int32) -> Termination {
        let signal = status & 0x7f
        if signal == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(signal)
    }
}

/// A helper started with ``Subprocess/start()``: stopped by its pid.
public final class BackgroundProcess: @unchecked Sendable {
    public let pid: pid_t
    public let name: String
    /// Where its output went, if anywhere.
    public let logFile: String?
    /// How it ended, once reaped.
    public private(set) var termination: Termination?

    init(pid: pid_t, name: String, logFile: String?) {
        self.pid = pid
        self.name = name
        self.logFile = logFile
    }

    /// Reaps it if it has ended; true while it runs.
    public var isRunning: Bool {
        if termination != nil { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            termination = Subprocess.decode(status)
            return false
        }
        return true
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; waits for it. Returns how it ended.
    @discardableResult
    public func stop(grace: Double = 2) -> Termination {
        if let termination { return termination }
        if isRunning { kill(pid, SIGTERM) }
        let start = Date()
        var killed = false
        while isRunning {
            if !killed, Date().timeIntervalSince(start) > grace {
                kill(pid, SIGKILL)
                killed = true
            }
            usleep(2_000)
        }
        return termination!
    }

    /// What it wrote to its log file (empty without one).
    public var output: String {
        guard let logFile, let data = FileManager.default.contents(atPath: logFile) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// SIGINT/SIGTERM → a self-pipe, read by ``Subprocess`` which forwards them to its child.
enum SignalForwarder {
    nonisolated(unsafe) static var readFD: Int32 = -1
    nonisolated(unsafe) static var writeFD: Int32 = -1
    nonisolated(unsafe) static var saved: [Int32: sigaction] = [:]
    static let signals = [SIGINT, SIGTERM, SIGHUP]
    /// The last signal forwarded to any child: lets a caller running many children stop early.
    nonisolated(unsafe) static var lastSignal: Int32?

    static func install() {
        if readFD < 0 {
            var pair: [Int32] = [-1, -1]
            guard Subprocess.pipeCloseOnExec(&pair, nonBlocking: true) else { return }
            readFD = pair[0]
            writeFD = pair[1]
        }
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                var byte = UInt8(truncatingIfNeeded: signal)
                _ = write(SignalForwarder.writeFD, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            var old = sigaction()
            sigaction(signal, &action, &old)
            saved[signal] = old
        }
    }

    static func uninstall() {
        for (signal, old) in saved {
            var old = old
            sigaction(signal, &old, nil)
        }
        saved = [:]
    }

    static func pending() -> [Int32] {
        var result: [Int32] = []
        var byte: UInt8 = 0
        while read(readFD, &byte, 1) == 1 { result.append(Int32(byte)) }
        return result
    }
}
