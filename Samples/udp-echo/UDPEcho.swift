/// udp-echo: the network stack's first sample. Brings up `service` with the address from the boot arguments,
/// echoes every UDP datagram on port 7 (RFC 862) back to its sender, and answers ping (the stack does that by
/// itself).
///
///     swiftlet run udp-echo --net service=tap:tap0 -- ip=10.0.0.2/24 gw=10.0.0.1 [verbose=1] [count=N]
///
/// Boot arguments: `ip=a.b.c.d/n` and optional `gw=a.b.c.d` (no `ip`, or `ip=dhcp`: DHCP); `verbose=1` prints the
/// address and the stack's counters every 5 seconds; `count=N` exits 0 after echoing N datagrams (for scripts);
/// `metrics=1` prints the metrics registry (Prometheus text, docs/OBSERVABILITY.md) before it exits.
/// Diagnostics go through ``Log`` (subsystem `udp-echo`); the first line and the echo count stay the app's output.
import Net
import Runtime

let log = Log("udp-echo")

@main
struct UDPEcho: Application {
    static func run(_ arguments: BootArguments) async -> Int32 {
        let stack: NetworkStack
        do throws(NetworkStackError) {
            stack = try await NetworkStack.up(device: "service", bootArguments: arguments)
        } catch {
            log.error("cannot bring up 'service': \(error)")
            return error.exitStatus
        }
        let socket: UDPSocket
        do throws(UDPBindError) {
            socket = try UDPSocket.bind(port: 7, on: stack)
        } catch {
            log.error("cannot bind port 7: \(error)")
            return 1
        }
        print("udp-echo: \(stack.address.map { $0.description } ?? "no address") mac \(stack.mac), echoing UDP port 7")
        if arguments["verbose"] == "1" { stack.reportCounters(every: .seconds(5), label: "udp-echo") }
        let metrics = arguments["metrics"] == "1"
        if metrics { stack.registerMetrics(interface: "service") }
        log.info("echoing UDP port 7")
        let limit = arguments.integer("count") ?? Int.max
        var echoed = 0
        while echoed < limit {
            let datagram: (bytes: [UInt8], from: IPv4Address, port: UInt16)
            do throws(UDPReceiveError) {
                datagram = try await socket.receive()
            } catch {
                log.error("receive: \(error)")
                return 1
            }
            do throws(UDPSendError) {
                try await socket.send(datagram.bytes, to: datagram.from, port: datagram.port)
                echoed += 1
                log.debug("echoed \(datagram.bytes.count) bytes to \(datagram.from):\(datagram.port)")
            } catch {
                log.warning("cannot answer \(datagram.from):\(datagram.port): \(error)")
            }
        }
        print("udp-echo: echoed \(echoed) datagrams; \(stack.counters)")
        if metrics { await Metrics.print() }
        return 0
    }
}
