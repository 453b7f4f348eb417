import SwiftletABI

/// HeapUsage.swift — how much of the heap the unikernel uses, in both modes.
///
/// Both platforms serve every allocation from one heap of a fixed size (prod: the guest's RAM above the
/// image; dev: an arena of the same size the tender maps before the lockdown), so these numbers mean the
/// same in dev and prod. Counts are bytes of whole chunks: what was asked for, rounded up to 16, plus a
/// 16-byte header each.

extension Runtime {
    /// Bytes allocated now.
    public static func heapInUse() -> Int { ABI.heapStatistics().in_use }

    /// The most bytes that were ever allocated at once since the unikernel started (the high-water mark).
    public static func heapHighWater() -> Int { ABI.heapStatistics().high_water }

    /// The heap's size in bytes: what `--memory` leaves for it (docs/ARCHITECTURE.md, "Memory").
    public static func heapSize() -> Int { ABI.heapStatistics().size }
}

extension ABI {
    /// The platform's heap numbers (`swiftlet_platform_heap_stats`); never fails, never allocates.
    static func heapStatistics() -> swiftlet_heap_stats {
        var stats = swiftlet_heap_stats()
        swiftlet_platform_heap_stats(&stats)
        return stats
    }
}
