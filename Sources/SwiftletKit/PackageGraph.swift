import Foundation

/// A library module an app package's image compiles in besides the libOS (docs/PACKAGES.md §3): a library target of
/// the app's own package, or of a package it depends on, that the executable target needs directly or through
/// other modules.
public struct PackageModule: Equatable, Sendable {
    /// The module name (the target's `c99name`).
    public var name: String
    /// Absolute paths of its Swift sources.
    public var sources: [String]

    public init(name: String, sources: [String]) {
        self.name = name
        self.sources = sources
    }
}

/// The part of `swift package describe --type json` that decides what an image compiles.
struct DescribedPackage: Decodable {
    struct Dependency: Decodable {
        var identity: String
        var path: String?
    }
    struct Product: Decodable {
        var name: String
        var targets: [String]
    }
    struct Target: Decodable {
        var name: String
        var c99name: String
        var module_type: String
        var path: String
        var sources: [String]?
        var type: String
        var target_dependencies: [String]?
        var product_dependencies: [String]?
    }
    var name: String
    var path: String
    var dependencies: [Dependency]?
    var products: [Product]?
    var targets: [Target]
}

/// Finds the library modules an app package's executable target needs (``PackageModule``), in an order in which
/// each comes after the modules it imports, by reading `swift package describe` for the app's package and, when
/// needed, for the packages it depends on (their paths from `swift package show-dependencies`).
///
/// The libOS products (``PackageApp/libOSProducts``) are not modules here: mk/image.mk compiles them from this
/// checkout. C targets, system libraries and binary targets cannot be compiled into an image and are refused by name.
struct PackageGraph {
    /// Reads a package's description; the closure lets tests feed JSON without running SwiftPM.
    var describe: (_ packagePath: String) throws -> DescribedPackage
    /// Paths of every package in the dependency graph of the root (the root excluded).
    var dependencyPaths: () throws -> [String]

    private var described: [String: DescribedPackage] = [:]
    private var packagePaths: [String]?

    init(describe: @escaping (String) throws -> DescribedPackage, dependencyPaths: @escaping () throws -> [String]) {
        self.describe = describe
        self.dependencyPaths = dependencyPaths
    }

    /// The modules `executable` of `root` needs, dependencies first.
    /// - Throws: ``SwiftletError`` (status 2) for a dependency an image cannot contain or a product no package has.
    mutating func modules(of executable: String, in root: DescribedPackage) throws -> [PackageModule] {
        var order: [PackageModule] = []
        var done: Set<String> = []
        var visiting: Set<String> = []
        guard let target = root.targets.first(where: { $0.name == executable }) else {
            throw SwiftletError("target \(executable) is not in \(root.path)/Package.swift", remedy: "check its name")
        }
        try visitDependencies(of: target, in: root, order: &order, done: &done, visiting: &visiting)
        return order
    }

    private mutating func visitDependencies(of target: DescribedPackage.Target, in package: DescribedPackage,
                                            order: inout [PackageModule], done: inout Set<String>,
                                            visiting: inout Set<String>) throws {
        for name in target.target_dependencies ?? [] {
            guard let dependency = package.targets.first(where: { $0.name == name }) else { continue }
            try visit(dependency, in: package, order: &order, done: &done, visiting: &visiting)
        }
        for product in target.product_dependencies ?? [] where !PackageApp.libOSProducts.contains(product) {
            let (owner, targets) = try self.product(named: product, wantedBy: target.name)
            for name in targets {
                guard let dependency = owner.targets.first(where: { $0.name == name }) else { continue }
                try visit(dependency, in: owner, order: &order, done: &done, visiting: &visiting)
            }
        }
    }

    private mutating func visit(_ target: DescribedPackage.Target, in package: DescribedPackage,
                                order: inout [PackageModule], done: inout Set<String>,
                                visiting: inout Set<String>) throws {
        let key = package.path + "#" + target.name
        if done.contains(key) { return }
        guard visiting.insert(key).inserted else { return }  // SwiftPM refuses cycles; never loop here either.
        guard target.module_type == "SwiftTarget", target.type == "library" else {
            let kind = target.module_type == "ClangTarget" ? "a C/C++ target" : "a \(target.module_type) (\(target.type))"
            throw SwiftletError("module \(target.name) (\(package.path)) is \(kind); an image compiles only Swift library "
                                + "targets (Embedded Swift) besides the libOS",
                                remedy: "depend on a pure-Swift package, or move the code into a Swift target", status: 2)
        }
        try visitDependencies(of: target, in: package, order: &order, done: &done, visiting: &visiting)
        let directory = target.path.hasPrefix("/") ? target.path : package.path + "/" + target.path
        let sources = (target.sources ?? []).filter { $0.hasSuffix(".swift") }.map { directory + "/" + $0 }
        guard !sources.isEmpty else {
            throw SwiftletError("module \(target.name) (\(package.path)) has no Swift sources",
                                remedy: "give the target Swift sources or drop the dependency", status: 2)
        }
        order.append(PackageModule(name: target.c99name, sources: sources))
        visiting.remove(key)
        done.insert(key)
    }

    /// The package that vends product `name`, and the product's targets.
    private mutating func product(named name: String, wantedBy target: String) throws
        -> (DescribedPackage, [String])
    {
        if packagePaths == nil { packagePaths = try dependencyPaths() }
        for path in packagePaths ?? [] {
            if described[path] == nil { described[path] = try describe(path) }
            if let package = described[path], let product = package.products?.first(where: { $0.name == name }) {
                return (package, product.targets)
            }
        }
        throw SwiftletError("target \(target) depends on product \(name), which no package in the dependency graph vends",
                            remedy: "run swift package resolve in the app package and check the product's name", status: 2)
    }
}

extension PackageGraph {
    /// The graph of the package at `root`, read with `swift` (scratch files under `<root>/.build-swiftlet/manifest`,
    /// so a `swift build` the user runs is never locked out).
    static func reading(root: String, swift: String) -> PackageGraph {
        let scratch = root + "/.build-swiftlet/manifest"
        return PackageGraph(
            describe: { path in try describePackage(path, swift: swift, scratch: scratch) },
            dependencyPaths: { try showDependencies(root, swift: swift, scratch: scratch) })
    }

    /// `swift package describe --type json` for the package at `path`.
    static func describePackage(_ path: String, swift: String, scratch: String) throws -> DescribedPackage {
        let output = try runSwiftPackage(swift, ["describe", "--type", "json"], path: path, scratch: scratch)
        do {
            return try JSONDecoder().decode(DescribedPackage.self, from: Data(output))
        } catch {
            throw SwiftletError("cannot read swift package describe for \(path): \(error)",
                                remedy: "check that the swift on PATH is Swift 6.1 or newer")
        }
    }

    /// Every package path in `swift package show-dependencies --format json` below the root.
    static func showDependencies(_ root: String, swift: String, scratch: String) throws -> [String] {
        struct Node: Decodable {
            var path: String
            var dependencies: [Node]
        }
        let output = try runSwiftPackage(swift, ["show-dependencies", "--format", "json"], path: root, scratch: scratch)
        // SwiftPM may print progress lines ("Fetching ...") before the JSON.
        let start = output.firstIndex(of: UInt8(ascii: "{")) ?? output.startIndex
        let tree: Node
        do {
            tree = try JSONDecoder().decode(Node.self, from: Data(output[start...]))
        } catch {
            throw SwiftletError("cannot read swift package show-dependencies for \(root): \(error)",
                                remedy: "run swift package resolve in \(root) and try again")
        }
        var paths: [String] = []
        var queue = tree.dependencies
        while !queue.isEmpty {
            let node = queue.removeFirst()
            if !paths.contains(node.path) { paths.append(node.path) }
            queue += node.dependencies
        }
        return paths
    }

    /// Runs `swift package ARGUMENTS` for the package at `path` and returns its standard output.
    /// - Parameter failure: the error for a failed run, given SwiftPM's first error line (`": ..."` or empty);
    ///   by default one that names the subcommand and says how to see why.
    static func runSwiftPackage(_ swift: String, _ arguments: [String], path: String, scratch: String,
                                failure: ((String) -> SwiftletError)? = nil) throws -> [UInt8] {
        // The global options go before the subcommand: `describe` refuses them after it.
        var command = Subprocess([swift, "package", "--package-path", path, "--scratch-path", scratch] + arguments)
        command.stdout = .capture
        command.stderr = .capture
        command.nullStdin = true
        let result = try command.run()
        guard result.termination == .exited(0) else {
            let detail = result.stderrText.split(separator: "\n").first(where: { $0.contains("error") })
                .map { ": " + $0.trimmingCharacters(in: .whitespaces) } ?? ""
            throw failure?(detail) ?? SwiftletError(
                "swift package \(arguments[0]) failed for \(path)\(detail)",
                remedy: "run swift package \(arguments.joined(separator: " ")) --package-path \(path) "
                    + "to see why (a remote dependency needs the network once, to resolve)")
        }
        return result.stdout
    }
}
