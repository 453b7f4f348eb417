/// TenderArguments.swift — the tender's command line: device options and boot arguments.
///
///     app.elf [--net NAME=SPEC]... [--block NAME=SPEC]... [--] key=value ...
///
/// Boot arguments are joined with single spaces into the start info's
/// `cmdline`, exactly what the unikernel receives from QEMU's `-append`. A
/// boot argument must be `key=value` with a non-empty key and no whitespace
/// (whitespace would split it into two words on the far side). Before `--`,
/// any word starting with `-` is an option; after it, every word is a boot
/// argument. Device options are refused until the device backends exist.
/// The process's argv comes from C/args.c (an ELF constructor), because `main`
/// belongs to the app.

import SwiftletPosix

/// A command line the tender cannot accept; each case holds the argv index of the word.
enum TenderArgumentError: Error {
    /// `--net`/`--block`, and whether its value is the next word.
    case deviceOption(at: Int, withValue: Bool)
    case unknownOption(at: Int)
    case malformedBootArgument(at: Int)

    /// The one-line explanation, e.g. `swiftlet: unknown option '--x'; usage: app.elf [--] key=value ...`.
    func message(argv: UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Line {
        var line = Line()
        line.append("swiftlet: ")
        switch self {
        case .deviceOption(let index, let withValue):
            line.append("device options are not supported yet: ")
            line.append(cString: argv[index]!)
            if withValue {
                line.append(" ")
                line.append(cString: argv[index + 1]!)
            }
        case .unknownOption(let index):
            line.append("unknown option '")
            line.append(cString: argv[index]!)
            line.append("'; usage: ")
            if let program = argv[0] {
                line.append(cString: program)
            } else {
                line.append("swiftlet")
            }
            line.append(" [--] key=value ...")
        case .malformedBootArgument(let index):
            line.append("malformed boot argument '")
            line.append(cString: argv[index]!)
            line.append("': expected key=value")
        }
        line.append(byte: 10)
        return line
    }
}

/// The parsed command line.
struct TenderArguments {
    /// The boot arguments joined by single spaces, NUL-terminated; allocated once, never freed.
    let commandLine: UnsafePointer<CChar>

    /// Parses `argv[1..<argc]`.
    ///
    /// - Throws: ``TenderArgumentError`` for the first word it cannot accept.
    static func parse(
        argc: Int, argv: UnsafePointer<UnsafeMutablePointer<CChar>?>
    ) throws(TenderArgumentError) -> TenderArguments {
        var bootArguments: [UnsafePointer<CChar>] = []
        var optionsEnded = false
        var index = 1
        while index < argc, let word = argv[index] {
            let at = index
            index += 1
            let text = CWord(word)
            if !optionsEnded && text.first == UInt8(ascii: "-") {
                if text.equals("--") {
                    optionsEnded = true
                } else if text.equals("--net") || text.equals("--block") {
                    throw .deviceOption(at: at, withValue: index < argc && argv[index] != nil)
                } else if text.hasPrefix("--net=") || text.hasPrefix("--block=") {
                    throw .deviceOption(at: at, withValue: false)
                } else {
                    throw .unknownOption(at: at)
                }
                continue
            }
            guard text.isKeyValue else { throw .malformedBootArgument(at: at) }
            bootArguments.append(UnsafePointer(word))
        }
        return TenderArguments(commandLine: join(bootArguments))
    }

    private static func join(_ words: [UnsafePointer<CChar>]) -> UnsafePointer<CChar> {
        var total = 1
        for word in words { total += CWord(word).count + 1 }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: total)
        var cursor = 0
        for (position, word) in words.enumerated() {
            if position > 0 {
                buffer[cursor] = 0x20
                cursor += 1
            }
            let length = CWord(word).count
            (buffer + cursor).update(from: word, count: length)
            cursor += length
        }
        buffer[cursor] = 0
        return UnsafePointer(buffer)
    }
}

/// A NUL-terminated argv word viewed as bytes.
private struct CWord {
    let bytes: UnsafePointer<UInt8>
    let count: Int

    init(_ word: UnsafePointer<CChar>) {
        self.bytes = UnsafeRawPointer(word).assumingMemoryBound(to: UInt8.self)
        self.count = strlen(word)
    }

    var first: UInt8? { self.count > 0 ? self.bytes[0] : nil }

    func hasPrefix(_ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { wanted in
            guard wanted.count <= self.count else { return false }
            for offset in 0..<wanted.count where self.bytes[offset] != wanted[offset] {
                return false
            }
            return true
        }
    }

    func equals(_ other: StaticString) -> Bool {
        self.count == other.utf8CodeUnitCount && self.hasPrefix(other)
    }

    /// `key=value`: an `=` after at least one byte, and no whitespace anywhere.
    var isKeyValue: Bool {
        var equalsAt: Int? = nil
        for offset in 0..<self.count {
            let byte = self.bytes[offset]
            if byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d {
                return false
            }
            if byte == UInt8(ascii: "="), equalsAt == nil {
                equalsAt = offset
            }
        }
        guard let equalsAt else { return false }
        return equalsAt > 0
    }
}
