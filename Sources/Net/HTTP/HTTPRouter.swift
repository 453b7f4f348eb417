/// The routes of an ``HTTPServer``: a method and a path pattern to a handler, with path parameters.

/// A request handler: an async function of the request that returns a response or throws ``HTTPError``.
public typealias HTTPHandler = (HTTPServerRequest) async throws(HTTPError) -> HTTPServerResponse

/// Maps a request's method and path to a handler.
///
/// A pattern is a path of `/`-separated segments: a literal (`/stats`), a parameter (`/kv/:key` matches one
/// non-empty segment, available as `request.parameter("key")`), or a final wildcard (`/files/*rest` or `/files/*`
/// matches everything after `/files/`, slashes included, possibly empty; named `rest` or `*`). Literals compare
/// byte for byte; parameters are the raw bytes of the path (still percent-encoded, RFC 3986 §2.1).
///
/// Routes are tried in the order added; the first whose pattern and method match wins. When patterns match but no
/// method does, the answer is 405 with `Allow` listing the methods of the matching routes (RFC 9110 §15.5.6); when no
/// pattern matches, 404. A `GET` route also answers `HEAD` (RFC 9110 §9.3.2: the server sends the same header fields
/// and no content) unless a `HEAD` route comes first.
public struct HTTPRouter {
    enum Segment {
        case literal([UInt8])
        case parameter([UInt8])
        case tail([UInt8])
    }

    struct Route {
        var method: HTTPMethod
        var segments: [Segment]
        var handler: HTTPHandler
    }

    var routes: [Route] = []

    public init() {}

    /// Adds a route for `method` and `pattern` (see the type's discussion).
    public mutating func add(_ method: HTTPMethod, _ pattern: StaticString, _ handler: @escaping HTTPHandler) {
        var segments: [Segment] = []
        // The parts after the first `/`, empty ones kept, by hand: `split` and its array of slices were 512 bytes
        // more code for routes added once (docs/BENCHMARKS.md, footprint).
        pattern.withUTF8Buffer { bytes in
            guard var start = bytes.firstIndex(of: UInt8(ascii: "/")).map({ $0 + 1 }) else { return }
            while true {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "/") { end += 1 }
                let part = bytes[start..<end]
                if part.first == UInt8(ascii: ":") {
                    segments.append(.parameter(Array(part.dropFirst())))
                } else if part.first == UInt8(ascii: "*") {
                    segments.append(.tail(part.count == 1 ? Array(part) : Array(part.dropFirst())))
                    break
                } else {
                    segments.append(.literal(Array(part)))
                }
                if end == bytes.count { break }
                start = end + 1
            }
        }
        routes.append(Route(method: method, segments: segments, handler: handler))
    }

    /// ``add(_:_:_:)`` for GET (which also answers HEAD).
    public mutating func get(_ pattern: StaticString, _ handler: @escaping HTTPHandler) { add(.get, pattern, handler) }
    /// ``add(_:_:_:)`` for POST.
    public mutating func post(_ pattern: StaticString, _ handler: @escaping HTTPHandler) { add(.post, pattern, handler) }
    /// ``add(_:_:_:)`` for PUT.
    public mutating func put(_ pattern: StaticString, _ handler: @escaping HTTPHandler) { add(.put, pattern, handler) }
    /// ``add(_:_:_:)`` for DELETE.
    public mutating func delete(_ pattern: StaticString, _ handler: @escaping HTTPHandler) {
        add(.delete, pattern, handler)
    }

    /// What a request resolves to.
    public enum Resolution {
        /// A handler, with the path's parameters.
        case handler(HTTPHandler, [HTTPPathParameter])
        /// No pattern matched: 404.
        case notFound
        /// Patterns matched but no method: 405, with the `Allow` value.
        case methodNotAllowed(allow: [UInt8])
    }

    /// The route for `method` and `path` (an absolute path, without the query; empty means `/`).
    public func resolve(_ method: HTTPMethod, _ path: ArraySlice<UInt8>) -> Resolution {
        var allowed: [HTTPMethod] = []
        for route in routes {
            guard let parameters = Self.match(route.segments, path) else { continue }
            if route.method == method || (method == .head && route.method == .get) {
                return .handler(route.handler, parameters)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
            if route.method == .get && !allowed.contains(.head) { allowed.append(.head) }
        }
        if allowed.isEmpty { return .notFound }
        var allow: [UInt8] = []
        for method in allowed {
            if !allow.isEmpty { allow.append(contentsOf: ", ".utf8) }
            allow.append(contentsOf: method.description.utf8)
        }
        return .methodNotAllowed(allow: allow)
    }

    /// The parameters when `segments` match `path`, else nil.
    static func match(_ segments: [Segment], _ path: ArraySlice<UInt8>) -> [HTTPPathParameter]? {
        var parameters: [HTTPPathParameter] = []
        // The path's segments after its leading `/` (an empty path is `/`: one empty segment).
        var rest = path.first == UInt8(ascii: "/") ? path.dropFirst() : path
        var segmentIndex = 0
        while segmentIndex < segments.count {
            let end = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
            let part = rest[rest.startIndex..<end]
            switch segments[segmentIndex] {
            case .literal(let literal):
                guard part.elementsEqual(literal) else { return nil }
            case .parameter(let name):
                guard !part.isEmpty else { return nil }
                parameters.append(HTTPPathParameter(name: name, value: part))
            case .tail(let name):
                parameters.append(HTTPPathParameter(name: name, value: rest))
                return parameters
            }
            segmentIndex += 1
            if segmentIndex == segments.count { return end == rest.endIndex ? parameters : nil }
            // The path ran out before the pattern (`/files` against `/files/*`): no match.
            guard end < rest.endIndex else { return nil }
            rest = rest[(end + 1)...]
        }
        return rest.isEmpty ? parameters : nil
    }
}

/// One `:name` or `*name` of a route pattern and the path bytes it matched.
public struct HTTPPathParameter {
    /// The name in the pattern, without `:` or `*` (`*` for an unnamed wildcard).
    public var name: [UInt8]
    /// The matched bytes of the path, as received (percent-encoded).
    public var value: ArraySlice<UInt8>
}
