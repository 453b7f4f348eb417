/// DriverStats.swift — `swiftlet_platform_driver_stats`: what the virtio drivers cost the hypervisor.
///
/// Notifications are counted where they are sent (Virtqueue.kick), interrupts where they are taken (isr.S's
/// `virtio_isr_eoi`, the handler of VIRTIO_DEVICE_VECTOR), over every device since boot. The queue counts say
/// whether VIRTIO_F_RING_EVENT_IDX was negotiated (Transport.makeQueue); Runtime puts all four in `/metrics`
/// (`swiftlet_virtio_*`), which Tests/Interop/http_metrics_check.py reads.

import SwiftletABI
import VirtioHW

@_cdecl("swiftlet_platform_driver_stats")
public func swiftlet_platform_driver_stats(_ stats: UnsafeMutablePointer<swiftlet_driver_stats>?) -> swiftlet_result_t {
    stats?.pointee = swiftlet_driver_stats(
        notifications: Virtqueue.notificationsSent, interrupts: virtio_device_interrupts,
        queues: Virtqueue.queuesStarted, event_index_queues: Virtqueue.eventIndexQueues)
    return SWIFTLET_R_OK
}
