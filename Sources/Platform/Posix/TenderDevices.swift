/// TenderDevices.swift — the tender opens every device backend, before lockdown (docs/DEVICES.md §3).
///
/// In option order (the order is the handle order):
/// - `tap:IFACE`: the interface must exist; `/dev/net/tun` + `TUNSETIFF`
///   (`IFF_TAP | IFF_NO_PI | IFF_VNET_HDR`, with checksum and TSO offloads both
///   ways; plain `IFF_TAP | IFF_NO_PI` with `offload=off` or if the kernel
///   refuses), non-blocking
///   (C/host_open.c);
/// - `socket:PATH`: connect a UNIX stream socket, non-blocking;
/// - `fd:FD`: an inherited, connected stream socket (passt `--fd`), made non-blocking;
/// - block `FILE`: `open(O_RDWR)`; a regular file whose size (`fstat`) is a
///   non-zero multiple of the block size;
/// then each `--pcap` file: created or truncated, its global header written.
/// Each net device then takes from the heap what prod's virtio-net driver would (NetMemory.swift,
/// `NetPort.reserveDeviceMemory`); one that cannot says so as prod does and stays unavailable to the app.
/// The first backend that cannot be opened ends the process with one line
/// that names the device and what to do, and exit status 2, before the app
/// starts. Each opened fd gets its own sandbox module (C/sandbox_net.c,
/// C/sandbox_block.c, C/sandbox_pcap.c), added when Start.swift locks down.

import PlatformHeap
import SwiftletPosix

/// Every fd the tender opened or adopted for a device or a pcap: the only fds that survive lockdown
/// (Start.swift closes the rest).
var tenderFDs: [Int32] = []

/// Opens every backend in `options`, fills ``deviceTable`` and ``netPorts`` and registers
/// each fd's seccomp rules.
///
/// - Throws: ``TenderError`` for the first backend that cannot be opened.
func openDevices(_ options: DeviceOptions) throws(TenderError) {
    var usedFDs: [Int32] = []
    for (handle, device) in options.devices.enumerated() {
        switch device {
        case .net(let net):
            let (fd, vnetHeader, offloads) = try openNet(net, usedFDs: usedFDs)
            usedFDs.append(fd)
            tenderFDs.append(fd)
            var isStream = true
            if case .tap = net.backend { isStream = false }
            guard swiftlet_posix_sandbox_net(fd, isStream ? 1 : 0) == 0 else {
                throw TenderError("cannot add the sandbox rules of net device ").bytes(net.name)
            }
            let port = NetPort(
                name: net.name, handle: handle, fd: fd, mac: net.mac, mtu: net.mtu, isStream: isStream,
                vnetHeader: vnetHeader, offloads: offloads)
            port.reserveDeviceMemory()
            deviceTable.append(.net(port))
            netPorts.append(port)
        case .block(let block):
            let (fd, capacity) = try openBlock(block)
            usedFDs.append(fd)
            tenderFDs.append(fd)
            guard swiftlet_posix_sandbox_block(fd, capacity) == 0 else {
                throw TenderError("cannot add the sandbox rules of block device ").bytes(block.name)
            }
            let disk = BlockDisk(
                name: block.name, handle: handle, fd: fd, capacity: capacity, blockSize: UInt64(block.blockSize))
            deviceTable.append(.block(disk))
            blockDisks.append(disk)
        }
    }
    for pcap in options.pcaps {
        let fd = try openPcap(pcap)
        tenderFDs.append(fd)
        guard swiftlet_posix_sandbox_pcap(fd) == 0 else {
            throw TenderError("cannot add the sandbox rules of the pcap of ").bytes(pcap.name)
        }
        for port in netPorts where port.name == pcap.name {
            port.pcap = PcapWriter(fd: fd, deviceName: pcap.name)
        }
    }
    if !netPorts.isEmpty {
        pollSet = .allocate(capacity: netPorts.count)
    }
}

/// Opens one net backend: its fd, whether its frames carry a virtio_net_hdr (TAP), and its offloads.
private func openNet(_ net: NetOption, usedFDs: [Int32]) throws(TenderError) -> (Int32, Bool, UInt32) {
    switch net.backend {
    case .tap(let interface):
        var stage: Int32 = 0
        var vnetHeader: Int32 = 0
        var offloads: UInt32 = 0
        let fd = withCString(interface) {
            swiftlet_posix_open_tap($0, net.offload ? 1 : 0, &stage, &vnetHeader, &offloads)
        }
        guard fd < 0 else { return (fd, vnetHeader != 0, offloads) }
        let code = -fd
        let failed = TenderError("cannot open TAP interface ").bytes(interface).text(" for net device ")
            .bytes(net.name).text(": ")
        if code == EACCES || code == EPERM {
            throw failed.text("permission denied; run as root or create a persistent tap owned by you ")
                .text("(ip tuntap add ... user $USER)")
        }
        if stage == 2 {
            throw failed.text("no such interface; create it first (ip tuntap add dev ").bytes(interface)
                .text(" mode tap)")
        }
        if stage == 0 {
            throw failed.text("/dev/net/tun: ").cString(swiftlet_posix_errno_text(code))
                .text("; load the tun module (modprobe tun)")
        }
        if code == EBUSY {
            throw failed.text("device or resource busy; another process has it open")
        }
        if code == EINVAL {
            throw failed.text("invalid argument; ").bytes(interface).text(" is not a tap interface (ip tuntap add dev ")
                .bytes(interface).text(" mode tap)")
        }
        throw failed.cString(swiftlet_posix_errno_text(code))
    case .socket(let path):
        let fd = withCString(path) { swiftlet_posix_connect_unix($0) }
        guard fd < 0 else { return (fd, false, 0) }
        let code = -fd
        let failed = TenderError("cannot connect net device ").bytes(net.name).text(" to socket ").bytes(path)
            .text(": ").cString(swiftlet_posix_errno_text(code))
        if code == ENOENT || code == ECONNREFUSED {
            throw failed.text("; start a server listening on ").bytes(path).text(" first")
        }
        if code == EACCES || code == EPERM {
            throw failed.text("; make the socket accessible to you")
        }
        throw failed.text("; give the path of a listening UNIX stream socket")
    case .inherited(let fd):
        if usedFDs.contains(fd) {
            throw TenderError("net device ").bytes(net.name).text(": fd ").decimal(UInt64(fd))
                .text(" is already another device's; pass each device its own socket")
        }
        let code = -swiftlet_posix_adopt_stream_fd(fd)
        guard code != 0 else { return (fd, false, 0) }
        throw TenderError("net device ").bytes(net.name).text(": fd ").decimal(UInt64(fd)).text(" is ")
            .cString(swiftlet_posix_errno_text(code))
            .text("; pass an inherited connected stream socket (as passt --fd takes)")
    }
}

private func openBlock(_ block: BlockOption) throws(TenderError) -> (Int32, UInt64) {
    var size: UInt64 = 0
    var regular: Int32 = 0
    let fd = withCString(block.path) { swiftlet_posix_open_block_file($0, &size, &regular) }
    if fd < 0 {
        let code = -fd
        let failed = TenderError("cannot open block file ").bytes(block.path).text(" for block device ")
            .bytes(block.name).text(": ").cString(swiftlet_posix_errno_text(code))
        if code == ENOENT {
            throw failed.text("; create it first (e.g. truncate -s 64M ").bytes(block.path).text(")")
        }
        if code == EACCES || code == EPERM || code == EROFS || code == ETXTBSY {
            throw failed.text("; it must be readable and writable by you")
        }
        throw failed.text("; give the path of a raw disk image file")
    }
    let about = TenderError("block file ").bytes(block.path).text(" for block device ").bytes(block.name)
    if regular == 0 {
        throw about.text(" is not a regular file; give a raw disk image file")
    }
    if size == 0 {
        throw about.text(" is empty; give it a size that is a multiple of ").decimal(UInt64(block.blockSize))
            .text(" bytes (e.g. truncate -s 64M ").bytes(block.path).text(")")
    }
    if size % UInt64(block.blockSize) != 0 {
        throw about.text(" is ").decimal(size).text(" bytes, not a multiple of the block size ")
            .decimal(UInt64(block.blockSize)).text("; resize it (e.g. truncate -s 64M ").bytes(block.path)
            .text(")")
    }
    return (fd, size)
}

private func openPcap(_ pcap: PcapOption) throws(TenderError) -> Int32 {
    let fd = withCString(pcap.path) { swiftlet_posix_open_pcap_file($0) }
    let failed = TenderError("cannot create pcap file ").bytes(pcap.path).text(" for net device ")
        .bytes(pcap.name).text(": ")
    guard fd >= 0 else {
        throw failed.cString(swiftlet_posix_errno_text(-fd)).text("; give a path you can write")
    }
    let header = PcapWriter.globalHeader
    let written = header.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == header.count else {
        throw failed.text("writing its header failed; give a path on a writable file system")
    }
    return fd
}

/// Lends `bytes` as a NUL-terminated C string.
private func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
    var terminated = bytes
    terminated.append(0)
    return terminated.withUnsafeBufferPointer {
        body(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self))
    }
}
