/// What the async stack needs of its device beyond the ``NetworkDevice`` calls the ``Interface`` makes: a way to
/// learn that frames arrived, so that its poll task sleeps in between.
///
/// Runtime's ``NetDevice`` reports readiness through the executor (the ABI poll names the device's handle); a
/// simulated link (NetTesting's `VirtualLinkDevice`) knows when each frame it holds becomes receivable and calls
/// the stack when one is queued. ``NetworkStackOn`` is generic over it (no existentials in the hot path).
import Runtime

/// A ``NetworkDevice`` a ``NetworkStackOn`` can wait on.
public protocol StackDevice: NetworkDevice {
    /// Arranges for `wake` to be called, on the executor's thread, whenever frames may have arrived; the stack calls
    /// it once, when it starts. Spurious calls cost one poll.
    func watchArrivals(_ wake: @escaping () -> Void)

    /// When the earliest frame already queued for us becomes receivable, for a device that delivers in the future
    /// (a simulated link with latency); `nil` when none is queued or the device cannot tell (it then calls the
    /// `wake` of ``watchArrivals(_:)`` instead).
    func nextArrivalTime() -> Instant?
}

extension NetDevice: StackDevice {
    /// The executor calls `wake` whenever its poll reports the device's handle readable (no watcher task).
    public func watchArrivals(_ wake: @escaping () -> Void) {
        Executor.shared.whenReadable(handle: self.handle, wake)
    }

    /// A real device cannot tell (readiness comes from the executor).
    public func nextArrivalTime() -> Instant? { nil }
}
