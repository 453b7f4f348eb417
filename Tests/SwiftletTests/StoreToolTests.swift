import Foundation
import Store
import XCTest
@testable import SwiftletKit

/// `swiftlet store ...` through StoreTool: round trips, damage found by `check`, and each bad input as one line
/// with its own exit status.
final class StoreToolTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "store-tool-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The error `body` throws, which must be a one-line SwiftletError with `status`.
    func failure(_ status: Int32, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            try body()
            XCTFail("expected exit status \(status), got success", file: file, line: line)
        } catch let error as SwiftletError {
            XCTAssertEqual(error.status, status, error.description, file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix("swiftlet: error: "), file: file, line: line)
            return error.description
        } catch {
            XCTFail("not a SwiftletError: \(error)", file: file, line: line)
        }
        return ""
    }

    func testCreatePutGetListRemoveCheckRoundTrip() throws {
        let path = directory + "/s.img"
        let created = try StoreTool.create(path: path, size: "1M", blockSize: 4096)
        XCTAssertTrue(created.contains("256 blocks of 4096 bytes"), created)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, 1 << 20)
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        _ = try StoreTool.put(path: path, key: "b/big", value: big)
        _ = try StoreTool.put(path: path, key: "a/empty", value: [])
        _ = try StoreTool.put(path: path, key: "a/text", value: Array("hello".utf8))
        let version = try StoreTool.put(path: path, key: "c", value: [0, 255, 10])
        XCTAssertEqual(try StoreTool.get(path: path, key: "b/big"), big)
        XCTAssertEqual(try StoreTool.get(path: path, key: "a/empty"), [])
        XCTAssertEqual(try StoreTool.list(path: path, prefix: nil, limit: nil),
                       ["a/empty\t0\t3", "a/text\t5\t4", "b/big\t100000\t2", "c\t3\t\(version)"])
        XCTAssertEqual(try StoreTool.list(path: path, prefix: "a/", limit: nil).count, 2)
        XCTAssertEqual(try StoreTool.list(path: path, prefix: nil, limit: 3).count, 3)
        try StoreTool.remove(path: path, key: "a/text")
        XCTAssertEqual(try StoreTool.list(path: path, prefix: "a/", limit: nil), ["a/empty\t0\t3"])
        let report = try StoreTool.check(path: path)
        XCTAssertTrue(report.contains { $0.hasPrefix("transaction \(version + 1): 3 keys") }, report.joined(separator: "\n"))
        XCTAssertTrue(report.last?.hasPrefix("clean") ?? false)
    }

    func testListPagesThroughManyKeysInOrder() throws {
        let path = directory + "/many.img"
        _ = try StoreTool.create(path: path, size: "4M", blockSize: 512)
        let device = try FileStoreDevice(path: path, writable: true)
        XCTAssertEqual(device.blockSize, 4096, "a size that is a multiple of 4096 opens with 4096-byte blocks")
        var keys: [String] = []
        for index in 0..<600 { keys.append("k\(1000 + index * 7 % 600)") }
        let allKeys = keys
        try StoreTool.blocking { () async throws in
            let store = try await KeyValueStore.open(device)
            var batch = StoreBatch()
            for key in allKeys { batch.set(Array(key.utf8), [1]) }
            _ = try await store.commit(batch)
        }
        let listed = try StoreTool.list(path: path, prefix: "k", limit: nil).map { String($0.split(separator: "\t")[0]) }
        XCTAssertEqual(listed, Array(Set(keys)).sorted())
        XCTAssertEqual(try StoreTool.list(path: path, prefix: "k1", limit: 300).count, 300)
    }

    func testACorruptedFileFailsCheckNamingTheBlock() throws {
        let path = directory + "/bad.img"
        _ = try StoreTool.create(path: path, size: "256K", blockSize: 4096)
        for index in 0..<40 { _ = try StoreTool.put(path: path, key: "key\(index)", value: [UInt8](repeating: UInt8(index), count: 900)) }
        XCTAssertNoThrow(try StoreTool.check(path: path))
        let pristine = try Data(contentsOf: URL(fileURLWithPath: path))
        // Damage each block holding data in turn (one byte in its middle); check must fail on a block it
        // verifies and name exactly that block.
        var named = 0
        for block in 0..<(pristine.count / 4096) {
            let range = block * 4096..<(block + 1) * 4096
            guard pristine[range].contains(where: { $0 != 0 }) else { continue }
            var damaged = pristine
            damaged[block * 4096 + 2000] ^= 0x40
            try damaged.write(to: URL(fileURLWithPath: path))
            do {
                _ = try StoreTool.check(path: path)
            } catch let error as SwiftletError {
                XCTAssertEqual(error.status, StoreTool.Status.corrupt, error.description)
                XCTAssertTrue(error.description.contains("block \(block) is corrupt"), "block \(block): \(error.description)")
                named += 1
            }
        }
        XCTAssertGreaterThan(named, 1, "check found damage in at least the tree's pages")
        try pristine.write(to: URL(fileURLWithPath: path))
        XCTAssertNoThrow(try StoreTool.check(path: path))
    }

    func testBadInputIsOneLineWithItsOwnStatus() throws {
        let path = directory + "/s.img"
        _ = try StoreTool.create(path: path, size: "64K", blockSize: 4096)
        let long = String(repeating: "k", count: 256)
        XCTAssertTrue(failure(StoreTool.Status.invalidKey) { _ = try StoreTool.put(path: path, key: long, value: [1]) }
            .contains("longer than 255 bytes"))
        XCTAssertTrue(failure(StoreTool.Status.invalidKey) { _ = try StoreTool.get(path: path, key: "") }.contains("empty"))
        let huge = [UInt8](repeating: 7, count: StoreLimits.maximumValueLength + 1)
        XCTAssertTrue(failure(StoreTool.Status.valueTooLarge) { _ = try StoreTool.put(path: path, key: "k", value: huge) }
            .contains("value is longer than"))
        XCTAssertTrue(failure(StoreTool.Status.notFound) { _ = try StoreTool.get(path: path, key: "missing") }
            .contains("no key 'missing'"))
        _ = failure(StoreTool.Status.notFound) { try StoreTool.remove(path: path, key: "missing") }
        XCTAssertTrue(failure(StoreTool.Status.file) { _ = try StoreTool.create(path: path, size: "64K", blockSize: 4096) }
            .contains("remove it first"))
        _ = failure(StoreTool.Status.file) { _ = try StoreTool.get(path: self.directory + "/none.img", key: "k") }
        XCTAssertTrue(failure(StoreTool.Status.deviceTooSmall) {
            _ = try StoreTool.create(path: self.directory + "/tiny.img", size: "8K", blockSize: 4096)
        }.contains("too small"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/tiny.img"))
        _ = failure(StoreTool.Status.usage) { _ = try StoreTool.create(path: self.directory + "/x.img", size: "12X", blockSize: 4096) }
        _ = failure(StoreTool.Status.usage) { _ = try StoreTool.create(path: self.directory + "/x.img", size: "64K", blockSize: 1000) }
        _ = failure(StoreTool.Status.usage) { _ = try StoreTool.list(path: path, prefix: nil, limit: 0) }

        let blank = directory + "/blank.img"
        try Data(count: 65536).write(to: URL(fileURLWithPath: blank))
        XCTAssertTrue(failure(StoreTool.Status.notFormatted) { _ = try StoreTool.check(path: blank) }.contains("holds no store"))
        let odd = directory + "/odd.img"
        try Data(count: 1000).write(to: URL(fileURLWithPath: odd))
        _ = failure(StoreTool.Status.file) { _ = try StoreTool.check(path: odd) }
    }

    func testStoreErrorsMapToDistinctStatuses() {
        let errors: [StoreError] = [.invalidKey, .valueTooLarge, .notFormatted, .unsupportedVersion(9), .deviceTooSmall,
                                    .corrupt(block: 12), .full, .io]
        let statuses = errors.map { StoreTool.error($0, path: "f").status }
        XCTAssertEqual(Set(statuses).count, errors.count)
        XCTAssertTrue(StoreTool.error(.unsupportedVersion(9), path: "f").description.contains("format version 9"))
        XCTAssertTrue(StoreTool.error(.corrupt(block: 12), path: "f").description.contains("block 12 is corrupt"))
        for status in statuses { XCTAssertTrue(StoreTool.statusHelp.contains("\(status) "), "status \(status) documented") }
    }
}

/// The same commands through the `swiftlet` executable (argument parsing, stdin, raw stdout, exit statuses).
/// Builds the tool like `./swiftlet` does on first use (in .build-cli); SWIFTLET_SKIP_CLI=1 skips it.
final class StoreCommandLineTests: XCTestCase {
    func swiftlet(_ arguments: [String], input: String? = nil) throws -> (status: Int32, out: String, err: String) {
        var command = [testProject.root + "/swiftlet"] + arguments
        if let input {
            let quoted = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            command = ["sh", "-c", "printf '%s' '\(input)' | \(quoted)"]
        }
        var child = Subprocess(command)
        child.stdout = .capture
        child.stderr = .capture
        let result = try child.run()
        return (result.termination.shellStatus, result.stdoutText, result.stderrText)
    }

    func testStoreSubcommandsEndToEnd() throws {
        if ProcessInfo.processInfo.environment["SWIFTLET_SKIP_CLI"] == "1" { throw XCTSkip("SWIFTLET_SKIP_CLI=1") }
        let directory = NSTemporaryDirectory() + "store-cli-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/s.img"
        XCTAssertEqual(try swiftlet(["store", "create", file, "--size", "1M", "--block-size", "512"]).status, 0)
        XCTAssertEqual(try swiftlet(["store", "put", file, "greeting", "hello"]).status, 0)
        XCTAssertEqual(try swiftlet(["store", "put", file, "piped", "-"], input: "from stdin").status, 0)
        XCTAssertEqual(try swiftlet(["store", "get", file, "piped"]).out, "from stdin")
        XCTAssertEqual(try swiftlet(["store", "ls", file]).out, "greeting\t5\t2\npiped\t10\t3\n")
        XCTAssertEqual(try swiftlet(["store", "ls", file, "pi", "--limit", "1"]).out, "piped\t10\t3\n")
        XCTAssertEqual(try swiftlet(["store", "rm", file, "greeting"]).status, 0)
        let missing = try swiftlet(["store", "get", file, "greeting"])
        XCTAssertEqual(missing.status, StoreTool.Status.notFound)
        // The command's error line is a log line (LogLine): `[seconds] error swiftlet: <problem>; <remedy>`.
        XCTAssertTrue(missing.err.hasSuffix("] error swiftlet: no key 'greeting' in \(file); list the keys with swiftlet store ls \(file)\n"), missing.err)
        XCTAssertNotNil(missing.err.range(of: #"^\[[0-9]+\.[0-9]{6}\] error swiftlet: "#, options: .regularExpression), missing.err)
        let check = try swiftlet(["store", "check", file])
        XCTAssertEqual(check.status, 0, check.err)
        XCTAssertTrue(check.out.contains("1 keys"), check.out)
        let noSize = try swiftlet(["store", "create", directory + "/t.img"])
        XCTAssertEqual(noSize.status, 64)
        XCTAssertTrue(noSize.err.contains("] error swiftlet: missing expected argument '--size"), noSize.err)
        XCTAssertEqual(try swiftlet(["store", "put", file, String(repeating: "x", count: 300), "v"]).status,
                       StoreTool.Status.invalidKey)
        let help = try swiftlet(["store", "check", "--help"]).out
        XCTAssertTrue(help.contains("9 corrupt block"), help)
    }
}
