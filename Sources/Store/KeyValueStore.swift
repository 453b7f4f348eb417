/// The store: an ordered, crash-safe key-value store on one block device.
///
/// A copy-on-write B+tree with two alternating checksummed meta pages, as in LMDB (docs/STORE.md): a
/// commit writes new pages and the meta page with the new root, transaction id and a digest of those pages,
/// then flushes once. Recovery picks the valid meta page with the higher id whose pages match its digest;
/// there is no log and no replay. Writers are grouped (group commit): every request that arrives while a
/// commit is in flight joins the next one, so N concurrent writers share one flush instead of paying N.
import _Concurrency

/// An ordered key-value store over a ``StoreDevice``. Keys are 1–255 bytes ordered bytewise; each key
/// carries a version, the id of the transaction that last set it.
///
/// Every mutating call returns only once its change is durable (flushed). Reads see the last committed
/// transaction. A device failure on a write or flush makes the store refuse further writes (``StoreError/io``)
/// until it is opened again: after a failed flush nothing can be assumed of what reached the medium.
public actor KeyValueStore<Device: StoreDevice> {
    let device: Device
    let options: StoreOptions
    let pageSize: Int
    let blocksPerPage: UInt64
    let pageCount: UInt64
    let cache: PageCache
    let pool: BufferPool
    /// A page copy for compaction and splits, and a page for building one cell (writer only).
    let scratch: UnsafeMutableRawPointer
    let cellBuffer: UnsafeMutableRawPointer
    /// Largest leaf cell kept inline: four fit a leaf, so a split always has room.
    let maximumInlineCell: Int

    var space: SpaceMap
    var committed: MetaRecord
    var stats = StoreStatistics()
    var failed = false
    var closed = false
    /// Pages freed by a committed transaction, waiting until no meta page on disk and no reader reaches them.
    var pendingFree: [(transaction: UInt64, pages: [UInt64])] = []
    /// Snapshots (transaction ids) of reads in progress that may suspend, with their counts (a handful at
    /// most: one per snapshot still read, so a short array beats a dictionary).
    var readers: [(transaction: UInt64, count: Int)] = []
    /// Pages marked by ``markTree(_:transaction:level:collect:)`` when collecting.
    var collected: [UInt64] = []

    // The transaction being built (one at a time: the group-commit leader's).
    var txn: MetaRecord
    var dirty: [UInt64: DirtyRun] = [:]
    var freed: [UInt64] = []
    var path: [(page: UInt64, index: Int)] = []
    /// Whether the request being applied only removes keys (it may use the reserve, see `canAllocate`).
    var removing = false

    // Group commit.
    var queue: [WriteRequest] = []
    var leading = false

    init(device: Device, options: StoreOptions, pageSize: Int, meta: MetaRecord) {
        self.device = device
        self.options = options
        self.pageSize = pageSize
        self.blocksPerPage = UInt64(pageSize / device.blockSize)
        self.pageCount = meta.pageCount
        self.cache = PageCache(pageSize: pageSize, capacity: options.cacheBlocks)
        self.pool = BufferPool(pageSize: pageSize, limit: 64)
        self.scratch = UnsafeMutableRawPointer.allocate(byteCount: pageSize, alignment: 64)
        self.cellBuffer = UnsafeMutableRawPointer.allocate(byteCount: pageSize, alignment: 64)
        self.maximumInlineCell = (pageSize - Layout.slots) / 4 - 2
        self.space = SpaceMap(pageCount: meta.pageCount)
        self.committed = meta
        self.txn = meta
        self.stats.pageSize = pageSize
        self.stats.pages = meta.pageCount
    }

    deinit {
        scratch.deallocate()
        cellBuffer.deallocate()
        for (_, run) in dirty { run.buffer.deallocate() }
    }

    /// The page size for `device`: ``StoreLimits/pageSize``, or the block size when larger.
    static func pageSize(for device: Device) throws(StoreError) -> Int {
        let blockSize = device.blockSize
        // Cell offsets are u16: pages of up to 32 KiB.
        guard blockSize >= 512, blockSize <= 32768, blockSize & (blockSize - 1) == 0 else { throw .deviceTooSmall }
        return max(StoreLimits.pageSize, blockSize)
    }

    // MARK: - Format and open

    /// Writes an empty store over `device` (whatever it held is forgotten) and opens it.
    /// - Throws: ``StoreError/deviceTooSmall`` for fewer than ``StoreLimits/minimumPages`` pages;
    ///   ``StoreError/io`` when the device fails.
    public static func format(_ device: Device, options: StoreOptions = StoreOptions()) async throws(StoreError)
        -> KeyValueStore
    {
        let pageSize = try pageSize(for: device)
        let blocksPerPage = UInt64(pageSize / device.blockSize)
        let pageCount = device.blockCount / blocksPerPage
        guard pageCount >= StoreLimits.minimumPages else { throw .deviceTooSmall }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 64)
        defer { buffer.deallocate() }
        guard let base = buffer.baseAddress else { throw .io }
        for slot: UInt64 in 0...1 {
            let meta = MetaRecord(
                transaction: slot, pageCount: pageCount, root: 0, rootTransaction: 0, rootLevel: 0, keys: 0)
            meta.write(into: Page(base: base, size: pageSize), slot: slot)
            do throws(StoreDeviceError) {
                try await device.write(block: slot * blocksPerPage, from: UnsafeRawBufferPointer(buffer))
            } catch {
                throw .io
            }
        }
        do throws(StoreDeviceError) { try await device.flush() } catch { throw .io }
        return try await open(device, options: options)
    }

    /// Opens the store on `device`: picks the valid meta page with the higher transaction id (the older one when
    /// the newest one's pages do not match its commit digest) and rebuilds the free-space map by walking the
    /// trees both meta pages reach (reads every tree page once).
    /// - Throws: ``StoreError/notFormatted`` when neither meta page holds a store;
    ///   ``StoreError/unsupportedVersion(_:)`` for another format version; ``StoreError/corrupt(block:)`` when
    ///   both meta pages are damaged; ``StoreError/deviceTooSmall``; ``StoreError/io``.
    public static func open(_ device: Device, options: StoreOptions = StoreOptions()) async throws(StoreError)
        -> KeyValueStore
    {
        let pageSize = try pageSize(for: device)
        let blocksPerPage = UInt64(pageSize / device.blockSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 64)
        defer { buffer.deallocate() }
        guard let base = buffer.baseAddress else { throw .io }
        var metas: [MetaRecord] = []
        var blank = 0
        var unsupported: UInt32? = nil
        if device.blockCount < 2 * blocksPerPage { throw .deviceTooSmall }
        for slot: UInt64 in 0...1 {
            do throws(StoreDeviceError) {
                try await device.read(block: slot * blocksPerPage, into: buffer)
            } catch {
                throw .io
            }
            switch MetaRecord.read(Page(base: base, size: pageSize), slot: slot) {
            case .valid(let meta): metas.append(meta)
            case .blank: blank += 1
            case .unsupported(let version): unsupported = version
            case .invalid: break
            }
        }
        metas.sort { $0.transaction > $1.transaction }
        guard let newest = metas.first else {
            if let unsupported { throw .unsupportedVersion(unsupported) }
            if blank == 2 { throw .notFormatted }
            throw .corrupt(block: 0)
        }
        guard newest.pageCount <= device.blockCount / blocksPerPage else { throw .deviceTooSmall }
        let store = KeyValueStore(device: device, options: options, pageSize: pageSize, meta: newest)
        // A commit flushes its pages and its meta page together: the newest meta page counts only when its
        // transaction's pages are all there (docs/STORE.md §3). Otherwise the commit before it stands; it was
        // flushed whole before the newest one began, and the newest one wrote only pages it does not reach.
        let complete = metas.count > 1 ? try await store.commitIsComplete(newest) : true
        if !complete {
            let older = metas[1]
            guard older.pageCount <= device.blockCount / blocksPerPage else { throw .deviceTooSmall }
            let previous = KeyValueStore(device: device, options: options, pageSize: pageSize, meta: older)
            await previous.markRolledBack()
            try await previous.rebuildSpace(older: nil)
            return previous
        }
        try await store.rebuildSpace(older: metas.count > 1 ? metas[1] : nil)
        return store
    }

    func markRolledBack() { stats.rolledBack = true }

    /// Marks every page the current tree reaches; pages only the older meta page reaches wait in
    /// ``pendingFree`` until the next commit has overwritten that meta page.
    func rebuildSpace(older: MetaRecord?) async throws(StoreError) {
        if committed.root != 0 {
            try await markTree(committed.root, transaction: committed.rootTransaction, level: committed.rootLevel,
                               collect: false)
        }
        if let older, older.root != 0, older.pageCount == committed.pageCount {
            collected = []
            try await markTree(older.root, transaction: older.rootTransaction, level: older.rootLevel, collect: true)
            if !collected.isEmpty { pendingFree.append((committed.transaction, collected)) }
            collected = []
        }
        refreshSpaceStatistics()
    }

    /// Marks the subtree at `page` used (skipping subtrees already marked); damaged pages are skipped (what
    /// lies under them is unreachable anyway). With `collect`, new marks are appended to ``collected``.
    func markTree(_ page: UInt64, transaction: UInt64, level: Int, collect: Bool)
        async throws(StoreError)
    {
        guard page >= 2, page < pageCount, !space.isUsed(page) else { return }
        let node: Page
        do throws(StoreError) {
            node = try await loadPage(page, transaction: transaction, level: level)
        } catch .io {
            throw .io
        } catch {
            return
        }
        space.mark(page)
        if collect { collected.append(page) }
        if level == 0 {
            for index in 0..<node.count {
                let cell = node.slot(index)
                guard node.leafIsOverflow(cell) else { continue }
                let extent = overflowExtent(node, cell)
                for p in extent.first..<(extent.first + UInt64(extent.pages)) where space.mark(p) && collect {
                    collected.append(p)
                }
            }
            return
        }
        var children: [(UInt64, UInt64)] = [node.leftChild]
        for index in 0..<node.count { children.append(node.branchChild(node.slot(index))) }
        for child in children {
            try await markTree(child.0, transaction: child.1, level: level - 1, collect: collect)
        }
    }

    /// Closes the store: later calls throw ``StoreError/closed``. Committed data is already durable.
    public func close() {
        closed = true
        cache.removeAll()
    }

    // MARK: - Reads

    /// The value of `key`, or nil when absent.
    /// - Throws: ``StoreError/invalidKey``; ``StoreError/corrupt(block:)`` when a page on the way fails its
    ///   check (never wrong bytes); ``StoreError/io``; ``StoreError/closed``.
    public func get(_ key: [UInt8]) async throws(StoreError) -> [UInt8]? {
        try checkKey(key)
        switch key.withUnsafeBytes({ findCached($0, in: committed, wantValue: true) }) {
        case .absent: return nil
        case .found(let found) where found.value != nil: return found.value
        default: return try await entry(key)?.value
        }
    }

    /// The value of `key` and its version, from one lookup (an HTTP `GET` answering with an `ETag`), or nil when
    /// absent.
    public func entry(_ key: [UInt8]) async throws(StoreError) -> StoreEntry? {
        try checkKey(key)
        switch key.withUnsafeBytes({ findCached($0, in: committed, wantValue: true) }) {
        case .absent: return nil
        case .found(let found) where found.value != nil:
            return StoreEntry(key: key, value: found.value ?? [], version: found.version)
        default: break
        }
        let snapshot = committed
        beginRead(snapshot.transaction)
        defer { endRead(snapshot.transaction) }
        guard let found = try await find(key, in: snapshot, writer: false, wantValue: true) else { return nil }
        if let value = found.value { return StoreEntry(key: key, value: value, version: found.version) }
        let value = try await readOverflow(
            first: found.overflowPage, transaction: found.overflowTransaction, length: found.valueLength)
        return StoreEntry(key: key, value: value, version: found.version)
    }

    /// Whether `key` is present.
    public func exists(_ key: [UInt8]) async throws(StoreError) -> Bool {
        try await version(of: key) != nil
    }

    /// The version of `key` (the transaction id that last set it), or nil when absent.
    public func version(of key: [UInt8]) async throws(StoreError) -> UInt64? {
        try checkKey(key)
        switch key.withUnsafeBytes({ findCached($0, in: committed, wantValue: false) }) {
        case .absent: return nil
        case .found(let found): return found.version
        case .miss: break
        }
        let snapshot = committed
        beginRead(snapshot.transaction)
        defer { endRead(snapshot.transaction) }
        return try await find(key, in: snapshot, writer: false, wantValue: false)?.version
    }

    /// Up to `limit` entries whose keys start with `prefix` and sort after `after` (all when nil), in key order.
    /// Page by passing the last key returned as `after`.
    public func list(prefix: [UInt8], after: [UInt8]?, limit: Int) async throws(StoreError) -> [StoreEntry] {
        let page = try await listing(prefix: prefix, after: after, limit: limit)
        var entries: [StoreEntry] = []
        entries.reserveCapacity(page.count)
        for index in 0..<page.count { entries.append(page.entry(at: index)) }
        return entries
    }

    /// What ``list(prefix:after:limit:)`` returns, packed into one ``StoreListing`` (no allocation per entry):
    /// the faster way to read many keys. Page by passing ``StoreListing/lastKey`` as `after`.
    public func listing(prefix: [UInt8], after: [UInt8]?, limit: Int) async throws(StoreError) -> StoreListing {
        if closed { throw .closed }
        guard limit > 0, prefix.count <= StoreLimits.maximumKeyLength else { return StoreListing() }
        let snapshot = committed
        beginRead(snapshot.transaction)
        defer { endRead(snapshot.transaction) }
        return try await scan(prefix: prefix, after: after, limit: limit, in: snapshot)
    }

    /// Counters and space figures.
    public var statistics: StoreStatistics {
        var result = stats
        result.transaction = committed.transaction
        result.keys = committed.keys
        result.height = committed.root == 0 ? 0 : committed.rootLevel + 1
        result.failed = failed
        return result
    }

    // MARK: - Writes

    /// Sets `key` to `value`, durably.
    /// - Parameter ifVersion: nil = unconditional, 0 = `key` must be absent, v = `key` must be at version v.
    /// - Returns: the new version (the id of the transaction that committed it).
    /// - Throws: ``StoreError/conflict`` when `ifVersion` does not match; ``StoreError/invalidKey``;
    ///   ``StoreError/valueTooLarge``; ``StoreError/full``; ``StoreError/io``; ``StoreError/corrupt(block:)``.
    @discardableResult
    public func set(_ key: [UInt8], _ value: [UInt8], ifVersion: UInt64? = nil) async throws(StoreError) -> UInt64 {
        var batch = StoreBatch()
        batch.set(key, value, ifVersion: ifVersion)
        return try await perform(batch).transaction
    }

    /// Sets `key` to `value`, durably, and tells whether the key was created (one lookup: what an HTTP `PUT`
    /// needs to answer 201 or 204, without a separate ``exists(_:)`` that another writer could overtake).
    /// - Parameter ifVersion: as for ``set(_:_:ifVersion:)``.
    /// - Returns: the new version, and `true` when the key was absent before this set.
    /// - Throws: the errors of ``set(_:_:ifVersion:)``.
    public func upsert(_ key: [UInt8], _ value: [UInt8], ifVersion: UInt64? = nil) async throws(StoreError)
        -> (version: UInt64, created: Bool)
    {
        var batch = StoreBatch()
        batch.set(key, value, ifVersion: ifVersion)
        let outcome = try await perform(batch)
        return (outcome.transaction, !outcome.existed)
    }

    /// Removes `key`, durably.
    /// - Parameter ifVersion: as for ``set(_:_:ifVersion:)`` (0: succeeds, removing nothing, only when absent).
    /// - Returns: whether the key was present.
    @discardableResult
    public func remove(_ key: [UInt8], ifVersion: UInt64? = nil) async throws(StoreError) -> Bool {
        var batch = StoreBatch()
        batch.remove(key, ifVersion: ifVersion)
        return try await perform(batch).existed
    }

    /// Applies `batch` all or nothing, durably.
    /// - Returns: the id of the transaction that committed it.
    /// - Throws: ``StoreError/conflict`` (nothing applied) when a condition fails; the errors of ``set(_:_:ifVersion:)``.
    @discardableResult
    public func commit(_ batch: StoreBatch) async throws(StoreError) -> UInt64 {
        try await perform(batch).transaction
    }

    // MARK: - Helpers

    func checkKey(_ key: [UInt8]) throws(StoreError) {
        if closed { throw .closed }
        guard key.count >= StoreLimits.minimumKeyLength, key.count <= StoreLimits.maximumKeyLength else {
            throw .invalidKey
        }
    }

    func beginRead(_ transaction: UInt64) {
        for index in readers.indices where readers[index].transaction == transaction {
            readers[index].count += 1
            return
        }
        readers.append((transaction, 1))
    }

    func endRead(_ transaction: UInt64) {
        guard let index = readers.firstIndex(where: { $0.transaction == transaction }) else { return }
        if readers[index].count > 1 {
            readers[index].count -= 1
            return
        }
        readers.remove(at: index)
        // Only a reader older than the last commit's predecessor can have held pages back.
        if transaction &+ 1 < committed.transaction { releaseFreed() }
    }

    /// Returns to the free map the pages freed by transactions no meta page on disk and no reader reaches.
    /// A page freed by transaction N is reachable from trees before N only: it is safe once both meta slots
    /// hold transactions >= N (the last commit is > N) and every reader's snapshot is >= N.
    func releaseFreed() {
        guard !pendingFree.isEmpty else { return }
        var limit = committed.transaction &- 1
        for reader in readers where reader.transaction < limit { limit = reader.transaction }
        var kept: [(transaction: UInt64, pages: [UInt64])] = []
        for entry in pendingFree {
            if entry.transaction <= limit {
                for page in entry.pages { space.release(page) }
            } else {
                kept.append(entry)
            }
        }
        pendingFree = kept
        refreshSpaceStatistics()
    }

    func refreshSpaceStatistics() {
        stats.pagesUsed = space.used
        stats.pagesFree = space.free
    }

    func deviceBlock(_ page: UInt64) -> UInt64 { page &* blocksPerPage }

    func overflowExtent(_ node: Page, _ cell: Int) -> (first: UInt64, transaction: UInt64, pages: Int) {
        let at = cell + Layout.leafCellHeader + node.leafKeyLength(cell)
        let pages = PageValidator.overflowPages(valueLength: node.leafValueLength(cell), pageSize: pageSize)
        return (node.u64(at), node.u64(at + 8), pages)
    }
}

/// A page run the current transaction wrote in memory: one tree page, or an overflow extent.
struct DirtyRun {
    var buffer: UnsafeMutableRawPointer
    var pages: Int
}
