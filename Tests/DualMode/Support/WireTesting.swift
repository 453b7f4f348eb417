import Net
import Runtime

/// Helpers for in-image tests of wire formats (Tests/DualMode/{net,protocols,tcp}):
/// run a parser over private copies of fixed bytes and turn ``WireError`` into
/// test failures. Compiled into every suite with Expectations.swift.

/// Runs `body` on a private mutable copy of `bytes`.
func withBytes<Result>(
    _ bytes: [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(TestFailure) -> Result
) throws(TestFailure) -> Result {
    var buffer = PacketBuffer(bytes)
    return try buffer.withUnsafeMutableReadableBytes(body)
}

/// The bytes of a buffer region as an array.
func array(_ bytes: UnsafeMutableRawBufferPointer) -> [UInt8] {
    Array(UnsafeRawBufferPointer(bytes))
}

/// The readable bytes of `buffer` as an array.
func array(_ buffer: PacketBuffer) -> [UInt8] {
    buffer.withUnsafeReadableBytes { bytes in Array(bytes) }
}

/// `body`'s value; a ``WireError`` fails the test with `what`.
func accept<Value>(_ what: String, _ body: () throws(WireError) -> Value) throws(TestFailure) -> Value {
    do throws(WireError) {
        return try body()
    } catch {
        throw TestFailure("\(what): rejected (\(error))")
    }
}

/// Fails unless `body` throws ``WireError``.
func reject<Value>(_ what: String, _ body: () throws(WireError) -> Value) throws(TestFailure) {
    do throws(WireError) {
        _ = try body()
    } catch {
        return
    }
    throw TestFailure("\(what): accepted")
}

/// Fails unless every proper prefix of `bytes` (lengths 0 ..< count) is rejected by `parse` and the whole is
/// accepted. Each prefix is a view into the full frame, so a parser that read past its view's end would find the
/// rest of a valid packet there and wrongly accept: an out-of-bounds read shows up as a failure, not as luck.
func expectEveryTruncationRejected(
    _ bytes: [UInt8], _ parse: (UnsafeMutableRawBufferPointer) throws(WireError) -> Void
) throws(TestFailure) {
    try withBytes(bytes) { (full) throws(TestFailure) in
        for length in 0..<full.count {
            let prefix = UnsafeMutableRawBufferPointer(rebasing: full[0..<length])
            try reject("prefix of \(length) of \(full.count) bytes") { () throws(WireError) in try parse(prefix) }
        }
        try accept("whole \(full.count) bytes") { () throws(WireError) in try parse(full) }
    }
}

// MARK: - Frames built by hand (for tests that play a raw host)

/// An Ethernet frame around `payload`.
func ethernetFrame(
    to destination: MACAddress, from source: MACAddress, type: EtherType, _ payload: [UInt8]
) -> [UInt8] {
    var buffer = PacketBuffer(payload, headroom: 14)
    let header = EthernetHeader(destination: destination, source: source, etherType: type)
    buffer.prepend(14) { bytes in header.emit(into: EthernetPacket(unchecked: bytes)) }
    return buffer.withUnsafeReadableBytes { Array($0) }
}

/// An IPv4 datagram around `payload`, with `options` (a multiple of 4 bytes) after the fixed header.
func ipv4Datagram(
    from source: IPv4Address, to destination: IPv4Address, protocol ipProtocol: IPProtocol, _ payload: [UInt8],
    ttl: UInt8 = 64, options: [UInt8] = [], moreFragments: Bool = false, fragmentOffset: UInt16 = 0,
    identification: UInt16 = 1
) -> [UInt8] {
    let headerLength = 20 + options.count
    var bytes = [UInt8](repeating: 0, count: headerLength) + payload
    bytes.withUnsafeMutableBytes { raw in
        var header = IPv4Header(
            source: source, destination: destination, nextProtocol: ipProtocol, payloadLength: payload.count,
            timeToLive: ttl, identification: identification, dontFragment: false)
        header.moreFragments = moreFragments
        header.fragmentOffset = fragmentOffset
        let packet = IPv4Packet(unchecked: raw)
        header.emit(into: packet)
        for (index, byte) in options.enumerated() { raw[20 + index] = byte }
        packet.headerLength = headerLength
        packet.totalLength = UInt16(headerLength + payload.count)
        packet.fillChecksum()
    }
    return bytes
}
