/// Where a net device's frames go once its backend is running.
public enum NetEndpoint: Equatable, Sendable {
    /// A TAP interface.
    case tap(interface: String)
    /// A listening UNIX stream socket (QEMU stream framing).
    case socket(path: String)
    /// A connected stream socket the child inherits as this fd (passt `--fd`).
    case inheritedFD(Int32)
}

/// A device as the image's command line names it.
public enum DeviceAttachment: Equatable, Sendable {
    /// `offload: false` (`,offload=off`): a TAP without virtio_net_hdr, so without checksum or TSO offloads.
    case net(name: String, endpoint: NetEndpoint, mac: MACAddress, mtu: Int, pcap: String?, offload: Bool = true)
    case block(name: String, path: String, blockSize: Int)
}

/// The device part of the tender's and QEMU's command lines (docs/DEVICES.md §3, §4).
public enum DeviceArguments {
    /// A value for a comma-separated option: `,` doubled (QEMU's and the tender's escape, DeviceSpec's).
    public static func escape(_ value: String) -> String {
        String(decoding: DeviceSpec.escapeSetting(Array(value.utf8)), as: UTF8.self)
    }

    /// §3: the tender's options, in manifest order (handles are assigned in this order), then the pcaps.
    ///
    ///     --net NAME=tap:IFACE,mac=M,mtu=N[,offload=off] | --net NAME=socket:PATH,mac=M,mtu=N | --net NAME=fd:FD,mac=M,mtu=N
    ///     --block NAME=FILE,block-size=N
    ///     --pcap NAME=FILE
    public static func tender(_ devices: [DeviceAttachment]) -> [String] {
        var arguments: [String] = []
        var pcaps: [String] = []
        for device in devices {
            switch device {
            case .net(let name, let endpoint, let mac, let mtu, let pcap, let offload):
                let backend: String
                switch endpoint {
                case .tap(let interface): backend = "tap:\(escape(interface))"
                case .socket(let path): backend = "socket:\(escape(path))"
                case .inheritedFD(let fd): backend = "fd:\(fd)"
                }
                arguments += ["--net", "\(name)=\(backend),mac=\(mac),mtu=\(mtu)" + (offload ? "" : ",offload=off")]
                if let pcap { pcaps += ["--pcap", "\(name)=\(escape(pcap))"] }
            case .block(let name, let path, let blockSize):
                arguments += ["--block", "\(name)=\(escape(path)),block-size=\(blockSize)"]
            }
        }
        return arguments + pcaps
    }

    /// §4: QEMU's options for the devices, in manifest order.
    /// - Parameters:
    ///   - machine: pc/q35 get virtio-*-pci devices, microvm virtio-*-device (virtio-mmio).
    ///   - modern: PCI devices get `disable-legacy=on,disable-modern=off` (a modern-only device);
    ///     on microvm, `-global virtio-mmio.force-legacy=false` (virtio-mmio version 2).
    public static func qemu(_ devices: [DeviceAttachment], machine: Machine, modern: Bool = false) -> [String] {
        let pci = machine.hasPCI
        let suffix = pci ? "pci" : "device"
        let modernProperties = pci && modern ? ",disable-legacy=on,disable-modern=off" : ""
        var arguments: [String] = []
        if modern && !pci && !devices.isEmpty { arguments += ["-global", "virtio-mmio.force-legacy=false"] }
        for device in devices {
            switch device {
            case .net(let name, let endpoint, let mac, let mtu, let pcap, let offload):
                let id = "net-\(name)"
                switch endpoint {
                case .tap(let interface):
                    // vnet_hdr=off: no virtio_net_hdr on the TAP, so QEMU offers no CSUM/TSO features.
                    arguments += ["-netdev", "tap,id=\(id),ifname=\(escape(interface)),script=no,downscript=no"
                                      + (offload ? "" : ",vnet_hdr=off")]
                case .socket(let path):
                    arguments += ["-netdev", "stream,id=\(id),server=off,addr.type=unix,addr.path=\(escape(path))"]
                case .inheritedFD(let fd):
                    arguments += ["-netdev", "stream,id=\(id),server=off,addr.type=fd,addr.str=\(fd)"]
                }
                arguments += ["-device", "virtio-net-\(suffix),netdev=\(id),mac=\(mac),host_mtu=\(mtu)\(modernProperties)"]
                if let pcap {
                    arguments += ["-object", "filter-dump,id=dump-\(name),netdev=\(id),file=\(escape(pcap))"]
                }
            case .block(let name, let path, let blockSize):
                let id = "blk-\(name)"
                arguments += ["-drive", "file=\(escape(path)),format=raw,if=none,id=\(id),cache=writeback",
                              "-device", "virtio-blk-\(suffix),drive=\(id),serial=\(name),"
                                  + "logical_block_size=\(blockSize),physical_block_size=\(blockSize)\(modernProperties)"]
            }
        }
        return arguments
    }

    /// §4: the boot words that name the net devices for the unikernel: `@net.NAME=MAC`.
    public static func bootWords(_ devices: [DeviceAttachment]) -> [String] {
        devices.compactMap {
            if case .net(let name, _, let mac, _, _, _) = $0 { return "@net.\(name)=\(mac)" }
            return nil
        }
    }
}
