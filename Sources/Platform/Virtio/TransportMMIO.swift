/// TransportMMIO.swift — virtio over MMIO (virtio 1.2 §4.2), versions 2 and 1 (legacy).
///
/// Register layout (§4.2.2; legacy differences §4.2.4), 32-bit accesses:
///
///     0x000 MagicValue 0x74726976 ("virt")   0x004 Version (2; legacy 1)
///     0x008 DeviceID (0: no device)          0x00C VendorID
///     0x010 DeviceFeatures                   0x014 DeviceFeaturesSel
///     0x020 DriverFeatures                   0x024 DriverFeaturesSel
///     0x028 GuestPageSize (legacy)           0x030 QueueSel
///     0x034 QueueNumMax                      0x038 QueueNum
///     0x03C QueueAlign (legacy)              0x040 QueuePFN (legacy)
///     0x044 QueueReady                       0x050 QueueNotify
///     0x060 InterruptStatus                  0x064 InterruptACK
///     0x070 Status                           0x080/0x084 QueueDescLow/High
///     0x090/0x094 QueueDriverLow/High        0x0A0/0x0A4 QueueDeviceLow/High
///     0x0FC ConfigGeneration                 0x100 device-specific configuration
///
/// QEMU's microvm has virtio-mmio transports at 0xFEB00000 + 512 × i and
/// defaults to the legacy version unless `-global
/// virtio-mmio.force-legacy=false` (hw/virtio/virtio-mmio.c). Without ACPI it
/// appends `virtio_mmio.device=512@0xADDR:GSI` to the command line for each
/// transport with a device; with ACPI (its default) there are 24 transports
/// on the second I/O APIC, GSI 24 + i (hw/i386/microvm.c).

import VirtioHW

enum MMIO {
    static let magic: UInt = 0x000
    static let version: UInt = 0x004
    static let deviceID: UInt = 0x008
    static let deviceFeatures: UInt = 0x010
    static let deviceFeaturesSel: UInt = 0x014
    static let driverFeatures: UInt = 0x020
    static let driverFeaturesSel: UInt = 0x024
    static let legacyGuestPageSize: UInt = 0x028
    static let queueSel: UInt = 0x030
    static let queueNumMax: UInt = 0x034
    static let queueNum: UInt = 0x038
    static let legacyQueueAlign: UInt = 0x03C
    static let legacyQueuePFN: UInt = 0x040
    static let queueReady: UInt = 0x044
    static let queueNotify: UInt = 0x050
    static let interruptStatus: UInt = 0x060
    static let interruptACK: UInt = 0x064
    static let status: UInt = 0x070
    static let queueDescLow: UInt = 0x080
    static let queueDriverLow: UInt = 0x090
    static let queueDeviceLow: UInt = 0x0A0
    static let configGeneration: UInt = 0x0FC
    static let config: UInt = 0x100

    static let magicValue: UInt32 = 0x7472_6976
    static let microvmBase: UInt = 0xFEB0_0000
    static let microvmStride: UInt = 512

    /// The transport at `base` (must be mapped), or nil: no magic, unknown version, or an empty slot.
    static func probe(base: UInt, gsi: Int) -> Transport? {
        guard virtio_mmio_read32(base + magic) == magicValue else { return nil }
        let v = virtio_mmio_read32(base + version)
        let type = virtio_mmio_read32(base + deviceID)
        guard v == 1 || v == 2, type != 0 else { return nil }
        return Transport(kind: .mmio, deviceType: type, base: base, mmioVersion: v, gsi: gsi)
    }
}

extension Transport {
    func mmioDeviceFeatures() -> UInt64 {
        virtio_mmio_write32(base + MMIO.deviceFeaturesSel, 0)
        let low = virtio_mmio_read32(base + MMIO.deviceFeatures)
        virtio_mmio_write32(base + MMIO.deviceFeaturesSel, 1)
        return UInt64(low) | UInt64(virtio_mmio_read32(base + MMIO.deviceFeatures)) << 32
    }

    func mmioWriteDriverFeatures(_ f: UInt64) {
        virtio_mmio_write32(base + MMIO.driverFeaturesSel, 0)
        virtio_mmio_write32(base + MMIO.driverFeatures, UInt32(truncatingIfNeeded: f))
        virtio_mmio_write32(base + MMIO.driverFeaturesSel, 1)
        virtio_mmio_write32(base + MMIO.driverFeatures, UInt32(truncatingIfNeeded: f >> 32))
    }

    func mmioQueueMaximum(_ index: UInt16) -> Int {
        virtio_mmio_write32(base + MMIO.queueSel, UInt32(index))
        return Int(virtio_mmio_read32(base + MMIO.queueNumMax))
    }

    /// §4.2.3.2 "Virtqueue Configuration" (version 2) and §4.2.4 (legacy: QueueAlign, QueuePFN).
    func mmioActivate(_ q: Virtqueue) -> Bool {
        virtio_mmio_write32(base + MMIO.queueSel, UInt32(q.index))
        virtio_mmio_write32(base + MMIO.queueNum, UInt32(q.size))
        if mmioVersion == 1 {
            guard q.descriptorAddress >> 12 <= 0xFFFF_FFFF else { return false }
            virtio_mmio_write32(base + MMIO.legacyQueueAlign, 4096)
            virtio_mmio_write32(base + MMIO.legacyQueuePFN, UInt32(q.descriptorAddress >> 12))
        } else {
            guard virtio_mmio_read32(base + MMIO.queueReady) == 0 else { return false }
            write64(MMIO.queueDescLow, q.descriptorAddress)
            write64(MMIO.queueDriverLow, q.availAddress)
            write64(MMIO.queueDeviceLow, q.usedAddress)
            virtio_mmio_write32(base + MMIO.queueReady, 1)
        }
        q.notifier = .memory32(base + MMIO.queueNotify)
        return true
    }

    private func write64(_ low: UInt, _ value: UInt64) {
        virtio_mmio_write32(base + low, UInt32(truncatingIfNeeded: value))
        virtio_mmio_write32(base + low + 4, UInt32(truncatingIfNeeded: value >> 32))
    }
}
