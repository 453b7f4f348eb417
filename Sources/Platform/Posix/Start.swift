/// Start.swift — `swiftlet_platform_start`: the tender's last steps and the lockdown.
///
/// Runtime calls this first thing in `main`. In order:
/// 1. install the SIGSYS explainer and the fault reporters on an alternate
///    stack (C/signals.c), so that even the tender's own faults are reported;
/// 2. make sure fds 0-2 are open (before any device fd can take one of them)
///    and run glibc's lazy paths that would otherwise make system calls
///    later (C/libc_prime.c);
/// 3. parse the command line (TenderArguments.swift); a bad one prints one
///    line on stderr and exits 2, before anything is locked;
/// 4. map the heap's arena, sized from `--memory`, and set the heap up over it
///    (Arena.swift): from here on every allocation comes from it, as in prod;
/// 5. open each declared device backend and register its seccomp module
///    (TenderDevices.swift); one that cannot be opened prints one line on
///    stderr and exits 2, before anything is locked;
/// 6. close every inherited fd but 0-2 and the devices' (C/close_fds.c), and
///    drop every capability, checking that none is left (C/capabilities.c);
/// 7. load the default-deny seccomp filter (C/sandbox_policy.c). From here the
///    process can only do what a unikernel can: see that file for the list.
/// A platform that cannot lock itself down never runs the app: it aborts
/// with the reason (status 255).

import PlatformHeap
import SwiftletABI
import SwiftletPosix

/// Set once the sandbox is locked; a second start only refills the start info.
private var startedCommandLine: UnsafePointer<CChar>? = nil

@_cdecl("swiftlet_platform_start")
public func swiftletPlatformStart(_ startInfo: UnsafeMutablePointer<swiftlet_start_info>?) {
    let commandLine = startedCommandLine ?? startOnce()
    startedCommandLine = commandLine
    startInfo?.pointee = swiftlet_start_info(cmdline: commandLine, heap_start: Heap.start, heap_size: Int(Heap.size))
}

private func startOnce() -> UnsafePointer<CChar> {
    // 1. Reporters first: from here on every fault and forbidden call is explained.
    if let reason = swiftlet_posix_install_handlers() {
        cannotStart(reason)
    }
    // 2. fds 0-2 and glibc's lazy paths.
    swiftlet_posix_prime_libc()
    // 3. The command line.
    let argv = UnsafePointer(swiftlet_posix_argv()!)
    let arguments: TenderArguments
    do throws(TenderError) {
        arguments = try TenderArguments.parse(argc: Int(swiftlet_posix_argc()), argv: argv)
    } catch {
        usageError(error)
    }
    // 4. The heap (before the devices: their buffers come out of it, as in prod).
    if let reason = Arena.setUp(guestMemory: arguments.memory ?? Arena.defaultGuestMemory) {
        cannotStart(reason)
    }
    // 5. Devices, in option order.
    do throws(TenderError) {
        try openDevices(arguments.devices)
    } catch {
        usageError(error)
    }
    // 6. Nothing inherited survives: fds beyond the devices', and capabilities.
    let closed = tenderFDs.withUnsafeBufferPointer {
        swiftlet_posix_close_inherited_fds($0.baseAddress, UInt32($0.count))
    }
    if let reason = closed {
        cannotStart(reason)
    }
    if let reason = swiftlet_posix_drop_capabilities() {
        cannotStart(reason)
    }
    // 7. Lockdown.
    if let reason = swiftlet_posix_sandbox_lock() {
        cannotStart(reason)
    }
    return arguments.commandLine
}

/// Prints the tender's one line on stderr and exits 2 (nothing is locked, the app never starts).
private func usageError(_ error: TenderError) -> Never {
    var line = error.line
    line.append(byte: 10)
    line.withBytes { writeFully(diagnosticsFD, $0) }
    swiftlet_posix_exit_group(2)
}

private func cannotStart(_ reason: UnsafePointer<CChar>) -> Never {
    var line = Line()
    line.append("cannot lock down the dev sandbox: ")
    line.append(cString: reason)
    line.withBytes { abortWithMessage($0) }
}
