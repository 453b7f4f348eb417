/// The crash suite's model of the store: an ordered map from key to (value, version), and a digest of its whole
/// contents so that a recovered store can be matched against the model after each prefix of transactions quickly.
import Store

/// One change a transaction made to one key: the new value and version, or a removal.
public struct ModelChange {
    public var key: [UInt8]
    /// The new value, or nil for a removal.
    public var value: [UInt8]?
    public var version: UInt64

    public init(key: [UInt8], value: [UInt8]?, version: UInt64) {
        self.key = key
        self.value = value
        self.version = version
    }
}

/// An in-memory ordered map the store must agree with.
public struct StoreModel {
    /// Entries sorted by key (bytewise, shorter first on a common prefix).
    public private(set) var entries: [StoreEntry] = []
    /// An order-independent digest of every (key, value, version).
    public private(set) var digest: UInt64 = 0

    public init() {}

    func search(_ key: [UInt8]) -> (index: Int, found: Bool) {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].key.lexicographicallyPrecedes(key) { low = middle + 1 } else { high = middle }
        }
        return (low, low < entries.count && entries[low].key == key)
    }

    /// The entry for `key`, if any.
    public func entry(_ key: [UInt8]) -> StoreEntry? {
        let (index, found) = search(key)
        return found ? entries[index] : nil
    }

    /// Applies one change; without `updatingDigest`, ``digest`` goes stale (faster, for rebuilding a model).
    public mutating func apply(_ change: ModelChange, updatingDigest: Bool = true) {
        let (index, found) = search(change.key)
        if found {
            if updatingDigest { digest &-= Self.hash(entries[index]) }
            if let value = change.value {
                entries[index] = StoreEntry(key: change.key, value: value, version: change.version)
                if updatingDigest { digest &+= Self.hash(entries[index]) }
            } else {
                entries.remove(at: index)
            }
        } else if let value = change.value {
            let entry = StoreEntry(key: change.key, value: value, version: change.version)
            entries.insert(entry, at: index)
            if updatingDigest { digest &+= Self.hash(entry) }
        }
    }

    /// The entries whose key starts with `prefix` and comes after `after`, at most `limit` of them.
    public func list(prefix: [UInt8], after: [UInt8]?, limit: Int) -> [StoreEntry] {
        var result: [StoreEntry] = []
        for entry in entries where result.count < limit && entry.key.starts(with: prefix) {
            if let after, !after.lexicographicallyPrecedes(entry.key) { continue }
            result.append(entry)
        }
        return result
    }

    /// A 64-bit hash of one entry (FNV-1a over its fields, then a finaliser).
    public static func hash(_ entry: StoreEntry) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        for byte in entry.key { mix(byte) }
        mix(0xFF)
        var length = UInt64(entry.value.count)
        for _ in 0..<4 { mix(UInt8(truncatingIfNeeded: length)); length >>= 8 }
        for byte in entry.value { mix(byte) }
        var version = entry.version
        for _ in 0..<8 { mix(UInt8(truncatingIfNeeded: version)); version >>= 8 }
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        return hash
    }

    /// The digest of `entries` as ``digest`` computes it.
    public static func digest(of entries: [StoreEntry]) -> UInt64 {
        var digest: UInt64 = 0
        for entry in entries { digest &+= hash(entry) }
        return digest
    }
}

/// `bytes` as text: printable ASCII as is, anything else as `\xNN`; long runs cut.
public func crashDescribe(_ bytes: [UInt8], limit: Int = 40) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
    var text = "\""
    for byte in bytes.prefix(limit) {
        if byte >= 0x20 && byte < 0x7F && byte != 0x22 && byte != 0x5C {
            text.append(Character(Unicode.Scalar(byte)))
        } else {
            text += "\\x"
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
    }
    if bytes.count > limit { text += "...(\(bytes.count) bytes)" }
    return text + "\""
}
