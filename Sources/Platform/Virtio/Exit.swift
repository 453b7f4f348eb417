/// Exit.swift — ending the unikernel with an exact status (0...255).
///
/// QEMU's `isa-debug-exit` (iobase 0xf4) makes QEMU exit with `(v << 1) | 1`,
/// which cannot express an even status nor anything ≥ 128. So the status is
/// first written as one byte to I/O port 0x402, where the host attaches
/// `-device isa-debugcon,iobase=0x402,chardev=swiftlet-exit` with
/// `-chardev file,id=swiftlet-exit,path=FILE`; the host (`swiftlet run`) reads
/// the byte back from FILE and returns it. SeaBIOS (`-M pc`/`q35`) logs its
/// own text to port 0x402 before we boot, so the status byte is preceded by
/// the marker `\nswiftlet-exit:`: the status is the byte after the last
/// marker, which is also the file's last byte; a file without the marker means
/// the guest never exited (a hang, a triple fault). Then the status goes to port 0xf4,
/// and QEMU exits. Both devices sit on the ISA bus, which `-M pc`, `-M q35`
/// and `-M microvm` all have (checked with QEMU 7.2).
///
/// Without isa-debug-exit the write to 0xf4 does nothing; we then try ACPI S5
/// through PM1a_CNT at I/O 0x604 (QEMU's PIIX4 and ICH9 PM blocks; SLP_TYP 0
/// is S5 in QEMU's DSDT, SLP_EN is bit 13; ACPI 6.4 §4.8.3.2.1) and finally
/// halt forever with interrupts off (the host's timeout ends QEMU; the
/// status is still in FILE).

import VirtioHW

enum Exit {
    static let statusPort: UInt16 = 0x402
    static let debugExitPort: UInt16 = 0xF4
    static let acpiPM1aControl: UInt16 = 0x604

    static func exit(_ status: Int32) -> Never {
        virtio_cli()
        Serial.drain()
        let byte = UInt8(truncatingIfNeeded: status)
        let marker: StaticString = "\nswiftlet-exit:"
        for i in 0..<marker.utf8CodeUnitCount { virtio_outb(statusPort, marker.utf8Start[i]) }
        virtio_outb(statusPort, byte)
        virtio_outb(debugExitPort, byte)
        virtio_outw(acpiPM1aControl, 1 << 13)
        while true { virtio_hlt() }
    }

    /// `swiftlet: abort: <msg>` and SWIFTLET_EXIT_ABORT.
    static func abort(_ message: StaticString) -> Never {
        Report.backtraceHere()
        Report.put("swiftlet: abort: ")
        Report.put(message)
        Report.put("\n")
        exit(255)
    }
}

@_cdecl("swiftlet_platform_exit")
public func swiftlet_platform_exit(_ status: Int32) -> Never {
    Exit.exit(status)
}

@_cdecl("swiftlet_platform_abort")
public func swiftlet_platform_abort(_ msg: UnsafePointer<CChar>?, _ len: Int) -> Never {
    Report.backtraceHere()
    Report.put("swiftlet: abort: ")
    if let msg, len > 0 {
        msg.withMemoryRebound(to: UInt8.self, capacity: len) { Report.put($0, count: len) }
    }
    Report.put("\n")
    Exit.exit(255)
}
