/// Tasks on the single-threaded executor: many at once, actors, streams, fairness.
import Runtime

actor Counter {
    var value = 0
    func increment() { value += 1 }
}

func registerTaskTests(_ suite: inout TestSuite) {
    suite.test("tasks.ten-thousand-concurrent-sleepers") { () async throws(TestFailure) in
        let start = Instant.now
        let sum = await withTaskGroup(of: Int.self) { group in
            for index in 0..<10_000 {
                group.addTask {
                    try? await sleep(for: .milliseconds(50 + index % 50))
                    return index
                }
            }
            var total = 0
            for await value in group { total += value }
            return total
        }
        try expectEqual(sum, 10_000 * 9_999 / 2, "sum of task results")
        // All sleeps overlap: the whole group takes about the longest sleep, not the sum.
        try expect(start.elapsed < .seconds(20), "10,000 sleepers took \(start.elapsed.milliseconds) ms")
    }
    suite.test("tasks.actor-serialises-increments") { () async throws(TestFailure) in
        let counter = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<1000 { group.addTask { await counter.increment() } }
        }
        let value = await counter.value
        try expectEqual(value, 1000, "counter")
    }
    suite.test("tasks.async-stream-delivers-in-order") { () async throws(TestFailure) in
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let producer = Task {
            for value in 0..<100 {
                continuation.yield(value)
                if value % 10 == 0 { try? await sleep(for: .milliseconds(1)) }
            }
            continuation.finish()
        }
        var received: [Int] = []
        for await value in stream { received.append(value) }
        await producer.value
        try expect(received == Array(0..<100), "received \(received.count) values out of order or missing")
    }
    suite.test("executor.busy-task-does-not-starve-timers") { () async throws(TestFailure) in
        let spinner = Task {
            var spins = 0
            while !Task.isCancelled {
                spins += 1
                await Task.yield()
            }
            return spins
        }
        let start = Instant.now
        try? await sleep(for: .milliseconds(30))
        let late = start.elapsed - .milliseconds(30)
        spinner.cancel()
        let spins = await spinner.value
        try expect(late < .milliseconds(100), "timer was \(late.milliseconds) ms late under load")
        try expect(spins > 10, "spinner only ran \(spins) times")
    }
    suite.test("executor.yield-interleaves-tasks") { () async throws(TestFailure) in
        let recorder = Recorder()
        await withTaskGroup(of: Void.self) { group in
            for id in 0..<2 {
                group.addTask {
                    for _ in 0..<3 {
                        recorder.order.append(id)
                        await Task.yield()
                    }
                }
            }
        }
        try expect(recorder.order == [0, 1, 0, 1, 0, 1], "order \(recorder.order.map { "\($0)" }.joined())")
    }
}
