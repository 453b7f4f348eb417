import Runtime

/// Where response bytes go: an array, or a transport's send buffer. Writes whole runs of bytes, never one
/// character at a time through `String`.
public protocol HTTPByteSink {
    /// Appends `bytes`.
    mutating func write(_ bytes: UnsafeRawBufferPointer)
}

extension Array: HTTPByteSink where Element == UInt8 {
    public mutating func write(_ bytes: UnsafeRawBufferPointer) { self.append(contentsOf: bytes) }
}

extension HTTPByteSink {
    /// Appends the UTF-8 bytes of `text`.
    public mutating func write(_ text: StaticString) {
        text.withUTF8Buffer { bytes in self.write(UnsafeRawBufferPointer(bytes)) }
    }

    /// Appends `value` in decimal, without leading zeros.
    public mutating func writeDecimal(_ value: UInt64) {
        // 20 digits hold UInt64.max.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var start = buffer.count
            var rest = value
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            self.write(UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// Appends `value` in lowercase hexadecimal, without leading zeros (a chunk size, RFC 9112 §7.1).
    public mutating func writeHexadecimal(_ value: UInt64) {
        var digits: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var start = buffer.count
            var rest = value
            repeat {
                start -= 1
                let digit = UInt8(rest & 15)
                buffer[start] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                rest >>= 4
            } while rest > 0
            self.write(UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// Appends `value` (0...99) as two digits.
    mutating func writeTwoDigits(_ value: Int) {
        var pair: (UInt8, UInt8) = (UInt8(ascii: "0") + UInt8(value / 10 % 10), UInt8(ascii: "0") + UInt8(value % 10))
        withUnsafeBytes(of: &pair) { bytes in self.write(bytes) }
    }
}

/// A response head (RFC 9112 §4 status line, then fields), written by ``write(into:)``.
///
/// Fields, in order: `Server: swiftlet`, `Date` when ``date`` is set (RFC 9110 §6.6.1, IMF-fixdate),
/// `Content-Type` when set, ``fields``, `Content-Length` (so the client can find the end on a persistent connection;
/// for HEAD it is the length a GET would send, RFC 9110 §8.6) or, without a length, `Transfer-Encoding: chunked`
/// (RFC 9112 §7.1) — neither for 1xx, 204 and 304, which have no content (RFC 9110 §6.4.1, §8.6) —, `Allow` when
/// set (405), then `Connection: close` when
/// the connection will close, or `Connection: keep-alive` when it stays open for an HTTP/1.0 client (which would
/// otherwise assume a close, RFC 9112 §9.3). The status line always says `HTTP/1.1` (RFC 9110 §6.2).
public struct HTTPResponse {
    public var status: HTTPStatus
    /// The body's length in bytes; nil for a chunked body.
    public var contentLength: UInt64?
    /// More fields, written after `Content-Type`.
    public var fields: [HTTPField] = []
    /// Whether the body ends when the connection closes (an HTTP/1.0 client and a body of unknown length,
    /// RFC 9112 §6.3 item 8): no framing field is written.
    public var delimitedByClose = false
    /// The media type, e.g. `text/html`.
    public var contentType: StaticString?
    /// The methods for `Allow` (405, RFC 9110 §10.2.1), e.g. `GET, HEAD`.
    public var allow: StaticString?
    /// Whether the connection stays open after this response.
    public var keepAlive: Bool
    /// The request's version (decides whether keep-alive must be stated).
    public var requestVersion: HTTPVersion
    /// The `Date`: the caller reads ``Runtime/WallClock`` (this layer never reads a clock); nil leaves it out.
    public var date: WallClock?

    public init(
        status: HTTPStatus, contentLength: UInt64?, contentType: StaticString? = nil, allow: StaticString? = nil,
        keepAlive: Bool = true, requestVersion: HTTPVersion = .http11, date: WallClock? = nil
    ) {
        self.status = status
        self.contentLength = contentLength
        self.contentType = contentType
        self.allow = allow
        self.keepAlive = keepAlive
        self.requestVersion = requestVersion
        self.date = date
    }

    /// Appends the status line, the fields and the empty line to `sink`.
    public func write<Sink: HTTPByteSink>(into sink: inout Sink) {
        sink.write("HTTP/1.1 ")
        sink.writeDecimal(UInt64(status.code))
        sink.write(" ")
        sink.write(status.reason)
        sink.write("\r\nServer: swiftlet\r\n")
        if let date {
            sink.write("Date: ")
            writeIMFFixdate(date, into: &sink)
            sink.write("\r\n")
        }
        if let contentType {
            sink.write("Content-Type: ")
            sink.write(contentType)
            sink.write("\r\n")
        }
        for field in fields {
            field.name.withUnsafeBytes { sink.write($0) }
            sink.write(": ")
            field.value.withUnsafeBytes { sink.write($0) }
            sink.write("\r\n")
        }
        if !hasNoContent && !delimitedByClose {
            if let contentLength {
                sink.write("Content-Length: ")
                sink.writeDecimal(contentLength)
                sink.write("\r\n")
            } else {
                sink.write("Transfer-Encoding: chunked\r\n")
            }
        }
        if let allow {
            sink.write("Allow: ")
            sink.write(allow)
            sink.write("\r\n")
        }
        if !keepAlive {
            sink.write("Connection: close\r\n")
        } else if requestVersion == .http10 {
            sink.write("Connection: keep-alive\r\n")
        }
        sink.write("\r\n")
    }

    /// Whether the status forbids content and framing fields: 1xx, 204, 304 (RFC 9110 §6.4.1).
    public var hasNoContent: Bool { status.code < 200 || status.code == 204 || status.code == 304 }

    /// The head as a new array.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160)
        write(into: &bytes)
        return bytes
    }
}

/// Writes `date` as IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7).
public func writeIMFFixdate<Sink: HTTPByteSink>(_ date: WallClock, into sink: inout Sink) {
    let seconds = date.secondsSinceEpoch
    // 1970-01-01 was a Thursday.
    switch (seconds / 86_400 + 4) % 7 {
    case 0: sink.write("Sun, ")
    case 1: sink.write("Mon, ")
    case 2: sink.write("Tue, ")
    case 3: sink.write("Wed, ")
    case 4: sink.write("Thu, ")
    case 5: sink.write("Fri, ")
    default: sink.write("Sat, ")
    }
    let (year, month, day) = date.civilDate
    sink.writeTwoDigits(day)
    switch month {
    case 1: sink.write(" Jan ")
    case 2: sink.write(" Feb ")
    case 3: sink.write(" Mar ")
    case 4: sink.write(" Apr ")
    case 5: sink.write(" May ")
    case 6: sink.write(" Jun ")
    case 7: sink.write(" Jul ")
    case 8: sink.write(" Aug ")
    case 9: sink.write(" Sep ")
    case 10: sink.write(" Oct ")
    case 11: sink.write(" Nov ")
    default: sink.write(" Dec ")
    }
    sink.writeTwoDigits(year / 100)
    sink.writeTwoDigits(year % 100)
    sink.write(" ")
    let secondOfDay = Int(seconds % 86_400)
    sink.writeTwoDigits(secondOfDay / 3600)
    sink.write(":")
    sink.writeTwoDigits(secondOfDay / 60 % 60)
    sink.write(":")
    sink.writeTwoDigits(secondOfDay % 60)
    sink.write(" GMT")
}
