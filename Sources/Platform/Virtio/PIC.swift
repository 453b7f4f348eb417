/// PIC.swift — the legacy 8259A pair: remapped out of the way, then masked.
///
/// At reset the master PIC delivers IRQ 0–7 on vectors 8–15, on top of CPU
/// exceptions (#DF, #GP, #PF, ...). We reinitialise both chips (ICW1–ICW4,
/// Intel 8259A data sheet) to vectors 0x20–0x2F and mask every line, so only
/// the local APIC interrupts us. A masked 8259A can still raise a spurious
/// IRQ 7/15; isr.S ignores those vectors. Machines without a PIC (microvm
/// with pic=off) ignore the port writes.

import VirtioHW

enum PIC {
    static func remapAndMask() {
        let master: UInt16 = 0x20, slave: UInt16 = 0xA0
        virtio_outb(master, 0x11)  // ICW1: initialise, ICW4 follows
        virtio_outb(slave, 0x11)
        virtio_outb(master + 1, 0x20)  // ICW2: vector base
        virtio_outb(slave + 1, 0x28)
        virtio_outb(master + 1, 0x04)  // ICW3: slave on IRQ 2
        virtio_outb(slave + 1, 0x02)  // ICW3: slave identity 2
        virtio_outb(master + 1, 0x01)  // ICW4: 8086 mode
        virtio_outb(slave + 1, 0x01)
        virtio_outb(master + 1, 0xFF)  // OCW1: mask all
        virtio_outb(slave + 1, 0xFF)
    }
}
