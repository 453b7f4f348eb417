/// hello: the first Swiftlet app. Prints a greeting, its boot arguments and
/// the clocks, then runs three concurrent tasks with different sleeps and
/// shows they finish in deadline order. Exits 0.
///
/// It also shows how an app tests itself: `tests(_:)` registers tests with
/// the in-image harness, and `./swiftlet test hello` runs them in both modes.
import Runtime

/// The greeting line, for `name` (or the world).
func greeting(for name: String?) -> ConsoleMessage {
    "Hello from Swiftlet, \(name ?? "world")!"
}

/// Runs tasks that sleep for the given milliseconds; returns their names in wake-up order.
func wakeOrder(_ sleepers: [(name: String, milliseconds: Int)]) async -> [String] {
    await withTaskGroup(of: String.self) { group in
        for sleeper in sleepers {
            group.addTask {
                try? await sleep(for: .milliseconds(sleeper.milliseconds))
                print("task \(sleeper.name) woke after ~\(sleeper.milliseconds) ms")
                return sleeper.name
            }
        }
        var order: [String] = []
        for await name in group { order.append(name) }
        return order
    }
}

@main
struct Hello: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print(greeting(for: arguments["name"]))
        print("boot arguments: \(arguments.count)")
        for pair in arguments.pairs {
            print("  \(pair.key) = \(pair.value)")
        }
        let start = Instant.now
        print("wall clock: \(WallClock.now)")
        print("monotonic clock: \(start.nanoseconds > 0 ? "running" : "stopped")")

        let finished = await wakeOrder([("slow", 300), ("fast", 100), ("medium", 200)])
        print("finish order: \(finished.joined(separator: ", "))")
        print("elapsed: \(start.elapsed.milliseconds >= 300 ? "at least 300 ms" : "too short!")")
        print("goodbye")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        suite.test("hello.greets-by-name") { () throws(TestFailure) in
            try expectEqual(greeting(for: "Ada"), "Hello from Swiftlet, Ada!", "greeting")
            try expectEqual(greeting(for: nil), "Hello from Swiftlet, world!", "default greeting")
        }
        suite.test("hello.tasks-wake-in-deadline-order") { () async throws(TestFailure) in
            let order = await wakeOrder([("c", 60), ("a", 20), ("b", 40)])
            try expectEqual(order.joined(separator: ","), "a,b,c", "wake order")
        }
    }
}
