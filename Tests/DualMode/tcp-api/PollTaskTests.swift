/// The execution model of `Sources/Net/Stack` over a simulated link in virtual time: socket operations only change
/// their socket and kick the stack's one poll task, which does all the sending; and a poll wakes only the tasks
/// whose socket changed (per-socket wakers), not every parked task.
import Net
import NetTesting
import Runtime

typealias VirtualUDPSocket = UDPSocketOn<VirtualLinkDevice, VirtualClock>

private func udp<T>(_ what: String, _ body: () async throws(UDPReceiveError) -> T) async throws(TestFailure) -> T {
    do throws(UDPReceiveError) { return try await body() } catch { throw TestFailure("\(what): \(error)") }
}

private func bindUDP(_ port: UInt16, on stack: VirtualStack) throws(TestFailure) -> VirtualUDPSocket {
    do throws(UDPBindError) { return try VirtualUDPSocket.bind(port: port, on: stack) } catch {
        throw TestFailure("bind \(port): \(error)")
    }
}

private func sendUDP(_ socket: VirtualUDPSocket, _ bytes: [UInt8], to port: UInt16) async throws(TestFailure) {
    do throws(UDPSendError) { try await socket.send(bytes, to: IPv4Address("10.7.0.2")!, port: port) } catch {
        throw TestFailure("send: \(error)")
    }
}

/// Sends `count` one-byte datagrams from `from` to port 9200 of stack b, receives them on `to`, and returns how
/// many socket waiters stack b woke meanwhile.
private func exchange(
    _ net: VirtualPair, _ count: Int, from: VirtualUDPSocket, to: VirtualUDPSocket
) async throws(TestFailure) -> UInt64 {
    let before = net.b.socketWakes
    for index in 0..<count { try await sendUDP(from, [UInt8(index)], to: 9200) }
    for index in 0..<count {
        let datagram = try await udp("receive \(index)") { () async throws(UDPReceiveError) in
            try await to.receive(timeout: .seconds(5))
        }
        try expect(datagram.bytes == [UInt8(index)], "datagram \(index) arrived intact")
    }
    return net.b.socketWakes - before
}

func registerPollTaskTests(_ suite: inout TestSuite) {
    suite.test("poll.socket-operations-kick-the-poll-task-which-sends") { () async throws(TestFailure) in
        let net = VirtualPair()
        try await net.run { () async throws(TestFailure) in
            let listener = try await tcp("listen") { () async throws(TCPError) in
                try VirtualListener.listen(port: 81, on: net.b)
            }
            let client = try await tcp("connect") { () async throws(TCPError) in
                try await VirtualConnection.connect(to: IPv4Address("10.7.0.2")!, port: 81, on: net.a, timeout: .seconds(5))
            }
            let server = try await tcp("accept") { () async throws(TCPError) in try await listener.accept(timeout: .seconds(5)) }
            try? await net.clock.sleep(until: net.clock.now + .milliseconds(10))
            let before = net.link.captured.count
            client.close()
            try expectEqual(net.link.captured.count, before, "close() itself sent nothing (it only kicked)")
            await Task.yield()
            let sent = net.link.captured[before...].filter { $0.port == 0 }.count
            try expectEqual(sent, 1, "the poll task sent the FIN as soon as the closing task yielded")
            let end = try await tcp("read the FIN") { () async throws(TCPError) in try await server.read(timeout: .seconds(5)) }
            try expect(end.isEmpty, "the server reads the end of the stream")
            server.close()
        }
    }

    suite.test("poll.a-poll-wakes-only-the-waiters-whose-socket-changed") { () async throws(TestFailure) in
        let net = VirtualPair()
        try await net.run { () async throws(TestFailure) in
            let sender = try bindUDP(9100, on: net.a)
            let receiver = try bindUDP(9200, on: net.b)
            _ = try await exchange(net, 1, from: sender, to: receiver)  // ARP resolved both ways
            let alone = try await exchange(net, 8, from: sender, to: receiver)
            // Two tasks park on stack b for things that do not happen: a datagram on another socket, a connection.
            let idleSocket = try bindUDP(9300, on: net.b)
            let listener = try await tcp("listen") { () async throws(TCPError) in
                try VirtualListener.listen(port: 82, on: net.b)
            }
            let idleReceive = Task { _ = try? await idleSocket.receive() }
            let idleAccept = Task { _ = try? await listener.accept() }
            await Task.yield()
            await Task.yield()
            let withIdle = try await exchange(net, 8, from: sender, to: receiver)
            print("  stack b woke \(alone) waiters alone, \(withIdle) with two idle waiters parked")
            try expect(alone > 0, "the receiver was woken")
            try expectEqual(withIdle, alone, "the idle waiters were not woken by the other socket's datagrams")
            idleReceive.cancel()
            idleAccept.cancel()
            await idleReceive.value
            await idleAccept.value
            idleSocket.close()
            listener.close()
        }
    }
}
