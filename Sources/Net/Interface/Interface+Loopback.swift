/// Loopback: datagrams an interface sends to its own address are queued (bounded) and delivered by the next poll's
/// ingress, before any frame from the device, as if they had arrived (RFC 1122 §3.3.5 local delivery). They never
/// reach the link, so there is no ARP, no MTU and no fragmentation; the IPv4 header is complete and checksummed
/// and goes through the same checks as a received one.
import Runtime

extension Interface {
    /// Queues the finished datagram in `packet` (IPv4 header included) for delivery at the next poll; returns
    /// false when the queue is full (counted in ``IPv4Counters/loopbackDropped``).
    func loopBack(_ packet: inout PacketBuffer) -> Bool {
        guard self.loopback.count < self.configuration.loopbackCapacity else {
            self.counters.ipv4.loopbackDropped += 1
            return false
        }
        self.loopback.append(packet.withUnsafeReadableBytes { bytes in Array(bytes) })
        self.counters.ipv4.sent += 1
        return true
    }

    /// Delivers up to `limit` queued loopback datagrams, oldest first; returns how many.
    func deliverLoopback(now: Instant, sockets: inout SocketSet, limit: Int) -> Int {
        guard !self.loopback.isEmpty else { return 0 }
        let count = Swift.min(limit, self.loopback.count)
        let batch = self.loopback[0..<count]
        self.loopback.removeFirst(count)
        for var datagram in batch {
            self.counters.ipv4.loopback += 1
            datagram.withUnsafeMutableBytes { bytes in
                self.processIPv4(bytes, linkBroadcast: false, fromLink: false, now: now, sockets: &sockets)
            }
        }
        return count
    }
}
