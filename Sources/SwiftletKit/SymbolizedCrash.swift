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

    /// The functions of the app and the libOS (source files of this checkout, not under Sources/Platform) from
    /// the innermost frame that has one outwards, until a frame whose own function is not one: what is the same in
    /// both modes for the same crash (the platform's frames and the C library's differ by mode). Inlined helpers
    /// without a name of their own (`??`) or from the standard library are left out without ending the walk.
    public func portableFunctions(root: String) -> [String] {
        var names: [String] = []
        for frame in frames {
            let locations = frame.locations.filter { !$0.function.hasPrefix(Symbolizer.runtimeFailurePrefix) }
            for location in locations where location.function != "??" && SymbolizedCrash.isPortable(location, root: root) {
                names.append(location.function)
            }
            if let owner = locations.last, !SymbolizedCrash.isPortable(owner, root: root), !names.isEmpty { break }
        }
        return names
    }

    /// A source file of this checkout (absolute, or relative to it as mk/image.mk names the libOS sources) outside
    /// Sources/Platform.
    static func isPortable(_ location: Symbolizer.Location, root: String) -> Bool {
        guard let file = location.file else { return false }
        let path = file.hasPrefix("/") ? file : root + "/" + file
        guard path.hasPrefix(root + "/"), !path.hasPrefix(root + "/Sources/Platform/") else { return false }
        return file.hasPrefix("/") || FileManager.default.fileExists(atPath: path)
    }

    static func relative(_ path: String, to root: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }
}
