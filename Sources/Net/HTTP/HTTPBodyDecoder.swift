/// Request body framing and its decoder: `Content-Length` (RFC 9112 §6.2) and the chunked transfer coding
/// (RFC 9112 §7.1), bytes in, body bytes out, bounded.

/// How a request's body is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Equatable {
    /// No body (no `Content-Length`, no `Transfer-Encoding`, or `Content-Length: 0`).
    case none
    /// Exactly this many bytes follow the header section.
    case length(UInt64)
    /// `Transfer-Encoding: chunked`: chunks until a zero-size one, then an optional trailer section.
    case chunked
}

/// Takes a body's bytes off a stream as they arrive and hands out its content, whatever the framing.
///
/// Chunked (RFC 9112 §7.1): `chunk-size [chunk-ext] CRLF chunk-data CRLF` ... `0 [chunk-ext] CRLF [trailers] CRLF`.
/// A size is 1 to 16 hex digits (more, or none, is 400); extensions (§7.1.1) are skipped, at most
/// ``maximumLineLength`` bytes per size line; the trailer section (§7.1.2) is read and dropped, at most
/// ``maximumLineLength`` bytes per line and 64 lines, else 431. A bare LF ends a line as CRLF does (§2.2); after chunk
/// data anything but CRLF or LF is 400. Content beyond `maximumLength` is 413, detected at the chunk size, before its
/// data arrives. Any error is sticky.
public struct HTTPBodyDecoder {
    enum State {
        case length(remaining: UInt64)
        case size(value: UInt64, digits: Int)
        case sizeLineRest(value: UInt64, sawCR: Bool)
        case data(remaining: UInt64)
        case dataEnd(sawCR: Bool)
        case trailer(lineLength: Int, lines: Int)
        case complete
        case failed(HTTPRequestError)
    }

    /// Longest chunk-size line (extensions included) or trailer line.
    public static let maximumLineLength = 4096
    static let maximumTrailerLines = 64

    var state: State
    let maximumLength: UInt64
    /// Content bytes handed out so far.
    public private(set) var received: UInt64 = 0
    /// Chunk extension or trailer bytes on the current line.
    var extensionLength = 0

    /// A decoder for a body framed by `framing`, refusing more than `maximumLength` content bytes (413).
    public init(framing: HTTPBodyFraming, maximumLength: Int) {
        self.maximumLength = UInt64(max(maximumLength, 0))
        switch framing {
        case .none: state = .complete
        case .length(let count): state = count == 0 ? .complete : .length(remaining: count)
        case .chunked: state = .size(value: 0, digits: 0)
        }
    }

    /// Whether the whole body (and a chunked body's trailer section) has been taken.
    public var isComplete: Bool {
        if case .complete = state { return true }
        return false
    }

    /// The error that stopped the decoder, if any.
    public var error: HTTPRequestError? {
        if case .failed(let error) = state { return error }
        return nil
    }

    /// Takes bytes from `bytes` until the body ends or they run out, calling `deliver` with each run of content.
    ///
    /// - Returns: bytes taken (fewer than given only when the body ended: the rest belongs to the next request).
    /// - Throws: ``HTTPRequestError/badRequest`` (malformed chunk framing), ``HTTPRequestError/contentTooLarge``,
    ///   ``HTTPRequestError/headerFieldsTooLarge`` (trailer section); the decoder stays failed.
    public mutating func decode(
        _ bytes: UnsafeRawBufferPointer, _ deliver: (UnsafeRawBufferPointer) -> Void
    ) throws(HTTPRequestError) -> Int {
        var index = 0
        while index < bytes.count {
            switch state {
            case .complete:
                return index
            case .failed(let error):
                throw error
            case .length(let remaining), .data(let remaining):
                let take = Int(min(remaining, UInt64(bytes.count - index)))
                deliver(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]))
                index += take
                received += UInt64(take)
                let left = remaining - UInt64(take)
                if case .length = state {
                    state = left == 0 ? .complete : .length(remaining: left)
                } else {
                    state = left == 0 ? .dataEnd(sawCR: false) : .data(remaining: left)
                }
            default:
                try step(bytes[index])
                index += 1
            }
        }
        if case .failed(let error) = state { throw error }
        return index
    }

    private mutating func fail(_ error: HTTPRequestError) -> HTTPRequestError {
        state = .failed(error)
        return error
    }

    /// One byte of framing (a size line, the CRLF after data, a trailer line).
    private mutating func step(_ byte: UInt8) throws(HTTPRequestError) {
        switch state {
        case .size(let value, let digits):
            if let digit = hexValue(byte) {
                guard digits < 16 else { throw fail(.badRequest) }
                state = .size(value: value << 4 | UInt64(digit), digits: digits + 1)
                return
            }
            guard digits > 0 else { throw fail(.badRequest) }
            state = .sizeLineRest(value: value, sawCR: false)
            extensionLength = 0
            try step(byte)
        case .sizeLineRest(let value, let sawCR):
            if byte == 0x0A {
                try sizeLineCompleted(value)
            } else if sawCR {
                throw fail(.badRequest)
            } else if byte == 0x0D {
                state = .sizeLineRest(value: value, sawCR: true)
            } else {
                // BWS, `;` and the extension itself (RFC 9112 §7.1.1): skipped, bounded; control bytes refused.
                guard byte >= 0x20 || byte == 0x09, byte != 0x7F else { throw fail(.badRequest) }
                extensionLength += 1
                if extensionLength > Self.maximumLineLength { throw fail(.badRequest) }
            }
        case .dataEnd(let sawCR):
            if byte == 0x0A {
                state = .size(value: 0, digits: 0)
            } else if byte == 0x0D && !sawCR {
                state = .dataEnd(sawCR: true)
            } else {
                throw fail(.badRequest)
            }
        case .trailer(let lineLength, let lines):
            if byte == 0x0A {
                // An empty line (a lone CR at most) ends the trailer section.
                if lineLength == 0 || (lineLength == 1 && extensionLength == 1) {
                    state = .complete
                    return
                }
                guard lines + 1 < Self.maximumTrailerLines else { throw fail(.headerFieldsTooLarge) }
                state = .trailer(lineLength: 0, lines: lines + 1)
                extensionLength = 0
            } else {
                guard lineLength < Self.maximumLineLength else { throw fail(.headerFieldsTooLarge) }
                // extensionLength counts a leading CR, to recognise "\r\n" as the empty line.
                extensionLength = lineLength == 0 && byte == 0x0D ? 1 : 0
                state = .trailer(lineLength: lineLength + 1, lines: lines)
            }
        default:
            break
        }
    }

    private mutating func sizeLineCompleted(_ size: UInt64) throws(HTTPRequestError) {
        if size == 0 {
            state = .trailer(lineLength: 0, lines: 0)
            extensionLength = 0
            return
        }
        guard size <= maximumLength, received + size <= maximumLength else { throw fail(.contentTooLarge) }
        state = .data(remaining: size)
    }
}

/// The value of a hex digit, or nil (chunk sizes here; percent-escapes in apps).
@inline(__always)
public func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
