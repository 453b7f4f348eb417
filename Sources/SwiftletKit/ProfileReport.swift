import Foundation

/// Turns a profile into folded stacks (Brendan Gregg's flame-graph input: `root;caller;callee COUNT` per line), with
/// symbols: prod's `swiftlet-profile:` dump (docs/PROFILING.md) symbolized from the image's ELF, or dev's
/// `perf script` output.
public struct ProfileReport: Sendable {
    /// One distinct stack, outermost frame first, and how many samples had it.
    public struct Stack: Equatable, Sendable {
        public var frames: [String]
        public var count: Int
    }

    /// The dump's header: sampling rate, samples taken, samples dropped because the buffer was full.
    public var hz = 0
    public var samples = 0
    public var dropped = 0
    public var stacks: [Stack] = []

    public init() {}

    /// One sample line of a dump: the repeat count, the interrupted %rip, then return addresses, innermost first.
    public struct RawSample: Equatable, Sendable {
        public var count: Int
        public var addresses: [UInt64]
    }

    /// Reads the `swiftlet-profile:` lines of one or more dumps (a dump on request and the one at exit add up).
    /// - Throws: ``SwiftletError`` for a line that is neither a header, a sample nor the end, or no dump at all.
    public static func parseDump(_ lines: [String]) throws -> (header: (hz: Int, samples: Int, dropped: Int),
                                                                 samples: [RawSample]) {
        var hz = 0, samples = 0, dropped = 0, begun = false
        var raw: [RawSample] = []
        for line in lines {
            guard line.hasPrefix("swiftlet-profile: ") else { continue }
            let words = line.dropFirst("swiftlet-profile: ".count).split(separator: " ")
            guard let first = words.first else { continue }
            if first == "begin" {
                begun = true
                for word in words.dropFirst() {
                    let pair = word.split(separator: "=", maxSplits: 1)
                    guard pair.count == 2, let value = Int(pair[1]) else { continue }
                    switch pair[0] {
                    case "hz": hz = value
                    case "samples": samples += value
                    case "dropped": dropped += value
                    default: break
                    }
                }
            } else if first == "end" {
                continue
            } else if let count = Int(first) {
                let addresses = words.dropFirst().compactMap { CrashReport.hexValue($0) }
                guard addresses.count == words.count - 1, !addresses.isEmpty else {
                    throw SwiftletError("malformed profile line: \(line)")
                }
                raw.append(RawSample(count: count, addresses: addresses))
            } else {
                throw SwiftletError("malformed profile line: \(line)")
            }
        }
        guard begun else {
            throw SwiftletError("the run printed no profile (no 'swiftlet-profile: begin' line)",
                                remedy: "profile a virtio run: the app must exit, or call Profiler.dump()")
        }
        return ((hz, samples, dropped), raw)
    }

    /// Symbolizes a dump's samples with `symbolizer` and folds them. A return address is looked up one byte back
    /// (inside the call, not after it); every inlined function becomes a frame of its own.
    public static func fold(dump lines: [String], symbolizer: Symbolizer) throws -> ProfileReport {
        let (header, raw) = try parseDump(lines)
        var unique = Set<UInt64>()
        for sample in raw {
            for (index, address) in sample.addresses.enumerated() { unique.insert(index == 0 ? address : address &- 1) }
        }
        let sorted = unique.sorted()
        let frames = try symbolizer.symbolize(sorted)
        var names: [UInt64: [String]] = [:]
        for (index, address) in sorted.enumerated() {
            let locations = index < frames.count ? frames[index].locations : []
            // Outermost (the function that owns the code) first.
            let chain = locations.reversed().map(\.function).filter { $0 != "??" }
            names[address] = chain.isEmpty ? ["0x" + String(address, radix: 16)] : chain
        }
        var report = ProfileReport()
        report.hz = header.hz
        report.samples = header.samples
        report.dropped = header.dropped
        var counts: [[String]: Int] = [:]
        for sample in raw {
            var stack: [String] = []
            for (index, address) in sample.addresses.enumerated().reversed() {
                stack += names[index == 0 ? address : address &- 1] ?? []
            }
            counts[stack, default: 0] += sample.count
        }
        report.stacks = counts.map { Stack(frames: $0.key, count: $0.value) }.sorted { $0.count > $1.count }
        return report
    }

    /// Folds `perf script -F ip,sym` output (per sample, one `ADDRESS SYMBOL` line per frame, innermost first; a
    /// blank line between samples), with Swift names demangled by `symbolizer`'s demangler.
    public static func fold(perfScript text: String, symbolizer: Symbolizer) throws -> ProfileReport {
        var samples: [[String]] = []
        var current: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty {
                if !current.isEmpty { samples.append(current) }
                current = []
                continue
            }
            let parts = line.split(separator: " ", maxSplits: 1)
            var symbol = parts.count == 2 ? String(parts[1]) : "[unknown]"
            if let plus = symbol.range(of: "+0x", options: .backwards) { symbol = String(symbol[..<plus.lowerBound]) }
            current.append(symbol)
        }
        if !current.isEmpty { samples.append(current) }
        let demangled = try symbolizer.demangle(Array(Set(samples.flatMap { $0 })))
        var counts: [[String]: Int] = [:]
        for sample in samples {
            counts[sample.reversed().map { demangled[$0] ?? $0 }, default: 0] += 1
        }
        var report = ProfileReport()
        report.samples = samples.count
        report.stacks = counts.map { Stack(frames: $0.key, count: $0.value) }.sorted { $0.count > $1.count }
        return report
    }

    /// The folded-stacks text: one `frame;frame;... COUNT` line per distinct stack (`;` in a name becomes `:`).
    public var folded: String {
        stacks.map { stack in
            stack.frames.map { $0.replacingOccurrences(of: ";", with: ":") }.joined(separator: ";")
                + " \(stack.count)"
        }.joined(separator: "\n") + (stacks.isEmpty ? "" : "\n")
    }

    /// The functions that were running (the innermost frame), with their share of the samples, most first.
    public func top(_ limit: Int) -> [(function: String, count: Int, percent: Double)] {
        var selfCounts: [String: Int] = [:]
        var total = 0
        for stack in stacks {
            selfCounts[stack.frames.last ?? "?", default: 0] += stack.count
            total += stack.count
        }
        return selfCounts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(limit)
            .map { ($0.key, $0.value, total == 0 ? 0 : Double($0.value) * 100 / Double(total)) }
    }

    /// The functions on any frame of the stacks (inclusive time), with their share, most first.
    public func inclusive(_ limit: Int) -> [(function: String, count: Int, percent: Double)] {
        var counts: [String: Int] = [:]
        var total = 0
        for stack in stacks {
            for function in Set(stack.frames) { counts[function, default: 0] += stack.count }
            total += stack.count
        }
        return counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(limit)
            .map { ($0.key, $0.value, total == 0 ? 0 : Double($0.value) * 100 / Double(total)) }
    }
}
