/// HTTPEndpoint.swift — what every HTTP app starts with: its stack up and a listener on its port.

import Runtime

/// A network stack brought up for an ``HTTPServer`` and a listener on the server's port.
public struct HTTPEndpoint {
    /// The stack on the app's NIC.
    public let stack: NetworkStack
    /// The listener on ``port``, for ``HTTPServer/serve(on:count:)``.
    public let listener: TCPListener
    /// `port=` from the boot arguments, else 80.
    public let port: UInt16

    /// Brings up the stack on `device` with TCP room for `limits.maximumConnections` plus 16 slots (so the
    /// connections past the server's budget are answered 503 by the server, not refused by the stack; TCP rings
    /// take memory as data arrives, so idle slots cost little), listens on `port=` (80) and prints
    /// `NAME: ADDRESS mac MAC, serving port P`, the line scripts wait for (a `print`: what the app produces, see
    /// docs/OBSERVABILITY.md). On failure it logs why as an error of subsystem `name`
    /// (`[0.012345] error http: cannot bring up 'service': ...`) and throws the exit status to return.
    public static func open(
        _ name: StaticString, device: String = "service", arguments: BootArguments, limits: HTTPServerLimits
    ) async throws(HTTPEndpointFailure) -> HTTPEndpoint {
        let log = Log(name)
        let stack: NetworkStack
        do throws(NetworkStackError) {
            stack = try await NetworkStack.up(
                device: device, bootArguments: arguments, tcpCapacity: limits.maximumConnections + 16)
        } catch {
            log.error("cannot bring up '\(device)': \(error)")
            throw HTTPEndpointFailure(exitStatus: error.exitStatus)
        }
        let port = UInt16(arguments.integer("port") ?? 80)
        let listener: TCPListener
        do throws(TCPError) {
            listener = try TCPListener.listen(port: port, backlog: 128, on: stack)
        } catch {
            log.error("cannot listen on port \(port): \(error)")
            throw HTTPEndpointFailure(exitStatus: 1)
        }
        print("\(name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }): \(stack.address.map { $0.description } ?? "no address") mac \(stack.mac), serving port \(port)")
        return HTTPEndpoint(stack: stack, listener: listener, port: port)
    }
}

/// Why ``HTTPEndpoint/open(_:device:arguments:limits:)`` failed, already logged: the exit status to return.
public struct HTTPEndpointFailure: Error {
    /// The stack error's own status (`NetworkStackError.exitStatus`), or 1 when the port cannot be listened on.
    public let exitStatus: Int32
}
