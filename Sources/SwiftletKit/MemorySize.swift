/// `--memory SIZE` of `swiftlet run` and `swiftlet test`: the guest's memory.
///
/// In prod it is QEMU's `-m` (default 128 MiB). In dev the tender gets it as `--memory BYTES` (default the
/// same 128 MiB) and maps the heap's arena from it before the lockdown, sized as prod's heap is
/// (Sources/Platform/Posix/Arena.swift), so an app that needs more than it was given fails in dev as it
/// would in prod, with the same line.
public struct MemorySize: Equatable, Sendable, CustomStringConvertible {
    /// Bytes, a multiple of 1 KiB.
    public var bytes: UInt64

    /// QEMU's `-m` when `--memory` is not given.
    public static let virtioDefault = MemorySize(bytes: 128 << 20)
    /// The least accepted: the image is loaded at 1 MiB, and page tables, stacks and heap follow it.
    public static let minimum: UInt64 = 2 << 20
    /// The most accepted (QEMU on this kind of host cannot give more anyway).
    public static let maximum: UInt64 = 1 << 40

    public init(bytes: UInt64) {
        self.bytes = bytes
    }

    /// Parses `8M`, `128M`, `1G`, `8192K` or bytes (binary multiples, as `temp:SIZE`).
    /// - Throws: ``SwiftletError`` (status 2, one line) for anything else, or a size below 2 MiB, above
    ///   1 TiB or not a whole number of KiB.
    public init(parsing text: String) throws {
        guard let bytes = DeviceOptions.parseSize(text) else {
            throw SwiftletError("--memory '\(text)': expected a size such as 8M, 128M or 1G", status: 2)
        }
        guard bytes >= MemorySize.minimum, bytes <= MemorySize.maximum, bytes % 1024 == 0 else {
            throw SwiftletError("--memory '\(text)': the size must be a whole number of KiB from 2M to 1T", status: 2)
        }
        self.bytes = bytes
    }

    /// QEMU's `-m` value: `8M`, or `8500K` when not a whole number of MiB.
    public var qemuArgument: String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20)M" : "\(bytes >> 10)K"
    }

    public var description: String { qemuArgument }
}
