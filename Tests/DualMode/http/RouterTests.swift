/// HTTPRouter (Sources/Net/HTTP/HTTPRouter.swift): literals, `:name` parameters, `*` tails, 404, 405 with `Allow`,
/// HEAD answered by GET routes.
import Net
import Runtime

/// A handler that answers `status` (the tests only look at which one ran).
func answering(_ code: UInt16) -> HTTPHandler {
    { _ throws(HTTPError) in HTTPServerResponse(status: HTTPStatus(code: code, reason: "Test")) }
}

/// Which handler `router` picks for `method` `path`: its status code, or 404/405 with the Allow value.
func routed(_ router: HTTPRouter, _ method: HTTPMethod, _ path: String) async -> (UInt16, String) {
    let target = bytes(path)
    switch router.resolve(method, target[...]) {
    case .notFound: return (404, "")
    case .methodNotAllowed(let allow): return (405, text(allow))
    case .handler(let handler, let parameters):
        var names = ""
        for parameter in parameters { names += text(parameter.name) + "=" + text(Array(parameter.value)) + ";" }
        do throws(HTTPError) {
            let response = try await handler(
                HTTPServerRequest(head: HTTPRequest(method: method, target: target, version: .http11), parameters: parameters))
            return (response.status.code, names)
        } catch {
            return (0, "\(error)")
        }
    }
}

func registerRouterTests(_ suite: inout TestSuite) {
    suite.test("router.literals-parameters-tails") { () async throws(TestFailure) in
        var router = HTTPRouter()
        router.get("/", answering(201))
        router.get("/kv/", answering(202))
        router.get("/kv/:key", answering(203))
        router.put("/kv/:key", answering(204))
        router.get("/files/*rest", answering(205))
        router.get("/a/:x/b/:y", answering(206))
        let cases: [(HTTPMethod, String, UInt16, String)] = [
            (.get, "/", 201, ""), (.get, "", 201, ""), (.get, "/kv/", 202, ""), (.get, "/kv/abc", 203, "key=abc;"),
            (.put, "/kv/a%2Fb", 204, "key=a%2Fb;"), (.get, "/kv/a/b", 404, ""), (.get, "/kv", 404, ""),
            (.get, "/files/", 205, "rest=;"), (.get, "/files/x/y/z", 205, "rest=x/y/z;"), (.get, "/files", 404, ""),
            (.get, "/a/1/b/2", 206, "x=1;y=2;"), (.get, "/a//b/2", 404, ""), (.get, "/nope", 404, ""),
            (.head, "/kv/k", 203, "key=k;"),
        ]
        for (method, path, code, parameters) in cases {
            let (got, detail) = await routed(router, method, path)
            try expectEqual(got, code, "\(method) \(path)")
            try expectEqual(detail, parameters, "\(method) \(path) parameters")
        }
    }
    suite.test("router.405-lists-the-allowed-methods") { () async throws(TestFailure) in
        var router = HTTPRouter()
        router.get("/kv/:key", answering(200))
        router.put("/kv/:key", answering(200))
        router.delete("/kv/:key", answering(200))
        router.post("/echo", answering(200))
        let (code, allow) = await routed(router, .post, "/kv/x")
        try expectEqual(code, 405, "POST /kv/x")
        try expectEqual(allow, "GET, HEAD, PUT, DELETE", "Allow")
        let (echo, echoAllow) = await routed(router, .get, "/echo")
        try expectEqual(echo, 405, "GET /echo")
        try expectEqual(echoAllow, "POST", "Allow for /echo (no HEAD without GET)")
    }
    suite.test("router.first-match-wins-and-head-routes-come-before-get") { () async throws(TestFailure) in
        var router = HTTPRouter()
        router.add(.head, "/x", answering(210))
        router.get("/x", answering(211))
        router.get("/:any", answering(212))
        try expectEqual(await routed(router, .head, "/x").0, 210, "HEAD route")
        try expectEqual(await routed(router, .get, "/x").0, 211, "GET route")
        try expectEqual(await routed(router, .get, "/y").0, 212, "parameter route")
    }
}
