import Foundation

/// A MAC address (six bytes), written `xx:xx:xx:xx:xx:xx` in lower-case hex.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        precondition(bytes.count == 6)
        self.bytes = bytes
    }

    /// A MAC from DeviceSpec's packed form (low 48 bits, first byte in bits 47:40).
    public init(packed: UInt64) {
        self.bytes = DeviceSpec.macBytes(packed)
    }

    /// Parses a MAC by DeviceSpec's rule (six hex bytes, one or two digits each, either case, not a group or
    /// all-zero address), the rule the tender and the boot words use.
    public static func parse(_ text: String) throws(DeviceSpec.MACProblem) -> MACAddress {
        MACAddress(packed: try DeviceSpec.parseMAC(Array(text.utf8)))
    }

    /// The default MAC for a device (docs/DEVICES.md §2, DeviceSpec): `02:53:57` then the three most
    /// significant bytes of FNV-1a-32 of the name (`service` → `02:53:57:56:df:de`).
    public static func derived(from name: String) -> MACAddress {
        MACAddress(packed: DeviceSpec.defaultMAC(forName: Array(name.utf8)))
    }

    /// True for a group (multicast/broadcast) address: a NIC cannot have one.
    public var isMulticast: Bool { bytes[0] & 1 == 1 }

    /// `xx:xx:xx:xx:xx:xx`, lower-case (DeviceSpec.macText: how `@net.NAME=MAC` and `mac=` are written).
    public var description: String {
        String(decoding: DeviceSpec.macText(bytes.reduce(0) { $0 << 8 | UInt64($1) }), as: UTF8.self)
    }
}

/// FNV-1a, 32 bits, of a string's UTF-8 (DeviceSpec's).
public func fnv1a32(_ text: String) -> UInt32 {
    Array(text.utf8).withUnsafeBufferPointer { DeviceSpec.fnv1a32($0) }
}

/// A passt port forward: host port → guest port.
public struct PortForward: Equatable, Sendable, CustomStringConvertible {
    public var host: UInt16
    public var guest: UInt16

    public init(host: UInt16, guest: UInt16) {
        self.host = host
        self.guest = guest
    }

    /// `H:G`, or `P` for the same port on both sides; nil when malformed.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2,
              let host = UInt16(parts[0]), host > 0,
              let guest = UInt16(parts.last!), guest > 0 else { return nil }
        self.init(host: host, guest: guest)
    }

    public var description: String { "\(host):\(guest)" }
}

/// What `--net NAME=SPEC` asks for (docs/DEVICES.md §2).
public enum NetBackendSpec: Equatable, Sendable {
    /// `tap:IFACE`: an existing TAP interface.
    case tap(interface: String)
    /// `passt[:tcp=H:G,...,udp=H:G...]`: swiftlet starts passt and wires it.
    case passt(tcp: [PortForward], udp: [PortForward])
    /// `socket:PATH`: a listening UNIX stream socket speaking QEMU's stream framing.
    case socket(path: String)
    /// `echo` (`swiftlet test` only): swiftlet starts a frame echo peer and connects to it as `socket:`.
    case echo

    /// Short name for messages (`tap`, `passt`, ...).
    public var kindName: String {
        switch self {
        case .tap: return "tap"
        case .passt: return "passt"
        case .socket: return "socket"
        case .echo: return "echo"
        }
    }
}

/// One `--net NAME=SPEC`.
public struct NetOption: Equatable, Sendable {
    public var name: String
    public var backend: NetBackendSpec
    /// `,mac=M`; nil for the default.
    public var mac: MACAddress?
    /// `,offload=on|off` (default on): whether a TAP carries a virtio_net_hdr with checksum and TSO offloads.
    /// Other backends never offload (docs/DEVICES.md §6).
    public var offload = true
    /// The option as typed (`--net service=passt`), for messages.
    public var text: String
}

/// Where a block device's bytes live.
public enum BlockSourceSpec: Equatable, Sendable {
    /// A raw file that exists.
    case file(path: String)
    /// `temp:SIZE` (`swiftlet test` only): a fresh zero-filled file of SIZE bytes, deleted after the run.
    case temporary(size: UInt64)
}

/// One `--block NAME=FILE[,block-size=N]`.
public struct BlockOption: Equatable, Sendable {
    public var name: String
    public var source: BlockSourceSpec
    public var blockSize: Int
    public var text: String
}

/// One `--pcap NAME=FILE`.
public struct PcapOption: Equatable, Sendable {
    public var name: String
    public var path: String
    public var text: String
}

/// Several device problems, each reported as its own line (`swiftlet: error: ...`), status 2.
public struct DeviceProblems: Error, CustomStringConvertible, Equatable {
    public var problems: [SwiftletError]
    /// The exit status for a device configuration `swiftlet` refuses (the tender uses 2 too).
    public static let status: Int32 = 2

    public init(_ problems: [SwiftletError]) {
        self.problems = problems
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// The device options of `swiftlet run`/`swiftlet test`, parsed (docs/DEVICES.md §2):
///
///     --net NAME=tap:IFACE[,mac=M]
///     --net NAME=passt[:tcp=H:G[,tcp=H:G...][,udp=H:G...]][,mac=M]
///     --net NAME=socket:PATH[,mac=M]
///     --net NAME=echo[,mac=M]                       (swiftlet test only)
///     --block NAME=FILE[,block-size=512|4096]
///     --block NAME=temp:SIZE[,block-size=512|4096]  (swiftlet test only; SIZE in bytes, or with K/M/G)
///     --pcap NAME=FILE
///
/// After `NAME=`, commas separate settings and `,,` is a literal comma (as for QEMU and the tender).
public struct DeviceOptions: Equatable, Sendable {
    public var net: [NetOption] = []
    public var block: [BlockOption] = []
    public var pcap: [PcapOption] = []

    public init(net: [NetOption] = [], block: [BlockOption] = [], pcap: [PcapOption] = []) {
        self.net = net
        self.block = block
        self.pcap = pcap
    }

    public var isEmpty: Bool { net.isEmpty && block.isEmpty && pcap.isEmpty }

    /// Block sizes a user may choose (§2; DeviceSpec.isSupportedBlockSize).
    public static let blockSizes = [512, 4096].filter(DeviceSpec.isSupportedBlockSize)

    /// Parses the raw option values (what follows `--net`, `--block`, `--pcap`).
    /// - Parameter testBackends: accept `echo` and `temp:` (only `swiftlet test` does).
    /// - Throws: ``DeviceProblems`` with one line per malformed option.
    public static func parse(net: [String], block: [String], pcap: [String],
                             testBackends: Bool = false) throws(DeviceProblems) -> DeviceOptions {
        var options = DeviceOptions()
        var problems: [SwiftletError] = []
        for value in net {
            do { options.net.append(try parseNet(value, testBackends: testBackends)) } catch { problems.append(error) }
        }
        for value in block {
            do { options.block.append(try parseBlock(value, testBackends: testBackends)) } catch { problems.append(error) }
        }
        for value in pcap {
            do { options.pcap.append(try parsePcap(value)) } catch { problems.append(error) }
        }
        if !problems.isEmpty { throw DeviceProblems(problems) }
        return options
    }

    /// Splits `NAME=rest` and checks the name's characters.
    static func splitName(_ value: String, option: String, usage: String) throws(SwiftletError) -> (String, String) {
        guard let equals = value.firstIndex(of: "=") else {
            throw SwiftletError("\(option) \(value): expected NAME=\(usage)",
                                remedy: "e.g. \(option) \(option == "--block" ? "storage" : "service")=\(usage)", status: DeviceProblems.status)
        }
        let name = String(value[..<equals])
        let rest = String(value[value.index(after: equals)...])
        if let problem = Manifest.nameProblem(name) {
            throw SwiftletError("\(option) \(value): device name '\(name)' \(problem)",
                                remedy: "use the name the app's manifest.json declares", status: DeviceProblems.status)
        }
        return (name, rest)
    }

    /// Splits settings at single commas; `,,` is a literal comma (DeviceSpec's rule).
    public static func splitSettings(_ text: String) -> [String] {
        DeviceSpec.splitSettings(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    static func parseNet(_ value: String, testBackends: Bool) throws(SwiftletError) -> NetOption {
        let text = "--net \(value)"
        func problem(_ what: String, _ remedy: String) -> SwiftletError {
            SwiftletError("\(text): \(what)", remedy: remedy, status: DeviceProblems.status)
        }
        let (name, rest) = try splitName(value, option: "--net", usage: "tap:IFACE|passt|socket:PATH")
        var fields = splitSettings(rest)
        let first = fields.removeFirst()
        var backend: NetBackendSpec
        var mac: MACAddress?
        var offload: Bool?
        var tcp: [PortForward] = [], udp: [PortForward] = []
        if first.hasPrefix("tap:") {
            let interface = String(first.dropFirst(4))
            guard !interface.isEmpty, interface.utf8.count <= 15, !interface.contains("/") else {
                throw problem("expected tap:IFACE with an interface name of 1-15 characters",
                              "e.g. --net \(name)=tap:tap0")
            }
            backend = .tap(interface: interface)
        } else if first.hasPrefix("socket:") {
            let path = String(first.dropFirst(7))
            guard !path.isEmpty else { throw problem("expected socket:PATH", "give the listening socket's path") }
            guard path.utf8.count <= 107 else {
                throw problem("the socket path is longer than 107 bytes (the limit of a UNIX socket address)",
                              "use a shorter path")
            }
            backend = .socket(path: path)
        } else if first == "passt" || first.hasPrefix("passt:") {
            backend = .passt(tcp: [], udp: [])
            if first.hasPrefix("passt:") {
                let forward = String(first.dropFirst(6))
                guard !forward.isEmpty else { throw problem("expected passt or passt:tcp=H:G", "e.g. --net \(name)=passt:tcp=8080:80") }
                fields.insert(forward, at: 0)
            }
        } else if first == "echo" {
            guard testBackends else {
                throw problem("echo is a test-only backend", "use it with swiftlet test, or give tap:, passt or socket:")
            }
            backend = .echo
        } else {
            throw problem("unknown backend '\(first)'",
                          "use tap:IFACE, passt[:tcp=H:G,udp=H:G], or socket:PATH" + (testBackends ? " (or echo)" : ""))
        }
        for field in fields {
            if field.hasPrefix("mac=") {
                guard mac == nil else { throw problem("mac= given twice", "give it once") }
                do throws(DeviceSpec.MACProblem) {
                    mac = try MACAddress.parse(String(field.dropFirst(4)))
                } catch {
                    throw problem("mac '\(field.dropFirst(4))' \(error.reason)", "\(error.remedy)")
                }
            } else if field.hasPrefix("offload=") {
                guard offload == nil else { throw problem("offload= given twice", "give it once") }
                switch field.dropFirst(8) {
                case "on": offload = true
                case "off": offload = false
                default: throw problem("malformed '\(field)'", "write offload=on or offload=off")
                }
            } else if case .passt = backend, field.hasPrefix("tcp=") || field.hasPrefix("udp=") {
                let spec = String(field.dropFirst(4))
                guard let forward = PortForward(parsing: spec) else {
                    throw problem("malformed port forward '\(field)'", "write \(field.prefix(3))=HOSTPORT:GUESTPORT with ports 1-65535")
                }
                if field.hasPrefix("tcp=") { tcp.append(forward) } else { udp.append(forward) }
            } else {
                let allowed = backend.kindName == "passt" ? "mac=, offload=, tcp=, udp=" : "mac=, offload="
                throw problem("unknown setting '\(field)'", "\(backend.kindName) takes \(allowed)")
            }
        }
        if case .passt = backend { backend = .passt(tcp: tcp, udp: udp) }
        return NetOption(name: name, backend: backend, mac: mac, offload: offload ?? true, text: text)
    }

    static func parseBlock(_ value: String, testBackends: Bool) throws(SwiftletError) -> BlockOption {
        let text = "--block \(value)"
        func problem(_ what: String, _ remedy: String) -> SwiftletError {
            SwiftletError("\(text): \(what)", remedy: remedy, status: DeviceProblems.status)
        }
        let (name, rest) = try splitName(value, option: "--block", usage: "FILE")
        var fields = splitSettings(rest)
        let first = fields.removeFirst()
        guard !first.isEmpty else { throw problem("expected NAME=FILE", "e.g. --block \(name)=disk.img") }
        var source: BlockSourceSpec = .file(path: first)
        if first.hasPrefix("temp:") {
            guard testBackends else {
                throw problem("temp:SIZE is a test-only backend", "use it with swiftlet test, or give a file")
            }
            guard let size = parseSize(String(first.dropFirst(5))), size > 0 else {
                throw problem("malformed size '\(first.dropFirst(5))'", "give bytes, or a number with K, M or G (e.g. temp:1M)")
            }
            source = .temporary(size: size)
        }
        var blockSize: Int?
        for field in fields {
            guard field.hasPrefix("block-size=") else {
                throw problem("unknown setting '\(field)'", "a block device takes block-size=512 or block-size=4096")
            }
            guard blockSize == nil else { throw problem("block-size= given twice", "give it once") }
            guard let size = Int(field.dropFirst(11)), DeviceSpec.isSupportedBlockSize(size) else {
                throw problem("block size '\(field.dropFirst(11))' is not supported", "use block-size=512 or block-size=4096")
            }
            blockSize = size
        }
        return BlockOption(name: name, source: source, blockSize: blockSize ?? DeviceSpec.defaultBlockSize, text: text)
    }

    static func parsePcap(_ value: String) throws(SwiftletError) -> PcapOption {
        let text = "--pcap \(value)"
        let (name, rest) = try splitName(value, option: "--pcap", usage: "FILE")
        let fields = splitSettings(rest)
        guard fields.count == 1, !fields[0].isEmpty else {
            throw SwiftletError("\(text): expected NAME=FILE", remedy: "e.g. --pcap \(name)=\(name).pcap (write ,, for a comma)",
                                status: DeviceProblems.status)
        }
        return PcapOption(name: name, path: fields[0], text: text)
    }

    /// `4096`, `64K`, `1M`, `2G` (binary multiples; `KiB`, `MiB`, `GiB` too); nil when malformed or too large.
    public static func parseSize(_ text: String) -> UInt64? {
        let multipliers: [(String, UInt64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
                                               ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("k", 1 << 10)]
        for (suffix, multiplier) in multipliers where text.hasSuffix(suffix) {
            guard let number = UInt64(text.dropLast(suffix.count)) else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
            return overflow ? nil : product
        }
        return UInt64(text)
    }
}
