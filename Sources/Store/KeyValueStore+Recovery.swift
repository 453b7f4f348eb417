/// Recovery's one check beyond picking a meta page: whether the newest commit's pages are all on disk as it
/// wrote them (its commit digest), since a commit writes its pages and its meta page under one flush.
import _Concurrency

extension KeyValueStore {
    /// Whether every page transaction `meta.transaction` wrote is on disk as written: walks the pages of the
    /// tree of `meta` that carry its transaction id (copy-on-write: each page a transaction writes hangs from
    /// the root through pages it wrote too, and each overflow extent it wrote from a leaf it wrote), checks
    /// each one (checksum, number, type, level, transaction id) and compares the sum of their digest terms
    /// with the digest the meta page records.
    /// - Throws: ``StoreError/io`` when the device fails; a damaged or missing page is `false`, not an error.
    func commitIsComplete(_ meta: MetaRecord) async throws(StoreError) -> Bool {
        var digest: UInt64 = 0
        if meta.root != 0 && meta.rootTransaction == meta.transaction {
            do throws(StoreError) {
                try await addDigest(meta.root, level: meta.rootLevel, transaction: meta.transaction, to: &digest)
            } catch .io {
                throw .io
            } catch {
                return false
            }
        }
        return digest == meta.digest
    }

    /// Adds the digest terms of page `number` (written by `transaction` at `level`) and of every page under it
    /// that `transaction` wrote.
    private func addDigest(_ number: UInt64, level: Int, transaction: UInt64, to digest: inout UInt64)
        async throws(StoreError)
    {
        let page = try await loadPage(number, transaction: transaction, level: level)
        digest &+= CommitDigest.term(page: number, checksum: page.u32(Layout.checksum))
        if level == 0 {
            var extents: [(first: UInt64, pages: Int)] = []
            for index in 0..<page.count {
                let cell = page.slot(index)
                guard page.leafIsOverflow(cell) else { continue }
                let extent = overflowExtent(page, cell)
                if extent.transaction == transaction { extents.append((extent.first, extent.pages)) }
            }
            // The leaf is not used past here: reading the extents may evict it from the cache.
            for extent in extents {
                try await addOverflowDigest(extent.first, pages: extent.pages, transaction: transaction, to: &digest)
            }
            return
        }
        var children: [UInt64] = []
        for index in -1..<page.count {
            let child = page.child(index)
            if child.transaction == transaction { children.append(child.page) }
        }
        for child in children {
            try await addDigest(child, level: level - 1, transaction: transaction, to: &digest)
        }
    }

    /// Adds the digest terms of an overflow extent, checking each page as ``readOverflow(first:transaction:length:)`` does.
    private func addOverflowDigest(_ first: UInt64, pages: Int, transaction: UInt64, to digest: inout UInt64)
        async throws(StoreError)
    {
        guard first >= 2, first < pageCount, UInt64(pages) <= pageCount - first else {
            throw .corrupt(block: deviceBlock(first))
        }
        let buffer = pool.take()
        defer { pool.give(buffer) }
        for index in 0..<pages {
            let number = first + UInt64(index)
            try await readRaw(number, into: buffer, pages: 1)
            let page = Page(base: buffer, size: pageSize)
            guard page.checksumMatches, page.number == number, page.transaction == transaction,
                page.type == PageType.overflow.rawValue
            else { throw .corrupt(block: deviceBlock(number)) }
            digest &+= CommitDigest.term(page: number, checksum: page.u32(Layout.checksum))
        }
    }
}
