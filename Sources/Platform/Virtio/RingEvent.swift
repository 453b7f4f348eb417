/// RingEvent.swift — the event-index rule of VIRTIO_F_RING_EVENT_IDX (virtio 1.2 §2.7.7, §2.7.10), pure arithmetic.
///
/// With the feature, each side says where it next wants to hear from the other instead of raising a flag: the
/// driver writes `used_event` (after the avail ring) and the device interrupts only when the used index moves past
/// it; the device writes `avail_event` (after the used ring) and the driver notifies only when the avail index
/// moves past it. "Moves past" is the spec's `vring_need_event` (§2.7.10.1, the same in Linux's virtio_ring.h):
///
///     (u16)(new_idx - event_idx - 1) < (u16)(new_idx - old_idx)
///
/// that is, `event` is one of the indexes in [old, new): the other side asked to be told once entry `event` is
/// published, and this batch (old, new] published entry event + 1. All of it is modulo 2^16 (the indexes wrap).
///
/// No imports: the host tests compile this file as it is (Tests/SwiftletTests/RingEventTests.swift).
enum RingEvent {
    /// Whether moving an index from `old` to `new` passes `event` (vring_need_event, §2.7.10.1).
    @inline(__always)
    static func needsEvent(event: UInt16, new: UInt16, old: UInt16) -> Bool {
        new &- event &- 1 < new &- old
    }

    /// A `used_event` that no used index can pass before the driver takes more entries: `size` entries past
    /// `lastUsed`. At most `size` chains are in flight, so the device's used index stays at or below
    /// `lastUsed + size` until the driver takes some, and an index must reach `event + 1` to pass `event`.
    @inline(__always)
    static func suppressed(lastUsed: UInt16, size: Int) -> UInt16 {
        lastUsed &+ UInt16(truncatingIfNeeded: size)
    }
}
