/// hello: the first Swiftlet app. Prints a greeting, its boot arguments and
/// the clocks, then runs three concurrent tasks with different sleeps and
/// shows they finish in deadline order. Exits 0.
import Runtime

@main
struct Hello: Application {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("Hello from Swiftlet!")
        print("boot arguments: \(arguments.count)")
        for pair in arguments.pairs {
            print("  \(pair.key) = \(pair.value)")
        }
        let start = Instant.now
        print("wall clock: \(WallClock.now)")
        print("monotonic clock: \(start.nanoseconds > 0 ? "running" : "stopped")")

        let finished = await withTaskGroup(of: String.self) { group in
            for (name, milliseconds) in [("slow", 300), ("fast", 100), ("medium", 200)] {
                group.addTask {
                    try? await sleep(for: .milliseconds(milliseconds))
                    print("task \(name) woke after ~\(milliseconds) ms")
                    return name
                }
            }
            var order: [String] = []
            for await name in group { order.append(name) }
            return order
        }
        print("finish order: \(finished.joined(separator: ", "))")
        print("elapsed: \(start.elapsed.milliseconds >= 300 ? "at least 300 ms" : "too short!")")
        print("goodbye")
        return 0
    }
}
