/// Paging.swift — the final page tables, built from the linker script's symbols.
///
/// 4-level paging, identity map of the first 4 GiB (Intel SDM Vol. 3A §4.5):
///  - the 2 MiB regions that hold the image, and page 0's region, are mapped
///    with 4 KiB pages so permissions are exact: text R+X, the PVH note and
///    rodata R+NX, data/bss RW+NX; page 0 and the boot stack's guard page are
///    left not-present, so null dereferences and stack overflows fault;
///  - every other 2 MiB region is one large page, RW+NX: write-back when the
///    PVH memory map says it is all RAM, uncached (PCD|PWT, PAT entry 3 by
///    default, SDM Vol. 3A §12.12.3) when it holds no RAM (MMIO such as the
///    local APIC at 0xFEE00000), split into 4 KiB pages when it holds both.
/// With CR0.WP (set in boot.S) even ring 0 cannot write a read-only page, and
/// with EFER.NXE, bit 63 forbids instruction fetches (SDM Vol. 3A §4.6).

import VirtioHW

enum Paging {
    static let present: UInt64 = 1 << 0
    static let writable: UInt64 = 1 << 1
    static let writeThrough: UInt64 = 1 << 3
    static let cacheDisable: UInt64 = 1 << 4
    static let largePage: UInt64 = 1 << 7
    static let uncached = writeThrough | cacheDisable

    static let pageSize: UInt64 = 4096
    static let largePageSize: UInt64 = 2 << 20
    /// Everything below this is identity-mapped; the heap stays below it.
    static let mappedLimit: UInt64 = 4 << 30

    /// Bit 63 when EFER.NXE is on (boot.S turns it on when CPUID reports NX), else 0.
    static var noExecute: UInt64 = 0
    static var poolUsed = 0
    /// The root table (PML4), kept for `mapDevice`.
    static var root: UnsafeMutablePointer<UInt64>? = nil

    static func allocateTable() -> UnsafeMutablePointer<UInt64> {
        guard poolUsed < Int(VIRTIO_PT_POOL_PAGES) else { Exit.abort("out of page-table pages") }
        let table = UnsafeMutablePointer<UInt64>(bitPattern: virtio_pt_pool() + UInt(poolUsed) * 4096)!
        poolUsed += 1
        table.initialize(repeating: 0, count: 512)
        return table
    }

    static func address(_ table: UnsafeMutablePointer<UInt64>) -> UInt64 {
        UInt64(UInt(bitPattern: table))
    }

    /// The image's section boundaries (link.ld), read once.
    struct Layout {
        let imageStart = UInt64(virtio_image_start()), imageEnd = UInt64(virtio_image_end())
        let textStart = UInt64(virtio_text_start()), textEnd = UInt64(virtio_text_end())
        let rodataStart = UInt64(virtio_rodata_start()), rodataEnd = UInt64(virtio_rodata_end())
        let guardPage = UInt64(virtio_stack_guard())
    }

    /// Entry for the 4 KiB page at `page`, or 0 (not present).
    static func pageEntry(_ page: UInt64, _ l: Layout) -> UInt64 {
        if page == 0 || page == l.guardPage { return 0 }
        if page >= l.imageStart && page < l.imageEnd {
            if page >= l.textStart && page < l.textEnd { return page | present }
            if page < l.textStart || (page >= l.rodataStart && page < l.rodataEnd) {
                return page | present | noExecute
            }
            return page | present | writable | noExecute  // data, bss
        }
        let cache: UInt64 = StartInfo.isRAM(page, page + pageSize) ? 0 : uncached
        return page | present | writable | noExecute | cache
    }

    static func setup() {
        noExecute = virtio_rdmsr(0xC000_0080) & (1 << 11) != 0 ? 1 << 63 : 0
        let layout = Layout()
        let imageLow = layout.imageStart & ~(largePageSize - 1)
        let imageHigh = (layout.imageEnd + largePageSize - 1) & ~(largePageSize - 1)

        let pml4 = allocateTable()
        root = pml4
        let pdpt = allocateTable()
        pml4[0] = address(pdpt) | present | writable
        for gib in 0..<Int(mappedLimit >> 30) {
            let pd = allocateTable()
            pdpt[gib] = address(pd) | present | writable
            for slot in 0..<512 {
                let base = (UInt64(gib) << 30) + UInt64(slot) * largePageSize
                let end = base + largePageSize
                let allRAM = StartInfo.isRAM(base, end)
                let split = base == 0 || (base < imageHigh && end > imageLow)
                    || (!allRAM && StartInfo.touchesRAM(base, end))
                if split {
                    let pt = allocateTable()
                    for i in 0..<512 { pt[i] = pageEntry(base + UInt64(i) * pageSize, layout) }
                    pd[slot] = address(pt) | present | writable
                } else {
                    pd[slot] = base | present | writable | largePage | noExecute | (allRAM ? 0 : uncached)
                }
            }
        }
        virtio_write_cr3(address(pml4))
    }

    /// Maps device memory [start, end) above `mappedLimit` (a PCI BAR that firmware
    /// put above 4 GiB) identity, RW + NX + uncached, in 2 MiB pages; below the limit
    /// everything is mapped already (non-RAM uncached). Aborts when the page-table
    /// pool is exhausted or the range is beyond 4-level paging's 256 TiB.
    static func mapDevice(start: UInt64, end: UInt64) {
        guard end > start, end > mappedLimit, let pml4 = root else { return }
        guard end <= 1 << 47 else { Exit.abort("device memory above 128 TiB") }
        var page = max(start, mappedLimit) & ~(largePageSize - 1)
        while page < end {
            let pdpt = table(at: pml4, index: Int((page >> 39) & 511))
            let pd = table(at: pdpt, index: Int((page >> 30) & 511))
            let slot = Int((page >> 21) & 511)
            if pd[slot] & present == 0 {
                pd[slot] = page | present | writable | largePage | noExecute | uncached
            }
            page += largePageSize
        }
        virtio_write_cr3(address(pml4))  // flush: the new entries were not-present before
    }

    /// The next-level table under `table[index]`, allocated when not present.
    static func table(at table: UnsafeMutablePointer<UInt64>, index: Int) -> UnsafeMutablePointer<UInt64> {
        if table[index] & present == 0 {
            table[index] = address(allocateTable()) | present | writable
        }
        return UnsafeMutablePointer<UInt64>(bitPattern: UInt(table[index] & 0x000F_FFFF_FFFF_F000))!
    }
}
