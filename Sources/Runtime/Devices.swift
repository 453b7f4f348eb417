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

/// The offloads a net device performs (the ABI's `SWIFTLET_NET_OFFLOAD_*`; virtio-net's offload features, Linux
/// TAP's `IFF_VNET_HDR`). A device without any hands and takes only plain frames of at most `mtu + 14` bytes.
public struct NetOffloads: OptionSet, Equatable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Completes the TCP/UDP checksum of frames written with ``NetFrameMetadata/checksumPartial``.
    public static let transmitChecksum = NetOffloads(rawValue: UInt32(SWIFTLET_NET_OFFLOAD_TX_CSUM))
    /// Segments TCP/IPv4 frames of up to ``NetDevice/maximumOffloadFrameLength`` bytes (TSO).
    public static let transmitSegmentation = NetOffloads(rawValue: UInt32(SWIFTLET_NET_OFFLOAD_TX_TSO4))
    /// May hand frames whose checksum it vouches for.
    public static let receiveChecksum = NetOffloads(rawValue: UInt32(SWIFTLET_NET_OFFLOAD_RX_CSUM))
    /// May hand TCP/IPv4 frames of up to ``NetDevice/maximumOffloadFrameLength`` bytes (coalesced segments).
    public static let receiveSegmentation = NetOffloads(rawValue: UInt32(SWIFTLET_NET_OFFLOAD_RX_TSO4))

    /// Every offload the ABI defines.
    public static let all: NetOffloads = [
        .transmitChecksum, .transmitSegmentation, .receiveChecksum, .receiveSegmentation,
    ]

    /// `self` made consistent: unknown bits dropped, segmentation only with the checksum offload it implies.
    public var normalized: NetOffloads {
        var offloads = self.intersection(.all)
        if offloads.contains(.transmitSegmentation) && !offloads.contains(.transmitChecksum) {
            offloads.remove(.transmitSegmentation)
        }
        if offloads.contains(.receiveSegmentation) && !offloads.contains(.receiveChecksum) {
            offloads.remove(.receiveSegmentation)
        }
        return offloads
    }
}

/// The offload metadata beside one frame (the ABI's `swiftlet_net_frame_meta`, a platform-neutral
/// `virtio_net_hdr`, virtio 1.2 §5.1.6).
public struct NetFrameMetadata: Equatable, Sendable {
    /// Written: the L4 checksum field holds the pseudo-header sum, and the device sums ``checksumStart`` to the
    /// frame's end into ``checksumStart`` + ``checksumOffset`` (VIRTIO_NET_HDR_F_NEEDS_CSUM). Read: the frame
    /// comes from a trusted local sender and its checksum needs no check.
    public var checksumPartial: Bool
    /// Read only: the device verified the L4 checksum (VIRTIO_NET_HDR_F_DATA_VALID).
    public var checksumValid: Bool
    /// TCP payload bytes per segment of a TSO frame; 0 when the frame is not to be (or was not) segmented.
    public var segmentSize: Int
    /// Where the checksummed region (the L4 header) starts, from the start of the frame.
    public var checksumStart: Int
    /// Where in that region the checksum goes (TCP 16, UDP 6).
    public var checksumOffset: Int

    public init(
        checksumPartial: Bool = false, checksumValid: Bool = false, segmentSize: Int = 0, checksumStart: Int = 0,
        checksumOffset: Int = 0
    ) {
        self.checksumPartial = checksumPartial
        self.checksumValid = checksumValid
        self.segmentSize = segmentSize
        self.checksumStart = checksumStart
        self.checksumOffset = checksumOffset
    }

    /// A plain frame: nothing for the device to do, nothing vouched for.
    public static let none = NetFrameMetadata()

    /// Whether the L4 checksum need not be verified on receipt.
    public var checksumTrusted: Bool { self.checksumPartial || self.checksumValid }

    init(_ meta: swiftlet_net_frame_meta) {
        self.init(
            checksumPartial: meta.flags & UInt16(SWIFTLET_NET_F_CSUM_PARTIAL) != 0,
            checksumValid: meta.flags & UInt16(SWIFTLET_NET_F_CSUM_VALID) != 0,
            segmentSize: Int(meta.gso_size), checksumStart: Int(meta.csum_start), checksumOffset: Int(meta.csum_offset))
    }

    var abi: swiftlet_net_frame_meta {
        var flags: UInt16 = 0
        if self.checksumPartial { flags |= UInt16(SWIFTLET_NET_F_CSUM_PARTIAL) }
        if self.checksumValid { flags |= UInt16(SWIFTLET_NET_F_CSUM_VALID) }
        return swiftlet_net_frame_meta(
            flags: flags, gso_size: UInt16(truncatingIfNeeded: self.segmentSize),
            csum_start: UInt16(truncatingIfNeeded: self.checksumStart),
            csum_offset: UInt16(truncatingIfNeeded: self.checksumOffset))
    }
}

/// A network device: non-blocking frame I/O.
public struct NetDevice {
    /// The ABI handle (0...63).
    public let handle: Int
    /// The device's MAC address.
    public let macAddress: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
    /// Largest IP payload per plain frame; plain frames are at most `mtu + 14` bytes.
    public let mtu: Int
    /// What the device does for us (none on passt, stream sockets and QEMU's user netdev).
    public let offloads: NetOffloads

    /// The largest frame with a TSO offload: a 64 KiB IPv4 datagram and its Ethernet header.
    public static let maximumOffloadFrameLength = Int(SWIFTLET_NET_MAX_OFFLOAD_FRAME)

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
        return NetDevice(
            handle: Int(handle), macAddress: (m.0, m.1, m.2, m.3, m.4, m.5), mtu: Int(info.mtu),
            offloads: NetOffloads(rawValue: info.offloads).normalized)
    }

    /// Largest plain frame this device carries.
    public var maximumFrameLength: Int { mtu + ethernetHeaderLength }

    /// The buffer size a read needs: ``maximumOffloadFrameLength`` when the device may hand coalesced TCP
    /// frames, else ``maximumFrameLength``.
    public var maximumReceiveFrameLength: Int {
        offloads.contains(.receiveSegmentation) ? Self.maximumOffloadFrameLength : maximumFrameLength
    }

    /// Reads one whole frame into `buffer` (which must hold ``maximumReceiveFrameLength`` bytes).
    /// - Returns: the frame's length.
    /// - Throws: ``ABIError/again`` when no frame is pending; ``ABIError/invalid`` for a short buffer.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(ABIError) -> Int {
        var metadata = NetFrameMetadata.none
        return try read(into: buffer, metadata: &metadata)
    }

    /// Reads one whole frame into `buffer` (which must hold ``maximumReceiveFrameLength`` bytes) and what the
    /// device says of it. Flags the device may not set (it did not report the offload) are cleared.
    /// - Returns: the frame's length.
    /// - Throws: ``ABIError/again`` when no frame is pending; ``ABIError/invalid`` for a short buffer.
    public func read(
        into buffer: UnsafeMutableRawBufferPointer, metadata: inout NetFrameMetadata
    ) throws(ABIError) -> Int {
        guard let base = buffer.baseAddress, buffer.count >= maximumReceiveFrameLength else { throw .invalid }
        var length = 0
        var meta = swiftlet_net_frame_meta()
        let result = swiftlet_platform_net_read(
            swiftlet_handle_t(handle), base.assumingMemoryBound(to: UInt8.self), buffer.count, &length, &meta)
        if let error = ABIError(result) { throw error }
        guard length >= 1, length <= buffer.count else { throw .unspecified }
        metadata = NetFrameMetadata(meta)
        if !offloads.contains(.receiveChecksum) {
            metadata = .none
        } else if !offloads.contains(.receiveSegmentation) {
            metadata.segmentSize = 0
        }
        return length
    }

    /// Queues one plain frame for sending.
    /// - Throws: ``ABIError/invalid`` when the frame is empty or longer than ``maximumFrameLength``;
    ///   ``ABIError/again`` when the transmit queue is full (nothing was queued).
    public func write(_ frame: UnsafeRawBufferPointer) throws(ABIError) {
        try write(frame, metadata: .none)
    }

    /// Queues one frame with offload metadata for sending.
    /// - Throws: ``ABIError/invalid`` when ``isValidWrite(length:metadata:)`` rejects it; ``ABIError/again`` when
    ///   the transmit queue is full (nothing was queued).
    public func write(_ frame: UnsafeRawBufferPointer, metadata: NetFrameMetadata) throws(ABIError) {
        guard let base = frame.baseAddress, isValidWrite(length: frame.count, metadata: metadata) else {
            throw .invalid
        }
        var meta = metadata.abi
        let result = swiftlet_platform_net_write(
            swiftlet_handle_t(handle), base.assumingMemoryBound(to: UInt8.self), frame.count, &meta)
        if let error = ABIError(result) { throw error }
    }

    /// Whether a frame of `length` bytes with `metadata` may be written to this device.
    public func isValidWrite(length: Int, metadata: NetFrameMetadata) -> Bool {
        Self.isValidWrite(length: length, metadata: metadata, mtu: mtu, offloads: offloads)
    }

    /// The write rule, for any device: a plain frame is 1...`mtu + 14` bytes with no flags. A checksum-partial
    /// frame needs ``NetOffloads/transmitChecksum`` and a checksum field (two bytes at `checksumStart +
    /// checksumOffset`) after the Ethernet header and inside the frame. A TSO frame (`segmentSize > 0`) needs
    /// ``NetOffloads/transmitSegmentation``, the checksum-partial flag (virtio 1.2 §5.1.6.2), and at most
    /// ``maximumOffloadFrameLength`` bytes. Nothing is ever marked valid on the way out.
    public static func isValidWrite(length: Int, metadata: NetFrameMetadata, mtu: Int, offloads: NetOffloads) -> Bool {
        guard length >= 1, !metadata.checksumValid, metadata.segmentSize >= 0 else { return false }
        if metadata.checksumPartial {
            guard offloads.contains(.transmitChecksum), metadata.checksumStart >= ethernetHeaderLength,
                metadata.checksumOffset >= 0, metadata.checksumStart <= 0xFFFF, metadata.checksumOffset <= 0xFFFF,
                metadata.checksumStart + metadata.checksumOffset + 2 <= length
            else { return false }
        } else {
            guard metadata.checksumStart == 0, metadata.checksumOffset == 0 else { return false }
        }
        if metadata.segmentSize > 0 {
            return offloads.contains(.transmitSegmentation) && metadata.checksumPartial
                && metadata.segmentSize <= 0xFFFF && length <= maximumOffloadFrameLength
        }
        return length <= mtu + ethernetHeaderLength
    }
}

/// A block device: whole-block reads and writes at block-aligned offsets, and flush, asynchronous.
///
/// Up to ``queueDepth`` requests are in flight at once, from any number of tasks; more wait in Runtime
/// until a slot frees. A request that overlaps an earlier, unfinished one with a write on either side waits
/// for it, so each block sees the calls in program order; otherwise requests complete in any order. A
/// task waiting for its request parks and other tasks run. The rules (ordering, flush, failure,
/// cancellation) are docs/DEVICES.md §7; the in-flight state lives in BlockQueue.swift.
public struct BlockDevice {
    /// The ABI handle (0...63).
    public let handle: Int
    /// Capacity in bytes (a multiple of ``blockSize``).
    public let capacity: UInt64
    /// Block size in bytes: a power of two, at least 512.
    public let blockSize: Int
    /// Requests the device takes in flight at once (at least 1); more wait in Runtime.
    public let queueDepth: Int

    /// Acquires the block device declared as `name`.
    /// - Throws: ``ABIError/invalid`` when no such device exists or it was acquired already.
    public static func acquire(_ name: String) throws(ABIError) -> BlockDevice {
        guard !name.isEmpty else { throw .invalid }
        var handle: swiftlet_handle_t = 0
        var info = swiftlet_block_info()
        let result = name.withCString { swiftlet_platform_block_acquire($0, &handle, &info) }
        if let error = ABIError(result) { throw error }
        let size = info.block_size
        guard handle < 64, size >= 512, size & (size - 1) == 0, info.capacity % size == 0, info.queue_depth >= 1
        else {
            throw .unspecified
        }
        let depth = Int(info.queue_depth)
        BlockQueues.add(BlockQueue(handle: Int(handle), depth: depth))  // wakes the executor while busy
        return BlockDevice(handle: Int(handle), capacity: info.capacity, blockSize: Int(size), queueDepth: depth)
    }

    /// Requests submitted to the device whose completion has not been taken yet (diagnostics and tests).
    public var requestsInFlight: Int { BlockQueues.byHandle[handle]?.inFlight ?? 0 }

    /// Requests waiting in Runtime: the device is full, or an earlier overlapping request has not completed.
    public var requestsWaiting: Int { BlockQueues.byHandle[handle]?.waiting ?? 0 }

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

    /// The queue of this device, for a request that passed the checks.
    private func queue() throws(ABIError) -> BlockQueue {
        guard let queue = BlockQueues.byHandle[handle] else { throw .invalid }  // not acquired
        return queue
    }

    /// Reads whole blocks at `offset` into `buffer` (its length is the request size), letting other tasks run
    /// meanwhile. The buffer belongs to the device until the call returns; a cancelled task still waits.
    /// - Throws: ``ABIError/invalid`` for an empty or misaligned request or a range past capacity (nothing is
    ///   submitted); ``ABIError/unspecified`` when the device failed (the buffer's bytes are then undefined).
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) async throws(ABIError) {
        guard let base = buffer.baseAddress, isValidRange(offset: offset, length: buffer.count) else {
            throw .invalid
        }
        let queue = try queue()
        let request = queue.enqueue(.read, offset: offset, length: buffer.count, buffer: base)
        await queue.wait(for: request)
        if let error = request.result { throw error }
    }

    /// Writes whole blocks from `buffer` at `offset`, letting other tasks run meanwhile. The buffer belongs to
    /// the device until the call returns; a cancelled task still waits.
    /// - Throws: ``ABIError/invalid`` for an empty or misaligned request or a range past capacity (nothing is
    ///   written); ``ABIError/unspecified`` when the device failed (the blocks hold old, new or torn data).
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) async throws(ABIError) {
        guard let base = buffer.baseAddress, isValidRange(offset: offset, length: buffer.count) else {
            throw .invalid
        }
        let queue = try queue()
        let request = queue.enqueue(
            .write, offset: offset, length: buffer.count, buffer: UnsafeMutableRawPointer(mutating: base))
        await queue.wait(for: request)
        if let error = request.result { throw error }
    }

    /// Durability barrier: when it returns, every write whose call returned before this call was made is on
    /// stable storage (writes still in flight are not covered).
    /// - Throws: ``ABIError/unspecified`` when the device failed; the durability of earlier writes is then
    ///   unknown (a later flush may succeed without having saved them: treat it as fatal for the session).
    public func flush() async throws(ABIError) {
        let queue = try queue()
        let request = queue.enqueue(.flush, offset: 0, length: 0, buffer: nil)
        await queue.wait(for: request)
        if let error = request.result { throw error }
    }

    /// The synchronous form of the async `read(at:into:)`: submits, then polls the devices until done. Other
    /// tasks do not run meanwhile (completions of their requests are still taken, and they resume later).
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(ABIError) {
        guard let base = buffer.baseAddress, isValidRange(offset: offset, length: buffer.count) else {
            throw .invalid
        }
        let queue = try queue()
        let request = queue.enqueue(.read, offset: offset, length: buffer.count, buffer: base)
        queue.waitSynchronously(for: request)
        if let error = request.result { throw error }
    }

    /// The synchronous form of the async `write(at:from:)`: submits, then polls the devices until done.
    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(ABIError) {
        guard let base = buffer.baseAddress, isValidRange(offset: offset, length: buffer.count) else {
            throw .invalid
        }
        let queue = try queue()
        let request = queue.enqueue(
            .write, offset: offset, length: buffer.count, buffer: UnsafeMutableRawPointer(mutating: base))
        queue.waitSynchronously(for: request)
        if let error = request.result { throw error }
    }

    /// The synchronous form of the async `flush()`: submits, then polls the devices until done.
    public func flush() throws(ABIError) {
        let queue = try queue()
        let request = queue.enqueue(.flush, offset: 0, length: 0, buffer: nil)
        queue.waitSynchronously(for: request)
        if let error = request.result { throw error }
    }
}

// MARK: - Async conveniences (above the ABI; no platform call of their own)

extension NetDevice {
    /// Waits for the next frame and reads it into `buffer` (≥ ``maximumReceiveFrameLength`` bytes).
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
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maximumReceiveFrameLength, alignment: 16)
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
