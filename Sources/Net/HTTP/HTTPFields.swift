/// Field lines and the fields that frame a message, shared by both directions: ``HTTPRequestParser`` (server) and
/// ``HTTPResponseParser`` (client) parse a field line and read `Transfer-Encoding`, `Content-Length` and
/// `Connection` with the same code, and differ only in what they conclude (RFC 9112 §6.3 has separate rules for
/// requests and responses).

/// Parses one field line, `field-name ":" OWS field-value OWS` (RFC 9112 §5), given without its line end.
///
/// Returns nil for a malformed line: whitespace at its start (obsolete line folding, §5.2, or whitespace before the
/// first field line, §2.2), no colon, a name that is not a token (so no whitespace before the colon, §5.1), or a
/// control byte other than HTAB in the value.
func parseHTTPFieldLine(_ line: ArraySlice<UInt8>) -> HTTPField? {
    guard let first = line.first, !isOptionalWhitespace(first) else { return nil }
    guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
    let name = line[line.startIndex..<colon]
    guard isToken(name) else { return nil }
    let value = trimmingWhitespace(line[(colon + 1)...])
    for byte in value where byte < 0x20 && byte != 0x09 || byte == 0x7F { return nil }
    return HTTPField(name: Array(name), value: Array(value))
}

/// What a message's framing and persistence fields say, before the request or response rules of RFC 9112 §6.3
/// are applied.
struct HTTPFramingFields {
    /// The `Transfer-Encoding` codings, in order over all its fields (RFC 9112 §6.1).
    enum TransferCoding: Equatable {
        /// No `Transfer-Encoding` field.
        case none
        /// Exactly `chunked`.
        case chunked
        /// Other codings, then `chunked` last.
        case chunkedAfterOthers
        /// `chunked` absent or not last (or repeated).
        case chunkedNotLast
    }

    var transferCoding = TransferCoding.none
    /// The `Content-Length` (all its values equal), if any.
    var contentLength: UInt64?
    /// `Connection` lists `close` (RFC 9112 §9.6).
    var close = false
    /// `Connection` lists `keep-alive` (HTTP/1.0 persistence, RFC 9112 §9.3).
    var keepAlive = false

    /// Reads `fields`; nil when a `Transfer-Encoding` element is not a token or `Content-Length` values are not
    /// all the same number (RFC 9112 §6.3 item 5: an invalid length makes the framing invalid).
    init?(_ fields: [HTTPField]) {
        var chunked = false
        var afterChunked = false
        var others = false
        var transferEncoding = false
        for field in fields {
            if field.hasName("Transfer-Encoding") {
                transferEncoding = true
                for element in field.value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                    let coding = trimmingWhitespace(element)
                    guard isToken(coding) else { return nil }
                    if chunked { afterChunked = true }
                    if asciiEqualIgnoringCase(coding, "chunked") {
                        chunked = true
                    } else {
                        others = true
                    }
                }
            } else if field.hasName("Content-Length") {
                for element in field.value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                    guard let length = decimalValue(trimmingWhitespace(element)) else { return nil }
                    if let earlier = contentLength, earlier != length { return nil }
                    contentLength = length
                }
            } else if field.hasName("Connection") {
                for element in field.value.split(separator: UInt8(ascii: ",")) {
                    let option = trimmingWhitespace(element)
                    if asciiEqualIgnoringCase(option, "close") { close = true }
                    if asciiEqualIgnoringCase(option, "keep-alive") { keepAlive = true }
                }
            }
        }
        if transferEncoding {
            if !chunked || afterChunked {
                transferCoding = .chunkedNotLast
            } else {
                transferCoding = others ? .chunkedAfterOthers : .chunked
            }
        }
    }

    /// Whether the connection persists after this message (RFC 9112 §9.3): HTTP/1.1 unless `close`; HTTP/1.0 only
    /// with `keep-alive` and without `close`.
    func persists(_ version: HTTPVersion) -> Bool {
        version == .http11 ? !close : keepAlive && !close
    }
}
