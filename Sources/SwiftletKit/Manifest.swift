import Foundation

/// The kind of a device an app declares (docs/DEVICES.md §1).
public enum DeviceKind: String, Sendable, Codable, CaseIterable {
    case net, block
}

/// One device an app declares: a name and a kind.
public struct DeclaredDevice: Equatable, Sendable {
    public var name: String
    public var kind: DeviceKind

    public init(name: String, kind: DeviceKind) {
        self.name = name
        self.kind = kind
    }
}

/// An app's `manifest.json` (docs/DEVICES.md §1): the devices it declares, in order.
///
///     { "devices": [ { "name": "service", "type": "net" },
///                    { "name": "storage", "type": "block" } ] }
///
/// No manifest means no devices.
public struct Manifest: Equatable, Sendable {
    /// The declared devices, in the manifest's order (the order they are handed to QEMU and the tender).
    public var devices: [DeclaredDevice]
    /// The file they came from; nil when the app has none.
    public var path: String?
    /// The targets the app can be built for (`"targets": ["posix"]` for a dev-only app); nil means all.
    public var targets: [Target]?

    public init(devices: [DeclaredDevice] = [], path: String? = nil, targets: [Target]? = nil) {
        self.devices = devices
        self.path = path
        self.targets = targets
    }

    /// Throws unless the app may be built for `target`.
    /// - Throws: ``SwiftletError`` naming the app, its targets and what to run instead.
    public func check(target: Target, appName: String) throws {
        guard let targets, !targets.contains(target) else { return }
        let list = targets.map(\.rawValue).joined(separator: ", ")
        throw SwiftletError("\(appName) is built for \(list) only (\(displayPath): \"targets\"), not for \(target.rawValue)",
                            remedy: "run it with --target \(targets[0].rawValue)", status: 2)
    }

    /// Longest device name (§1).
    public static let maximumNameLength = DeviceSpec.maximumNameLength
    /// Longest block device name: prod matches it against the 20-byte virtio-blk serial (§1).
    public static let maximumBlockNameLength = DeviceSpec.maximumBlockNameLength

    /// The device called `name`, if declared.
    public func device(named name: String) -> DeclaredDevice? {
        devices.first { $0.name == name }
    }

    /// Where the manifest is said to be, for messages.
    public var displayPath: String { path ?? "manifest.json" }

    /// Reads `<directory>/manifest.json`; an app without one has no devices.
    /// - Throws: ``SwiftletError`` (one line naming the file and the problem) when it cannot be read,
    ///   is not the expected JSON, or fails ``validate()``.
    public static func load(appDirectory directory: String) throws -> Manifest {
        let path = (directory as NSString).appendingPathComponent("manifest.json")
        guard FileManager.default.fileExists(atPath: path) else { return Manifest() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Manifest.problem("\(path): cannot be read", remedy: "check its permissions")
        }
        return try parse(data, path: path)
    }

    /// Parses and validates manifest JSON.
    /// - Throws: ``SwiftletError`` naming `path` and the problem.
    public static func parse(_ data: Data, path: String = "manifest.json") throws -> Manifest {
        struct File: Decodable {
            struct Entry: Decodable {
                var name: String?
                var type: String?
            }
            var devices: [Entry]?
            var targets: [String]?
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch let error as DecodingError {
            throw Manifest.problem("\(path): \(describe(error))",
                                   remedy: #"expected { "devices": [ { "name": "service", "type": "net" }, ... ] }"#)
        } catch {
            throw Manifest.problem("\(path): not valid JSON (\(error.localizedDescription))",
                                   remedy: #"expected { "devices": [ { "name": "service", "type": "net" }, ... ] }"#)
        }
        var devices: [DeclaredDevice] = []
        for (index, entry) in (file.devices ?? []).enumerated() {
            let position = "device \(index + 1)"
            guard let name = entry.name else {
                throw Manifest.problem("\(path): \(position) has no \"name\"",
                                       remedy: #"give it one, e.g. "name": "service""#)
            }
            guard let type = entry.type else {
                throw Manifest.problem("\(path): \(position) ('\(name)') has no \"type\"",
                                       remedy: #"add "type": "net" or "type": "block""#)
            }
            guard let kind = DeviceKind(rawValue: type) else {
                throw Manifest.problem("\(path): \(position) ('\(name)') has unknown type '\(type)'",
                                       remedy: #"use "net" or "block""#)
            }
            devices.append(DeclaredDevice(name: name, kind: kind))
        }
        var targets: [Target]? = nil
        if let names = file.targets {
            targets = try names.map { name throws -> Target in
                guard let target = Target(rawValue: name) else {
                    throw Manifest.problem("\(path): unknown target '\(name)' in \"targets\"",
                                           remedy: #"use "posix" and/or "virtio", or leave "targets" out"#)
                }
                return target
            }
        }
        let manifest = Manifest(devices: devices, path: path, targets: targets)
        try manifest.validate()
        return manifest
    }

    /// Checks names (§1: 1–31 of `A-Z a-z 0-9 - _`, block names at most 20) and uniqueness.
    /// - Throws: ``SwiftletError`` naming the file and the first bad device.
    public func validate() throws {
        var seen: Set<String> = []
        for device in devices {
            if let problem = Manifest.nameProblem(device.name, kind: device.kind) {
                throw Manifest.problem("\(displayPath): device name '\(device.name)' \(problem)",
                                       remedy: "rename it (1-\(Manifest.maximumNameLength) characters of A-Z a-z 0-9 - _, "
                                           + "at most \(Manifest.maximumBlockNameLength) for a block device)")
            }
            guard seen.insert(device.name).inserted else {
                throw Manifest.problem("\(displayPath): device name '\(device.name)' is declared twice",
                                       remedy: "names must be unique across net and block devices")
            }
        }
    }

    /// Why `name` is not a valid device name, or nil (DeviceSpec's rule, the one the tender and the boot words use).
    public static func nameProblem(_ name: String, kind: DeviceKind? = nil) -> String? {
        DeviceSpec.nameProblem(Array(name.utf8), block: kind == .block).map { "\($0.explanation(block: kind == .block))" }
    }

    /// A manifest problem: status 2, as for every device configuration problem.
    static func problem(_ what: String, remedy: String) -> SwiftletError {
        SwiftletError(what, remedy: remedy, status: DeviceProblems.status)
    }

    static func describe(_ error: DecodingError) -> String {
        func at(_ path: [CodingKey]) -> String {
            let text = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "" : " at \(text.hasPrefix(".") ? String(text.dropFirst()) : text)"
        }
        switch error {
        case .typeMismatch(let type, let context):
            let name = String(describing: type)
            let wanted = name.hasPrefix("Array") ? "an array" : name.hasPrefix("Dictionary") ? "an object"
                : name == "String" ? "a string" : name
            return "expected \(wanted)\(at(context.codingPath))"
        case .valueNotFound(_, let context):
            return "missing value\(at(context.codingPath))"
        case .keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\"\(at(context.codingPath))"
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "not valid JSON" + (underlying.map { " (\($0))" } ?? "")
        @unknown default:
            return "not a valid manifest"
        }
    }
}
