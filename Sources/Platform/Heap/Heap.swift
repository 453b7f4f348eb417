/// Heap.swift — the one heap of both platforms: malloc and friends over a fixed region.
///
/// Prod (virtio) gives it the largest RAM range above the image from the PVH
/// memory map; dev (posix) gives it one anonymous mapping of the guest's size
/// that the tender makes before the lockdown (Platform/Posix/C/arena.c). The
/// same code, module `PlatformHeap`, which both platforms import (mk/image.mk
/// builds it per target), so an app runs out of memory at the same point and
/// with the same line in both modes.
///
/// A boundary-tag allocator with segregated free lists (in the manner of
/// dlmalloc, D. Lea, "A Memory Allocator", 1996). Every chunk starts with a
/// 16-byte header; payloads are 16-byte aligned:
///
///     chunk + 0   prevSize   size of the previous chunk, valid only when it is free
///     chunk + 8   head       size | inUse (bit 0) | prevInUse (bit 1)
///     chunk + 16  payload    (free chunks: next, prev list links)
///
/// Sizes are multiples of 16, at least 32. Free chunks are never adjacent:
/// `free` merges a chunk with free neighbours at once (coalescing), so a long
/// run with a stable working set does not fragment away its memory. Free
/// chunks sit in 128 bins: exact sizes below 1 KiB (bins 2…63), then four
/// bins per power of two; a bitmap finds the smallest non-empty bin that
/// can serve a request. The region ends with a permanently in-use sentinel
/// header so coalescing never runs off the end.
///
/// Nothing here allocates, prints through the console buffer or calls a
/// platform service but `swiftlet_platform_abort`: it runs under malloc.
/// Misuse (freeing a pointer twice or one malloc never returned) is caught
/// when the header does not say "in use" and aborts with a message.
/// `bytesInUse` and `highWater` count whole chunks (headers included), as
/// `swiftlet_platform_heap_stats` reports them.

import SwiftletABI

/// The heap: one region, set up once by the platform (``setup(regionStart:regionEnd:)``).
public enum Heap {
    static let inUse: UInt64 = 1
    static let prevInUse: UInt64 = 2
    static let flagMask: UInt64 = 15
    static let headerSize = 16
    static let minChunk = 32
    static let binCount = 128

    /// The region's first byte and its size (0 and 0 before ``setup(regionStart:regionEnd:)``).
    public private(set) static var start: UInt = 0
    public private(set) static var size: UInt = 0
    /// `binCount` list heads, stored at the start of the heap region.
    static var bins: UnsafeMutablePointer<UnsafeMutableRawPointer?>? = nil
    static var binMap: (UInt64, UInt64) = (0, 0)
    /// Bytes of the chunks in use (headers included).
    public private(set) static var bytesInUse = 0
    /// The most `bytesInUse` has ever been.
    public private(set) static var highWater = 0

    // MARK: chunk fields

    typealias Chunk = UnsafeMutableRawPointer

    @inline(__always) static func head(_ c: Chunk) -> UInt64 {
        c.load(fromByteOffset: 8, as: UInt64.self)
    }
    @inline(__always) static func setHead(_ c: Chunk, _ v: UInt64) {
        c.storeBytes(of: v, toByteOffset: 8, as: UInt64.self)
    }
    @inline(__always) static func chunkSize(_ c: Chunk) -> Int { Int(head(c) & ~flagMask) }
    @inline(__always) static func prevSize(_ c: Chunk) -> Int { Int(c.load(as: UInt64.self)) }
    @inline(__always) static func setPrevSize(_ c: Chunk, _ v: Int) { c.storeBytes(of: UInt64(v), as: UInt64.self) }
    @inline(__always) static func next(_ c: Chunk) -> Chunk? { c.load(fromByteOffset: 16, as: Chunk?.self) }
    @inline(__always) static func prev(_ c: Chunk) -> Chunk? { c.load(fromByteOffset: 24, as: Chunk?.self) }
    @inline(__always) static func setNext(_ c: Chunk, _ v: Chunk?) {
        c.storeBytes(of: v, toByteOffset: 16, as: Chunk?.self)
    }
    @inline(__always) static func setPrev(_ c: Chunk, _ v: Chunk?) {
        c.storeBytes(of: v, toByteOffset: 24, as: Chunk?.self)
    }

    // MARK: bins

    static func binIndex(_ size: Int) -> Int {
        if size < 1024 { return size >> 4 }
        let log2 = Int.bitWidth - 1 - size.leadingZeroBitCount
        let quarter = (size >> (log2 - 2)) & 3
        return min(64 + (log2 - 10) * 4 + quarter, binCount - 1)
    }

    static func markBin(_ i: Int, _ nonEmpty: Bool) {
        let bit: UInt64 = 1 << UInt64(i & 63)
        if i < 64 {
            binMap.0 = nonEmpty ? binMap.0 | bit : binMap.0 & ~bit
        } else {
            binMap.1 = nonEmpty ? binMap.1 | bit : binMap.1 & ~bit
        }
    }

    /// The first non-empty bin at or above `i`, or nil.
    static func firstBin(from i: Int) -> Int? {
        if i < 64 {
            let m = binMap.0 & (~0 << UInt64(i))
            if m != 0 { return m.trailingZeroBitCount }
            return binMap.1 != 0 ? 64 + binMap.1.trailingZeroBitCount : nil
        }
        guard i < binCount else { return nil }
        let m = binMap.1 & (~0 << UInt64(i - 64))
        return m != 0 ? 64 + m.trailingZeroBitCount : nil
    }

    static func insert(_ c: UnsafeMutableRawPointer) {
        let i = binIndex(chunkSize(c))
        let first = bins![i]
        setNext(c, first)
        setPrev(c, nil)
        if let first { setPrev(first, c) }
        bins![i] = c
        markBin(i, true)
    }

    static func unlink(_ c: UnsafeMutableRawPointer) {
        let n = next(c), p = prev(c)
        if let p { setNext(p, n) } else {
            let i = binIndex(chunkSize(c))
            bins![i] = n
            if n == nil { markBin(i, false) }
        }
        if let n { setPrev(n, p) }
    }

    // MARK: setup

    /// Takes [regionStart, regionEnd) for the heap. Once, before the first allocation it must serve; a region
    /// too small for the bins and a few chunks ends the unikernel (`swiftlet: abort: heap region too small; ...`).
    public static func setup(regionStart: UInt, regionEnd: UInt) {
        let binBytes = UInt(binCount * MemoryLayout<UnsafeMutableRawPointer?>.stride)
        let base = (regionStart + 15) & ~15
        let end = regionEnd & ~15
        guard end > base + binBytes + UInt(4 * minChunk) else {
            abort("heap region too small; give the guest more memory (swiftlet run --memory)")
        }
        start = base
        size = end - base
        bins = UnsafeMutablePointer<UnsafeMutableRawPointer?>(bitPattern: base)!
        bins!.initialize(repeating: nil, count: binCount)
        let first = UnsafeMutableRawPointer(bitPattern: base + binBytes)!
        let sentinel = UnsafeMutableRawPointer(bitPattern: end - UInt(headerSize))!
        let firstSize = sentinel - first
        setPrevSize(first, 0)
        setHead(first, UInt64(firstSize) | prevInUse)
        setPrevSize(sentinel, firstSize)
        setHead(sentinel, inUse)  // size 0, previous (first) free
        insert(first)
    }

    /// `swiftlet: abort: <message>`, exit 255 (the platform prints the backtrace first).
    static func abort(_ message: StaticString) -> Never {
        message.withUTF8Buffer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { swiftlet_platform_abort($0.baseAddress, $0.count) }
        }
    }

    /// Counts `bytes` more in use (a chunk taken or grown) and raises the high-water mark.
    @inline(__always) static func charge(_ bytes: Int) {
        bytesInUse += bytes
        if bytesInUse > highWater { highWater = bytesInUse }
    }

    /// Bytes not in use (free chunks, headers included; not necessarily one piece).
    public static var bytesFree: Int { max(0, Int(size) - Heap.bytesInUse) }

    // MARK: allocation

    /// Chunk size for a request of `bytes`, or nil if absurdly large.
    static func request(_ bytes: Int) -> Int? {
        guard bytes >= 0 && bytes <= Int(size) else { return nil }
        return max(minChunk, (bytes + headerSize + 15) & ~15)
    }

    /// Marks `c` in use with exactly `need` bytes, freeing any tail of at least minChunk.
    static func take(_ c: UnsafeMutableRawPointer, need: Int) {
        let total = chunkSize(c)
        let flags = head(c) & prevInUse
        if total - need >= minChunk {
            setHead(c, UInt64(need) | flags | inUse)
            let tail = c + need
            setHead(tail, UInt64(total - need) | prevInUse | inUse)
            charge(total)
            release(tail)  // subtracts the tail again; coalesces with a free successor, fixes its prevInUse/prevSize
        } else {
            setHead(c, UInt64(total) | flags | inUse)
            let after = c + total
            setHead(after, head(after) | prevInUse)
            charge(total)
        }
    }

    /// A block of `bytes` bytes, 16-byte aligned, or nil when the heap cannot serve it (callers that can make do
    /// with less, the virtio drivers, call this; malloc ends the unikernel instead).
    public static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard bins != nil, let need = request(bytes) else { return nil }
        var i = binIndex(need)
        // Large bins and the catch-all hold a range of sizes: search the first one.
        if i >= 64, bins![i] != nil {
            var c = bins![i]
            while let chunk = c {
                if chunkSize(chunk) >= need {
                    unlink(chunk)
                    take(chunk, need: need)
                    return chunk + headerSize
                }
                c = next(chunk)
            }
            i += 1
        }
        while let b = firstBin(from: i) {
            var c = bins![b]
            while let chunk = c {  // only the catch-all bin can hold a chunk that is too small
                if chunkSize(chunk) >= need {
                    unlink(chunk)
                    take(chunk, need: need)
                    return chunk + headerSize
                }
                c = next(chunk)
            }
            i = b + 1
        }
        return nil
    }

    /// Frees an in-use chunk, merging it with free neighbours.
    static func release(_ chunk: UnsafeMutableRawPointer) {
        var c = chunk
        var size = chunkSize(c)
        bytesInUse -= size
        if head(c) & prevInUse == 0 {
            let before = c - prevSize(c)
            unlink(before)
            size += chunkSize(before)
            c = before
        }
        let after = c + size
        if head(after) & inUse == 0 {
            unlink(after)
            size += chunkSize(after)
        }
        setHead(c, UInt64(size) | prevInUse)  // a free chunk's predecessor is always in use
        let successor = c + size
        setPrevSize(successor, size)
        setHead(successor, head(successor) & ~prevInUse)
        insert(c)
    }

    static func chunk(of payload: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        let c = payload - headerSize
        let address = UInt(bitPattern: payload)
        guard address & 15 == 0, address >= start, address < start + size, head(c) & inUse != 0 else {
            abort("free(): pointer not from malloc, or freed twice")
        }
        return c
    }

    /// Frees a block from ``allocate(_:)``; nil does nothing, anything else aborts (misuse).
    public static func free(_ payload: UnsafeMutableRawPointer?) {
        guard let payload else { return }
        release(chunk(of: payload))
    }

    /// A block of `bytes` bytes aligned to `alignment` (a power of two), or nil. Never inlined: one copy
    /// serves memalign and the drivers (NetMemory.swift), which the image-size budgets count.
    @inline(never)
    public static func allocate(_ bytes: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        if alignment <= 16 { return allocate(bytes) }
        guard let need = request(bytes), let raw = allocate(need + alignment + minChunk) else { return nil }
        var c = raw - headerSize
        let address = UInt(bitPattern: raw)
        if address % UInt(alignment) != 0 {
            // Move the payload up to an aligned address, leaving a free chunk of ≥ minChunk before it.
            let aligned = (address + UInt(minChunk) + UInt(alignment) - 1) & ~(UInt(alignment) - 1)
            let lead = Int(aligned - address)
            let total = chunkSize(c)
            let flags = head(c) & prevInUse
            let moved = c + lead
            setHead(c, UInt64(lead) | flags | inUse)
            setHead(moved, UInt64(total - lead) | prevInUse | inUse)
            release(c)  // the lead chunk goes back; bytesInUse now counts `moved` only
            c = moved
        }
        // Give back what lies beyond `need`.
        let total = chunkSize(c)
        if total - need >= minChunk {
            setHead(c, UInt64(need) | (head(c) & prevInUse) | inUse)
            let tail = c + need
            setHead(tail, UInt64(total - need) | prevInUse | inUse)
            release(tail)
        }
        return c + headerSize
    }

    static func reallocate(_ payload: UnsafeMutableRawPointer?, _ bytes: Int) -> UnsafeMutableRawPointer? {
        guard let payload else { return allocate(bytes) }
        let c = chunk(of: payload)
        guard let need = request(bytes) else { return nil }
        let have = chunkSize(c)
        if need <= have {
            if have - need >= minChunk {
                setHead(c, UInt64(need) | (head(c) & prevInUse) | inUse)
                let tail = c + need
                setHead(tail, UInt64(have - need) | prevInUse | inUse)
                release(tail)  // subtracts have - need from bytesInUse
            }
            return payload
        }
        let after = c + have
        if head(after) & inUse == 0 && have + chunkSize(after) >= need {
            let grown = have + chunkSize(after)
            unlink(after)
            setHead(c, UInt64(grown) | (head(c) & prevInUse) | inUse)
            let successor = c + grown
            setHead(successor, head(successor) | prevInUse)
            charge(grown - have)
            if grown - need >= minChunk {
                setHead(c, UInt64(need) | (head(c) & prevInUse) | inUse)
                let tail = c + need
                setHead(tail, UInt64(grown - need) | prevInUse | inUse)
                release(tail)
            }
            return payload
        }
        guard let fresh = allocate(bytes) else { return nil }
        fresh.copyMemory(from: payload, byteCount: have - headerSize)
        release(c)
        return fresh
    }
}

// MARK: entry points for malloc.c
// (The C names themselves are defined in C: Swift reserves `malloc` and `free`.)

@_cdecl("swiftlet_heap_malloc")
public func swiftlet_heap_malloc(_ size: Int) -> UnsafeMutableRawPointer? {
    Heap.allocate(size)
}

@_cdecl("swiftlet_heap_free")
public func swiftlet_heap_free(_ p: UnsafeMutableRawPointer?) {
    Heap.free(p)
}

@_cdecl("swiftlet_heap_realloc")
public func swiftlet_heap_realloc(_ p: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    Heap.reallocate(p, size)
}

/// `alignment` is a power of two (checked by malloc.c).
@_cdecl("swiftlet_heap_memalign")
public func swiftlet_heap_memalign(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    Heap.allocate(size, alignment: alignment)
}

@_cdecl("swiftlet_heap_usable_size")
public func swiftlet_heap_usable_size(_ p: UnsafeMutableRawPointer) -> Int {
    Heap.chunkSize(Heap.chunk(of: p)) - Heap.headerSize
}

/// The ABI's heap numbers (swiftlet_platform.h), the same in both modes.
@_cdecl("swiftlet_platform_heap_stats")
public func swiftlet_platform_heap_stats(_ stats: UnsafeMutablePointer<swiftlet_heap_stats>?) {
    stats?.pointee = swiftlet_heap_stats(start: Heap.start, size: Int(Heap.size), in_use: Heap.bytesInUse,
                                         high_water: Heap.highWater)
}
