/// http-get: the HTTP client sample, a user of ``HTTPClient`` (Sources/Net/HTTP). Brings up `service`, sends one
/// request to the `url` boot argument (a host name resolved by the stack's DNS resolver, or an IPv4 literal) and
/// prints the status line, the header fields, the body when it is short text, and always one summary line with
/// the body's length and FNV-1a 64 hash:
///
///     swiftlet run http-get --net service=tap:tap0 -- ip=10.0.0.2/24 gw=10.0.0.1 dns=10.0.0.1 \
///         url=http://files.test:8000/file
///     http-get: HTTP/1.1 200 OK
///     http-get: header Content-Length: 10485760
///     http-get: 200, 10485760 bytes, fnv1a64 0123456789abcdef
///     http-get: client requests=1 responses=1 opened=1 reused=0 ...
///
/// Boot arguments: `url=http://host[:port]/path` (required); `method=GET|POST|PUT|DELETE|HEAD` (GET); `data=TEXT`
/// the request body (with `Content-Type: text/plain`); `redirects=N` redirects to follow (0: a 3xx is the answer);
/// `repeat=N` sends the request N times on the same client (its pool reuses the connection; each answer gets its
/// summary line); `print-body=BYTES` the longest body printed (1024; longer or binary ones are summarised only);
/// the client's `timeout=S`, `connect-timeout=S`, `head-timeout=S`, `body-timeout=S`, `dns-timeout=S`,
/// `max-header=BYTES`, `max-body=BYTES` (here 1 GiB by default: the body is hashed as it streams, never kept),
/// `pool=N`; the stack's `ip=a.b.c.d/n`, `gw=`, `dns=` (no `ip`: DHCP).
///
/// Exits 0 when every answer was 2xx; 1 with `http-get: error: ...` (the ``HTTPClientError``) or
/// `http-get: status N`; 2 for bad boot arguments.
import Net
import Runtime

@main
struct HTTPGet: Application {
    static let usage =
        "http-get: usage: url=http://host[:port]/path [method=GET|POST|PUT|DELETE|HEAD] [data=TEXT] [redirects=N] "
        + "[repeat=N] [print-body=BYTES] [timeout=S] [max-header=BYTES] [max-body=BYTES] [ip=a.b.c.d/n gw=... dns=...]"

    static func run(_ arguments: BootArguments) async -> Int32 {
        guard let text = arguments["url"] else {
            print(usage)
            return 2
        }
        let url: HTTPURL
        do throws(HTTPClientError) {
            url = try HTTPURL(text)
        } catch {
            print("http-get: url=\(text): \(error)")
            return 2
        }
        var configuration = HTTPClientConfiguration()
        configuration.maximumBodyLength = 1 << 30
        configuration.userAgent = "swiftlet-http-get"
        if let bad = configuration.apply(arguments) {
            print("http-get: \(bad)=\(arguments[bad] ?? ""): not a valid number; \(usage)")
            return 2
        }
        guard let method = method(arguments["method"] ?? "GET") else {
            print("http-get: method=\(arguments["method"] ?? ""): expected GET, POST, PUT, DELETE or HEAD")
            return 2
        }
        let redirects = arguments.integer("redirects") ?? 0
        let count = arguments.integer("repeat") ?? 1
        let printLimit = arguments.integer("print-body") ?? 1024
        guard redirects >= 0, count >= 1, printLimit >= 0 else {
            print("http-get: redirects=, repeat= and print-body= take whole numbers (repeat at least 1)")
            return 2
        }
        var request = HTTPClientRequest(method: method, url: url)
        if let data = arguments["data"] {
            request.body = Array(data.utf8)
            request.addHeader("Content-Type", "text/plain")
        }
        request.addHeader("Accept", "*/*")

        let stack: NetworkStack
        do throws(NetworkStackError) {
            stack = try await NetworkStack.up(device: "service", bootArguments: arguments)
        } catch {
            print("http-get: cannot bring up 'service': \(error)")
            return error.exitStatus
        }
        print("http-get: \(stack.address.map { $0.description } ?? "no address") mac \(stack.mac), \(method) \(url)")
        let client = HTTPClient(stack: stack, configuration: configuration)
        var status: Int32 = 0
        for _ in 0..<count {
            if await fetch(request, with: client, redirects: redirects, printLimit: printLimit) != 0 { status = 1 }
        }
        print("http-get: client \(client.counters)")
        client.closeIdleConnections()
        return status
    }

    /// One request: prints the answer; returns 0 for a 2xx, else 1.
    static func fetch(_ request: HTTPClientRequest, with client: HTTPClient, redirects: Int, printLimit: Int) async
        -> Int32
    {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var kept: [UInt8] = []
        let response: HTTPClientResponse
        do throws(HTTPClientError) {
            response = try await client.execute(request, followRedirects: redirects) { run in
                var h = hash
                for byte in run {
                    h ^= UInt64(byte)
                    h &*= 0x0000_0100_0000_01b3
                }
                hash = h
                if kept.count <= printLimit { kept += run.prefix(printLimit + 1 - kept.count) }
            }
        } catch {
            print("http-get: error: \(error)")
            return 1
        }
        let head = response.head
        print("http-get: \(head.version) \(head.status) \(text(head.reason))")
        for field in head.fields { print("http-get: header \(text(field.name)): \(text(field.value))") }
        if response.bodyLength > 0 && response.bodyLength <= printLimit && isText(kept) {
            for line in kept.split(separator: 0x0A, omittingEmptySubsequences: false) {
                print("http-get: | \(text(line.last == 0x0D ? line.dropLast() : line))")
            }
        }
        print("http-get: \(head.status), \(response.bodyLength) bytes, fnv1a64 \(hex64(hash))")
        guard (200..<300).contains(head.status) else {
            print("http-get: status \(head.status)")
            return 1
        }
        return 0
    }

    static func method(_ name: String) -> HTTPMethod? {
        switch name {
        case "GET": .get
        case "POST": .post
        case "PUT": .put
        case "DELETE": .delete
        case "HEAD": .head
        default: nil
        }
    }

    /// Whether `bytes` is printable ASCII text (tabs and line ends included).
    static func isText(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    /// ASCII `bytes` as a string (others as `?`).
    static func text<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var result = ""
        for byte in bytes { result.append(Character(Unicode.Scalar(byte >= 0x20 && byte < 0x7F ? byte : 0x3F))) }
        return result
    }

    /// `value` as 16 lowercase hex digits.
    static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.utf8.count) + digits
    }
}
