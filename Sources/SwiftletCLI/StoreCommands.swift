import ArgumentParser
import Foundation
import SwiftletKit

/// `swiftlet store ...`: a key-value store in a file, in the unikernel's on-disk format (SwiftletKit's StoreTool).
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Create, read, write and check a Swiftlet key-value store held in a file.",
        discussion: StoreTool.statusHelp,
        subcommands: [StoreCreate.self, StoreList.self, StoreGet.self, StorePut.self, StoreRemove.self, StoreCheck.self])
}

struct StoreCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Make a new file of --size bytes and format an empty store in it.",
        discussion: StoreTool.statusHelp)

    @Argument(help: "The file to create (must not exist).")
    var file: String

    @Option(name: .long, help: "Size in bytes, or with K, M, G (e.g. 64M).")
    var size: String

    @Option(name: .long, help: "Block size of the device the file stands for: 512 or 4096.")
    var blockSize: Int = 4096

    func run() throws {
        Log.standardOutput(try StoreTool.create(path: file, size: size, blockSize: blockSize))
    }
}

struct StoreList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List keys in order: KEY<TAB>VALUE-BYTES<TAB>VERSION per line.",
        discussion: StoreTool.statusHelp)

    @Argument(help: "The store's file.")
    var file: String

    @Argument(help: "Only keys starting with this prefix.")
    var prefix: String?

    @Option(name: .long, help: "At most this many keys.")
    var limit: Int?

    func run() throws {
        for line in try StoreTool.list(path: file, prefix: prefix, limit: limit) { Log.standardOutput(line) }
    }
}

struct StoreGet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Write a key's raw value to standard output.", discussion: StoreTool.statusHelp)

    @Argument(help: "The store's file.")
    var file: String

    @Argument(help: "The key (UTF-8, 1 to 255 bytes).")
    var key: String

    func run() throws {
        let value = try StoreTool.get(path: file, key: key)
        FileHandle.standardOutput.write(Data(value))
    }
}

struct StorePut: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Set a key to a value (durable when the command returns).",
        discussion: StoreTool.statusHelp)

    @Argument(help: "The store's file.")
    var file: String

    @Argument(help: "The key (UTF-8, 1 to 255 bytes).")
    var key: String

    @Argument(help: "The value; - or nothing reads it from standard input.")
    var value: String?

    func run() throws {
        let bytes: [UInt8]
        if let value, value != "-" {
            bytes = Array(value.utf8)
        } else {
            bytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        }
        _ = try StoreTool.put(path: file, key: key, value: bytes)
    }
}

struct StoreRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove a key (durable when the command returns).", discussion: StoreTool.statusHelp)

    @Argument(help: "The store's file.")
    var file: String

    @Argument(help: "The key.")
    var key: String

    func run() throws {
        try StoreTool.remove(path: file, key: key)
    }
}

struct StoreCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify every checksum and the tree's invariants and print a report; non-zero on damage.",
        discussion: StoreTool.statusHelp)

    @Argument(help: "The store's file.")
    var file: String

    func run() throws {
        for line in try StoreTool.check(path: file) { Log.standardOutput(line) }
    }
}
