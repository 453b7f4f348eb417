import Foundation

/// What `swiftlet new --template` starts from (the folders of `Templates/`).
public enum PackageTemplate: String, CaseIterable, Sendable {
    /// A greeting and a sleep; no devices.
    case hello
    /// A small HTTP server over the stack's TCP (a `service` net device).
    case http
    /// A line-protocol key-value service on a block device (`service` net, `storage` block).
    case kv

    /// Device options for `swiftlet run` in the package's README.
    var runOptions: String {
        switch self {
        case .hello: return ""
        case .http: return " --net service=passt:tcp=8080:80"
        case .kv: return " --net service=passt:tcp=7000:7000 --block storage=data.img"
        }
    }

    /// Device options for `swiftlet test` (test-only backends: every declared device needs one).
    public var testOptions: [String] {
        switch self {
        case .hello: return []
        case .http: return ["--net", "service=echo"]
        case .kv: return ["--net", "service=echo", "--block", "storage=temp:1M"]
        }
    }
}

/// `swiftlet new`: makes an app package (docs/PACKAGES.md) from `Templates/package` (manifest, README,
/// `.gitignore`) and `Templates/<template>` (the executable target's sources, tests and device manifest).
///
/// In each file `{{Name}}`, `{{Target}}`, `{{Template}}`, `{{SwiftletPath}}`, `{{Swiftlet}}`, `{{Products}}`,
/// `{{RunOptions}}` and `{{TestOptions}}` are replaced; in paths `__Target__` becomes the target name, a trailing `.in`
/// is dropped and `gitignore` becomes `.gitignore`.
public struct NewPackage {
    public var project: Project
    /// The package's name (also its folder's name).
    public var name: String
    public var template: PackageTemplate
    /// The folder the package folder is made in.
    public var parent: String

    public init(project: Project, name: String, template: PackageTemplate, parent: String) {
        self.project = project
        self.name = name
        self.template = template
        self.parent = (parent as NSString).standardizingPath
    }

    /// The executable target's (and the app module's) name: `name` in UpperCamelCase (`my-service` → `MyService`).
    public var targetName: String { Self.targetName(for: name) }

    static func targetName(for name: String) -> String {
        name.split(whereSeparator: { $0 == "-" || $0 == "_" })
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Where the package goes.
    public var destination: String { (parent as NSString).appendingPathComponent(name) }

    /// Longest package name.
    public static let maximumNameLength = 64

    /// Module names an app's target cannot take: the libOS's, the platforms', the standard library's.
    public static let reservedModuleNames: Set<String> = [
        "Runtime", "Net", "Store", "SwiftletABI", "SwiftletPosix", "VirtioHW", "Platformposix", "Platformvirtio",
        "Swift", "_Concurrency",
    ]

    /// Throws unless `name` can name a package folder and, in UpperCamelCase, a Swift module of its own.
    /// - Throws: ``SwiftletError`` (status 2) saying what a name may hold.
    public static func validate(name: String) throws {
        let allowed = name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" }
        guard let first = name.first, first.isASCII, first.isLetter, allowed, name.count <= maximumNameLength else {
            throw SwiftletError("'\(name)' cannot name an app package",
                remedy: "start with a letter and use letters, digits, - and _ (at most \(maximumNameLength))", status: 2)
        }
        let target = NewPackage.targetName(for: name)
        if reservedModuleNames.contains(target) {
            throw SwiftletError("'\(name)' would name the app's module \(target), which is a Swiftlet or Swift module",
                                remedy: "choose another name (e.g. my-\(name))", status: 2)
        }
    }

    /// Makes the package and returns its path.
    /// - Throws: ``SwiftletError`` for a bad name, a destination that exists or lies inside the Swiftlet checkout,
    ///   a missing template, or a file that cannot be written.
    @discardableResult
    public func create() throws -> String {
        try Self.validate(name: name)
        let destination = self.destination
        if destination == project.root || destination.hasPrefix(project.root + "/") {
            throw SwiftletError("\(destination) is inside the Swiftlet checkout; an app package lives outside it",
                                remedy: "give --path DIR (a folder outside \(project.root))", status: 2)
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw SwiftletError("\(destination) exists already", remedy: "choose another name or --path", status: 2)
        }
        var files: [(path: String, text: String)] = []
        for folder in ["package", template.rawValue] {
            files += try Self.read(templateFolder: project.root + "/Templates/" + folder)
        }
        let sources = files.filter { $0.path.hasSuffix(".swift") }.map(\.text)
        let products = ["Runtime", "Net", "Store"].filter { module in
            module == "Runtime" || sources.contains { $0.contains("\nimport \(module)\n") }
        }
        let identity = (project.root as NSString).lastPathComponent.lowercased()
        let replacements = [
            "{{Name}}": name,
            "{{Target}}": targetName,
            "{{Template}}": template.rawValue,
            "{{SwiftletPath}}": project.root,
            "{{Swiftlet}}": project.root + "/swiftlet",
            "{{Products}}": products.map { "                .product(name: \"\($0)\", package: \"\(identity)\")," }
                .joined(separator: "\n"),
            "{{RunOptions}}": template.runOptions,
            "{{TestOptions}}": template.testOptions.isEmpty ? "" : " " + template.testOptions.joined(separator: " "),
        ]
        do {
            for file in files {
                var path = file.path.replacingOccurrences(of: "__Target__", with: targetName)
                if path.hasSuffix(".in") { path.removeLast(3) }
                if path == "gitignore" { path = ".gitignore" }
                var text = file.text
                for (key, value) in replacements { text = text.replacingOccurrences(of: key, with: value) }
                let full = (destination as NSString).appendingPathComponent(path)
                try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                try text.write(toFile: full, atomically: true, encoding: .utf8)
            }
        } catch {
            throw SwiftletError("cannot write \(destination): \(error.localizedDescription)",
                                remedy: "check that \(parent) is writable")
        }
        return destination
    }

    /// Every file under `folder`, as (path relative to it, text).
    static func read(templateFolder folder: String) throws -> [(path: String, text: String)] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else {
            throw SwiftletError("no template folder \(folder)", remedy: "check the Swiftlet checkout (Templates/)")
        }
        var files: [(path: String, text: String)] = []
        for case let path as String in walker {
            var isDirectory: ObjCBool = false
            let full = folder + "/" + path
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            guard let text = try? String(contentsOfFile: full, encoding: .utf8) else {
                throw SwiftletError("cannot read \(full)", remedy: "check the Swiftlet checkout (Templates/)")
            }
            files.append((path, text))
        }
        return files.sorted { $0.path < $1.path }
    }
}
