/// A page of a range listing with every key and value packed into one byte array, as
/// ``KeyValueStore/listing(prefix:after:limit:)`` returns it: a few allocations per page instead of two per
/// entry (``StoreEntry``'s key and value arrays), for scans that read many keys.
public struct StoreListing {
    /// The keys' and values' bytes, back to back.
    var bytes: [UInt8] = []
    /// Per entry: key start, key length, value start, value length (into ``bytes``).
    var spans: [Int] = []
    var versions: [UInt64] = []

    /// An empty listing.
    public init() {}

    /// An empty listing with room for `entries` entries of about `bytesEach` key and value bytes.
    init(reserving entries: Int, bytesEach: Int) {
        bytes.reserveCapacity(entries * bytesEach)
        spans.reserveCapacity(4 * entries)
        versions.reserveCapacity(entries)
    }

    /// Number of entries.
    public var count: Int { versions.count }
    /// Whether the listing holds no entry.
    public var isEmpty: Bool { versions.isEmpty }

    /// The key of entry `index` (a slice of the listing's storage: no copy).
    public func key(at index: Int) -> ArraySlice<UInt8> {
        let at = 4 * index
        return bytes[spans[at]..<(spans[at] + spans[at + 1])]
    }

    /// The value of entry `index` (a slice of the listing's storage: no copy).
    public func value(at index: Int) -> ArraySlice<UInt8> {
        let at = 4 * index
        return bytes[spans[at + 2]..<(spans[at + 2] + spans[at + 3])]
    }

    /// The version of entry `index`: the transaction id of the commit that last set its key.
    public func version(at index: Int) -> UInt64 { versions[index] }

    /// Entry `index` as a ``StoreEntry`` (copies its key and value).
    public func entry(at index: Int) -> StoreEntry {
        StoreEntry(key: Array(key(at: index)), value: Array(value(at: index)), version: versions[index])
    }

    /// The last key, the `after` of the next page's request; nil when empty.
    public var lastKey: [UInt8]? { isEmpty ? nil : Array(key(at: count - 1)) }

    /// Appends an entry whose value is filled in later (``setValue(at:_:)``; overflow values are read after
    /// their leaf is done).
    mutating func append(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?, version: UInt64) {
        let keyStart = bytes.count
        bytes.append(contentsOf: key)
        let valueStart = bytes.count
        if let value { bytes.append(contentsOf: value) }
        spans.append(keyStart)
        spans.append(key.count)
        spans.append(valueStart)
        spans.append(value?.count ?? 0)
        versions.append(version)
    }

    /// Sets the value of entry `index` (appended at the end of the storage).
    mutating func setValue(at index: Int, _ value: [UInt8]) {
        spans[4 * index + 2] = bytes.count
        spans[4 * index + 3] = value.count
        bytes.append(contentsOf: value)
    }
}
