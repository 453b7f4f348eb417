/// Opening connections and moving bytes: connect/accept, echo, refused ports, timeouts, back-pressure,
/// cancellation.
import Net
import Runtime

func registerConnectionTests(_ suite: inout TestSuite) {
    suite.test("api.connect-accept-and-exchange") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack)
        let (client, server) = try await connectedPair(listener)
        try expectEqual(client.state, .established, "client established")
        try expectEqual(server.state, .established, "server established")
        try expectEqual(server.remote, client.local, "server sees the client's endpoint")
        try expectEqual(client.remote, TCPEndpoint(stack.address!.address, listener.port), "client's peer")
        try await writeAll(client, Array("hello, server".utf8))
        try expectBytes(try await readExactly(server, 13), Array("hello, server".utf8), "at the server")
        try await writeAll(server, Array("hello, client".utf8))
        try expectBytes(try await readExactly(client, 13), Array("hello, client".utf8), "at the client")
        client.close()
        try await expectEndOfStream(server, "server after the client's close")
        server.close()
    }
    suite.test("api.connect-to-a-closed-port-is-refused") { () async throws(TestFailure) in
        let stack = try await testStack()
        try await expectError(.connectionRefused, "refused by the RST", else: "connected to a port nobody listens on") { () async throws(TCPError) in
            _ = try await TCPConnection.connect(
                to: stack.address!.address, port: freshPort(), on: stack, timeout: .seconds(5))
        }
    }
    suite.test("api.connect-off-link-without-gateway-is-unaddressable") { () async throws(TestFailure) in
        let stack = try await testStack()
        try await expectError(.unaddressable, "no route", else: "connected without a route") { () async throws(TCPError) in
            _ = try await TCPConnection.connect(to: IPv4Address("192.0.2.1")!, port: 80, on: stack)
        }
    }
    suite.test("api.a-second-listener-on-a-port-is-refused") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack)
        try await expectError(.addressInUse, "address in use", else: "two listeners on one port") { () async throws(TCPError) in
            _ = try TCPListener.listen(port: listener.port, on: stack)
        }
    }
    suite.test("api.accept-and-read-time-out-and-the-connection-lives-on") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack)
        let start = Instant.now
        try await expectError(.timedOut, "accept timed out", else: "accepted a connection nobody opened") { () async throws(TCPError) in
            _ = try await listener.accept(timeout: .milliseconds(200))
        }
        try expect(Instant.now - start >= .milliseconds(200), "not before the timeout")
        let (client, server) = try await connectedPair(listener)
        try await expectError(.timedOut, "read timed out", else: "read data nobody sent") { () async throws(TCPError) in
            _ = try await server.read(timeout: .milliseconds(200))
        }
        try await writeAll(client, [1, 2, 3])
        try expectBytes(try await readExactly(server, 3), [1, 2, 3], "after the timeout")
    }
    suite.test("api.write-waits-while-the-peer-does-not-read") { () async throws(TestFailure) in
        let stack = try await testStack()
        var configuration = TCPConfiguration()
        configuration.receiveBufferSize = 32768
        configuration.sendBufferSize = 32768
        let listener = try listen(stack, configuration: configuration)
        let (client, server) = try await connectedPair(listener, configuration: configuration)
        let data = pattern(512 * 1024, seed: 3)
        // The server reads nothing: its window and the client's send ring fill, and the write cannot finish.
        try await expectError(.timedOut, "back-pressure", else: "512 KiB written to a peer that reads nothing") { () async throws(TCPError) in
            try await client.write(data, timeout: .milliseconds(500))
        }
        // What was queued before the timeout, then the rest, arrives intact once the server reads.
        let reader = Task { () -> [UInt8] in (try? await readExactly(server, 64 * 1024)) ?? [] }
        let first = await reader.value
        try expectBytes(first, Array(data[0..<(64 * 1024)]), "the first 64 KiB after the reader started")
    }
    suite.test("api.one-mebibyte-each-way-at-once") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack)
        let (client, server) = try await connectedPair(listener)
        let up = pattern(1 << 20, seed: 1)
        let down = pattern(1 << 20, seed: 2)
        let uploader = Task { () -> Bool in (try? await client.write(up, timeout: .seconds(30))) != nil }
        let downloader = Task { () -> Bool in (try? await server.write(down, timeout: .seconds(30))) != nil }
        let atServer = try await readExactly(server, up.count, timeout: .seconds(30))
        let atClient = try await readExactly(client, down.count, timeout: .seconds(30))
        try expect(await uploader.value, "client's write completed")
        try expect(await downloader.value, "server's write completed")
        try expectBytes(atServer, up, "upload")
        try expectBytes(atClient, down, "download")
        try expectEqual(client.counters.retransmits + server.counters.retransmits, 0, "no loss on loopback")
    }
    suite.test("api.a-cancelled-read-throws-cancelled") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack)
        let (client, server) = try await connectedPair(listener)
        let reader = Task { () -> TCPError? in
            do throws(TCPError) {
                _ = try await server.read()
                return nil
            } catch {
                return error
            }
        }
        try? await sleep(for: .milliseconds(50))
        reader.cancel()
        try expectEqual(try unwrap(await reader.value, "the read ended with an error"), .cancelled, "cancelled")
        try expectEqual(server.state, .established, "the connection is untouched")
        client.close()
    }
}
