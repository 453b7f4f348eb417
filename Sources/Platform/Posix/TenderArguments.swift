/// TenderArguments.swift — the tender's command line: device options and boot arguments.
///
///     app.elf [--memory BYTES] [--net NAME=SPEC]... [--block NAME=FILE[,block-size=N]]... [--pcap NAME=FILE]...
///             [--] key=value ...
///
/// `--memory BYTES` (decimal, at least 1 MiB) is the guest's memory, what `swiftlet run --memory SIZE` gives
/// the guest in prod: the heap's arena is sized from it (Arena.swift).
///
/// Boot arguments are joined with single spaces into the start info's
/// `cmdline`, exactly what the unikernel receives from QEMU's `-append`. A
/// boot argument must be `key=value` with a non-empty key and no whitespace
/// (whitespace would split it into two words on the far side). Before `--`,
/// any word starting with `-` is an option; after it, every word is a boot
/// argument. Device options take their value as the next word or after `=`
/// (`--net NAME=...` or `--net=NAME=...`); DeviceOptions.swift has their grammar.
/// The process's argv comes from C/args.c (an ELF constructor), because `main`
/// belongs to the app.

import SwiftletPosix

/// The parsed command line.
struct TenderArguments {
    /// The boot arguments joined by single spaces, NUL-terminated; allocated once, never freed.
    let commandLine: UnsafePointer<CChar>
    /// The `--net`/`--block`/`--pcap` options, checked for grammar (not yet opened).
    let devices: DeviceOptions
    /// `--memory BYTES`, or nil (then ``Arena/defaultGuestMemory``).
    let memory: UInt64?

    /// Parses `argv[1..<argc]`.
    ///
    /// - Throws: ``TenderError`` for the first word it cannot accept.
    static func parse(
        argc: Int, argv: UnsafePointer<UnsafeMutablePointer<CChar>?>
    ) throws(TenderError) -> TenderArguments {
        var bootArguments: [UnsafePointer<CChar>] = []
        var devices = DeviceOptions()
        var memory: UInt64? = nil
        var optionsEnded = false
        var index = 1
        while index < argc, let word = argv[index] {
            index += 1
            let text = CWord(word)
            if !optionsEnded && text.first == UInt8(ascii: "-") {
                if text.equals("--") {
                    optionsEnded = true
                    continue
                }
                if let inline = text.memoryOption {
                    var value = inline
                    if value == nil {
                        guard index < argc, let next = argv[index] else {
                            throw TenderError("--memory needs a value: BYTES")
                        }
                        index += 1
                        value = CWord(next).array
                    }
                    guard let bytes = memoryBytes(value!) else {
                        throw TenderError("--memory '").bytes(value!).text("': expected bytes in decimal, at least 1048576")
                    }
                    memory = bytes
                    continue
                }
                guard let (kind, inlineValue) = text.deviceOption else {
                    throw unknownOption(word, program: argv[0])
                }
                if let inlineValue {
                    try devices.add(kind, value: inlineValue)
                } else {
                    guard index < argc, let value = argv[index] else {
                        throw TenderError("").text(kind.flag).text(" needs a value: ").text(kind.grammar)
                    }
                    index += 1
                    try devices.add(kind, value: CWord(value).array)
                }
                continue
            }
            guard text.isKeyValue else {
                throw TenderError("malformed boot argument '").cString(word).text("': expected key=value")
            }
            bootArguments.append(UnsafePointer(word))
        }
        try devices.checkPcaps()
        return TenderArguments(commandLine: join(bootArguments), devices: devices, memory: memory)
    }

    /// A decimal byte count of at least 1 MiB and at most 2^48, or nil.
    private static func memoryBytes(_ text: [UInt8]) -> UInt64? {
        guard !text.isEmpty, text.count <= 15 else { return nil }
        var value: UInt64 = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value >= 1 << 20 && value <= 1 << 48 ? value : nil
    }

    private static func unknownOption(_ word: UnsafePointer<CChar>, program: UnsafePointer<CChar>?) -> TenderError {
        var error = TenderError("unknown option '").cString(word).text("'; usage: ")
        if let program {
            error = error.cString(program)
        } else {
            error = error.text("swiftlet")
        }
        return error.text(
            " [--memory BYTES] [--net NAME=SPEC]... [--block NAME=FILE]... [--pcap NAME=FILE]... [--] key=value ...")
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

    /// The word's bytes, copied.
    var array: [UInt8] { Array(UnsafeBufferPointer(start: self.bytes, count: self.count)) }

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

    /// `--net`, `--block` or `--pcap`, with the value when it is written `--net=VALUE` (else nil).
    var deviceOption: (DeviceOptionKind, [UInt8]?)? {
        for kind in [DeviceOptionKind.net, .block, .pcap] {
            let length = kind.flag.utf8CodeUnitCount
            if self.equals(kind.flag) {
                return (kind, nil)
            }
            if self.hasPrefix(kind.flag) && self.count > length && self.bytes[length] == UInt8(ascii: "=") {
                return (kind, Array(UnsafeBufferPointer(start: self.bytes + length + 1, count: self.count - length - 1)))
            }
        }
        return nil
    }

    /// `--memory` (the value nil: it is the next word) or `--memory=VALUE`; nil for any other word.
    var memoryOption: [UInt8]?? {
        if self.equals("--memory") { return .some(nil) }
        let length = 8  // "--memory"
        if self.hasPrefix("--memory=") {
            return .some(Array(UnsafeBufferPointer(start: self.bytes + length + 1, count: self.count - length - 1)))
        }
        return nil
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
