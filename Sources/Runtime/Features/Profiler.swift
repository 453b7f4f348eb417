/// The sampling profiler's start (docs/PROFILING.md): compiled with the app only when the image is built with the
/// profiler (mk/image.mk `PROFILER=1`, which `swiftlet profile` passes), so no other image contains it; not part of
/// module Runtime, whose optimiser would otherwise fold this code's closures and task into launch's and cost every
/// image bytes. `swiftlet_features.h` (Sources/ABI/include) calls `swiftlet_feature_profiler` at launch through a weak
/// reference that this file's definition satisfies.
import Runtime
import SwiftletABI

enum SamplingProfiler {
    /// `profile.seconds`.
    nonisolated(unsafe) static var span = 0

    /// Starts the platform's sampler when the boot arguments ask for it; a bad value ends the run with status 2.
    /// `profile.seconds=N` (in both modes: dev's `perf record` ends with the process) ends the run with status 0
    /// after N seconds, dumping the samples first.
    static func start(from arguments: BootArguments) {
        if let text = arguments["profile.seconds"] {
            guard let seconds = Int(text), seconds > 0 else {
                Console.writeLine("swiftlet: bad profile.seconds '\(text)': a whole number of seconds above 0")
                Runtime.exit(ExitStatus.usage)
            }
            // For a server that never returns: stop after the span (exit dumps the samples).
            span = seconds
            Task {
                try? await sleep(for: .seconds(SamplingProfiler.span))
                Log.runtime.info("profile.seconds=\(SamplingProfiler.span) reached: exiting")
                Runtime.exit(0)
            }
        }
        guard let text = arguments["profile"] else { return }
        guard let hz = UInt32(text), (1...10_000).contains(hz) else {
            Console.writeLine("swiftlet: bad profile setting '\(text)': samples per second, 1...10000")
            Runtime.exit(ExitStatus.usage)
        }
        switch swiftlet_platform_profile_start(hz) {
        case SWIFTLET_R_OK:
            ABI.beforeExit = {
                Console.flush()
                swiftlet_platform_profile_dump()
            }
            Log.runtime.info("profiling at \(hz) samples per second")
        case SWIFTLET_R_INVALID:
            Console.writeLine("swiftlet: bad profile setting '\(text)': the platform refused it")
            Runtime.exit(ExitStatus.usage)
        default:
            Log.runtime.warning("profile= samples only in prod (--target virtio); in dev use perf (swiftlet profile)")
        }
    }
}

@_cdecl("swiftlet_feature_profiler")
public func swiftlet_feature_profiler() {
    SamplingProfiler.start(from: Runtime.arguments)
}
