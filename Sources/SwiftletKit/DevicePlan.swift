import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The host facts device validation looks at (paths and lookups are parameters so tests can use fakes).
public struct DeviceHost: Sendable {
    /// Network interfaces: `<sysClassNet>/IFACE` exists for each, with `mtu` and (TUN/TAP) `tun_flags`.
    public var sysClassNet: String
    /// The TUN/TAP clone device.
    public var tunDevice: String
    /// Finds a program on PATH.
    public var which: @Sendable (String) -> String?
    /// The frame echo peer started for `--net NAME=echo`.
    public var echoPeerScript: String
    /// Who we are (a persistent TAP must be owned by us, or by our group, unless we are root).
    public var userID: UInt32
    public var groupIDs: [UInt32]

    public init(sysClassNet: String = "/sys/class/net", tunDevice: String = "/dev/net/tun",
                which: @escaping @Sendable (String) -> String? = { Subprocess.which($0) },
                echoPeerScript: String, userID: UInt32 = geteuid(), groupIDs: [UInt32] = DeviceHost.ourGroups()) {
        self.sysClassNet = sysClassNet
        self.tunDevice = tunDevice
        self.which = which
        self.echoPeerScript = echoPeerScript
        self.userID = userID
        self.groupIDs = groupIDs
    }

    /// Our effective and supplementary groups.
    public static func ourGroups() -> [UInt32] {
        var groups = [gid_t](repeating: 0, count: Int(getgroups(0, nil)) + 1)
        let count = getgroups(Int32(groups.count), &groups)
        return [getegid()] + groups.prefix(max(0, Int(count)))
    }

    /// This machine, with the echo peer from `project`.
    public static func local(_ project: Project) -> DeviceHost {
        DeviceHost(echoPeerScript: project.echoPeerScript)
    }
}

extension Project {
    /// The frame echo peer (`--net NAME=echo`).
    public var echoPeerScript: String { root + "/Tests/Helpers/echo-peer.py" }
}

/// A net device with its backend decided (docs/DEVICES.md §2).
public struct PlannedNet: Equatable, Sendable {
    public var name: String
    public var backend: NetBackendSpec
    public var mac: MACAddress
    public var mtu: Int
    /// `--pcap NAME=FILE`.
    public var pcap: String?
    /// `,offload=off` turns a TAP's virtio_net_hdr and offloads off (docs/DEVICES.md §6).
    public var offload = true
}

/// A block device with its backing decided.
public struct PlannedBlock: Equatable, Sendable {
    public var name: String
    public var source: BlockSourceSpec
    public var blockSize: Int
    /// Bytes (the file's size, or the temporary file's).
    public var capacity: UInt64
}

/// One device of the plan.
public enum PlannedDevice: Equatable, Sendable {
    case net(PlannedNet)
    case block(PlannedBlock)

    public var name: String {
        switch self {
        case .net(let net): return net.name
        case .block(let block): return block.name
        }
    }
}

/// Every declared device with its backend, in manifest order: what a run needs.
public struct DevicePlan: Equatable, Sendable {
    public var devices: [PlannedDevice]

    public init(devices: [PlannedDevice] = []) {
        self.devices = devices
    }

    public var isEmpty: Bool { devices.isEmpty }

    public var nets: [PlannedNet] { devices.compactMap { if case .net(let net) = $0 { return net } else { return nil } } }
    public var blocks: [PlannedBlock] {
        devices.compactMap { if case .block(let block) = $0 { return block } else { return nil } }
    }

    /// One phrase per device for progress lines: `net service (passt, 02:53:57:56:df:de)`,
    /// `block storage (disk.img, 2048 x 512 B)`.
    public var summary: String {
        devices.map { device -> String in
            switch device {
            case .net(let net):
                var backend: String
                switch net.backend {
                case .tap(let interface): backend = "tap \(interface)"
                case .socket(let path): backend = "socket \(path)"
                case .echo: backend = "echo peer"
                case .passt(let tcp, let udp):
                    backend = "passt"
                    let forwards = tcp.map { "tcp \($0)" } + udp.map { "udp \($0)" }
                    if !forwards.isEmpty { backend += " " + forwards.joined(separator: " ") }
                }
                var text = "net \(net.name) (\(backend), \(net.mac)"
                if net.mtu != 1500 { text += ", mtu \(net.mtu)" }
                if let pcap = net.pcap { text += ", pcap \(pcap)" }
                return text + ")"
            case .block(let block):
                let source: String
                switch block.source {
                case .file(let path): source = path
                case .temporary: source = "temporary file"
                }
                return "block \(block.name) (\(source), \(block.capacity / UInt64(block.blockSize)) x \(block.blockSize) B)"
            }
        }.joined(separator: ", ")
    }

    /// Matches the options to the manifest and checks every backend on the host
    /// (docs/DEVICES.md §2), before anything is built or started.
    /// - Throws: ``DeviceProblems``: one line per problem, each naming the device and what to do.
    public static func make(manifest: Manifest, options: DeviceOptions, host: DeviceHost) throws(DeviceProblems) -> DevicePlan {
        var problems: [SwiftletError] = []
        func refuse(_ problem: String, _ remedy: String) {
            problems.append(SwiftletError(problem, remedy: remedy, status: DeviceProblems.status))
        }
        let where_ = manifest.path.map { "in \($0)" } ?? "(the app has no manifest.json)"
        let declared = manifest.devices.isEmpty ? "no devices"
            : manifest.devices.map { "\($0.name) (\($0.kind.rawValue))" }.joined(separator: ", ")

        // Each name at most once across --net and --block, once per --pcap.
        var backendFor: [String: String] = [:]
        var nets: [String: NetOption] = [:]
        var blocks: [String: BlockOption] = [:]
        var pcaps: [String: PcapOption] = [:]
        /// Records `text` as the backend of `name`; refuses a second backend for one device (net or block).
        func claimBackend(_ name: String, _ text: String) -> Bool {
            if let earlier = backendFor[name] {
                refuse("\(text): device '\(name)' already has a backend (\(earlier))", "give one backend per device")
                return false
            }
            backendFor[name] = text
            return true
        }
        for option in options.net where claimBackend(option.name, option.text) {
            nets[option.name] = option
        }
        for option in options.block where claimBackend(option.name, option.text) {
            blocks[option.name] = option
        }
        for option in options.pcap {
            if let earlier = pcaps[option.name] {
                refuse("\(option.text): device '\(option.name)' already has a pcap (\(earlier.text))", "give one --pcap per device")
                continue
            }
            pcaps[option.name] = option
        }

        // Options for names the manifest does not declare, or of the wrong kind.
        var checked: Set<String> = []
        for option in options.net where nets[option.name] == option && checked.insert("net " + option.name).inserted {
            switch manifest.device(named: option.name)?.kind {
            case nil: refuse("\(option.text): the app declares no device '\(option.name)' \(where_)", "it declares \(declared)")
            case .block: refuse("\(option.text): '\(option.name)' is a block device \(where_)", "use --block \(option.name)=FILE")
            case .net: break
            }
        }
        for option in options.block where blocks[option.name] == option && checked.insert("block " + option.name).inserted {
            switch manifest.device(named: option.name)?.kind {
            case nil: refuse("\(option.text): the app declares no device '\(option.name)' \(where_)", "it declares \(declared)")
            case .net: refuse("\(option.text): '\(option.name)' is a net device \(where_)", "use --net \(option.name)=SPEC")
            case .block: break
            }
        }
        for option in options.pcap where pcaps[option.name] == option && checked.insert("pcap " + option.name).inserted {
            switch manifest.device(named: option.name)?.kind {
            case nil:
                refuse("\(option.text): the app declares no device '\(option.name)' \(where_)", "--pcap records a declared net device")
            case .block:
                refuse("\(option.text): '\(option.name)' is a block device", "--pcap records net devices only")
            case .net:
                problems += checkPcap(option)
            }
        }

        var planned: [PlannedDevice] = []
        var tunChecked = false
        for device in manifest.devices {
            switch device.kind {
            case .net:
                guard let option = nets[device.name] else {
                    if blocks[device.name] == nil {
                        refuse("net device '\(device.name)' declared \(where_) has no backend",
                               "add --net \(device.name)=tap:IFACE, --net \(device.name)=passt or --net \(device.name)=socket:PATH")
                    }
                    continue
                }
                var mtu = 1500
                switch option.backend {
                case .tap(let interface):
                    let (found, problem) = checkTap(option, interface: interface, host: host, checkTun: !tunChecked)
                    tunChecked = true
                    problems += problem
                    if let found { mtu = found }
                case .passt:
                    if host.which("passt") == nil {
                        refuse("\(option.text): passt is not installed (not on PATH)",
                               "run ./swiftlet setup (or apt-get install passt)")
                    }
                case .socket(let path):
                    problems += checkSocket(option, path: path)
                case .echo:
                    if host.which("python3") == nil {
                        refuse("\(option.text): the echo peer needs python3, which is not on PATH", "install python3")
                    } else if access(host.echoPeerScript, R_OK) != 0 {
                        refuse("\(option.text): the echo peer \(host.echoPeerScript) is missing", "restore it from git")
                    }
                }
                planned.append(.net(PlannedNet(name: device.name, backend: option.backend,
                                               mac: option.mac ?? MACAddress.derived(from: device.name), mtu: mtu,
                                               pcap: pcaps[device.name]?.path, offload: option.offload)))
            case .block:
                guard let option = blocks[device.name] else {
                    if nets[device.name] == nil {
                        refuse("block device '\(device.name)' declared \(where_) has no backend",
                               "add --block \(device.name)=FILE (a raw file, e.g. made with truncate -s 1M FILE)")
                    }
                    continue
                }
                switch option.source {
                case .file(let path):
                    let (capacity, problem) = checkBlockFile(option, path: path)
                    problems += problem
                    planned.append(.block(PlannedBlock(name: device.name, source: option.source,
                                                       blockSize: option.blockSize, capacity: capacity ?? 0)))
                case .temporary(let size):
                    if size % UInt64(option.blockSize) != 0 {
                        refuse("\(option.text): size \(size) is not a multiple of the block size \(option.blockSize)",
                               "round it to a multiple of \(option.blockSize)")
                    }
                    planned.append(.block(PlannedBlock(name: device.name, source: option.source,
                                                       blockSize: option.blockSize, capacity: size)))
                }
            }
        }
        if !problems.isEmpty { throw DeviceProblems(problems) }
        return DevicePlan(devices: planned)
    }

    static func problem(_ option: String, _ what: String, _ remedy: String) -> SwiftletError {
        SwiftletError("\(option): \(what)", remedy: remedy, status: DeviceProblems.status)
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// The interface exists and is a TUN/TAP; /dev/net/tun opens read-write. Returns the interface's MTU.
    static func checkTap(_ option: NetOption, interface: String, host: DeviceHost,
                         checkTun: Bool) -> (Int?, [SwiftletError]) {
        let directory = host.sysClassNet + "/" + interface
        guard FileManager.default.fileExists(atPath: directory) else {
            return (nil, [problem(option.text, "no network interface \(interface) (\(directory) does not exist)",
                                  "create it: ip tuntap add dev \(interface) mode tap user $USER && ip link set \(interface) up")])
        }
        var problems: [SwiftletError] = []
        if !FileManager.default.fileExists(atPath: directory + "/tun_flags") {
            problems.append(problem(option.text, "\(interface) is not a TUN/TAP interface",
                                    "give a TAP interface (ip tuntap add dev tapN mode tap user $USER)"))
        }
        // A persistent TAP (ip tuntap add ... user U group G) may be attached by U, by G, or by root;
        // owner and group -1 mean root only. (A process with CAP_NET_ADMIN is not recognised here.)
        func id(_ file: String) -> Int? {
            (try? String(contentsOfFile: directory + "/" + file, encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        if host.userID != 0, let owner = id("owner"), let group = id("group") {
            let mine = owner == Int(host.userID) || (group >= 0 && host.groupIDs.contains(UInt32(group)))
            if !mine {
                let whose = owner < 0 && group < 0 ? "root only (made without user=)"
                    : owner >= 0 ? "owned by uid \(owner)" : "owned by gid \(group)"
                problems.append(problem(option.text, "\(interface) may not be attached by you: it is \(whose)",
                                        "run as root, or recreate it: ip tuntap add dev \(interface) mode tap user $USER"))
            }
        }
        if checkTun {
            let fd = open(host.tunDevice, O_RDWR | O_CLOEXEC)
            if fd >= 0 {
                close(fd)
            } else {
                problems.append(problem(option.text, "cannot open \(host.tunDevice) read-write (\(errnoText()))",
                                        "run as root, or give yourself access to \(host.tunDevice)"))
            }
        }
        let text = (try? String(contentsOfFile: directory + "/mtu", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let mtu = text.flatMap { Int($0) }.flatMap { (68...65535).contains($0) ? $0 : nil }
        return (mtu, problems)
    }

    /// A UNIX socket exists at `path` (the server should be listening there).
    static func checkSocket(_ option: NetOption, path: String) -> [SwiftletError] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return [problem(option.text, "no socket at \(path) (\(errnoText()))", "start the server that listens there first")]
        }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            return [problem(option.text, "\(path) is not a UNIX socket", "give the path a stream server listens on")]
        }
        guard access(path, R_OK | W_OK) == 0 else {
            return [problem(option.text, "cannot connect to \(path) (\(errnoText()))", "check its permissions")]
        }
        return []
    }

    /// A regular file we can read and write whose size is a non-zero multiple of the block size.
    static func checkBlockFile(_ option: BlockOption, path: String) -> (UInt64?, [SwiftletError]) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let missing = errno == ENOENT
            return (nil, [problem(option.text, missing ? "no such file \(path)" : "cannot stat \(path) (\(errnoText()))",
                                  missing ? "create it, e.g. truncate -s 1M \(shellQuote(path))" : "check the path")])
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return (nil, [problem(option.text, "\(path) is not a regular file", "give a raw image file")])
        }
        guard access(path, R_OK | W_OK) == 0 else {
            return (nil, [problem(option.text, "cannot read and write \(path) (\(errnoText()))",
                                  "make it readable and writable: chmod u+rw \(shellQuote(path))")])
        }
        let size = UInt64(info.st_size)
        if size == 0 {
            return (nil, [problem(option.text, "\(path) is empty (size 0)",
                                  "give it a size, e.g. truncate -s 1M \(shellQuote(path))")])
        }
        if size % UInt64(option.blockSize) != 0 {
            let up = (size / UInt64(option.blockSize) + 1) * UInt64(option.blockSize)
            return (nil, [problem(option.text,
                                  "size \(size) of \(path) is not a multiple of the block size \(option.blockSize)",
                                  "resize it (truncate -s \(up) \(shellQuote(path))) or pick another block-size")])
        }
        return (size, [])
    }

    /// The pcap file can be created (or truncated) in its folder.
    static func checkPcap(_ option: PcapOption) -> [SwiftletError] {
        var directory = (option.path as NSString).deletingLastPathComponent
        if directory.isEmpty { directory = "." }
        var info = stat()
        if stat(option.path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR {
                return [problem(option.text, "\(option.path) is a folder", "give a file name")]
            }
            if access(option.path, W_OK) != 0 {
                return [problem(option.text, "cannot write \(option.path) (\(errnoText()))", "check its permissions")]
            }
            return []
        }
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            return [problem(option.text, "no folder \(directory) for the pcap file", "create it first")]
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            return [problem(option.text, "cannot create files in \(directory) (\(errnoText()))", "pick a writable folder")]
        }
        return []
    }
}
