import Foundation

/// An app to build: a folder of Swift sources and the name its image gets.
public struct App: Equatable, Sendable {
    /// Absolute path of the folder.
    public var directory: String
    /// Image name (`APPNAME=`): the sample's name, `test-<name>` for a dual-mode test folder.
    public var name: String

    /// The package the app is the executable target of (``PackageApp``); nil for a folder such as a sample.
    public var packageDirectory: String?
    /// Library modules of the package's graph to compile in before the app (``PackageGraph``), dependencies first.
    public var modules: [PackageModule]

    public init(directory: String, name: String, packageDirectory: String? = nil, modules: [PackageModule] = []) {
        self.directory = directory
        self.name = name
        self.packageDirectory = packageDirectory
        self.modules = modules
    }

    /// Resolves what the user typed: a sample name (`hello`), a path to a Swift package with one executable
    /// target (``PackageApp``), or a path to a folder of Swift sources (an app, a `Tests/DualMode/<name>` folder).
    /// - Throws: ``SwiftletError`` when it is neither.
    public static func resolve(_ spec: String, in project: Project,
                               currentDirectory: String = FileManager.default.currentDirectoryPath) throws -> App {
        let looksLikePath = spec.contains("/") || spec == "." || spec == ".."
        if !looksLikePath, !spec.isEmpty {
            let sample = project.samplesDirectory + "/" + spec
            if containsSwiftSources(sample) { return App(directory: sample, name: spec) }
        }
        if !spec.isEmpty {
            let absolute = spec.hasPrefix("/") ? spec : currentDirectory + "/" + spec
            let directory = (absolute as NSString).standardizingPath
            if PackageApp.isPackage(directory, project: project) { return try PackageApp.load(directory).app }
            if containsSwiftSources(directory) {
                return App(directory: directory, name: imageName(for: directory, in: project))
            }
        }
        // hello first: it is the one to try.
        let samples = project.sampleNames.sorted { ($0 == "hello" ? 0 : 1, $0) < ($1 == "hello" ? 0 : 1, $1) }
        let examples = samples.isEmpty ? "hello" : samples.prefix(3).joined(separator: ", ") + (samples.count > 3 ? ", ..." : "")
        throw SwiftletError("unknown app '\(spec)'",
                            remedy: "give a sample name (\(examples)), a path to an app package or to a folder with Swift sources")
    }

    /// The image name for a folder: its base name made into a valid module name
    /// (letters, digits, `-`, `_`), prefixed `test-` under `Tests/DualMode/`.
    static func imageName(for directory: String, in project: Project) -> String {
        var base = (directory as NSString).lastPathComponent
        base = String(base.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        if let first = base.first, !first.isLetter { base = "app-" + base }
        if base.isEmpty { base = "app" }
        let parent = (directory as NSString).deletingLastPathComponent
        if parent == project.root + "/Tests/DualMode" { return "test-" + base }
        return base
    }

    /// True when `directory` is a folder with at least one `.swift` file inside (at any depth).
    public static func containsSwiftSources(_ directory: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
              let walker = FileManager.default.enumerator(atPath: directory) else { return false }
        for case let path as String in walker {
            if path.hasPrefix(".build") { walker.skipDescendants(); continue }
            if path.hasSuffix(".swift") { return true }
        }
        return false
    }
}
