/// Devices.swift — the ABI's net and block calls, before the Posix device backends exist.
///
/// The tender accepts no `--net`/`--block` options yet (TenderArguments.swift
/// refuses them), so no device is ever declared and every acquire is INVALID
/// ("no such device"), as the ABI specifies for an unknown name. Read, write
/// and flush can only be reached with a handle from acquire, so they are
/// INVALID too. The device backends (TAP, passt, block file) replace this
/// file; each adds its own seccomp module pinned to its fd (C/sandbox_policy.c).

import SwiftletABI

@_cdecl("swiftlet_platform_net_acquire")
public func swiftletPlatformNetAcquire(
    _ name: UnsafePointer<CChar>?, _ handle: UnsafeMutablePointer<UInt64>?,
    _ info: UnsafeMutablePointer<swiftlet_net_info>?
) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_net_read")
public func swiftletPlatformNetRead(
    _ handle: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ size: Int,
    _ readSize: UnsafeMutablePointer<Int>?
) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_net_write")
public func swiftletPlatformNetWrite(
    _ handle: UInt64, _ buffer: UnsafePointer<UInt8>?, _ size: Int
) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_block_acquire")
public func swiftletPlatformBlockAcquire(
    _ name: UnsafePointer<CChar>?, _ handle: UnsafeMutablePointer<UInt64>?,
    _ info: UnsafeMutablePointer<swiftlet_block_info>?
) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_block_read")
public func swiftletPlatformBlockRead(
    _ handle: UInt64, _ offset: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ size: Int
) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_block_write")
public func swiftletPlatformBlockWrite(
    _ handle: UInt64, _ offset: UInt64, _ buffer: UnsafePointer<UInt8>?, _ size: Int
) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_block_flush")
public func swiftletPlatformBlockFlush(_ handle: UInt64) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}
