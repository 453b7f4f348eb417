import Runtime

/// A packet under construction or being taken apart, with headroom so that headers are prepended in place.
///
/// ```
/// +-----------+---------------------+------------+
/// | headroom  |   readable bytes    |  tailroom  |
/// +-----------+---------------------+------------+
/// 0      readerIndex           writerIndex     capacity
/// ```
///
/// Invariant: `0 ≤ readerIndex ≤ writerIndex ≤ capacity`. Sending builds inside out: write the payload, then
/// ``prepend(_:_:)`` each header (UDP, IPv4, Ethernet) into the headroom, with no copy. Receiving goes the other
/// way: ``moveReaderIndex(forwardBy:)`` past each parsed header and ``truncate(toReadableBytes:)`` to drop
/// link-layer padding. The verbs follow SwiftNIO's `ByteBuffer`: `write*` appends at the writer index, `get*(at:)`
/// reads without moving anything, and moving an index out of range is a precondition failure (a bug in the
/// caller, never a property of the packet).
///
/// Bytes are lent only to closures (`withUnsafe…`), with the closure's typed error passed through, so no pointer
/// outlives the storage. The storage is copied on write when the value was copied.
public struct PacketBuffer {
    final class Storage {
        let bytes: UnsafeMutableRawBufferPointer

        /// Zeroed storage, except `skipping` (a range the caller overwrites at once).
        init(capacity: Int, skipping: Range<Int> = 0..<0) {
            self.bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
            UnsafeMutableRawBufferPointer(rebasing: self.bytes[0..<skipping.lowerBound])
                .initializeMemory(as: UInt8.self, repeating: 0)
            UnsafeMutableRawBufferPointer(rebasing: self.bytes[skipping.upperBound..<capacity])
                .initializeMemory(as: UInt8.self, repeating: 0)
        }

        deinit {
            self.bytes.deallocate()
        }
    }

    private var storage: Storage
    /// The first readable byte: the start of the outermost header.
    public private(set) var readerIndex: Int
    /// One past the last readable byte.
    public private(set) var writerIndex: Int
    /// What the device is asked to do with the frame this packet becomes (complete a checksum, segment a TCP
    /// frame longer than the MTU), as Linux keeps it in an skb: set by the transport that built it, it stays with
    /// the bytes through the ARP queue to ``NetworkDevice/transmit(_:metadata:now:)``. Offsets count from the
    /// start of the Ethernet frame. `.none` for a plain frame.
    public var frameMetadata = NetFrameMetadata.none

    /// An empty buffer of `capacity` zeroed bytes whose first `headroom` bytes are kept for headers.
    ///
    /// - Precondition: `0 ≤ headroom ≤ capacity`.
    public init(capacity: Int, headroom: Int) {
        precondition(capacity >= 0 && headroom >= 0 && headroom <= capacity, "headroom must be 0...capacity")
        self.storage = Storage(capacity: capacity)
        self.readerIndex = headroom
        self.writerIndex = headroom
    }

    /// A buffer holding a copy of `bytes`, with `headroom` free (zeroed) bytes in front and `tailroom` after. The
    /// copied bytes are not zeroed first (a TSO segment's 64 KiB payload is written once, not twice).
    public init(copying bytes: UnsafeRawBufferPointer, headroom: Int = 0, tailroom: Int = 0) {
        precondition(headroom >= 0 && tailroom >= 0, "headroom and tailroom must not be negative")
        let payload = headroom..<(headroom + bytes.count)
        self.storage = Storage(capacity: payload.upperBound + tailroom, skipping: payload)
        if let base = bytes.baseAddress, !bytes.isEmpty {
            self.storage.bytes.baseAddress!.advanced(by: headroom).copyMemory(from: base, byteCount: bytes.count)
        }
        self.readerIndex = headroom
        self.writerIndex = payload.upperBound
    }

    /// A buffer of `count` readable bytes that `body` writes (each of them: they are not zeroed first), with
    /// `headroom` free (zeroed) bytes in front for the headers still to come. The send path of TCP builds its
    /// segments this way: header and data written once, straight into the frame.
    public init(headroom: Int, writing count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        precondition(headroom >= 0 && count >= 0, "headroom and count must not be negative")
        let readable = headroom..<(headroom + count)
        self.storage = Storage(capacity: readable.upperBound, skipping: readable)
        self.readerIndex = headroom
        self.writerIndex = readable.upperBound
        body(self.storage.bytes.clampedSlice(headroom, readable.upperBound))
    }

    /// A buffer holding a copy of `bytes` (convenient for tests and fixed frames).
    public init(_ bytes: [UInt8], headroom: Int = 0) {
        self = bytes.withUnsafeBytes { raw in PacketBuffer(copying: raw, headroom: headroom) }
    }

    /// The total size of the storage.
    public var capacity: Int { self.storage.bytes.count }
    /// The packet's length: `writerIndex - readerIndex`.
    public var readableBytes: Int { self.writerIndex - self.readerIndex }
    /// Free bytes in front of the packet, for headers.
    public var headroom: Int { self.readerIndex }
    /// Free bytes after the packet.
    public var tailroom: Int { self.capacity - self.writerIndex }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&self.storage) {
            let copy = Storage(capacity: self.capacity)
            copy.bytes.copyMemory(from: UnsafeRawBufferPointer(self.storage.bytes))
            self.storage = copy
        }
    }

    /// Moves the empty buffer's indexes so that `headroom` bytes are free in front.
    ///
    /// - Precondition: the buffer is empty and `headroom ≤ capacity`.
    public mutating func reserveHeadroom(_ headroom: Int) {
        precondition(self.readableBytes == 0, "reserveHeadroom on a non-empty buffer")
        precondition(headroom >= 0 && headroom <= self.capacity, "headroom beyond capacity")
        self.readerIndex = headroom
        self.writerIndex = headroom
    }

    /// Grows the packet by `count` bytes at the front and lends just those bytes to `body`, to write a header.
    ///
    /// - Precondition: `0 ≤ count ≤ headroom`.
    public mutating func prepend<Result, Failure: Error>(
        _ count: Int, _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        precondition(count >= 0 && count <= self.headroom, "prepend beyond the headroom")
        self.makeUnique()
        self.readerIndex -= count
        return try self.lend(self.readerIndex, count, body)
    }

    /// Grows the packet by `count` bytes at the end and lends just those bytes to `body`, to write a payload.
    ///
    /// - Precondition: `0 ≤ count ≤ tailroom`.
    public mutating func append<Result, Failure: Error>(
        _ count: Int, _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        precondition(count >= 0 && count <= self.tailroom, "append beyond the tailroom")
        self.makeUnique()
        self.writerIndex += count
        return try self.lend(self.writerIndex - count, count, body)
    }

    /// Appends a copy of `bytes`.
    ///
    /// - Precondition: they fit in the tailroom.
    public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) {
        self.append(bytes.count) { target in
            if let base = bytes.baseAddress {
                target.copyMemory(from: UnsafeRawBufferPointer(start: base, count: bytes.count))
            }
        }
    }

    /// Appends `value` in big-endian byte order.
    ///
    /// - Precondition: it fits in the tailroom.
    public mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        self.append(MemoryLayout<T>.size) { target in
            target.storeBytes(of: value.bigEndian, toByteOffset: 0, as: T.self)
        }
    }

    /// The big-endian integer at storage index `index`, or `nil` unless all its bytes are readable
    /// (`readerIndex ≤ index` and `index + size ≤ writerIndex`). Moves nothing.
    public func getInteger<T: FixedWidthInteger>(at index: Int, as type: T.Type = T.self) -> T? {
        guard index >= self.readerIndex, index <= self.writerIndex - MemoryLayout<T>.size else { return nil }
        return T(bigEndian: self.storage.bytes.loadUnaligned(fromByteOffset: index, as: T.self))
    }

    /// The big-endian integer at ``readerIndex``, or `nil` when too few bytes are readable. Moves nothing.
    public func peekInteger<T: FixedWidthInteger>(as type: T.Type = T.self) -> T? {
        self.getInteger(at: self.readerIndex, as: type)
    }

    /// The big-endian integer at ``readerIndex``, consumed; `nil` (and nothing moved) when too few bytes are readable.
    public mutating func readInteger<T: FixedWidthInteger>(as type: T.Type = T.self) -> T? {
        guard let value = self.getInteger(at: self.readerIndex, as: type) else { return nil }
        self.readerIndex += MemoryLayout<T>.size
        return value
    }

    /// Drops `count` bytes from the front of the packet (a parsed header); they become headroom.
    ///
    /// - Precondition: `0 ≤ count ≤ readableBytes`.
    public mutating func moveReaderIndex(forwardBy count: Int) {
        precondition(count >= 0 && count <= self.readableBytes, "moveReaderIndex beyond the readable bytes")
        self.readerIndex += count
    }

    /// Keeps only the first `count` readable bytes (e.g. an IP datagram's Total Length, dropping padding).
    ///
    /// - Precondition: `0 ≤ count ≤ readableBytes`.
    public mutating func truncate(toReadableBytes count: Int) {
        precondition(count >= 0 && count <= self.readableBytes, "truncate beyond the readable bytes")
        self.writerIndex = self.readerIndex + count
    }

    /// Empties the buffer and reserves `headroom` again, for reuse.
    public mutating func clear(headroom: Int) {
        self.writerIndex = self.readerIndex
        self.reserveHeadroom(headroom)
    }

    /// Lends the readable bytes to `body`.
    public func withUnsafeReadableBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let bytes = UnsafeRawBufferPointer(self.storage.bytes.clampedSlice(self.readerIndex, self.writerIndex))
        let result: Result
        do { result = try body(bytes) } catch {
            withExtendedLifetime(self.storage) {}
            throw error
        }
        withExtendedLifetime(self.storage) {}
        return result
    }

    /// Lends the readable bytes to `body` for reading and writing in place (parsing views, setters, checksums).
    public mutating func withUnsafeMutableReadableBytes<Result, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        self.makeUnique()
        return try self.lend(self.readerIndex, self.readableBytes, body)
    }

    private func lend<Result, Failure: Error>(
        _ offset: Int, _ count: Int, _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let bytes = self.storage.bytes.clampedSlice(offset, offset + count)
        let result: Result
        do { result = try body(bytes) } catch {
            withExtendedLifetime(self.storage) {}
            throw error
        }
        withExtendedLifetime(self.storage) {}
        return result
    }
}

/// Compares readable bytes (not capacity, headroom or indexes).
extension PacketBuffer: Equatable {
    public static func == (lhs: PacketBuffer, rhs: PacketBuffer) -> Bool {
        lhs.withUnsafeReadableBytes { a in rhs.withUnsafeReadableBytes { b in a.elementsEqual(b) } }
    }
}

extension PacketBuffer: CustomStringConvertible {
    /// `PacketBuffer(readable 42, headroom 54, tailroom 0)`.
    public var description: String {
        "PacketBuffer(readable \(self.readableBytes), headroom \(self.headroom), tailroom \(self.tailroom))"
    }
}
