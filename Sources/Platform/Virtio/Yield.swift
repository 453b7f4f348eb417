/// Yield.swift — `swiftlet_platform_yield`: sleep in HLT until the deadline.
///
/// Interrupts are disabled everywhere except inside the `sti; hlt; cli`
/// sequence here (see virtio_sti_hlt_cli: STI's interrupt shadow covers HLT,
/// so a timer that fires between arming and halting still wakes us). Any
/// interrupt ends a HLT; we re-arm and halt again until the monotonic clock
/// reaches the deadline. No device is wired to interrupts yet, so the ready
/// set is always empty.

import VirtioHW

@_cdecl("swiftlet_platform_yield")
public func swiftlet_platform_yield(_ deadline: UInt64, _ readySet: UnsafeMutablePointer<UInt64>?) {
    readySet?.pointee = 0
    var now = Clock.now()
    guard now < deadline else { return }
    guard LAPIC.available else { Exit.abort("no local APIC timer to sleep on") }
    while now < deadline {
        LAPIC.arm(deadline: deadline, now: now)
        virtio_sti_hlt_cli()
        now = Clock.now()
    }
    LAPIC.disarm()
}
