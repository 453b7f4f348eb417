/// disk-tool: writes, reads back and checksums a pattern over the block
/// device `storage`; prints its capacity and block size.
///
/// Boot arguments:
/// - `mode=write|verify|both|bench` (default `both`): `write` fills the disk with
///   the pattern for `seed` and flushes; `verify` reads it back and checks it — so
///   a `write` run followed by a `verify` run proves data survives a restart;
///   `bench` times plain sequential writes (then a flush) and reads of one
///   buffer per request in flight, with no pattern or checksum work, and prints MB/s;
/// - `seed=N` (default 1) picks the pattern;
/// - `request=N` bytes per request (default 65536; rounded to whole blocks);
/// - `limit=N` bytes of the disk to cover (default: all of it);
/// - `inflight=N` (bench only; default 1): N tasks each keep one request in flight
///   (task k takes requests k, k+N, ...), up to the device's queue depth.
/// Prints the FNV-1a-64 checksum of the data; exits 0 on success, 1 on a mismatch.
import Runtime

@main
struct DiskTool: Application {
    static func run(_ arguments: BootArguments) async -> Int32 {
        let disk: BlockDevice
        do throws(ABIError) {
            disk = try BlockDevice.acquire("storage")
        } catch {
            print("disk-tool: cannot acquire block device 'storage' (\(error)); run with --block storage=FILE")
            return 1
        }
        print("disk-tool: capacity \(disk.capacity) bytes, block size \(disk.blockSize) bytes")
        let mode = arguments["mode"] ?? "both"
        guard ["write", "verify", "both", "bench"].contains(mode) else {
            print("disk-tool: mode '\(mode)' is not write, verify, both or bench")
            return 2
        }
        let seed = UInt64(arguments.integer("seed") ?? 1)
        let block = disk.blockSize
        let request = max(block, (arguments.integer("request") ?? 65_536) / block * block)
        let limit = min(disk.capacity, UInt64(arguments.integer("limit") ?? Int.max))
        let span = limit / UInt64(block) * UInt64(block)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: request, alignment: 4096)
        defer { buffer.deallocate() }

        if mode == "bench" {
            let inflight = min(max(1, arguments.integer("inflight") ?? 1), disk.queueDepth)
            return await benchmark(disk, request: request, span: span, inflight: inflight)
        }
        if mode != "verify" {
            var checksum = Checksum()
            let start = Instant.now
            var offset: UInt64 = 0
            while offset < span {
                let length = Int(min(UInt64(request), span - offset))
                let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                fillPattern(chunk, offset: offset, seed: seed)
                checksum.add(UnsafeRawBufferPointer(chunk))
                do throws(ABIError) {
                    try await disk.write(at: offset, from: UnsafeRawBufferPointer(chunk))
                } catch {
                    print("disk-tool: write at \(offset) failed: \(error)")
                    return 1
                }
                offset += UInt64(length)
            }
            do throws(ABIError) { try await disk.flush() } catch {
                print("disk-tool: flush failed: \(error)")
                return 1
            }
            print("disk-tool: wrote \(span) bytes, flushed, checksum \(checksum.hex) [\(rate(span, start))]")
        }
        if mode != "write" {
            var checksum = Checksum()
            let expected = UnsafeMutableRawBufferPointer.allocate(byteCount: request, alignment: 16)
            defer { expected.deallocate() }
            let start = Instant.now
            var offset: UInt64 = 0
            while offset < span {
                let length = Int(min(UInt64(request), span - offset))
                let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                do throws(ABIError) {
                    try await disk.read(at: offset, into: chunk)
                } catch {
                    print("disk-tool: read at \(offset) failed: \(error)")
                    return 1
                }
                let want = UnsafeMutableRawBufferPointer(rebasing: expected[0..<length])
                fillPattern(want, offset: offset, seed: seed)
                if !chunk.elementsEqual(want) {
                    print("disk-tool: MISMATCH in the request at offset \(offset)")
                    return 1
                }
                checksum.add(UnsafeRawBufferPointer(chunk))
                offset += UInt64(length)
            }
            print("disk-tool: verified \(span) bytes, checksum \(checksum.hex) [\(rate(span, start))]")
        }
        return 0
    }

    /// Sequential write + flush, then sequential read, of `span` bytes in `request`-byte requests, with
    /// `inflight` tasks each keeping one request in flight (no pattern or checksum work).
    static func benchmark(_ disk: BlockDevice, request: Int, span: UInt64, inflight: Int) async -> Int32 {
        let count = Int(span / UInt64(request))
        let writeStart = Instant.now
        if let failure = await run(disk, request: request, count: count, inflight: inflight, writing: true) {
            print("disk-tool: \(failure)")
            return 1
        }
        do throws(ABIError) { try await disk.flush() } catch {
            print("disk-tool: flush failed: \(error)")
            return 1
        }
        let written = UInt64(count * request)
        let writeRate = rate(written, writeStart)
        let readStart = Instant.now
        if let failure = await run(disk, request: request, count: count, inflight: inflight, writing: false) {
            print("disk-tool: \(failure)")
            return 1
        }
        let suffix = inflight > 1 ? ", \(inflight) in flight" : ""
        print("disk-tool: bench request \(request) bytes: write \(written) bytes [\(writeRate)], read \(written) bytes [\(rate(written, readStart))]\(suffix)")
        return 0
    }

    /// Requests 0..<count of `request` bytes, task k of `inflight` doing k, k + inflight, ...; the first failure.
    static func run(_ disk: BlockDevice, request: Int, count: Int, inflight: Int, writing: Bool) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            for task in 0..<inflight {
                group.addTask {
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: request, alignment: 4096)
                    defer { buffer.deallocate() }
                    fillPattern(buffer, offset: 0, seed: 7)
                    var index = task
                    while index < count {
                        let offset = UInt64(index * request)
                        do throws(ABIError) {
                            if writing {
                                try await disk.write(at: offset, from: UnsafeRawBufferPointer(buffer))
                            } else {
                                try await disk.read(at: offset, into: buffer)
                            }
                        } catch {
                            return "\(writing ? "write" : "read") at \(offset) failed: \(error)"
                        }
                        index += inflight
                    }
                    return nil
                }
            }
            var failure: String? = nil
            for await result in group where failure == nil { failure = result }
            return failure
        }
    }

    /// Fills `chunk` (which sits at byte `offset` of the disk) with the pattern for `seed`:
    /// each 8-byte word is a mix of its absolute word index and the seed, so a misplaced block shows.
    static func fillPattern(_ chunk: UnsafeMutableRawBufferPointer, offset: UInt64, seed: UInt64) {
        let words = chunk.count / 8
        for index in 0..<words {
            var value = (offset / 8 + UInt64(index)) &* 0x9E37_79B9_7F4A_7C15 ^ seed
            value ^= value >> 29
            chunk.storeBytes(of: value, toByteOffset: index * 8, as: UInt64.self)
        }
    }

    static func rate(_ bytes: UInt64, _ start: Instant) -> String {
        let nanoseconds = max(1, start.elapsed.nanosecondsClamped)
        return "\(UInt64(bytes) * 1_000 / UInt64(nanoseconds)) MB/s"
    }
}

/// FNV-1a, 64-bit, over bytes.
struct Checksum {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
    }

    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for shift in stride(from: 60, through: 0, by: -4) { text.append(digits[Int((value >> UInt64(shift)) & 15)]) }
        return String(decoding: text, as: UTF8.self)
    }
}
