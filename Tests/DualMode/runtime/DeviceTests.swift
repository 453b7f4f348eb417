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
}
