// swift-tools-version:5.10
// Swiftlet's host-side package: the `swiftlet` command and its library.
//
// Only host tools live here. The libOS itself (Sources/Runtime, Sources/Net,
// Sources/Platform, Sources/ABI) is Embedded Swift and is built by
// mk/image.mk, never by SwiftPM: every target below names its `path:`
// explicitly so SwiftPM does not pick those folders up.
import PackageDescription

let package = Package(
    name: "Swiftlet",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "swiftlet", targets: ["SwiftletCLI"]),
        .library(name: "SwiftletKit", targets: ["SwiftletKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "SwiftletKit",
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
        .testTarget(
            name: "SwiftletTests",
            dependencies: ["SwiftletKit"],
            path: "Tests/SwiftletTests"
        ),
    ]
)
