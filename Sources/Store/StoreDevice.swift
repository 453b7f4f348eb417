/// The block device the store runs over, and its errors.
///
/// The store's only view of storage: whole blocks read and written at block
/// numbers, and a flush that makes every completed write durable (virtio 1.2
/// §5.2 `VIRTIO_BLK_T_FLUSH`; `fdatasync` on a host file). Nothing else is
/// assumed: writes may complete in any order, and a block may be torn at any
/// 512-byte sector boundary by a crash (the store detects it by checksum).
import _Concurrency

/// A block device the store can run over: a real device (``BlockDeviceStore``), a test device, a host file.
///
/// Implementations must keep ``blockSize`` and ``blockCount`` fixed for the object's lifetime.
public protocol StoreDevice: AnyObject {
    /// Bytes per block: a power of two, at least 512.
    var blockSize: Int { get }
    /// Number of blocks.
    var blockCount: UInt64 { get }
    /// Reads `buffer.count / blockSize` whole blocks starting at `block` into `buffer`.
    /// - Precondition: `buffer.count` is a non-zero multiple of ``blockSize`` and the range lies inside the device.
    /// - Throws: ``StoreDeviceError/invalid`` for a bad range, ``StoreDeviceError/io`` when the device failed.
    func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) async throws(StoreDeviceError)
    /// Writes `buffer.count / blockSize` whole blocks starting at `block`. Not durable until ``flush()`` returns.
    /// - Throws: ``StoreDeviceError/invalid`` for a bad range, ``StoreDeviceError/io`` when the device failed.
    func write(block: UInt64, from buffer: UnsafeRawBufferPointer) async throws(StoreDeviceError)
    /// Durability barrier: every write completed before the call is on stable storage when it returns.
    /// - Throws: ``StoreDeviceError/io`` when the device failed (what reached the medium is then unknown).
    func flush() async throws(StoreDeviceError)
}

/// What a ``StoreDevice`` can report.
public enum StoreDeviceError: Error, Equatable {
    /// A request outside the device or not made of whole blocks.
    case invalid
    /// The device failed.
    case io
}

/// What a ``KeyValueStore`` operation can report.
public enum StoreError: Error, Equatable {
    /// The key is empty or longer than ``StoreLimits/maximumKeyLength`` bytes.
    case invalidKey
    /// The value is longer than ``StoreLimits/maximumValueLength`` bytes.
    case valueTooLarge
    /// No space for the change; nothing committed is lost and the store stays usable.
    case full
    /// The device holds no store (no valid meta block and no store signature).
    case notFormatted
    /// The device holds a store of an on-disk format version this code does not read.
    case unsupportedVersion(UInt32)
    /// The device is too small for a store (or smaller than the store recorded on it).
    case deviceTooSmall
    /// A checksum or structure check failed on the page starting at this device block.
    case corrupt(block: UInt64)
    /// Compare-and-set: a key's version did not match the one asked for.
    case conflict
    /// The device failed; after a failed write or flush the store refuses further writes until reopened.
    case io
    /// The store was closed.
    case closed
}
