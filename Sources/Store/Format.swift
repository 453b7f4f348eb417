/// The on-disk format: fixed little-endian layouts (docs/STORE.md §2 draws them).
///
/// Every page starts with the same 32-byte header:
///
///     0  u32 CRC-32C of bytes 4..<pageSize     4  u8 type   5 u8 level   6 u16 count
///     8  u64 page number                       16 u64 transaction id (the commit that wrote the page)
///     24 u16 cell start (tree pages)           26 u16 0     28 u32 0
///
/// Tree pages (branch, leaf) add the leftmost child (u64 page, u64 transaction id) at 32..<48 (zero in
/// leaves), then a slot array of `count` u16 cell offsets sorted by key, and cells packed at the page's end.
/// A parent records each child's page number *and* transaction id, so a stale page (a lost write) or a
/// misdirected one fails the check even when its own checksum is fine.
///
///     leaf cell:   u8 key length, u8 flags (1 = overflow), u32 value length, u64 version, key,
///                  then the value, or (flags & 1) u64 first overflow page, u64 its transaction id
///     branch cell: u64 child page, u64 child transaction id, u8 key length, key
///                  (the child holds keys >= key; the leftmost child keys < the first cell's key)
///
/// An overflow extent is `ceil(length / (pageSize - 32))` consecutive pages, each with the header
/// (type overflow, count 0) and up to `pageSize - 32` value bytes from offset 32.
/// Meta pages (0 and 1) hold, from offset 32: the signature, format version, page size, page count, root
/// page, root transaction id, root level, key count (see ``MetaRecord``).
enum PageType: UInt8 {
    case meta = 1
    case branch = 2
    case leaf = 3
    case overflow = 4
}

enum Layout {
    static let checksum = 0
    static let type = 4
    static let level = 5
    static let count = 6
    static let page = 8
    static let transaction = 16
    static let cellStart = 24
    static let header = 32
    static let leftChild = 32
    static let leftTransaction = 40
    /// Where a tree page's slot array starts.
    static let slots = 48
    /// Leaf cell: bytes before the key.
    static let leafCellHeader = 14
    /// Branch cell: bytes before the key.
    static let branchCellHeader = 17
    static let overflowFlag: UInt8 = 1
    /// Deepest tree accepted (a 4 KiB-page tree of 2^64 keys is far shallower).
    static let maximumLevel = 24
    /// "SWLTSTOR" read as a little-endian u64.
    static let signature: UInt64 = 0x524F_5453_544C_5753
}

/// A page in memory: typed little-endian accessors at byte offsets. Callers check offsets against
/// ``size`` before reading anything whose position came from disk (``PageValidator`` does it once per load).
struct Page {
    let base: UnsafeMutableRawPointer
    let size: Int

    @inline(__always) func u8(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }
    @inline(__always) func u16(_ offset: Int) -> Int {
        Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
    @inline(__always) func u32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inline(__always) func u64(_ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    @inline(__always) func setU8(_ offset: Int, _ value: UInt8) { base.storeBytes(of: value, toByteOffset: offset, as: UInt8.self) }
    @inline(__always) func setU16(_ offset: Int, _ value: Int) {
        base.storeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian, toByteOffset: offset, as: UInt16.self)
    }
    @inline(__always) func setU32(_ offset: Int, _ value: UInt32) {
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }
    @inline(__always) func setU64(_ offset: Int, _ value: UInt64) {
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
    }

    var type: UInt8 { u8(Layout.type) }
    var level: Int { Int(u8(Layout.level)) }
    var count: Int { u16(Layout.count) }
    var number: UInt64 { u64(Layout.page) }
    var transaction: UInt64 { u64(Layout.transaction) }
    var cellStart: Int { u16(Layout.cellStart) }

    /// Clears the page and writes a header.
    func initialize(type: PageType, level: Int, number: UInt64, transaction: UInt64) {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        setU8(Layout.type, type.rawValue)
        setU8(Layout.level, UInt8(truncatingIfNeeded: level))
        setU64(Layout.page, number)
        setU64(Layout.transaction, transaction)
        setU16(Layout.cellStart, size)
    }

    /// Stores the checksum over bytes 4..<size.
    func seal() {
        setU32(Layout.checksum, CRC32C.checksum(base + 4, count: size - 4))
    }

    /// Whether the stored checksum matches the contents.
    var checksumMatches: Bool { u32(Layout.checksum) == CRC32C.checksum(base + 4, count: size - 4) }

    // MARK: Tree pages

    @inline(__always) func slot(_ index: Int) -> Int { u16(Layout.slots + 2 * index) }
    var freeSpace: Int { cellStart - (Layout.slots + 2 * count) }

    func leafKeyLength(_ cell: Int) -> Int { Int(u8(cell)) }
    func leafIsOverflow(_ cell: Int) -> Bool { u8(cell + 1) & Layout.overflowFlag != 0 }
    func leafValueLength(_ cell: Int) -> Int { Int(u32(cell + 2)) }
    func leafVersion(_ cell: Int) -> UInt64 { u64(cell + 6) }
    func leafKey(_ cell: Int) -> UnsafeRawPointer { UnsafeRawPointer(base + cell + Layout.leafCellHeader) }
    func leafCellSize(_ cell: Int) -> Int {
        Layout.leafCellHeader + leafKeyLength(cell) + (leafIsOverflow(cell) ? 16 : leafValueLength(cell))
    }
    func branchChild(_ cell: Int) -> (page: UInt64, transaction: UInt64) { (u64(cell), u64(cell + 8)) }
    func branchKeyLength(_ cell: Int) -> Int { Int(u8(cell + 16)) }
    func branchKey(_ cell: Int) -> UnsafeRawPointer { UnsafeRawPointer(base + cell + Layout.branchCellHeader) }
    func branchCellSize(_ cell: Int) -> Int { Layout.branchCellHeader + branchKeyLength(cell) }
    func cellSize(_ cell: Int) -> Int { type == PageType.leaf.rawValue ? leafCellSize(cell) : branchCellSize(cell) }
    func key(_ cell: Int) -> (UnsafeRawPointer, Int) {
        type == PageType.leaf.rawValue
            ? (leafKey(cell), leafKeyLength(cell)) : (branchKey(cell), branchKeyLength(cell))
    }
    var leftChild: (page: UInt64, transaction: UInt64) { (u64(Layout.leftChild), u64(Layout.leftTransaction)) }

    /// Child `index` of a branch: -1 is the leftmost child, `i >= 0` the child of cell `i`.
    func child(_ index: Int) -> (page: UInt64, transaction: UInt64) {
        index < 0 ? leftChild : branchChild(slot(index))
    }

    func setChild(_ index: Int, page: UInt64, transaction: UInt64) {
        if index < 0 {
            setU64(Layout.leftChild, page)
            setU64(Layout.leftTransaction, transaction)
        } else {
            let cell = slot(index)
            setU64(cell, page)
            setU64(cell + 8, transaction)
        }
    }

    /// Binary search of a leaf: the index of `key`, or where it would go.
    func leafSearch(_ key: UnsafeRawPointer, _ length: Int) -> (index: Int, found: Bool) {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) >> 1
            let cell = slot(middle)
            let order = compareKeys(leafKey(cell), leafKeyLength(cell), key, length)
            if order == 0 { return (middle, true) }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }

    /// Binary search of a branch: the child index (-1 = leftmost) whose range holds `key`.
    func branchSearch(_ key: UnsafeRawPointer, _ length: Int) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) >> 1
            let cell = slot(middle)
            if compareKeys(branchKey(cell), branchKeyLength(cell), key, length) <= 0 {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low - 1
    }

    /// Removes cell `index` from the slot array (its bytes become garbage until ``compact(scratch:)``).
    func removeSlot(_ index: Int) {
        let n = count
        if index + 1 < n {
            (base + Layout.slots + 2 * index).copyMemory(
                from: base + Layout.slots + 2 * (index + 1), byteCount: 2 * (n - index - 1))
        }
        setU16(Layout.count, n - 1)
    }

    /// Bytes the live cells and their slots take.
    var usedSpace: Int {
        var total = 0
        for index in 0..<count { total += cellSize(slot(index)) + 2 }
        return total
    }

    /// Repacks the live cells at the page's end (through `scratch`, a page-sized buffer).
    func compact(scratch: UnsafeMutableRawPointer) {
        scratch.copyMemory(from: base, byteCount: size)
        let old = Page(base: scratch, size: size)
        var end = size
        for index in 0..<count {
            let cell = old.slot(index)
            let length = old.cellSize(cell)
            end -= length
            (base + end).copyMemory(from: scratch + cell, byteCount: length)
            setU16(Layout.slots + 2 * index, end)
        }
        setU16(Layout.cellStart, end)
    }

    /// Inserts a cell of `length` bytes at slot `index`, copying it from `cell`. The caller made sure
    /// `length + 2 <= freeSpace` (compacting first when garbage allows).
    func insertCell(at index: Int, _ cell: UnsafeRawPointer, length: Int) {
        let n = count
        let start = cellStart - length
        (base + start).copyMemory(from: cell, byteCount: length)
        if index < n {
            (base + Layout.slots + 2 * (index + 1)).copyMemory(
                from: base + Layout.slots + 2 * index, byteCount: 2 * (n - index))
        }
        setU16(Layout.slots + 2 * index, start)
        setU16(Layout.count, n + 1)
        setU16(Layout.cellStart, start)
    }
}

/// Lexicographic order of byte strings (a shorter prefix sorts first).
@inline(__always)
func compareKeys(_ a: UnsafeRawPointer, _ aLength: Int, _ b: UnsafeRawPointer, _ bLength: Int) -> Int {
    let n = min(aLength, bLength)
    var index = 0
    // Eight bytes at a time: read big-endian, an integer comparison is the bytewise one.
    while n - index >= 8 {
        let x = UInt64(bigEndian: a.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        let y = UInt64(bigEndian: b.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        if x != y { return x < y ? -1 : 1 }
        index += 8
    }
    while index < n {
        let x = a.load(fromByteOffset: index, as: UInt8.self)
        let y = b.load(fromByteOffset: index, as: UInt8.self)
        if x != y { return x < y ? -1 : 1 }
        index += 1
    }
    return aLength == bLength ? 0 : (aLength < bLength ? -1 : 1)
}

/// The fields of a meta page (pages 0 and 1; the one with the higher valid transaction id is current).
///
///     32 u64 signature "SWLTSTOR"   40 u32 format version   44 u32 page size   48 u64 page count
///     56 u64 root page (0 = empty)  64 u64 root transaction id  72 u32 root level  76 u32 0
///     80 u64 key count              88 u64 commit digest of the pages the transaction wrote
///
/// The commit digest (``CommitDigest``) lets a commit write its pages and its meta page with one flush: a
/// meta page whose transaction's pages are not all on disk as written fails it (docs/STORE.md §3).
struct MetaRecord: Equatable {
    var transaction: UInt64
    var pageCount: UInt64
    var root: UInt64
    var rootTransaction: UInt64
    var rootLevel: Int
    var keys: UInt64
    var digest: UInt64 = 0

    static let signatureOffset = 32
    static let versionOffset = 40
    static let pageSizeOffset = 44
    static let pageCountOffset = 48
    static let rootOffset = 56
    static let rootTransactionOffset = 64
    static let rootLevelOffset = 72
    static let keysOffset = 80
    static let digestOffset = 88

    func write(into page: Page, slot: UInt64) {
        page.initialize(type: .meta, level: 0, number: slot, transaction: transaction)
        page.setU64(Self.signatureOffset, Layout.signature)
        page.setU32(Self.versionOffset, StoreLimits.formatVersion)
        page.setU32(Self.pageSizeOffset, UInt32(truncatingIfNeeded: page.size))
        page.setU64(Self.pageCountOffset, pageCount)
        page.setU64(Self.rootOffset, root)
        page.setU64(Self.rootTransactionOffset, rootTransaction)
        page.setU32(Self.rootLevelOffset, UInt32(truncatingIfNeeded: rootLevel))
        page.setU64(Self.keysOffset, keys)
        page.setU64(Self.digestOffset, digest)
        page.seal()
    }

    enum ReadResult {
        case valid(MetaRecord)
        /// No signature: never formatted (or the block was never written).
        case blank
        case unsupported(UInt32)
        case invalid
    }

    /// Parses and checks meta page `slot`.
    static func read(_ page: Page, slot: UInt64) -> ReadResult {
        let hasSignature = page.u64(signatureOffset) == Layout.signature
        guard page.checksumMatches else { return hasSignature ? .invalid : .blank }
        guard hasSignature else { return .blank }
        let version = page.u32(versionOffset)
        guard version == StoreLimits.formatVersion else { return .unsupported(version) }
        guard page.type == PageType.meta.rawValue, page.number == slot, page.u32(pageSizeOffset) == UInt32(page.size)
        else { return .invalid }
        let record = MetaRecord(
            transaction: page.transaction, pageCount: page.u64(pageCountOffset), root: page.u64(rootOffset),
            rootTransaction: page.u64(rootTransactionOffset), rootLevel: Int(page.u32(rootLevelOffset)),
            keys: page.u64(keysOffset), digest: page.u64(digestOffset))
        // Counters far below their limits, so adding to them can never overflow.
        guard record.transaction < UInt64.max >> 1, record.keys < UInt64.max >> 1,
            record.pageCount >= StoreLimits.minimumPages, record.rootLevel <= Layout.maximumLevel,
            record.root == 0 || (record.root >= 2 && record.root < record.pageCount
                && record.rootTransaction <= record.transaction)
        else { return .invalid }
        return .valid(record)
    }
}

/// The commit digest: the wrapping sum, over every page a transaction wrote (tree pages and overflow pages),
/// of a 64-bit mix of the page's number and its CRC-32C. A sum, so the order pages are met in does not
/// matter; the mix (SplitMix64's finaliser) spreads each pair over all 64 bits. A page that holds anything
/// but what the transaction wrote (a lost or torn write, an older write of the same page) changes the
/// digest unless its CRC-32C collides as well.
enum CommitDigest {
    @inline(__always)
    static func term(page: UInt64, checksum: UInt32) -> UInt64 {
        var z = page &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(checksum)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Structure checks for a tree page whose checksum matched: afterwards every slot, cell and length in it
/// lies inside the page, so the accessors above cannot read out of bounds or trap.
enum PageValidator {
    static func isValidTreePage(_ page: Page, pageCount: UInt64) -> Bool {
        let size = page.size
        let count = page.count
        let cellStart = page.cellStart
        let slotsEnd = Layout.slots + 2 * count
        guard slotsEnd <= cellStart, cellStart <= size else { return false }
        let isLeaf = page.type == PageType.leaf.rawValue
        if isLeaf {
            guard page.level == 0, page.u64(Layout.leftChild) == 0 else { return false }
        } else {
            guard page.type == PageType.branch.rawValue, page.level >= 1, page.level <= Layout.maximumLevel
            else { return false }
            let left = page.leftChild
            guard left.page >= 2, left.page < pageCount, left.transaction <= page.transaction else { return false }
        }
        var total = 2 * count
        for index in 0..<count {
            let cell = page.slot(index)
            // Each cell's size is added only once its offset and lengths are known to lie inside the page (a
            // `defer` here once read the size of a rejected, out-of-page cell: found by fuzzing, docs/FUZZING.md).
            if isLeaf {
                guard cell >= cellStart, cell <= size - Layout.leafCellHeader else { return false }
                let keyLength = page.leafKeyLength(cell)
                guard keyLength >= 1 else { return false }
                let valueLength = page.leafValueLength(cell)
                guard valueLength <= StoreLimits.maximumValueLength else { return false }
                let overflow = page.leafIsOverflow(cell)
                let length = Layout.leafCellHeader + keyLength + (overflow ? 16 : valueLength)
                guard length <= size - cell, page.leafVersion(cell) <= page.transaction else { return false }
                if overflow {
                    let first = page.u64(cell + Layout.leafCellHeader + keyLength)
                    let transaction = page.u64(cell + Layout.leafCellHeader + keyLength + 8)
                    let pages = UInt64(overflowPages(valueLength: valueLength, pageSize: size))
                    guard first >= 2, first < pageCount, pages <= pageCount - first, transaction <= page.transaction
                    else { return false }
                }
                total += length
            } else {
                guard cell >= cellStart, cell <= size - Layout.branchCellHeader else { return false }
                let keyLength = page.branchKeyLength(cell)
                guard keyLength >= 1, Layout.branchCellHeader + keyLength <= size - cell else { return false }
                let child = page.branchChild(cell)
                guard child.page >= 2, child.page < pageCount, child.transaction <= page.transaction else {
                    return false
                }
                total += Layout.branchCellHeader + keyLength
            }
        }
        // Cells cannot overlap: together they fit the cell area (splits and compaction rely on it).
        return total <= size - Layout.slots
    }

    /// Pages an overflow value of `valueLength` bytes takes.
    static func overflowPages(valueLength: Int, pageSize: Int) -> Int {
        let payload = pageSize - Layout.header
        return (valueLength + payload - 1) / payload
    }
}
