/// Broken devices (docs/DEVICES.md §8): a device that hands back something that cannot be (prod: a used-ring id
/// that is no buffer in flight, a length larger than the buffer, a received frame's num_buffers larger than the
/// ring (MRG_RXBUF, §5.1.6.4); dev: a block file that ends early) must stop the
/// OS with one line naming the device and exit status 251, never corrupt memory quietly.
///
/// The image defines the test-only hook `swiftlet_test_device_fault` (swiftlet_platform.h): each test arms one
/// fault for one site, and the platform asks the hook whenever that site's device hands something back. In prod
/// the platform then corrupts the used element it just read as a broken device would have written it; in dev a
/// block fault takes the short-read path and a net fault is reported as injected (dev backends have no rings).
/// Each is a fault test: the host runs it alone and checks the status and that the last line is a `swiftlet:`
/// report naming the device (the kind, `device error: net device 'service'`, is compared across modes).
import Runtime

/// SWIFTLET_TEST_SITE_* and SWIFTLET_TEST_FAULT_* of swiftlet_platform.h.
enum FaultSite {
    static let netReceive: UInt32 = 1
    static let netTransmit: UInt32 = 2
    static let block: UInt32 = 3
    static let badID: Int32 = 1
    static let badLength: Int32 = 2
    static let badNumBuffers: Int32 = 3
}

/// The fault to hand out at the next ask from its site (one-shot).
nonisolated(unsafe) var armedFault: (site: UInt32, fault: Int32)? = nil

@_cdecl("swiftlet_test_device_fault")
public func swiftletTestDeviceFault(_ site: UInt32) -> Int32 {
    guard let armed = armedFault, armed.site == site else { return 0 }
    armedFault = nil
    return armed.fault
}

func registerFaultTests(_ suite: inout TestSuite) {
    for (name, fault) in [("block.broken-device-used-id", FaultSite.badID),
                          ("block.broken-device-used-length", FaultSite.badLength)] {
        suite.faultTest(name, expecting: ExitStatus.deviceError) {
            do throws(TestFailure) {
                let disk = try Devices.block("storage")
                armedFault = (FaultSite.block, fault)
                _ = try await asyncRead(disk, at: 0, count: 4096)
                print("FAIL \(name): the read completed although the device was broken")
            } catch {
                print("FAIL \(name): \(error.message)")
            }
        }
    }
    for (name, site, fault) in [("net.broken-device-receive-used-id", FaultSite.netReceive, FaultSite.badID),
                                ("net.broken-device-receive-used-length", FaultSite.netReceive, FaultSite.badLength),
                                ("net.broken-device-receive-num-buffers", FaultSite.netReceive, FaultSite.badNumBuffers),
                                ("net.broken-device-transmit-used-id", FaultSite.netTransmit, FaultSite.badID)] {
        suite.faultTest(name, expecting: ExitStatus.deviceError) {
            do throws(TestFailure) {
                let device = try Devices.net("service")
                armedFault = (site, fault)
                // Transmit faults show when the device's used ring is read back, before a later write.
                for sequence in 0..<8 {
                    try await sendFrame(device, makeFrame(from: device, sequence: UInt32(sequence), payload: 100))
                    _ = try await receiveFrame(device)
                }
                print("FAIL \(name): eight echoes went through although the device was broken")
            } catch {
                print("FAIL \(name): \(error.message)")
            }
        }
    }
}
