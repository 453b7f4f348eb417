// swift-tools-version:6.1
// Swiftlet as a Swift package: the `swiftlet` command and its library (host tools, full Swift), and the libOS
// modules an app imports (`Runtime`, `Net`, `Store`: Embedded Swift), so that an app can be a package of its own
// that depends on this one (docs/PACKAGES.md).
//
// What SwiftPM does with the libOS: it compiles Runtime and Net (and Store with the `Embedded` trait, and the
// platforms' Swift halves) as Embedded Swift for the host triple, which type-checks them and an app against them
// and gives SourceKit-LSP their interfaces. It never links an image: `swiftlet build` does, through mk/image.mk, the one recipe that compiles
// images (LLVM IR with a section per global, the platform module, the per-target link). Every target names its
// `path:` explicitly.
//
// Sources/Store is built both ways: by default as full Swift without its Runtime adapter, for the host tools
// (`swiftlet store`, the crash tests); with the package trait `Embedded` (what an app's manifest asks for) as
// Embedded Swift with the adapter (`BlockDeviceStore`), as mk/image.mk compiles it into images.
import PackageDescription

/// The language settings of the libOS modules (mk/image.mk's SWIFTFLAGS, less code generation, which only
/// image builds need). SwiftPM adds whole-module optimisation to Embedded targets by itself.
let embedded: [SwiftSetting] = [
    .enableExperimentalFeature("Embedded"),
    .enableExperimentalFeature("Extern"),
]
/// The same, only with the `Embedded` trait (for Sources/Store).
let embeddedWithTrait: [SwiftSetting] = [
    .enableExperimentalFeature("Embedded", .when(traits: ["Embedded"])),
    .enableExperimentalFeature("Extern", .when(traits: ["Embedded"])),
]

let package = Package(
    name: "Swiftlet",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "swiftlet", targets: ["SwiftletCLI"]),
        .library(name: "SwiftletKit", targets: ["SwiftletKit"]),
        .library(name: "Store", targets: ["Store"]),
        // The libOS an app imports (with `traits: ["Embedded"]` on the dependency, so Store is Embedded too).
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "Net", targets: ["Net"]),
    ],
    traits: [
        .trait(name: "Embedded", description: """
            Build Store as Embedded Swift with its Runtime adapter, as an app imports it. Apps turn it on; the \
            host tools (swiftlet store, the store tests) need it off.
            """),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "SwiftletKit",
            dependencies: ["Store"],
            path: "Sources/SwiftletKit"
        ),
        .executableTarget(
            name: "SwiftletCLI",
            dependencies: [
                "SwiftletKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/SwiftletCLI"
        ),
        // The store engine (Sources/Store): for the host tools by default, so they share the unikernel's code;
        // with the `Embedded` trait the libOS module of an app, Runtime adapter included (it is compiled only
        // under Embedded Swift: `#if hasFeature(Embedded)`).
        .target(
            name: "Store",
            dependencies: [.target(name: "Runtime", condition: .when(traits: ["Embedded"]))],
            path: "Sources/Store",
            swiftSettings: embeddedWithTrait
        ),
        // --- The libOS (Embedded Swift; images are built by mk/image.mk) ---
        // The platform ABI header as a Clang module (Sources/ABI/include/module.modulemap).
        .systemLibrary(name: "SwiftletABI", path: "Sources/ABI/include"),
        .target(
            name: "Runtime",
            dependencies: ["SwiftletABI"],
            path: "Sources/Runtime",
            // Features: compiled with the app only when an image asks for them (mk/image.mk PROFILER=1).
            exclude: ["C", "Features"],
            swiftSettings: embedded
        ),
        .target(
            name: "Net",
            dependencies: ["Runtime"],
            path: "Sources/Net",
            exclude: ["README.md", "HTTP/README.md", "TCP/Congestion/README.md"],
            swiftSettings: embedded
        ),
        // The stack's test doubles (VirtualLink, FaultInjector, SoftwareOffload, VirtualClock), as SwiftNIO keeps
        // NIOEmbedded apart from NIO: mk/image.mk compiles them only into test images that import NetTesting, so no
        // app pays for them; no product exports them.
        .target(
            name: "NetTesting",
            dependencies: ["Net", "Runtime"],
            path: "Sources/NetTesting",
            swiftSettings: embedded
        ),
        // The platforms' Swift halves, type-checked only (module names as mk/image.mk gives them). Their C and
        // assembly, built with per-target flags (freestanding, no red zone, our own libc for virtio), and every
        // link are mk/image.mk's alone; no app imports a platform, so no product exports one.
        // The one heap both platforms import (Sources/Platform/Heap; its C API is mk/image.mk's).
        .target(
            name: "PlatformHeap",
            dependencies: ["SwiftletABI"],
            path: "Sources/Platform/Heap",
            exclude: ["C", "README.md"],
            swiftSettings: embedded
        ),
        // The device grammar the tender and the boot words share with the CLI (Sources/DeviceSpec; SwiftletKit
        // compiles the same files as full Swift through the links in Sources/SwiftletKit/DeviceSpec).
        .target(
            name: "DeviceSpec",
            path: "Sources/DeviceSpec",
            swiftSettings: embedded
        ),
        .systemLibrary(name: "SwiftletPosix", path: "Sources/Platform/Posix/C/include"),
        .target(
            name: "Platformposix",
            dependencies: ["SwiftletABI", "SwiftletPosix", "PlatformHeap", "DeviceSpec"],
            path: "Sources/Platform/Posix",
            exclude: ["C", "check", "README.md"],
            swiftSettings: embedded
        ),
        .systemLibrary(name: "VirtioHW", path: "Sources/Platform/Virtio/C/include"),
        .target(
            name: "Platformvirtio",
            dependencies: ["SwiftletABI", "VirtioHW", "PlatformHeap", "DeviceSpec"],
            path: "Sources/Platform/Virtio",
            exclude: ["C", "README.md"],
            swiftSettings: embedded
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store"],
            path: "Tests/StoreTests"
        ),
        .testTarget(
            name: "SwiftletTests",
            dependencies: ["SwiftletKit", "Store"],
            path: "Tests/SwiftletTests"
        ),
        // The store's crash-test support (fault-injecting device, model, workload, sweeps). The same sources are
        // compiled into the dual-mode suite Tests/DualMode/store-crash (Embedded Swift).
        .target(
            name: "StoreCrash",
            dependencies: ["Store"],
            path: "Tests/StoreCrash",
            // Optimised even in debug builds: the sweep reopens the store thousands of times.
            swiftSettings: [.unsafeFlags(["-O"])]
        ),
        .testTarget(
            name: "StoreCrashTests",
            dependencies: ["StoreCrash", "Store"],
            path: "Tests/StoreCrashTests"
        ),
    ],
    swiftLanguageModes: [.v5]
)
