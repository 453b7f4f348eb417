import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The backends of one run, started: passt processes, echo peers, temporary disks.
///
/// ``start(_:target:runTimeout:log:)`` brings up what the plan needs in a private
/// temporary folder and says how the image reaches each device
/// (``attachments``, and ``inheritedFDs`` for the image's process: they become
/// its fds 3, 4, ...). ``stop()`` ends every helper by its pid, closes our fds
/// and deletes the folder. A plan without devices starts nothing.
public final class DeviceSession {
    /// The devices as the image's command line names them, in manifest order.
    public private(set) var attachments: [DeviceAttachment] = []
    /// Our fds the image's process (tender or QEMU) must inherit, in child-fd order from 3.
    public private(set) var inheritedFDs: [Int32] = []
    /// The helpers started, by device name.
    public private(set) var helpers: [(device: String, process: BackgroundProcess)] = []
    /// The private folder (sockets, temporary disks, helper logs); nil when none was needed.
    public private(set) var directory: String?
    var log: Log

    init(log: Log) {
        self.log = log
    }

    deinit { stop() }

    /// Starts every backend `plan` needs.
    /// - Parameters:
    ///   - runTimeout: the run's own limit; helpers stop themselves some time after it.
    /// - Throws: ``SwiftletError`` when a helper cannot be started (everything started so far is stopped).
    public static func start(_ plan: DevicePlan, target: Target, runTimeout: Double?, log: Log,
                             host: DeviceHost) throws -> DeviceSession {
        let session = DeviceSession(log: log)
        do {
            try session.bringUp(plan, runTimeout: runTimeout, host: host)
        } catch {
            session.stop()
            throw error
        }
        return session
    }

    func makeDirectory() throws -> String {
        if let directory { return directory }
        var template = Array(((NSTemporaryDirectory() as NSString).appendingPathComponent("swiftlet-dev-XXXXXX")).utf8CString)
        guard mkdtemp(&template) != nil else {
            throw SwiftletError("cannot create a temporary folder: \(String(cString: strerror(errno)))", remedy: "check TMPDIR")
        }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        directory = path
        return path
    }

    func bringUp(_ plan: DevicePlan, runTimeout: Double?, host: DeviceHost) throws {
        for device in plan.devices {
            switch device {
            case .net(let net):
                let endpoint: NetEndpoint
                switch net.backend {
                case .tap(let interface):
                    endpoint = .tap(interface: interface)
                case .socket(let path):
                    endpoint = .socket(path: path)
                case .passt(let tcp, let udp):
                    endpoint = .inheritedFD(try startPasst(net, tcp: tcp, udp: udp))
                case .echo:
                    endpoint = .socket(path: try startEchoPeer(net, runTimeout: runTimeout, host: host))
                }
                attachments.append(.net(name: net.name, endpoint: endpoint, mac: net.mac, mtu: net.mtu, pcap: net.pcap,
                                        offload: net.offload))
            case .block(let block):
                switch block.source {
                case .file(let path):
                    attachments.append(.block(name: block.name, path: path, blockSize: block.blockSize))
                case .temporary(let size):
                    let path = try makeDirectory() + "/\(block.name).img"
                    let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                    guard fd >= 0, ftruncate(fd, off_t(size)) == 0 else {
                        let reason = String(cString: strerror(errno))
                        if fd >= 0 { close(fd) }
                        throw SwiftletError("cannot create a temporary disk of \(size) bytes for '\(block.name)': \(reason)",
                                            remedy: "check TMPDIR has room")
                    }
                    close(fd)
                    attachments.append(.block(name: block.name, path: path, blockSize: block.blockSize))
                }
            }
        }
    }

    /// passt on one end of a socketpair (`passt --fd 3 -f -q -m MTU [-t H:G]... [-u H:G]...`);
    /// returns the child-side fd number of our end.
    func startPasst(_ net: PlannedNet, tcp: [PortForward], udp: [PortForward]) throws -> Int32 {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw SwiftletError("cannot create a socket pair for passt (\(net.name)): \(String(cString: strerror(errno)))")
        }
        defer { close(pair[1]) }
        var arguments = ["passt", "--fd", "3", "--foreground", "--quiet", "--mtu", "\(net.mtu)"]
        for forward in tcp { arguments += ["-t", "\(forward.host):\(forward.guest)"] }
        for forward in udp { arguments += ["-u", "\(forward.host):\(forward.guest)"] }
        var passt = Subprocess(arguments)
        passt.inheritedFDs = [pair[1]]
        passt.logFile = try makeDirectory() + "/passt-\(net.name).log"
        log.command(arguments)
        do {
            helpers.append((net.name, try passt.start()))
        } catch {
            close(pair[0])
            throw error
        }
        inheritedFDs.append(pair[0])
        return Int32(2 + inheritedFDs.count)
    }

    /// The frame echo peer (Tests/Helpers/echo-peer.py) serving a socket we bind and listen on
    /// before it starts, so the image can connect at once; returns the socket's path.
    func startEchoPeer(_ net: PlannedNet, runTimeout: Double?, host: DeviceHost) throws -> String {
        let path = try makeDirectory() + "/echo-\(net.name).sock"
        let fd = try DeviceSession.listeningSocket(path)
        defer { close(fd) }
        // Bounded: it also stops itself when we are gone.
        let limit = Int((runTimeout ?? 3600) + 30)
        let arguments = ["python3", host.echoPeerScript, "--fd", "3", "--timeout", "\(limit)"]
        var peer = Subprocess(arguments)
        peer.inheritedFDs = [fd]
        peer.logFile = try makeDirectory() + "/echo-\(net.name).log"
        log.command(arguments)
        helpers.append((net.name, try peer.start()))
        return path
    }

    /// A UNIX stream socket bound at `path` and listening.
    static func listeningSocket(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SwiftletError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw SwiftletError("socket path \(path) is too long", remedy: "set TMPDIR to a shorter folder")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SwiftletError("cannot listen on \(path): \(reason)")
        }
        return fd
    }

    /// Helpers that failed on their own before ``stop()`` (a non-zero status or a signal: passt exits
    /// 0 by itself once the image closes its socket), one line each, for a failed run's report.
    public func helperProblems() -> [String] {
        helpers.compactMap { device, process in
            guard !process.isRunning, let termination = process.termination, termination != .exited(0) else { return nil }
            let output = process.output.split(separator: "\n").filter { !$0.contains("syslog") }.last.map(String.init)
            return "\(process.name) for '\(device)' ended early (\(termination))" + (output.map { ": \($0)" } ?? "")
        }
    }

    /// Stops every helper (by pid), closes our fds and deletes the private folder. Idempotent.
    public func stop() {
        for (device, process) in helpers {
            let termination = process.stop()
            if log.verbose {
                let output = process.output.split(separator: "\n").filter { !$0.contains("to syslog") }
                log.detail("swiftlet: \(process.name) for '\(device)' (pid \(process.pid)) stopped: \(termination)"
                    + (output.isEmpty ? "" : "; it said: " + output.joined(separator: " | ")))
            }
        }
        helpers = []
        inheritedFDs.forEach { close($0) }
        inheritedFDs = []
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
        directory = nil
    }
}
