/// Asynchronous block I/O: many requests in flight from many tasks, the ordering
/// contract of docs/DEVICES.md §7 (program order per block, any completion
/// order otherwise, flush), rejected requests, cancellation, and the point of it
/// all: timers and the network keep running while a large transfer is in flight.
///
/// Counts of requests in flight are sampled by a task added to a group after
/// the requesting tasks: the executor runs a group's new tasks in the order
/// they were added, in one batch, and takes completions only between batches,
/// so the sample sees exactly what the requesting tasks submitted.
import Runtime

/// Heap bytes that can be lent to a block request across an `await` (an array cannot lend its storage
/// beyond a closure).
final class BlockBuffer {
    let bytes: UnsafeMutableRawBufferPointer

    init(count: Int) {
        bytes = .allocate(byteCount: max(count, 1), alignment: 4096)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
    }

    convenience init(_ contents: [UInt8]) {
        self.init(count: contents.count)
        contents.withUnsafeBytes { bytes.copyMemory(from: $0) }
    }

    deinit { bytes.deallocate() }

    var count: Int { bytes.count }
    var array: [UInt8] { Array(UnsafeRawBufferPointer(bytes)) }
    var readOnly: UnsafeRawBufferPointer { UnsafeRawBufferPointer(bytes) }
}

/// Writes `contents` at `offset` with the async form; a failure message or nil.
func asyncWrite(_ disk: BlockDevice, at offset: UInt64, _ contents: [UInt8]) async -> String? {
    let buffer = BlockBuffer(contents)
    do throws(ABIError) {
        try await disk.write(at: offset, from: buffer.readOnly)
    } catch {
        return "write of \(contents.count) bytes at \(offset) failed: \(error)"
    }
    return nil
}

/// Reads `count` bytes at `offset` with the async form.
func asyncRead(_ disk: BlockDevice, at offset: UInt64, count: Int) async throws(TestFailure) -> [UInt8] {
    let buffer = BlockBuffer(count: count)
    do throws(ABIError) {
        try await disk.read(at: offset, into: buffer.bytes)
    } catch {
        throw TestFailure("read of \(count) bytes at \(offset) failed: \(error)")
    }
    return buffer.array
}

/// What a sampling task saw: requests in flight and waiting.
final class QueueSample {
    var inFlight = -1
    var waiting = -1

    func take(_ disk: BlockDevice) {
        inFlight = disk.requestsInFlight
        waiting = disk.requestsWaiting
    }
}

/// Runs `bodies` as tasks of one group, in order, then a sampling task; returns the first failure message.
func runConcurrently(
    _ bodies: [() async -> String?], sampling disk: BlockDevice, into sample: QueueSample
) async -> String? {
    await withTaskGroup(of: String?.self) { group in
        for body in bodies { group.addTask { await body() } }
        group.addTask {
            sample.take(disk)
            return nil
        }
        var failure: String? = nil
        for await result in group where failure == nil { failure = result }
        return failure
    }
}

/// Shared by the tasks of the transfer test.
final class TransferState {
    var transferring = true
    var bytes: UInt64 = 0
    var ticks = 0
    var ticksDuringIO = 0
    var echoes = 0
    var echoesDuringIO = 0
    /// Workers inside a block call (submitted, not yet returned): the app's view of "in flight".
    var callsOutstanding = 0
    var failure: String? = nil

    /// Records the first failure and stops every task of the test.
    func fail(_ message: String) {
        if failure == nil { failure = message }
        transferring = false
    }
}

func registerBlockAsyncTests(_ suite: inout TestSuite) {
    suite.test("block.async-queue-depth") { () throws(TestFailure) in
        for name in ["storage", "other"] {
            let disk = try Devices.block(name)
            try expect(disk.queueDepth >= 32, "\(name): queue depth \(disk.queueDepth) is below 32")
            try expectEqual(disk.requestsInFlight, 0, "\(name): requests in flight when idle")
            try expectEqual(disk.requestsWaiting, 0, "\(name): requests waiting when idle")
        }
    }

    suite.test("block.async-twice-the-queue-depth-from-a-task-group") { () async throws(TestFailure) in
        let disk = try Devices.block("storage")
        let count = 2 * disk.queueDepth
        let chunk = Int(disk.capacity) / count / disk.blockSize * disk.blockSize
        try expect(chunk >= disk.blockSize, "disk too small for \(count) requests")
        let finished = FinishOrder()
        var writers: [() async -> String?] = []
        for index in 0..<count {
            writers.append {
                let failure = await asyncWrite(disk, at: UInt64(index * chunk), pattern(chunk, seed: index + 1))
                finished.order.append(index)
                return failure
            }
        }
        let sample = QueueSample()
        if let failure = await runConcurrently(writers, sampling: disk, into: sample) { throw TestFailure(failure) }
        try expectEqual(sample.inFlight, disk.queueDepth, "requests in flight with \(count) submitted")
        try expectEqual(sample.waiting, count - disk.queueDepth, "requests waiting with \(count) submitted")
        // Completion order is not assumed, only that each request completed exactly once.
        try expect(finished.order.sorted() == Array(0..<count), "\(finished.order.count) requests completed, not each of \(count) once")
        try expectEqual(disk.requestsInFlight + disk.requestsWaiting, 0, "requests left over")

        let results = ReadResults(count: count)
        var readers: [() async -> String?] = []
        for index in 0..<count {
            readers.append {
                do throws(TestFailure) {
                    results.data[index] = try await asyncRead(disk, at: UInt64(index * chunk), count: chunk)
                } catch {
                    return error.message
                }
                return nil
            }
        }
        if let failure = await runConcurrently(readers, sampling: disk, into: sample) { throw TestFailure(failure) }
        try expectEqual(sample.inFlight, disk.queueDepth, "reads in flight with \(count) submitted")
        for index in 0..<count {
            try expect(results.data[index] == pattern(chunk, seed: index + 1), "request \(index) read back wrong data")
        }
    }

    suite.test("block.async-overlapping-write-after-write-lands-in-program-order") { () async throws(TestFailure) in
        let disk = try Devices.block("storage")
        let base: UInt64 = 512 * 1024
        let first = pattern(256 * 1024, seed: 3)
        let second = pattern(4096, seed: 4)
        let elsewhere = pattern(8192, seed: 5)
        let sample = QueueSample()
        // A large write, a small one over its middle, and one elsewhere: the second waits for the first;
        // the third does not wait for either.
        let failure = await runConcurrently(
            [
                { await asyncWrite(disk, at: base, first) },
                { await asyncWrite(disk, at: base + 128 * 1024, second) },
                { await asyncWrite(disk, at: 16 * 1024, elsewhere) },
            ], sampling: disk, into: sample)
        if let failure { throw TestFailure(failure) }
        try expectEqual(sample.inFlight, 2, "requests in flight (the large write and the one elsewhere)")
        try expectEqual(sample.waiting, 1, "requests waiting (the overlapping write)")
        var want = first
        want.replaceSubrange((128 * 1024)..<(132 * 1024), with: second)
        try expect(try await asyncRead(disk, at: base, count: first.count) == want, "the later write did not win")
        try expect(try await asyncRead(disk, at: 16 * 1024, count: 8192) == elsewhere, "the third write is wrong")
    }

    suite.test("block.async-read-then-overlapping-write-reads-the-old-data") { () async throws(TestFailure) in
        let disk = try Devices.block("storage")
        let base: UInt64 = 768 * 1024
        let old = pattern(64 * 1024, seed: 6)
        let new = pattern(4096, seed: 7)
        if let failure = await asyncWrite(disk, at: base, old) { throw TestFailure(failure) }
        let read = BlockBuffer(count: old.count)
        let again = BlockBuffer(count: old.count)
        let sample = QueueSample()
        let failure = await runConcurrently(
            [
                {
                    do throws(ABIError) { try await disk.read(at: base, into: read.bytes) } catch {
                        return "first read failed: \(error)"
                    }
                    return nil
                },
                {
                    do throws(ABIError) { try await disk.read(at: base, into: again.bytes) } catch {
                        return "second read failed: \(error)"
                    }
                    return nil
                },
                { await asyncWrite(disk, at: base + 32 * 1024, new) },
            ], sampling: disk, into: sample)
        if let failure { throw TestFailure(failure) }
        try expectEqual(sample.inFlight, 2, "requests in flight (two overlapping reads)")
        try expectEqual(sample.waiting, 1, "requests waiting (the write over them)")
        try expect(read.array == old && again.array == old, "a read saw a write made after it")
        var want = old
        want.replaceSubrange((32 * 1024)..<(36 * 1024), with: new)
        try expect(try await asyncRead(disk, at: base, count: old.count) == want, "the write did not land")
    }

    suite.test("block.async-flush-after-concurrent-writes") { () async throws(TestFailure) in
        let disk = try Devices.block("other")
        let count = disk.queueDepth
        let chunk = 4096
        var writers: [() async -> String?] = []
        for index in 0..<count {
            writers.append { await asyncWrite(disk, at: UInt64(index * 2 * chunk), pattern(chunk, seed: 50 + index)) }
        }
        let sample = QueueSample()
        if let failure = await runConcurrently(writers, sampling: disk, into: sample) { throw TestFailure(failure) }
        try expectEqual(sample.inFlight, count, "writes in flight")
        do throws(ABIError) { try await disk.flush() } catch { throw TestFailure("flush failed: \(error)") }
        // A flush in flight beside writes waits for none of them and completes too.
        var mixed: [() async -> String?] = [
            {
                do throws(ABIError) { try await disk.flush() } catch { return "flush beside writes failed: \(error)" }
                return nil
            }
        ]
        for index in 0..<4 {
            mixed.append { await asyncWrite(disk, at: UInt64((index * 2 + 1) * chunk), pattern(chunk, seed: 90 + index)) }
        }
        if let failure = await runConcurrently(mixed, sampling: disk, into: sample) { throw TestFailure(failure) }
        try expectEqual(sample.inFlight, 5, "a flush and four writes in flight")
        for index in 0..<count {
            let got = try await asyncRead(disk, at: UInt64(index * 2 * chunk), count: chunk)
            try expect(got == pattern(chunk, seed: 50 + index), "write \(index) did not survive the flush")
        }
    }

    suite.test("block.async-bad-requests-are-invalid") { () async throws(TestFailure) in
        let disk = try Devices.block("storage")
        let guardBytes = pattern(4096, seed: 11)
        if let failure = await asyncWrite(disk, at: 0, guardBytes) { throw TestFailure(failure) }
        let last = disk.capacity - 4096
        let cases: [(String, UInt64, Int)] = [
            ("misaligned offset", 100, 512), ("misaligned length", 0, 700), ("zero length", 0, 0),
            ("past capacity", last, 8192), ("offset at capacity", disk.capacity, 512),
            ("offset beyond capacity", disk.capacity + 512, 512), ("overflowing range", UInt64.max - 511, 1024),
        ]
        for (what, offset, count) in cases {
            let buffer = BlockBuffer(count: count)
            // Exactly `count` bytes; an empty one still has a base address, so only its length makes it invalid.
            let view = UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[0..<count])
            var writeFailure: ABIError? = nil
            var readFailure: ABIError? = nil
            do throws(ABIError) { try await disk.write(at: offset, from: UnsafeRawBufferPointer(view)) } catch {
                writeFailure = error
            }
            do throws(ABIError) { try await disk.read(at: offset, into: view) } catch { readFailure = error }
            try expect(writeFailure == .invalid, "\(what) write (offset \(offset), length \(count)) was not .invalid")
            try expect(readFailure == .invalid, "\(what) read (offset \(offset), length \(count)) was not .invalid")
            try expectEqual(disk.requestsInFlight + disk.requestsWaiting, 0, "\(what): a request was queued")
        }
        let other = try Devices.block("other")
        let small = BlockBuffer(count: 4096)
        var failure: ABIError? = nil
        do throws(ABIError) { try await other.write(at: 512, from: small.readOnly) } catch { failure = error }
        try expect(failure == .invalid, "a 512-byte offset on a 4096-byte disk was not .invalid")
        try expect(try await asyncRead(disk, at: 0, count: 4096) == guardBytes, "a rejected request wrote")
    }

    suite.test("block.async-cancelled-task-still-completes-its-request") { () async throws(TestFailure) in
        let disk = try Devices.block("other")
        let data = pattern(64 * 1024, seed: 12)
        let outcome = await withTaskGroup(of: String?.self) { group in
            group.addTask { await asyncWrite(disk, at: 512 * 1024, data) }
            group.cancelAll()  // before the task has even started: the write still happens and succeeds
            return await group.next() ?? "no result"
        }
        if let outcome { throw TestFailure("cancelled write: \(outcome)") }
        try expect(try await asyncRead(disk, at: 512 * 1024, count: data.count) == data, "the cancelled write is missing")
    }

    suite.test("block.sync-call-beside-async-requests") { () async throws(TestFailure) in
        // A synchronous call polls the devices itself: the completions of other tasks' requests it takes on
        // the way still resume their owners.
        let disk = try Devices.block("storage")
        let expected = try readBlocks(disk, at: 0, count: 4096)
        var writers: [() async -> String?] = []
        for index in 0..<8 {
            writers.append { await asyncWrite(disk, at: UInt64(64 * 1024 + index * 4096), pattern(4096, seed: 70 + index)) }
        }
        writers.append {
            do throws(TestFailure) {
                let got = try readBlocks(disk, at: 0, count: 4096)
                return got == expected ? nil : "the synchronous read returned wrong data"
            } catch {
                return error.message
            }
        }
        let sample = QueueSample()
        if let failure = await runConcurrently(writers, sampling: disk, into: sample) { throw TestFailure(failure) }
        for index in 0..<8 {
            let got = try await asyncRead(disk, at: UInt64(64 * 1024 + index * 4096), count: 4096)
            try expect(got == pattern(4096, seed: 70 + index), "async write \(index) beside a synchronous read is wrong")
        }
    }

    suite.test("block.async-transfer-keeps-timers-and-network-running") { () async throws(TestFailure) in
        // Workers stream writes and reads over the 1 MiB disk (each its own stripe) until at least 256 MiB
        // went through and a 2 ms ticker and an echo client each saw 20 events while some worker was inside
        // a block call (its request in flight). A platform or Runtime that stopped everything during a
        // request would never let them, and the transfer would run into its cap (4 GiB or 60 s) and fail.
        let disk = try Devices.block("storage")
        let nic = try Devices.net("service")
        let state = TransferState()
        let workers = 8
        let request = 64 * 1024
        let stripe = Int(disk.capacity) / workers
        let minimumBytes: UInt64 = 256 * 1024 * 1024
        let capBytes: UInt64 = 4096 * 1024 * 1024
        let start = Instant.now
        func enough() -> Bool {
            state.bytes >= minimumBytes && state.ticksDuringIO >= 20 && state.echoesDuringIO >= 20
        }
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    let buffer = BlockBuffer(pattern(request, seed: worker))
                    let check = BlockBuffer(count: request)
                    var round: UInt64 = 0
                    while state.transferring && state.failure == nil {
                        let offset = UInt64(worker * stripe + Int(round % UInt64(stripe / request)) * request)
                        buffer.bytes.storeBytes(of: round, as: UInt64.self)  // each round's data differs
                        state.callsOutstanding += 1
                        defer { state.callsOutstanding -= 1 }
                        do throws(ABIError) {
                            try await disk.write(at: offset, from: buffer.readOnly)
                            try await disk.read(at: offset, into: check.bytes)
                        } catch {
                            state.fail("worker \(worker): request at \(offset) failed: \(error)")
                            break
                        }
                        if check.bytes.load(as: UInt64.self) != round
                            || check.bytes.load(fromByteOffset: request - 8, as: UInt64.self)
                                != buffer.bytes.load(fromByteOffset: request - 8, as: UInt64.self)
                        {
                            state.fail("worker \(worker): round \(round) read back other data")
                            break
                        }
                        round += 1
                        state.bytes += UInt64(2 * request)
                        if enough() || state.bytes >= capBytes || start.elapsed > .seconds(60) {
                            state.transferring = false
                        }
                    }
                }
            }
            group.addTask {
                while state.transferring {
                    try? await sleep(for: .milliseconds(2))
                    state.ticks += 1
                    if state.callsOutstanding > 0 { state.ticksDuringIO += 1 }
                }
            }
            group.addTask {
                var sequence: UInt32 = 0
                while state.transferring && state.failure == nil {
                    let frame = makeFrame(from: nic, sequence: sequence, payload: 200)
                    do throws(TestFailure) {
                        try await sendFrame(nic, frame)
                        let echo = try await receiveFrame(nic, timeout: .seconds(5))
                        guard echo == expectedEcho(frame) else {
                            state.fail("echo \(sequence) came back wrong")
                            break
                        }
                    } catch {
                        state.fail("echo \(sequence): \(error.message)")
                        break
                    }
                    state.echoes += 1
                    if state.callsOutstanding > 0 { state.echoesDuringIO += 1 }
                    sequence &+= 1
                }
            }
        }
        if let failure = state.failure { throw TestFailure(failure) }
        try expect(
            enough(),
            "after \(state.bytes >> 20) MiB in \(start.elapsed.milliseconds) ms: \(state.ticksDuringIO) of \(state.ticks) "
                + "ticks and \(state.echoesDuringIO) of \(state.echoes) echoes while a worker was inside a block call (want 20 each)")
    }
}

/// The order in which a group's requests finished.
final class FinishOrder {
    var order: [Int] = []
}

/// Per-task read results of a group.
final class ReadResults {
    var data: [[UInt8]]

    init(count: Int) { data = Array(repeating: [], count: count) }
}
