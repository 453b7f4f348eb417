/// Timers and sleeping: accuracy, past deadlines, ordering, timeouts, cancellation.
import Runtime

/// Records the order in which tasks finish (one thread: no locking needed).
final class Recorder: @unchecked Sendable {
    var order: [Int] = []
}

func registerTimerTests(_ suite: inout TestSuite) {
    suite.test("sleep.one-second-within-200ms") { () async throws(TestFailure) in
        let start = Instant.now
        try? await sleep(for: .seconds(1))
        let elapsed = start.elapsed.milliseconds
        try expect(elapsed >= 1000 && elapsed <= 1200, "slept \(elapsed) ms for 1000 ms")
    }
    suite.test("sleep.past-deadline-returns-at-once") { () async throws(TestFailure) in
        let start = Instant.now
        try? await sleep(until: start - .seconds(5))
        try? await sleep(until: Instant(nanoseconds: 0))
        try? await sleep(for: .zero)
        let elapsed = start.elapsed
        try expect(elapsed < .milliseconds(20), "past deadlines took \(elapsed.milliseconds) ms")
    }
    suite.test("timers.fire-in-deadline-order") { () async throws(TestFailure) in
        let recorder = Recorder()
        let delays = [70, 10, 50, 30, 90, 20, 60, 40, 80]
        await withTaskGroup(of: Void.self) { group in
            for delay in delays {
                group.addTask {
                    try? await sleep(for: .milliseconds(delay))
                    recorder.order.append(delay)
                }
            }
        }
        try expect(recorder.order == delays.sorted(), "woke in order \(recorder.order.map { "\($0)" }.joined(separator: ","))")
    }
    suite.test("timers.equal-deadlines-fire-in-arming-order") { () async throws(TestFailure) in
        let recorder = Recorder()
        let deadline = Instant.now + .milliseconds(30)
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try? await sleep(until: deadline)
                    recorder.order.append(index)
                }
                // Let the child arm its timer before the next one is created.
                await Task.yield()
            }
        }
        try expect(recorder.order == Array(0..<8), "order \(recorder.order.map { "\($0)" }.joined(separator: ","))")
    }
    suite.test("timeout.expires-when-the-work-is-slow") { () async throws(TestFailure) in
        let start = Instant.now
        var timedOut = false
        do throws(TimeoutError) {
            _ = try await withTimeout(.milliseconds(50)) { () async -> Int in
                try? await sleep(for: .seconds(10))
                return 1
            }
        } catch {
            timedOut = true
        }
        let elapsed = start.elapsed.milliseconds
        try expect(timedOut, "a 10 s sleep finished inside a 50 ms timeout")
        try expect(elapsed >= 50 && elapsed < 300, "timed out after \(elapsed) ms")
    }
    suite.test("timeout.returns-the-result-when-in-time") { () async throws(TestFailure) in
        let value: Int
        do throws(TimeoutError) {
            value = try await withTimeout(.seconds(2)) { () async -> Int in
                try? await sleep(for: .milliseconds(10))
                return 42
            }
        } catch {
            throw TestFailure("timed out although the work took 10 ms of 2 s")
        }
        try expectEqual(value, 42, "result")
    }
    suite.test("cancellation.wakes-a-sleeping-task") { () async throws(TestFailure) in
        let start = Instant.now
        let sleeper = Task { () -> Bool in
            do throws(CancellationError) {
                try await sleep(for: .seconds(30))
                return false
            } catch {
                return true
            }
        }
        try? await sleep(for: .milliseconds(20))
        sleeper.cancel()
        let cancelled = await sleeper.value
        try expect(cancelled, "sleep did not throw CancellationError")
        try expect(start.elapsed < .seconds(1), "cancellation took \(start.elapsed.milliseconds) ms")
    }
    suite.test("timers.callback-wakes-fire-in-order-and-cancel") { () async throws(TestFailure) in
        // Executor.wake(at:_:): a network stack's poll deadline, called from no task; a cancelled one never fires.
        let recorder = Recorder()
        let start = Instant.now
        let executor = Executor.shared
        _ = executor.wake(at: start + .milliseconds(40)) { recorder.order.append(40) }
        let cancelled = executor.wake(at: start + .milliseconds(20)) { recorder.order.append(20) }
        _ = executor.wake(at: start + .milliseconds(10)) { recorder.order.append(10) }
        _ = executor.wake(at: start - .seconds(1)) { recorder.order.append(0) }
        executor.cancelWake(cancelled)
        try? await sleep(for: .milliseconds(60))
        try expect(recorder.order == [0, 10, 40], "fired \(recorder.order.map { "\($0)" }.joined(separator: ","))")
        executor.cancelWake(cancelled)  // already cancelled: nothing happens
    }
    suite.test("timers.stale-id-never-cancels-a-later-timer") { () async throws(TestFailure) in
        // A timer's id names a slot that is reused once the timer fired or was cancelled (TimerHeap.swift): an id
        // kept after that must not reach the slot's next timer.
        let recorder = Recorder()
        let executor = Executor.shared
        let first = executor.wake(at: Instant.now + .milliseconds(5)) { recorder.order.append(1) }
        executor.cancelWake(first)
        let second = executor.wake(at: Instant.now + .milliseconds(5)) { recorder.order.append(2) }
        executor.cancelWake(first)
        try? await sleep(for: .milliseconds(20))
        // The sleep's slot and then the second timer's are the next to be reused.
        let third = executor.wake(at: Instant.now) { recorder.order.append(3) }
        let fourth = executor.wake(at: Instant.now) { recorder.order.append(4) }
        executor.cancelWake(second)  // fired already: nothing happens to the slot's next timer either
        try? await sleep(for: .milliseconds(5))
        try expect(Set([first, second, third, fourth]).count == 4, "ids repeat: \(first) \(second) \(third) \(fourth)")
        try expect(recorder.order == [2, 3, 4], "fired \(recorder.order.map { "\($0)" }.joined(separator: ","))")
    }
}
