/// LAPIC.swift — the local APIC and its timer, the only interrupt source.
///
/// Register offsets (Intel SDM Vol. 3A §11.4.1, Table 11-1): TPR 0x80,
/// EOI 0xB0, SVR 0xF0, LVT timer 0x320, initial count 0x380, current count
/// 0x390, divide configuration 0x3E0. In xAPIC mode they are MMIO at the base
/// in IA32_APIC_BASE (0xFEE00000 by default; Paging.swift maps non-RAM
/// uncached and NX); in x2APIC mode (CPUID.1:ECX[21]) they are MSRs
/// 0x800 + offset/16 (SDM Vol. 3A §11.12.1).
///
/// The timer (SDM Vol. 3A §11.5.4) runs in TSC-deadline mode when
/// CPUID.1:ECX[24] says it exists: IA32_TSC_DEADLINE (MSR 0x6E0) takes the
/// absolute TSC value to interrupt at. Otherwise one-shot mode with divide-by-1
/// and the rate Clock.swift measured against the PIT (or, failing that, the
/// TSC). It fires VIRTIO_TIMER_VECTOR; isr.S acknowledges it.

import VirtioHW

enum LAPIC {
    static let msrAPICBase: UInt32 = 0x1B
    static let msrTSCDeadline: UInt32 = 0x6E0
    static let regTPR: UInt32 = 0x80, regEOI: UInt32 = 0xB0, regSVR: UInt32 = 0xF0
    static let regLVTTimer: UInt32 = 0x320, regInitialCount: UInt32 = 0x380
    static let regCurrentCount: UInt32 = 0x390, regDivide: UInt32 = 0x3E0
    static let lvtMasked: UInt32 = 1 << 16
    static let lvtTSCDeadlineMode: UInt32 = 2 << 17
    static let divideBy1: UInt32 = 0xB

    static var available = false
    static var x2apic = false
    static var tscDeadline = false
    static var base: UInt = 0xFEE0_0000

    static func read(_ reg: UInt32) -> UInt32 {
        x2apic ? UInt32(truncatingIfNeeded: virtio_rdmsr(0x800 + reg >> 4)) : virtio_mmio_read32(base + UInt(reg))
    }

    static func write(_ reg: UInt32, _ value: UInt32) {
        if x2apic {
            virtio_wrmsr(0x800 + reg >> 4, UInt64(value))
        } else {
            virtio_mmio_write32(base + UInt(reg), value)
        }
    }

    /// This CPU's APIC ID (SDM Vol. 3A §11.4.6: xAPIC ID register 0x20 bits 31:24; x2APIC MSR 0x802).
    static func id() -> UInt32 {
        guard available else { return 0 }
        return x2apic ? UInt32(truncatingIfNeeded: virtio_rdmsr(0x802)) : read(0x20) >> 24
    }

    /// Enables the APIC (software-enable in SVR, spurious vector 0xFF), TPR 0, timer masked.
    static func setup() {
        let features = virtio_cpuid(1, 0)
        available = features.edx & (1 << 9) != 0
        guard available else { return }
        x2apic = features.ecx & (1 << 21) != 0
        tscDeadline = features.ecx & (1 << 24) != 0
        // Disabled → xAPIC → x2APIC, one step per write: disabled → x2APIC directly
        // is an invalid transition (#GP; SDM Vol. 3A §11.12.5, Figure 11-27).
        var apicBase = virtio_rdmsr(msrAPICBase)
        if apicBase & (1 << 10) != 0 { x2apic = true }  // the loader left it in x2APIC mode
        if apicBase & (1 << 11) == 0 {
            apicBase |= 1 << 11  // global enable
            virtio_wrmsr(msrAPICBase, apicBase)
        }
        if x2apic && apicBase & (1 << 10) == 0 {
            apicBase |= 1 << 10
            virtio_wrmsr(msrAPICBase, apicBase)
        }
        base = UInt(apicBase & 0xF_FFFF_F000)
        if !x2apic && UInt64(base) >= Paging.mappedLimit { Exit.abort("local APIC above 4 GiB") }
        virtio_lapic_eoi = x2apic ? 1 : base + UInt(regEOI)
        write(regTPR, 0)
        write(regSVR, 0x100 | UInt32(VIRTIO_SPURIOUS_VECTOR))
        write(regDivide, divideBy1)
        write(regLVTTimer, lvtMasked | UInt32(VIRTIO_TIMER_VECTOR))
        write(regInitialCount, 0)
    }

    /// Starts a free-running (masked) count from 2³²-1 so Clock can measure the timer's rate.
    static func startCalibrationCount() {
        guard available && !tscDeadline else { return }
        write(regDivide, divideBy1)
        write(regLVTTimer, lvtMasked | UInt32(VIRTIO_TIMER_VECTOR))
        write(regInitialCount, UInt32.max)
    }

    static func currentCount() -> UInt32 {
        available && !tscDeadline ? read(regCurrentCount) : 0
    }

    /// Fallback when the PIT could not time the LAPIC: count against the calibrated TSC for 10 ms.
    static func calibrateAgainstTSC() {
        guard available && !tscDeadline && Clock.lapicHz == 0 else { return }
        startCalibrationCount()
        let c0 = read(regCurrentCount)
        let t0 = virtio_rdtsc()
        let span = Clock.tscHz / 100
        while virtio_rdtsc() &- t0 < span { virtio_pause() }
        let c1 = read(regCurrentCount)
        Clock.lapicHz = UInt64(c0 &- c1) * 100
        write(regInitialCount, 0)
        if Clock.lapicHz == 0 { Exit.abort("local APIC timer does not count") }
    }

    /// Arms a one-shot interrupt at monotonic time `deadline` (ns), or earlier.
    static func arm(deadline: UInt64, now: UInt64) {
        if tscDeadline {
            write(regLVTTimer, lvtTSCDeadlineMode | UInt32(VIRTIO_TIMER_VECTOR))
            virtio_mfence()  // order the LVT write before the MSR write (SDM Vol. 3A §11.5.4.1)
            virtio_wrmsr(msrTSCDeadline, max(Clock.tsc(at: deadline), 1))
        } else {
            // Aim 1/256 early: a slightly mis-measured timer then wakes before the
            // deadline and yield re-arms for the rest, instead of oversleeping.
            var ticks = virtio_muldiv(deadline &- now, Clock.lapicHz, 1_000_000_000)
            ticks -= ticks >> 8
            write(regLVTTimer, UInt32(VIRTIO_TIMER_VECTOR))  // one-shot, unmasked
            write(regInitialCount, UInt32(clamping: max(ticks, 1)))
        }
    }

    static func disarm() {
        if tscDeadline {
            virtio_wrmsr(msrTSCDeadline, 0)
        } else {
            write(regInitialCount, 0)
        }
        write(regLVTTimer, lvtMasked | UInt32(VIRTIO_TIMER_VECTOR))
    }
}
