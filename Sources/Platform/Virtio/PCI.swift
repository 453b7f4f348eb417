/// PCI.swift — configuration space, BARs, capabilities and MSI-X on bus 0 and the buses behind its bridges.
///
/// Configuration mechanism #1 (PCI Local Bus Specification 3.0 §3.2.2.3.2):
/// write `0x80000000 | bus << 16 | device << 11 | function << 8 | register`
/// to port 0xCF8, then access the dword at 0xCFC (a byte or word at
/// 0xCFC + (register & 3)). QEMU's pc (i440FX) and q35 (Q35/ICH9) both decode
/// it; microvm has no PCI, and every read returns all ones there.
///
/// Header type 0 layout (PCI 3.0 §6.1): vendor 0x00, device 0x02, command
/// 0x04, status 0x06 (bit 4: capability list), header type 0x0E (bit 7:
/// multi-function), BARs 0x10–0x24, capability pointer 0x34, interrupt line
/// 0x3C and pin 0x3D. A BAR (§6.2.5.1) is I/O when bit 0 is set (address
/// bits 31:2), else memory with type bits 2:1 (2 = 64-bit: the next BAR holds
/// the high half). Firmware (SeaBIOS) has assigned every BAR before we boot.
/// A BAR's size is found the standard way (§6.2.5.1 "Address Maps"): with
/// decoding off, write all ones, read back the writable bits, restore; every
/// structure a capability places in a BAR must lie inside that size, or the
/// device is broken (a device error naming it, DeviceError.swift).
///
/// MSI-X (PCI 3.0 §6.8.2): capability ID 0x11; message control at +2 (table
/// size − 1 in bits 10:0, function mask bit 14, enable bit 15); table BIR and
/// offset at +4. Each 16-byte table entry is message address low/high, data
/// and vector control (bit 0 masked). On x86 the address is 0xFEE00000 with
/// the destination APIC ID in bits 19:12 and the data is the vector, fixed
/// delivery, edge (Intel SDM Vol. 3A §11.11.1, §11.11.2).

import VirtioHW

struct PCIAddress {
    var bus: UInt8 = 0
    var device: UInt8
    var function: UInt8

    /// Configuration address for `register` (configuration mechanism #1, PCI 3.0 §3.2.2.3.2).
    func address(_ register: UInt8) -> UInt32 {
        0x8000_0000 | UInt32(bus) << 16 | UInt32(device) << 11 | UInt32(function) << 8 | UInt32(register & 0xFC)
    }

    func read32(_ register: UInt8) -> UInt32 {
        virtio_outl(PCI.addressPort, address(register))
        return virtio_inl(PCI.dataPort)
    }

    func read16(_ register: UInt8) -> UInt16 {
        virtio_outl(PCI.addressPort, address(register))
        return virtio_inw(PCI.dataPort + UInt16(register & 2))
    }

    func read8(_ register: UInt8) -> UInt8 {
        virtio_outl(PCI.addressPort, address(register))
        return virtio_inb(PCI.dataPort + UInt16(register & 3))
    }

    func write32(_ register: UInt8, _ value: UInt32) {
        virtio_outl(PCI.addressPort, address(register))
        virtio_outl(PCI.dataPort, value)
    }

    func write16(_ register: UInt8, _ value: UInt16) {
        virtio_outl(PCI.addressPort, address(register))
        virtio_outw(PCI.dataPort + UInt16(register & 2), value)
    }

    /// A BAR's base: (true, port) for I/O, (false, address) for memory; nil when unassigned.
    func bar(_ index: Int) -> (io: Bool, base: UInt64)? {
        guard index >= 0 && index < 6 else { return nil }
        let register = UInt8(0x10 + 4 * index)
        let low = read32(register)
        if low & 1 != 0 {
            let port = UInt64(low & 0xFFFF_FFFC)
            return port == 0 ? nil : (true, port)
        }
        var base = UInt64(low & 0xFFFF_FFF0)
        if (low >> 1) & 3 == 2 && index < 5 { base |= UInt64(read32(register + 4)) << 32 }
        return base == 0 ? nil : (false, base)
    }

    /// The size in bytes of memory BAR `index` (0 for an I/O or unimplemented BAR), found with decoding
    /// turned off for the moment (PCI 3.0 §6.2.5.1).
    func barSize(_ index: Int) -> UInt64 {
        guard index >= 0 && index < 6 else { return 0 }
        let register = UInt8(0x10 + 4 * index)
        let low = read32(register)
        guard low & 1 == 0 else { return 0 }
        let wide = (low >> 1) & 3 == 2 && index < 5
        let high = wide ? read32(register + 4) : 0
        let command = read16(0x04)
        write16(0x04, command & ~0x3)
        write32(register, 0xFFFF_FFFF)
        var mask = UInt64(read32(register) & 0xFFFF_FFF0)
        write32(register, low)
        if wide {
            write32(register + 4, 0xFFFF_FFFF)
            mask |= UInt64(read32(register + 4)) << 32
            write32(register + 4, high)
        } else {
            mask |= 0xFFFF_FFFF_0000_0000
        }
        write16(0x04, command)
        return mask == 0 ? 0 : ~mask &+ 1
    }

    /// Turns on I/O and memory decoding and bus mastering (PCI 3.0 §6.2.2: command bits 0, 1, 2).
    func enable() {
        write16(0x04, read16(0x04) | 0x7)
    }

    /// Offsets of the capabilities with `id`, in list order (bounded: 48 entries fit in 256 bytes).
    func capabilities(_ id: UInt8, _ body: (UInt8) -> Void) {
        guard read16(0x06) & (1 << 4) != 0 else { return }
        var offset = read8(0x34) & 0xFC
        var budget = 48
        while offset >= 0x40 && budget > 0 {
            if read8(offset) == id { body(offset) }
            offset = read8(offset + 1) & 0xFC
            budget -= 1
        }
    }
}

enum PCI {
    static let addressPort: UInt16 = 0xCF8
    static let dataPort: UInt16 = 0xCFC
    static let capabilityMSIX: UInt8 = 0x11
    static let capabilityVendor: UInt8 = 0x09

    /// Whether there is a host bridge at 00:00.0 (pc, q35): microvm reads all ones.
    static var present: Bool {
        PCIAddress(device: 0, function: 0).read16(0x00) != 0xFFFF
    }

    /// Calls `body` for every function on bus 0 and on every bus behind a PCI-to-PCI bridge (header type 1,
    /// secondary bus number at 0x19, PCI-to-PCI Bridge Architecture 1.2 §3.2.5.3), as the firmware numbered
    /// them — q35 under libvirt or KubeVirt puts devices behind PCIe root ports. 32 devices × 8 functions per
    /// bus (functions 1–7 only when function 0 says multi-function); each bus is visited once.
    static func forEachFunction(_ body: (PCIAddress, UInt16, UInt16) -> Void) {
        var pending: [UInt8] = [0]
        var visited = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))  // 256 bits: buses already scanned
        func mark(_ bus: UInt8) -> Bool {
            let bit = UInt64(1) << UInt64(bus & 63)
            switch bus >> 6 {
            case 0: if visited.0 & bit != 0 { return false }; visited.0 |= bit
            case 1: if visited.1 & bit != 0 { return false }; visited.1 |= bit
            case 2: if visited.2 & bit != 0 { return false }; visited.2 |= bit
            default: if visited.3 & bit != 0 { return false }; visited.3 |= bit
            }
            return true
        }
        while let bus = pending.popLast() {
            guard mark(bus) else { continue }
            for device in 0..<32 {
                let f0 = PCIAddress(bus: bus, device: UInt8(device), function: 0)
                guard f0.read16(0x00) != 0xFFFF else { continue }
                let functions = f0.read8(0x0E) & 0x80 != 0 ? 8 : 1
                for function in 0..<functions {
                    let a = PCIAddress(bus: bus, device: UInt8(device), function: UInt8(function))
                    let id = a.read32(0x00)
                    let vendor = UInt16(truncatingIfNeeded: id)
                    guard vendor != 0xFFFF else { continue }
                    if a.read8(0x0E) & 0x7F == 1 {
                        let secondary = a.read8(0x19)
                        if secondary != 0 { pending.append(secondary) }
                        continue
                    }
                    body(a, vendor, UInt16(truncatingIfNeeded: id >> 16))
                }
            }
        }
    }

    /// Where `bar` + `offset` lives as memory (mapped when above 4 GiB), or nil. A structure that does not
    /// lie inside the BAR's size (`what`) is a device error naming the function.
    static func memory(_ a: PCIAddress, bar: Int, offset: UInt32, length: UInt32,
                       what: StaticString = "structure") -> UInt? {
        guard let b = a.bar(bar), !b.io else { return nil }
        let size = a.barSize(bar)
        if UInt64(offset) + UInt64(length) > size {
            DeviceError.fail(.pci(a), what, "ends at byte ", UInt64(offset) + UInt64(length), " of a BAR of ", size)
        }
        let start = b.base &+ UInt64(offset)
        Paging.mapDevice(start: start, end: start &+ UInt64(max(length, 1)))
        return UInt(start)
    }

    /// Enables MSI-X with every table entry `0..<entries` aimed at `vector` on
    /// the boot CPU and unmasked. Returns false when the function has no MSI-X
    /// or its table is not in a memory BAR.
    static func enableMSIX(_ a: PCIAddress, vector: UInt8) -> Bool {
        var capability: UInt8 = 0
        a.capabilities(capabilityMSIX) { offset in if capability == 0 { capability = offset } }
        guard capability != 0 else { return false }
        let control = a.read16(capability + 2)
        let tableSize = Int(control & 0x7FF) + 1
        let tableInfo = a.read32(capability + 4)
        guard let table = memory(a, bar: Int(tableInfo & 7), offset: tableInfo & ~7,
                                 length: UInt32(tableSize * 16), what: "MSI-X table") else { return false }
        // Enable with the function masked while the entries are written (PCI 3.0 §6.8.2.3).
        a.write16(capability + 2, control | 0xC000)
        let destination = UInt32(LAPIC.id() & 0xFF)
        for i in 0..<tableSize {
            let entry = table + UInt(i * 16)
            virtio_mmio_write32(entry + 0, 0xFEE0_0000 | destination << 12)
            virtio_mmio_write32(entry + 4, 0)
            virtio_mmio_write32(entry + 8, UInt32(vector))
            virtio_mmio_write32(entry + 12, 0)  // unmasked
        }
        a.write16(capability + 2, (control | 0x8000) & ~0x4000)
        return true
    }
}
