/// The HTTP/1.1 request parser (`Sources/Net/HTTP`) under hostile bytes. The first input byte picks how bodies are
/// handled (kept, discarded, or streamed through ``HTTPBodyDecoder`` as ``HTTPServer`` does) and how the rest is
/// split into reads; the outcome must not depend on the split (a finding otherwise), and nothing may trap.
import Net

/// What parsing a byte stream produced, as one comparable line.
private func parseStream(
    _ bytes: UnsafeRawBufferPointer, piece: Int, bodies: HTTPBodyHandling, limits: HTTPLimits
) -> String {
    var parser = HTTPRequestParser(limits: limits, bodies: bodies)
    var streamed: HTTPBodyDecoder? = nil
    var streamedLength = 0
    var summary = ""
    var start = 0
    while start < bytes.count {
        let end = min(start + piece, bytes.count)
        var offset = start
        while offset < end {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
            if var decoder = streamed {
                do throws(HTTPRequestError) {
                    offset += try decoder.decode(rest) { streamedLength += $0.count }
                } catch {
                    return summary + "body error \(error) after \(streamedLength)"
                }
                streamed = decoder
                if decoder.isComplete {
                    summary += "+\(streamedLength)|"
                    streamed = nil
                    streamedLength = 0
                }
                continue
            }
            do throws(HTTPRequestError) {
                let step = try parser.parse(rest)
                offset += step.consumed
                if let request = step.request {
                    summary += request.description + " body=\(request.body.count)/\(request.discardedBodyLength)|"
                    if bodies == .stream {
                        let decoder = HTTPBodyDecoder(framing: request.framing, maximumLength: limits.maximumBodyLength)
                        if !decoder.isComplete { streamed = decoder }
                    }
                }
            } catch {
                return summary + "error \(error) idle=\(parser.isIdle)"
            }
        }
        start = end
    }
    if streamed != nil { summary += "+\(streamedLength)..." }
    return summary + " idle=\(parser.isIdle) header=\(parser.isInHeaderSection)"
}

func fuzzHTTP(_ input: UnsafeRawBufferPointer) {
    guard let control = input.first else { return }
    let bytes = UnsafeRawBufferPointer(rebasing: input[1...])
    let bodies: HTTPBodyHandling = control % 3 == 0 ? .keep : control % 3 == 1 ? .discard : .stream
    // Small limits so that the fuzzer reaches every limit with short inputs.
    let limits =
        control & 0x80 != 0
        ? HTTPLimits(
            maximumRequestLineLength: 64, maximumHeaderSectionLength: 256, maximumFieldCount: 4, maximumBodyLength: 32)
        : HTTPLimits()
    let piece = 1 + Int(control >> 2 & 0x1F)
    let whole = parseStream(bytes, piece: max(bytes.count, 1), bodies: bodies, limits: limits)
    let split = parseStream(bytes, piece: piece, bodies: bodies, limits: limits)
    if whole != split { fatalError("HTTP parse depends on the split (\(piece)): \(whole) vs \(split)") }
}
