import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `swiftlet run --target virtio --vmm firecracker`: the image under Firecracker (docs/DEPLOY.md §3).
///
/// Firecracker needs KVM (real hardware virtualisation) and takes only TAP net devices; the config is
/// ``FirecrackerConfig``'s, written to a temporary file, and the status is the console's `swiftlet-exit: N`.
/// Not run on the machines this repository is tested on (kvm-pvm cannot run the guest); the same boot path
/// runs in CI under QEMU as `--machine firecracker`.
extension ImageRunner {
    /// Refusals that need no Firecracker binary (devices it cannot provide), one line each.
    public static func firecrackerProblems(_ plan: DevicePlan) -> [SwiftletError] {
        plan.devices.compactMap { device in
            switch device {
            case .net(let net):
                if case .tap = net.backend { return nil }
                return SwiftletError("--net \(net.name): Firecracker takes only TAP interfaces",
                                     remedy: "use --net \(net.name)=tap:IFACE with --vmm firecracker")
            case .block(let block):
                return SwiftletError("--block \(block.name): block devices are not supported with --vmm firecracker",
                                     remedy: "Firecracker's virtio-blk id is the file's inode, not the drive's name "
                                         + "(docs/DEPLOY.md §3); use --vmm qemu")
            }
        }
    }

    func runFirecracker(_ request: RunRequest, session: DeviceSession?) throws -> RunOutcome {
        let attachments = session?.attachments ?? []
        if let problem = ImageRunner.firecrackerProblems(request.devices).first { throw problem }
        guard let binary = Subprocess.which("firecracker") else {
            throw SwiftletError("firecracker not found on PATH",
                                remedy: "install a release from github.com/firecracker-microvm/firecracker (no Debian "
                                    + "package); or try the same boot path under QEMU with --machine firecracker",
                                status: 127)
        }
        guard host.kvmUsable, !host.kvmIsPVM else {
            throw SwiftletError("Firecracker needs KVM with hardware virtualisation, which this host lacks",
                                remedy: "run on a host with /dev/kvm (vmx/svm); here use --machine firecracker (QEMU)",
                                status: 2)
        }
        var interfaces: [FirecrackerConfig.Interface] = []
        for case .net(let name, .tap(let interface), let mac, let mtu, _, _) in attachments {
            interfaces.append(.init(name: name, tap: interface, mac: mac, mtu: mtu))
        }
        let memory = request.memory ?? .virtioDefault
        let config = FirecrackerConfig(kernel: request.image, bootArguments: request.bootArguments,
                                       memoryMiB: max(1, Int(memory.bytes >> 20)), interfaces: interfaces)
        let file = NSTemporaryDirectory() + "swiftlet-firecracker-\(getpid()).json"
        do { try config.json().write(toFile: file, atomically: true, encoding: .utf8) } catch {
            throw SwiftletError("cannot write \(file): \(error.localizedDescription)", remedy: "check TMPDIR")
        }
        defer { unlink(file) }
        var process = Subprocess([binary, "--no-api", "--config-file", file])
        process.stderr = .capture
        process.stdout = .capture
        process.timeout = request.timeout
        process.forwardSignals = request.forwardSignals
        process.nullStdin = request.capture
        // The status comes from the console (`swiftlet-exit: N`): keep its tail while it streams to our stdout.
        if !request.capture { ImageRunner.watch(&process) }
        log.command(process.arguments)
        let result = try process.run()
        var outcome = RunOutcome(status: 255, console: request.capture ? result.stdoutText : "",
                                 timedOut: result.timedOut, interrupted: result.interruptedBy != nil)
        if result.timedOut {
            outcome.failure = SwiftletError("timed out after \(Int(request.timeout ?? 0)) s (Firecracker killed)")
        } else if let status = FirecrackerConfig.consoleStatus(result.stdoutText) {
            outcome.status = status
        } else if let signal = result.interruptedBy {
            outcome.status = 128 + signal
        } else {
            Log.standardError(result.stderrText.trimmingCharacters(in: .newlines))
            outcome.failure = SwiftletError(
                "the unikernel stopped without reporting an exit status (Firecracker \(result.termination))")
        }
        return outcome
    }
}
