/// What the kv sample answers, as a function of a request and a store: no transport, so the in-image tests run it
/// over a ``MemoryStoreDevice`` in both modes.
///
/// Status codes: 200 (value, listing), 201 (created), 204 (replaced, deleted), 400 (bad key or query), 404 (no such
/// key or path), 405 (method), 412 (`If-Match`/`If-None-Match` not met: the store's compare-and-set), 413 (value
/// too large), 500 (a corrupt block: the store never returns wrong bytes), 503 (the device failed; the store takes
/// no writes until restarted), 507 (the disk is full; nothing committed is lost).
import Net
import Store

/// One reply: a status, the fields beyond the usual ones, and a body.
struct KVReply {
    var status: HTTPStatus
    var body: [UInt8] = []
    var contentType: StaticString? = nil
    /// An entity tag (the value's version, RFC 9110 §8.8.3), written as `ETag: "N"`.
    var version: UInt64? = nil
    var allow: StaticString? = nil

    static let created = HTTPStatus(code: 201, reason: "Created")
    static let noContent = HTTPStatus(code: 204, reason: "No Content")
    static let preconditionFailed = HTTPStatus(code: 412, reason: "Precondition Failed")
    static let internalServerError = HTTPStatus(code: 500, reason: "Internal Server Error")
    static let serviceUnavailable = HTTPStatus(code: 503, reason: "Service Unavailable")
    static let insufficientStorage = HTTPStatus(code: 507, reason: "Insufficient Storage")

    init(status: HTTPStatus, text: String = "") {
        self.status = status
        if !text.isEmpty {
            body = Array(text.utf8)
            body.append(UInt8(ascii: "\n"))
            contentType = "text/plain"
        }
    }

    /// The reply for a store error, with a one-line explanation.
    init(_ error: StoreError) {
        switch error {
        case .invalidKey: self.init(status: .badRequest, text: "keys are 1-255 bytes")
        case .valueTooLarge: self.init(status: .contentTooLarge, text: "value too large")
        case .full: self.init(status: KVReply.insufficientStorage, text: "the store is full")
        case .conflict: self.init(status: KVReply.preconditionFailed, text: "version did not match")
        case .corrupt(let block): self.init(status: KVReply.internalServerError, text: "corrupt block \(block)")
        case .io, .closed: self.init(status: KVReply.serviceUnavailable, text: "storage failed; restart the service")
        case .notFormatted, .unsupportedVersion, .deviceTooSmall:
            self.init(status: KVReply.internalServerError, text: "storage is not usable")
        }
    }
}

/// The kv service over one store.
final class KVService<Device: StoreDevice> {
    let store: KeyValueStore<Device>
    /// Replies by status class, for `/stats`.
    private(set) var replies = 0
    private(set) var failures = 0

    init(store: KeyValueStore<Device>) { self.store = store }

    /// The reply to `request` (a HEAD reply carries the GET body; the writer leaves it out).
    func respond(to request: HTTPRequest) async -> KVReply {
        let reply = await answer(request)
        replies += 1
        if reply.status.code >= 500 { failures += 1 }
        return reply
    }

    private func answer(_ request: HTTPRequest) async -> KVReply {
        do throws(StoreError) {
            switch KVRoute(method: request.method, target: request.target, path: request.path) {
            case .get(let key):
                guard let entry = try await store.entry(key) else { return KVReply(status: .notFound, text: "no such key") }
                var reply = KVReply(status: .ok)
                reply.body = entry.value
                reply.contentType = "application/octet-stream"
                reply.version = entry.version
                return reply
            case .put(let key):
                let condition = KVService.condition(request)
                if case .invalid = condition { return KVReply(status: .badRequest, text: "bad If-Match") }
                let (version, created) = try await store.upsert(key, request.body, ifVersion: condition.version)
                var reply = KVReply(status: created ? KVReply.created : KVReply.noContent)
                reply.version = version
                return reply
            case .delete(let key):
                let condition = KVService.condition(request)
                if case .invalid = condition { return KVReply(status: .badRequest, text: "bad If-Match") }
                let removed = try await store.remove(key, ifVersion: condition.version)
                return removed ? KVReply(status: KVReply.noContent) : KVReply(status: .notFound, text: "no such key")
            case .list(let prefix, let after, let limit):
                let entries = try await store.list(prefix: prefix, after: after, limit: limit)
                var reply = KVReply(status: .ok)
                reply.body = KVService.listingJSON(entries.map { $0.key }, full: entries.count == limit)
                reply.contentType = "application/json"
                return reply
            case .statistics:
                var reply = KVReply(status: .ok)
                reply.body = Array("\(await store.statistics)\n".utf8)
                reply.contentType = "text/plain"
                return reply
            case .methodNotAllowed(let allow):
                var reply = KVReply(status: .methodNotAllowed, text: "method not allowed")
                reply.allow = allow
                return reply
            case .notFound: return KVReply(status: .notFound, text: "not found: use /kv/KEY")
            case .badKey: return KVReply(status: .badRequest, text: "bad key or query (keys are 1-255 bytes, %HH escapes)")
            }
        } catch {
            return KVReply(error)
        }
    }

    /// A write's precondition from `If-None-Match: *` (must be absent: version 0) or `If-Match: "N"`.
    enum Condition {
        case none, version(UInt64), invalid
        var version: UInt64? {
            if case .version(let number) = self { return number }
            return nil
        }
    }

    static func condition(_ request: HTTPRequest) -> Condition {
        if let tag = request.value(of: "If-None-Match") {
            return tag == Array("*".utf8) ? .version(0) : .invalid
        }
        if let tag = request.value(of: "If-Match") {
            guard let number = version(fromETag: tag), number > 0 else { return .invalid }
            return .version(number)
        }
        return .none
    }

    /// `{"keys":["k1","k2"],"next":"k2"}`: keys percent-encoded (so any bytes are valid JSON); `next` (the `after=`
    /// of the following page) only when the page is full.
    static func listingJSON(_ keys: [[UInt8]], full: Bool) -> [UInt8] {
        var out: [UInt8] = Array("{\"keys\":[".utf8)
        for (index, key) in keys.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out += percentEncoded(key)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "]"))
        if full, let last = keys.last {
            out += Array(",\"next\":\"".utf8)
            out += percentEncoded(last)
            out.append(UInt8(ascii: "\""))
        }
        out += Array("}\n".utf8)
        return out
    }
}
