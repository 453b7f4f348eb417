/// TEMPORARY stand-in for the `Store` module (branch `store`), with the same public API, so the crash suite and
/// the host tool can be built and run before the real engine lands. Deleted at the merge with `store`.
///
/// Design (deliberately simple, crash-safe by construction): two header blocks (0 and 1) alternate; each commit
/// serialises the whole key space into the data area not named by the current header, flushes, writes the other
/// header with the next generation, and flushes again. Open picks the valid header with the higher generation.

/// A block device the store runs on.
public protocol StoreDevice: AnyObject {
    var blockSize: Int { get }
    var blockCount: UInt64 { get }
    func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) async throws(StoreDeviceError)
    func write(block: UInt64, from buffer: UnsafeRawBufferPointer) async throws(StoreDeviceError)
    func flush() async throws(StoreDeviceError)
}

/// What a device can report.
public enum StoreDeviceError: Error, Equatable { case invalid, io }

/// What the store can report.
public enum StoreError: Error, Equatable {
    case invalidKey, valueTooLarge, full, notFormatted, unsupportedVersion(UInt32), deviceTooSmall
    case corrupt(block: UInt64), conflict, io, closed
}

/// Store settings.
public struct StoreOptions {
    public var maximumKeyLength = 255
    public var maximumValueLength = 64 * 1024
    public init() {}
}

/// One key, its value and version.
public struct StoreEntry: Equatable {
    public var key: [UInt8]
    public var value: [UInt8]
    public var version: UInt64
    public init(key: [UInt8], value: [UInt8], version: UInt64) {
        self.key = key
        self.value = value
        self.version = version
    }
}

/// Several changes applied atomically.
public struct StoreBatch {
    enum Operation {
        case set([UInt8], [UInt8], UInt64?)
        case remove([UInt8], UInt64?)
    }
    var operations: [Operation] = []
    public init() {}
    public mutating func set(_ key: [UInt8], _ value: [UInt8], ifVersion: UInt64? = nil) {
        operations.append(.set(key, value, ifVersion))
    }
    public mutating func remove(_ key: [UInt8], ifVersion: UInt64? = nil) {
        operations.append(.remove(key, ifVersion))
    }
}

/// What `check()` found.
public struct StoreCheckReport: CustomStringConvertible {
    public var blocksChecked: UInt64
    public var keys: Int
    public var generation: UInt64
    public var description: String {
        "generation \(generation): \(keys) keys, \(blocksChecked) blocks checked, no damage"
    }
}

/// Counters.
public struct StoreStatistics {
    public var commits: UInt64 = 0
    public var flushes: UInt64 = 0
}

/// An in-memory device.
public final class MemoryStoreDevice: StoreDevice {
    public let blockSize: Int
    public let blockCount: UInt64
    public var bytes: [UInt8]
    public init(blockSize: Int, blockCount: UInt64) {
        self.blockSize = blockSize
        self.blockCount = blockCount
        bytes = [UInt8](repeating: 0, count: blockSize * Int(blockCount))
    }
    public func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) async throws(StoreDeviceError) {
        let start = Int(block) * blockSize
        guard buffer.count % blockSize == 0, start + buffer.count <= bytes.count else { throw .invalid }
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + buffer.count])) }
    }
    public func write(block: UInt64, from buffer: UnsafeRawBufferPointer) async throws(StoreDeviceError) {
        let start = Int(block) * blockSize
        guard buffer.count % blockSize == 0, start + buffer.count <= bytes.count else { throw .invalid }
        for i in 0..<buffer.count { bytes[start + i] = buffer[i] }
    }
    public func flush() async throws(StoreDeviceError) {}
}

private let magic: [UInt8] = Array("SWSTUB01".utf8)
private let formatVersion: UInt32 = 1

private func fnv(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}

private func put(_ value: UInt64, _ count: Int, into bytes: inout [UInt8]) {
    for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
}

private func getLE(_ bytes: [UInt8], _ offset: inout Int, _ count: Int) -> UInt64? {
    guard offset + count <= bytes.count else { return nil }
    var value: UInt64 = 0
    for i in 0..<count { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
    offset += count
    return value
}

/// The key-value store.
public actor KeyValueStore<Device: StoreDevice> {
    let device: Device
    let options: StoreOptions
    var entries: [StoreEntry] = []  // sorted by key
    var generation: UInt64 = 0
    var nextVersion: UInt64 = 1
    var failed = false
    var stats = StoreStatistics()

    init(device: Device, options: StoreOptions) {
        self.device = device
        self.options = options
    }

    var half: UInt64 { (device.blockCount - 2) / 2 }

    public static func format(_ device: Device, options: StoreOptions) async throws(StoreError) -> KeyValueStore {
        guard device.blockCount >= 8 else { throw .deviceTooSmall }
        let store = KeyValueStore(device: device, options: options)
        try await store.persist()
        return store
    }

    public static func open(_ device: Device, options: StoreOptions) async throws(StoreError) -> KeyValueStore {
        guard device.blockCount >= 8 else { throw .deviceTooSmall }
        let store = KeyValueStore(device: device, options: options)
        try await store.load(checkBoth: false)
        return store
    }

    func readBlocks(_ block: UInt64, _ count: Int) async throws(StoreError) -> [UInt8] {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: count * device.blockSize, alignment: 16)
        defer { raw.deallocate() }
        do { try await device.read(block: block, into: raw) } catch { throw .io }
        return [UInt8](raw)
    }

    /// (generation, dataLength, checksum, nextVersion) of header `slot`, or nil when invalid; the error when it
    /// has the magic but a wrong version.
    func header(_ slot: UInt64, strict: Bool) async throws(StoreError) -> (UInt64, UInt64, UInt64, UInt64)? {
        let bytes = try await readBlocks(slot, 1)
        guard Array(bytes[0..<8]) == magic else {
            if strict, bytes.contains(where: { $0 != 0 }) { throw .corrupt(block: slot) }
            return nil
        }
        var offset = 8
        let version = UInt32(getLE(bytes, &offset, 4)!)
        let gen = getLE(bytes, &offset, 8)!, length = getLE(bytes, &offset, 8)!, sum = getLE(bytes, &offset, 8)!
        let next = getLE(bytes, &offset, 8)!
        let check = getLE(bytes, &offset, 8)!
        guard check == fnv(bytes[0..<44]) else {
            if strict { throw .corrupt(block: slot) }
            return nil
        }
        guard version == formatVersion else { throw .unsupportedVersion(version) }
        return (gen, length, sum, next)
    }

    func load(checkBoth: Bool) async throws(StoreError) {
        let a = try await header(0, strict: checkBoth), b = try await header(1, strict: checkBoth)
        var best: (UInt64, UInt64, UInt64, UInt64)?
        if let a { best = a }
        if let b, best == nil || b.0 > best!.0 { best = b }
        guard let (gen, length, sum, next) = best else {
            let raw = try await readBlocks(0, 1)
            if Array(raw[0..<8]) == magic { throw .corrupt(block: 0) }
            throw .notFormatted
        }
        let area = gen % 2
        let start = 2 + area * half
        let blocks = (Int(length) + device.blockSize - 1) / device.blockSize
        guard UInt64(blocks) <= half else { throw .corrupt(block: gen % 2 == 0 ? 0 : 1) }
        let data = blocks == 0 ? [] : try await readBlocks(start, blocks)
        guard fnv(data[0..<Int(length)]) == sum else { throw .corrupt(block: start) }
        var offset = 0
        var decoded: [StoreEntry] = []
        guard let count = getLE(data, &offset, 4) else { throw .corrupt(block: start) }
        for _ in 0..<count {
            guard let kl = getLE(data, &offset, 2), offset + Int(kl) <= data.count else { throw .corrupt(block: start) }
            let key = Array(data[offset..<offset + Int(kl)])
            offset += Int(kl)
            guard let vl = getLE(data, &offset, 4), offset + Int(vl) <= data.count else { throw .corrupt(block: start) }
            let value = Array(data[offset..<offset + Int(vl)])
            offset += Int(vl)
            guard let version = getLE(data, &offset, 8) else { throw .corrupt(block: start) }
            decoded.append(StoreEntry(key: key, value: value, version: version))
        }
        entries = decoded
        generation = gen
        nextVersion = next
    }

    func persist() async throws(StoreError) {
        var data: [UInt8] = []
        put(UInt64(entries.count), 4, into: &data)
        for entry in entries {
            put(UInt64(entry.key.count), 2, into: &data)
            data += entry.key
            put(UInt64(entry.value.count), 4, into: &data)
            data += entry.value
            put(entry.version, 8, into: &data)
        }
        let gen = generation + 1
        let blocks = (data.count + device.blockSize - 1) / device.blockSize
        guard UInt64(blocks) <= half else { throw .full }
        let length = data.count
        data += [UInt8](repeating: 0, count: blocks * device.blockSize - data.count)
        var header = magic
        put(UInt64(formatVersion), 4, into: &header)
        put(gen, 8, into: &header)
        put(UInt64(length), 8, into: &header)
        put(fnv(data[0..<length]), 8, into: &header)
        put(nextVersion, 8, into: &header)
        put(fnv(header[0..<44]), 8, into: &header)
        header += [UInt8](repeating: 0, count: device.blockSize - header.count)
        let device = self.device
        let start = 2 + (gen % 2) * half
        do {
            if blocks > 0 { try await writeBlocks(device, start, data) }
            try await device.flush()
            try await writeBlocks(device, gen % 2, header)
            try await device.flush()
        } catch {
            failed = true
            throw .io
        }
        stats.commits += 1
        stats.flushes += 2
        generation = gen
    }

    func writeBlocks(_ device: Device, _ block: UInt64, _ bytes: [UInt8]) async throws(StoreDeviceError) {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { raw.deallocate() }
        raw.copyBytes(from: bytes)
        try await device.write(block: block, from: UnsafeRawBufferPointer(raw))
    }

    func index(_ key: [UInt8]) -> (Int, Bool) {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].key.lexicographicallyPrecedes(key) { low = mid + 1 } else { high = mid }
        }
        return (low, low < entries.count && entries[low].key == key)
    }

    func validate(_ key: [UInt8]) throws(StoreError) {
        guard !key.isEmpty, key.count <= options.maximumKeyLength else { throw .invalidKey }
    }

    public func get(_ key: [UInt8]) async throws(StoreError) -> [UInt8]? {
        try validate(key)
        let (i, found) = index(key)
        return found ? entries[i].value : nil
    }

    public func exists(_ key: [UInt8]) async throws(StoreError) -> Bool { try await get(key) != nil }

    public func version(of key: [UInt8]) async throws(StoreError) -> UInt64? {
        try validate(key)
        let (i, found) = index(key)
        return found ? entries[i].version : nil
    }

    public func set(_ key: [UInt8], _ value: [UInt8], ifVersion: UInt64? = nil) async throws(StoreError) -> UInt64 {
        var batch = StoreBatch()
        batch.set(key, value, ifVersion: ifVersion)
        return try await commit(batch)
    }

    public func remove(_ key: [UInt8], ifVersion: UInt64? = nil) async throws(StoreError) -> Bool {
        try validate(key)
        let existed = index(key).1
        var batch = StoreBatch()
        batch.remove(key, ifVersion: ifVersion)
        _ = try await commit(batch)
        return existed
    }

    public func list(prefix: [UInt8], after: [UInt8]?, limit: Int) async throws(StoreError) -> [StoreEntry] {
        var result: [StoreEntry] = []
        for entry in entries where result.count < limit {
            guard entry.key.starts(with: prefix) else { continue }
            if let after, !after.lexicographicallyPrecedes(entry.key) { continue }
            result.append(entry)
        }
        return result
    }

    public func commit(_ batch: StoreBatch) async throws(StoreError) -> UInt64 {
        guard !failed else { throw .closed }
        let saved = entries
        let version = nextVersion
        for operation in batch.operations {
            switch operation {
            case .set(let key, let value, let ifVersion):
                try validate(key)
                guard value.count <= options.maximumValueLength else { entries = saved; throw .valueTooLarge }
                let (i, found) = index(key)
                if let ifVersion, (found ? entries[i].version : 0) != ifVersion { entries = saved; throw .conflict }
                if found { entries[i] = StoreEntry(key: key, value: value, version: version) }
                else { entries.insert(StoreEntry(key: key, value: value, version: version), at: i) }
            case .remove(let key, let ifVersion):
                try validate(key)
                let (i, found) = index(key)
                if let ifVersion, (found ? entries[i].version : 0) != ifVersion { entries = saved; throw .conflict }
                if found { entries.remove(at: i) }
            }
        }
        nextVersion += 1
        do { try await persist() } catch { entries = saved; nextVersion -= 1; throw error }
        return version
    }

    public func check() async throws(StoreError) -> StoreCheckReport {
        let saved = (entries, generation, nextVersion)
        try await load(checkBoth: true)
        let same = entries == saved.0
        (entries, generation, nextVersion) = saved
        guard same else { throw .corrupt(block: 0) }
        return StoreCheckReport(blocksChecked: 2 + UInt64(entries.count), keys: entries.count, generation: generation)
    }

    public var statistics: StoreStatistics { stats }
}
