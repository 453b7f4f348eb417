/// tcp-echo: the TCP echo service (RFC 862) on port 7. Brings up `service` with the address from the boot arguments
/// and sends every byte each connection receives back on it; when the client half-closes, the rest is echoed and
/// the connection closed. Each connection is its own task.
///
///     swiftlet run tcp-echo --net service=tap:tap0 -- ip=10.0.0.2/24 [gw=10.0.0.1] [verbose=1] [count=N]
///
/// Boot arguments: `ip=a.b.c.d/n` and optional `gw=a.b.c.d` (no `ip`, or `ip=dhcp`: DHCP); `port=P` instead of 7;
/// `verbose=1` prints the stack's counters every 5 seconds and a line per connection; `count=N` exits 0 once N
/// connections have ended (for scripts).
import Net
import Runtime

@main
struct TCPEcho: Application {
    /// The sample's diagnostics (subsystem `tcp-echo`, docs/OBSERVABILITY.md).
    static let log = Log("tcp-echo")

    static func run(_ arguments: BootArguments) async -> Int32 {
        let stack: NetworkStack
        do throws(NetworkStackError) {
            stack = try await NetworkStack.up(device: "service", bootArguments: arguments)
        } catch {
            log.error("cannot bring up 'service': \(error)")
            return error.exitStatus
        }
        let port = UInt16(arguments.integer("port") ?? 7)
        let listener: TCPListener
        do throws(TCPError) {
            listener = try TCPListener.listen(port: port, backlog: 128, on: stack)
        } catch {
            log.error("cannot listen on port \(port): \(error)")
            return 1
        }
        let verbose = arguments["verbose"] == "1"
        print("tcp-echo: \(stack.address.map { $0.description } ?? "no address") mac \(stack.mac), echoing TCP port \(port)")
        if verbose { stack.reportCounters(every: .seconds(5), label: "tcp-echo") }
        do throws(TCPError) {
            let handled = try await listener.serve(count: arguments.integer("count")) { connection in
                let echoed = await echo(connection)
                if verbose { print("tcp-echo: \(connection.remote) done, \(echoed) bytes") }
            }
            print("tcp-echo: \(handled) connections; \(stack.counters)")
            return 0
        } catch {
            log.error("accept: \(error)")
            return 1
        }
    }

    /// Echoes until the peer's FIN (then closes) or an error (then aborts); returns the bytes echoed.
    static func echo(_ connection: TCPConnection) async -> Int {
        var total = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            do throws(TCPError) {
                let count = try await connection.read(into: buffer)
                if count == 0 {
                    connection.close()
                    return total
                }
                try await connection.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                total += count
            } catch {
                log.error("\(connection.remote): \(error)")
                connection.abort()
                return total
            }
        }
    }
}
