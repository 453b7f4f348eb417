/// The clock a network stack reads and sleeps on: the monotonic clock in apps (``MonotonicClock``), a virtual clock
/// in tests (NetTesting's `VirtualClock`), so that the async API runs over a simulated link in virtual time,
/// deterministically, in both modes.
///
/// ``NetworkStackOn`` is generic over it (Embedded Swift: no existentials in the hot path), and everything the
/// stack and its sockets time (poll deadlines, operation timeouts, DNS retries) goes through it: nothing under
/// `Sources/Net/Stack` reads `Instant.now` or sleeps on the executor's timers directly.
import Runtime

/// A source of `now` and of sleeps, for ``NetworkStackOn``.
public protocol StackClock {
    /// The current instant on this clock.
    var now: Instant { get }

    /// Suspends the calling task until this clock reaches `deadline` (a deadline in the past returns soon).
    ///
    /// - Throws: `CancellationError` when the task is cancelled first.
    func sleep(until deadline: Instant) async throws(CancellationError)

    /// Calls `action` once this clock reaches `deadline`, from no task: the poll task's deadline, so that it parks
    /// in one wait that a device, this deadline or a kick ends (no timer task per deadline). Returns an id for
    /// ``cancelWake(_:)``.
    func wake(at deadline: Instant, _ action: @escaping () -> Void) -> UInt64

    /// Disarms wake `id` of ``wake(at:_:)``; nothing happens when it already fired.
    func cancelWake(_ id: UInt64)
}

/// The platform's monotonic clock (`Instant.now`) and the executor's timers: the clock of every app's stack.
public struct MonotonicClock: StackClock {
    public init() {}

    public var now: Instant { Instant.now }

    public func sleep(until deadline: Instant) async throws(CancellationError) {
        try await monotonicSleep(until: deadline)
    }

    public func wake(at deadline: Instant, _ action: @escaping () -> Void) -> UInt64 {
        Executor.shared.wake(at: deadline, action)
    }

    public func cancelWake(_ id: UInt64) { Executor.shared.cancelWake(id) }
}

// Runtime's free function, out of the reach of the protocol's members of the same names.
private func monotonicSleep(until deadline: Instant) async throws(CancellationError) {
    try await sleep(until: deadline)
}
