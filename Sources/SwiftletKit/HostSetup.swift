import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `swiftlet setup`: the Debian packages Swiftlet needs on the host.
public struct HostSetup {
    /// Build, run and test dependencies (Swift itself is assumed: it runs this; binutils gives `strip`;
    /// python3 runs the frame echo peer of `swiftlet test --net NAME=echo`; tcpdump, python3-scapy, dnsmasq-base,
    /// curl, hping3, apache2-utils (ab), wrk and nginx-light are the interop tests' peers and tools: `swift test` runs those as
    /// root; gdb is `swiftlet debug`'s debugger, docs/DEBUGGING.md; `swiftlet image` needs GRUB for both firmwares,
    /// xorriso, mtools and qemu-utils, OVMF boots UEFI images, python3-jsonschema and python3-yaml validate generated
    /// deployment files, libvirt runs the fleet test: docs/DEPLOY.md; python3-prometheus-client parses a metrics
    /// scrape and linux-perf profiles dev runs: docs/OBSERVABILITY.md, docs/PROFILING.md).
    public static let packages = ["make", "binutils", "qemu-system-x86", "libseccomp-dev", "passt", "iproute2", "iputils-ping",
                                  "python3", "tcpdump", "python3-scapy", "dnsmasq-base", "curl",
                                  "hping3", "apache2-utils", "wrk", "nginx-light", "gdb",
                                  "grub-pc-bin", "grub-efi-amd64-bin", "xorriso", "mtools", "qemu-utils",
                                  "ovmf", "python3-jsonschema", "python3-yaml",
                                  "libvirt-daemon-system", "libvirt-clients",
                                  "python3-prometheus-client", "linux-perf"]

    public var log: Log
    /// The packages to check (``packages`` unless a test says otherwise).
    public var required: [String]
    /// Whether we may run apt-get ourselves.
    public var isRoot: Bool

    public init(log: Log, required: [String] = HostSetup.packages, isRoot: Bool = geteuid() == 0) {
        self.log = log
        self.required = required
        self.isRoot = isRoot
    }

    /// True when `dpkg -s package` reports it installed.
    public func isInstalled(_ package: String) throws -> Bool {
        var dpkg = Subprocess(["dpkg-query", "-W", "-f=${Status}", package])
        dpkg.stdout = .capture
        dpkg.stderr = .discard
        dpkg.nullStdin = true
        let result = try dpkg.run()
        return result.termination == .exited(0) && result.stdoutText.hasSuffix("install ok installed")
    }

    /// Installs whatever is missing (`apt-get update` once, then one install).
    /// - Throws: ``SwiftletError`` when not root (with the exact command to run) or when apt-get fails.
    public func installMissingPackages() throws {
        guard Subprocess.which("dpkg-query") != nil, Subprocess.which("apt-get") != nil else {
            throw SwiftletError("this host has no dpkg/apt-get",
                                remedy: "install by hand: \(HostSetup.packages.joined(separator: " ")) (or their equivalents)")
        }
        log.progress("checking packages...")
        let missing = try required.filter { try !isInstalled($0) }
        guard !missing.isEmpty else {
            log.progress("all packages present (\(required.joined(separator: ", ")))")
            return
        }
        let install = ["apt-get", "install", "-y", "--no-install-recommends"] + missing
        guard isRoot else {
            throw SwiftletError("missing packages: \(missing.joined(separator: " "))",
                                remedy: "run: sudo apt-get update && sudo \(install.joined(separator: " "))")
        }
        for command in [["apt-get", "update"], install] {
            log.progress("running \(command.joined(separator: " "))...")
            log.command(command)
            var apt = Subprocess(command)
            apt.environment = ["DEBIAN_FRONTEND": "noninteractive"]
            apt.forwardSignals = true
            apt.nullStdin = true
            if !log.verbose {
                apt.stdout = .capture
                apt.stderr = .toStdout
            }
            let result = try apt.run()
            guard result.termination == .exited(0) else {
                if !log.verbose { Log.standardError(result.stdoutText.trimmingCharacters(in: .newlines)) }
                throw SwiftletError("\(command.joined(separator: " ")) failed (\(result.termination))",
                                    remedy: "see apt-get's output above")
            }
        }
    }
}
