import Foundation
import XCTest
@testable import SwiftletKit

/// Crash reports with symbols and `swiftlet debug` (docs/DEBUGGING.md), in both modes.
///
/// The tests that build and run images (QEMU under TCG, gdb) skip with a message when
/// SWIFTLET_SKIP_DUAL_MODE=1, as the dual-mode suite does.
final class DebuggingTests: XCTestCase {
    // MARK: parsing (no images)

    let console = [
        "trap: overflow...",
        "swiftlet: image base 0x0000555555554000",
        "swiftlet: frame #0 0x000055555556d8e5",
        "swiftlet: frame #1 0x000055555556cc85",
        "swiftlet: cpu trap: invalid opcode (rip 0x000055555556d9e7, vector 6)",
    ]

    func testCrashReportParsesBaseFramesAndPC() throws {
        let report = try XCTUnwrap(CrashReport.parse(console))
        XCTAssertEqual(report.imageBase, 0x5555_5555_4000)
        XCTAssertEqual(report.pc, 0x5555_5556_d9e7)
        XCTAssertEqual(report.returnAddresses, [0x5555_5556_d8e5, 0x5555_5556_cc85])
        XCTAssertEqual(report.report, console.last)
        // The pc as it is; return addresses one byte back (inside the call); all relative to the base.
        XCTAssertEqual(report.lookupAddresses, [0x199e7, 0x198e4, 0x18c84])
        XCTAssertTrue(CrashReport.isBacktraceLine(console[1]))
        XCTAssertTrue(CrashReport.isBacktraceLine(console[2]))
        XCTAssertFalse(CrashReport.isBacktraceLine(console[4]))
    }

    func testAbortReportHasNoPC() throws {
        let report = try XCTUnwrap(CrashReport.parse([
            "swiftlet: image base 0x0000000000000000", "swiftlet: frame #0 0x0000000000100010",
            "swiftlet: abort: trap: kind=abort",
        ]))
        XCTAssertNil(report.pc)
        XCTAssertEqual(report.lookupAddresses, [0x10000f])
    }

    func testConsoleWithoutBacktraceHasNoReport() {
        XCTAssertNil(CrashReport.parse(["hello", "goodbye"]))
        // Frames without a report line after them are not a report.
        XCTAssertNil(CrashReport.parse(Array(console.prefix(3))))
    }

    func testSymbolizerOutputParsesInlinedLocations() {
        let output = """
            Swift runtime failure: arithmetic overflow
            /<compiler-generated>:0:0
            $e4trap6LedgerO3addyS2i_SitFZ
            /src/Samples/trap/Trap.swift:40:13

            main
            ??:0:0

            """
        let frames = Symbolizer.parse(output, addresses: [1, 2])
        XCTAssertEqual(frames.count, 2)
        XCTAssertEqual(frames[0].locations.map(\.function),
                       ["Swift runtime failure: arithmetic overflow", "$e4trap6LedgerO3addyS2i_SitFZ"])
        XCTAssertNil(frames[0].locations[0].file)
        XCTAssertEqual(frames[0].locations[1].file, "/src/Samples/trap/Trap.swift")
        XCTAssertEqual(frames[0].locations[1].line, 40)
        XCTAssertEqual(Symbolizer.runtimeFailure(frames[0]), "arithmetic overflow")
        XCTAssertNil(Symbolizer.runtimeFailure(frames[1]))
        XCTAssertEqual(frames[1].address, 2)
    }

    func testPortableFunctionsSkipPlatformAndStopAtForeignFrames() {
        let at = { (function: String, file: String?) in Symbolizer.Location(function: function, file: file, line: 1, column: 1) }
        let crash = SymbolizedCrash(
            report: CrashReport(imageBase: 0, pc: nil, returnAddresses: [1], report: "swiftlet: abort: x"),
            frames: [
                Symbolizer.Frame(address: 1, locations: [at("swiftlet_platform_abort", "/r/Sources/Platform/Virtio/Exit.swift")]),
                // An unnamed inlined closure and a standard-library helper inside ABI.abort: skipped, not the end.
                Symbolizer.Frame(address: 2, locations: [at("??", "/r/Sources/Runtime/ABI.swift"), at("withUTF8", nil),
                                                         at("Runtime.abort(_:)", "/r/Sources/Runtime/ABI.swift")]),
                Symbolizer.Frame(address: 3, locations: [at("static Trap.run(_:)", "/r/Samples/trap/Trap.swift")]),
                Symbolizer.Frame(address: 4, locations: [at("swift_job_run", nil)]),
                Symbolizer.Frame(address: 5, locations: [at("runForever", "/r/Sources/Runtime/Executor.swift")]),
            ])
        XCTAssertEqual(crash.portableFunctions(root: "/r"), ["Runtime.abort(_:)", "static Trap.run(_:)"])
        XCTAssertNil(crash.runtimeFailure, "an abort has no pc, so no runtime failure")
    }

    func testSwiftNamesResolveToSymbols() {
        let table = SymbolTable(functions: [
            .init(symbol: "$e4trap6LedgerO3addyS2i_SitFZ",
                  demangled: "static trap.Ledger.add(Swift.Int, Swift.Int) -> Swift.Int"),
            .init(symbol: "$e4trap4TrapV3runys5Int32V7Runtime13BootArgumentsVYaFZ",
                  demangled: "static trap.Trap.run(Runtime.BootArguments) async -> Swift.Int32"),
            .init(symbol: "$e4trap4TrapV3runys5Int32V7Runtime13BootArgumentsVYaFZTY0_",
                  demangled: "(1) suspend resume partial function for static trap.Trap.run(Runtime.BootArguments) async -> Swift.Int32"),
            .init(symbol: "$e4trap1xyyFyycfU_", demangled: "closure #1 () -> () in trap.x() -> ()"),
            .init(symbol: "virtio_trap", demangled: "virtio_trap"),
        ])
        XCTAssertEqual(table.resolve("Ledger.add").map(\.symbol), ["$e4trap6LedgerO3addyS2i_SitFZ"])
        XCTAssertEqual(table.resolve("trap.Ledger.add").map(\.symbol), ["$e4trap6LedgerO3addyS2i_SitFZ"])
        XCTAssertEqual(table.resolve("add").map(\.symbol), ["$e4trap6LedgerO3addyS2i_SitFZ"])
        XCTAssertEqual(table.resolve("Ledger.add(Swift.Int, Swift.Int)").map(\.symbol), ["$e4trap6LedgerO3addyS2i_SitFZ"])
        // The async entry, not its resume partial functions.
        XCTAssertEqual(table.resolve("Trap.run").map(\.symbol), ["$e4trap4TrapV3runys5Int32V7Runtime13BootArgumentsVYaFZ"])
        XCTAssertEqual(table.appEntry(module: "trap")?.symbol, "$e4trap4TrapV3runys5Int32V7Runtime13BootArgumentsVYaFZ")
        XCTAssertEqual(table.resolve("virtio_trap").map(\.symbol), ["virtio_trap"])
        XCTAssertTrue(table.resolve("Ledger.sub").isEmpty)
        XCTAssertTrue(table.resolve("dd").isEmpty, "a name matches whole components only")
    }

    // MARK: images, both modes

    func skipUnlessImages() throws {
        if ProcessInfo.processInfo.environment["SWIFTLET_SKIP_DUAL_MODE"] == "1" {
            throw XCTSkip("SWIFTLET_SKIP_DUAL_MODE=1")
        }
        try XCTSkipIf(Subprocess.which("make") == nil, "building images needs make")
        try XCTSkipIf(Subprocess.which("qemu-system-x86_64") == nil, "prod runs need qemu-system-x86_64 (./swiftlet setup)")
    }

    let quiet = Log(verbose: false, output: { _ in })

    /// Runs `app` with `arguments` in `target` and symbolizes its crash report.
    func crash(_ app: String, _ target: Target, _ arguments: [String], status: Int32,
               profile: BuildProfile = .release) throws -> SymbolizedCrash {
        let resolved = try App.resolve(app, in: testProject)
        let image = try Builder(project: testProject, log: quiet, profile: profile).build(resolved, target: target, quiet: true)
        var request = RunRequest(image: image, target: target, bootArguments: arguments)
        request.capture = true
        request.timeout = 120
        let outcome = try ImageRunner(log: quiet).run(request)
        XCTAssertEqual(outcome.status, status, "\(app) \(target) \(arguments):\n\(outcome.console)")
        let lines = Transcript.lines(of: outcome.console)
        XCTAssertTrue(lines.last?.hasPrefix("swiftlet: ") ?? false, "the report stays the last line:\n\(outcome.console)")
        let crash = try XCTUnwrap(try SymbolizedCrash.from(console: lines, image: image), "no backtrace:\n\(outcome.console)")
        print("[\(target.rawValue)] \(app) \(arguments.joined(separator: " ")):\n"
              + crash.lines(image: image, root: testProject.root).joined(separator: "\n"))
        return crash
    }

    func testTrapSampleNamesTheRuntimeFailureAndItsCallersInBothModes() throws {
        try skipUnlessImages()
        let cases: [(argument: String, failure: String, top: [String])] = [
            ("kind=overflow", "arithmetic overflow",
             ["static Ledger.add(_:_:)", "static Ledger.total(_:)", "static Trap.run(_:)"]),
            ("kind=index", "Index out of range", ["static Ledger.entry(_:at:)", "static Trap.run(_:)"]),
            ("kind=nil", "Unexpectedly found nil while unwrapping an Optional value",
             ["static Ledger.first(_:)", "static Trap.run(_:)"]),
        ]
        for (argument, failure, top) in cases {
            var seen: [Target: [String]] = [:]
            for target in Target.allCases {
                let crash = try crash("trap", target, [argument], status: 252)
                XCTAssertEqual(crash.runtimeFailure, failure, "\(target) \(argument)")
                let functions = crash.portableFunctions(root: testProject.root)
                XCTAssertEqual(Array(functions.prefix(top.count)), top, "\(target) \(argument)")
                XCTAssertTrue(crash.lines(image: "x", root: testProject.root)
                    .contains { $0.contains("Samples/trap/Trap.swift:") }, "file and line are printed")
                seen[target] = functions
            }
            XCTAssertEqual(seen[.posix], seen[.virtio], "both modes print the same frames for \(argument)")
        }
    }

    func testFaultSampleAndAbortNameTheirFunctionsInBothModes() throws {
        try skipUnlessImages()
        var fault: [Target: [String]] = [:]
        var abort: [Target: [String]] = [:]
        for target in Target.allCases {
            let memory = try crash("fault", target, [], status: 254)
            XCTAssertNil(memory.runtimeFailure)
            fault[target] = memory.portableFunctions(root: testProject.root)
            XCTAssertEqual(fault[target]?.first, "static Fault.run(_:)", "\(target)")
            let aborted = try crash("trap", target, ["kind=abort"], status: 255)
            abort[target] = aborted.portableFunctions(root: testProject.root)
            XCTAssertTrue(abort[target]?.contains("static Trap.run(_:)") ?? false, "\(target): \(abort[target] ?? [])")
        }
        XCTAssertEqual(fault[.posix], fault[.virtio])
        XCTAssertEqual(abort[.posix], abort[.virtio])
    }

    func debugSession(_ target: Target, breakAt names: [String], arguments: [String] = [],
                      commands: String? = nil) throws -> DebugOutcome {
        try XCTSkipIf(Subprocess.which("gdb") == nil, "swiftlet debug needs gdb (./swiftlet setup installs it)")
        let app = try App.resolve("trap", in: testProject)
        let image = try Builder(project: testProject, log: quiet, profile: .debug).build(app, target: target, quiet: true)
        var request = DebugRequest(app: app, image: image, target: target, bootArguments: arguments)
        request.breakpoints = names
        request.printBacktrace = true
        request.capture = true
        request.timeout = 120
        var file: String?
        if let commands {
            file = NSTemporaryDirectory() + "swiftlet-debug-test-\(getpid()).gdb"
            try commands.write(toFile: file!, atomically: true, encoding: .utf8)
        }
        defer { if let file { try? FileManager.default.removeItem(atPath: file) } }
        request.commandsFile = file
        let outcome = try Debugger(project: testProject, log: quiet).run(request)
        print("[\(target.rawValue)] swiftlet debug trap --break \(names.joined(separator: ",")): status \(outcome.status)\n"
              + outcome.output)
        return outcome
    }

    func testDebuggerBreaksOnASwiftNameAndPrintsBacktraceAndLocalsInBothModes() throws {
        try skipUnlessImages()
        for target in Target.allCases {
            // `up` + `info locals`: the caller's local variables (sum is 0 before the first addition).
            let outcome = try debugSession(target, breakAt: ["Ledger.add"], commands: "up\ninfo locals\n")
            XCTAssertEqual(outcome.status, 0, "\(target)")
            let text = outcome.output
            XCTAssertTrue(text.contains("swiftlet: stopped at Ledger.add"), "\(target)")
            let backtrace = text.components(separatedBy: "swiftlet: backtrace:").last ?? ""
            for function in ["static Ledger.add(_:_:)", "static Ledger.total(_:)", "static Trap.run(_:)"] {
                XCTAssertTrue(backtrace.contains(function), "\(target): \(function) missing from the backtrace")
            }
            XCTAssertTrue(text.contains("amount = 9223372036854775806"), "\(target): the argument's value")
            XCTAssertTrue(text.contains("sum = 0"), "\(target): the caller's local variable")
        }
    }

    func testDebuggerSaysWhenTheBreakpointIsNeverHit() throws {
        try skipUnlessImages()
        // kind=overflow never calls Ledger.entry: the app traps and ends first (dev only: the same Python code
        // decides for prod, where the end is QEMU closing the connection).
        let outcome = try debugSession(.posix, breakAt: ["Ledger.entry"])
        XCTAssertEqual(outcome.status, Debugger.neverHitStatus)
        XCTAssertTrue(outcome.output.contains("swiftlet: Ledger.entry was never hit"), outcome.output)
    }

    func testDebuggerRejectsAnUnknownName() throws {
        try skipUnlessImages()
        XCTAssertThrowsError(try debugSession(.posix, breakAt: ["Ledger.nothing"])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("no function of trap is named 'Ledger.nothing'"), text)
            XCTAssertEqual((error as? SwiftletError)?.status, 2)
        }
    }
}
