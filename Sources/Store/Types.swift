/// The store's public value types: limits, options, batches, entries, statistics, check reports.

/// The store's fixed limits (the same on every platform; part of the on-disk format).
public enum StoreLimits {
    /// Shortest key, in bytes.
    public static let minimumKeyLength = 1
    /// Longest key, in bytes.
    public static let maximumKeyLength = 255
    /// Longest value, in bytes (4 MiB). Values too big to sit in a leaf go to an overflow extent.
    public static let maximumValueLength = 4 << 20
    /// Bytes per store page: 4096, or the device block size when that is larger.
    public static let pageSize = 4096
    /// Smallest device, in pages: two meta pages and room for a small tree.
    public static let minimumPages: UInt64 = 8
    /// The on-disk format version written by this code.
    /// Version 2: the meta page carries a commit digest, and a commit flushes once (docs/STORE.md §3).
    public static let formatVersion: UInt32 = 2
}

/// Settings fixed when a store is opened or formatted.
public struct StoreOptions {
    /// Pages in the block cache (each ``StoreLimits/pageSize`` bytes; the cache is allocated once, at open).
    public var cacheBlocks: Int
    /// Most write requests (single sets/removes or batches) one transaction takes (group commit): bounds
    /// the memory of a transaction's dirty pages.
    public var maximumGroupSize: Int

    /// - Parameters:
    ///   - cacheBlocks: cache size in pages (at least 16; 256 pages = 1 MiB by default).
    ///   - maximumGroupSize: at most this many requests share one commit.
    public init(cacheBlocks: Int = 256, maximumGroupSize: Int = 128) {
        self.cacheBlocks = max(16, cacheBlocks)
        self.maximumGroupSize = max(1, maximumGroupSize)
    }
}

/// A transaction of sets and removes that ``KeyValueStore/commit(_:)`` applies all or nothing.
///
/// Conditions (`ifVersion`) are checked against the store as it was before the batch; operations then
/// apply in order (a later one on the same key wins).
public struct StoreBatch {
    enum Operation {
        case set(key: [UInt8], value: [UInt8], ifVersion: UInt64?)
        case remove(key: [UInt8], ifVersion: UInt64?)

        var key: [UInt8] {
            switch self {
            case .set(let key, _, _), .remove(let key, _): return key
            }
        }

        var condition: UInt64? {
            switch self {
            case .set(_, _, let version), .remove(_, let version): return version
            }
        }
    }

    var operations: [Operation] = []

    /// An empty batch.
    public init() {}

    /// Adds a set of `key` to `value`; `ifVersion`: nil = unconditional, 0 = must be absent, v = must be at v.
    public mutating func set(_ key: [UInt8], _ value: [UInt8], ifVersion: UInt64? = nil) {
        operations.append(.set(key: key, value: value, ifVersion: ifVersion))
    }

    /// Adds a removal of `key`; `ifVersion` as for ``set(_:_:ifVersion:)``.
    public mutating func remove(_ key: [UInt8], ifVersion: UInt64? = nil) {
        operations.append(.remove(key: key, ifVersion: ifVersion))
    }

    /// Number of operations.
    public var count: Int { operations.count }
    /// Whether the batch holds no operation.
    public var isEmpty: Bool { operations.isEmpty }
}

/// One key with its value and version, as ``KeyValueStore/list(prefix:after:limit:)`` returns it.
public struct StoreEntry: Equatable {
    /// The key bytes.
    public let key: [UInt8]
    /// The value bytes.
    public let value: [UInt8]
    /// The transaction id of the commit that last set the key.
    public let version: UInt64

    /// An entry of `key`, `value` and `version`.
    public init(key: [UInt8], value: [UInt8], version: UInt64) {
        self.key = key
        self.value = value
        self.version = version
    }
}

/// Counters and space figures of an open store.
public struct StoreStatistics {
    /// Transactions committed since open (each one meta write).
    public var commits: UInt64 = 0
    /// Write requests acknowledged (sets, removes, batches): `requests / commits` is the group-commit factor.
    public var requests: UInt64 = 0
    /// Device flushes issued (one per commit).
    public var flushes: UInt64 = 0
    /// Page lookups served from the cache.
    public var cacheHits: UInt64 = 0
    /// Page lookups that read the device.
    public var cacheMisses: UInt64 = 0
    /// Device read requests.
    public var deviceReads: UInt64 = 0
    /// Device write requests (adjacent pages of a commit share one).
    public var deviceWrites: UInt64 = 0
    /// The last committed transaction id.
    public var transaction: UInt64 = 0
    /// Keys in the store.
    public var keys: UInt64 = 0
    /// Bytes per page.
    public var pageSize: Int = 0
    /// Pages in the store.
    public var pages: UInt64 = 0
    /// Pages in use: meta, tree, overflow, and pages freed but not yet reusable.
    public var pagesUsed: UInt64 = 0
    /// Pages free for the next transaction.
    public var pagesFree: UInt64 = 0
    /// Tree height (0 = empty, 1 = one leaf).
    public var height: Int = 0
    /// Whether writes are refused after a device failure.
    public var failed: Bool = false
    /// Whether `open` set aside the newest meta page because its transaction's pages were not all on disk as
    /// written (a commit cut short by a crash, or a damaged page of the newest commit): the store opened at
    /// the commit before it.
    public var rolledBack: Bool = false

    /// All zero.
    public init() {}
}

/// What ``KeyValueStore/check()`` verified.
public struct StoreCheckReport: Equatable {
    /// The transaction id checked.
    public var transaction: UInt64 = 0
    /// Keys found (equal to the count the meta page records).
    public var keys: UInt64 = 0
    /// Branch pages read and verified.
    public var branchPages: UInt64 = 0
    /// Leaf pages read and verified.
    public var leafPages: UInt64 = 0
    /// Overflow pages read and verified.
    public var overflowPages: UInt64 = 0
    /// Tree height.
    public var height: Int = 0
    /// Pages neither reachable nor waiting to be reused but still marked used (0 unless space leaks).
    public var leakedPages: UInt64 = 0

    /// All zero.
    public init() {}
}
