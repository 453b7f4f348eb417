/// Serial.swift — the console: COM1, a 16550 UART at I/O port 0x3F8.
///
/// Programmed for 115200 baud, 8 data bits, no parity, 1 stop bit, FIFOs on
/// (register map: National Semiconductor PC16550D data sheet, "Register
/// Summary"). Writes poll the Line Status Register: when THR-empty (LSR bit 5)
/// is set with FIFOs on, the whole 16-byte transmit FIFO is free.

import SwiftletABI
import VirtioHW

enum Serial {
    static let base: UInt16 = 0x3F8
    static let fifoDepth = 16

    // Register offsets from `base`.
    static let thr: UInt16 = 0  // transmit holding (DLAB=0) / divisor low (DLAB=1)
    static let ier: UInt16 = 1  // interrupt enable / divisor high (DLAB=1)
    static let fcr: UInt16 = 2  // FIFO control
    static let lcr: UInt16 = 3  // line control
    static let mcr: UInt16 = 4  // modem control
    static let lsr: UInt16 = 5  // line status

    static let lsrTHREmpty: UInt8 = 1 << 5
    static let lsrTransmitterEmpty: UInt8 = 1 << 6

    /// 115200 8N1, FIFOs enabled and cleared, no UART interrupts.
    static func initialize() {
        virtio_outb(base + ier, 0x00)
        virtio_outb(base + lcr, 0x80)  // DLAB: next two registers are the divisor
        virtio_outb(base + thr, 0x01)  // 115200 = 1.8432 MHz / 16 / 1
        virtio_outb(base + ier, 0x00)
        virtio_outb(base + lcr, 0x03)  // 8 bits, no parity, 1 stop bit, DLAB off
        virtio_outb(base + fcr, 0x07)  // enable FIFOs, clear RX and TX
        virtio_outb(base + mcr, 0x03)  // DTR, RTS
    }

    /// Writes `count` bytes, waiting (boundedly) for room in the transmit FIFO.
    ///
    /// Never inlined: the link-time optimizer copied this loop into each of its callers (sixteen times into the trap
    /// report alone) for no speed a UART could show (docs/BENCHMARKS.md, footprint).
    @inline(never)
    static func write(_ bytes: UnsafePointer<UInt8>, count: Int) {
        var i = 0
        while i < count {
            waitFor(lsrTHREmpty)
            var n = 0
            while n < fifoDepth && i < count {
                virtio_outb(base + thr, bytes[i])
                i += 1
                n += 1
            }
        }
    }

    static func write(_ byte: UInt8) {
        waitFor(lsrTHREmpty)
        virtio_outb(base + thr, byte)
    }

    /// Waits until everything written has left the UART (before the VM exits).
    static func drain() {
        waitFor(lsrTransmitterEmpty)
    }

    /// Polls LSR for `bit`; gives up after a bound so a missing UART (LSR reads
    /// 0xFF, or 0 on a stuck device) can never hang the unikernel.
    private static func waitFor(_ bit: UInt8) {
        var tries = 0
        while virtio_inb(base + lsr) & bit == 0 && tries < 1_000_000 {
            virtio_pause()
            tries += 1
        }
    }
}

@_cdecl("swiftlet_platform_console_write")
public func swiftlet_platform_console_write(_ buf: UnsafePointer<CChar>?, _ len: Int) {
    guard let buf, len > 0 else { return }
    buf.withMemoryRebound(to: UInt8.self, capacity: len) { Serial.write($0, count: len) }
}
