/// DNS queries as sockets of a ``SocketSet``: each a ``DNSLookup`` (a ``DNSResolver`` and the UDP socket on its
/// source port) in a slot reached by a ``DNSHandle``. The interface polls every running lookup at each egress
/// (``Interface/pollEgress(now:sockets:)``), before the UDP sockets' datagrams go out, and its retry deadline joins
/// ``Interface/nextPollTime(now:sockets:)``; the outcome waits in the slot for ``SocketSet/takeDNSResult(_:)``.
///
/// Pay for use: the slots are allocated by the first ``SocketSet/addDNS(_:)``, which also installs the set's
/// `dnsPoll` hook; the interface polls DNS only through that hook and reads the cached `nextDNSTime`, so nothing
/// the interface calls reaches the resolver, and an app that never calls ``NetworkStackOn/resolve(_:timeout:)``
/// links none of it (docs/BENCHMARKS.md "Footprint").
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

/// The DNS slots of a set, as many as its UDP sockets, with their generations and touch counts.
struct DNSQueries {
    var slots: [DNSQuerySlot?]
    var generations: [UInt32]
    var touches: [UInt32]

    init(capacity: Int) {
        self.slots = [DNSQuerySlot?](repeating: nil, count: capacity)
        self.generations = [UInt32](repeating: 0, count: capacity)
        self.touches = [UInt32](repeating: 0, count: capacity)
    }
}

extension SocketSet {
    /// Adds `lookup` as a socket and returns its handle; the next poll sends its first query. The first call
    /// allocates the DNS slots and installs the interface's DNS hook.
    ///
    /// - Throws: ``DNSLookupError/socketsExhausted`` when every DNS slot is taken.
    public mutating func addDNS(_ lookup: DNSLookup) throws(DNSLookupError) -> DNSHandle {
        if self.dns == nil {
            self.dns = DNSQueries(capacity: self.capacity)
            self.dnsPoll = { sockets, now in sockets.pollDNS(now: now) }
        }
        guard let index = self.dns!.slots.firstIndex(where: { $0 == nil }) else {
            self.dnsRefused &+= 1
            throw .socketsExhausted
        }
        if let time = lookup.nextPollTime, self.nextDNSTime == nil || time < self.nextDNSTime! {
            self.nextDNSTime = time
        }
        self.dns!.slots[index] = DNSQuerySlot(lookup: lookup, result: nil)
        return DNSHandle(index: index, generation: self.dns!.generations[index])
    }

    /// Abandons the query (or drops its outcome) and closes its UDP socket. A stale handle is ignored.
    public mutating func remove(_ handle: DNSHandle) {
        guard self.isValid(handle) else { return }
        var slot = self.dns!.slots[handle.index].take()!
        slot.lookup.close(sockets: &self)
        self.dns!.generations[handle.index] &+= 1
        self.dns!.touches[handle.index] &+= 1
    }

    /// Whether `handle` names a query in the set.
    public func isValid(_ handle: DNSHandle) -> Bool {
        guard let dns = self.dns else { return false }
        return handle.index >= 0 && handle.index < dns.slots.count
            && dns.generations[handle.index] == handle.generation && dns.slots[handle.index] != nil
    }

    /// The lookup `handle` names (its resolver, socket and queries sent).
    ///
    /// - Precondition: the handle is valid (not removed): using a stale handle is a bug.
    public subscript(dns handle: DNSHandle) -> DNSLookup {
        precondition(self.isValid(handle), "stale socket handle")
        return self.dns!.slots[handle.index]!.lookup
    }

    /// The query's outcome once it is over, taken once (`nil` before, and after it was taken).
    ///
    /// - Precondition: the handle is valid (not removed).
    public mutating func takeDNSResult(_ handle: DNSHandle) -> Result<DNSAnswer, DNSLookupError>? {
        precondition(self.isValid(handle), "stale socket handle")
        return self.dns!.slots[handle.index]!.result.take()
    }

    /// How many times the query in `handle`'s slot finished or was removed so far (wrapping), for its waiters.
    func touches(_ handle: DNSHandle) -> UInt32 { self.dns?.touches[handle.index] ?? 0 }

    // MARK: - For the interface (through `dnsPoll`)

    /// Polls every running lookup: hands it what arrived on its socket and queues the query it has due; then
    /// caches the earliest retry or timeout of those still running.
    mutating func pollDNS(now: Instant) {
        guard let count = self.dns?.slots.count else { return }
        var earliest: Instant? = nil
        for index in 0..<count {
            guard self.dns!.slots[index]?.result == nil, var slot = self.dns!.slots[index].take() else { continue }
            slot.result = slot.lookup.poll(now: now, sockets: &self)
            if slot.result != nil {
                self.dns!.touches[index] &+= 1
            } else if let time = slot.lookup.nextPollTime, earliest == nil || time < earliest! {
                earliest = time
            }
            self.dns!.slots[index] = slot
        }
        self.nextDNSTime = earliest
    }
}
