/// Device ABI checks that hold before any device is configured: unknown names are `.invalid`.
import Runtime

func registerDeviceTests(_ suite: inout TestSuite) {
    suite.test("abi.unknown-net-device-is-invalid") { () throws(TestFailure) in
        var failure: ABIError? = nil
        do throws(ABIError) {
            _ = try NetDevice.acquire("no-such-nic")
        } catch {
            failure = error
        }
        try expect(failure == .invalid, "acquiring an undeclared device did not fail with .invalid")
    }
    suite.test("abi.unknown-block-device-is-invalid") { () throws(TestFailure) in
        var failure: ABIError? = nil
        do throws(ABIError) {
            _ = try BlockDevice.acquire("no-such-disk")
        } catch {
            failure = error
        }
        try expect(failure == .invalid, "acquiring an undeclared device did not fail with .invalid")
    }
    suite.test("abi.block-range-checks") { () throws(TestFailure) in
        func valid(_ offset: UInt64, _ length: Int) -> Bool {
            BlockDevice.isValidRange(offset: offset, length: length, blockSize: 4096, capacity: 8 * 4096)
        }
        try expect(valid(0, 4096), "first block rejected")
        try expect(valid(4096, 7 * 4096), "last seven blocks rejected")
        try expect(!valid(512, 4096), "misaligned offset accepted")
        try expect(!valid(0, 1000), "misaligned length accepted")
        try expect(!valid(4096, 8 * 4096), "range past capacity accepted")
        try expect(!valid(0, 0), "empty request accepted")
        try expect(!valid(UInt64.max - 4095, 8192), "overflowing range accepted")
    }
    suite.test("abi.net-write-offload-checks") { () throws(TestFailure) in
        let tso: NetOffloads = [.transmitChecksum, .transmitSegmentation]
        func valid(_ length: Int, _ metadata: NetFrameMetadata, _ offloads: NetOffloads) -> Bool {
            NetDevice.isValidWrite(length: length, metadata: metadata, mtu: 1500, offloads: offloads)
        }
        let partial = NetFrameMetadata(checksumPartial: true, checksumStart: 34, checksumOffset: 16)
        var segmented = partial
        segmented.segmentSize = 1448
        try expect(valid(1514, .none, []) && !valid(1515, .none, []) && !valid(0, .none, []), "plain frame sizes")
        try expect(!valid(60, partial, []), "checksum-partial without the offload accepted")
        try expect(valid(60, partial, [.transmitChecksum]), "checksum-partial with the offload rejected")
        try expect(!valid(51, partial, [.transmitChecksum]), "checksum field past the frame's end accepted")
        var early = partial
        early.checksumStart = 10
        try expect(!valid(60, early, [.transmitChecksum]), "checksum region inside the Ethernet header accepted")
        try expect(!valid(1515, partial, [.transmitChecksum]), "an oversize frame without TSO accepted")
        try expect(valid(65549, segmented, tso), "a 64 KiB TSO frame rejected")
        try expect(!valid(65550, segmented, tso), "a TSO frame over 64 KiB accepted")
        try expect(!valid(9000, segmented, [.transmitChecksum]), "TSO without the offload accepted")
        var unchecked = segmented
        unchecked.checksumPartial = false
        unchecked.checksumStart = 0
        unchecked.checksumOffset = 0
        try expect(!valid(9000, unchecked, tso), "TSO without checksum-partial accepted (virtio 1.2 §5.1.6.2)")
        try expect(!valid(60, NetFrameMetadata(checksumValid: true), NetOffloads.all), "a frame sent 'valid' accepted")
        try expect(NetOffloads([.transmitSegmentation, .receiveSegmentation]).normalized.isEmpty,
            "segmentation without the checksum offload it implies survives normalizing")
    }
}
