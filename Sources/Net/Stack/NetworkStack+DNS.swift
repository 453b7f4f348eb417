/// Name lookup on a ``NetworkStack``: ``NetworkStack/resolve(_:timeout:)`` runs one ``DNSLookup`` (a
/// ``DNSResolver`` and its UDP socket) against the stack's DNS servers (RFC 1035 §7, RFC 1123 §6.1.3.3 retries,
/// RFC 5452 answer acceptance). Nothing is cached.
import Runtime

extension NetworkStackOn {
    /// Looks up `name`'s IPv4 address (its first A record, CNAMEs followed) with the servers in ``dnsServers``.
    ///
    /// A dotted-quad `name` is returned as it is, without asking. Each server is tried three times (after 1, 2
    /// and 4 s), then the next one; a forged or stray answer (wrong server, port, ID or question) is ignored.
    /// - Parameter timeout: how long the whole lookup may take.
    /// - Throws: ``DNSLookupError``: ``DNSLookupError/invalidName``, ``DNSLookupError/noServers``,
    ///   ``DNSLookupError/nameNotFound``, ``DNSLookupError/noAddress``, ``DNSLookupError/serverFailure``,
    ///   ``DNSLookupError/timedOut``, ``DNSLookupError/socketsExhausted`` or ``DNSLookupError/cancelled``.
    public func resolve(_ name: String, timeout: Duration = .seconds(10)) async throws(DNSLookupError) -> IPv4Address {
        if let address = IPv4Address(name) { return address }
        guard let dnsName = DNSName(name), dnsName != .root else { throw .invalidName }
        let servers = self.dnsServers
        guard !servers.isEmpty else { throw .noServers }
        let deadline = self.clock.now + timeout
        var lookup = DNSLookup(name: dnsName, servers: servers, random: self.random, now: self.clock.now)
        defer { lookup.close(sockets: &self.sockets) }
        while true {
            let now = self.clock.now
            let sent = lookup.queriesSent
            if let result = lookup.poll(now: now, sockets: &self.sockets) {
                switch result {
                case .success(let answer): return answer.addresses[0]
                case .failure(let error): throw error
                }
            }
            if lookup.queriesSent != sent { self.kick() }
            if Task.isCancelled { throw .cancelled }
            guard now < deadline else { throw .timedOut }
            var wake = deadline
            if let next = lookup.nextPollTime, next < wake { wake = next }
            // The lookup's socket's waker: an answer (or a query taken to send) wakes it, other traffic does not.
            let socket = lookup.handle.flatMap { self.sockets.isValid($0) ? $0 : nil }
            await self.waitForProgress(until: wake, on: socket.map { self.watch(udp: $0) } ?? .poll)
        }
    }
}
