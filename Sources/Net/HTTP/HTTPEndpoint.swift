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
            // Appends, not interpolations: each interpolated segment is inlined here (docs/BENCHMARKS.md, footprint).
            var message = "cannot bring up '"
            message += device
            message += "': "
            message += error.description
            log.error(message)
            throw HTTPEndpointFailure(exitStatus: error.exitStatus)
        }
        let port = UInt16(arguments.integer("port") ?? 80)
        let listener: TCPListener
        do throws(TCPError) {
            listener = try TCPListener.listen(port: port, backlog: 128, on: stack)
        } catch {
            var message = "cannot listen on port "
            message += String(port)
            message += ": "
            message += error.description
            log.error(message)
            throw HTTPEndpointFailure(exitStatus: 1)
        }
        var line = name.description
        line += ": "
        line += stack.address.map { $0.description } ?? "no address"
        line += " mac "
        line += stack.mac.description
        line += ", serving port "
        line += String(port)
        print(line)
        return HTTPEndpoint(stack: stack, listener: listener, port: port)
    }
}

/// Why ``HTTPEndpoint/open(_:device:arguments:limits:)`` failed, already logged: the exit status to return.
public struct HTTPEndpointFailure: Error {
    /// The stack error's own status (`NetworkStackError.exitStatus`), or 1 when the port cannot be listened on.
    public let exitStatus: Int32
}
