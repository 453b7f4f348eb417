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
public struct TCPByteRing {
    private var storage: [UInt8]
    private var head = 0
    /// Bytes buffered.
    public private(set) var count = 0

    /// An empty ring of `capacity` bytes.
    ///
    /// - Precondition: `capacity ≥ 1`.
    public init(capacity: Int) {
        precondition(capacity >= 1, "ring capacity must be positive")
        // Not zero-filled: the ring only ever hands out bytes written into it (`get` stops at `count`), and
        // zeroing two 64 KiB rings per connection was 9% of dev-mode CPU serving `Connection: close` requests.
        self.storage = [UInt8](unsafeUninitializedCapacity: capacity) { _, initialized in initialized = capacity }
    }

    /// The ring's size.
    public var capacity: Int { self.storage.count }
    /// Bytes that can still be appended.
    public var free: Int { self.capacity - self.count }
    /// Whether nothing is buffered.
    public var isEmpty: Bool { self.count == 0 }

    /// Appends as many bytes of `bytes` as fit; returns how many.
    @discardableResult
    public mutating func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        let taken = Swift.min(bytes.count, self.free)
        guard taken > 0 else { return 0 }
        let tail = (self.head + self.count) % self.capacity
        // At most two copies: up to the end of the storage, then from its start.
        let first = Swift.min(taken, self.capacity - tail)
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
        let start = (self.head + offset) % self.capacity
        // At most two copies: up to the end of the storage, then from its start.
        let first = Swift.min(length, self.capacity - start)
        self.storage.withUnsafeBytes { storage in
            target.baseAddress!.copyMemory(from: storage.baseAddress!.advanced(by: start), byteCount: first)
            if length > first {
                target.baseAddress!.advanced(by: first).copyMemory(from: storage.baseAddress!, byteCount: length - first)
            }
        }
        return length
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
        self.head = (self.head + length) % self.capacity
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
