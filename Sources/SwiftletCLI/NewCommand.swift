import ArgumentParser
import Foundation
import SwiftletKit

extension PackageTemplate: ExpressibleByArgument {}

/// `swiftlet new NAME [--template hello|http|kv] [--path DIR]`: an app package outside the checkout.
struct New: StatusCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make an app package (its own Package.swift depending on Swiftlet) outside the checkout.",
        discussion: """
            The package has an executable target Sources/<Name> with the app, its tests (run by swiftlet test .) \
            and its device manifest, a Package.swift that depends on this checkout with the Embedded trait, and a \
            three-line README. swift build type-checks it; swiftlet build|run|test . builds the images. \
            docs/PACKAGES.md.
            """)

    @Argument(help: "The package's name and folder (a letter, then letters, digits, - and _).")
    var name: String

    @Option(name: .long, help: "hello (no devices), http (a net device) or kv (net and block devices).")
    var template: PackageTemplate = .hello

    @Option(name: .long, help: "The folder to make it in (default: the current directory).")
    var path: String?

    func execute() throws -> Int32 {
        let project = try Project.locate()
        let current = FileManager.default.currentDirectoryPath
        let parent = path.map { $0.hasPrefix("/") ? $0 : current + "/" + $0 } ?? current
        let made = try NewPackage(project: project, name: name, template: template, parent: parent).create()
        let test = ([project.root + "/swiftlet", "test", "."] + template.testOptions).joined(separator: " ")
        Log(verbose: false).progress("made \(made) (\(template.rawValue)); try: cd \(made) && \(test)")
        Log.standardOutput(made)
        return 0
    }
}
