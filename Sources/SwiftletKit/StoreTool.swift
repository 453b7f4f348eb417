import Foundation
import Store

/// `swiftlet store ...`: create, list, read, write and check a key-value store held in a file, with the store
/// engine the unikernel runs (module `Store`). Every problem is a ``SwiftletError``: one line saying what is wrong
/// and what to do, and a distinct exit status (``Status``).
public enum StoreTool {
    /// The exit statuses of `swiftlet store` (listed in its help).
    public enum Status {
        /// `get` or `rm`: no such key.
        public static let notFound: Int32 = 1
        /// The file is missing, exists already (`create`), is not a regular file, or its size is not whole blocks.
        public static let file: Int32 = 3
        /// The key is empty or longer than 255 bytes.
        public static let invalidKey: Int32 = 4
        /// The value is longer than the store's maximum (4 MiB).
        public static let valueTooLarge: Int32 = 5
        /// The file holds no store.
        public static let notFormatted: Int32 = 6
        /// The store's on-disk format version is not one this tool reads.
        public static let unsupportedVersion: Int32 = 7
        /// The file is too small for a store (or smaller than the store it holds).
        public static let deviceTooSmall: Int32 = 8
        /// A checksum or structure check failed (`check` and any command reading the damaged block).
        public static let corrupt: Int32 = 9
        /// No space left in the store.
        public static let full: Int32 = 10
        /// The file could not be read, written or synced; or a compare-and-set conflict (not used by the tool).
        public static let io: Int32 = 11
        /// A malformed option value (size, block size, limit).
        public static let usage: Int32 = 64
    }

    /// The help text's table of exit statuses.
    public static let statusHelp = """
        Exit status: 0 ok; 1 no such key (get, rm); 3 file missing, already exists, or not whole blocks; \
        4 key empty or longer than 255 bytes; 5 value too large (over 4 MiB); 6 not a store (run store create); \
        7 unsupported store version; 8 file too small for a store; 9 corrupt block (named in the message); \
        10 store full; 11 I/O error; 64 bad option value.
        """

    /// Runs `body` to completion on a Swift concurrency thread and waits for it (the CLI itself is synchronous).
    static func blocking<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    /// Carries a result out of the task in ``blocking(_:)`` (written once, read after the semaphore).
    final class ResultBox<T>: @unchecked Sendable {
        var result: Result<T, Error>?
    }

    /// `error` (from the store on `path`) as the tool's one-line error.
    public static func error(_ error: StoreError, path: String) -> SwiftletError {
        switch error {
        case .invalidKey:
            return SwiftletError("the key is empty or longer than \(StoreLimits.maximumKeyLength) bytes",
                                 remedy: "give a key of 1 to \(StoreLimits.maximumKeyLength) bytes", status: Status.invalidKey)
        case .valueTooLarge:
            return SwiftletError("the value is longer than \(StoreLimits.maximumValueLength) bytes",
                                 remedy: "store values of at most 4 MiB (split larger ones over several keys)",
                                 status: Status.valueTooLarge)
        case .notFormatted:
            return SwiftletError("\(path) holds no store", remedy: "make one with swiftlet store create FILE --size 64M",
                                 status: Status.notFormatted)
        case .unsupportedVersion(let version):
            return SwiftletError("\(path) holds a store of format version \(version); this swiftlet reads version \(StoreLimits.formatVersion)",
                                 remedy: "use the swiftlet that wrote it", status: Status.unsupportedVersion)
        case .deviceTooSmall:
            return SwiftletError("\(path) is too small for a store (or smaller than the store it holds)",
                                 remedy: "give at least \(StoreLimits.minimumPages * UInt64(StoreLimits.pageSize) / 1024)K, e.g. --size 64M",
                                 status: Status.deviceTooSmall)
        case .corrupt(let block):
            return SwiftletError("\(path): block \(block) is corrupt (checksum or structure check failed)",
                                 remedy: "restore the file from a backup; keys outside that block may still be readable with get",
                                 status: Status.corrupt)
        case .full:
            return SwiftletError("\(path) is full", remedy: "remove keys, or copy them into a larger store", status: Status.full)
        case .conflict:
            return SwiftletError("\(path): the key changed meanwhile", remedy: "retry", status: Status.io)
        case .io, .closed:
            return SwiftletError("\(path): I/O error", remedy: "check the disk and the file's permissions", status: Status.io)
        }
    }

    static func withStore<T>(
        _ path: String, writable: Bool, blockSize: Int? = nil,
        _ body: @escaping @Sendable (KeyValueStore<FileStoreDevice>) async throws(StoreError) -> T
    ) throws -> T {
        let device = try FileStoreDevice(path: path, blockSize: blockSize, writable: writable)
        return try blocking { () async throws -> T in
            do {
                let store = try await KeyValueStore.open(device)
                return try await body(store)
            } catch let failure as StoreError {
                throw error(failure, path: path)
            }
        }
    }

    /// Bytes of a key given on the command line (UTF-8).
    static func key(_ text: String) throws -> [UInt8] {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= StoreLimits.maximumKeyLength else {
            throw error(.invalidKey, path: "")
        }
        return bytes
    }

    /// `store create`: makes `path` (`size` like `64M`) and formats a store in it. Returns the report line.
    public static func create(path: String, size: String, blockSize: Int) throws -> String {
        guard blockSize >= 512, blockSize & (blockSize - 1) == 0, blockSize <= 65536 else {
            throw SwiftletError("--block-size \(blockSize) is not a power of two from 512 to 65536",
                                remedy: "use 512 or 4096", status: Status.usage)
        }
        guard let bytes = DeviceOptions.parseSize(size), bytes > 0 else {
            throw SwiftletError("--size \(size) is not a size", remedy: "give bytes or K/M/G, e.g. --size 64M", status: Status.usage)
        }
        guard bytes % UInt64(blockSize) == 0 else {
            throw SwiftletError("--size \(size) is not a multiple of the \(blockSize)-byte block size",
                                remedy: "round it, e.g. --size 64M", status: Status.usage)
        }
        let minimum = StoreLimits.minimumPages * UInt64(max(StoreLimits.pageSize, blockSize))
        guard bytes >= minimum else {
            throw SwiftletError("--size \(size) is too small for a store", remedy: "give at least \(minimum / 1024)K, e.g. --size 64M",
                                status: Status.deviceTooSmall)
        }
        let device = try FileStoreDevice.create(path: path, size: bytes, blockSize: blockSize)
        do {
            return try blocking { () async throws -> String in
                do {
                    let store = try await KeyValueStore.format(device)
                    let statistics = await store.statistics
                    return "\(path): store created, \(bytes) bytes, \(device.blockCount) blocks of \(blockSize) bytes, " +
                        "\(statistics.pages) pages of \(statistics.pageSize) bytes"
                } catch let failure as StoreError {
                    throw error(failure, path: path)
                }
            }
        } catch {
            unlink(path)
            throw error
        }
    }

    /// `store ls`: `key<TAB>bytes<TAB>version` per entry, keys in order, at most `limit` (nil: all).
    public static func list(path: String, prefix: String?, limit: Int?) throws -> [String] {
        if let limit, limit < 1 {
            throw SwiftletError("--limit \(limit) is less than 1", remedy: "give a positive number", status: Status.usage)
        }
        let prefixBytes = Array((prefix ?? "").utf8)
        return try withStore(path, writable: false) { (store) async throws(StoreError) -> [String] in
            var lines: [String] = []
            var after: [UInt8]?
            let wanted = limit ?? Int.max
            while lines.count < wanted {
                let asked = min(256, wanted - lines.count)
                let page = try await store.list(prefix: prefixBytes, after: after, limit: asked)
                for entry in page {
                    lines.append("\(printable(entry.key))\t\(entry.value.count)\t\(entry.version)")
                }
                // A short page is the last one.
                guard page.count == asked, let last = page.last else { break }
                after = last.key
            }
            return lines
        }
    }

    /// A key for display: UTF-8 as is when printable, else `\xNN` escapes.
    static func printable(_ key: [UInt8]) -> String {
        if let text = String(validating: key, as: UTF8.self),
           !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) {
            return text
        }
        return key.map { byte in
            byte >= 0x20 && byte < 0x7F && byte != 0x5C ? String(UnicodeScalar(byte)) : String(format: "\\x%02x", byte)
        }.joined()
    }

    /// `store get`: the raw value.
    public static func get(path: String, key text: String) throws -> [UInt8] {
        let key = try key(text)
        let value = try withStore(path, writable: false) { (store) async throws(StoreError) -> [UInt8]? in
            try await store.get(key)
        }
        guard let value else {
            throw SwiftletError("no key '\(text)' in \(path)", remedy: "list the keys with swiftlet store ls \(path)",
                                status: Status.notFound)
        }
        return value
    }

    /// `store put`: sets `key` to `value` durably; returns its new version.
    public static func put(path: String, key text: String, value: [UInt8]) throws -> UInt64 {
        let key = try key(text)
        guard value.count <= StoreLimits.maximumValueLength else { throw error(.valueTooLarge, path: path) }
        return try withStore(path, writable: true) { (store) async throws(StoreError) -> UInt64 in
            try await store.set(key, value)
        }
    }

    /// `store rm`: removes `key` durably.
    public static func remove(path: String, key text: String) throws {
        let key = try key(text)
        let existed = try withStore(path, writable: true) { (store) async throws(StoreError) -> Bool in
            try await store.remove(key)
        }
        guard existed else {
            throw SwiftletError("no key '\(text)' in \(path)", remedy: "list the keys with swiftlet store ls \(path)",
                                status: Status.notFound)
        }
    }

    /// `store check`: verifies every checksum and the tree's invariants; returns the report's lines. A damaged
    /// store throws (``Status/corrupt``, naming the block).
    public static func check(path: String) throws -> [String] {
        try withStore(path, writable: false) { (store) async throws(StoreError) -> [String] in
            let report = try await store.check()
            let statistics = await store.statistics
            var lines = [
                "\(path): store format \(StoreLimits.formatVersion), \(statistics.pages) pages of \(statistics.pageSize) bytes",
                "transaction \(report.transaction): \(report.keys) keys, tree height \(report.height)",
                "pages: \(report.branchPages) branch, \(report.leafPages) leaf, \(report.overflowPages) overflow, " +
                    "\(statistics.pagesUsed) used, \(statistics.pagesFree) free, \(report.leakedPages) leaked",
                report.leakedPages == 0 ? "clean: every checksum and tree invariant verified"
                    : "clean but \(report.leakedPages) pages leaked (space only; no data is affected)",
            ]
            if statistics.rolledBack {
                lines.append("note: the newest commit (transaction \(report.transaction + 1)) did not match its commit " +
                    "digest (cut short by a crash, or damaged); the store stands on transaction \(report.transaction)")
            }
            return lines
        }
    }
}
