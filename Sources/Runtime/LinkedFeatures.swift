import SwiftletABI

/// Optional features chosen when the image is linked, not by the app's code: today the sampling profiler
/// (``Profiler``). `swiftlet_features.h` (Sources/ABI/include) holds one weak reference per feature; the build
/// compiles a feature's source (`Sources/Runtime/Features/`) with the app only when asked (`PROFILER=1`, which
/// `swiftlet profile` passes), so an image built without it contains none of its code. Such an image ignores
/// `profile=`; `swiftlet run` and `swiftlet image` refuse the word and point to `swiftlet profile`
/// (SwiftletKit `BootArgumentCheck`).
enum LinkedFeatures {
    /// Starts what the link included; called once by ``Runtime/launch(_:)``, after the boot arguments are parsed.
    @inline(__always)
    static func start() { swiftlet_start_linked_features() }
}
