import XCTest
@testable import SwiftletKit

final class ExitStatusTests: XCTestCase {
    /// What the guest writes to port 0x402 for `status`.
    func report(_ status: UInt8, after prefix: String = "") -> [UInt8] {
        Array(prefix.utf8) + Array("\nswiftlet-exit:".utf8) + [status]
    }

    func testStatusByteWins() {
        XCTAssertEqual(ImageRunner.decode(exitBytes: report(42), qemu: .exited(85), qemuStderr: ""), .status(42))
        XCTAssertEqual(ImageRunner.decode(exitBytes: report(0), qemu: .exited(1), qemuStderr: ""), .status(0))
        XCTAssertEqual(ImageRunner.decode(exitBytes: report(255), qemu: .exited(255), qemuStderr: ""), .status(255))
        XCTAssertEqual(ImageRunner.decode(exitBytes: report(200), qemu: .signaled(9), qemuStderr: ""), .status(200))
    }

    func testStatusFollowsFirmwareLog() {
        let log = "SeaBIOS (version 1.16.2-debian)\nBooting from ROM..\n"
        XCTAssertEqual(ImageRunner.decode(exitBytes: report(7, after: log), qemu: .exited(15), qemuStderr: ""),
                       .status(7))
    }

    func testFirmwareLogAloneIsNoStatus() {
        // A guest that hung after SeaBIOS logged: the last byte is SeaBIOS's newline, not a status.
        let log = Array("SeaBIOS (version 1.16.2-debian)\nBooting from ROM..\n".utf8)
        XCTAssertEqual(ImageRunner.decode(exitBytes: log, qemu: .signaled(9), qemuStderr: ""),
                       .noStatus(qemu: .signaled(9)))
    }

    func testNoByteMeansNoStatus() {
        XCTAssertEqual(ImageRunner.decode(exitBytes: [], qemu: .exited(0), qemuStderr: ""), .noStatus(qemu: .exited(0)))
        XCTAssertEqual(ImageRunner.decode(exitBytes: [], qemu: .signaled(9), qemuStderr: ""),
                       .noStatus(qemu: .signaled(9)))
    }

    func testQEMUStartupErrorIsRecognised() {
        let stderr = "qemu-system-x86_64: -M nope: unsupported machine type\n"
        XCTAssertEqual(ImageRunner.decode(exitBytes: [], qemu: .exited(1), qemuStderr: stderr), .qemuFailed(qemu: .exited(1)))
    }

    func testWaitStatusDecoding() {
        XCTAssertEqual(Subprocess.decode(42 << 8), .exited(42))
        XCTAssertEqual(Subprocess.decode(9), .signaled(9))
        XCTAssertEqual(Termination.signaled(11).shellStatus, 139)
        XCTAssertEqual(Termination.exited(3).shellStatus, 3)
    }

    func testQEMUCommandCarriesTheExitProtocol() {
        let command = ImageRunner.qemuCommand(image: "/i.elf", bootArguments: ["a=1", "b=2"], machine: .microvm,
                                              accelerator: .tcg, exitFile: "/tmp/x")
        let text = command.joined(separator: " ")
        XCTAssertEqual(command.first, "qemu-system-x86_64")
        XCTAssertTrue(text.contains("-M microvm -accel tcg -cpu max"))
        XCTAssertTrue(text.contains("-kernel /i.elf"))
        XCTAssertEqual(command[command.firstIndex(of: "-append")! + 1], "a=1 b=2")
        XCTAssertTrue(text.contains("-chardev file,id=swiftlet-exit,path=/tmp/x"))
        XCTAssertTrue(text.contains("isa-debugcon,iobase=0x402,chardev=swiftlet-exit"))
        XCTAssertTrue(text.contains("isa-debug-exit,iobase=0xf4,iosize=0x04"))
        XCTAssertEqual(Accelerator.kvm.cpuModel, "host")
    }
}
