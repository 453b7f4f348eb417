/// A growable FIFO ring of concurrency-runtime jobs (opaque `SwiftJob *`).
///
/// The executor's run queue. Amortised O(1) push and pop; it grows by
/// doubling and never shrinks below its high-water mark, so a steady state
/// allocates nothing.
struct JobQueue {
    private var storage: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private var capacity: Int
    private var head = 0
    private(set) var count = 0

    init(capacity: Int = 256) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    var isEmpty: Bool { count == 0 }

    mutating func push(_ job: UnsafeMutableRawPointer) {
        if count == capacity { grow() }
        storage[(head + count) & (capacity - 1)] = job
        count += 1
    }

    mutating func pop() -> UnsafeMutableRawPointer? {
        guard count > 0 else { return nil }
        let job = storage[head]
        head = (head + 1) & (capacity - 1)
        count -= 1
        return job
    }

    private mutating func grow() {
        let newCapacity = capacity * 2
        let newStorage = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: newCapacity)
        for i in 0..<count { newStorage[i] = storage[(head + i) & (capacity - 1)] }
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
        head = 0
    }
}
