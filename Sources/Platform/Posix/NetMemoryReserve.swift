/// NetMemoryReserve.swift — a dev net port holds the heap memory prod's virtio-net driver would.
///
/// Prod's driver lives on heap memory (two rings, transmit slots, receive buffers; PlatformHeap's
/// NetMemory.swift); dev's TAP and stream backends need almost none of it. So that an app starts at the
/// same smallest `--memory` in both modes, and a guest too small for its device fails the same way, each
/// port takes the same bytes by the same rule when the tender opens it, as QEMU's virtio-net would offer
/// them: 256-entry rings, a 12-byte header (VERSION_1), VIRTIO_NET_F_MRG_RXBUF, and TSO both ways when the
/// TAP has the offloads (a stream backend has none, as prod's `-netdev stream` has none); a legacy virtio
/// device with two-descriptor buffers (no VERSION_1, no ANY_LAYOUT) has half as many, so prod then takes
/// less than dev, never more. The memory is
/// never touched: an arena page costs nothing until it is. A port that cannot get it prints prod's line
///
///     swiftlet: net device 'service' (52:54:00:12:34:56): out of memory: its receive buffers need N bytes,
///     the heap has M free; give the guest more memory (swiftlet run --memory)
///
/// on the console and is unavailable to the app (acquire fails, as for a device prod left out).

import PlatformHeap
import SwiftletABI

extension NetPort {
    /// Takes this port's share of the heap (NetMemoryPlan), or reports the shortfall and leaves the port unusable.
    func reserveDeviceMemory() {
        let entries = NetMemoryPlan.ringEntries
        let ringBytes = NetMemoryPlan.ringBytes(entries)
        guard let receiveRing = Heap.allocate(ringBytes, alignment: 4096) else {
            return outOfMemory(needed: 2 * ringBytes, what: "rings")
        }
        guard let transmitRing = Heap.allocate(ringBytes, alignment: 4096) else {
            Heap.free(receiveRing)
            return outOfMemory(needed: 2 * ringBytes, what: "rings")
        }
        let plan = NetMemoryPlan(
            receiveBuffers: entries, transmitBuffers: entries, headerLength: 12, mtu: mtu,
            receiveTSO4: offloads & UInt32(SWIFTLET_NET_OFFLOAD_RX_TSO4) != 0, mergeable: true,
            transmitTSO4: offloads & UInt32(SWIFTLET_NET_OFFLOAD_TX_TSO4) != 0)
        do throws(NetMemoryShortfall) {
            deviceMemory = try plan.take()
            deviceRings = (receiveRing, transmitRing)
        } catch {
            // Prod keeps its rings when the buffers do not fit (the device failed; nothing frees them): so do we.
            deviceRings = (receiveRing, transmitRing)
            outOfMemory(needed: error.needed, what: error.what)
        }
    }

    /// Whether the port got its heap memory (else the app cannot acquire it).
    var hasDeviceMemory: Bool { deviceMemory != nil }

    /// Prod's line (VirtioNet.outOfMemory), on the console.
    private func outOfMemory(needed: Int, what: StaticString) {
        var line = Line()
        line.append("swiftlet: net device '")
        line.append(bytes: name)
        line.append("' (")
        line.append(mac: mac)
        line.append("): out of memory: its ")
        line.append(what)
        line.append(" need ")
        line.append(decimal: UInt64(needed))
        line.append(" bytes, the heap has ")
        line.append(decimal: UInt64(Heap.bytesFree))
        line.append(" free; give the guest more memory (swiftlet run --memory)\n")
        line.withBytes { writeFully(consoleFD, $0) }
    }
}
