import Foundation
import XCTest
@testable import SwiftletKit

/// One memory model in both modes (Sources/Platform/Heap, Sources/Platform/Posix/Arena.swift): at the same
/// small `--memory`, the runtime suite's `heap.exhaustion` fills the heap with 64 KiB blocks and must end with
/// the same out-of-memory line and status 255 in dev and prod, and the heaps it reports must be within
/// ``margin`` of each other, dev's never the larger.
///
/// Builds and runs images (QEMU under TCG): skipped with a message when SWIFTLET_SKIP_DUAL_MODE=1.
final class HeapArenaTests: XCTestCase {
    /// How far apart the two heaps may be (Arena.swift measures 4 to 16 KiB for the samples).
    let margin = 64 << 10
    /// The size each block of `heap.exhaustion` asks for.
    let block = 65_536

    /// `(bytes in use, heap size)` from `swiftlet: abort: out of memory: an allocation of N bytes failed with
    /// U of the heap's H bytes in use; ...`, or nil for any other line.
    static func parse(_ line: String) -> (allocation: Int, inUse: Int, size: Int)? {
        let prefix = "swiftlet: abort: out of memory: an allocation of "
        guard line.hasPrefix(prefix) else { return nil }
        let numbers = line.dropFirst(prefix.count).split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count >= 3, line.contains(" bytes failed with "), line.contains(" of the heap's ") else {
            return nil
        }
        return (numbers[0], numbers[1], numbers[2])
    }

    func testTheLineParses() throws {
        let line = "swiftlet: abort: out of memory: an allocation of 65536 bytes failed with 6435184 of the heap's "
            + "6475776 bytes in use; give the guest more memory (swiftlet run --memory)"
        let parsed = try XCTUnwrap(Self.parse(line))
        XCTAssertEqual(parsed.allocation, 65536)
        XCTAssertEqual(parsed.inUse, 6_435_184)
        XCTAssertEqual(parsed.size, 6_475_776)
        XCTAssertNil(Self.parse("swiftlet: abort: something else"))
    }

    func testExhaustionAtEightMiBIsTheSameInBothModes() throws {
        if ProcessInfo.processInfo.environment["SWIFTLET_SKIP_DUAL_MODE"] == "1" {
            throw XCTSkip("SWIFTLET_SKIP_DUAL_MODE=1")
        }
        try XCTSkipIf(Subprocess.which("make") == nil, "building images needs make")
        try XCTSkipIf(Subprocess.which("qemu-system-x86_64") == nil, "prod runs need qemu-system-x86_64 (./swiftlet setup)")
        let quiet = Log(verbose: false, output: { _ in })
        let suite = App(directory: testProject.runtimeSuite, name: App.imageName(for: testProject.runtimeSuite, in: testProject))
        var seen: [Target: (line: String, inUse: Int, size: Int)] = [:]
        for target in Target.allCases {
            let image = try Builder(project: testProject, log: quiet, tests: true).build(suite, target: target, quiet: true)
            var request = RunRequest(image: image, target: target, bootArguments: ["swiftlet.test=heap.exhaustion"])
            request.capture = true
            request.timeout = 120
            request.memory = MemorySize(bytes: 8 << 20)
            let outcome = try ImageRunner(log: quiet).run(request)
            let last = Transcript.lines(of: outcome.console).last ?? ""
            XCTAssertEqual(outcome.status, 255, "\(target): \(last)")
            let parsed = try XCTUnwrap(Self.parse(last), "\(target): the last line is not the out-of-memory line: \(last)")
            XCTAssertEqual(parsed.allocation, block, "\(target): \(last)")
            // Full: what is left is less than a block and its header.
            XCTAssertGreaterThan(parsed.inUse, parsed.size - block - 16 - 4096, "\(target): \(last)")
            print("[\(target.rawValue)] --memory 8M: \(parsed.inUse) bytes in use of a heap of \(parsed.size) when a "
                  + "\(block)-byte allocation failed")
            seen[target] = (Transcript.normalise(last), parsed.inUse, parsed.size)
        }
        let dev = try XCTUnwrap(seen[.posix]), prod = try XCTUnwrap(seen[.virtio])
        XCTAssertEqual(dev.line, prod.line, "the normalised lines differ")
        XCTAssertLessThanOrEqual(dev.size, prod.size, "dev's heap is larger than prod's")
        XCTAssertLessThanOrEqual(prod.size - dev.size, margin, "the heaps differ by more than \(margin) bytes")
        // One block more or less can fit on either side of the difference.
        XCTAssertLessThanOrEqual(abs(prod.inUse - dev.inUse), margin + block + 16,
                                 "bytes allocated before exhaustion differ by more than the margin and a block")
        print("heap at --memory 8M: dev \(dev.size), prod \(prod.size) (prod - dev = \(prod.size - dev.size) bytes); "
              + "allocated before exhaustion: dev \(dev.inUse), prod \(prod.inUse)")
    }
}
