/// {{Name}}: prints a greeting (boot argument `name=...`), sleeps 100 ms, exits 0.
import Runtime

/// The greeting line, for `name` (or the world).
func greeting(for name: String?) -> String {
    "Hello from {{Name}}, \(name ?? "world")!"
}

@main
struct {{Target}}App: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print(greeting(for: arguments["name"]))
        try? await sleep(for: .milliseconds(100))
        return 0
    }
}
