/// Ending connections: half-close, close with data still queued, abort, use after close, and the stack's counters.
import Net
import Runtime

func registerClosingTests(_ suite: inout TestSuite) {
    suite.test("api.half-close-lets-the-other-side-keep-sending") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack)
        let (client, server) = try await connectedPair(listener)
        try await writeAll(client, Array("request".utf8))
        client.closeWrite()
        try expectBytes(try await readExactly(server, 7), Array("request".utf8), "request")
        try await expectEndOfStream(server, "server sees the client's FIN")
        try expectEqual(server.state, .closeWait, "server in CLOSE-WAIT")
        // The server still answers on its open half.
        let reply = pattern(100_000, seed: 9)
        try await writeAll(server, reply)
        server.close()
        try expectBytes(try await readExactly(client, reply.count), reply, "reply after the half-close")
        try await expectEndOfStream(client, "client sees the server's FIN")
        try await expectError(.notConnected, "no writing after closeWrite", else: "wrote after closeWrite") { () async throws(TCPError) in
            try await client.write([1])
        }
    }
    suite.test("api.close-delivers-queued-data-before-the-fin") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack)
        let (client, server) = try await connectedPair(listener)
        let data = pattern(200_000, seed: 4)
        // Queue and let go at once: the connection finishes in the background (an orphan, as close(2) leaves it).
        let writer = Task { () -> Bool in
            let done = (try? await client.write(data)) != nil
            client.close()
            return done
        }
        try expectBytes(try await readExactly(server, data.count), data, "everything before the FIN")
        try expect(await writer.value, "write completed")
        try await expectEndOfStream(server, "then the FIN")
        try expectEqual(client.state, .closed, "the released handle reads as closed")
        try await expectError(.notConnected, "no use after close", else: "read after close") { () async throws(TCPError) in
            _ = try await client.read()
        }
        server.close()
    }
    suite.test("api.abort-resets-the-peer") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack)
        let (client, server) = try await connectedPair(listener)
        let resetsBefore = stack.counters.tcpConnections.resetsReceived
        server.abort()
        try await expectError(.connectionReset, "the client sees the reset", else: "read from an aborted connection") { () async throws(TCPError) in
            _ = try await client.read(timeout: .seconds(5))
        }
        try expectEqual(client.state, .closed, "closed by the RST")
        try await expectError(.connectionReset, "and so does a write", else: "wrote to a reset connection") { () async throws(TCPError) in
            try await client.write([1, 2, 3])
        }
        try expect(stack.counters.tcpConnections.resetsReceived > resetsBefore, "counted")
    }
    suite.test("api.close-with-unread-data-resets-the-peer") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack)
        let (client, server) = try await connectedPair(listener)
        try await writeAll(client, Array("never read".utf8))
        // Let the bytes reach the server's receive ring, unread.
        try? await sleep(for: .milliseconds(100))
        server.close()
        // RFC 2525 §2.17: data the application never read is reported with a RST, not a FIN.
        try await expectError(.connectionReset, "reset, not an orderly end", else: "the close was orderly") {
            () async throws(TCPError) in
            _ = try await client.read(timeout: .seconds(5))
        }
    }
    suite.test("api.closing-a-listener-resets-connections-not-yet-accepted") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack)
        let client = try await tcp("connect") { () async throws(TCPError) in
            try await TCPConnection.connect(
                to: stack.address!.address, port: listener.port, on: stack, timeout: .seconds(5))
        }
        listener.close()
        try await expectError(.connectionReset, "reset", else: "the unaccepted connection lived on") { () async throws(TCPError) in
            _ = try await client.read(timeout: .seconds(5))
        }
    }
    suite.test("api.counters-line-shows-tcp") { () async throws(TestFailure) in
        let stack = try await testStack()
        let line = stack.counters.description
        try expect(contains(line, " | tcp rx="), "TCP in the counters line: \(line)")
        try expect(stack.counters.tcp.sent > 0 && stack.counters.tcp.received > 0, "segments both ways")
        try expect(stack.counters.ipv4.loopback > 0, "through loopback")
    }
}

/// Whether `text` contains `part` (Embedded Swift's String has no `contains(_:)` for strings).
func contains(_ text: String, _ part: String) -> Bool {
    let haystack = Array(text.utf8)
    let needle = Array(part.utf8)
    guard needle.count <= haystack.count else { return false }
    for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle {
        return true
    }
    return false
}
