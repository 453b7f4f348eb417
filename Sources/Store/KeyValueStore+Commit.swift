/// Group commit and the commit protocol: requests queue; one task at a time (the leader) takes every
/// queued request into one transaction, writes it and flushes once, then acknowledges them all.
import _Concurrency

/// One queued write request and, once done, its outcome.
final class WriteRequest {
    let batch: StoreBatch
    var outcome: Outcome?
    /// Resumed with `true` when this request's task is to lead the next group, `false` when it is done.
    var continuation: UnsafeContinuation<Bool, Never>?

    enum Outcome {
        case success(transaction: UInt64, existed: Bool)
        case failure(StoreError)
    }

    init(_ batch: StoreBatch) { self.batch = batch }
}

extension KeyValueStore {
    /// Queues `batch`, waits until a transaction holding it is durable (leading one when no one else does).
    func perform(_ batch: StoreBatch) async throws(StoreError) -> (transaction: UInt64, existed: Bool) {
        if closed { throw .closed }
        if failed { throw .io }
        for operation in batch.operations {
            try checkKey(operation.key)
            if case .set(_, let value, _) = operation, value.count > StoreLimits.maximumValueLength {
                throw .valueTooLarge
            }
        }
        let request = WriteRequest(batch)
        queue.append(request)
        if leading {
            let lead = await withUnsafeContinuation { request.continuation = $0 }
            if !lead { return try result(of: request) }
        }
        leading = true
        // Let writers that are ready to run queue up first: with a device whose calls never suspend (the
        // synchronous ABI), nothing else could join the group while it commits. The yield happens off the
        // actor, so tasks waiting on the global queue get to run (and to enter the actor) before we return.
        await yieldOffActor()
        while request.outcome == nil {
            let count = min(queue.count, options.maximumGroupSize)
            let group = Array(queue[0..<count])
            queue.removeFirst(count)
            await runGroup(group)
            for member in group where member !== request {
                member.continuation?.resume(returning: false)
            }
        }
        if let next = queue.first {
            next.continuation?.resume(returning: true)
        } else {
            leading = false
        }
        return try result(of: request)
    }

    /// Most adjacent dirty pages written in one device request.
    static var coalescePages: Int { 32 }

    /// Gives every task already runnable its turn, away from the actor (`@concurrent`: on the global
    /// executor whatever the default isolation of nonisolated async functions).
    @concurrent nonisolated func yieldOffActor() async {
        await Task.yield()
    }

    private func result(of request: WriteRequest) throws(StoreError) -> (transaction: UInt64, existed: Bool) {
        switch request.outcome {
        case .success(let transaction, let existed)?: return (transaction, existed)
        case .failure(let error)?: throw error
        case nil: throw .io
        }
    }

    /// Runs `group` as one transaction. When it fails for a reason other than the device (no space, a
    /// damaged page on some request's path), each request is retried alone so one cannot fail the others.
    func runGroup(_ group: [WriteRequest]) async {
        if failed {
            for request in group { request.outcome = .failure(.io) }
            return
        }
        if closed {
            for request in group { request.outcome = .failure(.closed) }
            return
        }
        beginTransaction()
        var applied: [(WriteRequest, Bool)] = []
        do throws(StoreError) {
            for request in group {
                if try await conditionsHold(request.batch) {
                    removing = request.batch.operations.allSatisfy {
                        if case .remove = $0 { return true } else { return false }
                    }
                    defer { removing = false }
                    let existed = try await apply(request.batch)
                    applied.append((request, existed))
                } else {
                    request.outcome = .failure(.conflict)
                }
            }
        } catch {
            abortTransaction()
            if group.count > 1 && error != .io {
                for request in group {
                    request.outcome = nil
                    await runGroup([request])
                }
            } else {
                for request in group { request.outcome = .failure(error) }
            }
            return
        }
        if applied.isEmpty || (dirty.isEmpty && freed.isEmpty) {
            abortTransaction()
            for (request, existed) in applied {
                request.outcome = .success(transaction: committed.transaction, existed: existed)
            }
            return
        }
        do throws(StoreError) {
            try await writeTransaction()
        } catch {
            failed = true
            abortTransaction()
            for (request, _) in applied { request.outcome = .failure(error) }
            return
        }
        stats.requests += UInt64(applied.count)
        for (request, existed) in applied {
            request.outcome = .success(transaction: committed.transaction, existed: existed)
        }
    }

    func beginTransaction() {
        txn = committed
        txn.transaction = committed.transaction + 1
        freed.removeAll(keepingCapacity: true)
    }

    /// Forgets the transaction: its pages go back to the free map (nothing on disk reaches them).
    func abortTransaction() {
        for (first, run) in dirty {
            for page in first..<(first + UInt64(run.pages)) { space.release(page) }
            releaseBuffer(run)
        }
        dirty.removeAll(keepingCapacity: true)
        freed.removeAll(keepingCapacity: true)
        txn = committed
        refreshSpaceStatistics()
    }

    func releaseBuffer(_ run: DirtyRun) {
        if run.pages == 1 { pool.give(run.buffer) } else { run.buffer.deallocate() }
    }

    /// Whether every condition of `batch` holds against the transaction so far (the store before the batch).
    func conditionsHold(_ batch: StoreBatch) async throws(StoreError) -> Bool {
        for operation in batch.operations {
            guard let condition = operation.condition else { continue }
            let current = try await find(operation.key, in: txn, writer: true, wantValue: false)?.version ?? 0
            if current != condition { return false }
        }
        return true
    }

    /// Applies `batch` to the transaction; returns whether the key of its last operation was there before it
    /// (a removal removed a key; a set replaced a value rather than creating the key).
    func apply(_ batch: StoreBatch) async throws(StoreError) -> Bool {
        var existed = false
        for operation in batch.operations {
            switch operation {
            case .set(let key, let value, _):
                existed = try await put(key, value)
            case .remove(let key, _):
                existed = try await delete(key)
            }
        }
        return existed
    }

    /// Writes the transaction: its pages and the meta page into slot `id % 2` (recording the commit digest of
    /// the pages), then one flush. Then it is the committed state, and the pages it freed wait in
    /// ``pendingFree``. No flush between pages and meta page: `open` takes a meta page only when its
    /// transaction's pages match its digest, so a meta page that reached the disk before its pages is set
    /// aside (docs/STORE.md §3).
    func writeTransaction() async throws(StoreError) {
        let id = txn.transaction
        let numbers = dirty.keys.sorted()
        let staging = pool.take()
        defer { pool.give(staging) }
        var digest: UInt64 = 0
        for first in numbers {
            guard let run = dirty[first] else { continue }
            if run.pages == 1 { Page(base: run.buffer, size: pageSize).seal() }
            for index in 0..<run.pages {
                let checksum = Page(base: run.buffer + index * pageSize, size: pageSize).u32(Layout.checksum)
                digest &+= CommitDigest.term(page: first + UInt64(index), checksum: checksum)
            }
        }
        // Adjacent single pages go out as one request of up to `coalescePages` pages (through `batch`).
        var index = 0
        while index < numbers.count {
            let first = numbers[index]
            guard let run = dirty[first] else { break }
            var end = index + 1
            if run.pages == 1 {
                while end < numbers.count, end - index < Self.coalescePages,
                    numbers[end] == first + UInt64(end - index), let next = dirty[numbers[end]], next.pages == 1
                {
                    end += 1
                }
            }
            if end - index > 1 {
                let batch = UnsafeMutableRawPointer.allocate(byteCount: (end - index) * pageSize, alignment: 64)
                defer { batch.deallocate() }
                for k in index..<end {
                    guard let part = dirty[numbers[k]] else { continue }
                    (batch + (k - index) * pageSize).copyMemory(from: part.buffer, byteCount: pageSize)
                }
                try await writeRaw(first, from: batch, pages: end - index)
            } else {
                try await writeRaw(first, from: run.buffer, pages: run.pages)
            }
            index = end
        }
        txn.digest = digest
        txn.write(into: Page(base: staging, size: pageSize), slot: id % 2)
        try await writeRaw(id % 2, from: staging, pages: 1)
        try await flushDevice()
        // Committed: the written tree pages stay warm in the cache.
        for (number, run) in dirty {
            if run.pages == 1 { cache.insert(number, from: run.buffer) }
            releaseBuffer(run)
        }
        dirty.removeAll(keepingCapacity: true)
        committed = txn
        if !freed.isEmpty {
            pendingFree.append((id, freed))
            freed = []
        }
        stats.commits += 1
        releaseFreed()
        refreshSpaceStatistics()
    }

    func writeRaw(_ number: UInt64, from buffer: UnsafeMutableRawPointer, pages: Int) async throws(StoreError) {
        stats.deviceWrites += 1
        do throws(StoreDeviceError) {
            try await device.write(
                block: deviceBlock(number), from: UnsafeRawBufferPointer(start: buffer, count: pages * pageSize))
        } catch {
            throw .io
        }
    }

    func flushDevice() async throws(StoreError) {
        stats.flushes += 1
        do throws(StoreDeviceError) { try await device.flush() } catch { throw .io }
    }
}
