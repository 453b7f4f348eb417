/// Net device tests: ABI error rules, geometry, and frames through the host's echo peers.
import Runtime

/// A test frame: broadcast-free unicast from `device` to a made-up peer MAC, EtherType 0x88B5
/// (IEEE local experimental), with `payload` bytes derived from `sequence`.
func makeFrame(from device: NetDevice, sequence: UInt32, payload: Int) -> [UInt8] {
    let m = device.macAddress
    var frame: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01, m.0, m.1, m.2, m.3, m.4, m.5, 0x88, 0xB5]
    frame.reserveCapacity(14 + payload)
    for index in 0..<payload {
        frame.append(UInt8(truncatingIfNeeded: (sequence &* 31) &+ UInt32(index) &* 7))
    }
    if payload >= 4 {
        frame[14] = UInt8(truncatingIfNeeded: sequence >> 24)
        frame[15] = UInt8(truncatingIfNeeded: sequence >> 16)
        frame[16] = UInt8(truncatingIfNeeded: sequence >> 8)
        frame[17] = UInt8(truncatingIfNeeded: sequence)
    }
    return frame
}

/// The echo of `frame`: the same bytes with the two MACs swapped.
func expectedEcho(_ frame: [UInt8]) -> [UInt8] {
    var echo = frame
    for index in 0..<6 { echo.swapAt(index, index + 6) }
    return echo
}

/// Receives one frame (waiting at most `timeout`), or fails.
func receiveFrame(_ device: NetDevice, timeout: Duration = .seconds(5)) async throws(TestFailure) -> [UInt8] {
    let result: [UInt8]?
    do throws(TimeoutError) {
        result = try await withTimeout(timeout) { () async -> [UInt8]? in
            do throws(ABIError) { return try await device.receive() } catch { return nil }
        }
    } catch {
        throw TestFailure("no frame within \(timeout.milliseconds) ms")
    }
    guard let frame = result else { throw TestFailure("receive failed") }
    return frame
}

func sendFrame(_ device: NetDevice, _ frame: [UInt8]) async throws(TestFailure) {
    do throws(ABIError) {
        try await device.send(frame)
    } catch {
        throw TestFailure("send of \(frame.count) bytes failed: \(error)")
    }
}

func registerNetTests(_ suite: inout TestSuite) {
    suite.test("net.geometry-mac-and-mtu") { () throws(TestFailure) in
        let device = try Devices.net("service")
        let hash = fnv1a32("service")
        let want = "02:53:57:" + [hash >> 24, hash >> 16 & 0xff, hash >> 8 & 0xff].map { byte -> String in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined(separator: ":")
        try expectEqual(device.macAddressDescription, want, "default MAC of 'service'")
        try expectEqual(device.mtu, 1500, "MTU")
        try expectEqual(device.maximumFrameLength, 1514, "largest frame")
    }
    suite.test("net.stream-backend-offers-no-offloads") { () throws(TestFailure) in
        // The echo peers are stream sockets: no virtio_net_hdr crosses them, so neither QEMU's virtio-net
        // (prod) nor the posix tender (dev) may report an offload, and offload writes must be refused.
        let device = try Devices.net("service")
        try expectEqual(device.offloads.rawValue, 0, "offloads on a stream backend")
        try expectEqual(device.maximumReceiveFrameLength, 1514, "read buffer size without RX_TSO4")
        let frame = makeFrame(from: device, sequence: 7, payload: 100)
        let partial = NetFrameMetadata(checksumPartial: true, checksumStart: 14, checksumOffset: 6)
        var failure: ABIError? = nil
        frame.withUnsafeBytes { bytes in
            do throws(ABIError) { try device.write(bytes, metadata: partial) } catch { failure = error }
        }
        try expect(failure == .invalid, "a checksum-partial write without TX_CSUM was not .invalid")
    }
    suite.test("net.second-acquire-is-invalid") { () throws(TestFailure) in
        _ = try Devices.net("service")
        var failure: ABIError? = nil
        do throws(ABIError) { _ = try NetDevice.acquire("service") } catch { failure = error }
        try expect(failure == .invalid, "a second acquire of 'service' did not fail with .invalid")
    }
    suite.test("net.block-name-is-not-a-net-device") { () throws(TestFailure) in
        var failure: ABIError? = nil
        do throws(ABIError) { _ = try NetDevice.acquire("storage") } catch { failure = error }
        try expect(failure == .invalid, "acquiring block device 'storage' as net did not fail with .invalid")
    }
    suite.test("net.oversize-and-empty-writes-are-invalid") { () throws(TestFailure) in
        let device = try Devices.net("service")
        let big = [UInt8](repeating: 0xAB, count: device.maximumFrameLength + 1)
        var failure: ABIError? = nil
        big.withUnsafeBytes { bytes in
            do throws(ABIError) { try device.write(bytes) } catch { failure = error }
        }
        try expect(failure == .invalid, "a \(big.count)-byte write was not .invalid")
        failure = nil
        let empty: [UInt8] = []
        empty.withUnsafeBytes { bytes in
            do throws(ABIError) { try device.write(bytes) } catch { failure = error }
        }
        try expect(failure == .invalid, "an empty write was not .invalid")
    }
    suite.test("net.short-read-buffer-is-invalid") { () throws(TestFailure) in
        let device = try Devices.net("service")
        var buffer = [UInt8](repeating: 0, count: device.maximumFrameLength - 1)
        var failure: ABIError? = nil
        buffer.withUnsafeMutableBytes { bytes in
            do throws(ABIError) { _ = try device.read(into: bytes) } catch { failure = error }
        }
        try expect(failure == .invalid, "a read into \(buffer.count) bytes was not .invalid")
    }
    suite.test("net.read-with-nothing-pending-is-again") { () throws(TestFailure) in
        let device = try Devices.net("service")
        var buffer = [UInt8](repeating: 0, count: device.maximumFrameLength)
        var failure: ABIError? = nil
        buffer.withUnsafeMutableBytes { bytes in
            do throws(ABIError) { _ = try device.read(into: bytes) } catch { failure = error }
        }
        try expect(failure == .again, "a read with nothing sent was not .again")
    }
    suite.test("net.echo-returns-exact-bytes") { () async throws(TestFailure) in
        let device = try Devices.net("service")
        for size in [0, 1, 46, 100, 512, 1000, 1486, 1500] {
            let frame = makeFrame(from: device, sequence: UInt32(size), payload: size)
            try await sendFrame(device, frame)
            let echo = try await receiveFrame(device)
            try expect(echo == expectedEcho(frame), "\(frame.count)-byte frame came back as \(echo.count) different bytes")
        }
    }
    suite.test("net.ten-thousand-frames-none-lost") { () async throws(TestFailure) in
        let device = try Devices.net("service")
        let total = 10_000
        let window = 16  // pacing: at most this many frames in flight
        var sent = 0
        var received = 0
        while received < total {
            while sent < total && sent - received < window {
                try await sendFrame(device, makeFrame(from: device, sequence: UInt32(sent), payload: 64 + sent % 1000))
                sent += 1
            }
            let echo = try await receiveFrame(device)
            let want = expectedEcho(makeFrame(from: device, sequence: UInt32(received), payload: 64 + received % 1000))
            try expect(echo == want, "frame \(received) came back wrong or out of order")
            received += 1
        }
        try expectEqual(received, total, "frames echoed")
    }
    suite.test("net.two-nics-at-once") { () async throws(TestFailure) in
        let first = try Devices.net("service")
        let second = try Devices.net("second")
        try expect(first.handle != second.handle, "both NICs have handle \(first.handle)")
        try expect(first.macAddressDescription != second.macAddressDescription, "both NICs have the same MAC")
        for round in 0..<50 {
            let a = makeFrame(from: first, sequence: UInt32(round), payload: 200)
            let b = makeFrame(from: second, sequence: UInt32(1000 + round), payload: 300)
            try await sendFrame(first, a)
            try await sendFrame(second, b)
            let echoB = try await receiveFrame(second)
            let echoA = try await receiveFrame(first)
            try expect(echoA == expectedEcho(a), "round \(round): service's echo is wrong")
            try expect(echoB == expectedEcho(b), "round \(round): second's echo is wrong")
        }
    }
}
