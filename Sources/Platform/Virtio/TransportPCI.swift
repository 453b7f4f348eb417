/// TransportPCI.swift — virtio over PCI, modern interface (virtio 1.2 §4.1).
///
/// Devices: vendor 0x1AF4, device 0x1040 + type (modern only) or
/// 0x1000–0x103F (transitional; the subsystem device ID 0x2E is the type,
/// §4.1.2). A modern interface is described by vendor-specific capabilities
/// (§4.1.4, struct virtio_pci_cap):
///
///     +0 cap_vndr 0x09, +1 cap_next, +2 cap_len, +3 cfg_type, +4 bar, +5 id,
///     +8 offset u32, +12 length u32; notify adds +16 notify_off_multiplier u32
///
/// cfg_type 1 common (§4.1.4.3), 2 notify (§4.1.4.4), 3 ISR (§4.1.4.5),
/// 4 device-specific (§4.1.4.6). We use the first capability of each type
/// (§4.1.4.1: "the driver SHOULD use the first instance"). Common
/// configuration (struct virtio_pci_common_cfg):
///
///     0x00 device_feature_select u32   0x04 device_feature u32
///     0x08 driver_feature_select u32   0x0C driver_feature u32
///     0x10 config_msix_vector u16      0x12 num_queues u16
///     0x14 device_status u8            0x15 config_generation u8
///     0x16 queue_select u16            0x18 queue_size u16
///     0x1A queue_msix_vector u16       0x1C queue_enable u16
///     0x1E queue_notify_off u16        0x20 queue_desc u64
///     0x28 queue_driver u64            0x30 queue_device u64
///
/// A queue's notify address is the notify structure + queue_notify_off ×
/// notify_off_multiplier (§4.1.4.4). 64-bit fields are written as two 32-bit
/// halves, low first (§4.1.3.1).

import VirtioHW

enum ModernPCI {
    static let deviceFeatureSelect: UInt = 0x00
    static let deviceFeature: UInt = 0x04
    static let driverFeatureSelect: UInt = 0x08
    static let driverFeature: UInt = 0x0C
    static let configMSIXVector: UInt = 0x10
    static let numQueues: UInt = 0x12
    static let deviceStatus: UInt = 0x14
    static let configGeneration: UInt = 0x15
    static let queueSelect: UInt = 0x16
    static let queueSize: UInt = 0x18
    static let queueMSIXVector: UInt = 0x1A
    static let queueEnable: UInt = 0x1C
    static let queueNotifyOff: UInt = 0x1E
    static let queueDesc: UInt = 0x20
    static let queueDriver: UInt = 0x28
    static let queueDevice: UInt = 0x30

    static let capCommon: UInt8 = 1
    static let capNotify: UInt8 = 2
    static let capISR: UInt8 = 3
    static let capDevice: UInt8 = 4
    /// VIRTIO_MSI_NO_VECTOR (§4.1.4.3).
    static let noVector: UInt16 = 0xFFFF

    /// The modern transport of the function at `a`, or nil when it lacks one of the
    /// four structures (a transitional device then falls back to legacy).
    static func probe(_ a: PCIAddress, type: UInt32) -> Transport? {
        var t = Transport(kind: .pciModern, deviceType: type, pci: a)
        var found: UInt8 = 0
        a.capabilities(PCI.capabilityVendor) { cap in
            let cfgType = a.read8(cap + 3)
            guard cfgType >= capCommon && cfgType <= capDevice, found & (1 << cfgType) == 0 else { return }
            let bar = Int(a.read8(cap + 4))
            let offset = a.read32(cap + 8)
            let length = a.read32(cap + 12)
            // Each structure must hold what we access in it: the common configuration's last field ends at
            // 0x38, a notify register is 2 bytes, the ISR status 1 (§4.1.4.3–§4.1.4.6).
            let least: UInt32 = cfgType == capCommon ? 0x38 : cfgType == capNotify ? 2 : 1
            if length < least {
                DeviceError.fail(.pci(a), "virtio capability", "type ", UInt64(cfgType), " is too short: ",
                                 UInt64(length))
            }
            guard let address = PCI.memory(a, bar: bar, offset: offset, length: length,
                                           what: "virtio capability") else { return }
            switch cfgType {
            case capCommon: t.common = address
            case capNotify:
                t.notifyBase = address
                t.notifyLength = length
                t.notifyMultiplier = a.read32(cap + 16)
            case capISR: t.isr = address
            default: t.config = address
            }
            found |= 1 << cfgType
        }
        return found == 0x1E ? t : nil
    }
}

extension Transport {
    func modernDeviceFeatures() -> UInt64 {
        virtio_mmio_write32(common + ModernPCI.deviceFeatureSelect, 0)
        let low = virtio_mmio_read32(common + ModernPCI.deviceFeature)
        virtio_mmio_write32(common + ModernPCI.deviceFeatureSelect, 1)
        return UInt64(low) | UInt64(virtio_mmio_read32(common + ModernPCI.deviceFeature)) << 32
    }

    func modernWriteDriverFeatures(_ f: UInt64) {
        virtio_mmio_write32(common + ModernPCI.driverFeatureSelect, 0)
        virtio_mmio_write32(common + ModernPCI.driverFeature, UInt32(truncatingIfNeeded: f))
        virtio_mmio_write32(common + ModernPCI.driverFeatureSelect, 1)
        virtio_mmio_write32(common + ModernPCI.driverFeature, UInt32(truncatingIfNeeded: f >> 32))
    }

    func modernQueueMaximum(_ index: UInt16) -> Int {
        guard index < virtio_mmio_read16(common + ModernPCI.numQueues) else { return 0 }
        virtio_mmio_write16(common + ModernPCI.queueSelect, index)
        return Int(virtio_mmio_read16(common + ModernPCI.queueSize))
    }

    /// §4.1.5.1.3 "Virtqueue Configuration": size, vector, addresses, then queue_enable.
    func modernActivate(_ q: Virtqueue) -> Bool {
        virtio_mmio_write16(common + ModernPCI.queueSelect, q.index)
        virtio_mmio_write16(common + ModernPCI.queueSize, UInt16(q.size))
        if msix {
            virtio_mmio_write16(common + ModernPCI.configMSIXVector, ModernPCI.noVector)
            virtio_mmio_write16(common + ModernPCI.queueMSIXVector, 0)
            // The device answers NO_VECTOR when it could not take the vector (§4.1.5.1.2.1).
            guard virtio_mmio_read16(common + ModernPCI.queueMSIXVector) == 0 else { return false }
        }
        write64(ModernPCI.queueDesc, q.descriptorAddress)
        write64(ModernPCI.queueDriver, q.availAddress)
        write64(ModernPCI.queueDevice, q.usedAddress)
        let notifyOff = UInt64(virtio_mmio_read16(common + ModernPCI.queueNotifyOff))
        let notifyAt = notifyOff * UInt64(notifyMultiplier)
        // The queue's notify register must lie in the notify structure (§4.1.4.4.1).
        if notifyAt + 2 > UInt64(notifyLength) {
            DeviceError.fail(.pci(pci), "virtio capability", "notify offset ", notifyAt, " is past its length ",
                             UInt64(notifyLength))
        }
        q.notifier = .memory16(notifyBase + UInt(notifyAt))
        virtio_mmio_write16(common + ModernPCI.queueEnable, 1)
        return true
    }

    private func write64(_ field: UInt, _ value: UInt64) {
        virtio_mmio_write32(common + field, UInt32(truncatingIfNeeded: value))
        virtio_mmio_write32(common + field + 4, UInt32(truncatingIfNeeded: value >> 32))
    }
}
