/// The ARP cache and the queue of datagrams waiting for an address to resolve (RFC 826; RFC 1122 §2.3.2).
///
/// Both are bounded, so no peer can make the interface allocate without limit: the cache keeps at most
/// ``ARPConfiguration/cacheCapacity`` entries and evicts the oldest, and the pending queue holds at most
/// ``ARPConfiguration/pendingPerDestination`` datagrams per address and ``ARPConfiguration/pendingTotal`` in all,
/// a new address evicting the oldest one's (RFC 1122 §2.3.2.2: "SHOULD save (rather than discard) at least one
/// (the latest) packet").
import Runtime

/// ARP timing and bounds.
public struct ARPConfiguration: Sendable {
    /// How long an entry stays valid after it was learned or refreshed (Linux's base reachable time is 30 s; RFC
    /// 1122 §2.3.2.1 leaves the timeout to the implementation).
    public var entryLifetime: Duration = .seconds(60)
    /// The most entries; a new one evicts the least recently refreshed.
    public var cacheCapacity = 16
    /// Time between requests for an unresolved address ("at most one per second", RFC 1122 §2.3.2.1).
    public var requestInterval: Duration = .seconds(1)
    /// Requests sent for one address before giving up and dropping its queue.
    public var requestLimit = 3
    /// Datagrams queued per unresolved address; more are dropped and counted.
    public var pendingPerDestination = 4
    /// Datagrams queued for all unresolved addresses together; when full, a datagram for another address evicts
    /// the oldest address's datagrams (counted in ``ARPCounters/pendingEvicted``).
    public var pendingTotal = 16
    /// Gratuitous ARP announcements once an address is configured (RFC 5227 §1.1 ANNOUNCE_NUM).
    public var announcements = 2
    /// Time between announcements (RFC 5227 §1.1 ANNOUNCE_INTERVAL).
    public var announcementInterval: Duration = .seconds(2)

    /// The defaults above.
    public init() {}
}

/// Resolved neighbours: IPv4 address to MAC, each with an expiry.
struct ARPCache {
    struct Entry {
        var address: IPv4Address
        var mac: MACAddress
        var refreshedAt: Instant
        var expiresAt: Instant
        /// When a unicast request last went to the entry's MAC to refresh it before it expires.
        var polledAt: Instant? = nil
    }

    private(set) var entries: [Entry] = []

    /// The MAC for `address` if an entry is still valid at `now`.
    func lookup(_ address: IPv4Address, now: Instant) -> MACAddress? {
        for entry in self.entries where entry.address == address {
            return entry.expiresAt > now ? entry.mac : nil
        }
        return nil
    }

    /// For a valid entry of `address` in the last quarter of its `lifetime`, when no refresh request went to it
    /// within `interval`: its MAC, to which the caller sends a unicast request (RFC 1122 §2.3.2.1's "unicast
    /// poll"; Linux's NUD_PROBE); the entry notes the time. `nil` otherwise. An entry in use is renewed by the
    /// reply before it expires, so the traffic that uses it never waits for a broadcast resolution (and its
    /// datagrams past the pending queue's bound are not dropped).
    mutating func refreshDue(_ address: IPv4Address, now: Instant, lifetime: Duration, interval: Duration) -> MACAddress? {
        guard let index = self.entries.firstIndex(where: { $0.address == address }) else { return nil }
        let entry = self.entries[index]
        guard entry.expiresAt > now, (entry.expiresAt - now) * 4 <= lifetime else { return nil }
        if let polled = entry.polledAt, now - polled < interval { return nil }
        self.entries[index].polledAt = now
        return entry.mac
    }

    /// Whether there is an entry (valid or expired) for `address`: RFC 826's "already in my table".
    func contains(_ address: IPv4Address) -> Bool {
        self.entries.contains { $0.address == address }
    }

    /// Adds or refreshes an entry. Returns true when an entry had to be evicted to make room.
    mutating func insert(
        _ address: IPv4Address, _ mac: MACAddress, now: Instant, lifetime: Duration, capacity: Int
    ) -> Bool {
        let entry = Entry(address: address, mac: mac, refreshedAt: now, expiresAt: now + lifetime)
        if let index = self.entries.firstIndex(where: { $0.address == address }) {
            self.entries[index] = entry
            return false
        }
        // Expired entries go first; then, if still full, the least recently refreshed.
        self.entries.removeAll { $0.expiresAt <= now }
        var evicted = false
        while self.entries.count >= capacity && !self.entries.isEmpty {
            var oldest = 0
            for index in self.entries.indices where self.entries[index].refreshedAt < self.entries[oldest].refreshedAt {
                oldest = index
            }
            self.entries.remove(at: oldest)
            evicted = true
        }
        if capacity > 0 { self.entries.append(entry) }
        return evicted
    }

    mutating func removeAll() { self.entries.removeAll() }
}

/// Datagrams waiting for ARP, grouped by next-hop address, with each address's request schedule.
struct ARPPendingQueue {
    struct Destination {
        var address: IPv4Address
        /// IPv4 datagrams with at least 14 bytes of headroom for the Ethernet header.
        var packets: [PacketBuffer]
        var requestsSent: Int
        var nextRequestAt: Instant
    }

    private(set) var destinations: [Destination] = []
    private(set) var totalPackets = 0

    /// The index of `address`'s destination, if it has one.
    func index(of address: IPv4Address) -> Int? {
        self.destinations.firstIndex { $0.address == address }
    }

    /// Queues `packet` for `address`, creating its destination with its first request due at `now`. With the
    /// queue full in total, the oldest other destination's datagrams are dropped to make room (their count goes to
    /// `evicted`): one that went unanswered longest, most likely a forged source. Datagrams for the newest
    /// addresses get their chance, as a peer answering a SYN flood from random sources (each SYN-ACK waits for
    /// ARP) would otherwise lock a real client's SYN-ACK out until every forged address was given up on.
    /// Returns false (and queues nothing) when `address` already has ``ARPConfiguration/pendingPerDestination``
    /// datagrams, or the queue holds nothing else to evict.
    mutating func enqueue(
        _ packet: PacketBuffer, for address: IPv4Address, now: Instant, configuration: ARPConfiguration,
        evicted: inout Int
    ) -> Bool {
        if self.totalPackets >= configuration.pendingTotal {
            if let index = self.index(of: address),
                self.destinations[index].packets.count >= configuration.pendingPerDestination
            {
                return false
            }
            while self.totalPackets >= configuration.pendingTotal,
                let oldest = self.destinations.firstIndex(where: { $0.address != address })
            {
                evicted += self.remove(self.destinations[oldest].address).count
            }
            guard self.totalPackets < configuration.pendingTotal else { return false }
        }
        if let index = self.index(of: address) {
            guard self.destinations[index].packets.count < configuration.pendingPerDestination else { return false }
            self.destinations[index].packets.append(packet)
        } else {
            guard configuration.pendingPerDestination > 0 else { return false }
            self.destinations.append(
                Destination(address: address, packets: [packet], requestsSent: 0, nextRequestAt: now))
        }
        self.totalPackets += 1
        return true
    }

    /// Removes `address`'s destination and returns its packets (empty if it had none).
    mutating func remove(_ address: IPv4Address) -> [PacketBuffer] {
        guard let index = self.index(of: address) else { return [] }
        let packets = self.destinations.remove(at: index).packets
        self.totalPackets -= packets.count
        return packets
    }

    /// Records that a request for destination `index` went out at `now`.
    mutating func requestSent(at index: Int, now: Instant, interval: Duration) {
        self.destinations[index].requestsSent += 1
        self.destinations[index].nextRequestAt = now + interval
    }

    /// The earliest request or give-up instant.
    var nextDeadline: Instant? {
        var earliest: Instant? = nil
        for destination in self.destinations where earliest == nil || destination.nextRequestAt < earliest! {
            earliest = destination.nextRequestAt
        }
        return earliest
    }
}
