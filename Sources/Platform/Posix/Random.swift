/// Random.swift — `swiftlet_platform_random`: getrandom(2) from the kernel's CSPRNG.
///
/// Flags 0: blocks only until the kernel's pool is first initialised (early
/// boot), then never; a call may return fewer bytes than asked (more than 256
/// bytes, or after a signal), so it loops until the buffer is full (getrandom(2)).

import SwiftletPosix

@_cdecl("swiftlet_platform_random")
public func swiftletPlatformRandom(_ buffer: UnsafeMutableRawPointer?, _ length: Int) {
    guard let buffer, length > 0 else { return }
    var done = 0
    while done < length {
        do throws(SyscallError) {
            done += try systemCall("getrandom") { getrandom(buffer + done, length - done, 0) }
        } catch {
            platformBug("getrandom", "an error")
        }
    }
}
