/// The systematic crash suite: record a workload's writes and flushes on a ``CrashDevice``, then place a power
/// cut at every one of them (or an even spread, for a fixed budget), build post-crash images with several kept
/// subsets and tears each, reopen the store from each image and check it against the model: it must equal the
/// model after some prefix of transactions that includes every acknowledged one, list in key order with correct
/// pagination, and pass `check()`. Also bit flips (``crashBitFlips(_:_:)``) and failed writes and flushes
/// (``crashFailedDevice(_:_:failFlushes:)``). Everything is seeded; a failure names the seed, cut and plan.
import Store

/// The shape of a crash campaign.
public struct CrashCampaignConfiguration {
    public var workload: CrashWorkloadConfiguration
    public var blockSize = 4096
    public var blockCount: UInt64 = 256
    public var options = StoreOptions()
    /// The plans tried at every cut point; the random ones (subset, torn) are tried ``randomRepeats`` times.
    public var plans: [CrashPlan] = CrashPlan.allCases
    public var randomRepeats = 1
    /// At most this many cut points, spread evenly over the log; nil: a cut at every write and flush.
    public var maximumCuts: Int?

    public init(workload: CrashWorkloadConfiguration) {
        self.workload = workload
    }
}

/// A workload run with its device log: what the sweep replays.
public struct CrashRecording {
    public var configuration: CrashCampaignConfiguration
    /// Every write and flush, from `format` on.
    public var events: [CrashEvent]
    /// Acknowledged transactions in order; entry 0 is `format` (no changes).
    public var acknowledged: [AcknowledgedTransaction]
    /// `digests[k]`: the model's digest once the first `k` acknowledged transactions are applied.
    public var digests: [UInt64]
    /// The workload's keys.
    public var keys: [[UInt8]]
    /// Transactions refused as conflicts (compare-and-set with a wrong version).
    public var conflicts = 0

    /// The model after the first `count` acknowledged transactions (its ``StoreModel/digest`` is not kept).
    public func model(after count: Int) -> StoreModel {
        var model = StoreModel()
        var index = 1
        while index < count && index < acknowledged.count {
            for change in acknowledged[index].changes { model.apply(change, updatingDigest: false) }
            index += 1
        }
        return model
    }
}

/// What a sweep checked.
public struct CrashSweepReport {
    /// Power cuts placed (one per write or flush of the log, plus one after the end).
    public var cutPoints = 0
    /// Post-crash images reopened and checked.
    public var images = 0
    /// Images that had no complete `format` and opened as `.notFormatted`.
    public var unformatted = 0
    /// Images on which an unacknowledged (in-flight) transaction turned out to be complete.
    public var inFlightKept = 0
}


/// Runs the workload once on a recording ``CrashDevice``, checking each step against the model.
public func crashRecord(_ configuration: CrashCampaignConfiguration) async throws(CrashFailure) -> CrashRecording {
    let device = CrashDevice(blockSize: configuration.blockSize, blockCount: configuration.blockCount)
    device.recordsEvents = true
    let store: KeyValueStore<CrashDevice>
    do throws(StoreError) {
        store = try await KeyValueStore.format(device, options: configuration.options)
    } catch {
        throw CrashFailure("format failed: \(error.name)")
    }
    var recording = CrashRecording(
        configuration: configuration, events: [],
        acknowledged: [AcknowledgedTransaction(startEvent: 0, acknowledgedEvent: device.eventCount, changes: [])],
        digests: [0, 0], keys: [])
    var workload = CrashWorkload(configuration.workload)
    recording.keys = workload.keys
    var model = StoreModel()
    for number in 0..<configuration.workload.transactions {
        let transaction = workload.next(model)
        let start = device.eventCount
        let changes: [ModelChange]?
        do throws(CrashStepError) {
            changes = try await crashExecute(transaction, on: store, model: &model)
        } catch {
            switch error {
            case .store(let error):
                throw CrashFailure("seed \(configuration.workload.seed) transaction \(number): \(error.name)")
            case .failure(let failure):
                throw CrashFailure("seed \(configuration.workload.seed) transaction \(number): \(failure.message)")
            }
        }
        guard let changes else {
            recording.conflicts += 1
            continue
        }
        recording.acknowledged.append(
            AcknowledgedTransaction(startEvent: start, acknowledgedEvent: device.eventCount, changes: changes))
        recording.digests.append(model.digest)
    }
    recording.events = device.events
    return recording
}

/// Reads every entry with `list` pages of `page` entries, checking strict key order across pages.
func crashListAll<Device: StoreDevice>(
    _ store: KeyValueStore<Device>, prefix: [UInt8], page: Int
) async throws(CrashStepError) -> [StoreEntry] {
    var result: [StoreEntry] = []
    var after: [UInt8]?
    while true {
        let entries: [StoreEntry]
        do throws(StoreError) {
            entries = try await store.list(prefix: prefix, after: after, limit: page)
        } catch {
            throw .store(error)
        }
        if entries.count > page {
            throw .failure(CrashFailure("list(limit: \(page)) returned \(entries.count) entries"))
        }
        for entry in entries {
            if let last = result.last?.key ?? after, !last.lexicographicallyPrecedes(entry.key) {
                throw .failure(CrashFailure("list out of order: \(crashDescribe(entry.key)) after \(crashDescribe(last))"))
            }
            if !entry.key.starts(with: prefix) {
                throw .failure(CrashFailure("list(prefix: \(crashDescribe(prefix))) returned \(crashDescribe(entry.key))"))
            }
            result.append(entry)
        }
        if entries.count < page { return result }
        after = entries[entries.count - 1].key
    }
}

/// The first difference between two entry lists, as text.
func crashDifference(_ actual: [StoreEntry], _ expected: [StoreEntry]) -> String {
    var index = 0
    while index < actual.count && index < expected.count && actual[index] == expected[index] { index += 1 }
    if index == actual.count && index == expected.count { return "none" }
    let got = index < actual.count
        ? "\(crashDescribe(actual[index].key)) v\(actual[index].version) \(actual[index].value.count) bytes" : "end"
    let wanted = index < expected.count
        ? "\(crashDescribe(expected[index].key)) v\(expected[index].version) \(expected[index].value.count) bytes" : "end"
    return "\(actual.count) entries vs \(expected.count); entry \(index): got \(got), expected \(wanted)"
}

/// Opens the store on `image` and checks it equals the model after `k` acknowledged transactions for some `k` in
/// `lower...upper`, with exact gets, versions and paginated listings, and that `check()` passes and a new write
/// works. Returns the `k` found (0: not formatted).
public func crashVerify(
    image: [UInt8], recording: CrashRecording, lower: Int, upper: Int, random: inout CrashRandom, context: String
) async throws(CrashFailure) -> Int {
    let configuration = recording.configuration
    let device = CrashDevice(image: image, blockSize: configuration.blockSize)
    let store: KeyValueStore<CrashDevice>
    do throws(StoreError) {
        store = try await KeyValueStore.open(device, options: configuration.options)
    } catch {
        if lower == 0 && error == .notFormatted { return 0 }
        throw CrashFailure("\(context): open failed with \(error.name) (\(lower) transactions acknowledged)")
    }
    do throws(CrashStepError) {
        let entries = try await crashListAll(store, prefix: [], page: random.within(1...9))
        let digest = StoreModel.digest(of: entries)
        var found = -1
        var k = upper
        while k >= Swift.max(lower, 1) {
            if recording.digests[k] == digest { found = k; break }
            k -= 1
        }
        if found < 0 {
            let acknowledged = recording.model(after: Swift.max(lower, 1))
            throw CrashStepError.failure(CrashFailure(
                "\(context): the store matches no prefix of \(Swift.max(lower, 1))...\(upper) transactions; against the " +
                "acknowledged prefix: \(crashDifference(entries, acknowledged.entries))"))
        }
        let model = recording.model(after: found)
        if entries != model.entries {
            throw CrashStepError.failure(CrashFailure("\(context): prefix \(found): \(crashDifference(entries, model.entries))"))
        }
        for _ in 0..<6 {
            let key = recording.keys[random.below(recording.keys.count)]
            let value: [UInt8]?
            let version: UInt64?
            do throws(StoreError) {
                value = try await store.get(key)
                version = try await store.version(of: key)
            } catch {
                throw CrashStepError.store(error)
            }
            let expected = model.entry(key)
            if value != expected?.value || version != expected?.version {
                throw CrashStepError.failure(CrashFailure(
                    "\(context): get(\(crashDescribe(key))) = \(value.map { "\($0.count) bytes" } ?? "nil") v\(version ?? 0), " +
                    "expected \(expected.map { "\($0.value.count) bytes" } ?? "nil") v\(expected?.version ?? 0)"))
            }
        }
        let someKey = recording.keys[random.below(recording.keys.count)]
        let prefix = Array(someKey.prefix(random.within(1...2)))
        let listed = try await crashListAll(store, prefix: prefix, page: random.within(1...3))
        let expectedListing = model.list(prefix: prefix, after: nil, limit: Int.max)
        if listed != expectedListing {
            throw CrashStepError.failure(CrashFailure(
                "\(context): list(prefix: \(crashDescribe(prefix))): \(crashDifference(listed, expectedListing))"))
        }
        var readBack: [UInt8]?
        do throws(StoreError) {
            _ = try await store.check()
            let probe: [UInt8] = Array("crash/probe".utf8)
            _ = try await store.set(probe, [1, 2, 3])
            readBack = try await store.get(probe)
        } catch {
            throw CrashStepError.store(error)
        }
        if readBack != [1, 2, 3] {
            throw CrashStepError.failure(CrashFailure("\(context): a write after recovery did not read back"))
        }
        return found
    } catch {
        switch error {
        case .store(let error):
            throw CrashFailure("\(context): \(error.name) after recovery")
        case .failure(let failure):
            throw failure
        }
    }
}

/// Places a power cut at every write and flush of `recording` (or ``CrashCampaignConfiguration/maximumCuts``
/// of them, evenly spread) and checks every post-crash image of every plan.
public func crashSweep(_ recording: CrashRecording) async throws(CrashFailure) -> CrashSweepReport {
    let configuration = recording.configuration
    var report = CrashSweepReport()
    var random = CrashRandom(seed: configuration.workload.seed ^ 0x5EED_C0A5_7000_0001)
    let total = recording.events.count + 1
    let budget = Swift.min(total, configuration.maximumCuts ?? total)
    let replica = CrashDevice(blockSize: configuration.blockSize, blockCount: configuration.blockCount)
    var replayed = 0
    var lower = 0
    var upper = 0
    for slot in 0..<budget {
        // Cut points spread evenly, always including the first and the last.
        let cut = budget == 1 ? total - 1 : slot * (total - 1) / (budget - 1)
        while replayed < cut {
            replica.apply(recording.events[replayed])
            replayed += 1
        }
        var extra: CrashWrite?
        if cut < recording.events.count, case .write(let write) = recording.events[cut] { extra = write }
        // Acknowledged: every transaction whose events all completed before the cut; possibly present: those
        // that had started by the event in flight.
        while lower < recording.acknowledged.count && recording.acknowledged[lower].acknowledgedEvent <= cut { lower += 1 }
        while upper < recording.acknowledged.count && recording.acknowledged[upper].startEvent <= cut { upper += 1 }
        report.cutPoints += 1
        for plan in configuration.plans {
            let repeats = plan == .dropAll || plan == .keepAll ? 1 : configuration.randomRepeats
            for attempt in 0..<repeats {
                let image = replica.crashImage(plan, random: &random, extra: extra)
                let context = "seed \(configuration.workload.seed) cut \(cut)/\(recording.events.count) plan \(plan.name)#\(attempt)"
                let found = try await crashVerify(image: image, recording: recording, lower: lower, upper: upper,
                                                  random: &random, context: context)
                report.images += 1
                if found == 0 { report.unformatted += 1 }
                if found > lower { report.inFlightKept += 1 }
            }
        }
    }
    return report
}

/// What the bit-flip campaign saw.
public struct CrashBitFlipReport {
    /// Bits flipped (one per image).
    public var flips = 0
    /// Flips `open` reported as `.corrupt`.
    public var detectedAtOpen = 0
    /// Flips a read (`get`, `list`) or `check()` reported as `.corrupt`.
    public var detectedAtRead = 0
    /// Flips that opened to the state before the last commit (the newest meta page, or a page the newest commit
    /// wrote, damaged: the store cannot tell it from a commit cut short by a crash, so it falls back one commit).
    public var rolledBack = 0
    /// Flips that changed nothing visible (an unreachable block).
    public var harmless = 0
}

/// Flips one bit at a time in the final image of `recording` (in `flips` blocks spread over the device, most of
/// them holding data) and checks that each surfaces as `.corrupt` or does not matter — never as wrong bytes.
public func crashBitFlips(_ recording: CrashRecording, _ flips: Int) async throws(CrashFailure) -> CrashBitFlipReport {
    let configuration = recording.configuration
    var report = CrashBitFlipReport()
    var random = CrashRandom(seed: configuration.workload.seed ^ 0xB17F_11B5)
    let final = CrashDevice.replay(recording.events[...], onto: CrashDevice(blockSize: configuration.blockSize,
        blockCount: configuration.blockCount).durable, blockSize: configuration.blockSize)
    let image = final.crashImage(.keepAll, random: &random)
    let imageDevice = CrashDevice(image: image, blockSize: configuration.blockSize)
    var used: [UInt64] = []
    for block in 0..<configuration.blockCount where !imageDevice.isZero(block: block) { used.append(block) }
    let expected = recording.model(after: recording.acknowledged.count)
    for number in 0..<flips {
        let block = number % 8 == 7 || used.isEmpty
            ? UInt64(random.below(Int(configuration.blockCount)))
            : used[(number * used.count / Swift.max(flips, 1) + random.below(2)) % used.count]
        let bit = random.below(configuration.blockSize * 8)
        let device = CrashDevice(image: image, blockSize: configuration.blockSize)
        device.flipBit(block: block, bit: bit)
        let context = "seed \(configuration.workload.seed) flip of bit \(bit) in block \(block)"
        report.flips += 1
        let store: KeyValueStore<CrashDevice>
        do throws(StoreError) {
            store = try await KeyValueStore.open(device, options: configuration.options)
        } catch {
            guard case .corrupt(let named) = error else {
                throw CrashFailure("\(context): open failed with \(error.name), expected corrupt or success")
            }
            if named >= configuration.blockCount {
                throw CrashFailure("\(context): corrupt names block \(named), beyond the device")
            }
            report.detectedAtOpen += 1
            continue
        }
        var damaged = false
        var rolledBack = false
        var model = expected
        // The listing: an error must be .corrupt; entries must be a consistent state.
        do throws(CrashStepError) {
            let entries = try await crashListAll(store, prefix: [], page: 5)
            if entries != expected.entries {
                let digest = StoreModel.digest(of: entries)
                // Only one way to see an older state is allowed: the newest commit damaged (its meta page, or a page
                // that fails its commit digest), so the store opens the one before it — exactly the previous
                // commit, as after a commit cut short by a crash (which a store cannot tell from a flipped bit).
                // Any other state is wrong bytes.
                let previous = recording.acknowledged.count - 1
                if previous < 1 || recording.digests[previous] != digest || recording.model(after: previous).entries != entries {
                    throw CrashStepError.failure(CrashFailure(
                        "\(context): wrong bytes listed: \(crashDifference(entries, expected.entries))"))
                }
                model = recording.model(after: previous)
                rolledBack = true
            }
        } catch {
            switch error {
            case .store(let error):
                guard case .corrupt = error else {
                    throw CrashFailure("\(context): list failed with \(error.name), expected corrupt")
                }
                damaged = true
            case .failure(let failure):
                throw failure
            }
        }
        for key in recording.keys {
            var value: [UInt8]?
            do throws(StoreError) {
                value = try await store.get(key)
            } catch {
                guard case .corrupt = error else {
                    throw CrashFailure("\(context): get(\(crashDescribe(key))) failed with \(error.name), expected corrupt")
                }
                damaged = true
                continue
            }
            if value != model.entry(key)?.value {
                throw CrashFailure("\(context): get(\(crashDescribe(key))) returned wrong bytes " +
                    "(\(value.map { "\($0.count) bytes" } ?? "nil"), expected \(model.entry(key).map { "\($0.value.count) bytes" } ?? "nil"))")
            }
        }
        var checked = true
        do throws(StoreError) {
            _ = try await store.check()
        } catch {
            guard case .corrupt = error else {
                throw CrashFailure("\(context): check() failed with \(error.name), expected corrupt")
            }
            checked = false
        }
        if damaged && checked { throw CrashFailure("\(context): reads saw damage but check() passed") }
        if rolledBack { report.rolledBack += 1 }
        else if damaged { report.detectedAtRead += 1 }
        else if checked { report.harmless += 1 }
        else { report.detectedAtRead += 1 }  // only check() saw it
    }
    return report
}

/// What the failed-device campaign saw.
public struct CrashFailedDeviceReport {
    /// Faults injected (one run each).
    public var faults = 0
    /// Post-fault images reopened and checked.
    public var images = 0
}

/// Fails one write (or, with `failFlushes`, one flush) with `.io` per run, at up to `budget` events spread over
/// `recording`'s log, rerunning the same workload each time. The transaction in progress must fail; after a
/// failed flush the store must refuse writes; a reopen from the post-fault image (every plan) must hold every
/// transaction acknowledged before the fault and at most the failed one besides.
public func crashFailedDevice(
    _ recording: CrashRecording, _ budget: Int, failFlushes: Bool
) async throws(CrashFailure) -> CrashFailedDeviceReport {
    let configuration = recording.configuration
    var report = CrashFailedDeviceReport()
    var random = CrashRandom(seed: configuration.workload.seed ^ 0xFA11_ED00)
    var targets: [Int] = []
    for (index, event) in recording.events.enumerated() {
        switch event {
        case .flush: if failFlushes { targets.append(index) }
        case .write: if !failFlushes { targets.append(index) }
        }
    }
    let count = Swift.min(budget, targets.count)
    for slot in 0..<count {
        let target = targets[count == 1 ? 0 : slot * (targets.count - 1) / (count - 1)]
        let what = failFlushes ? "flush" : "write"
        let context = "seed \(configuration.workload.seed) failed \(what) at event \(target)"
        let device = CrashDevice(blockSize: configuration.blockSize, blockCount: configuration.blockCount)
        if failFlushes { device.failingFlush = target } else { device.failingWrite = target }
        report.faults += 1
        var acknowledged = 0
        var faulted = false
        var opened: KeyValueStore<CrashDevice>?
        do throws(StoreError) {
            opened = try await KeyValueStore.format(device, options: configuration.options)
            acknowledged = 1
        } catch {
            guard error == .io else { throw CrashFailure("\(context): format threw \(error.name), expected io") }
            faulted = true
        }
        if let store = opened {
            if device.eventCount > target {
                throw CrashFailure("\(context): format succeeded although its \(what) failed")
            }
            var workload = CrashWorkload(configuration.workload)
            var model = StoreModel()
            for number in 0..<configuration.workload.transactions {
                let transaction = workload.next(model)
                do throws(CrashStepError) {
                    if try await crashExecute(transaction, on: store, model: &model) != nil { acknowledged += 1 }
                } catch {
                    switch error {
                    case .store(let error):
                        guard error == .io else {
                            throw CrashFailure("\(context): transaction \(number) threw \(error.name), expected io")
                        }
                        faulted = true
                    case .failure(let failure):
                        throw CrashFailure("\(context): transaction \(number): \(failure.message)")
                    }
                }
                if faulted { break }
                if device.eventCount > target {
                    throw CrashFailure("\(context): transaction \(number) was acknowledged although its \(what) failed")
                }
            }
            guard faulted else { throw CrashFailure("\(context): the workload never reached the fault") }
            if failFlushes {
                // A failed flush is fatal for the session: the store must refuse further writes.
                var accepted = false
                do throws(StoreError) {
                    _ = try await store.set(Array("crash/after-failed-flush".utf8), [9])
                    accepted = true
                } catch {
                    guard error == .io || error == .closed else {
                        throw CrashFailure("\(context): a write after a failed flush threw \(error.name), expected io or closed")
                    }
                }
                if accepted { throw CrashFailure("\(context): the store accepted a write after a failed flush") }
            }
        }
        for plan in configuration.plans {
            let image = device.crashImage(plan, random: &random)
            _ = try await crashVerify(image: image, recording: recording, lower: acknowledged,
                                      upper: Swift.min(acknowledged + 1, recording.acknowledged.count),
                                      random: &random, context: context + " plan \(plan.name)")
            report.images += 1
        }
    }
    return report
}
