/// Many connections at once: concurrent echo sessions, and a backlog that overflows without harm.
import Net
import Runtime

func registerLoadTests(_ suite: inout TestSuite) {
    suite.test("api.fifty-concurrent-echo-sessions") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack, backlog: 64)
        // The server: a task per accepted connection echoing until the client's FIN.
        let server = Task {
            var sessions: [Task<Void, Never>] = []
            for _ in 0..<50 {
                guard let connection = try? await listener.accept(timeout: .seconds(20)) else { break }
                sessions.append(Task {
                    while let bytes = try? await connection.read(), !bytes.isEmpty {
                        if (try? await connection.write(bytes)) == nil { break }
                    }
                    connection.close()
                })
            }
            for session in sessions { await session.value }
        }
        var clients: [Task<Bool, Never>] = []
        for index in 0..<50 {
            clients.append(Task { () -> Bool in
                guard let connection = try? await TCPConnection.connect(
                    to: stack.address!.address, port: listener.port, on: stack, timeout: .seconds(20))
                else { return false }
                let data = pattern(4096 + index * 97, seed: UInt8(index))
                guard (try? await connection.write(data)) != nil else { return false }
                connection.closeWrite()
                guard let echoed = try? await readExactly(connection, data.count) else { return false }
                let ended = (try? await connection.read(timeout: .seconds(10)))?.isEmpty ?? false
                connection.close()
                return echoed == data && ended
            })
        }
        var intact = 0
        for client in clients where await client.value { intact += 1 }
        await server.value
        try expectEqual(intact, 50, "sessions echoed intact and closed")
    }
    suite.test("api.serve-runs-a-task-per-connection-and-returns-after-count") { () async throws(TestFailure) in
        let stack = try await testStack()
        let listener = try listen(stack)
        let server = Task { () -> Int in
            (try? await listener.serve(count: 3) { connection in
                while let bytes = try? await connection.read(), !bytes.isEmpty {
                    if (try? await connection.write(bytes)) == nil { break }
                }
                connection.close()
            }) ?? -1
        }
        for index in 0..<3 {
            let client = try await tcp("connect \(index)") { () async throws(TCPError) in
                try await TCPConnection.connect(to: stack.address!.address, port: listener.port, on: stack)
            }
            let data = pattern(1000 + index, seed: UInt8(index))
            try await writeAll(client, data)
            try expectBytes(try await readExactly(client, data.count), data, "echo \(index)")
            client.closeWrite()
            try await expectEndOfStream(client, "client \(index)")
            client.close()
        }
        try expectEqual(await server.value, 3, "serve returned after three connections")
    }
}
