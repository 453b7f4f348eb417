/// IOAPIC.swift — steering a device's interrupt pin to our vector.
///
/// Intel 82093AA I/O APIC data sheet §3.0: an index register at base + 0x00
/// and a data window at base + 0x10; register 0x01 is the version (maximum
/// redirection entry in bits 23:16), and redirection entry n is registers
/// 0x10 + 2n (low: vector 7:0, delivery mode 10:8 = 0 fixed, destination
/// mode 11 = 0 physical, polarity 13, trigger mode 15, mask 16) and
/// 0x11 + 2n (destination APIC ID in bits 31:24).
///
/// Pins are programmed edge-triggered. virtio's interrupt lines are level
/// (PCI INTx; virtio-mmio holds its line while InterruptStatus is non-zero),
/// and a level entry would re-deliver forever unless an interrupt handler
/// acknowledged the device; ours only ends HLT. With edge entries the driver
/// acknowledges the device *before* it scans the rings (Devices.acknowledge),
/// so each later completion raises the line again and interrupts again.
///
/// QEMU places the first I/O APIC (GSI 0–23) at 0xFEC00000 on every machine,
/// and microvm a second one (GSI 24–47, used for its virtio-mmio
/// transports) at 0xFEC10000 (QEMU include/hw/intc/ioapic.h,
/// hw/i386/microvm.c). Both are below 4 GiB, so Paging maps them uncached.

import VirtioHW

enum IOAPIC {
    static let primary: UInt = 0xFEC0_0000
    static let secondary: UInt = 0xFEC1_0000
    static let pinsPerChip = 24

    static func read(_ base: UInt, _ register: UInt32) -> UInt32 {
        virtio_mmio_write32(base, register)
        return virtio_mmio_read32(base + 0x10)
    }

    static func write(_ base: UInt, _ register: UInt32, _ value: UInt32) {
        virtio_mmio_write32(base, register)
        virtio_mmio_write32(base + 0x10, value)
    }

    /// Redirection entries of the chip at `base` (0 when nothing answers there).
    static func pins(_ base: UInt) -> Int {
        let version = read(base, 0x01)
        guard version != 0 && version != 0xFFFF_FFFF else { return 0 }
        return Int((version >> 16) & 0xFF) + 1
    }

    /// Unmasks global system interrupt `gsi`: edge, active high, fixed, to this CPU's `vector`.
    /// Returns false when no I/O APIC has that pin.
    @discardableResult
    static func route(gsi: Int, vector: UInt8) -> Bool {
        let base = gsi < pinsPerChip ? primary : secondary
        let pin = gsi % pinsPerChip
        guard gsi >= 0 && gsi < 2 * pinsPerChip && pin < pins(base) else { return false }
        let register = UInt32(0x10 + 2 * pin)
        write(base, register + 1, (LAPIC.id() & 0xFF) << 24)
        write(base, register, UInt32(vector))  // edge, high, physical, fixed, unmasked
        return true
    }
}
