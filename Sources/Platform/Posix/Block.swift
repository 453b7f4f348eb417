/// Block.swift — one block device on a raw disk image file.
///
/// docs/DEVICES.md §5 and §7: whole-block reads and writes at block-aligned
/// offsets inside the capacity (Runtime has checked them; the platform checks
/// once more, cheaply, so that a bad request is INVALID rather than a sandbox
/// stop), any number of blocks per request, and flush as a durability
/// barrier. The ABI is asynchronous (submit, then take the completion); here a
/// request is performed at submit and its completion queued, at most
/// `queueDepth` of them, so the app sees the same API and ordering rules as
/// on virtio-blk. A waiting completion makes the device ready in
/// `swiftlet_platform_yield` (Yield.swift). `pread(2)`/`pwrite(2)` loop until
/// the whole range is done (a regular file may transfer less than asked, e.g.
/// above 2 GiB per call); an error is UNSPEC. End of file inside the capacity
/// (or a write that transfers nothing) means the file shrank under the app:
/// a device error that names the disk (DeviceError.swift, exit 251). Flush is
/// `fdatasync(2)`: the data and the metadata needed to read it back (the
/// file's size does not change) are on stable storage when it returns; it
/// covers every write before it, which is more than the ABI promises. The
/// sandbox module (C/sandbox_block.c) allows exactly these three calls on
/// this fd, with count <= capacity and offset < capacity.

import SwiftletABI
import SwiftletPosix

/// A block device of the tender's `--block` options.
final class BlockDisk {
    let name: [UInt8]
    /// The ABI handle, 0...63.
    let handle: Int
    let fd: Int32
    /// Bytes; a non-zero multiple of `blockSize`.
    let capacity: UInt64
    /// A power of two, 512...65536.
    let blockSize: UInt64
    var acquired = false
    /// Requests in flight at once (submitted, completion not yet taken); the ABI's queue_depth.
    static let queueDepth = 64
    /// Completions not yet taken, oldest first: (tag, status).
    private var completions: [(tag: UInt64, status: swiftlet_result_t)] = []
    private var nextCompletion = 0

    /// Whether a completion waits to be taken (the device is ready).
    var hasCompletion: Bool { self.nextCompletion < self.completions.count }

    init(name: [UInt8], handle: Int, fd: Int32, capacity: UInt64, blockSize: UInt64) {
        self.name = name
        self.handle = handle
        self.fd = fd
        self.capacity = capacity
        self.blockSize = blockSize
    }

    /// Whole blocks, non-empty, inside the capacity.
    func isValidRange(_ offset: UInt64, _ size: Int) -> Bool {
        let length = UInt64(size)
        guard size > 0, offset % self.blockSize == 0, length % self.blockSize == 0 else { return false }
        return offset <= self.capacity && length <= self.capacity - offset
    }

    /// Performs `request` now and queues its completion; AGAIN when `queueDepth` completions wait.
    func submit(_ request: swiftlet_block_request) -> swiftlet_result_t {
        guard self.completions.count - self.nextCompletion < BlockDisk.queueDepth else { return SWIFTLET_R_AGAIN }
        let status: swiftlet_result_t
        switch request.op {
        case UInt32(SWIFTLET_BLOCK_OP_READ.rawValue):
            guard let buffer = request.buffer else { return SWIFTLET_R_INVALID }
            status = self.read(at: request.offset, into: buffer, size: request.size)
        case UInt32(SWIFTLET_BLOCK_OP_WRITE.rawValue):
            guard let buffer = request.buffer else { return SWIFTLET_R_INVALID }
            status = self.write(at: request.offset, from: buffer, size: request.size)
        case UInt32(SWIFTLET_BLOCK_OP_FLUSH.rawValue):
            status = self.flush()
        default:
            return SWIFTLET_R_INVALID
        }
        if status == SWIFTLET_R_INVALID { return status }  // rejected: nothing was submitted
        if self.nextCompletion > 0 && self.nextCompletion == self.completions.count {
            self.completions.removeAll(keepingCapacity: true)
            self.nextCompletion = 0
        }
        self.completions.append((request.tag, status))
        return SWIFTLET_R_OK
    }

    /// Takes the oldest waiting completion, or AGAIN.
    func complete(tag: inout UInt64, status: inout swiftlet_result_t) -> swiftlet_result_t {
        guard self.hasCompletion else { return SWIFTLET_R_AGAIN }
        let completion = self.completions[self.nextCompletion]
        self.nextCompletion += 1
        tag = completion.tag
        status = completion.status
        return SWIFTLET_R_OK
    }

    func read(at offset: UInt64, into buffer: UnsafeMutablePointer<UInt8>, size: Int) -> swiftlet_result_t {
        guard self.isValidRange(offset, size) else { return SWIFTLET_R_INVALID }
        var done = 0
        while done < size {
            do throws(SyscallError) {
                // Pieces of exactly 2^j bytes: the seccomp rules bound offset + count per power of two
                // (sandbox_block.c), and every such piece inside the disk fits one of them.
                let piece = Self.largestPowerOfTwo(atMost: size - done)
                let count = try systemCall("pread64") {
                    pread(self.fd, buffer + done, piece, Int(offset) + done)
                }
                let injected = injectedFault(SWIFTLET_TEST_SITE_BLOCK) != SWIFTLET_TEST_FAULT_NONE
                if count == 0 || injected {
                    deviceError("block", self.name, "block file", "end of file reading byte ", offset + UInt64(done),
                                " of a disk of ", self.capacity, " bytes: the file shrank")
                }
                done += count
            } catch {
                return SWIFTLET_R_UNSPEC
            }
        }
        return SWIFTLET_R_OK
    }

    func write(at offset: UInt64, from buffer: UnsafePointer<UInt8>, size: Int) -> swiftlet_result_t {
        guard self.isValidRange(offset, size) else { return SWIFTLET_R_INVALID }
        var done = 0
        while done < size {
            do throws(SyscallError) {
                // Pieces of exactly 2^j bytes: the seccomp rules bound offset + count per power of two
                // (sandbox_block.c), and every such piece inside the disk fits one of them.
                let piece = Self.largestPowerOfTwo(atMost: size - done)
                let count = try systemCall("pwrite64") {
                    pwrite(self.fd, buffer + done, piece, Int(offset) + done)
                }
                if count == 0 {
                    deviceError("block", self.name, "block file", "nothing written at byte ", offset + UInt64(done),
                                " of a disk of ", self.capacity, " bytes")
                }
                done += count
            } catch {
                return SWIFTLET_R_UNSPEC
            }
        }
        return SWIFTLET_R_OK
    }

    /// The largest power of two not above `n` (n ≥ 1).
    static func largestPowerOfTwo(atMost n: Int) -> Int { 1 << (Int.bitWidth - 1 - n.leadingZeroBitCount) }

    func flush() -> swiftlet_result_t {
        do throws(SyscallError) {
            _ = try systemCall("fdatasync") { Int(fdatasync(self.fd)) }
            return SWIFTLET_R_OK
        } catch {
            return SWIFTLET_R_UNSPEC
        }
    }
}
