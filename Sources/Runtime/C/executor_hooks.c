/*
 * executor_hooks.c — binds the Swift concurrency runtime to Swiftlet's executor.
 *
 * Embedded _Concurrency calls ten hooks (declared in the toolchain's
 * include/swift/ExecutorImpl.h) to enqueue jobs and ask about isolation.
 * Defining all ten here keeps libswift_Concurrency.a's default executor (which
 * idles in nanosleep, blind to devices, and needs threads in its full form)
 * out of the link. The hooks use the Swift calling convention, so they live
 * in C with `swiftcall` and forward to the Swift executor in Executor.swift,
 * which exports plain C entry points with @_cdecl.
 *
 * Single-threaded: every hook runs on the one thread of the unikernel.
 */
#include <stdbool.h>
#include <stdint.h>
#include <swift/ExecutorImpl.h>

/* Implemented in Swift (Sources/Runtime/Executor.swift). */
extern void swiftlet_executor_enqueue(void *job);
extern void swiftlet_executor_enqueue_at(uint64_t deadline_ns, void *job);
extern uint64_t swiftlet_executor_now(void);
extern void swiftlet_executor_run_until(bool (*condition)(void *), void *context);
extern void swiftlet_executor_run_forever(void) __attribute__((noreturn));

/** Runs one job on the generic executor. Called from Swift. */
void swiftlet_job_run(void *job) {
    swift_job_run((SwiftJob *)job, swift_executor_generic());
}

SWIFT_CC(swift) void swift_task_enqueueGlobalImpl(SwiftJob *job) {
    swiftlet_executor_enqueue(job);
}

SWIFT_CC(swift) void swift_task_enqueueGlobalWithDelayImpl(SwiftJobDelay delay, SwiftJob *job) {
    uint64_t now = swiftlet_executor_now();
    uint64_t deadline = now + delay < now ? UINT64_MAX : now + delay;
    swiftlet_executor_enqueue_at(deadline, job);
}

SWIFT_CC(swift) void swift_task_enqueueGlobalWithDeadlineImpl(long long sec, long long nsec,
                                                              long long tsec, long long tnsec,
                                                              int clock, SwiftJob *job) {
    (void)tsec; (void)tnsec; (void)clock; /* one clock: monotonic; no tolerance */
    uint64_t deadline = sec < 0 ? 0 : (uint64_t)sec * 1000000000ull + (uint64_t)nsec;
    swiftlet_executor_enqueue_at(deadline, job);
}

SWIFT_CC(swift) void swift_task_enqueueMainExecutorImpl(SwiftJob *job) {
    swiftlet_executor_enqueue(job);
}

SWIFT_CC(swift) void swift_task_checkIsolatedImpl(SwiftExecutorRef executor) {
    (void)executor; /* one thread: whatever runs is isolated */
}

SWIFT_CC(swift) int8_t swift_task_isIsolatingCurrentContextImpl(SwiftExecutorRef executor) {
    (void)executor;
    return -1; /* unknown: let the runtime fall back to checkIsolated */
}

SWIFT_CC(swift) SwiftExecutorRef swift_task_getMainExecutorImpl(void) {
    return swift_executor_generic();
}

SWIFT_CC(swift) bool swift_task_isMainExecutorImpl(SwiftExecutorRef executor) {
    return swift_executor_isGeneric(executor);
}

SWIFT_CC(swift) __attribute__((noreturn)) void swift_task_asyncMainDrainQueueImpl(void) {
    swiftlet_executor_run_forever();
}

SWIFT_CC(swift) void swift_task_donateThreadToGlobalExecutorUntilImpl(bool (*condition)(void *),
                                                                     void *context) {
    swiftlet_executor_run_until(condition, context);
}
