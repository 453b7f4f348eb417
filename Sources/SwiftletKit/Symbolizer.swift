import Foundation

/// Turns a ``CrashReport``'s addresses into function, file and line, from the image's ELF (its symbol table and
/// the line tables every image carries: mk/image.mk), with the Swift toolchain's `llvm-symbolizer` and Swift names
/// made readable by `swift-demangle` (docs/DEBUGGING.md §3).
public struct Symbolizer {
    /// One source location; a frame has several when calls were inlined into it (innermost first).
    public struct Location: Equatable, Sendable {
        /// Demangled and simplified (`Ledger.add(_:_:)`), or `??` when the ELF does not know.
        public var function: String
        /// As recorded by the compiler (absolute), nil when unknown.
        public var file: String?
        public var line: Int
        public var column: Int

        public init(function: String, file: String?, line: Int, column: Int) {
            self.function = function
            self.file = file
            self.line = line
            self.column = column
        }
    }

    /// One address and what is there.
    public struct Frame: Equatable, Sendable {
        /// The address looked up (relative to the image base).
        public var address: UInt64
        /// Innermost (inlined) first; the last is the function that owns the code.
        public var locations: [Location]
    }

    /// The prefix of the artificial inlined function the Swift compiler places at each runtime trap
    /// (`Swift runtime failure: arithmetic overflow`), so that a debugger can name the trap.
    public static let runtimeFailurePrefix = "Swift runtime failure: "

    public var image: String
    public var symbolizer: String
    public var demangler: String?

    /// Finds the tools next to `swiftc` (the Swift toolchain), else on PATH.
    /// - Throws: ``SwiftletError`` when llvm-symbolizer is nowhere.
    public init(image: String) throws {
        self.image = image
        guard let symbolizer = Symbolizer.toolchainTool("llvm-symbolizer") ?? Subprocess.which("llvm-symbolizer") else {
            throw SwiftletError("llvm-symbolizer not found (it ships with the Swift toolchain, next to swiftc)",
                                remedy: "put the Swift toolchain's bin folder on PATH")
        }
        self.symbolizer = symbolizer
        demangler = Symbolizer.toolchainTool("swift-demangle") ?? Subprocess.which("swift-demangle")
    }

    /// A tool in the folder of the `swiftc` on PATH (symlinks resolved).
    public static func toolchainTool(_ name: String) -> String? {
        guard let swiftc = Subprocess.which("swiftc") else { return nil }
        let resolved = (swiftc as NSString).resolvingSymlinksInPath
        let candidate = ((resolved as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// Looks every address up (one llvm-symbolizer run), innermost inlined location first.
    public func symbolize(_ addresses: [UInt64]) throws -> [Frame] {
        guard !addresses.isEmpty else { return [] }
        var run = Subprocess([symbolizer, "--obj=\(image)", "--inlining", "--functions=linkage"] + addresses.map { "0x" + String($0, radix: 16) })
        run.stdout = .capture
        run.stderr = .capture
        run.nullStdin = true
        run.timeout = 60
        let result = try run.run()
        guard result.termination == .exited(0) else {
            throw SwiftletError("llvm-symbolizer failed (\(result.termination)): "
                                + result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        var frames = Symbolizer.parse(result.stdoutText, addresses: addresses)
        let names = Set(frames.flatMap { $0.locations.map(\.function) })
        let demangled = try demangle(Array(names))
        for index in frames.indices {
            for inner in frames[index].locations.indices {
                let name = frames[index].locations[inner].function
                frames[index].locations[inner].function = demangled[name] ?? name
            }
        }
        return frames
    }

    /// Parses llvm-symbolizer's default output: per address, pairs of lines (function, `file:line:column`)
    /// ending with a blank line.
    static func parse(_ output: String, addresses: [UInt64]) -> [Frame] {
        var frames: [Frame] = []
        var current: [Location] = []
        var pending: String?
        for raw in output.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.isEmpty {
                if !current.isEmpty || pending != nil {
                    frames.append(Frame(address: addresses[min(frames.count, addresses.count - 1)],
                                        locations: current))
                }
                current = []
                pending = nil
                continue
            }
            if let function = pending {
                current.append(location(function: function, place: line))
                pending = nil
            } else {
                pending = line
            }
        }
        if !current.isEmpty { frames.append(Frame(address: addresses[min(frames.count, addresses.count - 1)], locations: current)) }
        return frames
    }

    static func location(function: String, place: String) -> Location {
        // "/path/File.swift:12:5", "??:0:0", "/<compiler-generated>:0:0"
        let parts = place.split(separator: ":", omittingEmptySubsequences: false)
        var file: String? = nil
        var line = 0, column = 0
        if parts.count >= 3 {
            file = parts[..<(parts.count - 2)].joined(separator: ":")
            line = Int(parts[parts.count - 2]) ?? 0
            column = Int(parts[parts.count - 1]) ?? 0
        } else {
            file = place
        }
        if file == "??" || file == "/<compiler-generated>" || file == "<compiler-generated>" { file = nil }
        if function == "??" && file == nil { return Location(function: function, file: nil, line: 0, column: 0) }
        return Location(function: function, file: file, line: line, column: column)
    }

    /// Simplified Swift names (`static Ledger.add(_:_:)`) for mangled ones (`$e...`, `$s...`); C names stay.
    func demangle(_ names: [String]) throws -> [String: String] {
        let mangled = names.filter { $0.hasPrefix("$e") || $0.hasPrefix("$s") || $0.hasPrefix("_$s") }
        guard let demangler, !mangled.isEmpty else { return [:] }
        var run = Subprocess([demangler, "--simplified", "--compact"] + mangled)
        run.stdout = .capture
        run.stderr = .capture
        run.nullStdin = true
        run.timeout = 60
        let result = try run.run()
        let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var map: [String: String] = [:]
        for (index, name) in mangled.enumerated() where index < lines.count && !lines[index].isEmpty {
            map[name] = lines[index]
        }
        return map
    }

    /// The trap a Swift runtime failure frame names (`arithmetic overflow`), when the innermost location of the
    /// faulting pc is one.
    public static func runtimeFailure(_ frame: Frame?) -> String? {
        guard let first = frame?.locations.first, first.function.hasPrefix(runtimeFailurePrefix) else { return nil }
        return String(first.function.dropFirst(runtimeFailurePrefix.count))
    }
}
