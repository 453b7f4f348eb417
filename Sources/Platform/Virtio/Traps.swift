/// Traps.swift — the one-line report for a CPU exception, then exit.
///
/// isr.S saves a `virtio_trap_frame` and calls `virtio_trap`. The formats are
/// shared with the dev platform, so the host can compare transcripts:
///
///     swiftlet: memory fault: <what> at 0x<addr> (rip 0x<rip>, vector <n>, error 0x<err>)
///     swiftlet: cpu trap: <name> (rip 0x<rip>, vector <n>)
///
/// #PF (14), #GP (13) and #SS (12) are memory faults (exit 254,
/// SWIFTLET_EXIT_MEMORY_FAULT); everything else is a CPU trap (exit 252,
/// SWIFTLET_EXIT_CPU_TRAP). For #PF, CR2 holds the address and the error code
/// says why (Intel SDM Vol. 3A §4.7, Figure 4-12): bit 0 P (protection
/// violation, else not present), bit 1 W/R (write), bit 4 I/D (instruction
/// fetch). A fault inside the stack guard page is reported as a stack overflow.
/// The report is preceded by the interrupted code's backtrace (Report.frames, docs/DEBUGGING.md §3).

import VirtioHW

enum Traps {
    static let memoryFaultStatus: Int32 = 254  // SWIFTLET_EXIT_MEMORY_FAULT
    static let cpuTrapStatus: Int32 = 252  // SWIFTLET_EXIT_CPU_TRAP

    /// Exception names (Intel SDM Vol. 3A Table 6-1), lowercase.
    static func name(_ vector: UInt64) -> StaticString {
        switch vector {
        case 0: return "divide error"
        case 1: return "debug"
        case 2: return "non-maskable interrupt"
        case 3: return "breakpoint"
        case 4: return "overflow"
        case 5: return "bound range exceeded"
        case 6: return "invalid opcode"
        case 7: return "device not available"
        case 8: return "double fault"
        case 9: return "coprocessor segment overrun"
        case 10: return "invalid tss"
        case 11: return "segment not present"
        case 12: return "stack fault"
        case 13: return "general protection fault"
        case 14: return "page fault"
        case 16: return "x87 floating-point error"
        case 17: return "alignment check"
        case 18: return "machine check"
        case 19: return "simd floating-point exception"
        case 20: return "virtualization exception"
        case 21: return "control protection exception"
        case 28: return "hypervisor injection exception"
        case 29: return "vmm communication exception"
        case 30: return "security exception"
        default: return "reserved"
        }
    }

    /// Set while a report is being printed: a fault inside the reporter exits at once.
    static var reporting = false

    static func report(_ frame: UnsafeMutablePointer<virtio_trap_frame>) -> Never {
        let vector = frame.pointee.vector
        if reporting { Exit.exit(vector == 12 || vector == 13 || vector == 14 ? memoryFaultStatus : cpuTrapStatus) }
        reporting = true
        Report.frames(virtio_backtrace(frame.pointee.rbp, frame.pointee.rsp))  // the frames first: the report stays last
        let rip = frame.pointee.rip
        let error = frame.pointee.error
        switch vector {
        case 12, 13, 14:
            var address: UInt64 = 0
            Report.put("swiftlet: memory fault: ")
            if vector == 14 {
                address = virtio_read_cr2()
                let guardPage = UInt64(virtio_stack_guard())
                if address >= guardPage && address < guardPage + 4096 {
                    Report.put("stack overflow")
                } else {
                    if error & (1 << 4) != 0 {
                        Report.put("execute")
                    } else if error & (1 << 1) != 0 {
                        Report.put("write")
                    } else {
                        Report.put("read")
                    }
                    Report.put(error & 1 != 0 ? " of protected page" : " of unmapped page")
                }
            } else {
                Report.put(vector == 13 ? "general protection fault" : "stack fault")
            }
            Report.put(" at ")
            Report.hex16(address)
            Report.put(" (rip ")
            Report.hex16(rip)
            Report.put(", vector ")
            Report.decimal(vector)
            Report.put(", error ")
            Report.hex(error)
            Report.put(")\n")
            Exit.exit(memoryFaultStatus)
        default:
            Report.put("swiftlet: cpu trap: ")
            Report.put(name(vector))
            Report.put(" (rip ")
            Report.hex16(rip)
            Report.put(", vector ")
            Report.decimal(vector)
            Report.put(")\n")
            Exit.exit(cpuTrapStatus)
        }
    }
}

@_cdecl("virtio_trap")
func virtio_trap(_ frame: UnsafeMutablePointer<virtio_trap_frame>) -> Never {
    Traps.report(frame)
}
