import _Concurrency

/// Tasks parked until a device handle becomes readable.
///
/// The ABI poll returns a ready set (bit *h* for handle *h*); the executor
/// resumes every task waiting on a ready handle, which then retries its
/// non-blocking read. Wakes may be spurious: a woken reader that gets
/// `.again` simply waits again (smoltcp's one-shot waker; docs/ARCHITECTURE.md §4).
struct ReadinessWaiters {
    private var waiters: [Int: [UInt64: UnsafeContinuation<Void, Never>]] = [:]
    private var nextID: UInt64 = 1

    /// Number of parked tasks (for tests and the deadlock check).
    private(set) var count = 0

    mutating func park(handle: Int, _ continuation: UnsafeContinuation<Void, Never>) -> UInt64 {
        let id = nextID
        nextID &+= 1
        waiters[handle, default: [:]][id] = continuation
        count += 1
        return id
    }

    /// Removes waiter `id` of `handle` and returns it, if it is still parked.
    mutating func unpark(handle: Int, id: UInt64) -> UnsafeContinuation<Void, Never>? {
        guard let continuation = waiters[handle]?.removeValue(forKey: id) else { return nil }
        count -= 1
        return continuation
    }

    /// Resumes every task waiting on a handle in `readySet`.
    mutating func wake(_ readySet: UInt64) {
        var set = readySet
        while set != 0 {
            let handle = set.trailingZeroBitCount
            set &= set - 1
            guard let parked = waiters.removeValue(forKey: handle) else { continue }
            count -= parked.count
            for (_, continuation) in parked { continuation.resume() }
        }
    }
}

extension Executor {
    /// Suspends the current task until the ABI poll reports `handle` ready (or spuriously).
    /// Returns at once, without waiting, when the task is cancelled.
    public func waitUntilReadable(handle: Int) async {
        if wakeReaders == nil { wakeReaders = { Executor.shared.readiness.wake($0) } }
        _ = await waitCancellably(
            arm: { readiness.park(handle: handle, $0) },
            disarm: { self.readiness.unpark(handle: handle, id: $0) })
    }
}
