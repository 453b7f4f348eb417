import XCTest
@testable import SwiftletKit

final class AcceleratorTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "/swiftlet-accel-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/module", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func host(flags: String, pvmModule: Bool, kvmNode: Bool) throws -> HostVirtualization {
        let cpuinfo = "processor\t: 0\nflags\t\t: fpu vme \(flags) sse2\n\nprocessor\t: 1\nflags\t\t: fpu \(flags)\n"
        try cpuinfo.write(toFile: directory + "/cpuinfo", atomically: true, encoding: .utf8)
        if pvmModule { try FileManager.default.createDirectory(atPath: directory + "/module/kvm_pvm", withIntermediateDirectories: true) }
        // A regular file stands in for /dev/kvm: it opens read-write like a usable device node.
        if kvmNode { _ = FileManager.default.createFile(atPath: directory + "/kvm", contents: Data()) }
        return HostVirtualization.probe(devKVM: directory + "/kvm", sysModule: directory + "/module",
                                        cpuinfo: directory + "/cpuinfo")
    }

    func testRealHardwareVirtualisationPicksKVM() throws {
        let probed = try host(flags: "vmx", pvmModule: false, kvmNode: true)
        XCTAssertEqual(probed, HostVirtualization(kvmUsable: true, kvmIsPVM: false))
        XCTAssertEqual(try Accelerator.resolve(.auto, host: probed), .kvm)
        XCTAssertEqual(try Accelerator.resolve(.kvm, host: probed), .kvm)
        XCTAssertEqual(try Accelerator.resolve(.tcg, host: probed), .tcg)
    }

    func testAMDSVMCountsAsHardware() throws {
        XCTAssertEqual(try Accelerator.resolve(.auto, host: host(flags: "svm", pvmModule: false, kvmNode: true)), .kvm)
    }

    func testPVMModuleMeansTCG() throws {
        let probed = try host(flags: "vmx", pvmModule: true, kvmNode: true)
        XCTAssertTrue(probed.kvmIsPVM)
        XCTAssertEqual(try Accelerator.resolve(.auto, host: probed), .tcg)
        XCTAssertThrowsError(try Accelerator.resolve(.kvm, host: probed)) { error in
            XCTAssertTrue("\(error)".contains("kvm-pvm"))
            XCTAssertTrue("\(error)".contains("--accel tcg"))
        }
    }

    func testNoVMXFlagMeansTCG() throws {
        let probed = try host(flags: "sse4_2 avx", pvmModule: false, kvmNode: true)
        XCTAssertTrue(probed.kvmIsPVM)
        XCTAssertEqual(try Accelerator.resolve(.auto, host: probed), .tcg)
    }

    func testMissingDeviceMeansTCG() throws {
        let probed = try host(flags: "vmx", pvmModule: false, kvmNode: false)
        XCTAssertFalse(probed.kvmUsable)
        XCTAssertEqual(try Accelerator.resolve(.auto, host: probed), .tcg)
        XCTAssertThrowsError(try Accelerator.resolve(.kvm, host: probed))
    }

    func testFlagMustBeAWholeWord() {
        XCTAssertFalse(HostVirtualization.cpuinfoHasHardwareVirtualization("flags : vmxfoo svmbar\n"))
        XCTAssertTrue(HostVirtualization.cpuinfoHasHardwareVirtualization("flags\t: a vmx b\n"))
    }
}
