/// The crash suite's fault-injecting block device.
///
/// Reads see every write so far. The *durable* image holds what survives a power cut for certain: every write
/// completed before the last completed flush. Writes since then are *unflushed*: at a power cut
/// (``crashImage(_:random:)``) any subset of them may survive, in any order, each torn at block boundaries and
/// each block torn at 512-byte sector boundaries (no atomicity larger than a sector is assumed). The device can
/// also fail one chosen write or flush with `.io` and flip bits in stored blocks. With ``recordsEvents`` it keeps a
/// log of every write and flush so that a power cut can be placed at each of them afterwards, by replaying the log
/// into a fresh device (``replay(_:)``) and cutting there.
import Store

/// One write request as the device received it: `bytes.count` is a multiple of the block size.
public struct CrashWrite {
    /// The first block written.
    public var block: UInt64
    /// The bytes of every block written, in order.
    public var bytes: [UInt8]
}

/// A write or a flush, in the order the store issued them.
public enum CrashEvent {
    case write(CrashWrite)
    case flush
}

/// Which of the unflushed writes survive a power cut.
public enum CrashPlan: CaseIterable {
    /// None: the image is the durable one.
    case dropAll
    /// All of them, whole, in issue order.
    case keepAll
    /// A random subset, whole, applied in a random order (a later one wins where they overlap).
    case keepSubset
    /// A random subset in a random order, each write torn at block boundaries and each kept block torn at
    /// sector boundaries (some sectors new, some old).
    case keepSubsetTorn

    /// A short name for reports.
    public var name: String {
        switch self {
        case .dropAll: return "drop-all"
        case .keepAll: return "keep-all"
        case .keepSubset: return "subset"
        case .keepSubsetTorn: return "torn"
        }
    }
}

/// A fault-injecting, power-cut-simulating ``StoreDevice`` (see the file's introduction).
public final class CrashDevice: StoreDevice {
    /// The unit of atomicity at a power cut.
    public static let sectorSize = 512

    public let blockSize: Int
    public let blockCount: UInt64
    /// What survives a power cut for certain.
    public private(set) var durable: [UInt8]
    /// What reads see.
    var current: [UInt8]
    /// Writes completed (or failed) since the last completed flush, in issue order.
    public private(set) var unflushed: [CrashWrite] = []
    /// Writes and flushes issued so far (failed ones included).
    public private(set) var eventCount = 0
    /// The log of every write and flush, kept while ``recordsEvents`` is true.
    public private(set) var events: [CrashEvent] = []
    /// Whether to keep ``events``.
    public var recordsEvents = false
    /// The event number (counting from 0) of a write to fail with `.io`; its blocks may or may not land.
    public var failingWrite: Int?
    /// The event number of a flush to fail with `.io`; the writes before it stay unflushed.
    public var failingFlush: Int?
    /// Reads served.
    public private(set) var reads = 0

    /// A zero-filled device.
    public init(blockSize: Int, blockCount: UInt64) {
        self.blockSize = blockSize
        self.blockCount = blockCount
        durable = [UInt8](repeating: 0, count: blockSize * Int(blockCount))
        current = durable
    }

    /// A device whose durable contents are `image` (e.g. a post-crash image); `image.count` must be a multiple of
    /// `blockSize`.
    public init(image: [UInt8], blockSize: Int) {
        self.blockSize = blockSize
        self.blockCount = UInt64(image.count / blockSize)
        durable = image
        current = image
    }

    func range(_ block: UInt64, _ count: Int) -> Range<Int>? {
        guard count > 0, count % blockSize == 0, block < blockCount,
              UInt64(count / blockSize) <= blockCount - block else { return nil }
        let start = Int(block) * blockSize
        return start..<start + count
    }

    public func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) async throws(StoreDeviceError) {
        guard let range = range(block, buffer.count) else { throw .invalid }
        reads += 1
        current.withUnsafeBytes { bytes in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[range]))
        }
    }

    public func write(block: UInt64, from buffer: UnsafeRawBufferPointer) async throws(StoreDeviceError) {
        guard range(block, buffer.count) != nil else { throw .invalid }
        let write = CrashWrite(block: block, bytes: [UInt8](buffer))
        let number = eventCount
        apply(.write(write))
        if number == failingWrite { throw .io }
    }

    public func flush() async throws(StoreDeviceError) {
        let number = eventCount
        if number == failingFlush {
            // Counted and logged as an event, but nothing becomes durable (fsyncgate: the data may be lost).
            eventCount += 1
            if recordsEvents { events.append(.flush) }
            throw .io
        }
        apply(.flush)
    }

    /// Performs one event as if the store had issued it (no checks); used to replay a log.
    public func apply(_ event: CrashEvent) {
        eventCount += 1
        if recordsEvents { events.append(event) }
        switch event {
        case .write(let write):
            let start = Int(write.block) * blockSize
            current.replaceSubrange(start..<start + write.bytes.count, with: write.bytes)
            unflushed.append(write)
        case .flush:
            for write in unflushed {
                let start = Int(write.block) * blockSize
                durable.replaceSubrange(start..<start + write.bytes.count, with: write.bytes)
            }
            unflushed.removeAll()
        }
    }

    /// A fresh device that has performed `events` in order, starting from `image`.
    public static func replay(_ events: ArraySlice<CrashEvent>, onto image: [UInt8], blockSize: Int) -> CrashDevice {
        let device = CrashDevice(image: image, blockSize: blockSize)
        for event in events { device.apply(event) }
        return device
    }

    /// The image a power cut now leaves: the durable image plus the unflushed writes `plan` keeps. With
    /// `extra`, that write (in flight at the cut) is a candidate too. Does not change the device.
    public func crashImage(_ plan: CrashPlan, random: inout CrashRandom, extra: CrashWrite? = nil) -> [UInt8] {
        var image = durable
        var candidates = unflushed
        if let extra { candidates.append(extra) }
        switch plan {
        case .dropAll:
            break
        case .keepAll:
            for write in candidates { put(write, into: &image) }
        case .keepSubset:
            for write in random.shuffled(candidates) where random.chance(50) { put(write, into: &image) }
        case .keepSubsetTorn:
            for write in random.shuffled(candidates) where random.chance(70) {
                let blocks = write.bytes.count / blockSize
                for index in 0..<blocks where blocks == 1 || random.chance(60) {
                    let block = write.block + UInt64(index)
                    let offset = index * blockSize
                    let data = write.bytes[offset..<offset + blockSize]
                    if blockSize > Self.sectorSize && random.chance(50) {
                        tear(data, at: block, into: &image, random: &random)
                    } else {
                        let start = Int(block) * blockSize
                        image.replaceSubrange(start..<start + blockSize, with: data)
                    }
                }
            }
        }
        return image
    }

    func put(_ write: CrashWrite, into image: inout [UInt8]) {
        let start = Int(write.block) * blockSize
        image.replaceSubrange(start..<start + write.bytes.count, with: write.bytes)
    }

    /// Writes some sectors of `data` (one block) into `image` at `block`, keeping the old bytes elsewhere; at least
    /// one sector stays old and one becomes new, so the block is really torn.
    func tear(_ data: ArraySlice<UInt8>, at block: UInt64, into image: inout [UInt8], random: inout CrashRandom) {
        let sectors = blockSize / Self.sectorSize
        let alwaysOld = random.below(sectors)
        var alwaysNew = random.below(sectors - 1)
        if alwaysNew >= alwaysOld { alwaysNew += 1 }
        let start = Int(block) * blockSize
        for sector in 0..<sectors where sector == alwaysNew || (sector != alwaysOld && random.chance(50)) {
            let from = data.startIndex + sector * Self.sectorSize
            image.replaceSubrange(start + sector * Self.sectorSize..<start + (sector + 1) * Self.sectorSize,
                                  with: data[from..<from + Self.sectorSize])
        }
    }

    /// Flips bit `bit` (0 ..< blockSize * 8) of `block` in both the durable image and what reads see.
    public func flipBit(block: UInt64, bit: Int) {
        let index = Int(block) * blockSize + bit / 8
        durable[index] ^= UInt8(1) << UInt8(bit % 8)
        current[index] ^= UInt8(1) << UInt8(bit % 8)
    }

    /// Whether `block` of the durable image holds only zero bytes.
    public func isZero(block: UInt64) -> Bool {
        let start = Int(block) * blockSize
        for index in start..<start + blockSize where durable[index] != 0 { return false }
        return true
    }
}
