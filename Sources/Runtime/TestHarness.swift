/// The in-image test harness: the same tests run in dev and in prod.
///
/// Tests are registered by calling ``TestSuite/test(_:_:)`` — no reflection —
/// from a ``TestableApplication``'s `tests(_:)`. With the boot argument
/// `swiftlet.test=all` the image runs every test and prints, one line each:
///
///     swiftlet-test: <N> tests
///     ok <name>                      (optionally ending in " [<timing>]")
///     FAIL <name>: <message>
///     fault-test <name> expects <status>
///     <P> passed, <F> failed
///
/// and exits 0 when nothing failed, else 1. A *fault test* must end the
/// unikernel (a memory fault, a CPU trap, an abort): it cannot run in the same
/// image as the others, so `all` only announces it, and the host runs it alone
/// with `swiftlet.test=<name>` and checks the exit status. The host compares
/// the dev and prod transcripts with the `[...]` timing suffixes removed.
public struct TestSuite {
    /// A test body: throws ``TestFailure`` to fail.
    public typealias Body = () async throws(TestFailure) -> Void

    enum Kind {
        case normal(Body)
        case fault(expectedStatus: Int32, body: () async -> Void)
    }

    struct Case {
        var name: String
        var kind: Kind
    }

    var cases: [Case] = []

    public init() {}

    /// Registers a test. Names are dotted words (`clock.monotonic`), unique in the suite.
    public mutating func test(_ name: String, _ body: @escaping Body) {
        cases.append(Case(name: name, kind: .normal(body)))
    }

    /// Registers a test whose body must end the unikernel with `status` (e.g. ``ExitStatus/memoryFault``).
    public mutating func faultTest(_ name: String, expecting status: Int32, _ body: @escaping () async -> Void) {
        cases.append(Case(name: name, kind: .fault(expectedStatus: status, body: body)))
    }

    /// Runs the selection (`all` or one test's name) and returns the exit status.
    public func run(selection: String) async -> Int32 {
        // Names compare byte for byte (not by Unicode canonical equivalence, which would link the stdlib's
        // normalization tables into every testable image; see BootArguments).
        if !selection.utf8.elementsEqual("all".utf8) { return await runOne(selection) }
        print("swiftlet-test: \(cases.count) tests")
        var passed = 0
        var failed = 0
        for testCase in cases {
            switch testCase.kind {
            case .normal(let body):
                let start = Instant.now
                do throws(TestFailure) {
                    try await body()
                    passed += 1
                    print("ok \(testCase.name)\(Self.timing(since: start))")
                } catch {
                    failed += 1
                    print("FAIL \(testCase.name): \(error.message)\(Self.timing(since: start))")
                }
            case .fault(let status, _):
                print("fault-test \(testCase.name) expects \(status)")
            }
        }
        print("\(passed) passed, \(failed) failed")
        return failed == 0 ? 0 : 1
    }

    private func runOne(_ name: String) async -> Int32 {
        guard let testCase = cases.first(where: { $0.name.utf8.elementsEqual(name.utf8) }) else {
            print("FAIL \(name): no such test")
            return 1
        }
        switch testCase.kind {
        case .normal(let body):
            do throws(TestFailure) {
                try await body()
                print("ok \(name)")
                return 0
            } catch {
                print("FAIL \(name): \(error.message)")
                return 1
            }
        case .fault(let status, let body):
            print("fault-test \(name) expects \(status)")
            await body()
            print("FAIL \(name): returned instead of ending the unikernel with status \(status)")
            return 1
        }
    }

    private static func timing(since start: Instant) -> String {
        let elapsed = start.elapsed
        return elapsed.milliseconds >= 1 ? " [\(elapsed.milliseconds) ms]" : ""
    }
}

/// A failed expectation, with what was expected.
public struct TestFailure: Error {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// Fails the current test with `message` unless `condition` holds.
public func expect(
    _ condition: Bool, _ message: @autoclosure () -> String = "expectation failed"
) throws(TestFailure) {
    if !condition { throw TestFailure(message()) }
}

/// Fails the current test unless `actual == expected`, showing both.
public func expectEqual<T: Equatable & CustomStringConvertible>(
    _ actual: T, _ expected: T, _ what: @autoclosure () -> String = "value"
) throws(TestFailure) {
    if actual != expected { throw TestFailure("\(what()): expected \(expected), got \(actual)") }
}

/// Fails the current test unless `actual` and `expected` are the same bytes (UTF-8), showing both.
///
/// Stricter than `String ==` (canonical equivalence: "é" as one scalar or two is equal there, not here), and
/// what transcripts compare anyway; it keeps the stdlib's normalization code and Unicode tables out of a test
/// image that compares no Strings otherwise.
public func expectEqual(
    _ actual: String, _ expected: String, _ what: @autoclosure () -> String = "value"
) throws(TestFailure) {
    if !actual.utf8.elementsEqual(expected.utf8) { throw TestFailure("\(what()): expected \(expected), got \(actual)") }
}

/// An app with tests: `swiftlet test <app>` runs them in both modes with the same harness.
///
/// With the boot argument `swiftlet.test=<all|name>` a *test image* runs its tests instead of `run`; otherwise it
/// behaves as a plain ``Application``. Tests are linked only into test images: mk/image.mk's `TESTS=1` (what
/// `swiftlet test`, and `swiftlet run|debug` given `swiftlet.test=...`, build) compiles the app against Runtime's
/// interface built with `-D SWIFTLET_TESTS`, where this entry point refers to `tests(_:)` and the harness. In an
/// ordinary image nothing refers to them and the linker drops them (docs/BENCHMARKS.md, footprint): such an image
/// given `swiftlet.test=...` says so and exits with ``ExitStatus/usage``.
public protocol TestableApplication: Application {
    /// Registers the app's tests.
    static func tests(_ suite: inout TestSuite)
}

extension TestableApplication {
    /// The entry point `@main` calls: the tests or the app, by boot argument.
    public static func main() {
        Runtime.launch { arguments in
            if let selection = arguments["swiftlet.test"] {
                #if SWIFTLET_TESTS
                var suite = TestSuite()
                tests(&suite)
                return await suite.run(selection: selection)
                #else
                _ = selection
                Console.writeLine("swiftlet: this image has no tests (swiftlet.test=): build it with `swiftlet test`")
                return ExitStatus.usage
                #endif
            }
            return await run(arguments)
        }
    }
}
