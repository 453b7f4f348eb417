/// Yield.swift — `swiftlet_platform_yield`: sleep in HLT until the deadline, a frame, or a block completion.
///
/// Interrupts are disabled everywhere except inside the `sti; hlt; cli`
/// sequence here (see virtio_sti_hlt_cli: STI's interrupt shadow covers HLT,
/// so an interrupt that arrives between the last ring check and HLT still
/// wakes us). Any interrupt ends a HLT: the LAPIC timer, or a device
/// (VIRTIO_DEVICE_VECTOR). After each wakeup the receive rings of the
/// acquired NICs and the used rings of the acquired disks are checked
/// (Devices.readySet); a non-empty set, or the deadline, ends the call. The
/// check also runs first, so a deadline in the past still reports frames and
/// completions already waiting. Before each HLT the receive and request
/// queues are armed (Devices.armInterrupts, Virtqueue.armInterrupt) and looked
/// at once more. While a disk has requests in its ring, HLT
/// lasts at most 10 ms: a timer backs its interrupt up, so a lost interrupt
/// costs time, never a hang.

import VirtioHW

@_cdecl("swiftlet_platform_yield")
public func swiftlet_platform_yield(_ deadline: UInt64, _ readySet: UnsafeMutablePointer<UInt64>?) {
    // While the sampling profiler runs, its own wrapper of yieldUntil (Profile.swift); nil otherwise.
    if let sampling = Profile.yieldWhileSampling {
        sampling(deadline, readySet)
        return
    }
    yieldUntil(deadline, readySet)
}

/// Polls the devices, or sleeps (HLT with interrupts on only inside `sti; hlt; cli`) until `deadline` or a device
/// is ready; interrupts off on entry and on return.
@inline(__always)
func yieldUntil(_ deadline: UInt64, _ readySet: UnsafeMutablePointer<UInt64>?) {
    Devices.flushAll()  // the frames this batch wrote go to the device now, with one notification per queue
    var now = Clock.now()
    if now >= deadline {
        // The executor's between-batches poll: no HLT, so no acknowledgement is needed.
        readySet?.pointee = Devices.readySet()
        return
    }
    Devices.acknowledgeAll()  // before the scan that decides to HLT (IOAPIC.swift)
    var ready = Devices.readySet()
    if ready == 0 {
        guard LAPIC.available else { Exit.abort("no local APIC timer to sleep on") }
        while ready == 0 && now < deadline {
            // Interrupts are asked for just before sleeping (one-shot with EVENT_IDX, so a busy unikernel takes
            // none); an entry used before the arm raised none, so look again instead of sleeping.
            if Devices.armInterrupts() {
                ready = Devices.readySet()
                now = Clock.now()
                continue
            }
            LAPIC.arm(deadline: Devices.blocksBusy ? min(deadline, now + 10_000_000) : deadline, now: now)
            virtio_sti_hlt_cli()
            Devices.acknowledgeAll()
            ready = Devices.readySet()
            now = Clock.now()
        }
        LAPIC.disarm()
    }
    readySet?.pointee = ready
}
