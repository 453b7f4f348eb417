/// Transport.swift — what every virtio transport offers a device driver.
///
/// A `Transport` is one device behind one of three register layouts:
/// modern PCI (TransportPCI.swift, virtio 1.2 §4.1.4), legacy PCI through
/// I/O BAR 0 (TransportPCILegacy.swift, §4.1.4.8) or virtio-mmio version 2
/// and legacy version 1 (TransportMMIO.swift, §4.2.2 and §4.2.4). This file
/// dispatches on the kind and holds the initialization sequence every driver
/// follows (§3.1.1 "Driver Requirements: Device Initialization").
///
/// Interrupts: every queue raises VIRTIO_DEVICE_VECTOR. PCI devices use
/// MSI-X when they have it, else their INTx pin through the I/O APIC; mmio
/// devices use their I/O APIC pin. Configuration-change interrupts are
/// turned off (no feature we negotiate needs them).

import VirtioHW

/// Device status bits (§2.1).
enum DeviceStatus {
    static let acknowledge: UInt8 = 1
    static let driver: UInt8 = 2
    static let driverOK: UInt8 = 4
    static let featuresOK: UInt8 = 8
    static let failed: UInt8 = 128
}

/// Reserved feature bits (§6).
enum Feature {
    static let anyLayout: UInt64 = 1 << 27  // VIRTIO_F_ANY_LAYOUT (legacy, §2.7.4.3)
    static let ringEventIndex: UInt64 = 1 << 29  // VIRTIO_F_RING_EVENT_IDX (§2.7.7, §2.7.10; legacy too)
    static let version1: UInt64 = 1 << 32  // VIRTIO_F_VERSION_1
}

/// Virtio device IDs (§5).
enum DeviceType {
    static let net: UInt32 = 1
    static let block: UInt32 = 2
}

struct Transport {
    enum Kind {
        case pciModern
        case pciLegacy
        case mmio
    }

    var kind: Kind
    var deviceType: UInt32
    /// PCI function (PCI kinds).
    var pci = PCIAddress(device: 0, function: 0)
    /// Modern PCI: the mapped common, notify, ISR and device-specific structures (§4.1.4.3–§4.1.4.6).
    var common: UInt = 0
    var notifyBase: UInt = 0
    var notifyMultiplier: UInt32 = 0
    /// Bytes of the notify structure (its capability's length).
    var notifyLength: UInt32 = 0
    var isr: UInt = 0
    var config: UInt = 0
    /// Legacy PCI: I/O BAR 0.
    var port: UInt16 = 0
    /// virtio-mmio: register base and version (1 legacy, 2 modern).
    var base: UInt = 0
    var mmioVersion: UInt32 = 0
    /// MSI-X is enabled (PCI); else `gsi` is the I/O APIC input, or −1 when unknown.
    var msix = false
    var gsi = -1
    /// Negotiated features.
    var features: UInt64 = 0

    var isModern: Bool { features & Feature.version1 != 0 }

    // MARK: dispatch

    var status: UInt8 {
        get {
            switch kind {
            case .pciModern: return virtio_mmio_read8(common + ModernPCI.deviceStatus)
            case .pciLegacy: return virtio_inb(port + LegacyPCI.deviceStatus)
            case .mmio: return UInt8(truncatingIfNeeded: virtio_mmio_read32(base + MMIO.status))
            }
        }
        nonmutating set {
            switch kind {
            case .pciModern: virtio_mmio_write8(common + ModernPCI.deviceStatus, newValue)
            case .pciLegacy: virtio_outb(port + LegacyPCI.deviceStatus, newValue)
            case .mmio: virtio_mmio_write32(base + MMIO.status, UInt32(newValue))
            }
        }
    }

    func deviceFeatures() -> UInt64 {
        switch kind {
        case .pciModern: return modernDeviceFeatures()
        case .pciLegacy: return UInt64(virtio_inl(port + LegacyPCI.deviceFeatures))
        case .mmio: return mmioDeviceFeatures()
        }
    }

    func writeDriverFeatures(_ f: UInt64) {
        switch kind {
        case .pciModern: modernWriteDriverFeatures(f)
        case .pciLegacy: virtio_outl(port + LegacyPCI.driverFeatures, UInt32(truncatingIfNeeded: f))
        case .mmio: mmioWriteDriverFeatures(f)
        }
    }

    /// The largest size queue `index` may have; 0 when it does not exist.
    func queueMaximum(_ index: UInt16) -> Int {
        switch kind {
        case .pciModern: return modernQueueMaximum(index)
        case .pciLegacy: return legacyQueueSize(index)
        case .mmio: return mmioQueueMaximum(index)
        }
    }

    /// Whether the device dictates the queue size (legacy PCI: it cannot be changed).
    var queueSizeFixed: Bool { kind == .pciLegacy }

    /// Hands `queue` to the device and sets its notifier; false when the device refuses.
    func activate(_ queue: Virtqueue) -> Bool {
        switch kind {
        case .pciModern: return modernActivate(queue)
        case .pciLegacy: return legacyActivate(queue)
        case .mmio: return mmioActivate(queue)
        }
    }

    func config8(_ offset: Int) -> UInt8 {
        switch kind {
        case .pciModern: return virtio_mmio_read8(config + UInt(offset))
        case .pciLegacy: return virtio_inb(port + legacyConfig + UInt16(offset))
        case .mmio: return virtio_mmio_read8(base + MMIO.config + UInt(offset))
        }
    }

    func config16(_ offset: Int) -> UInt16 {
        switch kind {
        case .pciModern: return virtio_mmio_read16(config + UInt(offset))
        case .pciLegacy: return virtio_inw(port + legacyConfig + UInt16(offset))
        case .mmio: return virtio_mmio_read16(base + MMIO.config + UInt(offset))
        }
    }

    func config32(_ offset: Int) -> UInt32 {
        switch kind {
        case .pciModern: return virtio_mmio_read32(config + UInt(offset))
        case .pciLegacy: return virtio_inl(port + legacyConfig + UInt16(offset))
        case .mmio: return virtio_mmio_read32(base + MMIO.config + UInt(offset))
        }
    }

    /// Configuration generation, for consistent multi-word reads (§2.5.1, §4.1.4.3, §4.2.2);
    /// legacy interfaces have none (0).
    func generation() -> UInt32 {
        switch kind {
        case .pciModern: return UInt32(virtio_mmio_read8(common + ModernPCI.configGeneration))
        case .pciLegacy: return 0
        case .mmio: return mmioVersion >= 2 ? virtio_mmio_read32(base + MMIO.configGeneration) : 0
        }
    }

    /// A 64-bit field as two 32-bit reads, retried until the generation is stable
    /// (§2.5.1: "Drivers MUST NOT assume reads from fields greater than 32 bits are atomic").
    func config64(_ offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<100 {
            let before = generation()
            value = UInt64(config32(offset)) | UInt64(config32(offset + 4)) << 32
            if generation() == before { break }
        }
        return value
    }

    /// Clears the device's interrupt status so a level line drops (§4.1.4.5, §4.1.4.8, §4.2.2);
    /// needed before scanning the rings when the interrupt is a line (IOAPIC.swift). No-op with MSI-X.
    func acknowledge() {
        guard !msix else { return }
        switch kind {
        case .pciModern: _ = virtio_mmio_read8(isr)
        case .pciLegacy: _ = virtio_inb(port + LegacyPCI.isrStatus)
        case .mmio:
            let pending = virtio_mmio_read32(base + MMIO.interruptStatus)
            if pending != 0 { virtio_mmio_write32(base + MMIO.interruptACK, pending) }
        }
    }

    // MARK: initialization (§3.1.1)

    /// Resets the device and waits until the reset is done (§4.1.4.3.2, §4.2.2.2).
    func reset() {
        status = 0
        if kind == .pciLegacy { return }
        for _ in 0..<1_000_000 where status != 0 { virtio_pause() }
    }

    /// Steps 1–6 of §3.1.1: reset, ACKNOWLEDGE, DRIVER, features (`wanted` ∩
    /// offered, then `prune`, which drops bits whose prerequisites are missing:
    /// a driver "MUST NOT accept a feature which requires another feature which
    /// was not accepted", §2.2.1; plus VIRTIO_F_VERSION_1 when offered),
    /// FEATURES_OK when modern. VIRTIO_F_RING_EVENT_IDX is taken whenever offered, on every transport
    /// (legacy interfaces have it too: it is bit 29, within their 32 feature bits); Virtqueue.swift uses it.
    /// Returns false (with FAILED set) when the device refuses the features.
    mutating func negotiate(wanted: UInt64, prune: (UInt64) -> UInt64 = { $0 }) -> Bool {
        reset()
        status = DeviceStatus.acknowledge
        status = DeviceStatus.acknowledge | DeviceStatus.driver
        let offered = deviceFeatures()
        var accepted = prune(offered & wanted)
        if kind != .pciLegacy && offered & Feature.version1 != 0 { accepted |= Feature.version1 }
        accepted |= offered & Feature.ringEventIndex
        // A modern interface drives only devices that offer VERSION_1 (§4.1.2.1, §4.2.4).
        if (kind == .pciModern || (kind == .mmio && mmioVersion >= 2)) && accepted & Feature.version1 == 0 {
            status = DeviceStatus.failed
            return false
        }
        writeDriverFeatures(accepted)
        features = accepted
        if isModern {
            status = DeviceStatus.acknowledge | DeviceStatus.driver | DeviceStatus.featuresOK
            guard status & DeviceStatus.featuresOK != 0 else {
                status = DeviceStatus.failed
                return false
            }
        }
        if kind == .mmio && mmioVersion == 1 {
            virtio_mmio_write32(base + MMIO.legacyGuestPageSize, 4096)
        }
        return true
    }

    /// Creates queue `index` with at most `limit` entries and activates it; nil on failure.
    func makeQueue(_ index: UInt16, limit: Int) -> Virtqueue? {
        let maximum = queueMaximum(index)
        guard maximum > 0 else { return nil }
        var size = maximum
        if !queueSizeFixed {
            size = 1
            while size * 2 <= min(maximum, limit) { size *= 2 }
        }
        guard size & (size - 1) == 0, let queue = Virtqueue(index: index, size: size) else { return nil }
        queue.eventIndex = features & Feature.ringEventIndex != 0
        guard activate(queue) else { return nil }
        Virtqueue.queuesStarted += 1
        if queue.eventIndex { Virtqueue.eventIndexQueues += 1 }
        return queue
    }

    /// Step 8: DRIVER_OK; the device is live.
    func start() {
        status = DeviceStatus.acknowledge | DeviceStatus.driver | DeviceStatus.driverOK
            | (isModern ? DeviceStatus.featuresOK : 0)
    }

    /// Routes this device's interrupt line to our vector (no-op with MSI-X).
    func routeInterrupt() {
        guard !msix, gsi >= 0 else { return }
        IOAPIC.route(gsi: gsi, vector: UInt8(VIRTIO_DEVICE_VECTOR))
    }
}
