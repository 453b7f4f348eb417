import Foundation

/// The Swiftlet checkout: where `mk/image.mk`, `Samples/` and the build output live.
public struct Project: Sendable {
    /// Absolute path of the repository root.
    public var root: String

    public init(root: String) {
        self.root = (root as NSString).standardizingPath
    }

    /// `$SWIFTLET_ROOT`, else the first folder holding `mk/image.mk` going up from the current directory.
    /// - Throws: ``SwiftletError`` when neither finds a checkout.
    public static func locate() throws -> Project {
        let environment = ProcessInfo.processInfo.environment
        if let root = environment["SWIFTLET_ROOT"], !root.isEmpty {
            let project = Project(root: root)
            guard project.isCheckout else {
                throw SwiftletError("SWIFTLET_ROOT=\(root) is not a Swiftlet checkout (no mk/image.mk)",
                                    remedy: "unset it or point it at the repository root")
            }
            return project
        }
        var directory = FileManager.default.currentDirectoryPath
        while true {
            let candidate = Project(root: directory)
            if candidate.isCheckout { return candidate }
            let parent = (directory as NSString).deletingLastPathComponent
            if parent == directory || parent.isEmpty { break }
            directory = parent
        }
        throw SwiftletError("cannot find the Swiftlet checkout", remedy: "run ./swiftlet from the repository, or set SWIFTLET_ROOT")
    }

    var isCheckout: Bool { FileManager.default.fileExists(atPath: makefile) }

    /// `mk/image.mk`.
    public var makefile: String { root + "/mk/image.mk" }
    /// Where images are built (`OUT=` of image.mk).
    public var buildDirectory: String { root + "/.build-swiftlet" }
    /// Where `--debug` images are built (mk/image.mk `PROFILE=debug`).
    public var debugBuildDirectory: String { root + "/.build-swiftlet-debug" }
    /// `Samples/`.
    public var samplesDirectory: String { root + "/Samples" }
    /// The dual-mode runtime suite app.
    public var runtimeSuite: String { root + "/Tests/DualMode/runtime" }
    /// The dual-mode device suite app (run with echo peers and temporary disks).
    public var deviceSuite: String { root + "/Tests/DualMode/devices" }

    /// `Tests/DualMode/`: one folder per dual-mode suite.
    public var dualModeDirectory: String { root + "/Tests/DualMode" }

    /// Every dual-mode suite folder (holding Swift sources), sorted by name; `Support` holds
    /// the helpers compiled into each suite (mk/image.mk) and is not a suite.
    public var dualModeSuites: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dualModeDirectory)) ?? []
        return names.filter { $0 != "Support" }.sorted().map { dualModeDirectory + "/" + $0 }.filter { App.containsSwiftSources($0) }
    }

    /// Names of the samples (folders under `Samples/` holding Swift sources), sorted.
    public var sampleNames: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: samplesDirectory)) ?? []
        return names.filter { App.containsSwiftSources(samplesDirectory + "/" + $0) }.sorted()
    }
}
