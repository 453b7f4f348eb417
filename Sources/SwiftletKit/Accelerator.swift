import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the host offers for running a virtio image.
public struct HostVirtualization: Equatable, Sendable {
    /// `/dev/kvm` opens read-write.
    public var kvmUsable: Bool
    /// KVM here is kvm-pvm (paravirtualised, no vmx/svm): ring-0 guest code is
    /// emulated and any SSE/x87 instruction in ring 0 kills the VM.
    public var kvmIsPVM: Bool

    public init(kvmUsable: Bool, kvmIsPVM: Bool) {
        self.kvmUsable = kvmUsable
        self.kvmIsPVM = kvmIsPVM
    }

    /// Looks at the real host (paths are parameters so tests can use fakes).
    /// - Parameters:
    ///   - devKVM: the KVM device node.
    ///   - sysModule: the sysfs module folder; `kvm_pvm` inside it means PVM.
    ///   - cpuinfo: `/proc/cpuinfo`; no `vmx`/`svm` flag means no hardware virtualisation.
    public static func probe(devKVM: String = "/dev/kvm", sysModule: String = "/sys/module",
                             cpuinfo: String = "/proc/cpuinfo") -> HostVirtualization {
        let fd = open(devKVM, O_RDWR | O_CLOEXEC)
        let usable = fd >= 0
        if fd >= 0 { close(fd) }
        let pvmModule = FileManager.default.fileExists(atPath: sysModule + "/kvm_pvm")
        let text = (try? String(contentsOfFile: cpuinfo, encoding: .utf8)) ?? ""
        return HostVirtualization(kvmUsable: usable,
                                  kvmIsPVM: pvmModule || !cpuinfoHasHardwareVirtualization(text))
    }

    /// True when some `flags` line of a cpuinfo text lists `vmx` (Intel VT-x) or `svm` (AMD-V).
    public static func cpuinfoHasHardwareVirtualization(_ cpuinfo: String) -> Bool {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let flags = line[line.index(after: colon)...].split(separator: " ")
            if flags.contains("vmx") || flags.contains("svm") { return true }
        }
        return false
    }
}

/// A concrete QEMU accelerator, with the CPU model that goes with it.
public enum Accelerator: String, Sendable {
    case tcg, kvm

    /// `-cpu`: everything TCG can emulate, or the host's own CPU under KVM.
    public var cpuModel: String { self == .kvm ? "host" : "max" }

    /// Turns `--accel` into an accelerator for this host.
    ///
    /// `auto` takes KVM only when it is real hardware virtualisation; kvm-pvm
    /// (this kind of machine) cannot run our ring-0 code that uses SSE, so it
    /// falls back to TCG, as it does when `/dev/kvm` is missing.
    /// - Throws: ``SwiftletError`` for `kvm` on a host where it cannot work.
    public static func resolve(_ choice: AccelChoice, host: HostVirtualization) throws -> Accelerator {
        switch choice {
        case .tcg:
            return .tcg
        case .auto:
            return host.kvmUsable && !host.kvmIsPVM ? .kvm : .tcg
        case .kvm:
            guard host.kvmUsable else {
                throw SwiftletError("--accel kvm: /dev/kvm cannot be opened read-write",
                                    remedy: "load KVM and join the kvm group, or use --accel tcg")
            }
            guard !host.kvmIsPVM else {
                throw SwiftletError(
                    "--accel kvm: this host's KVM is kvm-pvm (no VT-x/AMD-V), which cannot run the unikernel's ring-0 floating-point code",
                    remedy: "use --accel tcg (or auto)")
            }
            return .kvm
        }
    }
}
