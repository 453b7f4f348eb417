import Foundation

/// Host-level block checks: data written by one run is read back by the next run,
/// in each mode and across modes (written in dev, read in prod), through
/// `Samples/disk-tool` (mode=write, then mode=verify with the same seed).
extension SuiteRunner {
    func persistenceChecks(into report: inout Report) {
        var images: [Target: String] = [:]
        for target in configuration.targets {
            guard let image = buildSample("disk-tool", target, label: "[\(target.rawValue)] disk-tool",
                                          into: &report) else { return }
            images[target] = image
        }
        let directory = NSTemporaryDirectory() + "swiftlet-persist-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var pairs = configuration.targets.map { ($0, $0) }
        if configuration.targets.count == 2 { pairs.append((configuration.targets[0], configuration.targets[1])) }
        for (index, (writer, reader)) in pairs.enumerated() {
            if Subprocess.interruption != nil { return }
            let label = writer == reader
                ? "[\(writer.rawValue)] block data written by one run is read back by the next"
                : "[both] block data written in \(writer.rawValue) is read back in \(reader.rawValue)"
            let file = "\(directory)/disk-\(index).img"
            guard FileManager.default.createFile(atPath: file, contents: Data(count: 256 * 1024)) else {
                record(&report, ok: false, "\(label): cannot create \(file)")
                continue
            }
            let seed = "seed=\(17 + index)"
            guard let written = runDiskTool(images[writer]!, writer, file, ["mode=write", seed], label, &report),
                  let verified = runDiskTool(images[reader]!, reader, file, ["mode=verify", seed], label, &report)
            else { continue }
            let wrote = checksum(in: written)
            let read = checksum(in: verified)
            if let wrote, wrote == read {
                record(&report, ok: true, "\(label) (checksum \(wrote))")
            } else {
                record(&report, ok: false, "\(label): wrote checksum \(wrote ?? "?"), read \(read ?? "?")")
            }
        }
    }

    /// Runs disk-tool with `storage` on `file`; returns its console, or records a failure and returns nil.
    private func runDiskTool(_ image: String, _ target: Target, _ file: String, _ arguments: [String],
                             _ label: String, _ report: inout Report) -> String? {
        var plan: DevicePlan
        do {
            let app = try App.resolve("disk-tool", in: project)
            let options = try DeviceOptions.parse(net: [], block: ["storage=\(escapeCommas(file))"], pcap: [],
                                                  testBackends: false)
            plan = try DevicePlan.make(manifest: try Manifest.load(appDirectory: app.directory), options: options,
                                       host: configuration.deviceHost ?? .local(project))
        } catch {
            record(&report, ok: false, "\(label): \(error)")
            return nil
        }
        var request = RunRequest(image: image, target: target, bootArguments: arguments)
        request.devices = plan
        request.deviceHost = configuration.deviceHost ?? .local(project)
        request.machine = configuration.machine
        request.accel = configuration.accel
        request.capture = true
        request.forwardSignals = true
        request.timeout = target == .posix ? configuration.posixTimeout : configuration.virtioTimeout
        let outcome: RunOutcome
        do {
            outcome = try runner.run(request)
        } catch {
            record(&report, ok: false, "\(label): \(error)")
            return nil
        }
        showConsole(Transcript.lines(of: outcome.console))
        guard outcome.failure == nil, outcome.status == 0 else {
            record(&report, ok: false, "\(label): disk-tool \(arguments[0]) in \(target.rawValue): \(describe(outcome))")
            return nil
        }
        return outcome.console
    }

    /// The `checksum <hex>` disk-tool printed.
    private func checksum(in console: String) -> String? {
        for line in Transcript.lines(of: console) {
            guard let range = line.range(of: "checksum ") else { continue }
            return String(line[range.upperBound...].prefix { $0.isHexDigit })
        }
        return nil
    }

    private func escapeCommas(_ path: String) -> String { path.replacingOccurrences(of: ",", with: ",,") }
}
