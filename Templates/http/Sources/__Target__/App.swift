/// {{Name}}: answers every HTTP request on port 80 (boot argument `port=P`) with a one-line text page, one request
/// per connection (`Connection: close`). The address comes from DHCP (passt offers it) or `ip=a.b.c.d/n gw=...`.
///
///     swiftlet run . --target posix --net service=passt:tcp=8080:80     # then: curl localhost:8080/anything
import Net
import Runtime

/// The reply to a request whose head starts with `head` (the request line is enough): 200 with a page naming the
/// path for GET, 405 for any other method, 400 when there is no request line.
func reply(toRequestHead head: [UInt8]) -> String {
    let line = head.split(separator: UInt8(ascii: "\r"), maxSplits: 1).first ?? []
    let words = line.split(separator: UInt8(ascii: " "))
    guard words.count == 3 else { return response(status: "400 Bad Request", body: "bad request\n") }
    guard String(decoding: words[0], as: UTF8.self) == "GET" else {
        return response(status: "405 Method Not Allowed", body: "only GET\n")
    }
    return response(status: "200 OK", body: "Hello from {{Name}}: you asked for \(String(decoding: words[1], as: UTF8.self))\n")
}

/// An HTTP/1.1 response (RFC 9112 §4, §6.2) that closes the connection.
func response(status: String, body: String) -> String {
    "HTTP/1.1 \(status)\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        + body
}

@main
struct {{Target}}App: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        let stack: NetworkStack
        do throws(NetworkStackError) {
            stack = try await NetworkStack.up(device: "service", bootArguments: arguments)
        } catch {
            print("{{Name}}: cannot bring up 'service': \(error)")
            return error.exitStatus
        }
        let port = UInt16(arguments.integer("port") ?? 80)
        let listener: TCPListener
        do throws(TCPError) {
            listener = try TCPListener.listen(port: port, on: stack)
        } catch {
            print("{{Name}}: cannot listen on port \(port): \(error)")
            return 1
        }
        print("{{Name}}: serving http://\(stack.address.map { $0.description } ?? "?"):\(port)/")
        _ = try? await listener.serve { connection in
            // Read until the end of the request head (16 KiB at most), answer, close.
            var head: [UInt8] = []
            while head.count < 16384, !endsHead(head), let bytes = try? await connection.read(timeout: .seconds(10)),
                !bytes.isEmpty
            {
                head += bytes
            }
            try? await connection.write(reply(toRequestHead: head), timeout: .seconds(10))
            connection.close()
        }
        return 1
    }

    /// True once `bytes` holds the empty line that ends a request head.
    static func endsHead(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && Array(bytes.suffix(4)) == Array("\r\n\r\n".utf8)
    }
}
