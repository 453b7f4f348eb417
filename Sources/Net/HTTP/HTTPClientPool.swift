/// ``HTTPClient``'s connections: opening one (name lookup, TCP handshake) and the bounded pool of idle ones kept
/// for reuse per host and port (RFC 9112 §9.3, §9.4).
import Runtime

/// A connection of an ``HTTPClient`` to one host and port.
final class HTTPClientConnection {
    /// The host as in the URL (the pool's key with ``port``).
    let host: String
    let port: UInt16
    let tcp: TCPConnection
    /// Bytes received and not yet parsed.
    var buffer: [UInt8] = []
    /// When it went back to the pool.
    var idleSince = Instant(nanoseconds: 0)

    init(host: String, port: UInt16, tcp: TCPConnection) {
        self.host = host
        self.port = port
        self.tcp = tcp
    }
}

extension HTTPClient {
    /// A connection to `url`'s host and port: the newest idle one that is still open (the server has not sent its
    /// FIN) and not idle too long, else a new one. Returns whether it was reused.
    func checkout(_ url: HTTPURL) async throws(HTTPClientError) -> (HTTPClientConnection, Bool) {
        let now = Instant.now
        var index = idle.count
        while index > 0 {
            index -= 1
            let connection = idle[index]
            guard connection.host == url.host && connection.port == url.port else { continue }
            idle.remove(at: index)
            if connection.tcp.state == .established && connection.buffer.isEmpty
                && now - connection.idleSince < configuration.idleTimeout
            {
                counters.connectionsReused += 1
                return (connection, true)
            }
            connection.tcp.close()
            counters.idleClosed += 1
        }
        let address: IPv4Address
        do throws(DNSLookupError) {
            address = try await stack.resolve(url.host, timeout: configuration.dnsTimeout)
        } catch {
            throw error == .cancelled ? .cancelled : .dns(error)
        }
        let tcp: TCPConnection
        do throws(TCPError) {
            tcp = try await TCPConnection.connect(
                to: address, port: url.port, on: stack, timeout: configuration.connectTimeout)
        } catch {
            switch error {
            case .timedOut: throw .timedOut(.connect)
            case .cancelled: throw .cancelled
            default: throw .connect(error)
            }
        }
        counters.connectionsOpened += 1
        return (HTTPClientConnection(host: url.host, port: url.port, tcp: tcp), false)
    }

    /// Puts `connection` in the pool, closing the oldest idle one of its host and port, or of all, beyond the
    /// bounds (``HTTPClientConfiguration/maximumIdleConnectionsPerHost``,
    /// ``HTTPClientConfiguration/maximumIdleConnections``).
    func checkin(_ connection: HTTPClientConnection) {
        let perHost = configuration.maximumIdleConnectionsPerHost
        guard perHost > 0, configuration.maximumIdleConnections > 0 else {
            connection.tcp.close()
            return
        }
        connection.idleSince = Instant.now
        var same = 0
        for other in idle where other.host == connection.host && other.port == connection.port { same += 1 }
        if same >= perHost, let oldest = idle.firstIndex(where: { $0.host == connection.host && $0.port == connection.port }) {
            idle.remove(at: oldest).tcp.close()
            counters.idleClosed += 1
        }
        if idle.count >= configuration.maximumIdleConnections {
            idle.removeFirst().tcp.close()
            counters.idleClosed += 1
        }
        idle.append(connection)
    }
}
