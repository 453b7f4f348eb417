import Runtime

/// A bounded byte ring for a connection's send and receive buffers.
///
/// ```
/// +--------+====================+--------+
///          head          head + count
/// ```
///
/// Bytes are appended at the tail and consumed at the head; `get(at:)` reads any buffered byte without consuming it
/// (the send side reads unacknowledged data again to retransmit it). Every copy in or out is at most two `memcpy`s,
/// one on each side of the wrap.
///
/// Memory is taken as data arrives, not up front: ``capacity`` is the bound (what windows are computed from), and
/// the storage starts empty and doubles, from ``initialStorage`` bytes, only when a write needs more. A connection
/// that never receives much (a slow or idle client) holds a few KiB, not the whole bound.
///
/// The send side autotunes (``raiseCapacity(to:)``): past the configured size, storage is taken only when the heap
/// can spare it (``heapCanSpare(_:)``); when it cannot, the ring stays at the size it holds (counted in
/// ``growthsRefused``). No per-ring field records any of it: a set holds 256 connections' rings in one array, and at
/// `--memory 4M` dev had no 10 KiB to spare for it. Storage is kept until the connection gives its rings back
/// (TIME-WAIT, CLOSED): handing it back whenever a bulk sender's ring drained and growing it again from 4 KiB made
/// the 10 MiB body slower than with no autotuning at all (docs/BENCHMARKS.md, "Prod against nginx in a Linux guest").
public struct TCPByteRing {
    private var storage: [UInt8] = []
    private var head = 0
    /// Bytes buffered.
    public private(set) var count = 0
    /// The ring's size: at most this many bytes are ever buffered.
    public private(set) var capacity: Int

    /// The first allocation, and the smallest step of growth.
    public static let initialStorage = 4096

    /// An empty ring of at most `capacity` bytes; nothing is allocated until the first write.
    ///
    /// - Precondition: `capacity ≥ 1`.
    public init(capacity: Int) {
        precondition(capacity >= 1, "ring capacity must be positive")
        self.capacity = capacity
    }

    /// Lets the ring buffer up to `newCapacity` bytes (autotuning; never shrinks it) if the heap can spare that much
    /// now; returns false, and stays, when it cannot. Nothing is allocated now: storage follows the data, and each
    /// growth past the configured size asks ``heapCanSpare(_:)`` again (``write(_:checkingHeapPast:)``): the heap
    /// may have less to spare by the time the app writes. Asking here too keeps ``capacity`` (what a reader of
    /// the ring sees as its bound) from rising after an ACK when the heap already cannot give it.
    public mutating func raiseCapacity(to newCapacity: Int) -> Bool {
        guard newCapacity > self.capacity else { return true }
        guard Self.heapCanSpare(newCapacity - self.storage.count) else { return false }
        self.capacity = newCapacity
        return true
    }

    /// Send-ring growths (``TCPConfiguration/sendBufferAutotuning``) refused because the heap could not spare them,
    /// over all connections since start: one count, not a field per connection (see the type's note).
    nonisolated(unsafe) public static var growthsRefused = 0

    /// Whether the heap can give `bytes` more and keep an eighth of itself (at least 256 KiB) free for everything
    /// else: autotuned buffers are a convenience, never worth an out-of-memory end. The free count is not one
    /// piece, so the reserve also covers fragmentation. With no heap figures (size 0) it answers no.
    public static func heapCanSpare(_ bytes: Int) -> Bool {
        let size = Runtime.heapSize()
        return size - Runtime.heapInUse() - bytes >= Swift.max(size / 8, 256 * 1024)
    }

    /// Bytes of memory the ring holds now (at most ``capacity``).
    public var allocated: Int { self.storage.count }
    /// Bytes that can still be appended.
    public var free: Int { self.capacity - self.count }
    /// Whether nothing is buffered.
    public var isEmpty: Bool { self.count == 0 }

    /// Makes the storage hold at least `needed` bytes (≤ ``capacity``): doubles it, moving the buffered bytes to
    /// its start. Not zero-filled: the ring only ever hands out bytes written into it (`get` stops at `count`), and
    /// zeroing two 64 KiB rings per connection was 9% of dev-mode CPU serving `Connection: close` requests.
    /// Growth past `floor` (the configured size, past which the ring was autotuned) first asks
    /// ``heapCanSpare(_:)``; refused, the capacity drops back to what is held (at least `floor`).
    private mutating func grow(toHold needed: Int, checkingHeapPast floor: Int = .max) {
        var size = Swift.max(self.storage.count, Self.initialStorage)
        while size < needed { size *= 2 }
        size = Swift.min(size, self.capacity)
        if size > Swift.max(floor, self.storage.count) && !Self.heapCanSpare(size) {
            // Autotuned growth the heap cannot spare: stay at the size held (at least the configured one).
            self.capacity = Swift.max(floor, self.storage.count, self.count)
            size = Swift.min(size, self.capacity)
            guard size > self.storage.count else { return }
        }
        let count = self.count
        let moved = [UInt8](unsafeUninitializedCapacity: size) { target, initialized in
            _ = self.get(at: 0, into: UnsafeMutableRawBufferPointer(target))
            initialized = size
        }
        self.storage = moved
        self.head = 0
        self.count = count
    }

    /// Appends as many bytes of `bytes` as fit; returns how many. Storage growth past `floor` (an autotuned ring's
    /// configured size) is taken only if the heap can spare it; when it cannot, the capacity drops back to what is
    /// held and fewer bytes are taken.
    @discardableResult
    public mutating func write(_ bytes: UnsafeRawBufferPointer, checkingHeapPast floor: Int = .max) -> Int {
        var taken = Swift.min(bytes.count, self.free)
        guard taken > 0 else { return 0 }
        if self.count + taken > self.storage.count {
            self.grow(toHold: self.count + taken, checkingHeapPast: floor)
            taken = Swift.min(taken, self.storage.count - self.count)  // a refused growth lowered the capacity
            guard taken > 0 else { return 0 }
        }
        let size = self.storage.count
        let tail = (self.head + self.count) % size
        // At most two copies: up to the end of the storage, then from its start.
        let first = Swift.min(taken, size - tail)
        self.storage.withUnsafeMutableBytes { storage in
            storage.baseAddress!.advanced(by: tail).copyMemory(from: bytes.baseAddress!, byteCount: first)
            if taken > first {
                storage.baseAddress!.copyMemory(from: bytes.baseAddress!.advanced(by: first), byteCount: taken - first)
            }
        }
        self.count += taken
        return taken
    }

    /// Copies up to `target.count` bytes from offset `offset` (from the head) into `target`, without consuming
    /// them; returns how many.
    public func get(at offset: Int, into target: UnsafeMutableRawBufferPointer) -> Int {
        guard offset >= 0, offset < self.count else { return 0 }
        let length = Swift.min(target.count, self.count - offset)
        guard length > 0 else { return 0 }
        let size = self.storage.count
        let start = (self.head + offset) % size
        // At most two copies: up to the end of the storage, then from its start.
        let first = Swift.min(length, size - start)
        self.storage.withUnsafeBytes { storage in
            target.baseAddress!.copyMemory(from: storage.baseAddress!.advanced(by: start), byteCount: first)
            if length > first {
                target.baseAddress!.advanced(by: first).copyMemory(from: storage.baseAddress!, byteCount: length - first)
            }
        }
        return length
    }

    /// Lends `length` buffered bytes from `offset` (clamped to what is buffered) to `body` without copying them: as
    /// two pieces, the second empty unless the bytes wrap around the end of the storage. The pointers are valid only
    /// during the call (the send side hands them to the interface, which copies them once, into the frame).
    public func withBytes<Result>(
        at offset: Int, length: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Result
    ) -> Result {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        let length = Swift.max(0, Swift.min(length, self.count - Swift.max(0, offset)))
        guard offset >= 0, length > 0 else { return body(empty, empty) }
        let size = self.storage.count
        let start = (self.head + offset) % size
        let first = Swift.min(length, size - start)
        return self.storage.withUnsafeBytes { storage in
            body(
                UnsafeRawBufferPointer(rebasing: storage[start..<(start + first)]),
                length > first ? UnsafeRawBufferPointer(rebasing: storage[0..<(length - first)]) : empty)
        }
    }

    /// Appends bytes that `fill` writes straight into the ring's free space, with no staging copy: `fill` gets a
    /// contiguous free region (at most `limit` bytes; called again for the part past the wrap) and returns how many
    /// bytes it wrote there, at most the region's size. Returns how many bytes were appended in all.
    @discardableResult
    public mutating func append(upTo limit: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        var total = 0
        var wanted = Swift.min(limit, self.free)
        while wanted > 0 {
            // Growth here is never refused (no floor): `wanted` ≤ `free`, so the storage then holds it all.
            if self.count + wanted > self.storage.count { self.grow(toHold: self.count + wanted) }
            let size = self.storage.count
            let tail = (self.head + self.count) % size
            let region = Swift.min(wanted, size - tail)
            let written = self.storage.withUnsafeMutableBytes { storage in
                fill(UnsafeMutableRawBufferPointer(rebasing: storage[tail..<(tail + region)]))
            }
            let taken = Swift.max(0, Swift.min(written, region))
            self.count += taken
            total += taken
            wanted -= taken
            if taken < region { break }
        }
        return total
    }

    /// `length` bytes from `offset` as an array (clamped to what is buffered).
    public func bytes(at offset: Int, length: Int) -> [UInt8] {
        let length = Swift.max(0, Swift.min(length, self.count - offset))
        guard length > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: length) { target, initialized in
            initialized = self.get(at: offset, into: UnsafeMutableRawBufferPointer(target))
        }
    }

    /// Drops `length` bytes at the head (clamped to what is buffered).
    public mutating func consume(_ length: Int) {
        let length = Swift.max(0, Swift.min(length, self.count))
        guard length > 0 else { return }
        self.head = (self.head + length) % self.storage.count
        self.count -= length
        if self.count == 0 { self.head = 0 }
    }

    /// Moves up to `target.count` bytes from the head into `target`; returns how many.
    public mutating func read(into target: UnsafeMutableRawBufferPointer) -> Int {
        let length = self.get(at: 0, into: target)
        self.consume(length)
        return length
    }
}
