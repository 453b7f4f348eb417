/// Reading pages and searching the tree: page loads through the cache with every check, lookups, range
/// scans and overflow values.
import _Concurrency

/// What a lookup found for one key.
struct FoundEntry {
    var version: UInt64
    var valueLength: Int
    /// The inline value (when asked for and stored inline).
    var value: [UInt8]?
    var overflowPage: UInt64
    var overflowTransaction: UInt64
}

extension KeyValueStore {
    /// The committed tree page `number` when the cache holds it as its parent recorded it (transaction id
    /// and level): no I/O and no suspension. Pages are checked once, on their way into the cache.
    @inline(__always)
    func cachedPage(_ number: UInt64, transaction: UInt64, level: Int) -> Page? {
        guard let page = cache.lookup(number), page.transaction == transaction, page.level == level else { return nil }
        stats.cacheHits += 1
        return page
    }

    /// The committed tree page `number`, which its parent says transaction `transaction` wrote at `level`,
    /// from the cache or the device. Checks the checksum, the page's own number, type, level and transaction
    /// id, and its structure (``PageValidator``).
    /// - Throws: ``StoreError/corrupt(block:)`` naming the page's first device block; ``StoreError/io``.
    func loadPage(_ number: UInt64, transaction: UInt64, level: Int) async throws(StoreError) -> Page {
        guard number >= 2, number < pageCount else { throw .corrupt(block: deviceBlock(number)) }
        if let page = cachedPage(number, transaction: transaction, level: level) { return page }
        stats.cacheMisses += 1
        let buffer = pool.take()
        defer { pool.give(buffer) }
        try await readRaw(number, into: buffer, pages: 1)
        let page = Page(base: buffer, size: pageSize)
        let expectedType = level == 0 ? PageType.leaf.rawValue : PageType.branch.rawValue
        guard page.checksumMatches, page.number == number, page.transaction == transaction,
            page.type == expectedType, page.level == level,
            PageValidator.isValidTreePage(page, pageCount: pageCount)
        else { throw .corrupt(block: deviceBlock(number)) }
        return cache.insert(number, from: buffer)
    }

    /// Reads `pages` pages at `number` from the device (no checks).
    func readRaw(_ number: UInt64, into buffer: UnsafeMutableRawPointer, pages: Int) async throws(StoreError) {
        stats.deviceReads += 1
        do throws(StoreDeviceError) {
            try await device.read(
                block: deviceBlock(number), into: UnsafeMutableRawBufferPointer(start: buffer, count: pages * pageSize))
        } catch {
            throw .io
        }
    }

    /// A tree page for the writer: the transaction's own copy when it has one, else the committed page.
    func writerPage(_ number: UInt64, transaction: UInt64, level: Int) async throws(StoreError) -> Page {
        if let run = dirty[number] { return Page(base: run.buffer, size: pageSize) }
        return try await loadPage(number, transaction: transaction, level: level)
    }

    /// Looks `key` up in the tree of `meta` (the writer also sees its uncommitted pages).
    func find(_ key: [UInt8], in meta: MetaRecord, writer: Bool, wantValue: Bool) async throws(StoreError)
        -> FoundEntry?
    {
        guard meta.root != 0 else { return nil }
        var number = meta.root
        var transaction = meta.rootTransaction
        var level = meta.rootLevel
        while true {
            let page: Page
            if writer, let run = dirty[number] {
                page = Page(base: run.buffer, size: pageSize)
            } else if let hit = cachedPage(number, transaction: transaction, level: level) {
                page = hit
            } else {
                page = try await loadPage(number, transaction: transaction, level: level)
            }
            if level == 0 { return key.withUnsafeBytes { leafEntry(page, $0, wantValue: wantValue) } }
            let child = key.withUnsafeBytes { page.child(page.branchSearch($0.baseAddress!, $0.count)) }
            number = child.page
            transaction = child.transaction
            level -= 1
        }
    }

    /// What a committed-tree lookup that never leaves the cache found.
    enum CachedLookup {
        case found(FoundEntry)
        case absent
        /// A page on the way is not cached (or not as its parent recorded it): take the asynchronous path.
        case miss
    }

    /// Looks `key` up in the committed tree of `meta` through the cache alone: no I/O, no suspension, so no
    /// writer can run meanwhile and the lookup needs no reader registration (``beginRead(_:)``).
    func findCached(_ key: UnsafeRawBufferPointer, in meta: MetaRecord, wantValue: Bool) -> CachedLookup {
        guard meta.root != 0 else { return .absent }
        var number = meta.root
        var transaction = meta.rootTransaction
        var level = meta.rootLevel
        while true {
            guard number >= 2, number < pageCount, let page = cachedPage(number, transaction: transaction, level: level)
            else { return .miss }
            if level == 0 {
                guard let entry = leafEntry(page, key, wantValue: wantValue) else { return .absent }
                return .found(entry)
            }
            let child = page.child(page.branchSearch(key.baseAddress!, key.count))
            number = child.page
            transaction = child.transaction
            level -= 1
        }
    }

    /// The entry for `key` in leaf `page`, or nil; the inline value is copied out when `wantValue`.
    @inline(__always)
    func leafEntry(_ page: Page, _ key: UnsafeRawBufferPointer, wantValue: Bool) -> FoundEntry? {
        let (index, found) = page.leafSearch(key.baseAddress!, key.count)
        guard found else { return nil }
        let cell = page.slot(index)
        var entry = FoundEntry(
            version: page.leafVersion(cell), valueLength: page.leafValueLength(cell), value: nil,
            overflowPage: 0, overflowTransaction: 0)
        if page.leafIsOverflow(cell) {
            let extent = overflowExtent(page, cell)
            entry.overflowPage = extent.first
            entry.overflowTransaction = extent.transaction
        } else if wantValue {
            let start = page.base + cell + Layout.leafCellHeader + page.leafKeyLength(cell)
            entry.value = [UInt8](UnsafeRawBufferPointer(start: start, count: entry.valueLength))
        }
        return entry
    }

    /// Reads and checks an overflow extent and returns the value it holds.
    func readOverflow(first: UInt64, transaction: UInt64, length: Int) async throws(StoreError) -> [UInt8] {
        let pages = PageValidator.overflowPages(valueLength: length, pageSize: pageSize)
        guard first >= 2, first < pageCount, UInt64(pages) <= pageCount - first else {
            throw .corrupt(block: deviceBlock(first))
        }
        var value = [UInt8](repeating: 0, count: length)
        let chunkPages = min(pages, 32)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkPages * pageSize, alignment: 64)
        defer { buffer.deallocate() }
        let payload = pageSize - Layout.header
        var done = 0
        while done < pages {
            let count = min(chunkPages, pages - done)
            try await readRaw(first + UInt64(done), into: buffer, pages: count)
            for index in 0..<count {
                let number = first + UInt64(done + index)
                let page = Page(base: buffer + index * pageSize, size: pageSize)
                guard page.checksumMatches, page.number == number, page.transaction == transaction,
                    page.type == PageType.overflow.rawValue
                else { throw .corrupt(block: deviceBlock(number)) }
                let offset = (done + index) * payload
                let bytes = min(payload, length - offset)
                value.withUnsafeMutableBytes { raw in
                    (raw.baseAddress! + offset).copyMemory(from: page.base + Layout.header, byteCount: bytes)
                }
            }
            done += count
        }
        return value
    }

    /// The range scan behind ``list(prefix:after:limit:)`` and ``listing(prefix:after:limit:)``: one descent
    /// per leaf, each remembering the smallest separator to the right of the path (where the next leaf
    /// starts). No sibling pointers are needed, so copy-on-write touches only the path to a changed leaf.
    func scan(prefix: [UInt8], after: [UInt8]?, limit: Int, in meta: MetaRecord) async throws(StoreError)
        -> StoreListing
    {
        guard meta.root != 0 else { return StoreListing() }
        // Room for a page of small entries up front (growing the arrays entry by entry would copy them often).
        var results = StoreListing(reserving: min(limit, 1024), bytesEach: 128)
        var bound = prefix
        var exclusive = false
        if let after, compareArrays(after, prefix) >= 0 {
            bound = after
            exclusive = true
        }
        var overflow: [(index: Int, first: UInt64, transaction: UInt64, length: Int)] = []
        while true {
            var number = meta.root
            var transaction = meta.rootTransaction
            var level = meta.rootLevel
            var next: [UInt8]? = nil
            var page = try await loadPage(number, transaction: transaction, level: level)
            while level > 0 {
                let index = bound.isEmpty ? -1 : bound.withUnsafeBytes { page.branchSearch($0.baseAddress!, $0.count) }
                if index + 1 < page.count {
                    let cell = page.slot(index + 1)
                    next = [UInt8](UnsafeRawBufferPointer(start: page.branchKey(cell), count: page.branchKeyLength(cell)))
                }
                let child = page.child(index)
                number = child.page
                transaction = child.transaction
                level -= 1
                if let hit = cachedPage(number, transaction: transaction, level: level) {
                    page = hit
                } else {
                    page = try await loadPage(number, transaction: transaction, level: level)
                }
            }
            var (index, found) = bound.isEmpty
                ? (0, false) : bound.withUnsafeBytes { page.leafSearch($0.baseAddress!, $0.count) }
            if found && exclusive { index += 1 }
            overflow.removeAll(keepingCapacity: true)
            let done = prefix.withUnsafeBytes { prefix in
                collectLeaf(page, from: index, prefix: prefix, limit: limit, into: &results, overflow: &overflow)
            }
            for item in overflow {
                let value = try await readOverflow(first: item.first, transaction: item.transaction, length: item.length)
                results.setValue(at: item.index, value)
            }
            guard !done, let next else { return results }
            // Separators only grow along a scan; anything else is a damaged tree (and would loop).
            guard compareArrays(next, bound) > 0 else { throw .corrupt(block: deviceBlock(number)) }
            bound = next
            exclusive = false
        }
    }

    /// Appends the entries of leaf `page` from slot `index` on while their keys start with `prefix`, up to
    /// `limit` in all; overflow values are noted in `overflow` for the caller to read. Returns whether the
    /// scan is done (a key past the prefix, or the limit reached).
    private func collectLeaf(
        _ page: Page, from index: Int, prefix: UnsafeRawBufferPointer, limit: Int, into results: inout StoreListing,
        overflow: inout [(index: Int, first: UInt64, transaction: UInt64, length: Int)]
    ) -> Bool {
        var index = index
        while index < page.count {
            let cell = page.slot(index)
            let keyLength = page.leafKeyLength(cell)
            let key = UnsafeRawBufferPointer(start: page.leafKey(cell), count: keyLength)
            guard hasPrefix(key, prefix) else { return true }
            let length = page.leafValueLength(cell)
            if page.leafIsOverflow(cell) {
                let extent = overflowExtent(page, cell)
                overflow.append((results.count, extent.first, extent.transaction, length))
                results.append(key: key, value: nil, version: page.leafVersion(cell))
            } else {
                let value = UnsafeRawBufferPointer(start: page.base + cell + Layout.leafCellHeader + keyLength, count: length)
                results.append(key: key, value: value, version: page.leafVersion(cell))
            }
            if results.count == limit { return true }
            index += 1
        }
        return false
    }
}

/// Bytewise order of two arrays.
func compareArrays(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { x in
        b.withUnsafeBytes { y in
            compareKeys(x.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, x.count,
                        y.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, y.count)
        }
    }
}

/// Whether `key` starts with `prefix`.
@inline(__always)
func hasPrefix(_ key: UnsafeRawBufferPointer, _ prefix: UnsafeRawBufferPointer) -> Bool {
    guard key.count >= prefix.count else { return false }
    guard let a = key.baseAddress, let b = prefix.baseAddress else { return true }
    return compareKeys(a, prefix.count, b, prefix.count) == 0
}
