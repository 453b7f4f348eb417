import _Concurrency

/// Sleeping and timeouts, on the executor's timer heap.
///
/// Embedded Swift has no `Task.sleep` or clocks; these are Swiftlet's. A
/// sleeping task is a continuation parked in the timer heap; cancelling the
/// task wakes it at once and makes the sleep throw `CancellationError`.

/// Suspends the current task until the monotonic clock reaches `deadline`.
/// A deadline in the past returns at once (after letting other tasks run).
///
/// - Throws: `CancellationError` if the task is cancelled before the deadline.
public func sleep(until deadline: Instant) async throws(CancellationError) {
    let executor = Executor.shared
    let cancelled = await waitCancellably(
        arm: { executor.addTimer(deadline, $0) },
        disarm: { executor.cancelTimer($0) })
    if cancelled { throw CancellationError() }
}

/// Suspends the current task for `duration` (from now).
///
/// - Throws: `CancellationError` if the task is cancelled first.
public func sleep(for duration: Duration) async throws(CancellationError) {
    try await sleep(until: Instant.now + duration)
}

/// The operation did not finish before its deadline.
public struct TimeoutError: Error, Equatable {
    public init() {}
}

private enum Race<T> {
    case finished(T)
    case timedOut
}

/// Runs `operation` and returns its result, or throws ``TimeoutError`` once `deadline` passes.
///
/// On timeout the operation's task is cancelled and awaited (structured
/// concurrency): an operation that ignores cancellation delays the return.
/// Swiftlet's own waits (sleep, device reads) honour cancellation.
public func withDeadline<T>(
    _ deadline: Instant, _ operation: @escaping () async -> T
) async throws(TimeoutError) -> T {
    try await race(operation, against: { try? await sleep(until: deadline) })
}

/// Runs `operation` against `timer` (a wait that returns when time is up, or early when cancelled) and returns
/// the operation's result, or throws ``TimeoutError`` when the timer returns first; the loser is cancelled and
/// awaited. ``withDeadline(_:_:)`` races the executor's timers; a stack with a virtual clock races its own sleep.
public func race<T>(
    _ operation: @escaping () async -> T, against timer: @escaping () async -> Void
) async throws(TimeoutError) -> T {
    let outcome: Race<T> = await withTaskGroup(of: Race<T>.self) { group in
        group.addTask { .finished(await operation()) }
        group.addTask {
            // Cancelled means the operation finished first; the result is ignored then.
            await timer()
            return .timedOut
        }
        let first = await group.next() ?? .timedOut
        group.cancelAll()
        return first
    }
    switch outcome {
    case .finished(let value): return value
    case .timedOut: throw TimeoutError()
    }
}

/// Runs `operation` and returns its result, or throws ``TimeoutError`` after `timeout`.
public func withTimeout<T>(
    _ timeout: Duration, _ operation: @escaping () async -> T
) async throws(TimeoutError) -> T {
    try await withDeadline(Instant.now + timeout, operation)
}
