/// The kv sample's own tests (`./swiftlet test kv`, both modes): the URL space, and the service over an in-memory
/// store, status by status.
import Net
import Runtime
import Store

extension KV {
    static func tests(_ suite: inout TestSuite) {
        suite.test("kv.routes") { () throws(TestFailure) in
            func route(_ method: HTTPMethod, _ target: String) -> KVRoute {
                let bytes = Array(target.utf8)
                return KVRoute(method: method, target: bytes, path: HTTPRequest(method: method, target: bytes, version: .http11).path)
            }
            try expect(route(.put, "/kv/a%20b") == .put(Array("a b".utf8)), "percent-decoded key")
            try expect(route(.get, "/kv/x") == .get([UInt8(ascii: "x")]), "get")
            try expect(route(.delete, "/kv/x") == .delete([UInt8(ascii: "x")]), "delete")
            try expect(route(.post, "/kv/x") == .methodNotAllowed(allow: "GET, HEAD, PUT, DELETE"), "post is 405")
            try expect(route(.get, "/kv/%zz") == .badKey, "malformed escape")
            try expect(route(.get, "/kv/%4") == .badKey, "truncated escape")
            try expect(route(.get, "/kv/" + String(repeating: "k", count: 256)) == .badKey, "256-byte key")
            try expect(route(.get, "/other") == .notFound, "outside /kv/")
            try expect(route(.get, "/kv/") == .list(prefix: [], after: nil, limit: KVRoute.defaultListLimit), "list all")
            try expect(route(.get, "/kv/?prefix=a%2Fb&after=a%2Fb1&limit=2")
                == .list(prefix: Array("a/b".utf8), after: Array("a/b1".utf8), limit: 2), "list with query")
            try expect(route(.get, "/kv/?limit=0") == .badKey, "limit 0")
            try expect(route(.get, "/kv/?limit=1001") == .badKey, "limit past the maximum")
        }

        suite.test("kv.percent-encoding-round-trips") { () throws(TestFailure) in
            var all: [UInt8] = []
            for byte in 0...255 { all.append(UInt8(byte)) }
            let encoded = percentEncoded(all)
            try expect(percentDecoded(encoded[...]) == all, "every byte survives")
            try expect(version(fromETag: Array("\"42\"".utf8)) == 42, "etag")
            try expect(version(fromETag: Array("W/\"7\"".utf8)) == 7, "weak etag")
            try expect(version(fromETag: Array("42".utf8)) == nil, "unquoted")
        }

        suite.test("kv.service-status-codes") { () async throws(TestFailure) in
            let store: KeyValueStore<MemoryStoreDevice>
            do throws(StoreError) {
                store = try await KeyValueStore.format(MemoryStoreDevice(blockSize: 4096, blockCount: 512),
                    options: StoreOptions())
            } catch {
                throw TestFailure("format: \(error)")
            }
            let service = KVService(store: store)
            func call(_ method: HTTPMethod, _ target: String, body: String = "", fields: [(String, String)] = [])
                async -> KVReply
            {
                let request = HTTPRequest(method: method, target: Array(target.utf8), version: .http11,
                    fields: fields.map { HTTPField(name: Array($0.0.utf8), value: Array($0.1.utf8)) },
                    body: Array(body.utf8))
                return await service.respond(to: request)
            }
            var reply = await call(.put, "/kv/greeting", body: "hello")
            try expectEqual(Int(reply.status.code), 201, "first PUT")
            let first = reply.version ?? 0
            try expect(first > 0, "PUT returns a version")
            reply = await call(.get, "/kv/greeting")
            try expectEqual(Int(reply.status.code), 200, "GET")
            try expect(reply.body == Array("hello".utf8), "GET body")
            try expect(reply.version == first, "GET etag is the PUT's version")
            reply = await call(.put, "/kv/greeting", body: "again", fields: [("If-Match", "\"\(first + 1000)\"")])
            try expectEqual(Int(reply.status.code), 412, "PUT with a stale If-Match")
            reply = await call(.put, "/kv/greeting", body: "new", fields: [("If-None-Match", "*")])
            try expectEqual(Int(reply.status.code), 412, "If-None-Match: * on an existing key")
            reply = await call(.put, "/kv/greeting", body: "hi", fields: [("If-Match", "\"\(first)\"")])
            try expectEqual(Int(reply.status.code), 204, "PUT replacing with the right If-Match")
            reply = await call(.get, "/kv/greeting")
            try expect(reply.body == Array("hi".utf8), "replaced value")
            for name in ["a1", "a2", "a3", "b1"] { _ = await call(.put, "/kv/\(name)", body: name) }
            reply = await call(.get, "/kv/?prefix=a&limit=2")
            try expectEqual(String(decoding: reply.body, as: UTF8.self), "{\"keys\":[\"a1\",\"a2\"],\"next\":\"a2\"}\n",
                "first page")
            reply = await call(.get, "/kv/?prefix=a&after=a2&limit=2")
            try expectEqual(String(decoding: reply.body, as: UTF8.self), "{\"keys\":[\"a3\"]}\n", "last page")
            reply = await call(.delete, "/kv/a1")
            try expectEqual(Int(reply.status.code), 204, "DELETE")
            reply = await call(.delete, "/kv/a1")
            try expectEqual(Int(reply.status.code), 404, "DELETE again")
            reply = await call(.get, "/kv/a1")
            try expectEqual(Int(reply.status.code), 404, "GET after DELETE")
            reply = await call(.post, "/kv/a2")
            try expectEqual(Int(reply.status.code), 405, "POST")
            reply = await call(.get, "/kv/%zz")
            try expectEqual(Int(reply.status.code), 400, "bad escape")
            let tooBig = String(repeating: "x", count: StoreLimits.maximumValueLength + 1)
            reply = await call(.put, "/kv/big", body: tooBig)
            try expectEqual(Int(reply.status.code), 413, "value over the limit")
            reply = await call(.get, "/kv/big")
            try expectEqual(Int(reply.status.code), 404, "a refused PUT stored nothing")
        }
    }
}
