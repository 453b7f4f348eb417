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
}

/// The `--accel` choice; ``Accelerator/resolve(_:host:)`` turns it into a concrete accelerator.
public enum AccelChoice: String, CaseIterable, Sendable {
    case auto, tcg, kvm
}
