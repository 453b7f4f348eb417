/// A ``StoreDevice`` over Runtime's ``BlockDevice`` (virtio-blk in prod, a host file in dev).
///
/// The one Store file that imports Runtime, so it exists only under Embedded Swift: mk/image.mk compiles it into
/// the `Store` module of images, and so does SwiftPM with Package.swift's `Embedded` trait (an app package); the host
/// tools' `Store` (trait off, full Swift) has no Runtime and leaves it out.
#if hasFeature(Embedded)
import Runtime
import _Concurrency

/// Runtime's ``BlockDevice`` seen as a ``StoreDevice``: block numbers become byte offsets, ABI errors
/// become ``StoreDeviceError`` (`.invalid` stays `.invalid`, every other failure is `.io`).
public final class BlockDeviceStore: StoreDevice {
    /// The device underneath.
    public let device: BlockDevice
    public var blockSize: Int { device.blockSize }
    public let blockCount: UInt64

    /// Wraps an acquired block device.
    public init(_ device: BlockDevice) {
        self.device = device
        self.blockCount = device.capacity / UInt64(device.blockSize)
    }

    /// Acquires the block device declared as `name` in the manifest and wraps it.
    /// - Throws: ``StoreDeviceError/invalid`` when there is no such device or it was acquired already.
    public static func acquire(_ name: String) throws(StoreDeviceError) -> BlockDeviceStore {
        do throws(ABIError) {
            return BlockDeviceStore(try BlockDevice.acquire(name))
        } catch {
            throw .invalid
        }
    }

    private func offset(_ block: UInt64) throws(StoreDeviceError) -> UInt64 {
        let (offset, overflow) = block.multipliedReportingOverflow(by: UInt64(device.blockSize))
        if overflow { throw .invalid }
        return offset
    }

    private static func map(_ error: ABIError) -> StoreDeviceError { error == .invalid ? .invalid : .io }

    // Runtime's asynchronous block I/O: other tasks (the network) run while a request is in flight.
    /// Reads whole blocks at `block × blockSize`.
    public func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) async throws(StoreDeviceError) {
        let at = try offset(block)
        do throws(ABIError) { try await device.read(at: at, into: buffer) } catch { throw Self.map(error) }
    }

    /// Writes whole blocks at `block × blockSize`.
    public func write(block: UInt64, from buffer: UnsafeRawBufferPointer) async throws(StoreDeviceError) {
        let at = try offset(block)
        do throws(ABIError) { try await device.write(at: at, from: buffer) } catch { throw Self.map(error) }
    }

    /// The device's durability barrier.
    public func flush() async throws(StoreDeviceError) {
        do throws(ABIError) { try await device.flush() } catch { throw Self.map(error) }
    }
}
#endif
