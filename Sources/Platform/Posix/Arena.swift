/// Arena.swift — the dev heap: its size from the guest's memory, and its region.
///
/// Dev serves every allocation from the same heap as prod (Sources/Platform/Heap), over one anonymous
/// mapping the tender makes before the devices are opened and the process is locked down (C/arena.c).
/// Its size follows prod's layout, so the same `--memory` leaves (nearly) the same heap in both modes:
///
///     prod:  heap  = memory - 1 MiB (below the load address) - the image (text, data, and .bss with the
///                    boot stack, the page-table pool and the trap stacks)
///     dev:   arena = memory - 1 MiB - this image's own extent (ELF header to the end of .bss)
///                    + `earlyRegion` + `devOnlyImage` - `prodBootData`
///
/// The two images hold the same app, Runtime and Net code and differ in their platform: prod's .bss has
/// boot data dev has not (`prodBootData`), the dev image has its early allocator's region and ELF/glibc
/// linkage prod has not (`earlyRegion`, `devOnlyImage`). Measured at `--memory 8M`, dev's heap is 4 to 16 KiB
/// smaller than prod's (hello 8 KiB, http 12 KiB, tcp-echo 16 KiB, the runtime suite 4 KiB: under 0.3 %), never
/// larger, so what fits in dev fits in prod; HeapArenaTests checks the runtime suite's within 64 KiB.
/// Memory too small to leave a heap ends the start with `swiftlet: abort: heap region too small; ...` (255),
/// as in prod.
import PlatformHeap
import SwiftletPosix

enum Arena {
    /// The guest's memory without `--memory`: prod's default (QEMU's `-m 128M`, SwiftletKit's `MemorySize`).
    static let defaultGuestMemory: UInt64 = 128 << 20
    /// Prod loads the image at 1 MiB; the RAM below it holds no heap.
    static let belowImage: UInt64 = 1 << 20
    /// Prod's boot data in .bss that dev has not (Platform/Virtio/C/boot.S, traps.c): the 256 KiB boot stack
    /// and its 4 KiB guard page, the 128 KiB page-table pool, the 24 KiB boot page tables and four 16 KiB
    /// trap stacks.
    static let prodBootData: UInt64 = (256 + 4 + 128 + 24 + 64) << 10
    /// The early allocator's static region (C/arena.c), in this image's .bss but not in prod's.
    static let earlyRegion: UInt64 = 256 << 10
    /// What the dev image holds and prod's has no counterpart for (dynamic symbols and relocations,
    /// .eh_frame, the PLT, glibc's start files, libstdc++'s demangler, the syscall name table): 104 to 116 KiB
    /// in the samples; the least of them, so dev's heap is never the larger.
    static let devOnlyImage: UInt64 = 104 << 10

    /// The arena's size for `guestMemory` bytes (0 when nothing is left).
    static func size(guestMemory: UInt64) -> UInt64 {
        let image = swiftlet_posix_image_bytes() - min(swiftlet_posix_image_bytes(), earlyRegion + devOnlyImage)
        let reserved = belowImage + image + prodBootData
        return guestMemory > reserved ? (guestMemory - reserved) & ~4095 : 0
    }

    /// Maps the arena for `guestMemory` and sets the heap up over it. Returns nil or why the mapping failed.
    static func setUp(guestMemory: UInt64) -> UnsafePointer<CChar>? {
        let bytes = size(guestMemory: guestMemory)
        var start: UInt = 0
        // Nothing left: Heap.setup says so (255), as prod does.
        if bytes > 0, let reason = swiftlet_posix_map_arena(bytes, &start) { return reason }
        Heap.setup(regionStart: start, regionEnd: start + UInt(bytes))
        return nil
    }
}
