/// Profile.swift — the sampling profiler's start and dump (`swiftlet_platform_profile_*`, docs/PROFILING.md).
///
/// Starting it takes a buffer from the heap (1 MiB, or an eighth of a smaller heap), sets the period from the
/// calibrated TSC or LAPIC rate, arms the LAPIC timer and enables interrupts outside yield too: from then on the
/// timer interrupts running code every period (profile.c records a sample), while `swiftlet_platform_yield` still
/// runs with interrupts off except in its `sti; hlt; cli` (Yield.swift), so its check-then-sleep stays race-free.
/// Device interrupts that arrive while code runs are acknowledged and ignored, as before: yield scans the rings
/// before it sleeps.
///
/// The dump writes, with interrupts off:
///
///     swiftlet-profile: begin hz=<HZ> samples=<N> dropped=<D> depth=<VIRTIO_PROFILE_DEPTH>
///     swiftlet-profile: <count> <rip> <return address> ...      (hex; a run of identical samples is one line)
///     swiftlet-profile: end
///
/// and empties the buffer; `swiftlet profile` symbolizes the addresses and folds the stacks.

import PlatformHeap
import SwiftletABI
import VirtioHW

/// Nothing outside this file and profile.c refers to the sampler but through ``yieldWhileSampling`` (the ISR through
/// `virtio_profile_isr`), both nil until ``start(hz:)``: an image whose Runtime never starts the profiler links none
/// of it, and the LAPIC timer code is the same with or without it.
enum Profile {
    static var running: Bool { virtio_profile_isr != nil }

    /// What `swiftlet_platform_yield` runs instead of `yieldUntil` while the profiler runs (``yieldSampling``).
    nonisolated(unsafe) static var yieldWhileSampling: (@convention(c) (UInt64, UnsafeMutablePointer<UInt64>?) -> Void)? = nil
    /// The timer interrupt's own stack while the profiler runs (it interrupts running code).
    static let timerStackBytes = 16 * 1024

    /// Nanoseconds per sample.
    nonisolated(unsafe) static var periodNanoseconds: UInt64 = 0

    static func start(hz: UInt32) -> swiftlet_result_t {
        guard (1...10_000).contains(hz) else { return SWIFTLET_R_INVALID }
        guard LAPIC.available, !running else { return SWIFTLET_R_UNSPEC }
        let bytes = min(1 << 20, Int(Heap.size) / 8) & ~7
        guard bytes >= 4096, let buffer = Heap.allocate(bytes) else { return SWIFTLET_R_UNSPEC }
        guard let timerStack = Heap.allocate(timerStackBytes, alignment: 16) else { return SWIFTLET_R_UNSPEC }
        virtio_traps_timer_stack(timerStack + timerStackBytes)
        virtio_profiler.buffer = buffer.assumingMemoryBound(to: UInt64.self)
        virtio_profiler.capacity = bytes / 8
        virtio_profiler.used = 0
        virtio_profiler.hz = hz
        virtio_profiler.tsc_deadline = LAPIC.tscDeadline ? 1 : 0
        virtio_profiler.x2apic = LAPIC.x2apic ? 1 : 0
        virtio_profiler.initial_count_register = LAPIC.base + UInt(LAPIC.regInitialCount)
        virtio_profiler.period_tsc = max(Clock.tscHz / UInt64(hz), 1)
        virtio_profiler.period_count = UInt32(clamping: max(Clock.lapicHz / UInt64(hz), 1))
        periodNanoseconds = 1_000_000_000 / UInt64(hz)
        virtio_profiler.active = 1
        virtio_profiler.running = 1
        virtio_profile_enable()
        yieldWhileSampling = { deadline, readySet in Profile.yieldSampling(deadline, readySet) }
        rearm()
        virtio_sti()
        return SWIFTLET_R_OK
    }

    /// Yield while sampling. Running code has interrupts on (the timer interrupts it); yield's check-then-HLT needs
    /// them off, so they are off inside and back on after. It sleeps no later than the next sample (an early,
    /// empty return is allowed by the ABI: the executor calls again), so the HLT is sampled as idle time; and when
    /// it stopped the timer (LAPIC.disarm masks it after a sleep), the timer is re-armed for the next sample. A
    /// poll (deadline past) or a yield that found a device ready leaves the running timer alone, so frequent polls
    /// never postpone a sample.
    static func yieldSampling(_ deadline: UInt64, _ readySet: UnsafeMutablePointer<UInt64>?) {
        virtio_cli()
        yieldUntil(min(deadline, Clock.now() &+ periodNanoseconds), readySet)
        if LAPIC.read(LAPIC.regLVTTimer) & LAPIC.lvtMasked != 0 { rearm() }
        virtio_sti()
    }

    /// Arms the timer (LVT unmasked, in the mode the LAPIC uses) for one period from now.
    static func rearm() {
        if LAPIC.tscDeadline {
            LAPIC.write(LAPIC.regLVTTimer, LAPIC.lvtTSCDeadlineMode | UInt32(VIRTIO_TIMER_VECTOR))
            virtio_mfence()  // the LVT write before the MSR write (SDM Vol. 3A §11.5.4.1)
        } else {
            LAPIC.write(LAPIC.regLVTTimer, UInt32(VIRTIO_TIMER_VECTOR))
        }
        virtio_profile_rearm()
    }

    static func dump() {
        guard running else { return }
        virtio_cli()
        virtio_profiler.active = 0
        let p = virtio_profiler
        Report.put("swiftlet-profile: begin hz=")
        Report.decimal(UInt64(p.hz))
        Report.put(" samples=")
        Report.decimal(p.samples)
        Report.put(" dropped=")
        Report.decimal(p.dropped)
        Report.put(" depth=")
        Report.decimal(UInt64(VIRTIO_PROFILE_DEPTH))
        Report.put("\n")
        if let words = p.buffer {
            var at = 0
            while at < p.used {
                let n = Int(words[at])
                // A run of identical samples becomes one line with its count.
                var count: UInt64 = 1
                var next = at + 1 + n
                while next < p.used && Int(words[next]) == n && same(words, at + 1, next + 1, n) {
                    count += 1
                    next += 1 + n
                }
                Report.put("swiftlet-profile: ")
                Report.decimal(count)
                for i in 0..<n {
                    Report.put(" ")
                    Report.hex(words[at + 1 + i])
                }
                Report.put("\n")
                at = next
            }
        }
        Report.put("swiftlet-profile: end\n")
        Serial.drain()
        virtio_profiler.used = 0
        virtio_profiler.samples = 0
        virtio_profiler.dropped = 0
        virtio_profiler.active = 1
        virtio_sti()
    }

    private static func same(_ words: UnsafeMutablePointer<UInt64>, _ a: Int, _ b: Int, _ n: Int) -> Bool {
        for i in 0..<n where words[a + i] != words[b + i] { return false }
        return true
    }
}

@_cdecl("swiftlet_platform_profile_start")
public func swiftlet_platform_profile_start(_ hz: UInt32) -> swiftlet_result_t {
    Profile.start(hz: hz)
}

@_cdecl("swiftlet_platform_profile_dump")
public func swiftlet_platform_profile_dump() {
    Profile.dump()
}
