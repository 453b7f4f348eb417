/// Devices.swift — finding virtio devices, handing out handles, and the device half of the ABI.
///
/// At boot (after the heap exists) `Devices.setup` takes the platform's
/// words off the command line (BootWords.swift). The devices are found when
/// the app first acquires one, and each kind's driver is started then: the
/// first `swiftlet_platform_net_acquire` or `..._block_acquire` scans for
/// every virtio transport (on bus 0 of PCI when there is one, pc and q35:
/// modern interface preferred, legacy for transitional devices without it;
/// else microvm's virtio-mmio transports), and each kind's first acquire
/// initializes every device of that kind (a disk's serial, its name, needs a
/// live device; a NIC's receive ring is filled only when it is acquired).
/// Nothing else refers to the drivers, so an app that never asks for a
/// device of a kind links no driver for it, and one that asks for none links
/// no discovery either (docs/BENCHMARKS.md, footprint). What yield needs of
/// a kind's drivers (ready set, acknowledgement, busy) it reaches through the
/// hooks that kind registered when it started.
///
/// Names (docs/DEVICES.md §4): a disk by its GET_ID serial, a NIC by the MAC
/// that `@net.NAME=MAC` gave for NAME, or by position (`@net.NAME=#N`: the Nth NIC found). Handles 0…63 are shared by both kinds
/// and assigned in acquire order; a second acquire of a name, or an unknown
/// name, is INVALID (§5). Runtime has checked every other argument.
///
/// Interrupts only end HLT (isr.S EOIs VIRTIO_DEVICE_VECTOR); what happened
/// is read from the used rings afterwards. Devices on a line (I/O APIC, edge)
/// are acknowledged before each scan (IOAPIC.swift).

import SwiftletABI
import VirtioHW

/// What yield needs of the started drivers of one kind (Devices.swift).
struct DeviceKindHooks {
    /// Bit h for each acquired device with something to take.
    var readySet: () -> UInt64
    /// Acknowledges every device of the kind on an interrupt line.
    var acknowledge: () -> Void
    /// Whether a device of the kind has requests outstanding (yield backs its interrupt up with a timer).
    var busy: () -> Bool
    /// Arms the interrupt of every queue whose returns the kind waits for (Virtqueue.armInterrupt); true when
    /// one of them already has a used entry waiting (then the caller looks instead of sleeping).
    var arm: () -> Bool
}

enum Devices {
    static let virtioVendor: UInt16 = 0x1AF4
    static let maxHandles = 64

    static var nets: [VirtioNet] = []
    static var blocks: [VirtioBlock] = []
    static var nextHandle = 0
    /// Bits of the acquired net handles (the only ones yield reports).
    static var netHandles: UInt64 = 0
    /// The kinds started so far (at most two).
    static var kinds: [DeviceKindHooks] = []
    /// The virtio net and block transports, found at the first acquire.
    static var found: [Transport]? = nil
    static var netsStarted = false
    static var blocksStarted = false

    /// Boot: only the platform's words (the devices wait for the app).
    static func setup() {
        BootWords.extract()
    }

    /// Every virtio net and block transport, scanned for once.
    static func transports() -> [Transport] {
        if let found { return found }
        var list: [Transport] = []
        if PCI.present {
            discoverPCI(&list)
        } else {
            discoverMMIO(&list)
        }
        found = list
        return list
    }

    /// Starts every NIC's driver, once (the first net acquire).
    static func startNets() {
        guard !netsStarted else { return }
        netsStarted = true
        for t in transports() where t.deviceType == DeviceType.net {
            // A device out of memory has said so in its own line (dev's ports say the same, nothing more).
            if let n = VirtioNet(t) { nets.append(n) } else if !VirtioNet.reportedOutOfMemory { warn("virtio-net", t) }
            VirtioNet.reportedOutOfMemory = false
        }
        kinds.append(DeviceKindHooks(
            readySet: {
                var set: UInt64 = 0
                for n in nets where n.handle >= 0 && n.readable { set |= 1 << UInt64(n.handle) }
                return set
            },
            acknowledge: { for n in nets { n.transport.acknowledge() } },
            busy: { false },
            arm: {
                var waiting = false
                for n in nets where n.rx.armInterrupt() { waiting = true }
                return waiting
            }))
        flushNets = { for n in nets { n.flushTransmit() } }
    }

    /// Starts every disk's driver, once (the first block acquire).
    static func startBlocks() {
        guard !blocksStarted else { return }
        blocksStarted = true
        for t in transports() where t.deviceType == DeviceType.block {
            if let b = VirtioBlock(t) { blocks.append(b) } else { warn("virtio-blk", t) }
        }
        kinds.append(DeviceKindHooks(
            readySet: {
                var set: UInt64 = 0
                for b in blocks where b.handle >= 0 && b.hasCompletion { set |= 1 << UInt64(b.handle) }
                return set
            },
            acknowledge: { for b in blocks { b.transport.acknowledge() } },
            busy: {
                for b in blocks where b.busy { return true }
                return false
            },
            arm: {
                var waiting = false
                for b in blocks where b.queue.armInterrupt() { waiting = true }
                return waiting
            }))
    }

    static func warn(_ what: StaticString, _ t: Transport) {
        Report.put("swiftlet: warning: ")
        Report.put(what)
        Report.put(" device did not initialize; ignored\n")
    }

    /// Bus 0: vendor 0x1AF4, device 0x1041/0x1042 (modern) or 0x1000/0x1001
    /// (transitional, type in the subsystem ID) (virtio 1.2 §4.1.2).
    static func discoverPCI(_ found: inout [Transport]) {
        PCI.forEachFunction { a, vendor, device in
            guard vendor == virtioVendor else { return }
            var type: UInt32
            if device >= 0x1040 && device <= 0x107F {
                type = UInt32(device - 0x1040)
            } else if device >= 0x1000 && device <= 0x103F {
                type = UInt32(a.read16(0x2E))
            } else {
                return
            }
            guard type == DeviceType.net || type == DeviceType.block else { return }
            a.enable()
            guard var t = ModernPCI.probe(a, type: type) ?? LegacyPCI.probe(a, type: type) else { return }
            t.msix = PCI.enableMSIX(a, vector: UInt8(VIRTIO_DEVICE_VECTOR))
            if !t.msix {
                // INTx: firmware wrote the pin's IRQ into Interrupt Line; on pc that is the
                // I/O APIC input too; on q35 the PIRQs also reach GSI 16–23 (ICH9), so route those as well.
                let line = Int(a.read8(0x3C))
                if a.read8(0x3D) != 0 && line != 0xFF { t.gsi = line }
                for gsi in 16..<24 { IOAPIC.route(gsi: gsi, vector: UInt8(VIRTIO_DEVICE_VECTOR)) }
            }
            found.append(t)
        }
    }

    /// The transports QEMU listed on the command line, else a scan of microvm's
    /// slots: 24 on the second I/O APIC (GSI 24 + i) when it exists, else 8 at GSI 16 + i.
    static func discoverMMIO(_ found: inout [Transport]) {
        if !BootWords.mmioDevices.isEmpty {
            for d in BootWords.mmioDevices {
                if let t = MMIO.probe(base: d.base, gsi: d.gsi) { found.append(t) }
            }
            return
        }
        let second = IOAPIC.pins(IOAPIC.secondary) > 0
        for i in 0..<(second ? 24 : 8) {
            let base = MMIO.microvmBase + UInt(i) * MMIO.microvmStride
            if let t = MMIO.probe(base: base, gsi: (second ? 24 : 16) + i) { found.append(t) }
        }
    }

    /// Announces every queued request to its device (VirtioNet batches its transmit notifications until the
    /// libOS yields: VirtioNet.write).
    static func flushAll() {
        flushNets?()
    }

    /// Set when the NICs start: announces their unannounced transmit frames (nil when no NIC started).
    static var flushNets: (() -> Void)? = nil

    /// Arms the interrupts of every started device's queues that yield waits on (receive and request queues)
    /// before a HLT; true when a used entry is already waiting, so the caller must look again rather than sleep
    /// (with VIRTIO_F_RING_EVENT_IDX an armed queue interrupts only for entries used after the arm).
    static func armInterrupts() -> Bool {
        var waiting = false
        for kind in kinds where kind.arm() { waiting = true }
        return waiting
    }

    /// Acknowledges every started device on an interrupt line (see IOAPIC.swift).
    @inline(never)  // yield calls it twice: one loop over the kinds' hooks, not a copy at each call
    static func acknowledgeAll() {
        for kind in kinds { kind.acknowledge() }
    }

    /// Sleeps in HLT until an interrupt or 10 ms at most (a disk's GET_ID as it starts), then acknowledges every
    /// device on a line. The timer backs the device interrupt up, so a lost one costs time, never a hang; without
    /// a LAPIC timer it only pauses. The caller bounds its own wait.
    static func pause() {
        // Armed, not looked at: a NIC's waiting frames must not turn this wait into a spin; an entry used
        // before the arm costs at most the 10 ms.
        _ = armInterrupts()
        if LAPIC.available {
            let now = Clock.now()
            LAPIC.arm(deadline: now + 10_000_000, now: now)
            virtio_sti_hlt_cli()
            LAPIC.disarm()
        } else {
            virtio_pause()
        }
        acknowledgeAll()
    }

    /// Bit h for each acquired NIC with a received frame waiting, and each acquired disk with a
    /// completed request to take (reading its used ring).
    @inline(never)  // as acknowledgeAll
    static func readySet() -> UInt64 {
        var set: UInt64 = 0
        for kind in kinds { set |= kind.readySet() }
        return set
    }

    /// Whether some disk has requests in its ring: an interrupt is due, and yield backs it up with a timer.
    static var blocksBusy: Bool {
        @inline(never)  // as acknowledgeAll
        get {
            for kind in kinds where kind.busy() { return true }
            return false
        }
    }

    static func takeHandle() -> Int? {
        guard nextHandle < maxHandles else { return nil }
        defer { nextHandle += 1 }
        return nextHandle
    }

    static func net(_ h: swiftlet_handle_t) -> VirtioNet? {
        for n in nets where n.handle >= 0 && UInt64(n.handle) == h { return n }
        return nil
    }

    static func block(_ h: swiftlet_handle_t) -> VirtioBlock? {
        for b in blocks where b.handle >= 0 && UInt64(b.handle) == h { return b }
        return nil
    }

    static func length(_ name: UnsafePointer<UInt8>) -> Int {
        var n = 0
        while name[n] != 0 && n < 256 { n += 1 }
        return n
    }
}

@_cdecl("swiftlet_platform_net_acquire")
public func swiftlet_platform_net_acquire(_ name: UnsafePointer<CChar>?, _ h: UnsafeMutablePointer<swiftlet_handle_t>?,
                                          _ info: UnsafeMutablePointer<swiftlet_net_info>?) -> swiftlet_result_t {
    guard let name, let h, let info else { return SWIFTLET_R_INVALID }
    Devices.startNets()
    return name.withMemoryRebound(to: UInt8.self, capacity: 1) { bytes in
        guard let word = BootWords.net(for: bytes, Devices.length(bytes)), word.mac != 0 || word.index >= 0 else {
            return SWIFTLET_R_INVALID
        }
        for (i, n) in Devices.nets.enumerated() where word.index >= 0 ? i == word.index : n.mac == word.mac {
            guard n.handle < 0, let handle = Devices.takeHandle() else { return SWIFTLET_R_INVALID }
            n.handle = handle
            Devices.netHandles |= 1 << UInt64(handle)
            n.startReceiving()
            h.pointee = swiftlet_handle_t(handle)
            let m = n.mac
            info.pointee.mac_address = (UInt8(truncatingIfNeeded: m >> 40), UInt8(truncatingIfNeeded: m >> 32),
                                        UInt8(truncatingIfNeeded: m >> 24), UInt8(truncatingIfNeeded: m >> 16),
                                        UInt8(truncatingIfNeeded: m >> 8), UInt8(truncatingIfNeeded: m))
            info.pointee.mtu = n.mtu
            info.pointee.offloads = n.offloads
            return SWIFTLET_R_OK
        }
        return SWIFTLET_R_INVALID
    }
}

@_cdecl("swiftlet_platform_net_read")
public func swiftlet_platform_net_read(_ h: swiftlet_handle_t, _ buf: UnsafeMutablePointer<UInt8>?, _ size: Int,
                                       _ readSize: UnsafeMutablePointer<Int>?,
                                       _ meta: UnsafeMutablePointer<swiftlet_net_frame_meta>?) -> swiftlet_result_t {
    guard let n = Devices.net(h), let buf, let meta else { return SWIFTLET_R_INVALID }
    return n.read(into: buf, size: size, length: readSize, meta: meta)
}

@_cdecl("swiftlet_platform_net_write")
public func swiftlet_platform_net_write(_ h: swiftlet_handle_t, _ buf: UnsafePointer<UInt8>?, _ size: Int,
                                        _ meta: UnsafePointer<swiftlet_net_frame_meta>?) -> swiftlet_result_t
{
    guard let n = Devices.net(h), let buf, let meta else { return SWIFTLET_R_INVALID }
    let limit = meta.pointee.gso_size > 0 ? Int(SWIFTLET_NET_MAX_OFFLOAD_FRAME) : n.mtu + 14
    guard size >= 1 && size <= limit else { return SWIFTLET_R_INVALID }
    return n.write(buf, size: size, meta: meta.pointee)
}

@_cdecl("swiftlet_platform_block_acquire")
public func swiftlet_platform_block_acquire(_ name: UnsafePointer<CChar>?,
                                            _ h: UnsafeMutablePointer<swiftlet_handle_t>?,
                                            _ info: UnsafeMutablePointer<swiftlet_block_info>?) -> swiftlet_result_t {
    guard let name, let h, let info else { return SWIFTLET_R_INVALID }
    Devices.startBlocks()
    return name.withMemoryRebound(to: UInt8.self, capacity: 1) { bytes in
        let length = Devices.length(bytes)
        for b in Devices.blocks where b.named(bytes, length) {
            guard b.handle < 0, let handle = Devices.takeHandle() else { return SWIFTLET_R_INVALID }
            b.handle = handle
            h.pointee = swiftlet_handle_t(handle)
            info.pointee.capacity = b.capacity
            info.pointee.block_size = b.blockSize
            info.pointee.queue_depth = UInt32(b.depth)
            return SWIFTLET_R_OK
        }
        return SWIFTLET_R_INVALID
    }
}

@_cdecl("swiftlet_platform_block_submit")
public func swiftlet_platform_block_submit(_ h: swiftlet_handle_t,
                                           _ request: UnsafePointer<swiftlet_block_request>?) -> swiftlet_result_t {
    guard let b = Devices.block(h), let request else { return SWIFTLET_R_INVALID }
    return b.submit(request.pointee)
}

@_cdecl("swiftlet_platform_block_complete")
public func swiftlet_platform_block_complete(_ h: swiftlet_handle_t, _ tag: UnsafeMutablePointer<UInt64>?,
                                             _ status: UnsafeMutablePointer<swiftlet_result_t>?) -> swiftlet_result_t {
    guard let b = Devices.block(h), let tag, let status else { return SWIFTLET_R_INVALID }
    return b.complete(tag: &tag.pointee, status: &status.pointee)
}
