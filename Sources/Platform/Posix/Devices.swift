/// Devices.swift — the ABI's net and block calls over the tender's device table.
///
/// docs/DEVICES.md §3 and §5. The tender (TenderDevices.swift) fills the table
/// before lockdown, one entry per `--net`/`--block` option in option order:
/// the index is the handle, 0...63, shared by net and block devices.
/// `acquire` finds a device by name, once: an unknown name, a device of the
/// other kind, or a second acquire is INVALID. Every other call needs a handle
/// that was acquired as that kind, else INVALID. Runtime (Runtime/Devices.swift)
/// has checked sizes, alignment and ranges already.

import SwiftletABI
import SwiftletPosix

/// A device table entry.
enum DeviceSlot {
    case net(NetPort)
    case block(BlockDisk)
}

/// Every device, by handle (filled once by the tender, before lockdown).
var deviceTable: [DeviceSlot] = []
/// The net devices in handle order: the yield's poll set.
var netPorts: [NetPort] = []
/// The block devices in handle order: ready in the yield while a completion waits.
var blockDisks: [BlockDisk] = []

@_cdecl("swiftlet_platform_net_acquire")
public func swiftletPlatformNetAcquire(
    _ name: UnsafePointer<CChar>?, _ handle: UnsafeMutablePointer<UInt64>?,
    _ info: UnsafeMutablePointer<swiftlet_net_info>?
) -> swiftlet_result_t {
    guard let name, let handle, let info, case .net(let port)? = device(named: name), !port.acquired,
        port.hasDeviceMemory
    else {
        return SWIFTLET_R_INVALID
    }
    port.acquired = true
    let m = port.mac
    info.pointee = swiftlet_net_info(
        mac_address: (m[0], m[1], m[2], m[3], m[4], m[5]), mtu: port.mtu, offloads: port.offloads)
    handle.pointee = UInt64(port.handle)
    return SWIFTLET_R_OK
}

@_cdecl("swiftlet_platform_net_read")
public func swiftletPlatformNetRead(
    _ handle: UInt64, _ buffer: UnsafeMutablePointer<UInt8>?, _ size: Int,
    _ readSize: UnsafeMutablePointer<Int>?, _ meta: UnsafeMutablePointer<swiftlet_net_frame_meta>?
) -> swiftlet_result_t {
    guard let port = acquiredNet(handle), let buffer, let readSize, let meta, size >= port.maximumFrame else {
        return SWIFTLET_R_INVALID
    }
    var length = 0
    var frameMeta = swiftlet_net_frame_meta()
    let result = port.read(into: buffer, size: size, length: &length, meta: &frameMeta)
    if result == SWIFTLET_R_OK {
        readSize.pointee = length
        meta.pointee = frameMeta
    }
    return result
}

@_cdecl("swiftlet_platform_net_write")
public func swiftletPlatformNetWrite(
    _ handle: UInt64, _ buffer: UnsafePointer<UInt8>?, _ size: Int,
    _ meta: UnsafePointer<swiftlet_net_frame_meta>?
) -> swiftlet_result_t {
    guard let port = acquiredNet(handle), let buffer, let meta, size >= 1, size <= port.maximumWrite(meta.pointee) else {
        return SWIFTLET_R_INVALID
    }
    return port.write(buffer, size: size, meta: meta.pointee)
}

@_cdecl("swiftlet_platform_block_acquire")
public func swiftletPlatformBlockAcquire(
    _ name: UnsafePointer<CChar>?, _ handle: UnsafeMutablePointer<UInt64>?,
    _ info: UnsafeMutablePointer<swiftlet_block_info>?
) -> swiftlet_result_t {
    guard let name, let handle, let info, case .block(let disk)? = device(named: name), !disk.acquired else {
        return SWIFTLET_R_INVALID
    }
    disk.acquired = true
    info.pointee = swiftlet_block_info(
        capacity: disk.capacity, block_size: disk.blockSize, queue_depth: UInt32(BlockDisk.queueDepth))
    handle.pointee = UInt64(disk.handle)
    return SWIFTLET_R_OK
}

@_cdecl("swiftlet_platform_block_submit")
public func swiftletPlatformBlockSubmit(
    _ handle: UInt64, _ request: UnsafePointer<swiftlet_block_request>?
) -> swiftlet_result_t {
    guard let disk = acquiredBlock(handle), let request else { return SWIFTLET_R_INVALID }
    return disk.submit(request.pointee)
}

@_cdecl("swiftlet_platform_block_complete")
public func swiftletPlatformBlockComplete(
    _ handle: UInt64, _ tag: UnsafeMutablePointer<UInt64>?, _ status: UnsafeMutablePointer<swiftlet_result_t>?
) -> swiftlet_result_t {
    guard let disk = acquiredBlock(handle), let tag, let status else { return SWIFTLET_R_INVALID }
    return disk.complete(tag: &tag.pointee, status: &status.pointee)
}

/// The device whose name is the C string `name`, if any.
private func device(named name: UnsafePointer<CChar>) -> DeviceSlot? {
    let length = strlen(name)
    let bytes = UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self)
    for slot in deviceTable {
        let candidate: [UInt8]
        switch slot {
        case .net(let port): candidate = port.name
        case .block(let disk): candidate = disk.name
        }
        if candidate.count == length && candidate.elementsEqual(UnsafeBufferPointer(start: bytes, count: length)) {
            return slot
        }
    }
    return nil
}

private func acquiredNet(_ handle: UInt64) -> NetPort? {
    guard handle < UInt64(deviceTable.count), case .net(let port) = deviceTable[Int(handle)], port.acquired else {
        return nil
    }
    return port
}

private func acquiredBlock(_ handle: UInt64) -> BlockDisk? {
    guard handle < UInt64(deviceTable.count), case .block(let disk) = deviceTable[Int(handle)], disk.acquired else {
        return nil
    }
    return disk
}
