/// `http` URLs for ``HTTPClient`` (RFC 9110 §4.2.1, RFC 3986 §3).

/// An `http://host[:port][/path][?query][#fragment]` URL, split into what a request needs.
///
/// The host is a DNS name or an IPv4 literal (IPv6 literals and user info are refused); the port defaults to 80.
/// The fragment is dropped (RFC 9110 §7.1: it is not sent). Path and query are kept as given and must be visible
/// ASCII (percent-encode anything else).
public struct HTTPURL: Equatable, CustomStringConvertible {
    /// The host as written, lowercased (a name to resolve, or an IPv4 literal).
    public var host: String
    /// The TCP port.
    public var port: UInt16
    /// The request target in origin form (RFC 9112 §3.2.1): the path (`/` when empty) and `?query`.
    public var target: [UInt8]

    /// Parses `text`.
    ///
    /// - Throws: ``HTTPClientError/unsupportedScheme`` for a scheme other than `http`; ``HTTPClientError/invalidURL``
    ///   for anything else that does not fit.
    public init(_ text: String) throws(HTTPClientError) {
        let bytes = Array(text.utf8)
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 §3.1)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0,
            bytes[0..<colon].allSatisfy({ isTokenCharacter($0) })
        else { throw .invalidURL }
        guard asciiEqualIgnoringCase(bytes[0..<colon], "http") else { throw .unsupportedScheme }
        guard bytes.count >= colon + 3, bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/")
        else { throw .invalidURL }
        var rest = bytes[(colon + 3)...]
        if let hash = rest.firstIndex(of: UInt8(ascii: "#")) { rest = rest[rest.startIndex..<hash] }
        for byte in rest where byte <= 0x20 || byte >= 0x7F { throw .invalidURL }
        let authorityEnd =
            rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) ?? rest.endIndex
        let authority = rest[rest.startIndex..<authorityEnd]
        guard !authority.contains(UInt8(ascii: "@")), !authority.contains(UInt8(ascii: "[")) else {
            throw .invalidURL
        }
        var hostBytes = authority
        var port: UInt16 = 80
        if let portColon = authority.firstIndex(of: UInt8(ascii: ":")) {
            hostBytes = authority[authority.startIndex..<portColon]
            let digits = authority[(portColon + 1)...]
            // An empty port means the default (RFC 3986 §3.2.3).
            if !digits.isEmpty {
                guard digits.count <= 5, let value = decimalValue(digits), value > 0, value <= 65535 else {
                    throw .invalidURL
                }
                port = UInt16(value)
            }
        }
        guard !hostBytes.isEmpty, hostBytes.allSatisfy(isHostNameCharacter) else { throw .invalidURL }
        self.host = asciiString(hostBytes.map(asciiLowercased))
        self.port = port
        var target = Array(rest[authorityEnd...])
        if target.first != UInt8(ascii: "/") { target.insert(UInt8(ascii: "/"), at: 0) }
        self.target = target
    }

    /// `host` or `host:port` for the `Host` field (RFC 9110 §7.2: the port only when not the default).
    public var authority: String { port == 80 ? host : "\(host):\(port)" }

    /// The URL a `Location` value names relative to this one (RFC 9110 §10.2.2): an `http` URL, or an absolute path
    /// (`/...`) on this host and port; nil for anything else (other schemes, relative paths).
    public func resolving(location: [UInt8]) -> HTTPURL? {
        if location.first == UInt8(ascii: "/") && location.dropFirst().first != UInt8(ascii: "/") {
            guard location.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
            var url = self
            var target = location
            if let hash = target.firstIndex(of: UInt8(ascii: "#")) { target.removeSubrange(hash...) }
            url.target = target
            return url
        }
        do throws(HTTPClientError) {
            return try HTTPURL(asciiString(location))
        } catch {
            return nil
        }
    }

    /// `http://authority/target`.
    public var description: String { "http://\(authority)\(asciiString(target))" }
}

/// Whether `byte` may appear in a host name or IPv4 literal (RFC 3986 §3.2.2 reg-name, without percent-encoding).
func isHostNameCharacter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
        return true
    default:
        return false
    }
}
