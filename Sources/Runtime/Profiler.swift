import SwiftletABI

/// Prod's sampling profiler, as the libOS sees it (docs/PROFILING.md).
///
/// With the boot argument `profile=HZ` (1...10000) the virtio platform samples the interrupted instruction pointer
/// and a bounded frame-pointer walk HZ times a second from its timer interrupt into a fixed buffer; the samples go
/// to the console as `swiftlet-profile:` lines when the unikernel exits, or when the app calls ``dump()``, and
/// `swiftlet profile` turns them into symbolized folded stacks. With `profile.seconds=N` the app exits with
/// status 0 after N seconds, in either mode (a server that never returns can be profiled for a span). Dev has no such sampler (it keeps `perf`):
/// `profile=` there logs a warning and runs unprofiled.
///
/// Pay-for-use: an image links the profiler only when built with it (`swiftlet profile` does; by hand,
/// `make -f mk/image.mk ... PROFILER=1`), through the link-time feature hook of `LinkedFeatures.swift`. An image
/// built without it refuses `profile=` with a line that says so.
public enum Profiler {
    /// Whether samples are being taken.
    nonisolated(unsafe) public private(set) static var isRunning = false

    /// Starts the platform's sampler when the boot arguments ask for it; a bad value ends the run with status 2.
    /// `profile.seconds=N` (in both modes: dev's `perf record` ends with the process) ends the run with status 0
    /// after N seconds, dumping the samples first.
    public static func start(from arguments: BootArguments) {
        if let text = arguments["profile.seconds"] {
            guard let seconds = Int(text), seconds > 0 else {
                Console.writeLine("swiftlet: bad profile.seconds '\(text)': a whole number of seconds above 0")
                ABI.exit(ExitStatus.usage)
            }
            // For a server that never returns: stop after the span (ABI.exit dumps the samples).
            Task {
                try? await sleep(for: .seconds(seconds))
                Log.runtime.info("profile.seconds=\(seconds) reached: exiting")
                ABI.exit(0)
            }
        }
        guard let text = arguments["profile"] else { return }
        guard let hz = UInt32(text), (1...10_000).contains(hz) else {
            Console.writeLine("swiftlet: bad profile setting '\(text)': samples per second, 1...10000")
            ABI.exit(ExitStatus.usage)
        }
        switch swiftlet_platform_profile_start(hz) {
        case SWIFTLET_R_OK:
            isRunning = true
            ABI.beforeExit = { Profiler.dump() }
            Log.runtime.info("profiling at \(hz) samples per second")
        case SWIFTLET_R_INVALID:
            Console.writeLine("swiftlet: bad profile setting '\(text)': the platform refused it")
            ABI.exit(ExitStatus.usage)
        default:
            Log.runtime.warning("profile= samples only in prod (--target virtio); in dev use perf (swiftlet profile)")
        }
    }

    /// Writes the samples taken so far to the console and empties the buffer (nothing when not running).
    public static func dump() {
        guard isRunning else { return }
        Console.flush()
        swiftlet_platform_profile_dump()
    }
}

/// The profiler's entry for the link-time feature hook (`Sources/Runtime/C/Features/profiler.c` calls it at launch
/// when the image is built with `PROFILER=1`); nothing else refers to it, so other images drop it.
@_cdecl("swiftlet_runtime_profiler_start")
public func swiftlet_runtime_profiler_start() {
    Profiler.start(from: Runtime.arguments)
}
