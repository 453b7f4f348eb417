import XCTest
@testable import SwiftletKit

/// docs/PACKAGES.md §3: which library modules an app package's image compiles in, and in what order.
final class PackageGraphTests: XCTestCase {
    typealias Target = DescribedPackage.Target

    func target(_ name: String, type: String = "library", module: String = "SwiftTarget", targets: [String] = [],
                products: [String] = [], sources: [String]? = nil) -> Target {
        Target(name: name, c99name: name.replacingOccurrences(of: "-", with: "_"), module_type: module,
               path: "Sources/" + name, sources: sources ?? [name + ".swift"], type: type,
               target_dependencies: targets, product_dependencies: products)
    }

    func package(_ path: String, products: [(String, [String])] = [], _ targets: [Target]) -> DescribedPackage {
        DescribedPackage(name: (path as NSString).lastPathComponent, path: path, dependencies: [],
                         products: products.map { DescribedPackage.Product(name: $0.0, targets: $0.1) }, targets: targets)
    }

    /// The app's own library target, which uses a product of another package, which has an internal target:
    /// every module once, each after what it imports; libOS products are not modules.
    func testModulesComeInDependencyOrder() throws {
        let app = package("/app", [
            target("App", type: "executable", targets: ["Greeting", "Util"], products: ["Runtime", "Net"]),
            target("Greeting", targets: ["Util"], products: ["Shout"]),
            target("Util"),
        ])
        let shout = package("/deps/shout", products: [("Shout", ["Shout"])], [
            target("Shout", targets: ["ShoutCore"], sources: ["Shout.swift", "README.md", "More.swift"]),
            target("ShoutCore"),
            target("ShoutTests", type: "test"),
        ])
        var described: [String] = []
        var graph = PackageGraph(describe: { path in
            described.append(path)
            return path == "/deps/shout" ? shout : self.package(path, [])
        }, dependencyPaths: { ["/deps/swiftlet", "/deps/shout"] })
        let modules = try graph.modules(of: "App", in: app)
        XCTAssertEqual(modules.map(\.name), ["Util", "ShoutCore", "Shout", "Greeting"])
        XCTAssertEqual(modules[2].sources, ["/deps/shout/Sources/Shout/Shout.swift", "/deps/shout/Sources/Shout/More.swift"])
        XCTAssertEqual(described, ["/deps/swiftlet", "/deps/shout"], "each package described once, when needed")
    }

    /// Only libOS products: no package is described at all.
    func testLibOSOnlyNeedsNoDescriptions() throws {
        let app = package("/app", [target("App", type: "executable", products: ["Runtime", "Store"])])
        var graph = PackageGraph(describe: { _ in XCTFail("described"); return self.package("/x", []) },
                                 dependencyPaths: { XCTFail("resolved"); return [] })
        XCTAssertEqual(try graph.modules(of: "App", in: app), [])
    }

    func testWhatAnImageCannotContainIsRefusedByName() {
        func problem(_ app: DescribedPackage, _ dependency: DescribedPackage? = nil) -> String {
            var graph = PackageGraph(describe: { _ in dependency ?? self.package("/none", []) },
                                     dependencyPaths: { dependency.map { [$0.path] } ?? [] })
            do {
                _ = try graph.modules(of: "App", in: app)
                return "accepted"
            } catch let error as SwiftletError {
                return error.problem
            } catch {
                return "\(error)"
            }
        }
        let usesC = package("/app", [target("App", type: "executable", targets: ["CLib"]), target("CLib", module: "ClangTarget")])
        XCTAssertTrue(problem(usesC).hasPrefix("module CLib (/app) is a C/C++ target"), problem(usesC))
        let missing = package("/app", [target("App", type: "executable", products: ["Nowhere"])])
        XCTAssertTrue(problem(missing).contains("depends on product Nowhere, which no package"), problem(missing))
        let empty = package("/app", [target("App", type: "executable", targets: ["Docs"]), target("Docs", sources: ["x.md"])])
        XCTAssertTrue(problem(empty).hasPrefix("module Docs (/app) has no Swift sources"), problem(empty))
    }

    func testTheMakefileListsModulesInOrderAndRefusesPathsMakeCannotTake() throws {
        let text = try Builder.modulesMakefile([PackageModule(name: "Util", sources: ["/a/U.swift"]),
                                                PackageModule(name: "Greeting", sources: ["/a/G.swift", "/a/H.swift"])])
        XCTAssertTrue(text.contains("PACKAGE_MODULE_NAMES := Util Greeting\n"), text)
        XCTAssertTrue(text.contains("PACKAGE_MODULE_SRC_Greeting := /a/G.swift /a/H.swift\n"), text)
        XCTAssertThrowsError(try Builder.modulesMakefile([PackageModule(name: "X", sources: ["/my dir/X.swift"])]))
        let app = App(directory: "/p/Sources/A", name: "A", packageDirectory: "/p",
                      modules: [PackageModule(name: "Util", sources: ["/p/Sources/Util/U.swift"])])
        let command = Builder(project: testProject, log: Log(verbose: false)).makeCommand(app, target: .posix)
        XCTAssertTrue(command.contains("PACKAGE_MODULES=/p/.build-swiftlet/posix/A/modules.mk"), "\(command)")
    }
}
