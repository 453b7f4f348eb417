/// Owned segments for tests and tools: ``TCPSegment`` (a header and an array of data) and the two calls that wrap
/// the borrowed seam in it, so that two control blocks can be wired together with no interface.
///
/// The stack itself never uses these: `Interface+TCP.swift` hands the connection a payload borrowed from the
/// received frame and lets it emit straight into the frame it builds (``TCPIncomingSegment``,
/// ``TCPOutgoingSegment``). Here each segment costs an array, and the device is a callback that always accepts.
import Runtime

/// A segment as a value: a header and its data (a copy).
public struct TCPSegment: Equatable, CustomStringConvertible {
    /// The header (its `payloadLength` equals `payload.count`).
    public var header: TCPHeader
    /// The data.
    public var payload: [UInt8]
    /// For a segment longer than one SMSS, handed to a device that segments TCP itself (TSO): the data each
    /// segment on the wire carries (the SMSS less the options every segment carries); 0 otherwise.
    public var segmentationSize = 0

    public init(header: TCPHeader, payload: [UInt8] = []) {
        self.header = header
        self.header.payloadLength = payload.count
        self.payload = payload
    }

    /// A copy of an outgoing segment's header and data.
    public init(_ outgoing: TCPOutgoingSegment) {
        let payload = [UInt8](unsafeUninitializedCapacity: outgoing.payloadCount) { buffer, initialized in
            outgoing.copyPayload(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = outgoing.payloadCount
        }
        self.init(header: outgoing.header, payload: payload)
        self.segmentationSize = outgoing.segmentationSize
    }

    public var description: String { self.header.description }
}

extension TCPControlBlock {
    /// ``process(_:now:emit:)`` for an owned segment; returns the reply emitted at once, if any.
    public func process(_ segment: TCPSegment, now: Instant) -> TCPSegment? {
        var reply: TCPSegment? = nil
        segment.payload.withUnsafeBytes { payload in
            self.process(TCPIncomingSegment(header: segment.header, payload: payload), now: now) { outgoing in
                reply = TCPSegment(outgoing)
                return true
            }
        }
        return reply
    }

    /// ``dispatch(now:emit:)`` with a device that takes every segment: the segment sent, or `nil` when none was
    /// due. Call until it returns `nil`.
    public func dispatch(now: Instant) -> TCPSegment? {
        var sent: TCPSegment? = nil
        _ = self.dispatch(now: now) { outgoing in
            sent = TCPSegment(outgoing)
            return true
        }
        return sent
    }
}
