/// Platform.swift — bringing the machine up, and `swiftlet_platform_start`.
///
/// boot.S → boot.c (`virtio_boot_c`: static TLS) → `virtio_platform_init`
/// below → the app's `main` → `swiftlet_platform_exit(main's status)`.
/// Order matters: the console first (so every later failure can be
/// reported), then the IDT, then the start info (copied before paging drops
/// low memory), then the final page tables, interrupt controllers, clocks,
/// then the heap (the largest RAM range above the image, below 4 GiB), and
/// last the devices (Devices.swift), which need the heap.
/// Interrupts stay disabled from here on except inside yield.

import PlatformHeap
import SwiftletABI
import VirtioHW

@_cdecl("virtio_platform_init")
func virtio_platform_init(_ startInfo: UInt32) {
    Serial.initialize()
    virtio_traps_install()
    StartInfo.copy(from: startInfo)
    Paging.setup()
    PIC.remapAndMask()
    LAPIC.setup()
    Clock.calibrate()
    LAPIC.calibrateAgainstTSC()
    RTC.setup()
    let imageEnd = UInt64(virtio_image_end())
    guard let ram = StartInfo.largestRAM(above: imageEnd, below: Paging.mappedLimit) else {
        Exit.abort("no RAM above the image for the heap")
    }
    Heap.setup(regionStart: UInt(ram.start), regionEnd: UInt(ram.end))
    Devices.setup()
}

@_cdecl("swiftlet_platform_start")
public func swiftlet_platform_start(_ si: UnsafeMutablePointer<swiftlet_start_info>?) {
    guard let si else { return }
    si.pointee.cmdline = UnsafePointer(StartInfo.cmdline)
    si.pointee.heap_start = Heap.start
    si.pointee.heap_size = Int(Heap.size)
}
