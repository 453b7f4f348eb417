/// NetMemoryReserve.swift — a dev net port holds the heap memory prod's virtio-net driver would.
///
/// Prod's driver lives on heap memory (two rings, transmit slots, receive buffers; PlatformHeap's
/// NetMemory.swift); dev's TAP and stream backends need almost none of it. So that an app starts at the
/// same smallest `--memory` in both modes, and a guest too small for its device fails the same way, each
/// port takes the same bytes by the same rule when the tender opens it, as QEMU's virtio-net would offer
/// them: 256-entry rings, a 12-byte header (VERSION_1), VIRTIO_NET_F_MRG_RXBUF, and TSO both ways when the
/// TAP has the offloads (a stream backend has none, as prod's `-netdev stream` has none); a legacy virtio
/// device with two-descriptor buffers (no VERSION_1, no ANY_LAYOUT) has half as many, so prod then takes
/// less than dev, never more. An arena page costs nothing until it is touched, and a port touches its
/// memory only where a backend needs buffers of its own, which then live in it instead of beside it:
/// - a TAP port's 64 KiB overflow area (where Net.swift's `readv` puts the part of a frame longer than the
///   caller's buffer, to drop it whole) is the start of its receive buffers, which hold at least 128 KiB
///   with the offloads (32 pages) and 256 slots of mtu + 26 bytes (rounded up to 64) without them; only a
///   TAP without offloads and an mtu below 167 has less, and its overflow area is then one more heap
///   allocation;
/// - a stream port's framing buffers (StreamFraming.swift) are its receive slots (up to 256 KiB of them)
///   and its transmit slots (one frame and its 4-byte length).
/// Before, dev held those buffers on top of prod's bytes: 64 KiB more in use than prod with a TAP, and at
/// `--memory 4M` the difference between prod serving Samples/http's 10 MiB body and dev running out of heap
/// while sending it (docs/BENCHMARKS.md, "Memory to boot"); 256 KiB more with a stream. A port that cannot
/// get its memory prints prod's line
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
            let memory = try plan.take()
            deviceRings = (receiveRing, transmitRing)
            let receiveArea = memory.receiveCount * plan.receiveBytes
            if isStream {
                // The framing buffers are the reserved ones: the receive buffer in the receive slots, the rest of
                // a partly written frame in the transmit slots. A stream has no offloads, so each side is 256
                // slots of mtu + 26 bytes or more (at least two frames, and one): the guard cannot fail today.
                guard let capacity = StreamFraming.receiveCapacity(maximumFrame: maximumFrame, available: receiveArea),
                    memory.smallCount * plan.smallBytes >= 4 + maximumFrame
                else {
                    release(memory)
                    return outOfMemory(needed: 2 * (4 + maximumFrame), what: "stream framing buffers")
                }
                stream = StreamFraming(maximumFrame: maximumFrame, receive: memory.receive,
                                       receiveCapacity: capacity, pending: memory.transmit)
            } else {
                if receiveArea >= tapOverflowSize {
                    tapOverflow = memory.receive
                } else if let area = Heap.allocate(tapOverflowSize, alignment: 64) {
                    tapOverflow = area
                } else {
                    release(memory)
                    return outOfMemory(needed: tapOverflowSize, what: "TAP overflow area")
                }
            }
            deviceMemory = memory
        } catch {
            // Prod keeps its rings when the buffers do not fit (the device failed; nothing frees them): so do we.
            deviceRings = (receiveRing, transmitRing)
            outOfMemory(needed: error.needed, what: error.what)
        }
    }

    /// Gives back the buffers of a port that cannot use them (its rings stay, as in prod).
    private func release(_ memory: NetMemory) {
        Heap.free(memory.transmit)
        Heap.free(memory.receive)
        if let large = memory.large { Heap.free(large) }
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
