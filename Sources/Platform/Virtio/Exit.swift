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
///
/// Firecracker has none of those devices (no debug ports, no ACPI PM block):
/// its only way out is the i8042 "pulse reset" command 0xFE written to port
/// 0x64, which it honours by ending the VM (as QEMU does for a reset under
/// `-no-reboot`), with no status of its own. So with the boot word
/// `@exit=i8042` (BootWords.swift; `swiftlet run --vmm firecracker` and
/// `--machine firecracker` add it) the status goes to the console first, as
/// the line `swiftlet-exit: N` (N decimal, 0...255), which the host takes
/// from the end of the console, and then the reset is requested, before
/// isa-debug-exit, the ACPI attempt and the halt. Without the word nothing of this happens, so
/// a disk image on a cloud still powers off (or halts) instead of rebooting.

import VirtioHW

enum Exit {
    static let statusPort: UInt16 = 0x402
    static let debugExitPort: UInt16 = 0xF4
    static let acpiPM1aControl: UInt16 = 0x604
    static let i8042Command: UInt16 = 0x64
    static let i8042PulseReset: UInt8 = 0xFE

    /// `swiftlet-exit: N` on its own line (a newline first: the app's last line may lack one).
    static func reportOnConsole(_ status: UInt8) {
        let prefix: StaticString = "\nswiftlet-exit: "
        for i in 0..<prefix.utf8CodeUnitCount { Serial.write(prefix.utf8Start[i]) }
        var digits: (UInt8, UInt8, UInt8) = (0, 0, 0)
        var n = 0
        var v = status
        repeat {
            switch n {
            case 0: digits.0 = 0x30 + v % 10
            case 1: digits.1 = 0x30 + v % 10
            default: digits.2 = 0x30 + v % 10
            }
            v /= 10
            n += 1
        } while v > 0
        if n > 2 { Serial.write(digits.2) }
        if n > 1 { Serial.write(digits.1) }
        Serial.write(digits.0)
        Serial.write(0x0A)
        Serial.drain()
    }

    static func exit(_ status: Int32) -> Never {
        virtio_cli()
        Serial.drain()
        let byte = UInt8(truncatingIfNeeded: status)
        let marker: StaticString = "\nswiftlet-exit:"
        for i in 0..<marker.utf8CodeUnitCount { virtio_outb(statusPort, marker.utf8Start[i]) }
        virtio_outb(statusPort, byte)
        if BootWords.exitThroughI8042 {
            reportOnConsole(byte)
            virtio_outb(i8042Command, i8042PulseReset)
        }
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
    Devices.flushAll()  // frames written since the last yield still reach the device
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
