import _Concurrency

/// An app: the type marked `@main`, with an async `run` that returns the exit status.
///
/// ```swift
/// import Runtime
///
/// @main
/// struct Hello: Application {
///     static func run(_ arguments: BootArguments) async -> Int32 {
///         print("hello")
///         return 0
///     }
/// }
/// ```
/// The protocol supplies `main()`, which starts the platform, parses the boot
/// arguments, runs `run` as the root task on Swiftlet's executor and exits
/// with its status (0...255, unchanged to the caller of `swiftlet run`).
public protocol Application {
    /// The app's body. Its return value is the unikernel's exit status.
    static func run(_ arguments: BootArguments) async -> Int32
}

extension Application {
    /// The process / kernel entry point that `@main` calls.
    public static func main() {
        Runtime.launch { arguments in await Self.run(arguments) }
    }
}

/// Starting and stopping the unikernel.
public enum Runtime {
    /// The boot arguments, once launched.
    nonisolated(unsafe) public private(set) static var arguments = BootArguments()
    /// The heap region malloc serves from, as the platform reported it at start (prod: RAM above the image;
    /// dev: the arena the tender mapped). Its use: ``heapInUse()``, ``heapHighWater()``.
    nonisolated(unsafe) public private(set) static var heap: (start: UInt, size: Int) = (0, 0)
    /// When ``launch(_:)`` had parsed the boot arguments: log timestamps and uptime count from here.
    nonisolated(unsafe) public private(set) static var launched = Instant(nanoseconds: 0)

    /// How many times the root task yields after `run` returned, so ready tasks finish what they were asked to
    /// do (the poll task's last frames) before the exit.
    static let exitDrainRounds = 4

    /// Starts the platform, then runs `body` as the root task; exits with its status.
    public static func launch(_ body: @escaping (BootArguments) async -> Int32) -> Never {
        let info = ABI.start()
        heap = (info.heapStart, info.heapSize)
        do throws(MalformedBootArgument) {
            arguments = try BootArguments(parsing: info.commandLine)
        } catch {
            // Three writes, not an interpolation: the same line for less code on a path every image links.
            Console.write("swiftlet: malformed boot argument '")
            Console.write(error.word)
            Console.writeLine("': expected key=value")
            ABI.exit(ExitStatus.usage)
        }
        // Log, Metrics and the profiler are pay-for-use (docs/OBSERVABILITY.md, "Cost"): nothing of them here but
        // the launch instant and the features the link chose (LinkedFeatures.swift).
        launched = Instant.now
        LinkedFeatures.start()
        let parsed = arguments
        Task {
            let status = await body(parsed)
            // Work the app left ready runs before the exit: a socket closed just before `run` returned has only
            // kicked the network stack's poll task, which sends the FIN (or the last datagram) when it runs. A
            // unikernel cannot linger like a kernel socket, so this is bounded: a few rounds of whatever is ready,
            // never a wait for a timer or a device.
            for _ in 0..<exitDrainRounds { await Task.yield() }
            ABI.exit(status)
        }
        Executor.shared.runForever()
    }

    /// Ends the unikernel now with `status` (0...255), flushing the console first.
    public static func exit(_ status: Int32) -> Never { ABI.exit(status) }

    /// Ends the unikernel with ``ExitStatus/abort`` after printing `swiftlet: abort: <message>`.
    public static func abort(_ message: String) -> Never { ABI.abort(message) }
}
