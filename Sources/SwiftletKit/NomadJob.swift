import Foundation

/// A Nomad job (`nomad job run -json FILE`, or `POST /v1/jobs`) running a disk image of ``DiskImageBuilder`` with
/// Nomad's QEMU task driver (docs/DEPLOY.md §4).
///
/// The JSON is Nomad's API form: `{"Job": {...}}` whose objects are the `api.Job`, `api.TaskGroup`, `api.Task`,
/// `api.TaskArtifact`, `api.Resources` and `api.NetworkResource` structs (Go field names as keys), and whose task
/// `Config` holds the QEMU driver's task attributes (`image_path`, `accelerator`, `machine_type`, `drive_interface`,
/// `args`). Tests/Deploy/validate_nomad.py checks every generated file against a strict schema derived from those.
///
/// What the driver does with it (drivers/qemu/driver.go, `StartTask`): it downloads the artifact into the task's
/// `local/`, runs `qemu-system-x86_64 -machine type=pc,accel=A -name ... -m MEMORY_MB -drive file=IMAGE,if=ide
/// -nographic` then the job's `args`, and refuses fewer than 128 MB. SeaBIOS boots the image's GRUB from the IDE
/// disk. The driver's own `port_map` forwards ports only for the deprecated task-level network (a group network, the
/// current spelling, gets no NIC: Nomad issue #10033), so the NIC is in `args`: user-mode networking forwarding the
/// group's `http` port on the host's address to the app's port, a virtio-net-pci without option ROM, the serial
/// console on stdout (Nomad's task log) with `-nodefaults`, and the boot arguments in an SMBIOS OEM string that the
/// image's grub.cfg appends (so one image serves many jobs). Nomad interpolates `args`, so a boot word may use
/// `${NOMAD_ALLOC_INDEX}` and the like.
public struct NomadJob: Equatable, Sendable {
    /// The job's ID and name, also the task group's and the task's.
    public var name: String
    /// Where Nomad clients download the disk image (go-getter: http(s), s3, gcs, ...).
    public var artifactURL: String
    /// `sha256:HEX` of the image, checked by go-getter after the download; nil: not checked.
    public var checksum: String?
    /// The image's file name under the task's `local/` (the artifact's file name).
    public var imageFile: String
    public var accelerator: Accelerator
    /// Guest memory (QEMU's -m, from the task's MemoryMB); the driver refuses less than ``minimumMemoryMiB``.
    public var memoryMiB: Int
    /// The guest's TCP port the group's `http` port forwards to; nil: the app has no net device, no NIC.
    public var guestPort: Int?
    /// The host port; nil: a dynamic port Nomad picks.
    public var staticPort: Int?
    /// Boot arguments (key=value) for the OEM string.
    public var words: [String]

    /// The QEMU driver's lower bound on the task's memory (MB).
    public static let minimumMemoryMiB = 128

    public init(name: String, artifactURL: String, checksum: String?, imageFile: String, accelerator: Accelerator,
                memoryMiB: Int, guestPort: Int?, staticPort: Int? = nil, words: [String]) {
        self.name = name
        self.artifactURL = artifactURL
        self.checksum = checksum
        self.imageFile = imageFile
        self.accelerator = accelerator
        self.memoryMiB = memoryMiB
        self.guestPort = guestPort
        self.staticPort = staticPort
        self.words = words
    }

    /// The label of the group's port (`NOMAD_HOST_PORT_http` in the task's environment).
    public static let portLabel = "http"

    /// The arguments the driver appends to its own QEMU command line.
    public var qemuArguments: [String] {
        var args = ["-cpu", accelerator.cpuModel, "-nodefaults", "-serial", "stdio"]
        if let guestPort {
            let label = NomadJob.portLabel
            args += ["-netdev", "user,id=swiftlet0,hostfwd=tcp:${NOMAD_IP_\(label)}:${NOMAD_HOST_PORT_\(label)}-:\(guestPort)",
                     "-device", "virtio-net-pci,netdev=swiftlet0,romfile="]
        }
        if !words.isEmpty {
            args += ["-smbios", "type=11,value=" + DeviceArguments.escape(DiskImageBuilder.oemPrefix
                                                                            + words.joined(separator: " "))]
        }
        return args
    }

    /// go-getter's `checksum` option for `file`: `sha256:HEX`, from coreutils' sha256sum.
    /// - Throws: ``SwiftletError`` when sha256sum is missing or fails.
    public static func sha256(file: String) throws -> String {
        var tool = Subprocess(["sha256sum", file])
        tool.stdout = .capture
        tool.stderr = .capture
        let result = try tool.run()
        let hex = result.stdoutText.prefix { $0.isHexDigit }
        guard result.termination == .exited(0), hex.count == 64 else {
            throw SwiftletError("sha256sum \(file) failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))",
                                remedy: "install coreutils")
        }
        return "sha256:" + hex
    }

    /// The job file's JSON (keys sorted, two-space indent).
    public func json() -> String {
        var artifact: [String: Any] = ["GetterSource": artifactURL, "GetterMode": "file",
                                       "RelativeDest": "local/" + imageFile]
        if let checksum { artifact["GetterOptions"] = ["checksum": checksum] }
        let task: [String: Any] = [
            "Name": name,
            "Driver": "qemu",
            "Config": [
                "image_path": "local/" + imageFile,
                "accelerator": accelerator.rawValue,
                "machine_type": "pc",
                "drive_interface": "ide",
                "args": qemuArguments,
            ] as [String: Any],
            "Artifacts": [artifact],
            "Resources": ["CPU": 500, "MemoryMB": memoryMiB],
            "KillTimeout": 10_000_000_000,  // ns: QEMU gets SIGINT, then SIGKILL after this
        ]
        var group: [String: Any] = ["Name": name, "Count": 1, "Tasks": [task]]
        if guestPort != nil {
            var port: [String: Any] = ["Label": NomadJob.portLabel]
            if let staticPort { port["Value"] = staticPort }
            group["Networks"] = [["Mode": "host", (staticPort == nil ? "DynamicPorts" : "ReservedPorts"): [port]]]
        }
        let job: [String: Any] = ["ID": name, "Name": name, "Type": "service", "Datacenters": ["*"],
                                  "TaskGroups": [group]]
        let data = (try? JSONSerialization.data(withJSONObject: ["Job": job],
                                                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
