/// Clock.swift — the monotonic clock: the TSC, calibrated once at boot.
///
/// Frequency sources, first that gives a sane answer wins:
///  1. CPUID 0x15 (TSC/crystal ratio × crystal Hz; SDM Vol. 3B §19.7.3), with
///     the crystal taken from CPUID 0x16 (base MHz × denominator/numerator)
///     when 0x15 leaves ECX zero, as Linux's native_calibrate_tsc does;
///  2. the hypervisor timing leaf 0x40000010 (EAX = TSC kHz; VMware's
///     convention, also offered by QEMU/KVM with vmware-cpuid-freq);
///  3. kvmclock, when CPUID 0x40000000 says "KVMKVMKVM" and 0x40000001 offers
///     KVM_FEATURE_CLOCKSOURCE2 (bit 3): the pvclock scale factor gives the TSC
///     rate (Linux Documentation/virt/kvm/x86/msr.rst; pvclock_tsc_khz);
///  4. the PIT (Intel 8254, 1.193182 MHz), channel 0 read back with latch
///     commands: several ~2 ms windows, median, retried until they agree. Under
///     TCG on a busy host a single window can be stretched (a Debian
///     Linux guest hung in a third of microvm boots calibrating this way), so we never trust one, and
///     every loop is bounded.
///  5. the CMOS RTC's periodic flag at 1024 Hz (MC146818: status A rate 6,
///     register C bit 6 PF), for machines without a PIT (`microvm,pit=off`).
/// Results outside 100 MHz…20 GHz are rejected. While the PIT windows run we
/// also count the local APIC timer, so LAPIC.swift gets its rate for free.
///
/// ns = ((tsc - tsc0) × mult) >> 32 with a 128-bit product; mult = 10⁹·2³²/Hz
/// (fits 64 bits for any Hz ≥ 1).

import VirtioHW

enum Clock {
    static let minHz: UInt64 = 100_000_000
    static let maxHz: UInt64 = 20_000_000_000
    static let pitHz: UInt64 = 1_193_182

    static var tscHz: UInt64 = 0
    static var tscAtBoot: UInt64 = 0
    /// ns per TSC tick × 2³².
    static var mult: UInt64 = 0
    static var last: UInt64 = 0
    /// LAPIC timer ticks (divide-by-1) per second, measured alongside the PIT; 0 if not measured.
    static var lapicHz: UInt64 = 0

    static func calibrate() {
        tscAtBoot = virtio_rdtsc()
        var hz = fromCPUID()
        if hz == 0 { hz = fromHypervisorLeaf() }
        if hz == 0 { hz = fromKVMClock() }
        if hz == 0 || (!LAPIC.tscDeadline && LAPIC.available) {
            // PIT also measures the LAPIC timer, needed unless TSC-deadline mode exists.
            let pit = fromPIT()
            if hz == 0 { hz = pit }
        }
        if hz == 0 { hz = fromRTCPeriodic() }
        guard hz != 0 else {
            Exit.abort("cannot calibrate the TSC (no CPUID 0x15/0x40000010 frequency, no kvmclock, no usable PIT)")
        }
        tscHz = hz
        mult = (1_000_000_000 << 32) / hz
    }

    static func sane(_ hz: UInt64) -> UInt64 { hz >= minHz && hz <= maxHz ? hz : 0 }

    static func fromCPUID() -> UInt64 {
        let maxLeaf = virtio_cpuid(0, 0).eax
        guard maxLeaf >= 0x15 else { return 0 }
        let l15 = virtio_cpuid(0x15, 0)
        guard l15.eax != 0, l15.ebx != 0 else { return 0 }
        var crystal = UInt64(l15.ecx)
        if crystal == 0 && maxLeaf >= 0x16 {
            let baseMHz = UInt64(virtio_cpuid(0x16, 0).eax & 0xFFFF)
            crystal = baseMHz * 1_000_000 * UInt64(l15.eax) / UInt64(l15.ebx)
        }
        return sane(crystal * UInt64(l15.ebx) / UInt64(l15.eax))
    }

    static func fromHypervisorLeaf() -> UInt64 {
        guard virtio_cpuid(1, 0).ecx & (1 << 31) != 0 else { return 0 }  // CPUID.1:ECX.hypervisor
        guard virtio_cpuid(0x4000_0000, 0).eax >= 0x4000_0010 else { return 0 }
        return sane(UInt64(virtio_cpuid(0x4000_0010, 0).eax) * 1000)
    }

    static func fromKVMClock() -> UInt64 {
        guard virtio_cpuid(1, 0).ecx & (1 << 31) != 0 else { return 0 }
        let signature = virtio_cpuid(0x4000_0000, 0)
        // "KVMKVMKVM\0\0\0" in EBX, ECX, EDX.
        guard signature.ebx == 0x4B4D_564B, signature.ecx == 0x564B_4D56, signature.edx == 0x4D,
            signature.eax >= 0x4000_0001
        else { return 0 }
        guard virtio_cpuid(0x4000_0001, 0).eax & (1 << 3) != 0 else { return 0 }  // KVM_FEATURE_CLOCKSOURCE2
        let msrSystemTimeNew: UInt32 = 0x4B56_4D01
        let area = virtio_pvclock_area()!
        virtio_wrmsr(msrSystemTimeNew, UInt64(UInt(bitPattern: area)) | 1)  // bit 0: enable
        var mul: UInt32 = 0
        var shift: Int8 = 0
        for _ in 0..<1000 {
            let version = area.pointee.version
            virtio_compiler_barrier()
            mul = area.pointee.tsc_to_system_mul
            shift = area.pointee.tsc_shift
            virtio_compiler_barrier()
            if version & 1 == 0 && version != 0 && area.pointee.version == version { break }
            mul = 0
            virtio_pause()
        }
        virtio_wrmsr(msrSystemTimeNew, 0)  // stop the host writing into our .bss
        guard mul != 0 else { return 0 }
        var hz = (1_000_000_000 << 32) / UInt64(mul)
        if shift < 0 {
            hz <<= UInt64(-Int(shift))
        } else {
            hz >>= UInt64(shift)
        }
        return sane(hz)
    }

    /// Latches and reads PIT channel 0's count (8254 data sheet: counter latch command).
    static func pitCount() -> UInt16 {
        virtio_outb(0x43, 0x00)  // latch channel 0
        let low = UInt16(virtio_inb(0x40))
        return low | UInt16(virtio_inb(0x40)) << 8
    }

    /// A PIT reading bracketed by TSC reads, timed at their midpoint, plus the LAPIC count.
    static func pitSample() -> (pit: UInt16, tsc: UInt64, lapic: UInt32) {
        let lapic = LAPIC.currentCount()
        let before = virtio_rdtsc()
        let pit = pitCount()
        let after = virtio_rdtsc()
        return (pit, before &+ (after &- before) / 2, lapic)
    }

    /// Outcome of one PIT window.
    enum PITWindow {
        /// TSC and LAPIC rates in Hz measured over the window.
        case measured(tsc: UInt64, lapic: UInt64)
        /// The count never moved: there is no PIT.
        case absent
        /// The count wrapped or the window overran (we were descheduled): try again.
        case disturbed
    }

    /// One window of at least `ticks` PIT ticks on channel 0 (whose gate is
    /// always high; channel 2 needs port 0x61, which microvm lacks). Each
    /// loop is bounded by a spin count far above what 1 ms takes anywhere
    /// (a sample is three port accesses, ≥ ~0.1 µs each even under TCG).
    static func pitWindow(ticks: UInt16) -> PITWindow {
        virtio_outb(0x43, 0x30)  // channel 0, lobyte/hibyte, mode 0 (count down once), binary
        virtio_outb(0x40, 0xFF)
        virtio_outb(0x40, 0xFF)
        // Start on a count edge so both ends are sampled the same way.
        let first = pitCount()
        var spins = 0
        var start = pitSample()
        while start.pit == first {
            spins += 1
            if spins > 100_000 { return .absent }
            start = pitSample()
        }
        var end = pitSample()
        while start.pit &- end.pit < ticks {
            spins += 1
            // A count above the start means it wrapped (> 55 ms away): descheduled.
            if spins > 1_000_000 || end.pit > start.pit { return .disturbed }
            end = pitSample()
        }
        let elapsed = UInt64(start.pit &- end.pit)
        return .measured(tsc: virtio_muldiv(end.tsc &- start.tsc, pitHz, elapsed),
                         lapic: virtio_muldiv(UInt64(start.lapic &- end.lapic), pitHz, elapsed))
    }

    /// Rounds of five ~1 ms windows until three agree with their median to
    /// 0.5 %; after four rounds without agreement the last sane median is used
    /// (a busy host stretches single windows, it does not shift the median).
    static func fromPIT() -> UInt64 {
        let windows = 5
        let ticks: UInt16 = 1193  // ≈ 1 ms
        LAPIC.startCalibrationCount()
        var fallback: (tsc: UInt64, lapic: UInt64) = (0, 0)
        for _ in 0..<4 {
            var tsc: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
            var apic: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
            var absent = false
            withUnsafeMutableBytes(of: &tsc) { tb in
                withUnsafeMutableBytes(of: &apic) { ab in
                    let t = tb.bindMemory(to: UInt64.self), a = ab.bindMemory(to: UInt64.self)
                    var i = 0, attempts = 0
                    while i < windows && attempts < 4 * windows {
                        attempts += 1
                        switch pitWindow(ticks: ticks) {
                        case .measured(let tscHz, let lapicHz):
                            t[i] = tscHz
                            a[i] = lapicHz
                            i += 1
                        case .absent:
                            absent = true
                            return
                        case .disturbed:
                            continue
                        }
                    }
                }
            }
            if absent { return 0 }
            let hz = median5(tsc)
            var agree = 0
            withUnsafeBytes(of: tsc) { raw in
                for v in raw.bindMemory(to: UInt64.self) where v > hz - hz / 200 && v < hz + hz / 200 {
                    agree += 1
                }
            }
            if sane(hz) != 0 {
                fallback = (hz, median5(apic))
                if agree >= 3 { break }
            }
        }
        lapicHz = fallback.lapic
        return fallback.tsc
    }

    /// TSC rate from 16 periods of the RTC's 1024 Hz periodic flag (≈ 16 ms).
    /// PIE is set for the duration so QEMU runs the periodic timer; IRQ 8 stays
    /// masked at the PIC and the I/O APIC.
    static func fromRTCPeriodic() -> UInt64 {
        let statusA = RTC.cmos(0x0A), statusB = RTC.cmos(0x0B)
        guard statusB != 0xFF else { return 0 }
        RTC.setCMOS(0x0A, (statusA & 0xF0) | 0x06)  // rate 6: 1024 Hz
        RTC.setCMOS(0x0B, statusB | 0x40)  // PIE
        defer {
            RTC.setCMOS(0x0B, statusB)
            RTC.setCMOS(0x0A, statusA)
            _ = RTC.cmos(0x0C)
        }
        _ = RTC.cmos(0x0C)  // reading C clears PF
        func nextEdge() -> UInt64? {
            for _ in 0..<1_000_000 where RTC.cmos(0x0C) & 0x40 != 0 { return virtio_rdtsc() }
            return nil
        }
        guard let t0 = nextEdge() else { return 0 }
        var t1 = t0
        for _ in 0..<16 {
            guard let t = nextEdge() else { return 0 }
            t1 = t
        }
        return sane((t1 &- t0) * 1024 / 16)
    }

    static func median5(_ v: (UInt64, UInt64, UInt64, UInt64, UInt64)) -> UInt64 {
        var a = v
        return withUnsafeMutableBytes(of: &a) { raw in
            let b = raw.bindMemory(to: UInt64.self)
            for i in 1..<5 {  // insertion sort
                var j = i
                while j > 0 && b[j - 1] > b[j] {
                    b.swapAt(j - 1, j)
                    j -= 1
                }
            }
            return b[2]
        }
    }

    /// Nanoseconds since boot; never goes back.
    static func now() -> UInt64 {
        let delta = virtio_rdtsc() &- tscAtBoot
        let product = delta.multipliedFullWidth(by: mult)
        let ns = (product.high << 32) | (product.low >> 32)
        if ns > last { last = ns }
        return last
    }

    /// The TSC value at which `now()` reaches `ns` (saturating).
    static func tsc(at ns: UInt64) -> UInt64 {
        let (total, overflow) = virtio_muldiv(ns, tscHz, 1_000_000_000).addingReportingOverflow(tscAtBoot)
        return overflow ? UInt64.max : total
    }
}

@_cdecl("swiftlet_platform_clock_monotonic")
public func swiftlet_platform_clock_monotonic() -> UInt64 {
    Clock.now()
}
