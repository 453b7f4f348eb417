// swift-tools-version:5.10
// Swiftlet's host-side package: the `swiftlet` command and its library.
//
// Only host tools live here. The libOS itself (Sources/Runtime, Sources/Net,
// Sources/Platform, Sources/ABI) is Embedded Swift and is built by
// mk/image.mk, never by SwiftPM: every target below names its `path:`
// explicitly so SwiftPM does not pick those folders up. The one exception is
// Sources/Store, whose core (everything but Sources/Store/Runtime) imports
// only the standard library and is built both ways.
import PackageDescription

let package = Package(
    name: "Swiftlet",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "swiftlet", targets: ["SwiftletCLI"]),
        .library(name: "SwiftletKit", targets: ["SwiftletKit"]),
        .library(name: "Store", targets: ["Store"]),
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
        // The store engine (Sources/Store) built for the host, so host tools share the unikernel's code;
        // images get it from mk/image.mk together with the Runtime adapter left out here.
        .target(
            name: "Store",
            path: "Sources/Store",
            exclude: ["Runtime"]
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
    ]
)
