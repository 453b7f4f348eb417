/// What a device with checksum and TCP segmentation offload does to a frame marked for it, done in software: for
/// the in-memory ``VirtualLink`` (so tests exercise TSO end to end, in both modes) and as the reference the
/// devices' behaviour is checked against.
///
/// - Checksum completion (virtio 1.2 §5.1.6.2, VIRTIO_NET_HDR_F_NEEDS_CSUM): the one's-complement sum from
///   `checksumStart` to the end of the frame, whose checksum field holds the pseudo-header sum, is complemented and
///   stored at `checksumStart + checksumOffset`.
/// - TCP segmentation (§5.1.6.2 with VIRTIO_NET_HDR_GSO_TCPV4; what Linux's `tcp_gso_segment` and
///   `inet_gso_segment` do): the payload is cut into pieces of `segmentSize` bytes; each piece gets copies of the
///   Ethernet, IPv4 and TCP headers with the IPv4 total length and checksum redone, the Identification advanced by
///   one per piece, the sequence number advanced by the bytes before it, FIN and PSH kept only on the last piece
///   and CWR only on the first, and a full TCP checksum.
import Net
import Runtime

/// The software twin of a NIC's checksum and TSO offloads (see the file's comment).
public enum SoftwareOffload {
    /// Completes the checksum of a checksum-partial frame in place; false when the offsets fall outside it.
    @discardableResult
    public static func completeChecksum(_ frame: UnsafeMutableRawBufferPointer, metadata: NetFrameMetadata) -> Bool {
        let start = metadata.checksumStart
        let field = start + metadata.checksumOffset
        guard metadata.checksumPartial, start >= 0, field >= start, field + 2 <= frame.count else { return false }
        let sum = Checksum.sum(UnsafeRawBufferPointer(rebasing: frame[start..<frame.count]))
        let value = ~sum
        frame[field] = UInt8(truncatingIfNeeded: value >> 8)
        frame[field + 1] = UInt8(truncatingIfNeeded: value)
        return true
    }

    /// The plain frames a device puts on the wire for `frame`: the frame itself with its checksum completed, or
    /// for a TSO frame (`segmentSize > 0`) its segments. `nil` when a TSO frame is not Ethernet/IPv4/TCP with the
    /// checksum offsets of its TCP header (a device drops such a frame).
    public static func wireFrames(_ frame: [UInt8], metadata: NetFrameMetadata) -> [[UInt8]]? {
        guard metadata.segmentSize > 0 else {
            guard metadata.checksumPartial else { return [frame] }
            var copy = frame
            let done = copy.withUnsafeMutableBytes { bytes in Self.completeChecksum(bytes, metadata: metadata) }
            return done ? [copy] : nil
        }
        return frame.withUnsafeBytes { bytes in Self.segment(bytes, metadata: metadata) }
    }

    /// Cuts a TSO frame into frames of at most `segmentSize` TCP payload bytes each (see the type's comment).
    static func segment(_ frame: UnsafeRawBufferPointer, metadata: NetFrameMetadata) -> [[UInt8]]? {
        let ethernet = EthernetPacket.headerLength
        guard frame.count >= ethernet + IPv4Packet.minimumHeaderLength + TCPPacket.minimumHeaderLength,
            frame[12] == 0x08, frame[13] == 0x00
        else { return nil }
        let ipLength = Int(frame[ethernet] & 0x0F) * 4
        let tcpStart = ethernet + ipLength
        guard frame[ethernet] >> 4 == 4, ipLength >= IPv4Packet.minimumHeaderLength,
            frame[ethernet + 9] == IPProtocol.tcp.rawValue, metadata.checksumPartial,
            metadata.checksumStart == tcpStart, metadata.checksumOffset == TCPPacket.checksumFieldOffset,
            tcpStart + TCPPacket.minimumHeaderLength <= frame.count
        else { return nil }
        let tcpLength = Int(frame[tcpStart + 12] >> 4) * 4
        let headers = tcpStart + tcpLength
        guard tcpLength >= TCPPacket.minimumHeaderLength, headers <= frame.count else { return nil }
        let payload = frame.count - headers
        let size = metadata.segmentSize
        let firstSequence = UInt32(frame[tcpStart + 4]) << 24 | UInt32(frame[tcpStart + 5]) << 16
            | UInt32(frame[tcpStart + 6]) << 8 | UInt32(frame[tcpStart + 7])
        let identification = UInt16(frame[ethernet + 4]) << 8 | UInt16(frame[ethernet + 5])
        let source = IPv4Address(frame[ethernet + 12], frame[ethernet + 13], frame[ethernet + 14], frame[ethernet + 15])
        let destination = IPv4Address(
            frame[ethernet + 16], frame[ethernet + 17], frame[ethernet + 18], frame[ethernet + 19])
        let flags = frame[tcpStart + 13]
        let fin: UInt8 = 0x01
        let psh: UInt8 = 0x08
        let cwr: UInt8 = 0x80
        var pieces: [[UInt8]] = []
        var offset = 0
        var index = 0
        repeat {
            let length = Swift.min(size, payload - offset)
            let last = offset + length >= payload
            var piece = [UInt8](repeating: 0, count: headers + length)
            piece.withUnsafeMutableBytes { bytes in
                bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: frame[0..<headers]))
                if length > 0 {
                    UnsafeMutableRawBufferPointer(rebasing: bytes[headers...]).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: frame[(headers + offset)..<(headers + offset + length)]))
                }
                let ip = IPv4Packet(unchecked: UnsafeMutableRawBufferPointer(rebasing: bytes[ethernet...]))
                ip.totalLength = UInt16(ipLength + tcpLength + length)
                ip.identification = identification &+ UInt16(truncatingIfNeeded: index)
                ip.fillChecksum()
                let tcp = TCPPacket(unchecked: UnsafeMutableRawBufferPointer(rebasing: bytes[tcpStart...]))
                tcp.sequenceNumber = firstSequence &+ UInt32(offset)
                var pieceFlags = flags
                if !last { pieceFlags &= ~(fin | psh) }
                if index > 0 { pieceFlags &= ~cwr }
                bytes[tcpStart + 13] = pieceFlags
                tcp.fillChecksum(source: source, destination: destination)
            }
            pieces.append(piece)
            offset += length
            index += 1
        } while offset < payload
        return pieces
    }
}
