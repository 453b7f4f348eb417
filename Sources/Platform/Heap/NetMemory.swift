/// NetMemory.swift — what a net device takes from the heap when it starts, one rule for both modes.
///
/// Prod's virtio-net driver (Platform/Virtio/VirtioNet.swift) lives on heap memory: two split
/// virtqueues of ``ringEntries`` entries (`ringBytes`), transmit slots of header + mtu + 14 bytes, receive
/// buffers, and with TSO a few 64 KiB transmit slots. Dev's net ports (Platform/Posix/NetMemoryReserve.swift)
/// take the same bytes from the arena when they open and hold them untouched (an arena page costs nothing
/// until touched), so an app starts at the same smallest `--memory` in both modes, and a guest too small
/// for its device says so with the same line (docs/ARCHITECTURE.md, "Memory"):
///
///     swiftlet: net device 'service' (52:54:00:12:34:56): out of memory: its receive buffers need 131072 bytes,
///     the heap has 90112 free; give the guest more memory (swiftlet run --memory)
///
/// Order: the two rings; the small transmit slots (all of them but the large slots' share); the receive
/// buffers (least: every entry without GUEST_TSO4; 32 pages with MRG_RXBUF, which hold a 64 KiB frame
/// (17 pages) with room to spare; 16 buffers of 64 KiB without it); then the 64 KiB transmit slots (least 4,
/// else TSO is not used). The receive buffers and large slots are halved, down to their least, while they
/// would take the buffers past half the heap (``share``) or the heap cannot give them: a small guest keeps
/// the rest for the app (at `--memory 5M` greedy buffers took 2.4 MB of a 3.3 MB heap and the app could not
/// serve a 10 MiB body), and at the default 128M nothing is halved.
///
/// Receive buffers (virtio 1.2 §5.1.6.3.1): mtu + 14 bytes and the header without GUEST_TSO4; with it
/// and VIRTIO_NET_F_MRG_RXBUF one 4 KiB page each, a large frame spanning several (§5.1.6.4); with it and
/// no MRG_RXBUF "at least 65562 bytes" each, which is what made `-m 16M` the least before MRG_RXBUF.

import SwiftletABI

/// The sizes a net device asks the heap for (``take()``), from what it negotiated.
public struct NetMemoryPlan {
    /// Entries per virtqueue the driver asks for (QEMU's rx_queue_size and tx_queue_size default).
    public static let ringEntries = 256
    /// The largest TSO frame either way: a 64 KiB IPv4 datagram and its Ethernet header.
    public static let largeFrame = Int(SWIFTLET_NET_MAX_OFFLOAD_FRAME)
    /// Frame bytes of a receive buffer with GUEST_TSO4 and no MRG_RXBUF: "the maximum incoming packet will
    /// be 65589 bytes long" (14 + 40 + 65535, §5.1.6.3).
    public static let bigReceiveFrame = 14 + 40 + 65535
    /// Receive buffers with GUEST_TSO4 and no MRG_RXBUF, and the fewest worth having.
    public static let bigReceiveCount = 128
    public static let bigReceiveMinimum = 16
    /// Bytes per receive buffer with MRG_RXBUF and GUEST_TSO4: a page, header included (§5.1.6.3.1: "each
    /// buffer MUST be at least the size of the struct virtio_net_hdr").
    public static let mergeableBufferBytes = 4096
    /// The fewest page-sized receive buffers: a 64 KiB frame takes 17, so the ring can always hold one.
    public static let mergeableMinimumCount = 32
    /// 64 KiB transmit slots with HOST_TSO4, used only for frames longer than mtu + 14, and the fewest.
    public static let largeTransmitCount = 32
    public static let minimumLargeCount = 4
    /// A device's buffers stop growing past 1/share of the heap (their least is taken whatever it is).
    public static let share = 2

    /// Bytes of one split virtqueue of `entries` entries in the legacy layout (§2.7.2: the used ring at
    /// the next 4096-byte boundary), and where its used ring starts; the in-flight marks (one byte per
    /// entry) follow the total in the same allocation.
    public static func ringLayout(_ entries: Int) -> (usedOffset: Int, total: Int) {
        let usedOffset = (16 * entries + 6 + 2 * entries + 4095) & ~4095
        return (usedOffset, usedOffset + ((6 + 8 * entries + 4095) & ~4095))
    }

    /// One ring's allocation: its layout and the in-flight marks (page-aligned).
    public static func ringBytes(_ entries: Int) -> Int { ringLayout(entries).total + entries }

    /// Bytes per small transmit slot (and receive buffer without GUEST_TSO4): header + mtu + 14, rounded to 64.
    public let smallBytes: Int
    /// Bytes per receive buffer.
    public let receiveBytes: Int
    /// Bytes per 64 KiB transmit slot: header + ``largeFrame``, rounded to 64.
    public let largeBytes: Int
    /// Receive buffers wanted and the fewest the device works with.
    public let receiveCount: Int
    public let receiveMinimum: Int
    /// Transmit slots in all, and the 64 KiB ones wanted among them (0 without HOST_TSO4).
    public let transmitCount: Int
    public let largeCount: Int

    /// The plan for rings of `receiveBuffers` and `transmitBuffers` buffers (entries / descriptors per
    /// buffer), a `headerLength`-byte virtio_net_hdr, `mtu`, and the receive/transmit TSO and MRG_RXBUF
    /// features negotiated.
    public init(receiveBuffers: Int, transmitBuffers: Int, headerLength: Int, mtu: Int, receiveTSO4: Bool,
                mergeable: Bool, transmitTSO4: Bool)
    {
        smallBytes = (headerLength + mtu + 14 + 63) & ~63
        largeBytes = (headerLength + NetMemoryPlan.largeFrame + 63) & ~63
        if !receiveTSO4 {
            receiveBytes = smallBytes
            receiveCount = receiveBuffers
            receiveMinimum = receiveBuffers
        } else if mergeable {
            receiveBytes = max(NetMemoryPlan.mergeableBufferBytes, smallBytes)
            receiveCount = receiveBuffers
            receiveMinimum = min(receiveBuffers, NetMemoryPlan.mergeableMinimumCount)
        } else {
            receiveBytes = (headerLength + NetMemoryPlan.bigReceiveFrame + 63) & ~63
            receiveCount = min(receiveBuffers, NetMemoryPlan.bigReceiveCount)
            receiveMinimum = min(receiveCount, NetMemoryPlan.bigReceiveMinimum)
        }
        transmitCount = transmitBuffers
        largeCount = transmitTSO4 ? min(NetMemoryPlan.largeTransmitCount, transmitBuffers / 4) : 0
    }

    /// The small transmit slots taken up front: all but the least number of large slots.
    public var smallSlots: Int { transmitCount - min(largeCount, NetMemoryPlan.minimumLargeCount) }

    /// The buffers (the rings are the caller's), halved while the heap cannot give them.
    /// - Throws: ``NetMemoryShortfall`` naming the part that did not fit even at its least; nothing is held then.
    public func take() throws(NetMemoryShortfall) -> NetMemory {
        var smallCount = smallSlots
        guard let transmit = NetMemoryPlan.allocate(&smallCount, smallBytes, minimum: smallCount, budget: Int.max)
        else {
            throw NetMemoryShortfall(what: "transmit buffers", needed: smallCount * smallBytes)
        }
        var budget = Int(Heap.size) / NetMemoryPlan.share - smallCount * smallBytes
        var receiveCount = receiveCount
        guard let receive = NetMemoryPlan.allocate(&receiveCount, receiveBytes, minimum: receiveMinimum,
                                                   budget: budget)
        else {
            Heap.free(transmit)
            throw NetMemoryShortfall(what: "receive buffers", needed: receiveMinimum * receiveBytes)
        }
        budget -= receiveCount * receiveBytes
        var largeCount = largeCount
        let large = NetMemoryPlan.allocate(&largeCount, largeBytes, minimum: NetMemoryPlan.minimumLargeCount,
                                           budget: budget)
        if large == nil { largeCount = 0 }
        return NetMemory(transmit: transmit, receive: receive, large: large, receiveCount: receiveCount,
                         smallCount: min(smallCount, transmitCount - largeCount), largeCount: largeCount)
    }

    /// `count` blocks of `bytes`, halving `count` down to `minimum` while they are more than `budget` bytes
    /// or the heap cannot give them; nil for a `count` of 0. Never inlined: one copy of the heap's aligned
    /// allocation for the three parts (the image-size budgets).
    @inline(never)
    static func allocate(_ count: inout Int, _ bytes: Int, minimum: Int, budget: Int) -> UnsafeMutableRawPointer? {
        guard count > 0 else { return nil }
        while count * bytes > budget && count / 2 >= minimum { count /= 2 }
        while true {
            if let memory = Heap.allocate(count * bytes, alignment: 64) { return memory }
            guard count / 2 >= minimum else { return nil }
            count /= 2
        }
    }
}

/// A net device's buffers as ``NetMemoryPlan/take()`` got them.
public struct NetMemory {
    /// `smallCount` slots of `smallBytes`, `receiveCount` buffers of `receiveBytes`, and (nil when
    /// `largeCount` is 0) `largeCount` slots of `largeBytes`.
    public let transmit: UnsafeMutableRawPointer
    public let receive: UnsafeMutableRawPointer
    public let large: UnsafeMutableRawPointer?
    public let receiveCount: Int
    public let smallCount: Int
    public let largeCount: Int
}

/// The part of a net device's memory the heap could not give even at its least, and how many bytes that was.
public struct NetMemoryShortfall: Error {
    public let what: StaticString
    public let needed: Int
}
