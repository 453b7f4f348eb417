/// Runtime's side of asynchronous block I/O: per device, every request from
/// the call until its completion is taken (docs/DEVICES.md §7).
///
/// ``BlockDevice`` is a value (a handle and a geometry), so what a device has
/// in flight lives here, in ``BlockQueues``, keyed by handle. Each call makes
/// one ``BlockRequest`` and appends it to its device's queue in call order.
/// The queue submits a request to the platform when
///
/// - fewer than `queueDepth` requests are in flight (else it waits: a full
///   queue never drops or traps), and
/// - no earlier request still in the queue overlaps it with a write on either
///   side (read after write, write after read or write). The platform leaves
///   such a pair undefined (virtio 1.2 §5.2.6 orders nothing), so the later
///   one waits until the earlier one completes, and the app sees program
///   order per block. Reads may overlap reads; a flush waits for nothing.
///
/// The task that made a request parks on its own continuation. Completions
/// are taken by whoever learns the device is ready: the executor, when the
/// ABI poll's ready set has the device's bit (``Executor``'s poll calls
/// ``BlockQueues/reap(_:)``), or a synchronous caller's own poll loop. Taking
/// them resumes their owners and submits whatever can go next. A request is
/// not cancellable: its buffer is lent to the device, so its task waits for
/// the completion even when cancelled (mirage-block's rule too).

import SwiftletABI
import _Concurrency

/// One request, from the call until its completion is taken.
final class BlockRequest {
    enum Operation {
        case read
        case write
        case flush

        var abi: UInt32 {
            switch self {
            case .read: return UInt32(SWIFTLET_BLOCK_OP_READ.rawValue)
            case .write: return UInt32(SWIFTLET_BLOCK_OP_WRITE.rawValue)
            case .flush: return UInt32(SWIFTLET_BLOCK_OP_FLUSH.rawValue)
            }
        }
    }

    enum State {
        /// In Runtime's queue: the device is full, or an earlier request overlaps it.
        case waiting
        /// Submitted to the platform; its completion has not been taken.
        case inFlight
        /// Completed; ``result`` holds the outcome.
        case done
    }

    let operation: Operation
    /// Bytes; 0 for a flush.
    let offset: UInt64
    let length: Int
    let buffer: UnsafeMutableRawPointer?
    let tag: UInt64
    var state = State.waiting
    /// Nil on success.
    var result: ABIError? = nil
    /// The parked owner, resumed once the request is done (nil for a synchronous caller).
    var continuation: UnsafeContinuation<Void, Never>? = nil

    init(_ operation: Operation, offset: UInt64, length: Int, buffer: UnsafeMutableRawPointer?, tag: UInt64) {
        self.operation = operation
        self.offset = offset
        self.length = length
        self.buffer = buffer
        self.tag = tag
    }

    /// Whether `self` must not be in flight together with `other`: overlapping ranges, one of them a write.
    func conflicts(with other: BlockRequest) -> Bool {
        guard operation != .flush, other.operation != .flush else { return false }
        guard operation == .write || other.operation == .write else { return false }
        return offset < other.offset + UInt64(other.length) && other.offset < offset + UInt64(length)
    }
}

/// The requests of one block device that have not completed, in call order.
final class BlockQueue {
    let handle: Int
    /// Requests the platform accepts in flight at once.
    let depth: Int
    /// Not yet completed, in call order: waiting ones and in-flight ones.
    private var requests: [BlockRequest] = []
    /// The in-flight ones by tag.
    private var inFlightByTag: [UInt64: BlockRequest] = [:]
    private var nextTag: UInt64 = 1

    init(handle: Int, depth: Int) {
        self.handle = handle
        self.depth = depth
    }

    /// Requests submitted to the platform whose completion has not been taken.
    var inFlight: Int { inFlightByTag.count }
    /// Requests in Runtime's queue, not yet submitted.
    var waiting: Int { requests.count - inFlightByTag.count }

    /// A new request, appended in call order and submitted at once when nothing stands in its way.
    func enqueue(
        _ operation: BlockRequest.Operation, offset: UInt64, length: Int, buffer: UnsafeMutableRawPointer?
    ) -> BlockRequest {
        let request = BlockRequest(operation, offset: offset, length: length, buffer: buffer, tag: nextTag)
        nextTag &+= 1
        requests.append(request)
        BlockQueues.outstanding += 1
        dispatch()
        return request
    }

    /// Submits waiting requests in call order while the device has room, skipping those an earlier one blocks.
    func dispatch() {
        var index = 0
        while index < requests.count && inFlightByTag.count < depth {
            let request = requests[index]
            guard request.state == .waiting, !isBlocked(index) else {
                index += 1
                continue
            }
            var abi = swiftlet_block_request(
                op: request.operation.abi, tag: request.tag, offset: request.offset,
                buffer: request.buffer?.assumingMemoryBound(to: UInt8.self), size: request.length)
            let result = swiftlet_platform_block_submit(swiftlet_handle_t(handle), &abi)
            switch ABIError(result) {
            case nil:
                request.state = .inFlight
                inFlightByTag[request.tag] = request
                index += 1
            case .again?:
                // The platform is full before the depth it reported: wait for a completion. With nothing in
                // flight no completion can come, so that would be a platform bug; fail rather than hang.
                guard inFlightByTag.isEmpty else { return }
                finish(request, .unspecified)
            case let error?:
                finish(request, error)  // removed from `requests`: the same index is the next one
            }
        }
    }

    /// Whether an earlier request still in the queue conflicts with the one at `index`.
    private func isBlocked(_ index: Int) -> Bool {
        let request = requests[index]
        for earlier in requests[0..<index] where request.conflicts(with: earlier) { return true }
        return false
    }

    /// Takes every completion the platform holds for this device, resumes the owners, then submits more.
    func reap() {
        var tag: UInt64 = 0
        var status = SWIFTLET_R_OK
        var taken = false
        while swiftlet_platform_block_complete(swiftlet_handle_t(handle), &tag, &status) == SWIFTLET_R_OK {
            taken = true
            guard let request = inFlightByTag.removeValue(forKey: tag) else {
                // Not ours: a platform bug. Say so; the requests we know of still complete on their own.
                print("swiftlet: block device \(handle): completion for unknown tag \(tag) ignored")
                continue
            }
            // A platform reports OK or UNSPEC; anything else from the device side is a failure too.
            finish(request, status == SWIFTLET_R_OK ? nil : .unspecified)
        }
        if taken { dispatch() }
    }

    /// Marks `request` done with `result`, drops it from the queue and resumes its owner.
    private func finish(_ request: BlockRequest, _ result: ABIError?) {
        request.state = .done
        request.result = result
        BlockQueues.outstanding -= 1
        if let index = requests.firstIndex(where: { $0 === request }) { requests.remove(at: index) }
        if let continuation = request.continuation {
            request.continuation = nil
            continuation.resume()
        }
    }

    /// Runs `request` to completion, parked on its own continuation; not cancellable (see the type's doc).
    func wait(for request: BlockRequest) async {
        guard request.state != .done else { return }
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            request.continuation = continuation
        }
    }

    /// Runs `request` to completion without the executor: polls the ABI (which sleeps until a device is ready
    /// or 10 ms pass) and takes completions, handing every ready handle to the executor's waiters as it goes.
    func waitSynchronously(for request: BlockRequest) {
        while request.state != .done {
            let ready = ABI.poll(until: Instant.now + .milliseconds(10))
            Executor.shared.deviceReady(ready)
            reap()
        }
    }
}

/// Every acquired block device's queue, by handle (0...63).
enum BlockQueues {
    nonisolated(unsafe) static var byHandle: [Int: BlockQueue] = [:]
    /// Bit h for each block device handle h.
    nonisolated(unsafe) static var handles: UInt64 = 0
    /// Requests of every device not yet completed: while there are any, a completion can wake the executor.
    nonisolated(unsafe) static var outstanding = 0

    static func add(_ queue: BlockQueue) {
        if Executor.shared.reapBlocks == nil { Executor.shared.reapBlocks = { reap($0) } }
        byHandle[queue.handle] = queue
        handles |= 1 << UInt64(queue.handle)
    }

    /// Takes the completions of every block device in `readySet`.
    static func reap(_ readySet: UInt64) {
        var set = readySet & handles
        while set != 0 {
            let handle = set.trailingZeroBitCount
            set &= set - 1
            byHandle[handle]?.reap()
        }
    }
}
