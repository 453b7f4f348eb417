import _Concurrency

/// A binary min-heap of timers ordered by (deadline, sequence number).
///
/// The sequence number makes timers with equal deadlines fire in the order
/// they were armed. The heap holds only (deadline, id); the live actions sit in
/// a dictionary by id, so cancelling is O(1) (drop the action) and the dead heap
/// entry is skipped lazily when it reaches the top.
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
        var id: UInt64
    }

    private var entries: [Entry] = []
    private var nextID: UInt64 = 1
    /// Actions of the timers that have neither fired nor been cancelled.
    private var live: [UInt64: Action] = [:]

    /// Number of armed timers.
    var count: Int { live.count }
    var isEmpty: Bool { live.isEmpty }

    /// The earliest live deadline, if any.
    mutating func nextDeadline() -> Instant? {
        dropCancelledTop()
        return entries.first?.deadline
    }

    /// Arms a timer and returns its id (for ``cancel(_:)``).
    mutating func insert(_ deadline: Instant, _ action: Action) -> UInt64 {
        let id = nextID
        nextID &+= 1
        entries.append(Entry(deadline: deadline, id: id))
        live[id] = action
        siftUp(entries.count - 1)
        return id
    }

    /// Cancels the timer `id` if it has not fired; returns its action so the caller can resume it.
    mutating func cancel(_ id: UInt64) -> Action? {
        live.removeValue(forKey: id)
    }

    /// Removes and returns the earliest timer whose deadline is at or before `now`.
    mutating func popExpired(now: Instant) -> Action? {
        dropCancelledTop()
        guard let first = entries.first, first.deadline <= now else { return nil }
        let id = removeTop().id
        return live.removeValue(forKey: id)
    }

    private mutating func dropCancelledTop() {
        while let first = entries.first, live[first.id] == nil {
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
        a.deadline < b.deadline || (a.deadline == b.deadline && a.id < b.id)
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
