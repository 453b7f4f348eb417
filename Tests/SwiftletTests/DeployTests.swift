import XCTest
@testable import SwiftletKit

/// Disk images, the Firecracker config and the disk/Firecracker-shaped QEMU command lines (docs/DEPLOY.md).
final class DeployTests: XCTestCase {
    let service = DeviceAttachment.net(name: "service", endpoint: .tap(interface: "tap0"),
                                       mac: MACAddress.derived(from: "service"), mtu: 1500, pcap: nil)

    func testGrubConfigQuotesWordsAndReadsTheOEMString() {
        let config = DiskImageBuilder.grubConfig(appName: "http", kernel: "/boot/http.elf",
                                                 words: ["ip=10.0.0.2/24", "motto=it's $HOME", "@net.service=#0"])
        // Single-quoted: GRUB expands nothing inside; a quote is closed, escaped and reopened.
        XCTAssertTrue(config.contains("set swiftlet_args='ip=10.0.0.2/24 motto=it'\\''s $HOME @net.service=#0'\n"),
                      config)
        XCTAssertTrue(config.contains("smbios --type 11 --get-string 4 --set swiftlet_oem"))
        XCTAssertTrue(config.contains("'^swiftlet:(.*)$'"))
        XCTAssertTrue(config.contains("  multiboot2 /boot/http.elf $swiftlet_args\n"))
    }

    func testMissingToolsNamePackages() {
        // Whatever this host has, every name reported is an apt package `swiftlet setup` installs.
        for firmware in BootFirmware.allCases {
            for package in DiskImageBuilder.missingTools(firmware, format: .qcow2) {
                XCTAssertTrue(HostSetup.packages.contains(package) || package == "grub-common", package)
            }
        }
    }

    func testDiskBootCommandHasNoKernelAndPassesWordsBySMBIOS() {
        let command = ImageRunner.qemuCommand(
            image: "/i.elf", bootArguments: ["a=1,2"], machine: .q35, accelerator: .tcg, exitFile: "/tmp/x",
            devices: [service], disk: DiskBoot(path: "/d.raw", firmware: .uefi), uefiVariables: "/tmp/vars")
        XCTAssertFalse(command.contains("-kernel"))
        XCTAssertFalse(command.contains("-append"))
        XCTAssertEqual(command[command.firstIndex(of: "-smbios")! + 1],
                       "type=11,value=swiftlet:a=1,,2 @net.service=02:53:57:56:df:de")
        XCTAssertTrue(command.contains("if=pflash,format=raw,unit=0,readonly=on,file=\(DiskBoot.uefiCode)"))
        XCTAssertTrue(command.contains("if=pflash,format=raw,unit=1,file=/tmp/vars"))
        XCTAssertTrue(command.contains("ide-hd,drive=swiftlet-disk,bootindex=0"))
        XCTAssertTrue(command.contains { $0.hasPrefix("virtio-net-pci,") && $0.hasSuffix(",romfile=") }, "\(command)")
        // The debug ports stay: the status still comes from port 0x402.
        XCTAssertTrue(command.contains("isa-debug-exit,iobase=0xf4,iosize=0x04"))
    }

    func testFirecrackerMachineExitsThroughTheConsole() {
        let command = ImageRunner.qemuCommand(image: "/i.elf", bootArguments: ["a=1"], machine: .firecracker,
                                              accelerator: .tcg, exitFile: "/tmp/x", devices: [service])
        XCTAssertEqual(command[command.firstIndex(of: "-M")! + 1], "microvm,rtc=off,acpi=off,pic=on,pit=on,isa-serial=on")
        XCTAssertEqual(command[command.firstIndex(of: "-append")! + 1], "a=1 @net.service=02:53:57:56:df:de @exit=i8042")
        XCTAssertTrue(command.contains("i8042"))
        XCTAssertFalse(command.contains { $0.contains("isa-debug") })
        XCTAssertTrue(command.contains { $0.hasPrefix("virtio-net-device,") })
        XCTAssertTrue(command.contains("virtio-mmio.force-legacy=false"))
    }

    func testConsoleStatusIsTheLastReport() {
        XCTAssertEqual(FirecrackerConfig.consoleStatus("hello\nswiftlet-exit: 3\n"), 3)
        XCTAssertEqual(FirecrackerConfig.consoleStatus("swiftlet-exit: 1\r\nswiftlet-exit: 255\n"), 255)
        XCTAssertNil(FirecrackerConfig.consoleStatus("hello\nswiftlet-exit: 256\n"))
        XCTAssertNil(FirecrackerConfig.consoleStatus("app said swiftlet-exit: 4\n"))
        XCTAssertNil(FirecrackerConfig.consoleStatus(""))
    }

    func testFirecrackerConfigJSON() throws {
        let config = FirecrackerConfig(kernel: "/k.elf", bootArguments: ["ip=10.0.0.2/24"], memoryMiB: 64,
                                       interfaces: [.init(name: "service", tap: "tap0",
                                                          mac: MACAddress.derived(from: "service"), mtu: 9000)])
        let object = try JSONSerialization.jsonObject(with: Data(config.json().utf8)) as! [String: Any]
        XCTAssertEqual(Set(object.keys), ["boot-source", "machine-config", "network-interfaces", "drives"])
        let boot = object["boot-source"] as! [String: String]
        XCTAssertEqual(boot["kernel_image_path"], "/k.elf")
        XCTAssertEqual(boot["boot_args"], "ip=10.0.0.2/24 @net.service=02:53:57:56:df:de @exit=i8042")
        let machine = object["machine-config"] as! [String: Any]
        XCTAssertEqual(machine["mem_size_mib"] as? Int, 64)
        XCTAssertEqual(machine["vcpu_count"] as? Int, 1)
        let nic = (object["network-interfaces"] as! [[String: Any]])[0]
        XCTAssertEqual(nic["iface_id"] as? String, "service")
        XCTAssertEqual(nic["host_dev_name"] as? String, "tap0")
        XCTAssertEqual(nic["guest_mac"] as? String, "02:53:57:56:df:de")
        XCTAssertEqual(nic["mtu"] as? Int, 9000)
        XCTAssertEqual(FirecrackerConfig.defaultTap(for: "a-very-long-device-name"), "swl-a-very-long")
    }

    func testFirecrackerRefusesBlockAndNonTapDevices() {
        let plan = DevicePlan(devices: [
            .net(PlannedNet(name: "service", backend: .tap(interface: "tap0"), mac: MACAddress.derived(from: "service"),
                            mtu: 1500, pcap: nil)),
            .net(PlannedNet(name: "second", backend: .socket(path: "/s"), mac: MACAddress.derived(from: "second"),
                            mtu: 1500, pcap: nil)),
            .block(PlannedBlock(name: "storage", source: .file(path: "/f"), blockSize: 512, capacity: 512)),
        ])
        let problems = ImageRunner.firecrackerProblems(plan).map(\.description)
        XCTAssertEqual(problems.count, 2, "\(problems)")
        XCTAssertTrue(problems[0].contains("--net second") && problems[0].contains("only TAP"), problems[0])
        XCTAssertTrue(problems[1].contains("--block storage"), problems[1])
    }
}

/// The libvirt domain and the KubeVirt manifest (their schema checks run in Tests/Interop/image.sh and libvirt.sh).
final class FleetFileTests: XCTestCase {
    func testLibvirtDomainCarriesWordsInAnOEMStringAndSharesTheDisk() {
        let domain = LibvirtDomain(name: "web<1>", disk: "/d/http.qcow2", diskFormat: .qcow2, firmware: .uefi,
                                   words: ["ip=10.0.1.11/24", "motto=a&b"], memoryMiB: 64, networks: ["fleet"],
                                   kvm: false, consoleLog: "/tmp/c.log")
        let xml = domain.xml()
        XCTAssertTrue(xml.contains("<name>web&lt;1&gt;</name>"), xml)
        XCTAssertTrue(xml.contains("<entry>swiftlet:ip=10.0.1.11/24 motto=a&amp;b</entry>"), xml)
        XCTAssertTrue(xml.contains("<smbios mode='sysinfo'/>"))
        XCTAssertTrue(xml.contains("<os firmware='efi'>"))
        // OVMF without Secure Boot (unsigned GRUB); the BIOS domain has no <firmware> element.
        XCTAssertTrue(xml.contains("<feature enabled='no' name='secure-boot'/>"), xml)
        XCTAssertTrue(xml.contains("<feature enabled='no' name='enrolled-keys'/>"), xml)
        XCTAssertTrue(xml.contains("<transient shareBacking='yes'/>"))
        XCTAssertTrue(xml.contains("<source network='fleet'/>"))
        XCTAssertTrue(xml.contains("<domain type='qemu'>") && xml.contains("<cpu mode='maximum' check='none'/>"))
        let comment = xml.components(separatedBy: "<!--")[1].components(separatedBy: "-->")[0]
        XCTAssertFalse(comment.contains("--"), "an XML comment may not contain --: \(comment)")
        let kvm = LibvirtDomain(name: "a", disk: "/d", diskFormat: .raw, firmware: .bios, words: [], memoryMiB: 8,
                                networks: [], kvm: true)
        XCTAssertTrue(kvm.xml().contains("<domain type='kvm'>") && !kvm.xml().contains("<sysinfo"))
        XCTAssertTrue(kvm.xml().contains("<serial type='pty'>"))
        XCTAssertFalse(kvm.xml().contains("<firmware>"))
    }

    func testKubeVirtManifestQuotesAndPicksTheFirmware() {
        let manifest = KubeVirtManifest(name: "swiftlet-http", image: "registry.example/a:1", firmware: .uefi,
                                        memoryMiB: 64, nets: ["service"])
        let yaml = manifest.yaml()
        XCTAssertTrue(yaml.contains("            efi:\n              secureBoot: false\n"), yaml)
        XCTAssertTrue(yaml.contains("image: \"registry.example/a:1\""), yaml)
        XCTAssertTrue(yaml.contains("          interfaces:\n            - name: \"service\"\n"), yaml)
        XCTAssertTrue(yaml.contains("      networks:\n        - name: \"service\"\n          pod: {}\n"), yaml)
        XCTAssertEqual(KubeVirtManifest.quote("a\"b"), "\"a\\\"b\"")
        XCTAssertTrue(KubeVirtManifest.containerfile(disk: "http.bios.qcow2").contains("ADD --chown=107:107 http.bios.qcow2 /disk/"))
    }

    func testNomadJobForwardsTheHTTPPortAndPassesWordsBySMBIOS() throws {
        let job = NomadJob(name: "swiftlet-http", artifactURL: "https://files.example/http.bios.qcow2",
                           checksum: "sha256:" + String(repeating: "ab", count: 32), imageFile: "http.bios.qcow2",
                           accelerator: .kvm, memoryMiB: 128, guestPort: 8080,
                           words: ["ip=10.0.2.15/24", "motto=a,b", "name=web-${NOMAD_ALLOC_INDEX}"])
        let root = try JSONSerialization.jsonObject(with: Data(job.json().utf8)) as! [String: Any]
        XCTAssertEqual(Array(root.keys), ["Job"])
        let body = root["Job"] as! [String: Any]
        XCTAssertEqual(body["ID"] as? String, "swiftlet-http")
        XCTAssertEqual(body["Type"] as? String, "service")
        let group = (body["TaskGroups"] as! [[String: Any]])[0]
        let network = (group["Networks"] as! [[String: Any]])[0]
        XCTAssertEqual(network["Mode"] as? String, "host")
        XCTAssertEqual((network["DynamicPorts"] as! [[String: Any]])[0]["Label"] as? String, "http")
        let task = (group["Tasks"] as! [[String: Any]])[0]
        XCTAssertEqual(task["Driver"] as? String, "qemu")
        let config = task["Config"] as! [String: Any]
        XCTAssertEqual(config["image_path"] as? String, "local/http.bios.qcow2")
        XCTAssertEqual(config["accelerator"] as? String, "kvm")
        XCTAssertNil(config["port_map"], "the driver's port_map ignores group networks (Nomad issue #10033)")
        let args = config["args"] as! [String]
        XCTAssertEqual(args[args.firstIndex(of: "-cpu")! + 1], "host")
        XCTAssertEqual(args[args.firstIndex(of: "-netdev")! + 1],
                       "user,id=swiftlet0,hostfwd=tcp:${NOMAD_IP_http}:${NOMAD_HOST_PORT_http}-:8080")
        XCTAssertEqual(args[args.firstIndex(of: "-device")! + 1], "virtio-net-pci,netdev=swiftlet0,romfile=")
        // Commas doubled inside a QEMU option value; Nomad's ${...} left for Nomad to interpolate.
        XCTAssertEqual(args[args.firstIndex(of: "-smbios")! + 1],
                       "type=11,value=swiftlet:ip=10.0.2.15/24 motto=a,,b name=web-${NOMAD_ALLOC_INDEX}")
        let artifact = (task["Artifacts"] as! [[String: Any]])[0]
        XCTAssertEqual(artifact["GetterMode"] as? String, "file")
        XCTAssertEqual(artifact["RelativeDest"] as? String, "local/http.bios.qcow2")
        XCTAssertEqual((artifact["GetterOptions"] as! [String: String])["checksum"], "sha256:" + String(repeating: "ab", count: 32))
        XCTAssertEqual((task["Resources"] as! [String: Any])["MemoryMB"] as? Int, 128)

        // Static port, TCG, no NIC, no words: no -netdev, no -smbios, ReservedPorts.
        let bare = NomadJob(name: "j", artifactURL: "http://h/i", checksum: nil, imageFile: "i", accelerator: .tcg,
                            memoryMiB: 256, guestPort: nil, words: [])
        XCTAssertEqual(bare.qemuArguments, ["-cpu", "max", "-nodefaults", "-serial", "stdio"])
        XCTAssertFalse(bare.json().contains("Networks"))
        let fixed = NomadJob(name: "j", artifactURL: "http://h/i", checksum: nil, imageFile: "i", accelerator: .kvm,
                             memoryMiB: 128, guestPort: 80, staticPort: 8080, words: [])
        XCTAssertTrue(fixed.json().contains("\"ReservedPorts\""), fixed.json())
    }

    func testNomadChecksumIsSHA256OfTheFile() throws {
        let path = NSTemporaryDirectory() + "swiftlet-nomad-\(getpid()).bin"
        try Data("abc".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try NomadJob.sha256(file: path),
                       "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertThrowsError(try NomadJob.sha256(file: path + ".missing"))
    }
}
