import XCTest
@testable import SwiftletKit

/// `--memory SIZE`: parsing, QEMU's `-m`, the tender's `--memory BYTES`.
final class MemoryOptionTests: XCTestCase {
    func testSizesParseWithBinaryMultiples() throws {
        XCTAssertEqual(try MemorySize(parsing: "8M").bytes, 8 << 20)
        XCTAssertEqual(try MemorySize(parsing: "128M").bytes, 128 << 20)
        XCTAssertEqual(try MemorySize(parsing: "1G").bytes, 1 << 30)
        XCTAssertEqual(try MemorySize(parsing: "8500K").bytes, 8500 << 10)
        XCTAssertEqual(try MemorySize(parsing: "4194304").bytes, 4 << 20)
    }

    func testBadSizesAreOneLineWithStatus2() {
        for text in ["", "abc", "8X", "-8M", "1M", "0", "2049K1", "4194305", "2T"] {
            XCTAssertThrowsError(try MemorySize(parsing: text), text) { error in
                guard let error = error as? SwiftletError else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(error.status, 2, text)
                XCTAssertTrue(error.description.hasPrefix("swiftlet: error: --memory '\(text)': "), error.description)
                XCTAssertFalse(error.description.contains("\n"), error.description)
            }
        }
    }

    func testQEMUGetsTheSizeAsMinus_m() {
        XCTAssertEqual(MemorySize(bytes: 8 << 20).qemuArgument, "8M")
        XCTAssertEqual(MemorySize(bytes: 8500 << 10).qemuArgument, "8500K")
        let command = ImageRunner.qemuCommand(image: "/i.elf", bootArguments: [], machine: .microvm,
                                              accelerator: .tcg, exitFile: "/tmp/x", memory: MemorySize(bytes: 8 << 20))
        XCTAssertEqual(command[command.firstIndex(of: "-m")! + 1], "8M")
        let defaulted = ImageRunner.qemuCommand(image: "/i.elf", bootArguments: [], machine: .microvm,
                                                accelerator: .tcg, exitFile: "/tmp/x")
        XCTAssertEqual(defaulted[defaulted.firstIndex(of: "-m")! + 1], "128M")
    }

    func testTheTenderGetsTheSizeInBytesBeforeTheDevices() {
        XCTAssertEqual(ImageRunner.posixCommand(image: "/a.elf", bootArguments: ["x=1"], memory: MemorySize(bytes: 8 << 20)),
                       ["/a.elf", "--memory", "8388608", "--", "x=1"])
        XCTAssertEqual(ImageRunner.posixCommand(image: "/a.elf", bootArguments: []), ["/a.elf", "--"])
    }
}
