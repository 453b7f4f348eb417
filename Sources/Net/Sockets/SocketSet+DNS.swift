/// DNS queries as sockets of a ``SocketSet``: each a ``DNSLookup`` (a ``DNSResolver`` and the UDP socket on its
/// source port) in a slot reached by a ``DNSHandle``. The interface polls every running lookup at each egress
/// (``Interface/pollEgress(now:sockets:)``), before the UDP sockets' datagrams go out, and its retry deadline joins
/// ``Interface/nextPollTime(now:sockets:)``; the outcome waits in the slot for ``SocketSet/takeDNSResult(_:)``.
///
/// The slots are bounded like the UDP sockets (the set's capacity, each lookup needs a UDP socket too): a full set
/// refuses a new query with ``DNSLookupError/socketsExhausted`` and counts it in ``SocketSet/dnsRefused``.
import Runtime

/// A DNS query of a ``SocketSet``.
public enum DNSSocketKind: SocketKind {}
/// A DNS query's handle, from ``SocketSet/addDNS(_:)``.
public typealias DNSHandle = SocketHandle<DNSSocketKind>

/// A lookup in a slot of the set, and its outcome once it is over.
struct DNSQuerySlot {
    var lookup: DNSLookup
    var result: Result<DNSAnswer, DNSLookupError>?
}

extension SocketSet {
    /// Adds `lookup` as a socket and returns its handle; the next poll sends its first query.
    ///
    /// - Throws: ``DNSLookupError/socketsExhausted`` when every DNS slot is taken.
    public mutating func addDNS(_ lookup: DNSLookup) throws(DNSLookupError) -> DNSHandle {
        guard let index = self.dnsSlots.firstIndex(where: { $0 == nil }) else {
            self.dnsRefused &+= 1
            throw .socketsExhausted
        }
        self.dnsSlots[index] = DNSQuerySlot(lookup: lookup, result: nil)
        return DNSHandle(index: index, generation: self.dnsGenerations[index])
    }

    /// Abandons the query (or drops its outcome) and closes its UDP socket. A stale handle is ignored.
    public mutating func remove(_ handle: DNSHandle) {
        guard self.isValid(handle) else { return }
        var slot = self.dnsSlots[handle.index].take()!
        slot.lookup.close(sockets: &self)
        self.dnsGenerations[handle.index] &+= 1
        self.dnsTouches[handle.index] &+= 1
    }

    /// Whether `handle` names a query in the set.
    public func isValid(_ handle: DNSHandle) -> Bool {
        handle.index >= 0 && handle.index < self.dnsSlots.count
            && self.dnsGenerations[handle.index] == handle.generation && self.dnsSlots[handle.index] != nil
    }

    /// The lookup `handle` names (its resolver, socket and queries sent).
    ///
    /// - Precondition: the handle is valid (not removed): using a stale handle is a bug.
    public subscript(dns handle: DNSHandle) -> DNSLookup {
        precondition(self.isValid(handle), "stale socket handle")
        return self.dnsSlots[handle.index]!.lookup
    }

    /// The query's outcome once it is over, taken once (`nil` before, and after it was taken).
    ///
    /// - Precondition: the handle is valid (not removed).
    public mutating func takeDNSResult(_ handle: DNSHandle) -> Result<DNSAnswer, DNSLookupError>? {
        precondition(self.isValid(handle), "stale socket handle")
        return self.dnsSlots[handle.index]!.result.take()
    }

    /// How many times the query in `handle`'s slot finished or was removed so far (wrapping), for its waiters.
    func touches(_ handle: DNSHandle) -> UInt32 { self.dnsTouches[handle.index] }

    // MARK: - For the interface

    /// Polls every running lookup: hands it what arrived on its socket and queues the query it has due.
    mutating func pollDNS(now: Instant) {
        for index in self.dnsSlots.indices {
            guard var slot = self.dnsSlots[index], slot.result == nil else { continue }
            slot.result = slot.lookup.poll(now: now, sockets: &self)
            if slot.result != nil { self.dnsTouches[index] &+= 1 }
            self.dnsSlots[index] = slot
        }
    }

    /// The earliest retry or timeout of a running lookup.
    var nextDNSTime: Instant? {
        var earliest: Instant? = nil
        for case let slot? in self.dnsSlots where slot.result == nil {
            if let time = slot.lookup.nextPollTime, earliest == nil || time < earliest! { earliest = time }
        }
        return earliest
    }
}
