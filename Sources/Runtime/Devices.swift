/// Net and block devices through the checked ABI.
///
/// An app declares its devices by name (`service`, `storage`, ...); `swiftlet
/// run` maps each name to a backend (TAP, passt, a file; virtio-net/blk in
/// prod). These wrappers hold the checks that make both modes reject the same
/// requests (Solo5's rules, plus multi-block I/O and flush): the platform is
/// only called with arguments that passed them.
import SwiftletABI

/// Bytes in an Ethernet header (no FCS): frames carry at most `mtu + 14` bytes.
public let ethernetHeaderLength = 14

/// A network device: non-blocking frame I/O.
public struct NetDevice {
    /// The ABI handle (0...63).
    public let handle: Int
    /// The device's MAC address.
    public let macAddress: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
    /// Largest IP payload per frame; frames are at most `mtu + 14` bytes.
    public let mtu: Int

    /// Acquires the net device declared as `name`.
    /// - Throws: ``ABIError/invalid`` when no such device exists or it was acquired already.
    public static func acquire(_ name: String) throws(ABIError) -> NetDevice {
        guard !name.isEmpty else { throw .invalid }
        var handle: swiftlet_handle_t = 0
        var info = swiftlet_net_info()
        let result = name.withCString { swiftlet_platform_net_acquire($0, &handle, &info) }
        if let error = ABIError(result) { throw error }
        guard handle < 64 else { throw .unspecified }
        Executor.shared.addWakeSource(handle: Int(handle))
        let m = info.mac_address
        return NetDevice(handle: Int(handle), macAddress: (m.0, m.1, m.2, m.3, m.4, m.5), mtu: Int(info.mtu))
    }

    /// Largest frame this device carries.
    public var maximumFrameLength: Int { mtu + ethernetHeaderLength }

    /// Reads one whole frame into `buffer` (which must hold ``maximumFrameLength`` bytes).
    /// - Returns: the frame's length.
    /// - Throws: ``ABIError/again`` when no frame is pending; ``ABIError/invalid`` for a short buffer.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ABIError) -> Int {
        guard let base = buffer.baseAddress, buffer.count >= maximumFrameLength else { throw .invalid }
        var length = 0
        let result = swiftlet_platform_net_read(
            swiftlet_handle_t(handle), base.assumingMemoryBound(to: UInt8.self), buffer.count, &length)
        if let error = ABIError(result) { throw error }
        return length
    }

    /// Queues one frame for sending.
    /// - Throws: ``ABIError/invalid`` when the frame is empty or longer than ``maximumFrameLength``;
    ///   ``ABIError/again`` when the transmit queue is full (nothing was queued).
    public func write(_ frame: UnsafeRawBufferPointer) throws(ABIError) {
        guard let base = frame.baseAddress, frame.count > 0, frame.count <= maximumFrameLength else {
            throw .invalid
        }
        let result = swiftlet_platform_net_write(
            swiftlet_handle_t(handle), base.assumingMemoryBound(to: UInt8.self), frame.count)
        if let error = ABIError(result) { throw error }
    }
}

/// A block device: whole-block reads and writes at block-aligned offsets, and flush.
public struct BlockDevice {
    /// The ABI handle (0...63).
    public let handle: Int
    /// Capacity in bytes (a multiple of ``blockSize``).
    public let capacity: UInt64
    /// Block size in bytes: a power of two, at least 512.
    public let blockSize: Int

    /// Acquires the block device declared as `name`.
    /// - Throws: ``ABIError/invalid`` when no such device exists or it was acquired already.
    public static func acquire(_ name: String) throws(ABIError) -> BlockDevice {
        guard !name.isEmpty else { throw .invalid }
        var handle: swiftlet_handle_t = 0
        var info = swiftlet_block_info()
        let result = name.withCString { swiftlet_platform_block_acquire($0, &handle, &info) }
        if let error = ABIError(result) { throw error }
        let size = info.block_size
        guard handle < 64, size >= 512, size & (size - 1) == 0, info.capacity % size == 0 else {
            throw .unspecified
        }
        return BlockDevice(handle: Int(handle), capacity: info.capacity, blockSize: Int(size))
    }

    /// Whether `[offset, offset + length)` is whole blocks inside the capacity (and non-empty).
    public func isValidRange(offset: UInt64, length: Int) -> Bool {
        Self.isValidRange(offset: offset, length: length, blockSize: blockSize, capacity: capacity)
    }

    /// The block-request rule, for any geometry: non-empty, block-aligned offset and length,
    /// wholly inside `capacity`. This is the one check both platforms rely on.
    public static func isValidRange(offset: UInt64, length: Int, blockSize: Int, capacity: UInt64) -> Bool {
        let size = UInt64(blockSize)
        guard length > 0, offset % size == 0, UInt64(length) % size == 0 else { return false }
        let (end, overflow) = offset.addingReportingOverflow(UInt64(length))
        return !overflow && end <= capacity
    }

    /// Reads whole blocks at `offset` into `buffer` (its length is the request size).
    /// - Throws: ``ABIError/invalid`` for a misaligned offset or length, or a range past capacity.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(ABIError) {
        guard let base = buffer.baseAddress, isValidRange(offset: offset, length: buffer.count) else {
            throw .invalid
        }
        let result = swiftlet_platform_block_read(
            swiftlet_handle_t(handle), offset, base.assumingMemoryBound(to: UInt8.self), buffer.count)
        if let error = ABIError(result) { throw error }
    }

    /// Writes whole blocks from `buffer` at `offset`. A rejected request writes nothing.
    /// - Throws: ``ABIError/invalid`` for a misaligned offset or length, or a range past capacity.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(ABIError) {
        guard let base = buffer.baseAddress, isValidRange(offset: offset, length: buffer.count) else {
            throw .invalid
        }
        let result = swiftlet_platform_block_write(
            swiftlet_handle_t(handle), offset, base.assumingMemoryBound(to: UInt8.self), buffer.count)
        if let error = ABIError(result) { throw error }
    }

    /// Durability barrier: every write completed before it is on stable storage when it returns.
    public func flush() throws(ABIError) {
        if let error = ABIError(swiftlet_platform_block_flush(swiftlet_handle_t(handle))) { throw error }
    }
}

// MARK: - Async conveniences (above the ABI; no platform call of their own)

extension NetDevice {
    /// Waits for the next frame and reads it into `buffer` (≥ ``maximumFrameLength`` bytes).
    /// - Returns: the frame's length.
    /// - Throws: ``ABIError/invalid`` for a short buffer; `.unspecified` when the host failed;
    ///   ``ABIError/again`` only when the task was cancelled while waiting.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) async throws(ABIError) -> Int {
        while true {
            do throws(ABIError) {
                return try read(into: buffer)
            } catch .again {
                if Task.isCancelled { throw .again }
                await Executor.shared.waitUntilReadable(handle: handle)
            }
        }
    }

    /// Sends one frame, waiting (one executor step at a time) while the transmit queue is full.
    /// - Throws: ``ABIError/invalid`` for an empty or oversize frame; `.again` if cancelled while full.
    public func send(_ frame: UnsafeRawBufferPointer) async throws(ABIError) {
        while true {
            do throws(ABIError) {
                try write(frame)
                return
            } catch .again {
                if Task.isCancelled { throw .again }
                await Task.yield()
            }
        }
    }

    /// Waits for the next frame and returns a copy of it (convenience; allocates per frame).
    public func receive() async throws(ABIError) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maximumFrameLength, alignment: 16)
        defer { buffer.deallocate() }
        let length = try await receive(into: buffer)
        return Array(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
    }

    /// Sends `frame` (convenience over ``send(_:)-(UnsafeRawBufferPointer)``; copies the bytes once).
    public func send(_ frame: [UInt8]) async throws(ABIError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, frame.count), alignment: 16)
        defer { buffer.deallocate() }
        frame.withUnsafeBytes { buffer.copyMemory(from: $0) }
        try await send(UnsafeRawBufferPointer(rebasing: buffer[0..<frame.count]))
    }

    /// The MAC address as `aa:bb:cc:dd:ee:ff`.
    public var macAddressDescription: String {
        let m = macAddress
        return [m.0, m.1, m.2, m.3, m.4, m.5].map { byte in
            let digits = "0123456789abcdef".utf8
            let high = digits[digits.index(digits.startIndex, offsetBy: Int(byte >> 4))]
            let low = digits[digits.index(digits.startIndex, offsetBy: Int(byte & 15))]
            return String(decoding: [high, low], as: UTF8.self)
        }.joined(separator: ":")
    }
}
