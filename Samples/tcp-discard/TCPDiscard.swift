/// tcp-discard: the TCP discard service (RFC 863) on port 9 — every byte a connection sends is read, counted and
/// dropped; the connection is closed after the client's FIN — and its opposite, a source on port 19 that sends a
/// fixed pattern as fast as the peer takes it until the peer closes or resets (chargen's port, RFC 864, without its
/// line format). bench/tcp.sh measures bulk TCP throughput each way with them.
///
///     swiftlet run tcp-discard --net service=tap:tap0 -- ip=10.0.0.2/24 [gw=10.0.0.1] [verbose=1] [count=N]
///
/// Boot arguments: `ip=a.b.c.d/n` and optional `gw=a.b.c.d` (no `ip`, or `ip=dhcp`: DHCP); `discard=P` and
/// `source=P` instead of 9 and 19; `buffer=B` the send and receive ring bytes of each connection (default 1 MiB, a
/// bulk sender's socket buffers: the stack's default of 64 KiB would cap the flight at one TSO frame); `verbose=1` prints the stack's counters every 5 seconds and a line per
/// connection; `count=N` exits 0 once N connections have ended (for scripts).
import Net
import Runtime

@main
struct TCPDiscard: Application {
    /// The sample's diagnostics (subsystem `tcp-discard`, docs/OBSERVABILITY.md).
    static let log = Log("tcp-discard")

    static func run(_ arguments: BootArguments) async -> Int32 {
        let stack: NetworkStack
        do throws(NetworkStackError) {
            stack = try await NetworkStack.up(device: "service", bootArguments: arguments)
        } catch {
            log.error("cannot bring up 'service': \(error)")
            return error.exitStatus
        }
        let discardPort = UInt16(arguments.integer("discard") ?? 9)
        let sourcePort = UInt16(arguments.integer("source") ?? 19)
        var configuration = TCPConfiguration()
        let bufferBytes = Swift.max(4096, Swift.min(arguments.integer("buffer") ?? 1 << 20, 1 << 26))
        configuration.receiveBufferSize = bufferBytes
        configuration.sendBufferSize = bufferBytes
        let discard: TCPListener
        let source: TCPListener
        do throws(TCPError) {
            discard = try TCPListener.listen(port: discardPort, backlog: 16, on: stack, configuration: configuration)
            source = try TCPListener.listen(port: sourcePort, backlog: 16, on: stack, configuration: configuration)
        } catch {
            log.error("cannot listen on ports \(discardPort) and \(sourcePort): \(error)")
            return 1
        }
        let verbose = arguments["verbose"] == "1"
        print(
            "tcp-discard: \(stack.address.map { $0.description } ?? "no address") mac \(stack.mac), "
                + "discarding TCP port \(discardPort), sourcing port \(sourcePort)")
        if verbose { stack.reportCounters(every: .seconds(5), label: "tcp-discard") }
        let limit = arguments.integer("count") ?? Int.max
        let tally = Tally()
        Task { await serve(source, tally: tally, limit: limit, verbose: verbose, handler: pour) }
        await serve(discard, tally: tally, limit: limit, verbose: verbose, handler: drain)
        print("tcp-discard: \(tally.ended) connections; \(stack.counters)")
        return 0
    }

    /// Accepts on `listener` until `limit` connections (over both ports) have ended; each is its own task.
    static func serve(
        _ listener: TCPListener, tally: Tally, limit: Int, verbose: Bool,
        handler: @escaping (TCPConnection) async -> Int
    ) async {
        while tally.ended < limit {
            let connection: TCPConnection
            do throws(TCPError) {
                connection = try await listener.accept(timeout: .seconds(1))
            } catch .timedOut {
                continue
            } catch {
                log.error("accept on \(listener.port): \(error)")
                return
            }
            Task {
                let bytes = await handler(connection)
                if verbose { print("tcp-discard: \(connection.remote) to port \(listener.port) done, \(bytes) bytes") }
                tally.ended += 1
            }
        }
    }

    /// Reads and drops until the peer's FIN (then closes) or an error (then aborts); returns the bytes read.
    static func drain(_ connection: TCPConnection) async -> Int {
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
                total += count
            } catch {
                if case .connectionReset = error {} else { log.error("\(connection.remote): \(error)") }
                connection.abort()
                return total
            }
        }
    }

    /// Writes a 64 KiB pattern again and again until the peer closes or resets; returns the bytes queued.
    static func pour(_ connection: TCPConnection) async -> Int {
        var total = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        for index in 0..<buffer.count { buffer[index] = UInt8(truncatingIfNeeded: 0x20 + index % 95) }
        while true {
            do throws(TCPError) {
                try await connection.write(UnsafeRawBufferPointer(buffer))
                total += buffer.count
            } catch {
                // The peer stopped reading and closed: its RST ends the write.
                connection.abort()
                return total
            }
        }
    }
}

/// Connections ended so far, shared by the per-connection tasks (one thread: no locking).
final class Tally {
    var ended = 0
}
