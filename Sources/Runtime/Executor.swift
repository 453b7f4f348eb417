import _Concurrency

/// Swiftlet's executor: one thread, one run queue, one timer heap, and the ABI
/// poll as its idle step.
///
/// The Swift concurrency runtime hands every job to the hooks in
/// `C/executor_hooks.c`, which forward here. The loop:
///
/// 1. resumes every timer whose deadline has passed;
/// 2. runs the jobs that were ready *at the start of the step* (jobs they
///    enqueue wait for the next step, so timers and devices are looked at
///    between batches: a busy task cannot starve the network);
/// 3. when nothing is ready, sleeps in the ABI poll until the next timer
///    deadline or a device becomes ready. A ready block device's completions
///    are taken at once (BlockQueue.swift), which resumes the tasks that
///    made the requests.
///
/// If nothing is ready, no timer is armed and no device can wake the loop,
/// every task waits for something that cannot happen: the executor aborts
/// with a clear message instead of hanging.
public final class Executor {
    /// The one executor of the unikernel.
    nonisolated(unsafe) public static let shared = Executor()

    var ready = JobQueue()
    var timers = TimerHeap()
    /// Device handles acquired so far; when nonzero, the poll may wake the loop.
    var wakeSources: UInt64 = 0
    /// Tasks waiting for a device handle to become readable (see Readiness.swift).
    var readiness = ReadinessWaiters()
    /// Takes a ready set's block completions (BlockQueues.reap), set when the first block device is opened, and
    /// resumes the tasks parked on ready handles (readiness), set when the first task parks: an app that uses
    /// neither links neither (docs/BENCHMARKS.md, footprint).
    var reapBlocks: ((UInt64) -> Void)? = nil
    var wakeReaders: ((UInt64) -> Void)? = nil
    /// Calls the readiness callbacks of ``whenReadable(handle:_:)``, set when the first is registered.
    var callReadable: ((UInt64) -> Void)? = nil
    /// The readiness callbacks, by device handle.
    var readableCallbacks: [(handle: Int, action: () -> Void)] = []

    /// Counters, for tests and diagnostics.
    public private(set) var jobsRun: UInt64 = 0
    public private(set) var polls: UInt64 = 0

    init() {}

    /// Jobs ready to run (enqueued, not yet run). Seen from a running task, 0 means every other task is suspended:
    /// a virtual clock for tests (NetTesting's `VirtualClock`) advances only then.
    public var readyJobs: Int { ready.count }

    func enqueue(_ job: UnsafeMutableRawPointer) { ready.push(job) }

    /// Arms a timer that resumes `continuation` at `deadline`; returns its id.
    func addTimer(_ deadline: Instant, _ continuation: UnsafeContinuation<Void, Never>) -> UInt64 {
        timers.insert(deadline, .resume(continuation))
    }

    /// Disarms sleep timer `id` and returns its continuation; nil if it already fired.
    func cancelTimer(_ id: UInt64) -> UnsafeContinuation<Void, Never>? {
        guard case .resume(let continuation) = timers.cancel(id) else { return nil }
        return continuation
    }

    /// Whether a device can wake the loop: a net device was acquired, or a block request has not completed.
    private var canWake: Bool { wakeSources != 0 || BlockQueues.outstanding > 0 }

    /// Registers a device handle as a source of wakeups.
    public func addWakeSource(handle: Int) { wakeSources |= 1 << UInt64(handle) }

    private func perform(_ action: TimerHeap.Action) {
        switch action {
        case .resume(let continuation): continuation.resume()
        case .job(let job): ready.push(job)
        case .call(let action): action()
        }
    }

    /// Calls `action` on the executor's thread once the monotonic clock reaches `deadline`, from no task (a
    /// callback timer: what a long-lived task such as a network stack's poll task needs to wake by a deadline
    /// while it also waits for a device or a kick, without a task per deadline). Returns an id for
    /// ``cancelWake(_:)``.
    public func wake(at deadline: Instant, _ action: @escaping () -> Void) -> UInt64 {
        timers.insert(deadline, .call(action))
    }

    /// Disarms callback timer `id` of ``wake(at:_:)``; nothing happens when it already fired.
    public func cancelWake(_ id: UInt64) { _ = timers.cancel(id) }

    /// Calls `action` on the executor's thread, from no task, whenever the ABI poll reports device `handle`
    /// ready (spuriously at times), for as long as the unikernel runs: a network stack's device readiness without
    /// a watcher task parked on ``waitUntilReadable(handle:)``.
    public func whenReadable(handle: Int, _ action: @escaping () -> Void) {
        readableCallbacks.append((handle, action))
        if callReadable == nil {
            callReadable = { readySet in
                for callback in Executor.shared.readableCallbacks where readySet & (1 << UInt64(callback.handle)) != 0 {
                    callback.action()
                }
            }
        }
    }

    /// One step of the loop; returns after running a batch or after one poll.
    func step() {
        let now = Instant.now
        while let action = timers.popExpired(now: now) { perform(action) }
        var batch = ready.count
        if batch > 0 {
            while batch > 0, let job = ready.pop() {
                swiftlet_job_run(job)
                jobsRun &+= 1
                batch -= 1
            }
            // Let devices report between batches without sleeping.
            if canWake { pollDevices(until: Instant(nanoseconds: 0)) }
            return
        }
        let deadline = timers.nextDeadline()
        if deadline == nil && !canWake {
            ABI.abort("deadlock: every task is waiting, and no timer or device can wake one")
        }
        pollDevices(until: deadline ?? .distantFuture)
    }

    private func pollDevices(until deadline: Instant) {
        polls &+= 1
        deviceReady(ABI.poll(until: deadline))
    }

    /// Hands a ready set from the ABI poll on: block devices' completions are taken (resuming their
    /// owners, see BlockQueue.swift), then every task parked on a ready handle is resumed and the readiness
    /// callbacks of ready handles are called.
    func deviceReady(_ readySet: UInt64) {
        guard readySet != 0 else { return }
        reapBlocks?(readySet)
        wakeReaders?(readySet)
        callReadable?(readySet)
    }

    /// Runs the loop forever (the app's root task ends the unikernel through `exit`).
    func runForever() -> Never {
        while true { step() }
    }
}

@_extern(c, "swiftlet_job_run")
func swiftlet_job_run(_ job: UnsafeMutableRawPointer)

@_cdecl("swiftlet_executor_enqueue")
func swiftletExecutorEnqueue(_ job: UnsafeMutableRawPointer) {
    Executor.shared.enqueue(job)
}

@_cdecl("swiftlet_executor_enqueue_at")
func swiftletExecutorEnqueueAt(_ deadline: UInt64, _ job: UnsafeMutableRawPointer) {
    _ = Executor.shared.timers.insert(Instant(nanoseconds: deadline), .job(job))
}

@_cdecl("swiftlet_executor_now")
func swiftletExecutorNow() -> UInt64 { Instant.now.nanoseconds }

@_cdecl("swiftlet_executor_run_forever")
func swiftletExecutorRunForever() -> Never { Executor.shared.runForever() }

@_cdecl("swiftlet_executor_run_until")
func swiftletExecutorRunUntil(
    _ condition: @convention(c) (UnsafeMutableRawPointer?) -> Bool, _ context: UnsafeMutableRawPointer?
) {
    while !condition(context) { Executor.shared.step() }
}
