/// ``KeyValueStore/check()``: reads every page the committed tree reaches from the device (not the cache)
/// and verifies checksums, page numbers, transaction ids, levels, key order and separator bounds, overflow
/// extents, the key count and the free-space map.
import _Concurrency

extension KeyValueStore {
    /// Verifies every reachable page and the tree's invariants.
    /// - Returns: what was verified.
    /// - Throws: ``StoreError/corrupt(block:)`` at the first page that fails (the meta page's block when the
    ///   key count disagrees); ``StoreError/io``; ``StoreError/closed``.
    public func check() async throws(StoreError) -> StoreCheckReport {
        if closed { throw .closed }
        let snapshot = committed
        beginRead(snapshot.transaction)
        defer { endRead(snapshot.transaction) }
        var report = StoreCheckReport()
        report.transaction = snapshot.transaction
        var seen = SpaceMap(pageCount: pageCount)
        if snapshot.root != 0 {
            report.height = snapshot.rootLevel + 1
            try await checkSubtree(snapshot.root, transaction: snapshot.rootTransaction, level: snapshot.rootLevel,
                                   lower: nil, upper: nil, report: &report, seen: &seen)
        }
        guard report.keys == snapshot.keys else { throw .corrupt(block: deviceBlock(snapshot.transaction % 2)) }
        if !leading {
            var accounted = seen.used
            for entry in pendingFree { accounted += UInt64(entry.pages.count) }
            report.leakedPages = space.used > accounted ? space.used - accounted : 0
        }
        return report
    }

    private func checkSubtree(
        _ number: UInt64, transaction: UInt64, level: Int, lower: [UInt8]?, upper: [UInt8]?,
        report: inout StoreCheckReport, seen: inout SpaceMap
    ) async throws(StoreError) {
        let block = deviceBlock(number)
        guard number >= 2, number < pageCount, seen.mark(number) else { throw .corrupt(block: block) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: pageSize, alignment: 64)
        defer { buffer.deallocate() }
        try await readRaw(number, into: buffer, pages: 1)
        let page = Page(base: buffer, size: pageSize)
        let expectedType = level == 0 ? PageType.leaf.rawValue : PageType.branch.rawValue
        guard page.checksumMatches, page.number == number, page.transaction == transaction,
            page.type == expectedType, page.level == level,
            PageValidator.isValidTreePage(page, pageCount: pageCount)
        else { throw .corrupt(block: block) }
        // Keys strictly increasing and inside [lower, upper).
        var previous: [UInt8]? = lower
        var keys: [[UInt8]] = []
        for index in 0..<page.count {
            let (pointer, length) = page.key(page.slot(index))
            let key = [UInt8](UnsafeRawBufferPointer(start: pointer, count: length))
            if let previous {
                let order = compareArrays(previous, key)
                guard order < 0 || (order == 0 && index == 0) else { throw .corrupt(block: block) }
            }
            if let upper, compareArrays(key, upper) >= 0 { throw .corrupt(block: block) }
            previous = key
            keys.append(key)
        }
        if level == 0 {
            report.leafPages += 1
            report.keys += UInt64(page.count)
            var extents: [(UInt64, UInt64, Int)] = []
            for index in 0..<page.count {
                let cell = page.slot(index)
                if page.leafIsOverflow(cell) {
                    let extent = overflowExtent(page, cell)
                    for p in extent.first..<(extent.first + UInt64(extent.pages)) where !seen.mark(p) {
                        throw .corrupt(block: deviceBlock(p))
                    }
                    extents.append((extent.first, extent.transaction, page.leafValueLength(cell)))
                }
            }
            for (first, extentTransaction, length) in extents {
                _ = try await readOverflow(first: first, transaction: extentTransaction, length: length)
                report.overflowPages += UInt64(PageValidator.overflowPages(valueLength: length, pageSize: pageSize))
            }
            return
        }
        report.branchPages += 1
        var children: [(UInt64, UInt64)] = [page.leftChild]
        for index in 0..<page.count { children.append(page.branchChild(page.slot(index))) }
        for (index, child) in children.enumerated() {
            let childLower = index == 0 ? lower : keys[index - 1]
            let childUpper = index < keys.count ? keys[index] : upper
            try await checkSubtree(child.0, transaction: child.1, level: level - 1, lower: childLower,
                                   upper: childUpper, report: &report, seen: &seen)
        }
    }
}
