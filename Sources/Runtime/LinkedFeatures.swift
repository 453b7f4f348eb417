/// Optional features chosen when the image is linked, not by the app's code: today the sampling profiler
/// (``Profiler``). `Sources/Runtime/C/linked_features.c` holds one weak reference per feature; the build adds a
/// feature's object only when asked (`PROFILER=1`), so an image built without it contains none of its code.
enum LinkedFeatures {
    /// Starts what the link included (called once by ``Runtime/launch(_:)``). `profile=` given to an image without
    /// the profiler ends the run with status 2 and a line that says how to get one, rather than running unprofiled.
    static func start() {
        guard !swiftlet_runtime_start_linked_features(), Runtime.arguments["profile"] != nil else { return }
        Console.writeLine("swiftlet: profile= needs the sampling profiler, which this image was built without: run it with `swiftlet profile` (docs/PROFILING.md)")
        ABI.exit(ExitStatus.usage)
    }
}

@_extern(c, "swiftlet_runtime_start_linked_features")
func swiftlet_runtime_start_linked_features() -> Bool
