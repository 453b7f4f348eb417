/// Devices.swift — the device half of the ABI, not wired yet.
///
/// virtio-net and virtio-blk (PCI and MMIO transports) come with the devices
/// issue. Until then every acquire fails with SWIFTLET_R_INVALID ("no such
/// device"), and so does any call with a handle, since none was handed out.

import SwiftletABI

@_cdecl("swiftlet_platform_net_acquire")
public func swiftlet_platform_net_acquire(_ name: UnsafePointer<CChar>?, _ h: UnsafeMutablePointer<swiftlet_handle_t>?,
                                          _ info: UnsafeMutablePointer<swiftlet_net_info>?) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_net_read")
public func swiftlet_platform_net_read(_ h: swiftlet_handle_t, _ buf: UnsafeMutablePointer<UInt8>?, _ size: Int,
                                       _ readSize: UnsafeMutablePointer<Int>?) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_net_write")
public func swiftlet_platform_net_write(_ h: swiftlet_handle_t, _ buf: UnsafePointer<UInt8>?, _ size: Int)
    -> swiftlet_result_t
{
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_block_acquire")
public func swiftlet_platform_block_acquire(_ name: UnsafePointer<CChar>?,
                                            _ h: UnsafeMutablePointer<swiftlet_handle_t>?,
                                            _ info: UnsafeMutablePointer<swiftlet_block_info>?) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_block_read")
public func swiftlet_platform_block_read(_ h: swiftlet_handle_t, _ offset: UInt64, _ buf: UnsafeMutablePointer<UInt8>?,
                                         _ size: Int) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_block_write")
public func swiftlet_platform_block_write(_ h: swiftlet_handle_t, _ offset: UInt64, _ buf: UnsafePointer<UInt8>?,
                                          _ size: Int) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}

@_cdecl("swiftlet_platform_block_flush")
public func swiftlet_platform_block_flush(_ h: swiftlet_handle_t) -> swiftlet_result_t {
    SWIFTLET_R_INVALID
}
