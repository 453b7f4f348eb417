/// Name lookup on a ``NetworkStack``: ``NetworkStack/resolve(_:timeout:)`` adds one ``DNSLookup`` (a
/// ``DNSResolver`` and its UDP socket) to the stack's ``SocketSet`` as a DNS query, which the poll task's interface
/// drives (`SocketSet+DNS.swift`), and waits for its outcome; against the stack's DNS servers (RFC 1035 §7,
/// RFC 1123 §6.1.3.3 retries, RFC 5452 answer acceptance). Nothing is cached.
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
        let handle = try self.sockets.addDNS(
            DNSLookup(name: dnsName, servers: servers, random: self.random, now: self.clock.now))
        defer { self.sockets.remove(handle) }
        self.kick()  // the poll task sends the first query
        while true {
            // The query's waker: its end wakes this task, other traffic does not.
            let wait = self.watch(dns: handle)
            if let result = self.sockets.takeDNSResult(handle) {
                switch result {
                case .success(let answer): return answer.addresses[0]
                case .failure(let error): throw error
                }
            }
            if Task.isCancelled { throw .cancelled }
            guard self.clock.now < deadline else { throw .timedOut }
            await self.waitForProgress(until: deadline, on: wait)
        }
    }
}
