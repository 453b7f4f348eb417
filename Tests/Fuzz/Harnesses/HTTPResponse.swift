/// The HTTP client's response side (`Sources/Net/HTTP/HTTPResponseParser.swift`, then ``HTTPBodyDecoder`` for the
/// framing it finds) and its URL parser under hostile bytes. Byte 0 picks the request method (HEAD or GET), small or
/// default budgets, and a split; the outcome must not depend on the split, and nothing may trap.
import Net

/// What parsing a response stream produced, as one comparable line.
private func parseResponseStream(
    _ bytes: UnsafeRawBufferPointer, piece: Int, method: HTTPMethod, small: Bool
) -> String {
    var parser =
        small ? HTTPResponseParser(maximumHeaderLength: 128, maximumFieldCount: 4) : HTTPResponseParser()
    var decoder: HTTPBodyDecoder? = nil
    var untilClose = false
    var bodyLength = 0
    var summary = ""
    var start = 0
    while start < bytes.count {
        let end = min(start + piece, bytes.count)
        var offset = start
        while offset < end {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
            if untilClose {
                bodyLength += rest.count
                offset = end
                continue
            }
            if var body = decoder {
                do throws(HTTPRequestError) {
                    offset += try body.decode(rest) { bodyLength += $0.count }
                } catch {
                    return summary + "body error \(error) after \(bodyLength)"
                }
                decoder = body
                if body.isComplete { return summary + "+\(bodyLength) rest=\(bytes.count - offset)" }
                continue
            }
            do throws(HTTPClientError) {
                let step = try parser.parse(rest, requestMethod: method)
                offset += step.consumed
                if let head = step.head {
                    summary += head.description + "|"
                    if head.isInterim { continue }
                    switch head.framing {
                    case .none: return summary + " rest=\(bytes.count - offset)"
                    case .length(let length):
                        decoder = HTTPBodyDecoder(framing: .length(length), maximumLength: 1 << 20)
                    case .chunked: decoder = HTTPBodyDecoder(framing: .chunked, maximumLength: small ? 32 : 1 << 20)
                    case .untilClose: untilClose = true
                    }
                }
            } catch {
                return summary + "error \(error) idle=\(parser.isIdle)"
            }
        }
        start = end
    }
    return summary + "+\(bodyLength)... idle=\(parser.isIdle)"
}

func fuzzHTTPResponse(_ input: UnsafeRawBufferPointer) {
    guard let control = input.first else { return }
    let bytes = UnsafeRawBufferPointer(rebasing: input[1...])
    let method: HTTPMethod = control & 1 == 0 ? .get : .head
    let small = control & 0x80 != 0
    let piece = 1 + Int(control >> 1 & 0x3F)
    let whole = parseResponseStream(bytes, piece: max(bytes.count, 1), method: method, small: small)
    let split = parseResponseStream(bytes, piece: piece, method: method, small: small)
    if whole != split { fatalError("HTTP response parse depends on the split (\(piece)): \(whole) vs \(split)") }
    // The same bytes as a URL: parsed or refused, never a trap; a parsed one prints and parses back the same.
    var text = ""
    for byte in bytes.prefix(512) { text.append(Character(Unicode.Scalar(byte))) }
    var url: HTTPURL? = nil
    do throws(HTTPClientError) { url = try HTTPURL(text) } catch {}
    if let url {
        var again: HTTPURL? = nil
        do throws(HTTPClientError) { again = try HTTPURL(url.description) } catch {}
        if again != url { fatalError("URL round trip: \(url) vs \(again.map { $0.description } ?? "refused")") }
    }
}
