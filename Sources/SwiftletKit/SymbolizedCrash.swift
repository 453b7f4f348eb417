import Foundation

/// A ``CrashReport`` with its frames looked up: what `swiftlet run` and `swiftlet test` print after a crash
/// (docs/DEBUGGING.md §3).
public struct SymbolizedCrash: Sendable {
    public var report: CrashReport
    /// One per lookup address (``CrashReport/lookupAddresses``), innermost first.
    public var frames: [Symbolizer.Frame]
    /// The Swift runtime trap at the pc (`arithmetic overflow`, `Index out of range`), when there was one.
    public var runtimeFailure: String?

    public init(report: CrashReport, frames: [Symbolizer.Frame]) {
        self.report = report
        self.frames = frames
        runtimeFailure = report.pc == nil ? nil : Symbolizer.runtimeFailure(frames.first)
    }

    /// Parses the console and symbolizes its backtrace from `image`; nil when the console holds none.
    /// - Throws: ``SwiftletError`` when the tools are missing or fail.
    public static func from(console lines: [String], image: String) throws -> SymbolizedCrash? {
        guard let report = CrashReport.parse(lines) else { return nil }
        let frames = try Symbolizer(image: image).symbolize(report.lookupAddresses)
        return SymbolizedCrash(report: report, frames: frames)
    }

    /// Every source location, innermost first, with the runtime-failure marker left out (the headline names it).
    public var locations: [Symbolizer.Location] {
        frames.flatMap { $0.locations }.filter { !$0.function.hasPrefix(Symbolizer.runtimeFailurePrefix) }
    }

    /// What the host prints: the trap's name when known, then one line per location:
    ///
    ///     swiftlet: the cpu trap is a Swift runtime failure: arithmetic overflow
    ///     swiftlet: backtrace (image base 0x0000555555554000, symbols from .build-swiftlet/.../trap.elf):
    ///       #0 static Ledger.add(_:_:) at Samples/trap/Trap.swift:42:13
    ///       #1 static Ledger.total(_:) at Samples/trap/Trap.swift:36:32
    ///
    /// Paths inside `root` are printed relative to it.
    public func lines(image: String, root: String) -> [String] {
        var lines: [String] = []
        if let runtimeFailure {
            lines.append("swiftlet: the cpu trap is a Swift runtime failure: \(runtimeFailure)")
        }
        lines.append("swiftlet: backtrace (image base 0x\(String(report.imageBase, radix: 16)), symbols from "
                     + "\(SymbolizedCrash.relative(image, to: root))):")
        for (index, location) in locations.enumerated() {
            var line = "  #\(index) \(location.function)"
            if let file = location.file {
                line += " at \(SymbolizedCrash.relative(file, to: root))"
                if location.line > 0 { line += ":\(location.line)" }
                if location.line > 0 && location.column > 0 { line += ":\(location.column)" }
            }
            lines.append(line)
        }
        if locations.isEmpty { lines.append("  (no frames)") }
        return lines
    }

    /// The functions of the app and the libOS (source files inside `root`, not under Sources/Platform) from the
    /// innermost such frame outwards, until the first frame that is not one: what is the same in both modes for
    /// the same crash (the platform's own frames and the C library's differ by mode).
    public func portableFunctions(root: String) -> [String] {
        var names: [String] = []
        for location in locations {
            // Files inside the checkout: absolute, or relative to it (how mk/image.mk names the libOS sources).
            let portable = location.file.map { file in
                let path = file.hasPrefix("/") ? file : root + "/" + file
                return path.hasPrefix(root + "/") && !path.hasPrefix(root + "/Sources/Platform/")
            } ?? false
            if portable {
                names.append(location.function)
            } else if !names.isEmpty {
                break
            }
        }
        return names
    }

    static func relative(_ path: String, to root: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }
}
