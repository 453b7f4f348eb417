/// DeviceOptions.swift — the tender's device options (docs/DEVICES.md §3): grammar and checks, no host calls.
///
///     --net NAME=tap:IFACE[,mac=M][,mtu=N][,offload=on|off]
///                                               an existing TAP interface (offload=off: no virtio_net_hdr)
///     --net NAME=socket:PATH[,mac=M][,mtu=N]    a listening UNIX stream socket (QEMU stream framing)
///     --net NAME=fd:FD[,mac=M][,mtu=N]          an inherited, connected stream socket (passt --fd)
///     --block NAME=FILE[,block-size=N]          a raw disk image, N a power of two in 512...65536 (512)
///     --pcap NAME=FILE                          a pcap of every frame net device NAME sends and receives
///
/// Each option is also accepted as one word (`--net=NAME=...`). After `NAME=`
/// the value is split at commas into the backend and `key=value` settings; a
/// doubled comma (`,,`) is a literal comma, as in QEMU's option syntax, so a
/// path may contain commas. `M` is six hex bytes `xx:xx:xx:xx:xx:xx` (unicast, not all zeros);
/// without it the MAC is `02:53:57:xx:yy:zz`, the three most significant bytes
/// of FNV-1a-32 of the name (§2). `N` (mtu) is 68...65535, default 1500; block-size is 512 or 4096.
/// A NAME is 1–31 of `A-Z a-z 0-9 - _`, at most 20 for a block device (§1), and names are unique across `--net`
/// and `--block`; at most 64 devices (handles 0...63, in option order). Every
/// refusal is one line that names the device and says what to do
/// (TenderDevices.swift adds the ones that need the host: files, TAP, sockets).
/// The rules the CLI and the boot words share (name, escape, MAC, MTU, block size) are DeviceSpec's.

import DeviceSpec

/// A command line the tender refuses: one line for stderr (without its newline), exit status 2.
struct TenderError: Error {
    private(set) var line = Line()

    /// Starts `swiftlet: <text>`.
    init(_ text: StaticString) {
        self.line.append("swiftlet: ")
        self.line.append(text)
    }

    /// Appends fixed text.
    func text(_ text: StaticString) -> TenderError {
        var copy = self
        copy.line.append(text)
        return copy
    }

    /// Appends bytes from the command line (a name, a path, a value).
    func bytes(_ bytes: [UInt8]) -> TenderError {
        var copy = self
        copy.line.append(bytes: bytes)
        return copy
    }

    /// Appends a C string.
    func cString(_ text: UnsafePointer<CChar>) -> TenderError {
        var copy = self
        copy.line.append(cString: text)
        return copy
    }

    /// Appends a number in decimal.
    func decimal(_ value: UInt64) -> TenderError {
        var copy = self
        copy.line.append(decimal: value)
        return copy
    }
}

/// Where a net device's frames go.
enum NetBackendOption {
    /// `tap:IFACE`
    case tap(interface: [UInt8])
    /// `socket:PATH`
    case socket(path: [UInt8])
    /// `fd:FD`
    case inherited(fd: Int32)
}

/// One `--net`.
struct NetOption {
    let name: [UInt8]
    let backend: NetBackendOption
    /// Six bytes.
    let mac: [UInt8]
    let mtu: Int
    /// `offload=off`: a TAP without IFF_VNET_HDR, so no checksum or TSO offloads either way (stream backends
    /// never have them).
    let offload: Bool
}

/// One `--block`.
struct BlockOption {
    let name: [UInt8]
    let path: [UInt8]
    let blockSize: Int
}

/// One `--pcap`.
struct PcapOption {
    let name: [UInt8]
    let path: [UInt8]
}

/// A device in handle order.
enum DeviceOption {
    case net(NetOption)
    case block(BlockOption)

    var name: [UInt8] {
        switch self {
        case .net(let net): return net.name
        case .block(let block): return block.name
        }
    }
}

/// The three device options.
enum DeviceOptionKind {
    case net, block, pcap

    /// The option as typed, e.g. `--net`.
    var flag: StaticString {
        switch self {
        case .net: return "--net"
        case .block: return "--block"
        case .pcap: return "--pcap"
        }
    }

    /// The option's grammar, for "needs a value" lines.
    var grammar: StaticString {
        switch self {
        case .net: return "--net NAME=tap:IFACE|socket:PATH|fd:FD[,mac=M][,mtu=N]"
        case .block: return "--block NAME=FILE[,block-size=N]"
        case .pcap: return "--pcap NAME=FILE"
        }
    }
}

/// Every device option of a command line, checked against each other.
struct DeviceOptions {
    /// Net and block devices; the index is the ABI handle.
    private(set) var devices: [DeviceOption] = []
    private(set) var pcaps: [PcapOption] = []

    static let maximumDevices = DeviceSpec.maximumDevices

    /// Parses the value of one option (the word after `--net`, or after `--net=`).
    ///
    /// - Throws: ``TenderError`` for a malformed value, a duplicate name or the 65th device.
    mutating func add(_ kind: DeviceOptionKind, value: [UInt8]) throws(TenderError) {
        guard let equals = value.firstIndex(of: UInt8(ascii: "=")), equals > 0 else {
            throw TenderError("").text(kind.flag).text(" expects NAME=VALUE, got '").bytes(value)
                .text("'; usage: ").text(kind.grammar)
        }
        let name = Array(value[..<equals])
        try Self.checkName(name, kind)
        let fields = DeviceSpec.splitSettings(Array(value[(equals + 1)...]))
        switch kind {
        case .net:
            try self.addDevice(.net(try Self.parseNet(name, fields)))
        case .block:
            try self.addDevice(.block(try Self.parseBlock(name, fields)))
        case .pcap:
            guard !fields[0].isEmpty else {
                throw TenderError("--pcap ").bytes(name).text(": no file given; usage: --pcap NAME=FILE")
            }
            guard fields.count == 1 else {
                throw TenderError("--pcap ").bytes(name).text(": unknown setting '").bytes(fields[1])
                    .text("'; --pcap takes only NAME=FILE (write ,, for a comma in FILE)")
            }
            for pcap in self.pcaps where pcap.name == name {
                throw TenderError("--pcap ").bytes(name).text(" is given twice; give one pcap file per net device")
            }
            self.pcaps.append(PcapOption(name: name, path: fields[0]))
        }
    }

    /// The checks that need every option: each `--pcap` names a `--net` device.
    func checkPcaps() throws(TenderError) {
        for pcap in self.pcaps {
            var found = false
            for device in self.devices where device.name == pcap.name {
                guard case .net = device else {
                    throw TenderError("--pcap ").bytes(pcap.name).text(": ").bytes(pcap.name)
                        .text(" is a block device; a pcap records a net device's frames")
                }
                found = true
            }
            if !found {
                throw TenderError("--pcap ").bytes(pcap.name).text(": no net device is named ").bytes(pcap.name)
                    .text("; declare it with --net ").bytes(pcap.name).text("=...")
            }
        }
    }

    private mutating func addDevice(_ device: DeviceOption) throws(TenderError) {
        let name = device.name
        for other in self.devices where other.name == name {
            throw TenderError("device name ").bytes(name)
                .text(" is declared twice; give each --net and --block device its own name")
        }
        guard self.devices.count < Self.maximumDevices else {
            throw TenderError("too many devices at ").bytes(name)
                .text(": at most 64 --net and --block devices (handles 0...63)")
        }
        self.devices.append(device)
    }

    // MARK: - Grammar

    /// A device name (docs/DEVICES.md §1, DeviceSpec's rule).
    private static func checkName(_ name: [UInt8], _ kind: DeviceOptionKind) throws(TenderError) {
        if let problem = DeviceSpec.nameProblem(name, block: kind == .block) {
            throw TenderError("").text(kind.flag).text(": device name '").bytes(name).text("' ")
                .text(problem.explanation(block: kind == .block)).text("; use 1-31 characters of A-Z a-z 0-9 - _")
        }
    }

    /// Splits `key=value` at its first `=`.
    private static func setting(_ field: [UInt8]) -> (key: [UInt8], value: [UInt8])? {
        guard let equals = field.firstIndex(of: UInt8(ascii: "=")), equals > 0 else { return nil }
        return (Array(field[..<equals]), Array(field[(equals + 1)...]))
    }

    private static func parseNet(_ name: [UInt8], _ fields: [[UInt8]]) throws(TenderError) -> NetOption {
        let main = fields[0]
        let backend: NetBackendOption
        if let interface = suffix(of: main, after: "tap:") {
            guard !interface.isEmpty, interface.count <= 15 else {
                throw TenderError("net device ").bytes(name).text(": bad TAP interface name '").bytes(interface)
                    .text("'; use 1-15 characters, e.g. tap:tap0")
            }
            backend = .tap(interface: interface)
        } else if let path = suffix(of: main, after: "socket:") {
            guard !path.isEmpty, path.count <= 107 else {
                throw TenderError("net device ").bytes(name).text(": bad socket path '").bytes(path)
                    .text("'; use a path of 1-107 bytes, e.g. socket:/tmp/net.sock")
            }
            backend = .socket(path: path)
        } else if let number = suffix(of: main, after: "fd:") {
            guard let fd = decimal(number), fd >= 3, fd <= Int(Int32.max) else {
                throw TenderError("net device ").bytes(name).text(": bad fd '").bytes(number)
                    .text("'; use the number of an inherited connected stream socket, 3 or more")
            }
            backend = .inherited(fd: Int32(fd))
        } else {
            throw TenderError("net device ").bytes(name).text(": unknown backend '").bytes(main)
                .text("'; use tap:IFACE, socket:PATH or fd:FD")
        }
        var mac: [UInt8]? = nil
        var mtu: Int? = nil
        var offload: Bool? = nil
        for field in fields.dropFirst() {
            guard let (key, value) = setting(field) else {
                throw TenderError("net device ").bytes(name).text(": bad setting '").bytes(field)
                    .text("'; use mac=M, mtu=N or offload=on|off (write ,, for a comma in a path)")
            }
            if equal(key, "mac") && mac == nil {
                do throws(DeviceSpec.MACProblem) {
                    mac = DeviceSpec.macBytes(try DeviceSpec.parseMAC(value))
                } catch {
                    throw TenderError("net device ").bytes(name).text(": mac '").bytes(value).text("' ")
                        .text(error.reason).text("; ").text(error.remedy)
                }
            } else if equal(key, "mtu") && mtu == nil {
                guard let parsed = decimal(value), DeviceSpec.isValidMTU(parsed) else {
                    throw TenderError("net device ").bytes(name).text(": bad mtu '").bytes(value)
                        .text("'; use a number from 68 to 65535")
                }
                mtu = parsed
            } else if equal(key, "offload") && offload == nil {
                if equal(value, "on") {
                    offload = true
                } else if equal(value, "off") {
                    offload = false
                } else {
                    throw TenderError("net device ").bytes(name).text(": bad offload '").bytes(value)
                        .text("'; use offload=on or offload=off")
                }
            } else {
                throw TenderError("net device ").bytes(name).text(": unknown or repeated setting '").bytes(field)
                    .text("'; use mac=M, mtu=N and offload=on|off at most once each")
            }
        }
        return NetOption(name: name, backend: backend, mac: mac ?? DeviceSpec.macBytes(DeviceSpec.defaultMAC(forName: name)),
                         mtu: mtu ?? DeviceSpec.defaultMTU,
                         offload: offload ?? true)
    }

    private static func parseBlock(_ name: [UInt8], _ fields: [[UInt8]]) throws(TenderError) -> BlockOption {
        guard !fields[0].isEmpty else {
            throw TenderError("block device ").bytes(name).text(": no file given; usage: --block NAME=FILE")
        }
        var blockSize: Int? = nil
        for field in fields.dropFirst() {
            guard let (key, value) = setting(field), equal(key, "block-size"), blockSize == nil else {
                throw TenderError("block device ").bytes(name).text(": unknown or repeated setting '").bytes(field)
                    .text("'; use block-size=N at most once (write ,, for a comma in FILE)")
            }
            guard let size = decimal(value), DeviceSpec.isSupportedBlockSize(size) else {
                throw TenderError("block device ").bytes(name).text(": bad block-size '").bytes(value)
                    .text("'; use block-size=512 or block-size=4096")
            }
            blockSize = size
        }
        return BlockOption(name: name, path: fields[0], blockSize: blockSize ?? DeviceSpec.defaultBlockSize)
    }

    /// A non-negative decimal number of at most 10 digits.
    private static func decimal(_ text: [UInt8]) -> Int? {
        guard !text.isEmpty, text.count <= 10 else { return nil }
        var value = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func equal(_ bytes: [UInt8], _ text: StaticString) -> Bool {
        text.withUTF8Buffer { $0.count == bytes.count && $0.elementsEqual(bytes) }
    }

    private static func suffix(of bytes: [UInt8], after prefix: StaticString) -> [UInt8]? {
        prefix.withUTF8Buffer { wanted -> [UInt8]? in
            guard bytes.count >= wanted.count, bytes.prefix(wanted.count).elementsEqual(wanted) else { return nil }
            return Array(bytes[wanted.count...])
        }
    }
}
