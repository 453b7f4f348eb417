/// http-get: the TCP client sample. Brings up `service`, connects to the server in the `url` boot argument with
/// ``TCPConnection/connect(to:port:on:timeout:configuration:)``, sends one `GET` with `Connection: close`, reads the
/// response to end of stream and prints its status, body length and the body's FNV-1a 64 hash:
///
///     swiftlet run http-get --net service=tap:tap0 -- ip=10.0.0.2/24 gw=10.0.0.1 url=http://10.0.0.1:8000/file
///     http-get: 200, 10485760 bytes, fnv1a64 0123456789abcdef
///
/// Boot arguments: `url=http://A.B.C.D[:PORT]/path` (required; an IPv4 literal, no DNS; port 80 by default);
/// `ip=a.b.c.d/n` and optional `gw=a.b.c.d` (no `ip`: DHCP); `timeout=S` seconds for the handshake and for each
/// wait for bytes (default 10).
///
/// Exits 0 for a 2xx status with a complete body (Content-Length, when sent, must match what arrived); 1 with a
/// `http-get: ...` line saying why otherwise (connection refused or timed out, reset, a malformed or oversized
/// header, a short body, a non-2xx status); 2 for bad boot arguments. The response parser is deliberately small
/// and strict (RFC 9112 §4 status line, §6.3 message body length): no chunked coding, headers at most 16 KiB.
import Net
import Runtime

@main
struct HTTPGet: Application {
    static func run(_ arguments: BootArguments) async -> Int32 {
        guard let text = arguments["url"], let url = HTTPGetURL(text) else {
            print("http-get: usage: url=http://A.B.C.D[:PORT]/path [ip=a.b.c.d/n [gw=a.b.c.d]] [timeout=S]")
            return 2
        }
        let timeout = Duration.seconds(Int64(arguments.integer("timeout") ?? 10))
        let stack: NetworkStack
        do throws(NetworkStackError) {
            stack = try await NetworkStack.up(device: "service", bootArguments: arguments)
        } catch {
            print("http-get: cannot bring up 'service': \(error)")
            return error.exitStatus
        }
        print("http-get: \(stack.address.map { $0.description } ?? "no address") mac \(stack.mac), GET \(text)")
        let connection: TCPConnection
        do throws(TCPError) {
            connection = try await TCPConnection.connect(to: url.address, port: url.port, on: stack, timeout: timeout)
        } catch {
            print("http-get: cannot connect to \(url.address):\(url.port): \(error)")
            return 1
        }
        let request = "GET \(url.path) HTTP/1.1\r\nHost: \(url.host)\r\nUser-Agent: swiftlet-http-get\r\n"
            + "Accept: */*\r\nConnection: close\r\n\r\n"
        var response = HTTPGetResponse()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        do throws(TCPError) {
            try await connection.write(request, timeout: timeout)
            while true {
                let count = try await connection.read(into: buffer, timeout: timeout)
                if count == 0 { break }
                if let problem = response.receive(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
                    print("http-get: bad response from \(url.address):\(url.port): \(problem)")
                    connection.abort()
                    return 1
                }
            }
        } catch {
            print("http-get: \(url.address):\(url.port): \(error) after \(response.bodyCount) body bytes")
            connection.abort()
            return 1
        }
        connection.close()
        guard let status = response.status else {
            print("http-get: bad response from \(url.address):\(url.port): it ended inside the header")
            return 1
        }
        print("http-get: \(status), \(response.bodyCount) bytes, fnv1a64 \(hex64(response.hash))")
        if let length = response.contentLength, length != response.bodyCount {
            print("http-get: short body: Content-Length \(length), received \(response.bodyCount)")
            return 1
        }
        guard (200..<300).contains(status) else {
            print("http-get: status \(status)")
            return 1
        }
        return 0
    }

    /// `value` as 16 lowercase hex digits.
    static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.utf8.count) + digits
    }
}

/// The parts of an `http://A.B.C.D[:PORT]/path` URL (RFC 9110 §4.2.1, IPv4 literal hosts only).
struct HTTPGetURL {
    var address: IPv4Address
    var port: UInt16
    /// The authority as given, for the Host header.
    var host: String
    /// The path and query, `/` when empty.
    var path: String

    init?(_ text: String) {
        let scheme = "http://"
        guard text.hasPrefix(scheme) else { return nil }
        let rest = text.dropFirst(scheme.count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[rest.startIndex..<slash]
        let path = rest[slash...]
        // The path goes on the request line as is: nothing that could end or split it.
        for byte in path.utf8 where byte <= 0x20 || byte == 0x7F { return nil }
        var hostPart = authority
        var port: UInt16 = 80
        if let colon = authority.firstIndex(of: ":") {
            hostPart = authority[authority.startIndex..<colon]
            let digits = authority[authority.index(after: colon)...]
            guard !digits.isEmpty, digits.utf8.count <= 5, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let value = UInt16(String(digits)), value != 0
            else { return nil }
            port = value
        }
        guard let address = IPv4Address(String(hostPart)) else { return nil }
        self.address = address
        self.port = port
        self.host = String(authority)
        self.path = path.isEmpty ? "/" : String(path)
    }
}

/// A response read incrementally: the header is collected (at most ``maximumHeader`` bytes) and parsed once its
/// empty line arrives; body bytes are only counted and hashed (FNV-1a 64), never kept.
struct HTTPGetResponse {
    static let maximumHeader = 16384
    private var header: [UInt8] = []
    /// The status code, once the header is complete.
    private(set) var status: Int?
    /// The Content-Length header's value, if it had one.
    private(set) var contentLength: Int?
    /// Body bytes received so far.
    private(set) var bodyCount = 0
    /// FNV-1a 64 of the body so far.
    private(set) var hash: UInt64 = 0xcbf2_9ce4_8422_2325

    /// Takes the next received bytes; returns what is wrong with the response, or nil.
    mutating func receive(_ bytes: UnsafeRawBufferPointer) -> String? {
        var body = bytes[...]
        if self.status == nil {
            var end: Int?
            for (offset, byte) in bytes.enumerated() {
                self.header.append(byte)
                if self.header.count >= 4 && self.header.suffix(4).elementsEqual([13, 10, 13, 10]) {
                    end = offset + 1
                    break
                }
                if self.header.count >= Self.maximumHeader { return "header longer than \(Self.maximumHeader) bytes" }
            }
            guard let end else { return nil }
            if let problem = self.parseHeader() { return problem }
            body = bytes[end...]
        }
        self.hashBody(UnsafeRawBufferPointer(rebasing: body))
        return nil
    }

    private mutating func hashBody(_ bytes: UnsafeRawBufferPointer) {
        var hash = self.hash
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        self.hash = hash
        self.bodyCount += bytes.count
    }

    /// Parses the complete header (it ends in CRLF CRLF): the status line `HTTP/1.x SSS reason` (RFC 9112 §4) and
    /// the one field that matters here, Content-Length (RFC 9112 §6.3: several differing values are an error);
    /// refuses Transfer-Encoding, which this client does not decode.
    private mutating func parseHeader() -> String? {
        let content = self.header[0..<(self.header.count - 4)]
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index + 1 < content.count {
            if content[index] == 13 && content[index + 1] == 10 {
                lines.append(content[start..<index])
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        lines.append(content[start..<content.count])
        // A bare CR or LF inside a line is malformed (RFC 9112 §2.2 lets a recipient reject it).
        for line in lines where line.contains(13) || line.contains(10) { return "bare CR or LF in the header" }
        let statusLine = Array(lines[0])
        // "HTTP/1." DIGIT SP 3DIGIT (SP reason)?
        let prefix: [UInt8] = Array("HTTP/1.".utf8)
        guard statusLine.count >= 12, statusLine.starts(with: prefix), isDigit(statusLine[7]), statusLine[8] == 32,
            isDigit(statusLine[9]), isDigit(statusLine[10]), isDigit(statusLine[11]),
            statusLine.count == 12 || statusLine[12] == 32
        else { return "malformed status line" }
        let code = Int(statusLine[9] - 48) * 100 + Int(statusLine[10] - 48) * 10 + Int(statusLine[11] - 48)
        guard code >= 100 else { return "malformed status line" }
        for line in lines.dropFirst() {
            // field-name ":" OWS value OWS; no whitespace in the name (also rules out obs-fold, RFC 9112 §5.2).
            guard let colon = line.firstIndex(of: 58), colon > line.startIndex,
                !line[line.startIndex..<colon].contains(where: { $0 == 32 || $0 == 9 })
            else { return "malformed header field" }
            let name = String(decoding: line[line.startIndex..<colon].map { lowercased($0) }, as: UTF8.self)
            var value = line[(colon + 1)...]
            while let first = value.first, first == 32 || first == 9 { value = value.dropFirst() }
            while let last = value.last, last == 32 || last == 9 { value = value.dropLast() }
            if name == "transfer-encoding" { return "Transfer-Encoding is not supported" }
            if name == "content-length" {
                guard !value.isEmpty, value.count <= 18, value.allSatisfy(isDigit) else {
                    return "malformed Content-Length"
                }
                var length = 0
                for digit in value { length = length * 10 + Int(digit - 48) }
                if let earlier = self.contentLength, earlier != length { return "conflicting Content-Length" }
                self.contentLength = length
            }
        }
        self.status = code
        self.header = []
        return nil
    }
}

private func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
private func lowercased(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }
