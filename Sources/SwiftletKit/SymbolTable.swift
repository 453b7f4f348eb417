import Foundation

/// The functions of an image's ELF with their Swift names, for `swiftlet debug --break NAME` (docs/DEBUGGING.md
/// §1): a Swift-ish name (`Ledger.add`, `trap.Ledger.add`, `Hello.run`) is resolved to the mangled symbols a
/// debugger can break on (`$e4trap6LedgerO3addyS2i_SitFZ`).
public struct SymbolTable: Sendable {
    /// One function symbol.
    public struct Function: Equatable, Sendable {
        /// As in the ELF (`$e4trap6LedgerO3addyS2i_SitFZ`, `virtio_trap`).
        public var symbol: String
        /// Fully demangled (`static trap.Ledger.add(Swift.Int, Swift.Int) -> Swift.Int`); the symbol for C.
        public var demangled: String

        public init(symbol: String, demangled: String) {
            self.symbol = symbol
            self.demangled = demangled
        }

        /// `trap.Ledger.add` for `static trap.Ledger.add(Swift.Int, Swift.Int) -> Swift.Int`; nil for what is not
        /// a function one would break on by name (async resume parts, closures, thunks, witnesses, metadata).
        public var qualifiedName: String? {
            var text = demangled
            for prefix in ["static ", "generic specialization ", "specialized "] where text.hasPrefix(prefix) {
                text = String(text.dropFirst(prefix.count))
            }
            for excluded in ["(", "async function pointer", "protocol witness", "reabstraction", "partial apply",
                             "outlined", "merged", "type metadata", "nominal type", "value witness", "thunk", "<"]
            where text.hasPrefix(excluded) {
                return nil
            }
            if text.contains(" in ") { return nil }  // closures, local functions, "... in ..." helpers
            let name = text.prefix { $0 != "(" && $0 != " " }
            return name.isEmpty ? nil : String(name)
        }
    }

    public var functions: [Function]

    public init(functions: [Function]) {
        self.functions = functions
    }

    /// Reads the function symbols of `image` (llvm-nm) and demangles the Swift ones (swift-demangle).
    /// - Throws: ``SwiftletError`` when the tools are missing or fail.
    public static func load(image: String) throws -> SymbolTable {
        guard let nm = Symbolizer.toolchainTool("llvm-nm") ?? Subprocess.which("llvm-nm") ?? Subprocess.which("nm") else {
            throw SwiftletError("llvm-nm not found (it ships with the Swift toolchain)", remedy: "put the toolchain's bin folder on PATH")
        }
        var list = Subprocess([nm, "--defined-only", "--format=posix", image])
        list.stdout = .capture
        list.stderr = .capture
        list.nullStdin = true
        let listed = try list.run()
        guard listed.termination == .exited(0) else {
            throw SwiftletError("\(nm) \(image) failed: \(listed.stderrText.trimmingCharacters(in: .newlines))")
        }
        // "NAME TYPE VALUE SIZE": text symbols only.
        var symbols: [String] = []
        for line in listed.stdoutText.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count >= 2, ["t", "T", "W", "w"].contains(words[1]) { symbols.append(String(words[0])) }
        }
        let swift = symbols.filter { $0.hasPrefix("$e") || $0.hasPrefix("$s") }
        var names: [String: String] = [:]
        if !swift.isEmpty, let demangler = Symbolizer.toolchainTool("swift-demangle") ?? Subprocess.which("swift-demangle") {
            let input = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-symbols-\(getpid())").path
            try swift.joined(separator: "\n").appending("\n").write(toFile: input, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: input) }
            var demangle = Subprocess(["sh", "-c", "exec \"$0\" --compact < \"$1\"", demangler, input])
            demangle.stdout = .capture
            demangle.stderr = .capture
            demangle.nullStdin = true
            let result = try demangle.run()
            let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
            for (index, symbol) in swift.enumerated() where index < lines.count { names[symbol] = String(lines[index]) }
        }
        return SymbolTable(functions: symbols.map { Function(symbol: $0, demangled: names[$0] ?? $0) })
    }

    /// The symbols `name` means: an exact symbol; else every function whose qualified name is `name` or ends in
    /// `.name` (so `Ledger.add` finds `trap.Ledger.add`); a name with `(` must match the start of the demangled
    /// name after the module (`Ledger.add(Swift.Int, Swift.Int)`).
    public func resolve(_ name: String) -> [Function] {
        if let exact = functions.first(where: { $0.symbol == name }) { return [exact] }
        return functions.filter { function in
            guard let qualified = function.qualifiedName else { return false }
            if name.contains("(") {
                let full = function.demangled.hasPrefix("static ") ? String(function.demangled.dropFirst(7)) : function.demangled
                return full.hasPrefix(name) || full.contains("." + name)
            }
            return qualified == name || qualified.hasSuffix("." + name)
        }
    }

    /// The app's entry: its `static <Module>.<Type>.run(Runtime.BootArguments)` (the `Application` requirement).
    public func appEntry(module: String) -> Function? {
        functions.first { function in
            guard let qualified = function.qualifiedName else { return false }
            return qualified.hasPrefix(module + ".") && qualified.hasSuffix(".run")
                && function.demangled.contains("(Runtime.BootArguments)")
        }
    }
}
