/// The backtrace an image prints before its one-line fault, trap or abort report (docs/DEBUGGING.md §3).
///
/// Both platforms print the same lines:
///
///     swiftlet: image base 0x0000555555554000          (dev: where the PIE was loaded; prod: 0)
///     swiftlet: frame #0 0x000055555556c1b9            (return addresses, innermost first)
///     swiftlet: frame #1 0x000055555556c0f2
///     swiftlet: cpu trap: invalid opcode (rip 0x000055555556c1ad, vector 6)
///
/// The report line stays last (tools read the last line). `rip`, when the report has one, is the faulting
/// instruction itself; every frame is a return address, so it is looked up one byte earlier (inside the call).
public struct CrashReport: Equatable, Sendable {
    /// Where the image was loaded; addresses minus this are addresses in the ELF.
    public var imageBase: UInt64
    /// The faulting instruction (`rip 0x...` of a fault or trap report); nil for an abort.
    public var pc: UInt64?
    /// Return addresses, innermost first.
    public var returnAddresses: [UInt64]
    /// The report line (`swiftlet: memory fault: ...`, `swiftlet: cpu trap: ...`, `swiftlet: abort: ...`).
    public var report: String

    public init(imageBase: UInt64, pc: UInt64?, returnAddresses: [UInt64], report: String) {
        self.imageBase = imageBase
        self.pc = pc
        self.returnAddresses = returnAddresses
        self.report = report
    }

    /// Finds the last backtrace in clean console lines (``Transcript/lines(of:)``) and the report after it.
    /// Returns nil when there is none (the run did not crash, or an older image printed no frames).
    public static func parse(_ lines: [String]) -> CrashReport? {
        guard let baseIndex = lines.lastIndex(where: { $0.hasPrefix(basePrefix) }),
              let base = hexValue(lines[baseIndex].dropFirst(basePrefix.count))
        else { return nil }
        var frames: [UInt64] = []
        var index = baseIndex + 1
        while index < lines.count, lines[index].hasPrefix(framePrefix) {
            // "swiftlet: frame #3 0x..."
            let words = lines[index].split(separator: " ")
            if let last = words.last, let address = hexValue(last) { frames.append(address) }
            index += 1
        }
        guard index < lines.count, lines[index].hasPrefix("swiftlet: ") else { return nil }
        let report = lines[index]
        var pc: UInt64?
        if let range = report.range(of: "(rip ") {
            pc = hexValue(report[range.upperBound...].prefix { $0 != "," && $0 != ")" })
        }
        return CrashReport(imageBase: base, pc: pc, returnAddresses: frames, report: report)
    }

    /// The addresses to look up in the ELF, innermost first: the pc as it is, each return address minus one
    /// (the call instruction it follows), all made relative to the image base.
    public var lookupAddresses: [UInt64] {
        var addresses: [UInt64] = []
        if let pc { addresses.append(pc &- imageBase) }
        addresses += returnAddresses.map { $0 &- imageBase &- 1 }
        return addresses
    }

    static let basePrefix = "swiftlet: image base "
    static let framePrefix = "swiftlet: frame #"

    /// True for the backtrace lines (which a transcript comparison leaves out: their addresses differ by mode).
    public static func isBacktraceLine(_ line: String) -> Bool {
        line.hasPrefix(basePrefix) || line.hasPrefix(framePrefix)
    }

    static func hexValue<S: StringProtocol>(_ text: S) -> UInt64? {
        guard text.hasPrefix("0x") else { return nil }
        return UInt64(text.dropFirst(2), radix: 16)
    }
}
