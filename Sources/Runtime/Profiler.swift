/// Prod's sampling profiler, as an app sees it (docs/PROFILING.md).
///
/// With the boot argument `profile=HZ` (1...10000) the virtio platform samples the interrupted instruction pointer
/// and a bounded frame-pointer walk HZ times a second from its timer interrupt into a fixed buffer; the samples go
/// to the console as `swiftlet-profile:` lines when the unikernel exits, or when the app calls ``dump()``, and
/// `swiftlet profile` turns them into symbolized folded stacks. With `profile.seconds=N` the app exits with
/// status 0 after N seconds, in either mode (a server that never returns can be profiled for a span). Dev has no
/// such sampler (it keeps `perf`): `profile=` there logs a warning and runs unprofiled.
///
/// Pay-for-use: the code that reads those boot arguments and starts the sampler is
/// `Sources/Runtime/Features/Profiler.swift`, compiled into an image only when it is built with the profiler
/// (`swiftlet profile` does; by hand `make -f mk/image.mk ... PROFILER=1`) and started through the link-time hook
/// of `LinkedFeatures.swift`. An image built without it ignores `profile=` (`swiftlet run` refuses the word).
public enum Profiler {
    /// Whether samples are being taken.
    public static var isRunning: Bool { ABI.beforeExit != nil }

    /// Writes the samples taken so far to the console and empties the buffer (nothing when not running).
    public static func dump() { ABI.beforeExit?() }
}
