/// A build target: where the image runs.
public enum Target: String, CaseIterable, Sendable {
    /// dev: an ordinary Linux process, sandboxed with seccomp.
    case posix
    /// prod: a bare-metal x86_64 image booted by QEMU.
    case virtio
}

/// A QEMU machine type for `--target virtio`.
public enum Machine: String, CaseIterable, Sendable {
    case microvm, pc, q35
    /// QEMU's microvm reduced to the devices Firecracker has (docs/DEPLOY.md §3): COM1, an i8042,
    /// virtio-mmio, the PIT and the interrupt controllers; no RTC, no ACPI, no debug ports, so the
    /// image ends through the i8042 reset (`@exit=i8042`) and reports its status on the console.
    case firecracker

    /// The value of QEMU's `-M`.
    public var qemuMachine: String {
        switch self {
        case .microvm, .pc, .q35: return rawValue
        case .firecracker: return "microvm,rtc=off,acpi=off,pic=on,pit=on,isa-serial=on"
        }
    }

    /// Devices sit on PCI (else virtio-mmio).
    public var hasPCI: Bool { self == .pc || self == .q35 }

    /// The status comes from the console (`swiftlet-exit: N`), not QEMU's debug ports.
    public var exitsThroughConsole: Bool { self == .firecracker }
}

/// The virtual machine monitor `swiftlet run --target virtio` starts.
public enum VMM: String, CaseIterable, Sendable {
    /// qemu-system-x86_64 (every `--machine`).
    case qemu
    /// Firecracker (`firecracker --no-api --config-file`, KVM only): the config of ``FirecrackerConfig``.
    case firecracker
}

/// The `--accel` choice; ``Accelerator/resolve(_:host:)`` turns it into a concrete accelerator.
public enum AccelChoice: String, CaseIterable, Sendable {
    case auto, tcg, kvm
}
