/// The per-socket wakers of a ``NetworkStackOn``: each parked socket operation names what it waits for (one TCP
/// connection, one listener, one UDP socket, the DHCP client, one DNS query, or any poll), with that socket's touch
/// count when it last looked; after each poll the stack resumes only the waiters whose socket changed (smoltcp §4's
/// one-shot waker, one per socket), so with many connections a segment for one wakes only the task that waits on it.
///
/// A woken operation re-checks its socket and may park again (wakes can be spurious: the touch counts say "may
/// have changed", never "changed in the way you wanted").
import Runtime

/// What a parked socket operation waits for.
enum SocketWait {
    /// A change to TCP connection slot `slot`: a segment for it, a timer that ended in a dispatch, any use by an
    /// application task (``TCPSocketSet`` touch counts).
    case connection(slot: Int, seen: UInt32)
    /// A connection of `listener` that may have become ready to accept (``TCPSocketSet`` listener touch counts).
    case listener(TCPHandle, seen: UInt32)
    /// A datagram for `socket`, or a datagram taken from its send queue (``SocketSet`` touch counts).
    case datagram(UDPHandle, seen: UInt32)
    /// A lease change the DHCP client applied (``SocketSet`` DHCP touch count): a lease bound, renewed or lost.
    case dhcp(DHCPHandle, seen: UInt32)
    /// The end of DNS query `handle` (``SocketSet`` DNS touch counts): an answer, an error or its removal.
    case query(DNSHandle, seen: UInt32)
    /// Every poll: for a wait on nothing the sockets carry (``NetworkStackOn/up`` before its DHCP socket exists).
    case poll
}

/// The parked socket operations of one stack, by id (one thread: no locking).
///
/// A table of slots, not a `Dictionary` by id: an id names its slot (low 24 bits) and that slot's generation (the
/// rest), so unparking is O(1) without hashing, a slot is reused once freed with the next generation (an old id
/// never reaches a later waiter), and `takeReady` visits the waiters in slot order (docs/BENCHMARKS.md, footprint:
/// the Dictionary's code for this one type was ~2 KiB of every image with a stack).
struct SocketWakers {
    private struct Slot {
        /// The id last given out for this slot.
        var id: UInt64
        var wait: SocketWait
        /// When the operation stops waiting whatever its socket does (its timeout); nil: never.
        var deadline: Instant?
        /// The parked operation; nil while the slot is free.
        var continuation: UnsafeContinuation<Void, Never>?
        /// The next free slot while this one is free (-1: none).
        var nextFree: Int
    }

    /// Bits of an id that name the slot: 16,777,216 parked operations at once, beyond any heap a stack has.
    private static let slotBits: UInt64 = 24
    private var slots: [Slot] = []
    private var firstFree = -1
    private var parkedCount = 0

    /// Whether nothing is parked.
    var isEmpty: Bool { self.parkedCount == 0 }

    /// Parks `continuation` until ``takeReady(now:_:)`` finds `wait` satisfied or `deadline` passed; returns the id
    /// that unparks it.
    mutating func park(
        _ wait: SocketWait, until deadline: Instant?, _ continuation: UnsafeContinuation<Void, Never>
    ) -> UInt64 {
        let slot: Int
        if self.firstFree >= 0 {
            slot = self.firstFree
            self.firstFree = self.slots[slot].nextFree
        } else {
            slot = self.slots.count
            precondition(UInt64(slot) < 1 << Self.slotBits, "more parked socket operations than an id can name")
            self.slots.append(Slot(id: UInt64(slot), wait: .poll, deadline: nil, continuation: nil, nextFree: -1))
        }
        // The slot's next generation (an id is never 0).
        let id = self.slots[slot].id &+ (1 << Self.slotBits)
        self.slots[slot] = Slot(id: id, wait: wait, deadline: deadline, continuation: continuation, nextFree: -1)
        self.parkedCount += 1
        return id
    }

    /// Removes waiter `id` and returns its continuation, if it is still parked (a cancelled wait).
    mutating func unpark(_ id: UInt64) -> UnsafeContinuation<Void, Never>? {
        let slot = Int(truncatingIfNeeded: id & ((1 << Self.slotBits) - 1))
        guard slot < self.slots.count, self.slots[slot].id == id, let continuation = self.slots[slot].continuation
        else { return nil }
        self.free(slot)
        return continuation
    }

    /// Removes and returns the continuations of the waiters for which `changed` says their socket changed, and of
    /// those whose deadline is at or before `now`.
    mutating func takeReady(now: Instant, _ changed: (SocketWait) -> Bool) -> [UnsafeContinuation<Void, Never>] {
        var ready: [UnsafeContinuation<Void, Never>] = []
        guard self.parkedCount > 0 else { return ready }
        for slot in 0..<self.slots.count {
            guard let continuation = self.slots[slot].continuation else { continue }
            let expired = self.slots[slot].deadline.map { $0 <= now } ?? false
            guard expired || changed(self.slots[slot].wait) else { continue }
            self.free(slot)
            ready.append(continuation)
        }
        return ready
    }

    /// The earliest deadline of a parked operation: the poll task wakes by then to end its wait.
    var earliestDeadline: Instant? {
        var earliest: Instant? = nil
        guard self.parkedCount > 0 else { return nil }
        for slot in 0..<self.slots.count where self.slots[slot].continuation != nil {
            if let deadline = self.slots[slot].deadline, earliest == nil || deadline < earliest! { earliest = deadline }
        }
        return earliest
    }

    private mutating func free(_ slot: Int) {
        self.slots[slot].continuation = nil
        self.slots[slot].nextFree = self.firstFree
        self.firstFree = slot
        self.parkedCount -= 1
    }
}
