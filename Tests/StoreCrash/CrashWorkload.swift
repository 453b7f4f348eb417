/// The crash suite's workload: seeded random transactions (sets, removes, batches, compare-and-set, values from
/// 0 bytes to a few KiB and some large ones), run against the store and checked against ``StoreModel`` as they go.
import Store

/// The shape of a workload.
public struct CrashWorkloadConfiguration {
    /// Fixes every key, value and choice.
    public var seed: UInt64
    /// How many transactions to generate.
    public var transactions: Int
    /// How many distinct keys the workload uses (fewer keys, more overwrites).
    public var keys = 40
    /// The largest "large" value; most values are 0 to 4 KiB.
    public var largeValueSize = 12 * 1024

    public init(seed: UInt64, transactions: Int) {
        self.seed = seed
        self.transactions = transactions
    }
}

/// One operation of a transaction.
public enum CrashOperation {
    case set(key: [UInt8], value: [UInt8], ifVersion: UInt64?)
    case remove(key: [UInt8], ifVersion: UInt64?)

    var key: [UInt8] {
        switch self {
        case .set(let key, _, _), .remove(let key, _): return key
        }
    }
}

/// What a transaction is sent as.
public enum CrashTransactionKind {
    case set, remove, batch
}

/// A generated transaction: one `set`, one `remove`, or a `commit` of a batch.
public struct CrashTransaction {
    public var kind: CrashTransactionKind
    public var operations: [CrashOperation]
    /// Whether a compare-and-set in it names a version the key does not have, so the store must refuse it whole.
    public var expectsConflict: Bool
}

/// A transaction the store acknowledged, with where it sat in the device's event log.
public struct AcknowledgedTransaction {
    /// Device events issued before it started.
    public var startEvent: Int
    /// Device events issued when the store acknowledged it.
    public var acknowledgedEvent: Int
    /// Its effect, one change per key.
    public var changes: [ModelChange]
}

/// A failure of the crash suite: what went wrong, with the seed, cut and plan that reproduce it.
public struct CrashFailure: Error {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// Generates transactions against the current model.
public struct CrashWorkload {
    public var configuration: CrashWorkloadConfiguration
    var random: CrashRandom
    /// Every key the workload may use, sorted.
    public private(set) var keys: [[UInt8]] = []

    public init(_ configuration: CrashWorkloadConfiguration) {
        self.configuration = configuration
        random = CrashRandom(seed: configuration.seed)
        let prefixes: [[UInt8]] = [Array("a/".utf8), Array("b/".utf8), Array("b/c/".utf8), Array("z".utf8), []]
        var made: [[UInt8]] = []
        while made.count < configuration.keys {
            var key = prefixes[random.below(prefixes.count)]
            for _ in 0..<random.within(1...12) { key.append(UInt8(0x61 + random.below(26))) }
            if random.chance(5) { key.append(UInt8(random.below(256))) }  // a non-ASCII byte now and then
            if !made.contains(key) { made.append(key) }
        }
        keys = made.sorted { $0.lexicographicallyPrecedes($1) }
    }

    mutating func value() -> [UInt8] {
        let size: Int
        switch random.below(100) {
        case 0..<8: size = 0
        case 8..<35: size = random.within(1...32)
        case 35..<70: size = random.within(33...600)
        case 70..<93: size = random.within(601...4096)
        default: size = random.within(4097...configuration.largeValueSize)
        }
        return random.bytes(size)
    }

    mutating func key() -> [UInt8] { keys[random.below(keys.count)] }

    /// The next transaction, given what the store holds now.
    public mutating func next(_ model: StoreModel) -> CrashTransaction {
        switch random.below(100) {
        case 0..<40:
            return CrashTransaction(kind: .set, operations: [.set(key: key(), value: value(), ifVersion: nil)],
                                    expectsConflict: false)
        case 40..<50:
            // Compare-and-set on an existing key, right or wrong version.
            let key = key()
            guard let entry = model.entry(key) else { return next(model) }
            let wrong = random.chance(30)
            return CrashTransaction(
                kind: .set, operations: [.set(key: key, value: value(), ifVersion: wrong ? entry.version &+ 1000 : entry.version)],
                expectsConflict: wrong)
        case 50..<65:
            let key = key()
            var ifVersion: UInt64?
            var wrong = false
            if let entry = model.entry(key), random.chance(25) {
                wrong = random.chance(30)
                ifVersion = wrong ? entry.version &+ 7 : entry.version
            }
            return CrashTransaction(kind: .remove, operations: [.remove(key: key, ifVersion: ifVersion)],
                                    expectsConflict: wrong)
        default:
            var operations: [CrashOperation] = []
            var used: [[UInt8]] = []
            var wrong = false
            for _ in 0..<random.within(2...6) {
                let key = key()
                if used.contains(key) { continue }
                used.append(key)
                var ifVersion: UInt64?
                if let entry = model.entry(key), random.chance(20) {
                    let bad = random.chance(15)
                    wrong = wrong || bad
                    ifVersion = bad ? entry.version &+ 3 : entry.version
                }
                if random.chance(75) {
                    operations.append(.set(key: key, value: value(), ifVersion: ifVersion))
                } else {
                    operations.append(.remove(key: key, ifVersion: ifVersion))
                }
            }
            return CrashTransaction(kind: .batch, operations: operations, expectsConflict: wrong)
        }
    }
}

/// Runs `transaction` on `store`, checks the outcome against `model` and, when acknowledged, applies it to
/// `model` and returns its changes (with the versions the store gave). Returns nil for a refused
/// compare-and-set (checked to change nothing). Throws the store's error as `storeError`, or a ``CrashFailure``
/// when the store disagrees with the model.
public func crashExecute<Device: StoreDevice>(
    _ transaction: CrashTransaction, on store: KeyValueStore<Device>, model: inout StoreModel
) async throws(CrashStepError) -> [ModelChange]? {
    var version: UInt64 = 0
    var existed: Bool?
    do throws(StoreError) {
        switch transaction.kind {
        case .set:
            guard case .set(let key, let value, let ifVersion) = transaction.operations[0] else { break }
            version = try await store.set(key, value, ifVersion: ifVersion)
        case .remove:
            guard case .remove(let key, let ifVersion) = transaction.operations[0] else { break }
            existed = try await store.remove(key, ifVersion: ifVersion)
        case .batch:
            var batch = StoreBatch()
            for operation in transaction.operations {
                switch operation {
                case .set(let key, let value, let ifVersion): batch.set(key, value, ifVersion: ifVersion)
                case .remove(let key, let ifVersion): batch.remove(key, ifVersion: ifVersion)
                }
            }
            version = try await store.commit(batch)
        }
    } catch {
        if transaction.expectsConflict && error == .conflict { return nil }
        throw .store(error)
    }
    if let existed, existed != (model.entry(transaction.operations[0].key) != nil) {
        throw .failure(CrashFailure("remove(\(crashDescribe(transaction.operations[0].key))) said existed=\(existed), the model says \(!existed)"))
    }
    if transaction.expectsConflict {
        throw CrashStepError.failure(CrashFailure("a compare-and-set with a wrong version was acknowledged"))
    }
    var changes: [ModelChange] = []
    for operation in transaction.operations {
        let key = operation.key
        let stored: UInt64?
        let value: [UInt8]?
        do throws(StoreError) {
            stored = try await store.version(of: key)
            value = try await store.get(key)
        } catch {
            throw .store(error)
        }
        switch operation {
        case .set(_, let expected, _):
            guard let stored, let value, value == expected else {
                throw CrashStepError.failure(CrashFailure("after set(\(crashDescribe(key))) get returned \(value.map { crashDescribe($0) } ?? "nil"), expected \(crashDescribe(expected))"))
            }
            if transaction.kind == .set && stored != version {
                throw CrashStepError.failure(CrashFailure("set(\(crashDescribe(key))) returned version \(version), version(of:) says \(stored)"))
            }
            if let old = model.entry(key), stored <= old.version {
                throw CrashStepError.failure(CrashFailure("set(\(crashDescribe(key))): version \(stored) is not above the old \(old.version)"))
            }
            changes.append(ModelChange(key: key, value: value, version: stored))
        case .remove:
            if stored != nil || value != nil {
                throw CrashStepError.failure(CrashFailure("after remove(\(crashDescribe(key))) the key is still there"))
            }
            changes.append(ModelChange(key: key, value: nil, version: 0))
        }
    }
    for change in changes { model.apply(change) }
    return changes
}

/// Why one step of the workload stopped: the store threw, or it disagreed with the model.
public enum CrashStepError: Error {
    case store(StoreError)
    case failure(CrashFailure)
}
