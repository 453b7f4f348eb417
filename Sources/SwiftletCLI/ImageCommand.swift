import ArgumentParser
import Foundation
import SwiftletKit

/// What `swiftlet image --emit` writes instead of a disk image (docs/DEPLOY.md).
enum EmitKind: String, CaseIterable, ExpressibleByArgument {
    case libvirt, kubevirt, nomad, firecracker
}

struct ImageCommand: StatusCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Make a bootable disk image of an app (or, with --emit, a deployment file) and print its path last.",
        discussion: """
            The disk boots through GRUB on BIOS and/or UEFI with no -kernel (docs/DEPLOY.md §1). Boot arguments after \
            `--` are baked into its grub.cfg, with `@net.NAME=#N` for the manifest's Nth net device (the Nth NIC found \
            at boot, whatever its MAC); at boot the last SMBIOS OEM string starting `swiftlet:` is appended (its keys win), e.g. \
            qemu-system-x86_64 -smbios type=11,value=swiftlet:name=other.
            """)

    @Argument(help: "A sample name (a folder under Samples/) or a path to a folder of Swift sources.")
    var app: String

    @Option(name: .long, help: "raw or qcow2.")
    var format: DiskFormat = .raw

    @Option(name: .long, help: "The firmware the disk boots on: bios, uefi or both.")
    var boot: BootFirmware = .both

    @Option(name: .long, help: "Write a deployment file instead: libvirt, kubevirt, nomad or firecracker.")
    var emit: EmitKind?

    @Option(name: [.short, .long], help: "Where to write (default: under .build-swiftlet/images or .build-swiftlet/deploy).")
    var output: String?

    @Option(name: .long, help: "libvirt: the domain's name (default swiftlet-APP).")
    var name: String?

    @Option(name: .long, help: ArgumentHelp(
        "libvirt: the network of each net device, in manifest order (default: default).", valueName: "network"))
    var network: [String] = []

    @Option(name: .long, help: "libvirt: write the serial console to this file (default: a pty for virsh console).")
    var consoleLog: String?

    @Option(name: .long, help: "kubevirt: the containerDisk image reference (default localhost/swiftlet-APP:latest).")
    var containerImage: String?

    @Option(name: .long, help: "nomad: the URL Nomad clients download the disk image from (default http://127.0.0.1:8080/FILE).")
    var artifact: String?

    @Option(name: .long, help: "nomad: the app's TCP port the job forwards its http port to (default 80).")
    var guestPort: Int = 80

    @Option(name: .long, help: "nomad: a static host port for http (default: a dynamic port Nomad picks).")
    var hostPort: Int?

    @Option(name: .long, help: "nomad: kvm or tcg on the Nomad client (default kvm); libvirt: the domain type (default: what this host can do).")
    var accel: AccelChoice?

    @OptionGroup var memory: MemoryOption

    @OptionGroup var options: VerboseOption

    @Argument(parsing: .postTerminator, help: "Boot arguments (key=value), after `--`.")
    var bootArguments: [String] = []

    /// The stripped image beside `elf` when the build made one (what a loader needs: no debug sections).
    static func kernel(for elf: String) -> String {
        let stripped = (elf as NSString).deletingPathExtension + ".stripped"
        return FileManager.default.fileExists(atPath: stripped) ? stripped : elf
    }

    func execute() throws -> Int32 {
        try BootArgumentCheck.validate(bootArguments)
        try BootArgumentCheck.refuseProfilerWords(bootArguments)
        let memorySize = try memory.parsed() ?? .virtioDefault
        let project = try Project.locate()
        let log = Log(verbose: options.verbose)
        let resolved = try App.resolve(app, in: project)
        let manifest = try Manifest.load(appDirectory: resolved.directory)
        if let emit {
            let blocks = manifest.devices.filter { $0.kind == .block }.map(\.name)
            guard blocks.isEmpty || emit != .firecracker else {
                throw SwiftletError("\(resolved.name) declares block devices (\(blocks.joined(separator: ", "))), "
                                    + "which Firecracker cannot name", remedy: "see docs/DEPLOY.md §3", status: 2)
            }
        }
        let elf = try Builder(project: project, log: log).build(resolved, target: .virtio)
        let kernel = ImageCommand.kernel(for: elf)
        let nets = manifest.devices.filter { $0.kind == .net }.map(\.name)
        if emit == .firecracker {
            let config = FirecrackerConfig(
                kernel: kernel, bootArguments: bootArguments, memoryMiB: max(1, Int(memorySize.bytes >> 20)),
                interfaces: nets.map { .init(name: $0, tap: FirecrackerConfig.defaultTap(for: $0),
                                             mac: MACAddress.derived(from: $0)) })
            let path = output ?? project.buildDirectory + "/deploy/\(resolved.name).firecracker.json"
            try write(config.json(), to: path)
            log.progress("Firecracker config for \(resolved.name): run with firecracker --no-api --config-file \(path)"
                         + (nets.isEmpty ? "" : " (TAP \(nets.map(FirecrackerConfig.defaultTap).joined(separator: ", ")))"))
            Log.standardOutput(absolute(path))
            return 0
        }
        // NICs by position (the cloud picks the MAC): the manifest's order is QEMU's -device order and PCI's.
        if emit == .kubevirt {
            return try emitKubeVirt(resolved, project: project, log: log, kernel: kernel, nets: nets, memory: memorySize,
                                    blocks: manifest.devices.filter { $0.kind == .block }.map(\.name))
        }
        if emit == .nomad {
            return try emitNomad(resolved, project: project, log: log, kernel: kernel, nets: nets,
                                 memory: memory.parsed(),
                                 blocks: manifest.devices.filter { $0.kind == .block }.map(\.name))
        }
        if emit == .libvirt {
            return try emitLibvirt(resolved, project: project, log: log, kernel: kernel, nets: nets, memory: memorySize,
                                   blocks: manifest.devices.filter { $0.kind == .block }.map(\.name))
        }
        let words = bootArguments + ImageCommand.positionalNetWords(nets)
        let path = output ?? project.buildDirectory + "/images/\(resolved.name)-\(boot.rawValue).\(format.rawValue)"
        log.progress("making a \(format.rawValue) disk image of \(resolved.name) (GRUB, \(boot.rawValue))...")
        try DiskImageBuilder(log: log).build(kernel: kernel, appName: resolved.name, words: words, firmware: boot,
                                             format: format, output: path)
        Log.standardOutput(absolute(path))
        return 0
    }

    /// `@net.NAME=#N` for each net device in manifest order: an image names its NICs by position, since the cloud
    /// or the VMM picks their MACs (docs/DEPLOY.md).
    static func positionalNetWords(_ nets: [String]) -> [String] {
        nets.enumerated().map { "@net.\($0.element)=#\($0.offset)" }
    }

    /// A disk image (baked words: the NICs by position) beside a domain XML whose OEM string carries the boot
    /// arguments, so one image serves every instance.
    func emitLibvirt(_ app: App, project: Project, log: Log, kernel: String, nets: [String], memory: MemorySize,
                     blocks: [String]) throws -> Int32 {
        guard blocks.isEmpty else {
            throw SwiftletError("\(app.name) declares block devices (\(blocks.joined(separator: ", "))); --emit libvirt "
                                + "makes only the boot disk", remedy: "add a <disk> with <serial>NAME</serial> by hand "
                                + "(docs/DEPLOY.md §4)", status: 2)
        }
        guard network.isEmpty || network.count == nets.count else {
            throw SwiftletError("--network given \(network.count) times for \(nets.count) net devices",
                                remedy: "give one per net device, in manifest order", status: 2)
        }
        let firmware: BootFirmware = boot == .uefi ? .uefi : .bios
        let path = output ?? project.buildDirectory + "/deploy/\(app.name).libvirt.xml"
        let disk = (absolute(path) as NSString).deletingPathExtension + ".\(boot.rawValue).qcow2"
        log.progress("making a qcow2 disk image of \(app.name) for libvirt (GRUB, \(boot.rawValue))...")
        try DiskImageBuilder(log: log).build(kernel: kernel, appName: app.name,
                                             words: ImageCommand.positionalNetWords(nets),
                                             firmware: boot, format: .qcow2, output: disk)
        let kvm = accel == nil || accel == .auto ? (try? Accelerator.resolve(.auto, host: .probe())) == .kvm
            : accel == .kvm
        let domain = LibvirtDomain(
            name: name ?? "swiftlet-\(app.name)", disk: disk, diskFormat: .qcow2, firmware: firmware,
            words: bootArguments, memoryMiB: max(2, Int(memory.bytes >> 20)),
            networks: network.isEmpty ? nets.map { _ in "default" } : network, kvm: kvm,
            consoleLog: consoleLog.map(absolute))
        try write(domain.xml(), to: path)
        log.progress("libvirt domain \(domain.name) (\(kvm ? "kvm" : "qemu: TCG")): virsh define \(absolute(path)) && "
                     + "virsh start \(domain.name)")
        Log.standardOutput(absolute(path))
        return 0
    }

    /// A qcow2 with the boot words baked in (KubeVirt has no OEM strings), its Containerfile and the manifest.
    func emitKubeVirt(_ app: App, project: Project, log: Log, kernel: String, nets: [String], memory: MemorySize,
                      blocks: [String]) throws -> Int32 {
        guard blocks.isEmpty else {
            throw SwiftletError("\(app.name) declares block devices (\(blocks.joined(separator: ", "))); --emit kubevirt "
                                + "makes only the boot disk", remedy: "add a volume and a disk with serial NAME by hand "
                                + "(docs/DEPLOY.md §4)", status: 2)
        }
        let path = output ?? project.buildDirectory + "/deploy/\(app.name).kubevirt.yaml"
        let folder = (absolute(path) as NSString).deletingLastPathComponent
        let diskName = "\(app.name).\(boot.rawValue).qcow2"
        log.progress("making a qcow2 disk image of \(app.name) for a KubeVirt containerDisk (GRUB, \(boot.rawValue))...")
        try DiskImageBuilder(log: log).build(
            kernel: kernel, appName: app.name,
            words: bootArguments + ImageCommand.positionalNetWords(nets),
            firmware: boot, format: .qcow2, output: folder + "/" + diskName)
        try write(KubeVirtManifest.containerfile(disk: diskName), to: folder + "/Containerfile")
        let vmName = name ?? "swiftlet-\(app.name)"
        let manifest = KubeVirtManifest(name: vmName, image: containerImage ?? "localhost/\(vmName):latest",
                                        firmware: boot == .uefi ? .uefi : .bios,
                                        memoryMiB: max(2, Int(memory.bytes >> 20)), nets: nets)
        try write(manifest.yaml(), to: path)
        log.progress("KubeVirt VirtualMachine \(vmName): build \(folder)/Containerfile as \(manifest.image), push it, "
                     + "then kubectl apply -f \(absolute(path))")
        Log.standardOutput(absolute(path))
        return 0
    }

    /// A BIOS qcow2 (NICs by position baked in) beside a Nomad job for the QEMU driver whose args carry the boot
    /// arguments in an OEM string and forward the group's http port (docs/DEPLOY.md §4).
    func emitNomad(_ app: App, project: Project, log: Log, kernel: String, nets: [String], memory: MemorySize?,
                   blocks: [String]) throws -> Int32 {
        guard blocks.isEmpty else {
            throw SwiftletError("\(app.name) declares block devices (\(blocks.joined(separator: ", "))); --emit nomad "
                                + "makes only the boot disk", remedy: "add a -drive with serial=NAME to the job's args "
                                + "by hand (docs/DEPLOY.md §4)", status: 2)
        }
        guard boot != .uefi else {
            throw SwiftletError("--emit nomad boots through SeaBIOS (the QEMU driver's machine pc has no UEFI firmware)",
                                remedy: "leave --boot out or give --boot bios", status: 2)
        }
        guard nets.count <= 1 else {
            throw SwiftletError("\(app.name) declares \(nets.count) net devices; --emit nomad wires one",
                                remedy: "add the other NICs to the job's args by hand (docs/DEPLOY.md §4)", status: 2)
        }
        let memoryMiB = Int((memory ?? .virtioDefault).bytes >> 20)
        guard memoryMiB >= NomadJob.minimumMemoryMiB else {
            throw SwiftletError("--memory \(memoryMiB)M: Nomad's QEMU driver refuses less than "
                                + "\(NomadJob.minimumMemoryMiB) MB", remedy: "give --memory 128M or more", status: 2)
        }
        for (option, port) in [("--guest-port", Optional(guestPort)), ("--host-port", hostPort)] {
            if let port, !(1...65535).contains(port) {
                throw SwiftletError("\(option) \(port) is not a TCP port", remedy: "give 1 to 65535", status: 2)
            }
        }
        let accelerator: Accelerator = accel == .tcg ? .tcg : .kvm
        let path = output ?? project.buildDirectory + "/deploy/\(app.name).nomad.json"
        let folder = (absolute(path) as NSString).deletingLastPathComponent
        let diskName = "\(app.name).bios.qcow2"
        log.progress("making a qcow2 disk image of \(app.name) for Nomad's QEMU driver (GRUB, bios)...")
        try DiskImageBuilder(log: log).build(kernel: kernel, appName: app.name,
                                             words: ImageCommand.positionalNetWords(nets),
                                             firmware: .bios, format: .qcow2, output: folder + "/" + diskName)
        let jobName = name ?? "swiftlet-\(app.name)"
        let job = NomadJob(name: jobName, artifactURL: artifact ?? "http://127.0.0.1:8080/\(diskName)",
                           checksum: try NomadJob.sha256(file: folder + "/" + diskName), imageFile: diskName,
                           accelerator: accelerator, memoryMiB: memoryMiB, guestPort: nets.isEmpty ? nil : guestPort,
                           staticPort: hostPort, words: bootArguments)
        try write(job.json(), to: path)
        log.progress("Nomad job \(jobName) (QEMU driver, \(accelerator.rawValue)): serve \(folder)/\(diskName) at "
                     + "\(job.artifactURL), then nomad job run -json \(absolute(path))")
        Log.standardOutput(absolute(path))
        return 0
    }

    func write(_ text: String, to path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw SwiftletError("cannot write \(path): \(error.localizedDescription)", remedy: "check the folder")
        }
    }

    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path
            : ((FileManager.default.currentDirectoryPath + "/" + path) as NSString).standardizingPath
    }
}
