/// An in-memory ``StoreDevice`` (the shape of mirage-block's `mem` device): for tests and host tools.
import _Concurrency

/// A ``StoreDevice`` kept in RAM. Every completed write is "durable" at once; ``flush()`` only counts.
///
/// Tests reach the raw bytes through ``withBytes(_:)`` (to flip bits, to copy a crash image) and can make
/// requests fail with ``failWrites`` and ``failFlushes``.
public final class MemoryStoreDevice: StoreDevice {
    /// Bytes per block.
    public let blockSize: Int
    /// Number of blocks.
    public let blockCount: UInt64
    /// The device contents.
    public private(set) var bytes: [UInt8]
    /// Completed read requests.
    public private(set) var reads = 0
    /// Completed write requests.
    public private(set) var writes = 0
    /// Completed flushes.
    public private(set) var flushes = 0
    /// When set, every write fails with ``StoreDeviceError/io`` (and changes nothing).
    public var failWrites = false
    /// When set, every flush fails with ``StoreDeviceError/io``.
    public var failFlushes = false

    /// A zero-filled device of `blockCount` blocks of `blockSize` bytes.
    /// - Precondition: `blockSize` is a power of two of at least 512.
    public init(blockSize: Int = 512, blockCount: UInt64) {
        precondition(blockSize >= 512 && blockSize & (blockSize - 1) == 0, "block size must be a power of two >= 512")
        self.blockSize = blockSize
        self.blockCount = blockCount
        self.bytes = [UInt8](repeating: 0, count: blockSize * Int(blockCount))
    }

    /// A device holding a copy of `bytes` (a multiple of `blockSize` long).
    public init(blockSize: Int = 512, copying bytes: [UInt8]) {
        precondition(blockSize >= 512 && blockSize & (blockSize - 1) == 0 && bytes.count % blockSize == 0)
        self.blockSize = blockSize
        self.blockCount = UInt64(bytes.count / blockSize)
        self.bytes = bytes
    }

    /// Lends the contents to `body` for inspection or change (bit flips, torn blocks).
    public func withBytes<R>(_ body: (inout [UInt8]) -> R) -> R { body(&bytes) }

    private func range(_ block: UInt64, _ count: Int) throws(StoreDeviceError) -> Range<Int> {
        guard count > 0, count % blockSize == 0, block < blockCount else { throw .invalid }
        let start = Int(block) * blockSize
        guard count <= bytes.count - start else { throw .invalid }
        return start..<(start + count)
    }

    /// Copies whole blocks out of ``bytes``.
    public func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) async throws(StoreDeviceError) {
        let range = try range(block, buffer.count)
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[range])) }
        reads += 1
    }

    /// Copies whole blocks into ``bytes`` (nothing when ``failWrites`` is set).
    public func write(block: UInt64, from buffer: UnsafeRawBufferPointer) async throws(StoreDeviceError) {
        let range = try range(block, buffer.count)
        if failWrites { throw .io }
        bytes.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[range]).copyMemory(from: buffer) }
        writes += 1
    }

    /// Counts the flush, or fails when ``failFlushes`` is set.
    public func flush() async throws(StoreDeviceError) {
        if failFlushes { throw .io }
        flushes += 1
    }
}
