import _Concurrency

/// Parks the current task until something resumes it, or until it is cancelled.
///
/// The one pattern behind `sleep` (a timer resumes) and device waits (readiness
/// resumes): `arm` registers the continuation and returns an id; on
/// cancellation, `disarm(id)` takes the continuation back (nil if it already
/// fired) and it is resumed at once. Cancellation before arming never arms.
/// One thread: the state needs no locking.
///
/// - Returns: true when the wait ended because the task was cancelled.
func waitCancellably(
    arm: (UnsafeContinuation<Void, Never>) -> UInt64,
    disarm: @escaping (UInt64) -> UnsafeContinuation<Void, Never>?
) async -> Bool {
    if Task.isCancelled { return true }
    let state = WaitState()
    await withTaskCancellationHandler {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            if state.cancelled {
                continuation.resume()
            } else {
                state.id = arm(continuation)
            }
        }
    } onCancel: {
        state.cancelled = true
        if let id = state.id, let continuation = disarm(id) { continuation.resume() }
    }
    return state.cancelled
}

/// Shared between a parked wait and its cancellation handler.
private final class WaitState: @unchecked Sendable {
    var id: UInt64?
    var cancelled = false
}
