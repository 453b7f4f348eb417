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
struct SocketWakers {
    private var parked: [UInt64: (wait: SocketWait, continuation: UnsafeContinuation<Void, Never>)] = [:]
    private var nextID: UInt64 = 1

    /// Whether nothing is parked.
    var isEmpty: Bool { self.parked.isEmpty }

    /// Parks `continuation` until ``takeReady(_:)`` finds `wait` satisfied; returns the id that unparks it.
    mutating func park(_ wait: SocketWait, _ continuation: UnsafeContinuation<Void, Never>) -> UInt64 {
        let id = self.nextID
        self.nextID &+= 1
        self.parked[id] = (wait, continuation)
        return id
    }

    /// Removes waiter `id` and returns its continuation, if it is still parked (a cancelled wait).
    mutating func unpark(_ id: UInt64) -> UnsafeContinuation<Void, Never>? {
        self.parked.removeValue(forKey: id)?.continuation
    }

    /// Removes and returns the continuations of the waiters for which `changed` says their socket changed.
    mutating func takeReady(_ changed: (SocketWait) -> Bool) -> [UnsafeContinuation<Void, Never>] {
        var ids: [UInt64] = []
        for (id, waiter) in self.parked where changed(waiter.wait) { ids.append(id) }
        var ready: [UnsafeContinuation<Void, Never>] = []
        ready.reserveCapacity(ids.count)
        for id in ids { ready.append(self.parked.removeValue(forKey: id)!.continuation) }
        return ready
    }
}
