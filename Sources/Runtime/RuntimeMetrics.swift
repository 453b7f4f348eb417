import SwiftletABI

/// The libOS's own metrics, first in every scrape (``Metrics/render(into:)``): heap, executor, block I/O, logs.
///
/// | name | kind | what |
/// |---|---|---|
/// | `swiftlet_heap_in_use_bytes` | gauge | bytes of the chunks allocated and not freed (16-byte headers included) |
/// | `swiftlet_heap_high_water_bytes` | gauge | the most that were ever in use at once |
/// | `swiftlet_heap_size_bytes` | gauge | the heap region (`--memory` less the image; same rule in both modes) |
/// | `swiftlet_executor_jobs_total` | counter | jobs (task steps) run |
/// | `swiftlet_executor_polls_total` | counter | ABI polls (device checks and sleeps) |
/// | `swiftlet_executor_ready_jobs` | gauge | jobs in the run queue now |
/// | `swiftlet_executor_timers` | gauge | armed timers (sleeping tasks and deadlines) |
/// | `swiftlet_executor_parked_tasks` | gauge | tasks parked on a device handle |
/// | `swiftlet_block_requests_in_flight` | gauge | block requests submitted and not completed |
/// | `swiftlet_log_lines_total{level}` | counter | log lines written, per level |
/// | `swiftlet_uptime_seconds` | gauge | monotonic time since launch |
/// | `swiftlet_virtio_notifications_total` | counter | prod only: notifications (virtqueue kicks) sent to devices |
/// | `swiftlet_virtio_interrupts_total` | counter | prod only: device interrupts taken |
/// | `swiftlet_virtio_queues`, `swiftlet_virtio_event_index_queues` | gauge | prod only: virtqueues started, and those using VIRTIO_F_RING_EVENT_IDX |
///
/// The `swiftlet_virtio_*` families come from `swiftlet_platform_driver_stats`, which dev answers UNSPEC (the host
/// kernel drives its devices): they are absent there, the one difference between the modes' scrapes.
enum RuntimeMetrics {
    static func collect(_ writer: inout MetricsWriter) {
        let heap = ABI.heapStatistics()
        writer.single("swiftlet_heap_in_use_bytes", .gauge, help: "Heap bytes allocated and not freed.",
                      UInt64(heap.in_use))
        writer.single("swiftlet_heap_high_water_bytes", .gauge, help: "The most heap bytes ever in use at once.",
                      UInt64(heap.high_water))
        writer.single("swiftlet_heap_size_bytes", .gauge, help: "Bytes of the heap region.", UInt64(heap.size))
        let executor = Executor.shared
        writer.single("swiftlet_executor_jobs_total", .counter, help: "Jobs (task steps) run by the executor.",
                      executor.jobsRun)
        writer.single("swiftlet_executor_polls_total", .counter, help: "Device polls and sleeps of the executor.",
                      executor.polls)
        writer.single("swiftlet_executor_ready_jobs", .gauge, help: "Jobs waiting in the run queue.",
                      executor.ready.count)
        writer.single("swiftlet_executor_timers", .gauge, help: "Armed timers (sleeps and deadlines).",
                      executor.timers.count)
        writer.single("swiftlet_executor_parked_tasks", .gauge, help: "Tasks parked on a device handle.",
                      executor.readiness.count)
        writer.single("swiftlet_block_requests_in_flight", .gauge, help: "Block requests not yet completed.",
                      BlockQueues.outstanding)
        writer.family("swiftlet_log_lines_total", .counter, help: "Log lines written, per level.")
        let lines = Log.linesWritten
        writer.sample("swiftlet_log_lines_total", [("level", "error")], lines.0)
        writer.sample("swiftlet_log_lines_total", [("level", "warning")], lines.1)
        writer.sample("swiftlet_log_lines_total", [("level", "info")], lines.2)
        writer.sample("swiftlet_log_lines_total", [("level", "debug")], lines.3)
        var driver = swiftlet_driver_stats()
        if swiftlet_platform_driver_stats(&driver) == SWIFTLET_R_OK {
            writer.single("swiftlet_virtio_notifications_total", .counter, help: "Notifications sent to devices.",
                          driver.notifications)
            writer.single("swiftlet_virtio_interrupts_total", .counter, help: "Device interrupts taken.",
                          driver.interrupts)
            writer.single("swiftlet_virtio_queues", .gauge, help: "Virtqueues started.", driver.queues)
            writer.single("swiftlet_virtio_event_index_queues", .gauge, help: "Virtqueues using the event index.",
                          driver.event_index_queues)
        }
        writer.family("swiftlet_uptime_seconds", .gauge, help: "Monotonic seconds since launch.")
        writer.sample("swiftlet_uptime_seconds", text: Log.seconds((Instant.now - Runtime.launched).nanosecondsClamped))
    }
}
