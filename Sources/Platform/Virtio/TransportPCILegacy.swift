/// TransportPCILegacy.swift — virtio over PCI, legacy interface (virtio 1.2 §4.1.4.8).
///
/// A transitional device (device ID 0x1000–0x103F) without the modern
/// capabilities is driven through I/O BAR 0, little-endian on x86:
///
///     0x00 device features u32 (bits 0–31 only)   0x04 driver features u32
///     0x08 queue address u32 (PFN, 4096-byte units)
///     0x0C queue size u16 (read-only)              0x0E queue select u16
///     0x10 queue notify u16                        0x12 device status u8
///     0x13 ISR status u8 (reading clears it and lowers INTx)
///     with MSI-X enabled: 0x14 config vector u16, 0x16 queue vector u16
///     device-specific configuration at 0x14, or 0x18 with MSI-X enabled
///
/// There is no FEATURES_OK step and no VIRTIO_F_VERSION_1; the queue size is
/// the device's, and the ring uses the legacy layout with 4096-byte
/// alignment (§2.7.2), which Virtqueue always uses.

import VirtioHW

enum LegacyPCI {
    static let deviceFeatures: UInt16 = 0x00
    static let driverFeatures: UInt16 = 0x04
    static let queueAddress: UInt16 = 0x08
    static let queueSize: UInt16 = 0x0C
    static let queueSelect: UInt16 = 0x0E
    static let queueNotify: UInt16 = 0x10
    static let deviceStatus: UInt16 = 0x12
    static let isrStatus: UInt16 = 0x13
    static let configVector: UInt16 = 0x14
    static let queueVector: UInt16 = 0x16

    /// The legacy transport of the function at `a` (BAR 0 must be I/O).
    static func probe(_ a: PCIAddress, type: UInt32) -> Transport? {
        guard let bar = a.bar(0), bar.io, bar.base <= 0xFFFF else { return nil }
        return Transport(kind: .pciLegacy, deviceType: type, pci: a, port: UInt16(bar.base))
    }
}

extension Transport {
    /// Where device-specific configuration starts in BAR 0.
    var legacyConfig: UInt16 { msix ? 0x18 : 0x14 }

    func legacyQueueSize(_ index: UInt16) -> Int {
        virtio_outw(port + LegacyPCI.queueSelect, index)
        return Int(virtio_inw(port + LegacyPCI.queueSize))
    }

    func legacyActivate(_ q: Virtqueue) -> Bool {
        virtio_outw(port + LegacyPCI.queueSelect, q.index)
        if msix {
            virtio_outw(port + LegacyPCI.configVector, ModernPCI.noVector)
            virtio_outw(port + LegacyPCI.queueVector, 0)
            guard virtio_inw(port + LegacyPCI.queueVector) == 0 else { return false }
        }
        guard q.descriptorAddress >> 12 <= 0xFFFF_FFFF else { return false }
        virtio_outl(port + LegacyPCI.queueAddress, UInt32(q.descriptorAddress >> 12))
        q.notifier = .port16(port + LegacyPCI.queueNotify)
        return true
    }
}
