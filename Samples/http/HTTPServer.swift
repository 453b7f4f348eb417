/// http: a static HTTP/1.1 server (RFC 9112) over the stack's TCP: the 612-byte index page at `/`, `/bytes/N`
/// streaming N bytes, 404 for anything else, 400 for malformed requests; keep-alive with Content-Length, one
/// request at a time per connection, each connection its own task. The README's main job:
///
///     swiftlet run http --target posix --net service=passt:tcp=8080:80     # then: curl localhost:8080
///     swiftlet run http --target virtio --net service=passt:tcp=8080:80
///
/// Boot arguments: `ip=a.b.c.d/n` and optional `gw=a.b.c.d` (no `ip`, or `ip=dhcp`: DHCP, as passt offers);
/// `port=P` instead of 80; `idle=S` seconds a kept-alive connection may wait for its next request (default 60);
/// `connections=N` TCP connections at most (512); `header-timeout=S` seconds a request's header section may take once it started (default 10; then 408 and close,
/// so clients that dribble header bytes cannot hold connections); `write-timeout=S` seconds a reply may wait for a
/// client that does not read (default 30; then the connection is reset);
/// `verbose=1` prints the stack's counters every 5 seconds; `count=N` exits 0 once N connections have ended.
import Net
import Runtime

@main
struct HTTPServer: Application {
    static func run(_ arguments: BootArguments) async -> Int32 {
        let stack: NetworkStack
        do throws(NetworkStackError) {
            // TCP rings take memory as data arrives, so a table larger than the old 256 costs little while its
            // connections are idle or slow (a slowloris no longer fills it).
            stack = try await NetworkStack.up(
                device: "service", bootArguments: arguments, tcpCapacity: arguments.integer("connections") ?? 512)
        } catch {
            print("http: cannot bring up 'service': \(error)")
            return error.exitStatus
        }
        let port = UInt16(arguments.integer("port") ?? 80)
        let listener: TCPListener
        do throws(TCPError) {
            listener = try TCPListener.listen(port: port, backlog: 128, on: stack)
        } catch {
            print("http: cannot listen on port \(port): \(error)")
            return 1
        }
        let timeouts = Timeouts(
            idle: .seconds(Int64(arguments.integer("idle") ?? 60)),
            header: .seconds(Int64(arguments.integer("header-timeout") ?? 10)),
            write: .seconds(Int64(arguments.integer("write-timeout") ?? 30)))
        print("http: \(stack.address.map { $0.description } ?? "no address") mac \(stack.mac), serving port \(port)")
        if arguments.integer("verbose") == 1 { stack.reportCounters(every: .seconds(5), label: "http") }
        do throws(TCPError) {
            let handled = try await listener.serve(count: arguments.integer("count")) { connection in
                await serve(connection, timeouts: timeouts)
            }
            print("http: \(handled) connections; \(stack.counters)")
            return 0
        } catch {
            print("http: accept: \(error)")
            return 1
        }
    }

    /// How long a connection may wait for each thing (boot arguments `idle`, `header-timeout`, `write-timeout`).
    struct Timeouts {
        var idle: Duration
        var header: Duration
        var write: Duration
    }

    /// Answers requests on `connection` until the client closes, a reply closes the connection, the connection
    /// stays idle for `timeouts.idle`, a header section takes longer than `timeouts.header` (408), a reply cannot be
    /// written within `timeouts.write`, or it fails.
    static func serve(_ connection: TCPConnection, timeouts: Timeouts) async {
        var http = HTTPServerConnection()
        var input: [UInt8] = []
        var output: [UInt8] = []
        output.reserveCapacity(65536)
        var headerDeadline: Instant? = nil
        while true {
            // Write the reply in progress, 64 KiB at a time (write waits while the send ring is full).
            while http.hasOutput {
                output.removeAll(keepingCapacity: true)
                _ = http.write(into: &output, maximum: 65536)
                do throws(TCPError) {
                    try await connection.write(output, timeout: timeouts.write)
                } catch {
                    connection.abort()
                    return
                }
            }
            if http.isFinished { break }
            // Offer what was received; each call takes at most one request.
            if !input.isEmpty {
                let taken = input.withUnsafeBytes { bytes in http.receive(bytes, date: WallClock.now) }
                if taken > 0 {
                    input.removeFirst(taken)
                    continue
                }
            }
            // The header deadline runs from the first byte of a request's head to its empty line.
            if http.isReceivingHeaders {
                if headerDeadline == nil { headerDeadline = Instant.now + timeouts.header }
            } else {
                headerDeadline = nil
            }
            var wait = timeouts.idle
            if let deadline = headerDeadline {
                let left = deadline - Instant.now
                wait = left < wait ? left : wait
            }
            do throws(TCPError) {
                let bytes = try await connection.read(maximum: 16384, timeout: wait > .zero ? wait : .milliseconds(1))
                if bytes.isEmpty { http.receiveEnd() } else { input += bytes }
            } catch .timedOut {
                guard let deadline = headerDeadline, !(Instant.now < deadline) else { break }
                http.timeOut(date: WallClock.now)
                input.removeAll()
            } catch {
                connection.abort()
                return
            }
        }
        connection.close()
    }
}
