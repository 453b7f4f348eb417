/// {{Name}}'s tests: `swiftlet test .` builds the image with them and runs it in dev and prod, comparing the two
/// transcripts (each test prints one line; the run ends with `N passed, N failed`).
import Runtime

extension {{Target}}App {
    static func tests(_ suite: inout TestSuite) {
        suite.test("greeting") { () throws(TestFailure) in
            try expectEqual(greeting(for: "Ada"), "Hello from {{Name}}, Ada!", "greeting by name")
            try expectEqual(greeting(for: nil), "Hello from {{Name}}, world!", "default greeting")
        }
        suite.test("sleep") { () async throws(TestFailure) in
            let start = Instant.now
            try? await sleep(for: .milliseconds(20))
            try expect(start.elapsed.milliseconds >= 20, "slept at least 20 ms")
        }
    }
}
