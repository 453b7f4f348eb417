/// Boot arguments: what the host passed arrives, and the parser rejects bad words.
import Runtime

func registerBootArgumentTests(_ suite: inout TestSuite) {
    suite.test("bootargs.host-values-arrive") { () throws(TestFailure) in
        try expectEqual(Runtime.arguments["alpha"] ?? "(missing)", "1", "alpha")
        try expectEqual(Runtime.arguments["beta"] ?? "(missing)", "two", "beta")
        try expectEqual(Runtime.arguments.integer("alpha") ?? -1, 1, "alpha as integer")
        try expect(Runtime.arguments["gamma"] == nil, "an absent key has a value")
    }
    suite.test("bootargs.parser-splits-and-keeps-order") { () throws(TestFailure) in
        let parsed: BootArguments
        do throws(MalformedBootArgument) {
            parsed = try BootArguments(parsing: "  a=1 b=x=y  c= a=2 ")
        } catch {
            throw TestFailure("rejected a well-formed line at '\(error.word)'")
        }
        try expectEqual(parsed.count, 4, "pair count")
        try expectEqual(parsed["a"] ?? "", "2", "last a wins")
        try expectEqual(parsed["b"] ?? "", "x=y", "value with '='")
        try expectEqual(parsed["c"] ?? "nil", "", "empty value")
    }
    suite.test("bootargs.parser-rejects-malformed-words") { () throws(TestFailure) in
        for (line, word) in [("a=1 novalue", "novalue"), ("=x", "=x"), ("k=v =", "=")] {
            var rejected: String? = nil
            do throws(MalformedBootArgument) {
                _ = try BootArguments(parsing: line)
            } catch {
                rejected = error.word
            }
            try expectEqual(rejected ?? "(accepted)", word, "rejected word of '\(line)'")
        }
    }
}
