/// DeviceSpec.swift — the one device grammar that the CLI, the dev tender and the prod boot words share
/// (docs/DEVICES.md §1–4).
///
/// Three programs read or write device configuration: the `swiftlet` CLI (full Swift, on the host), the dev
/// tender (Embedded Swift, before the sandbox is locked) and the unikernel's boot-word reader (Embedded Swift,
/// at boot). The rules they must agree on — what a device name is, how settings are split and escaped, what a
/// MAC is and which MAC a device gets by default, which MTUs and block sizes exist — are written once, here.
/// The CLI compiles these same files into SwiftletKit (Sources/SwiftletKit/DeviceSpec links to them); images
/// get them as the module `DeviceSpec`, which both platforms import. Everything works on bytes (no Foundation,
/// no String processing), so it costs an image little.
public enum DeviceSpec {
    /// A device name is 1–31 characters (§1).
    public static let maximumNameLength = 31
    /// A block device's name is at most 20 characters: prod matches it against the virtio-blk serial, which
    /// holds 20 bytes (virtio 1.2 §5.2.6, `VIRTIO_BLK_ID_BYTES`).
    public static let maximumBlockNameLength = 20
    /// Net and block devices together (handles 0...63: one bit each in the ABI's ready set).
    public static let maximumDevices = 64
    /// The MTU of a net device unless its TAP interface says otherwise (§2).
    public static let defaultMTU = 1500
    /// The smallest MTU: RFC 791's 68 octets.
    public static let minimumMTU = 68
    /// The largest MTU a 16-bit IPv4 total length allows.
    public static let maximumMTU = 65535
    /// A block device's sector size unless `block-size=` says otherwise.
    public static let defaultBlockSize = 512

    /// The block sizes both modes support and test: 512 and 4096 bytes (§2).
    public static func isSupportedBlockSize(_ size: Int) -> Bool {
        size == 512 || size == 4096
    }

    /// Whether `mtu` is a usable MTU (68...65535).
    public static func isValidMTU(_ mtu: Int) -> Bool {
        mtu >= minimumMTU && mtu <= maximumMTU
    }
}
