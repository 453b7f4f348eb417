/// StartInfo.swift — reading the PVH `hvm_start_info` the loader left in %ebx.
///
/// Layout (Xen, xen/include/public/arch-x86/hvm/start_info.h):
///
///     0  magic          u32  0x336ec578
///     4  version        u32  (memory map fields exist from version 1)
///     8  flags          u32
///     12 nr_modules     u32
///     16 modlist_paddr  u64
///     24 cmdline_paddr  u64  NUL-terminated, 0 if none
///     32 rsdp_paddr     u64
///     40 memmap_paddr   u64  array of hvm_memmap_table_entry (addr, size, type, reserved)
///     48 memmap_entries u32
///
/// The command line and memory map are copied into static buffers (boot.c)
/// before paging and the heap are set up, so nothing later depends on where
/// the loader put them (QEMU uses low memory, which the final map may drop).

import VirtioHW

enum StartInfo {
    static let magic: UInt32 = 0x336E_C578
    static let ramType: UInt32 = 1  // E820 "usable RAM"

    /// Length of the copied command line (excluding its NUL).
    static var cmdlineLength = 0
    /// Number of valid entries in `virtio_memmap_buffer()`.
    static var memmapCount = 0

    static var cmdline: UnsafeMutablePointer<CChar> { virtio_cmdline_buffer() }
    static var memmap: UnsafeMutablePointer<virtio_memmap_entry> { virtio_memmap_buffer() }

    /// Copies what we need out of the start info at physical address `address`.
    static func copy(from address: UInt32) {
        guard address != 0 else { Exit.abort("no PVH start info (boot with a PVH loader: QEMU -kernel)") }
        let info = UnsafeRawPointer(bitPattern: UInt(address))!
        guard info.loadUnaligned(fromByteOffset: 0, as: UInt32.self) == magic else {
            Exit.abort("bad PVH start info magic")
        }
        let version = info.loadUnaligned(fromByteOffset: 4, as: UInt32.self)

        let cmdlinePaddr = info.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        // Normalised to the ABI's form: words separated by single spaces, no
        // leading or trailing blanks (tabs and newlines count as blanks).
        var n = 0
        if cmdlinePaddr != 0, let src = UnsafePointer<UInt8>(bitPattern: UInt(cmdlinePaddr)) {
            var i = 0
            var pendingSpace = false
            while src[i] != 0 && n < Int(VIRTIO_CMDLINE_MAX) - 2 {
                let c = src[i]
                i += 1
                if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                    pendingSpace = n > 0
                    continue
                }
                if pendingSpace {
                    cmdline[n] = 0x20
                    n += 1
                    pendingSpace = false
                }
                cmdline[n] = CChar(bitPattern: c)
                n += 1
            }
        }
        cmdline[n] = 0
        cmdlineLength = n

        guard version >= 1 else { Exit.abort("PVH start info version 0 has no memory map") }
        let memmapPaddr = info.loadUnaligned(fromByteOffset: 40, as: UInt64.self)
        let entries = Int(info.loadUnaligned(fromByteOffset: 48, as: UInt32.self))
        guard memmapPaddr != 0, entries > 0, let table = UnsafeRawPointer(bitPattern: UInt(memmapPaddr)) else {
            Exit.abort("PVH start info has no memory map")
        }
        let count = min(entries, Int(VIRTIO_MEMMAP_MAX))
        for i in 0..<count {
            let e = table + i * 24
            memmap[i] = virtio_memmap_entry(
                addr: e.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                size: e.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                type: e.loadUnaligned(fromByteOffset: 16, as: UInt32.self),
                reserved: 0)
        }
        memmapCount = count
    }

    /// Whether [start, end) lies entirely inside RAM per the memory map.
    static func isRAM(_ start: UInt64, _ end: UInt64) -> Bool {
        var cursor = start
        // Entries may be unsorted or split; advance `cursor` through covering RAM ranges.
        var progressed = true
        while cursor < end && progressed {
            progressed = false
            for i in 0..<memmapCount where memmap[i].type == ramType {
                let lo = memmap[i].addr, hi = memmap[i].addr &+ memmap[i].size
                if lo <= cursor && cursor < hi {
                    cursor = hi
                    progressed = true
                }
            }
        }
        return cursor >= end
    }

    /// Whether any byte of [start, end) is RAM.
    static func touchesRAM(_ start: UInt64, _ end: UInt64) -> Bool {
        for i in 0..<memmapCount where memmap[i].type == ramType {
            let lo = memmap[i].addr, hi = memmap[i].addr &+ memmap[i].size
            if lo < end && start < hi { return true }
        }
        return false
    }

    /// The largest RAM range at or above `floor` and below `limit`.
    static func largestRAM(above floor: UInt64, below limit: UInt64) -> (start: UInt64, end: UInt64)? {
        var best: (start: UInt64, end: UInt64)? = nil
        for i in 0..<memmapCount where memmap[i].type == ramType {
            let lo = max(memmap[i].addr, floor)
            let hi = min(memmap[i].addr &+ memmap[i].size, limit)
            if hi > lo && (best == nil || hi - lo > best!.end - best!.start) {
                best = (lo, hi)
            }
        }
        return best
    }
}
