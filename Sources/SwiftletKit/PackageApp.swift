import Foundation

/// An app that is a Swift package of its own (docs/PACKAGES.md): a folder with a `Package.swift` that depends on
/// Swiftlet's `Runtime`/`Net`/`Store` products and declares one executable target.
///
/// SwiftPM compiles such a package (type-checking it against the libOS, for `swift build` and SourceKit-LSP) but
/// cannot link an image; `swiftlet build` builds the executable target's folder with mk/image.mk exactly as it builds
/// a sample folder (one code path: ``App`` → ``Builder`` → mk/image.mk), with the app's objects and image kept in
/// the package (`.build-swiftlet/`, `.build-swiftlet-debug/`).
public struct PackageApp: Equatable, Sendable {
    /// Absolute path of the package (the folder holding `Package.swift`).
    public var root: String
    /// The executable target: its name is the app's module and image name.
    public var target: String
    /// Absolute path of the target's sources (its `path:`, else `Sources/<target>`); its `manifest.json` is the
    /// app's device manifest.
    public var sourceDirectory: String
    /// Names of the executable target's dependencies other than the libOS products (targets of this package,
    /// products of other packages): each becomes one or more ``modules``.
    public var dependencyNames: [String] = []
    /// The library modules the image compiles in besides the libOS, dependencies first (``PackageGraph``).
    public var modules: [PackageModule] = []

    /// The libOS products an app's executable target may depend on; mk/image.mk compiles each one the app imports.
    public static let libOSProducts: Set<String> = ["Runtime", "Net", "Store"]

    public init(root: String, target: String, sourceDirectory: String, dependencyNames: [String] = [],
                modules: [PackageModule] = []) {
        self.root = root
        self.target = target
        self.sourceDirectory = sourceDirectory
        self.dependencyNames = dependencyNames
        self.modules = modules
    }

    /// True when `directory` holds a `Package.swift` and is not the Swiftlet checkout itself.
    public static func isPackage(_ directory: String, project: Project) -> Bool {
        let directory = (directory as NSString).standardizingPath
        return directory != project.root
            && FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("Package.swift"))
    }

    /// The app to build: the executable target's folder, named after the target, with its output in the package.
    public var app: App {
        App(directory: sourceDirectory, name: target, packageDirectory: root, modules: modules)
    }

    /// Reads the package's manifest (`swift package dump-package`, which evaluates it without resolving anything)
    /// and finds its one executable target.
    /// When the executable target depends on more than the libOS products, ``PackageGraph`` finds the library
    /// modules to compile in (docs/PACKAGES.md §3).
    /// - Throws: ``SwiftletError`` when swift is missing, the manifest does not evaluate, or the package has no
    ///   executable target, several, or one that depends on something swiftlet cannot build into an image.
    public static func load(_ directory: String) throws -> PackageApp {
        let root = (directory as NSString).standardizingPath
        guard let swift = Subprocess.which("swift") else {
            throw SwiftletError("swift not found on PATH (needed to read \(root)/Package.swift)",
                                remedy: "install Swift 6 and add it to PATH", status: 127)
        }
        // Its own scratch folder: SwiftPM locks .build, and the user may be running `swift build` in the package.
        let manifest = try PackageGraph.runSwiftPackage(swift, ["dump-package"], path: root,
                                                        scratch: root + "/.build-swiftlet/manifest") { detail in
            SwiftletError("\(root)/Package.swift does not evaluate\(detail)",
                          remedy: "fix it (swift package dump-package --package-path \(root) shows the errors)")
        }
        var app = try parse(dumpedManifest: manifest, root: root)
        if !app.dependencyNames.isEmpty {
            // Other modules to compile in: the whole graph, from SwiftPM's own description of it.
            var graph = PackageGraph.reading(root: root, swift: swift)
            let described = try graph.describe(root)
            app.modules = try graph.modules(of: app.target, in: described)
        }
        return app
    }

    /// Finds the executable target in `swift package dump-package` JSON.
    /// - Throws: ``SwiftletError`` as ``load(_:)`` describes.
    public static func parse(dumpedManifest data: [UInt8], root: String) throws -> PackageApp {
        struct Dump: Decodable {
            struct Target: Decodable {
                var name: String
                var type: String
                var path: String?
                var dependencies: [Dependency]
            }
            /// `{"product": [name, package, moduleAliases, condition]}`, `{"byName": [name, condition]}` or
            /// `{"target": [name, condition]}`: only the first element, the name, matters here.
            struct Dependency: Decodable {
                var product: [Element]?
                var byName: [Element]?
                var target: [Element]?
            }
            enum Element: Decodable {
                case string(String)
                case other
                init(from decoder: Decoder) throws {
                    let container = try decoder.singleValueContainer()
                    self = (try? container.decode(String.self)).map(Element.string) ?? .other
                }
                var string: String? { if case .string(let value) = self { return value } else { return nil } }
            }
            var targets: [Target]
        }
        let dump: Dump
        do {
            dump = try JSONDecoder().decode(Dump.self, from: Data(data))
        } catch {
            throw SwiftletError("cannot read the output of swift package dump-package for \(root): \(error)",
                                remedy: "check that the swift on PATH is Swift 6.1 or newer")
        }
        let executables = dump.targets.filter { $0.type == "executable" }
        guard executables.count == 1, let target = executables.first else {
            let names = executables.map(\.name).joined(separator: ", ")
            throw SwiftletError(executables.isEmpty
                ? "\(root)/Package.swift declares no executable target"
                : "\(root)/Package.swift declares several executable targets (\(names))",
                remedy: "an app package has one .executableTarget (see swiftlet new --help)", status: 2)
        }
        let others = target.dependencies.compactMap { dependency -> String? in
            let name = (dependency.product ?? dependency.byName ?? dependency.target)?.first?.string
            return name.flatMap { libOSProducts.contains($0) ? nil : $0 }
        }
        let relative = target.path ?? "Sources/" + target.name
        let sources = ((root as NSString).appendingPathComponent(relative) as NSString).standardizingPath
        guard App.containsSwiftSources(sources) else {
            throw SwiftletError("target \(target.name) of \(root)/Package.swift has no Swift sources in \(sources)",
                                remedy: "put its sources there or set its path:", status: 2)
        }
        return PackageApp(root: root, target: target.name, sourceDirectory: sources, dependencyNames: others)
    }

    /// The folder of a package app's objects and image for `target` and `profile` (mk/image.mk's `APPOUT`): in the
    /// package (`.build-swiftlet/<target>/<app>`, the checkout's layout), never in the checkout's shared output.
    public static func outputDirectory(package: String, app: String, target: Target, profile: BuildProfile,
                                       tests: Bool = false) -> String {
        package + (profile == .release ? "/.build-swiftlet/" : "/.build-swiftlet-debug/") + target.rawValue
            + (tests ? "-tests/" : "/") + app
    }
}

extension PackageApp {
    /// The app `swiftlet build|run|test` mean when none is named: the package in the current directory.
    /// - Throws: ``SwiftletError`` (status 64) when the current directory is not an app package.
    public static func currentDirectorySpec(project: Project,
                                            currentDirectory: String = FileManager.default.currentDirectoryPath)
        throws -> String
    {
        guard isPackage(currentDirectory, project: project) else {
            let why = (currentDirectory as NSString).standardizingPath == project.root ? "the Swiftlet checkout"
                : "no Package.swift"
            throw SwiftletError("no app given, and \(currentDirectory) is not an app package (\(why))",
                                remedy: "name a sample (hello) or a path, or run it in a package made by swiftlet new",
                                status: 64)
        }
        return currentDirectory
    }
}
