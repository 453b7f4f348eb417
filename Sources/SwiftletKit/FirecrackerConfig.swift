import Foundation

/// A Firecracker VM configuration file (`firecracker --no-api --config-file FILE`) for a virtio image
/// (docs/DEPLOY.md §3).
///
/// The keys are those of Firecracker's config file (its `VmmConfig`: `boot-source`, `machine-config`,
/// `network-interfaces`, `drives`), whose objects are the `BootSource`, `MachineConfiguration`,
/// `NetworkInterface` definitions of its published API schema (src/firecracker/swagger/firecracker.yaml;
/// Tests/Deploy checks every generated file against it). Firecracker boots the ELF through its PVH note,
/// gives each device a virtio-mmio transport named on the command line (`virtio_mmio.device=`, which the
/// platform reads), and has no debug-exit port: the image gets `@exit=i8042` and reports its status on the
/// console (Sources/Platform/Virtio/Exit.swift).
///
/// Block devices are refused: Firecracker answers VIRTIO_BLK_T_GET_ID with the backing file's
/// st_dev/st_rdev/st_ino rather than the drive's id, so the unikernel could not find a disk by name.
public struct FirecrackerConfig: Equatable, Sendable {
    /// One network interface: a TAP on the host.
    public struct Interface: Equatable, Sendable {
        public var name: String
        public var tap: String
        public var mac: MACAddress
        public var mtu: Int?

        public init(name: String, tap: String, mac: MACAddress, mtu: Int? = nil) {
            self.name = name
            self.tap = tap
            self.mac = mac
            self.mtu = mtu
        }
    }

    public var kernel: String
    /// The app's boot arguments (the device and exit words are added by ``bootArgs``).
    public var bootArguments: [String]
    public var memoryMiB: Int
    public var interfaces: [Interface]

    public init(kernel: String, bootArguments: [String], memoryMiB: Int = 128, interfaces: [Interface] = []) {
        self.kernel = kernel
        self.bootArguments = bootArguments
        self.memoryMiB = memoryMiB
        self.interfaces = interfaces
    }

    /// The command line: the app's words, `@net.NAME=MAC` per interface, `@exit=i8042`. Always given, since
    /// without it Firecracker passes Linux's defaults (`reboot=k panic=1 pci=off nomodule ...`), which are not
    /// boot arguments (`nomodule` has no `=`).
    public var bootArgs: String {
        (bootArguments + interfaces.map { "@net.\($0.name)=\($0.mac)" } + ["@exit=i8042"]).joined(separator: " ")
    }

    /// A host TAP name for a net device when none is given: `swl-NAME`, cut to Linux's 15 bytes.
    public static func defaultTap(for name: String) -> String {
        String(("swl-" + name).prefix(15))
    }

    /// The file's JSON (keys sorted, two-space indent).
    public func json() -> String {
        var root: [String: Any] = [
            "boot-source": ["kernel_image_path": kernel, "boot_args": bootArgs],
            "machine-config": ["vcpu_count": 1, "mem_size_mib": memoryMiB, "smt": false],
        ]
        root["network-interfaces"] = interfaces.map { interface -> [String: Any] in
            var object: [String: Any] = ["iface_id": interface.name, "host_dev_name": interface.tap,
                                         "guest_mac": interface.mac.description]
            if let mtu = interface.mtu { object["mtu"] = mtu }
            return object
        }
        root["drives"] = [[String: Any]]()
        let data = (try? JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys,
                                                                                 .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The status the image reported through the console: the number on the last `swiftlet-exit: N` line.
    public static func consoleStatus(_ console: String) -> Int32? {
        for line in console.split(whereSeparator: \.isNewline).reversed() {
            if line.hasPrefix("swiftlet-exit: "), let value = Int32(line.dropFirst(15)), (0...255).contains(value) {
                return value
            }
        }
        return nil
    }
}
