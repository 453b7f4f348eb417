import _Concurrency

/// A binary min-heap of timers ordered by (deadline, sequence number).
///
/// The sequence number makes timers with equal deadlines fire in the order
/// they were armed. The heap holds only (deadline, sequence, id); the live
/// actions sit in a table of slots, and a timer's id names its slot (low 24
/// bits) and that slot's generation (the rest), so cancelling is O(1) (empty
/// the slot) and the dead heap entry is skipped lazily when it reaches the
/// top: its id no longer matches the slot's. A slot is reused once freed
/// (fired or cancelled), with the next generation, so an id never names a
/// later timer. A table instead of a `Dictionary` by id: no hashing, no
/// random seed, and none of the stdlib's Dictionary code in every image
/// (docs/BENCHMARKS.md, footprint).
struct TimerHeap {
    /// What a timer does when it fires.
    enum Action {
        /// Resume a sleeping task.
        case resume(UnsafeContinuation<Void, Never>)
        /// Enqueue a runtime job (from `swift_task_enqueueGlobalWithDelay`).
        case job(UnsafeMutableRawPointer)
        /// Call a function on the executor's thread, from no task (``Executor/wake(at:_:)``).
        case call(() -> Void)
    }

    struct Entry {
        var deadline: Instant
        var sequence: UInt64
        var id: UInt64
    }

    /// One timer's place: the id it was last given and, while that timer is armed, its action.
    struct Slot {
        var id: UInt64
        var action: Action?
        /// The next free slot when this one is free (-1: none).
        var nextFree: Int
    }

    /// Bits of an id that name the slot; 16,777,216 armed timers at once, far beyond any heap a unikernel has.
    static let slotBits: UInt64 = 24

    private var entries: [Entry] = []
    private var slots: [Slot] = []
    private var firstFree = -1
    private var nextSequence: UInt64 = 1

    /// Number of armed timers.
    private(set) var count = 0
    var isEmpty: Bool { count == 0 }

    /// The earliest live deadline, if any.
    mutating func nextDeadline() -> Instant? {
        dropCancelledTop()
        return entries.first?.deadline
    }

    /// Arms a timer and returns its id (for ``cancel(_:)``).
    mutating func insert(_ deadline: Instant, _ action: Action) -> UInt64 {
        let slot: Int
        if firstFree >= 0 {
            slot = firstFree
            firstFree = slots[slot].nextFree
        } else {
            slot = slots.count
            precondition(UInt64(slot) < 1 << Self.slotBits, "more timers armed at once than a timer id can name")
            slots.append(Slot(id: UInt64(slot), action: nil, nextFree: -1))
        }
        // The slot's next generation (an id is never 0).
        let id = slots[slot].id &+ (1 << Self.slotBits)
        slots[slot].id = id
        slots[slot].action = action
        count += 1
        entries.append(Entry(deadline: deadline, sequence: nextSequence, id: id))
        nextSequence &+= 1
        siftUp(entries.count - 1)
        return id
    }

    /// Cancels the timer `id` if it has not fired; returns its action so the caller can resume it.
    mutating func cancel(_ id: UInt64) -> Action? {
        take(id)
    }

    /// Removes and returns the earliest timer whose deadline is at or before `now`.
    mutating func popExpired(now: Instant) -> Action? {
        dropCancelledTop()
        guard let first = entries.first, first.deadline <= now else { return nil }
        return take(removeTop().id)
    }

    /// Empties the slot of the armed timer `id` and returns its action; nil if `id` is not armed.
    private mutating func take(_ id: UInt64) -> Action? {
        let slot = Int(truncatingIfNeeded: id & ((1 << Self.slotBits) - 1))
        guard slot < slots.count, slots[slot].id == id, let action = slots[slot].action else { return nil }
        slots[slot].action = nil
        slots[slot].nextFree = firstFree
        firstFree = slot
        count -= 1
        return action
    }

    private func isArmed(_ entry: Entry) -> Bool {
        let slot = Int(truncatingIfNeeded: entry.id & ((1 << Self.slotBits) - 1))
        return slots[slot].id == entry.id && slots[slot].action != nil
    }

    private mutating func dropCancelledTop() {
        while let first = entries.first, !isArmed(first) {
            _ = removeTop()
        }
    }

    private mutating func removeTop() -> Entry {
        let top = entries[0]
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            siftDown(0)
        }
        return top
    }

    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence)
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(entries[child], entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            guard left < entries.count else { return }
            var smallest = left
            let right = left + 1
            if right < entries.count && Self.before(entries[right], entries[left]) { smallest = right }
            guard Self.before(entries[smallest], entries[parent]) else { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
