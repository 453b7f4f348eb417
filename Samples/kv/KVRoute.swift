/// The kv sample's URL space, decoded from a request without touching the store: what a request asks for.
///
/// | request | route |
/// |---|---|
/// | `GET /kv/KEY`, `HEAD /kv/KEY` | ``get(_:)`` |
/// | `PUT /kv/KEY` (the body is the value) | ``put(_:)`` |
/// | `DELETE /kv/KEY` | ``delete(_:)`` |
/// | `GET /kv/?prefix=P&after=K&limit=N` (all optional) | ``list(prefix:after:limit:)`` |
/// | `GET /stats` | ``statistics`` |
///
/// `KEY`, `P` and `K` are percent-decoded (RFC 3986 §2.1) into the store's raw key bytes, so any byte string of 1–255
/// bytes can be a key. Anything else under `/kv/` with a valid path is ``methodNotAllowed``; a path outside it is
/// ``notFound``; a malformed escape or an over-long key is ``badKey``.
import Net

enum KVRoute: Equatable {
    case get([UInt8])
    case put([UInt8])
    case delete([UInt8])
    case list(prefix: [UInt8], after: [UInt8]?, limit: Int)
    case statistics
    /// 405, with the methods the resource allows.
    case methodNotAllowed(allow: StaticString)
    case notFound
    /// 400: a malformed percent escape, an empty or over-long key, or a bad `limit`.
    case badKey

    static func == (a: KVRoute, b: KVRoute) -> Bool {
        switch (a, b) {
        case (.get(let x), .get(let y)), (.put(let x), .put(let y)), (.delete(let x), .delete(let y)): x == y
        case (.list(let p1, let a1, let l1), .list(let p2, let a2, let l2)): p1 == p2 && a1 == a2 && l1 == l2
        case (.statistics, .statistics), (.notFound, .notFound), (.badKey, .badKey): true
        case (.methodNotAllowed(let x), .methodNotAllowed(let y)):
            x.withUTF8Buffer { left in y.withUTF8Buffer { right in left.elementsEqual(right) } }
        default: false
        }
    }

    /// Keys per listing page when the request names no `limit`, and the most it may ask for.
    static let defaultListLimit = 100
    static let maximumListLimit = 1000
    /// The store's key limit (bytes).
    static let maximumKeyLength = 255

    init(method: HTTPMethod, target: [UInt8], path: ArraySlice<UInt8>) {
        let prefix: [UInt8] = Array("/kv/".utf8)
        if path.elementsEqual("/stats".utf8) {
            self = method == .get || method == .head ? .statistics : .methodNotAllowed(allow: "GET, HEAD")
            return
        }
        guard path.count >= prefix.count, path.prefix(prefix.count).elementsEqual(prefix) else {
            self = .notFound
            return
        }
        let encodedKey = path.dropFirst(prefix.count)
        if encodedKey.isEmpty {
            guard method == .get || method == .head else {
                self = .methodNotAllowed(allow: "GET, HEAD")
                return
            }
            self = KVRoute.listing(query: KVRoute.query(of: target))
            return
        }
        guard let key = percentDecoded(encodedKey), key.count <= KVRoute.maximumKeyLength else {
            self = .badKey
            return
        }
        switch method {
        case .get, .head: self = .get(key)
        case .put: self = .put(key)
        case .delete: self = .delete(key)
        default: self = .methodNotAllowed(allow: "GET, HEAD, PUT, DELETE")
        }
    }

    /// The bytes after the first `?` of `target`, or empty.
    static func query(of target: [UInt8]) -> ArraySlice<UInt8> {
        guard let mark = target.firstIndex(of: UInt8(ascii: "?")) else { return [] }
        return target[(mark + 1)...]
    }

    /// A listing from `prefix=`, `after=` and `limit=` (application/x-www-form-urlencoded pairs; others ignored).
    static func listing(query: ArraySlice<UInt8>) -> KVRoute {
        var prefix: [UInt8] = []
        var after: [UInt8]? = nil
        var limit = defaultListLimit
        for pair in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0]
            let rawValue = parts.count > 1 ? parts[1] : []
            guard let value = percentDecoded(rawValue, plusIsSpace: true) else { return .badKey }
            if name.elementsEqual("prefix".utf8) {
                guard value.count <= maximumKeyLength else { return .badKey }
                prefix = value
            } else if name.elementsEqual("after".utf8) {
                guard value.count <= maximumKeyLength else { return .badKey }
                after = value.isEmpty ? nil : value
            } else if name.elementsEqual("limit".utf8) {
                guard let number = decimal(value), number >= 1, number <= maximumListLimit else { return .badKey }
                limit = number
            }
        }
        return .list(prefix: prefix, after: after, limit: limit)
    }
}

/// `bytes` with every `%HH` replaced by its byte (and `+` by a space when `plusIsSpace`); nil for a malformed escape.
func percentDecoded(_ bytes: ArraySlice<UInt8>, plusIsSpace: Bool = false) -> [UInt8]? {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = bytes.startIndex
    while index < bytes.endIndex {
        let byte = bytes[index]
        if byte == UInt8(ascii: "%") {
            guard bytes.endIndex - index >= 3, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            else { return nil }
            out.append(high << 4 | low)
            index += 3
        } else {
            out.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
    }
    return out
}

/// `bytes` with every byte outside RFC 3986's unreserved set written as `%HH`.
func percentEncoded(_ bytes: [UInt8]) -> [UInt8] {
    let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            out.append(byte)
        default:
            out.append(UInt8(ascii: "%"))
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
    }
    return out
}


/// A decimal number of at most 18 digits, or nil.
func decimal<Bytes: Collection>(_ bytes: Bytes) -> Int? where Bytes.Element == UInt8 {
    guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
    var value = 0
    for byte in bytes {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return value
}

/// A version from an entity tag, `"123"` or `W/"123"` (RFC 9110 §8.8.3); nil when it is not one of ours.
func version(fromETag tag: [UInt8]) -> UInt64? {
    var bytes = tag[...]
    if bytes.starts(with: "W/".utf8) { bytes = bytes.dropFirst(2) }
    guard bytes.count >= 3, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") else { return nil }
    guard let number = decimal(bytes.dropFirst().dropLast()) else { return nil }
    return UInt64(number)
}
