#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Store

/// A ``StoreDevice`` over a regular file: `pread`/`pwrite` of whole blocks and `fdatasync` as the flush, so the
/// host tool (`swiftlet store ...`) reads and writes the same on-disk format the unikernel does.
///
/// Short transfers are continued and `EINTR` retried; any other failure is ``StoreDeviceError/io``. After a failed
/// `fdatasync` the kernel may have dropped the dirty pages, so the store treats it as fatal for the session.
public final class FileStoreDevice: StoreDevice {
    public let blockSize: Int
    public let blockCount: UInt64
    /// The file's path, for messages.
    public let path: String
    let descriptor: Int32

    /// Opens an existing file whose size is a non-zero multiple of `blockSize`.
    /// - Parameter blockSize: bytes per block; nil picks 4096 when the size is a multiple of it, else 512.
    /// - Throws: ``SwiftletError`` with ``StoreTool/Status/file`` when the file is missing, unreadable or misaligned.
    public init(path: String, blockSize: Int? = nil, writable: Bool) throws {
        let descriptor = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw SwiftletError("cannot open \(path): \(reason)",
                                remedy: errno == ENOENT ? "create it with swiftlet store create \(path) --size 64M" : "",
                                status: StoreTool.Status.file)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw SwiftletError("\(path) is not a regular file", remedy: "give the store's file", status: StoreTool.Status.file)
        }
        let size = UInt64(info.st_size)
        let chosen = blockSize ?? (size % 4096 == 0 ? 4096 : 512)
        guard size > 0, size % UInt64(chosen) == 0 else {
            close(descriptor)
            throw SwiftletError("\(path) is \(size) bytes, not a non-zero multiple of \(chosen)-byte blocks",
                                remedy: "give a store made by swiftlet store create", status: StoreTool.Status.file)
        }
        self.descriptor = descriptor
        self.path = path
        self.blockSize = chosen
        self.blockCount = size / UInt64(chosen)
    }

    /// Creates `path` (which must not exist) as `size` zero bytes.
    /// - Throws: ``SwiftletError`` with ``StoreTool/Status/file`` when it exists or cannot be made.
    public static func create(path: String, size: UInt64, blockSize: Int) throws -> FileStoreDevice {
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let exists = errno == EEXIST
            throw SwiftletError("cannot create \(path): \(String(cString: strerror(errno)))",
                                remedy: exists ? "remove it first, or pick another name" : "", status: StoreTool.Status.file)
        }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(size)) == 0, fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw SwiftletError("cannot size \(path) to \(size) bytes: \(reason)", status: StoreTool.Status.file)
        }
        return try FileStoreDevice(path: path, blockSize: blockSize, writable: true)
    }

    deinit { close(descriptor) }

    func offset(_ block: UInt64, _ count: Int) -> off_t? {
        guard count > 0, count % blockSize == 0, block < blockCount,
              UInt64(count / blockSize) <= blockCount - block else { return nil }
        return off_t(block) * off_t(blockSize)
    }

    public func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) async throws(StoreDeviceError) {
        guard let start = offset(block, buffer.count), let base = buffer.baseAddress else { throw .invalid }
        var done = 0
        while done < buffer.count {
            let result = pread(descriptor, base + done, buffer.count - done, start + off_t(done))
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw .io }
            done += result
        }
    }

    public func write(block: UInt64, from buffer: UnsafeRawBufferPointer) async throws(StoreDeviceError) {
        guard let start = offset(block, buffer.count), let base = buffer.baseAddress else { throw .invalid }
        var done = 0
        while done < buffer.count {
            let result = pwrite(descriptor, base + done, buffer.count - done, start + off_t(done))
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw .io }
            done += result
        }
    }

    public func flush() async throws(StoreDeviceError) {
        while fdatasync(descriptor) != 0 {
            if errno != EINTR { throw .io }
        }
    }
}
