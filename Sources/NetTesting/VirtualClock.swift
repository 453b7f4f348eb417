/// Virtual time for tests of the async stack: a ``StackClock`` whose `now` moves only when every task is idle,
/// straight to the earliest deadline a task sleeps until (discrete-event simulation, as SwiftNIO's
/// `NIOAsyncTestingEventLoop` and smoltcp's examples with a simulated clock).
///
/// ``run(_:)`` drives it: it runs the test's body in a task, and whenever the executor has no other job ready
/// (`Executor.readyJobs` is 0: every task is suspended on a sleep, a socket wait or the stack's poll), it sets `now`
/// to the earliest sleeper's deadline and resumes the sleepers due then, in the order they went to sleep. Nothing
/// reads the platform's clock, so a run over a ``VirtualLink`` (whose deliveries are timed by the same `now`) is the
/// same instant for instant in both modes and on every machine, and takes no real time to wait out a timeout.
import Net
import Runtime

/// A clock that advances only when every task waits (see the file's comment).
public final class VirtualClock: StackClock {
    private struct Sleeper {
        var deadline: Instant
        var id: UInt64
        var wake: Wake
    }

    /// What a sleeper's deadline does: resume a sleeping task, or call a ``wake(at:_:)`` callback.
    private enum Wake {
        case resume(UnsafeContinuation<Void, Never>)
        case call(() -> Void)
    }

    /// The current virtual instant.
    public private(set) var now: Instant
    /// Sleepers, in (deadline, id) order: equal deadlines wake in the order they went to sleep.
    private var sleepers: [Sleeper] = []
    private var nextID: UInt64 = 1
    /// Times ``run(_:)`` advanced `now`, for tests of the clock itself.
    public private(set) var advances = 0

    /// A clock that starts at `start`.
    public init(start: Instant = Instant(nanoseconds: 1_000_000_000)) {
        self.now = start
    }

    /// Suspends until ``run(_:)`` has advanced the clock to `deadline` (a deadline already reached returns after
    /// letting the other ready tasks run).
    public func sleep(until deadline: Instant) async throws(CancellationError) {
        if Task.isCancelled { throw CancellationError() }
        guard deadline > self.now else {
            await Task.yield()
            if Task.isCancelled { throw CancellationError() }
            return
        }
        let state = VirtualSleepState()
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                if state.cancelled {
                    continuation.resume()
                } else {
                    state.id = self.insert(deadline, .resume(continuation))
                }
            }
        } onCancel: {
            state.cancelled = true
            if let id = state.id, case .resume(let continuation)? = self.remove(id) { continuation.resume() }
        }
        if state.cancelled { throw CancellationError() }
    }

    /// Calls `action` once ``run(_:)`` has advanced the clock to `deadline`, in order with the sleepers (a deadline
    /// already reached: at the next advance).
    public func wake(at deadline: Instant, _ action: @escaping () -> Void) -> UInt64 {
        self.insert(max(deadline, self.now), .call(action))
    }

    public func cancelWake(_ id: UInt64) { _ = self.remove(id) }

    /// The earliest instant a task sleeps until, `nil` when none sleeps.
    public var nextDeadline: Instant? { self.sleepers.first?.deadline }

    /// Runs `body` to its end in a task of its own, advancing virtual time whenever every task is idle; returns
    /// its result, or `nil` when every task waits and no sleeper is left (nothing could ever happen: a deadlock in
    /// virtual time) or when the clock would pass `limit`. The body's task is cancelled then.
    public func run<T>(until limit: Instant? = nil, _ body: @escaping () async -> T) async -> T? {
        let box = VirtualResult<T>()
        let task = Task {
            box.value = await body()
            box.done = true
        }
        while !box.done {
            await Task.yield()
            if box.done || Executor.shared.readyJobs > 0 { continue }
            // Every other task is suspended: move to the next deadline.
            guard let deadline = self.sleepers.first?.deadline, limit == nil || deadline <= limit! else {
                task.cancel()
                // Let the cancelled body unwind (its waits honour cancellation).
                var spins = 0
                while !box.done && spins < 1000 {
                    await Task.yield()
                    spins += 1
                }
                return nil
            }
            self.now = deadline
            self.advances += 1
            var due: [Wake] = []
            while let first = self.sleepers.first, first.deadline <= deadline {
                due.append(first.wake)
                self.sleepers.removeFirst()
            }
            for wake in due {
                switch wake {
                case .resume(let continuation): continuation.resume()
                case .call(let action): action()
                }
            }
        }
        return box.value
    }

    private func insert(_ deadline: Instant, _ wake: Wake) -> UInt64 {
        let id = self.nextID
        self.nextID += 1
        var index = self.sleepers.count
        while index > 0 && self.sleepers[index - 1].deadline > deadline { index -= 1 }
        self.sleepers.insert(Sleeper(deadline: deadline, id: id, wake: wake), at: index)
        return id
    }

    private func remove(_ id: UInt64) -> Wake? {
        guard let index = self.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
        return self.sleepers.remove(at: index).wake
    }
}

/// Shared between a virtual sleep and its cancellation handler (one thread: no locking).
private final class VirtualSleepState: @unchecked Sendable {
    var id: UInt64?
    var cancelled = false
}

/// The body's result, set by its task.
private final class VirtualResult<T>: @unchecked Sendable {
    var value: T?
    var done = false
}

/// SplitMix64 as a closure, for the `random:` of a stack in a deterministic test.
public func seededRandom(_ seed: UInt64) -> () -> UInt64 {
    let generator = SeededRandom(seed: seed)
    return { generator.next() }
}

private final class SeededRandom {
    var state: SplitMix64
    init(seed: UInt64) { self.state = SplitMix64(seed: seed) }
    func next() -> UInt64 { self.state.next() }
}
