/// TCP through interfaces (Sources/Net/Interface/Interface+TCP.swift, Sources/Net/TCP/TCPSocketSet.swift): two
/// hosts on a ``VirtualLink`` with a virtual clock; listeners, RSTs for closed ports, bulk transfers with and
/// without loss.
import Net
import NetTesting
import Runtime

private func testConfiguration() -> TCPConfiguration {
    var configuration = TCPConfiguration()
    configuration.minimumRetransmissionTimeout = .milliseconds(200)
    configuration.maximumSegmentLifetime = .seconds(1)
    return configuration
}

/// A connection from `a` to a listener on `b`, both ends with `configuration`.
private func connect(
    _ network: TCPTestNetwork, _ a: TCPHost, _ b: TCPHost, port: UInt16 = 80,
    configuration: TCPConfiguration = testConfiguration()
) throws(TestFailure) -> (TCPHandle, TCPHandle) {
    try network.connect(a, to: b, port: port, client: configuration, server: configuration)
}

/// Sends `data` from `from` to `to` while `to` reads; returns what arrived once all did (or time ran out).
private func transfer(
    _ network: TCPTestNetwork, _ data: [UInt8], from: (TCPHost, TCPHandle), to: (TCPHost, TCPHandle),
    within duration: Duration
) -> [UInt8] {
    var offset = 0
    var received: [UInt8] = []
    received.reserveCapacity(data.count)
    network.run(for: duration, step: {
        while offset < data.count, from.0[from.1].canSend {
            let end = Swift.min(data.count, offset + 16384)
            let chunk = Array(data[offset..<end])
            let taken = (try? from.0[from.1].send(chunk)) ?? 0
            if taken == 0 { break }
            offset += taken
        }
        if let bytes = try? to.0[to.1].receive(maximum: 65536) { received += bytes }
    }) { received.count >= data.count }
    return received
}

/// The TCP header of a captured Ethernet frame, checksums verified; `nil` for anything else.
private func tcpHeader(of frame: [UInt8]) -> TCPHeader? {
    var buffer = PacketBuffer(frame)
    return buffer.withUnsafeMutableReadableBytes { raw -> TCPHeader? in
        guard let ethernet = try? EthernetPacket(checking: raw),
            let datagram = try? IPv4Packet(checking: ethernet.payload),
            let ip = try? IPv4Header(parsing: datagram), ip.nextProtocol == .tcp,
            let packet = try? TCPPacket(checking: datagram.payload)
        else { return nil }
        return try? TCPHeader(parsing: packet, source: ip.source, destination: ip.destination)
    }
}

/// Hosts A (client) and B (server) whose connection B closed first: A's side CLOSED, B's in TIME-WAIT.
private func serverInTimeWait() throws(TestFailure) -> (
    TCPTestNetwork, TCPHost, TCPHost, client: TCPHandle, server: TCPHandle
) {
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let (client, server) = try connect(network, a, b)
        b[server].close()
        network.run(for: .seconds(1)) { a[client].state == .closeWait }
        a[client].close()
        network.run(for: .seconds(1)) { a[client].state == .closed && b[server].state == .timeWait }
        try expectEqual(b[server].state, .timeWait, "the server holds TIME-WAIT")
        return (network, a, b, client, server)
}

func registerInterfaceTests(_ suite: inout TestSuite) {
    suite.test("iface.handshake-exchange-and-close-between-two-hosts") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let (client, server) = try connect(network, a, b)
        try expectEqual(b[server].remote, a[client].local, "server sees the client's endpoint")
        try expectEqual(a[client].local.port, 49152, "first ephemeral port")
        let reply = transfer(network, Array("hello".utf8), from: (a, client), to: (b, server), within: .seconds(1))
        try expectBytes(reply, Array("hello".utf8), "at B")
        a[client].close()
        network.run(for: .seconds(1)) { b[server].state == .closeWait }
        b[server].close()
        network.run(for: .seconds(1)) { b[server].state == .closed }
        try expectEqual(a[client].state, .timeWait, "A waits")
        network.run(for: .seconds(3)) { a[client].state == .closed }
        try expectEqual(a[client].state, .closed, "A after 2 MSL")
        try expectEqual(b.sockets.tcp.counters.malformed + b.sockets.tcp.counters.checksumErrors, 0, "clean")
    }
    suite.test("iface.a-new-syn-reopens-a-tuple-in-time-wait") { () throws(TestFailure) in
        let (network, a, b, client, server) = try serverInTimeWait()
        a.sockets.remove(client)
        // A later millisecond: the new SYN's TSval is newer than the TIME-WAIT's TS.Recent.
        network.run(for: .milliseconds(10))
        let again: TCPHandle
        do throws(TCPConnectError) {
            again = try a.interface.connectTCP(
                to: b.address, port: 80, localPort: 49152, now: network.now, configuration: testConfiguration(),
                sockets: &a.sockets)
        } catch {
            throw TestFailure("connect: \(error)")
        }
        let opened = network.run(for: .seconds(1)) { a[again].state == .established }
        try expect(opened, "the same 4-tuple opens again (RFC 6191): A \(a[again])")
        try expectEqual(a[again].counters.timeouts, 0, "at the first SYN")
    }
    suite.test("iface.a-parked-time-wait-answers-a-retransmitted-fin-and-ends-on-time") { () throws(TestFailure) in
        let (network, a, b, _, server) = try serverInTimeWait()
        let entered = network.now
        // Polls pass over the block from now on (parked until its timer).
        network.run(for: .milliseconds(100))
        guard let deadline = b.interface.nextPollTime(now: network.now, sockets: b.sockets) else {
            throw TestFailure("a TIME-WAIT connection reports no deadline")
        }
        try expect(deadline > network.now && deadline <= entered + .seconds(2), "the deadline is the 2 MSL timer")
        // The client's FIN again, as if our ACK of it was lost (RFC 9293 §3.10.7.4 TIME-WAIT: "acknowledge it").
        guard let fin = network.link.captured.last(where: { frame in
            frame.port == a.port && (tcpHeader(of: frame.bytes)?.flags.contains(.fin) ?? false)
        }), let finHeader = tcpHeader(of: fin.bytes) else { throw TestFailure("no FIN from the client captured") }
        let injected = network.now
        network.link.inject(fin.bytes, into: b.port, at: injected)
        // A stops: its closed stack would answer our ACK with a RST, which ends TIME-WAIT (RFC 9293; RFC 1337's
        // hazard, which Linux also accepts by default).
        network.hosts.removeAll { $0 === a }
        network.run(for: .milliseconds(10))
        let answered = network.link.captured.contains { frame in
            guard frame.port == b.port, frame.time >= injected, let header = tcpHeader(of: frame.bytes) else {
                return false
            }
            return header.flags.contains(.ack) && header.acknowledgmentNumber == finHeader.sequenceNumber &+ 1
        }
        try expect(answered, "the parked TIME-WAIT connection acknowledged the retransmitted FIN")
        try expectEqual(b[server].state, .timeWait, "and stays in TIME-WAIT")
        network.run(for: .seconds(3)) { b[server].state == .closed }
        try expectEqual(b[server].state, .closed, "TIME-WAIT ends after 2 MSL though parked")
    }
    suite.test("iface.closed-port-answers-with-rst") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let client: TCPHandle
        do throws(TCPConnectError) {
            client = try a.interface.connectTCP(to: b.address, port: 81, now: network.now, sockets: &a.sockets)
        } catch {
            throw TestFailure("connect: \(error)")
        }
        network.run(for: .seconds(1)) { a[client].state == .closed }
        try expectEqual(a[client].state, .closed, "refused")
        try expect(a[client].closeReason == .reset, "by a RST")
        try expectEqual(b.sockets.tcp.counters.resetsSent, 1, "one RST (RFC 9293 §3.10.7.1)")
        let fromA = network.link.captured.filter { $0.port == a.port }.compactMap { tcpHeader(of: $0.bytes) }
        let fromB = network.link.captured.filter { $0.port == b.port }.compactMap { tcpHeader(of: $0.bytes) }
        let syn = try unwrap(fromA.first, "A's SYN on the wire")
        let rst = try unwrap(fromB.first, "B's RST on the wire")
        try expectEqual(rst.flags, [.rst, .ack], "<CTL=RST,ACK> for a segment without ACK")
        try expectEqual(rst.sequenceNumber, 0, "<SEQ=0>")
        try expectEqual(rst.acknowledgmentNumber, syn.sequenceNumber &+ 1, "<ACK=SEG.SEQ+SEG.LEN>")
        try expectEqual(b.sockets.tcp.counters.noSocket, 1, "counted")
    }
    suite.test("iface.listener-backlog-bounds-the-syn-queue") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let listener: TCPHandle
        do throws(TCPListenError) {
            listener = try b.sockets.tcp.listen(port: 80, backlog: 2, synCookies: false)
        } catch {
            throw TestFailure("listen: \(error)")
        }
        for _ in 0..<3 {
            do throws(TCPConnectError) {
                _ = try a.interface.connectTCP(to: b.address, port: 80, now: network.now, sockets: &a.sockets)
            } catch {
                throw TestFailure("connect: \(error)")
            }
        }
        network.run(for: .milliseconds(100))
        try expectEqual(b.sockets.tcp[listener: listener].queueCount, 2, "queued")
        try expectEqual(b.sockets.tcp[listener: listener].overflows, 1, "third SYN dropped")
        try expectEqual(b.sockets.tcp.counters.halfOpenRecycled, 0, "fresh half-open entries are never recycled")
        try expect(b.sockets.tcp.accept(listener) != nil, "first accepted")
        try expect(b.sockets.tcp.accept(listener) != nil, "second accepted")
        try expect(b.sockets.tcp.accept(listener) == nil, "no third yet")
    }
    suite.test("iface.a-full-queue-recycles-a-half-open-entry-unanswered-for-an-rto") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        _ = network.link.attach(mac: testMAC(9))
        let listener: TCPHandle
        do throws(TCPListenError) {
            listener = try b.sockets.tcp.listen(port: 80, backlog: 1, synCookies: false)
        } catch {
            throw TestFailure("listen: \(error)")
        }
        // A SYN from a host that never answers (a spoofed source): its half-open entry fills the queue.
        let syn = TCPHeader(sourcePort: 40000, destinationPort: 80, sequenceNumber: 777, flags: [.syn], window: 1000)
        var segment = [UInt8](repeating: 0, count: syn.headerLength)
        segment.withUnsafeMutableBytes { bytes in
            syn.emit(into: TCPPacket(unchecked: bytes), source: ip("10.0.0.9"), destination: b.address)
        }
        network.link.inject(
            ethernetFrame(
                to: testMAC(3), from: testMAC(9), type: .ipv4,
                ipv4Datagram(from: ip("10.0.0.9"), to: b.address, protocol: .tcp, segment)),
            into: b.port, at: network.now)
        network.run(for: .milliseconds(100))
        try expectEqual(b.sockets.tcp[listener: listener].queueCount, 1, "the half-open entry")
        let client: TCPHandle
        do throws(TCPConnectError) {
            client = try a.interface.connectTCP(to: b.address, port: 80, now: network.now, sockets: &a.sockets)
        } catch {
            throw TestFailure("connect: \(error)")
        }
        network.run(for: .milliseconds(100))
        try expectEqual(b.sockets.tcp[listener: listener].overflows, 1, "a fresh entry is not recycled: SYN dropped")
        // After an RTO the stale entry's SYN-ACK was retransmitted; the client's retransmitted SYN takes its place.
        let opened = network.run(for: .seconds(5), until: { a[client].state == .established })
        try expect(opened, "the client gets in once the entry went stale: \(a[client])")
        try expectEqual(b.sockets.tcp.counters.halfOpenRecycled, 1, "one recycled (RFC 4987 §3.4)")
        network.run(for: .milliseconds(10))
        let accepted = try unwrap(b.sockets.tcp.accept(listener), "accepted")
        try expectEqual(b[accepted].remote, a[client].local, "the real client")
    }
    suite.test("iface.a-listener-drops-fin-null-and-xmas-probes-and-resets-a-bare-ack") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let raw = network.link.attach(mac: testMAC(9))
        do throws(TCPListenError) {
            _ = try b.sockets.tcp.listen(port: 80, backlog: 4)
        } catch {
            throw TestFailure("listen: \(error)")
        }
        func probe(_ flags: TCPFlags, sequence: UInt32) {
            let header = TCPHeader(
                sourcePort: 40000, destinationPort: 80, sequenceNumber: sequence, acknowledgmentNumber: sequence &* 3,
                flags: flags, window: 1000)
            var segment = [UInt8](repeating: 0, count: header.headerLength)
            segment.withUnsafeMutableBytes { bytes in
                header.emit(into: TCPPacket(unchecked: bytes), source: ip("10.0.0.9"), destination: b.address)
            }
            network.link.inject(
                ethernetFrame(
                    to: testMAC(3), from: testMAC(9), type: .ipv4,
                    ipv4Datagram(from: ip("10.0.0.9"), to: b.address, protocol: .tcp, segment)),
                into: b.port, at: network.now)
            network.run(for: .milliseconds(10))
        }
        // RFC 9293 §3.10.7.2: in LISTEN a segment without SYN, ACK or RST is dropped, not answered.
        let scans: [(String, TCPFlags)] = [("FIN", [.fin]), ("NULL", []), ("XMAS", [.fin, .psh, .urg]), ("PSH", [.psh])]
        for (index, scan) in scans.enumerated() {
            probe(scan.1, sequence: UInt32(1000 + index))
            let answers = network.link.captured.filter { $0.port == b.port }.compactMap { tcpHeader(of: $0.bytes) }
            try expectEqual(answers.count, 0, "\(scan.0) probe answered")
        }
        try expectEqual(b.sockets.tcp.counters.listenDropped, scans.count, "probes counted")
        try expectEqual(b.sockets.tcp.counters.resetsSent, 0, "no RST for a probe")
        // A RST is ignored (first check); a bare ACK is answered <SEQ=SEG.ACK><CTL=RST> (second check). B must know
        // the prober's MAC to answer: the prober asks for B's (RFC 826: B learns the asker's address).
        var arp = [UInt8](repeating: 0, count: 28)
        arp.withUnsafeMutableBytes { bytes in
            ARPMessage(
                operation: .request, senderHardwareAddress: testMAC(9), senderProtocolAddress: ip("10.0.0.9"),
                targetHardwareAddress: MACAddress(rawValue: 0), targetProtocolAddress: b.address
            ).emit(into: ARPPacket(unchecked: bytes))
        }
        network.link.inject(ethernetFrame(to: .broadcast, from: testMAC(9), type: .arp, arp), into: b.port, at: network.now)
        network.run(for: .milliseconds(10))
        probe([.rst], sequence: 5000)
        try expectEqual(b.sockets.tcp.counters.listenDropped, scans.count, "a RST is ignored, not counted as a probe")
        probe([.ack], sequence: 6000)
        let answers = network.link.captured.filter { $0.port == b.port }.compactMap { tcpHeader(of: $0.bytes) }
        let reset = try unwrap(answers.first, "a RST for the bare ACK")
        try expectEqual(reset.flags, [.rst], "<CTL=RST>")
        try expectEqual(reset.sequenceNumber, UInt32(6000) &* 3, "<SEQ=SEG.ACK>")
        _ = raw
    }
    suite.test("iface.a-listener-at-its-limit-refuses-with-rst-and-a-full-set-drops-the-syn") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        b.sockets.tcp = TCPSocketSet(capacity: 3)
        let limited: TCPHandle
        let open: TCPHandle
        do throws(TCPListenError) {
            limited = try b.interface.listenTCP(
                port: 80, backlog: 2, configuration: testConfiguration(), connectionLimit: 2, sockets: &b.sockets)
            open = try b.interface.listenTCP(port: 81, backlog: 2, configuration: testConfiguration(), sockets: &b.sockets)
        } catch {
            throw TestFailure("listen: \(error)")
        }
        func dial(_ port: UInt16) throws(TestFailure) -> TCPHandle {
            do throws(TCPConnectError) {
                return try a.interface.connectTCP(
                    to: b.address, port: port, now: network.now, configuration: testConfiguration(), sockets: &a.sockets)
            } catch {
                throw TestFailure("connect: \(error)")
            }
        }
        // Port 80 serves two connections at once; the third SYN is refused with <CTL=RST,ACK> at once.
        let first = try dial(80)
        let second = try dial(80)
        network.run(for: .milliseconds(100))
        let served = [b.sockets.tcp.accept(limited), b.sockets.tcp.accept(limited)].compactMap { $0 }
        try expectEqual(served.count, 2, "two accepted")
        try expect(a[first].state == .established && a[second].state == .established, "both open")
        try expectEqual(b.sockets.tcp[listener: limited].connectionCount, 2, "the listener's count")
        let third = try dial(80)
        network.run(for: .milliseconds(100))
        try expectEqual(a[third].state, .closed, "the third is refused")
        try expect(a[third].closeReason == .reset, "by a RST")
        try expectEqual(b.sockets.tcp.counters.connectionsRefused, 1, "refusal counted")
        try expectEqual(b.sockets.tcp[listener: limited].refused, 1, "on the listener")
        try expectEqual(b.sockets.tcp.counters.synDropped, 0, "not a drop")
        // Port 81 has no limit of its own: its first connection takes the set's last slot, the next SYN finds the
        // set full and is dropped without an answer (counted), like Linux's ListenOverflows.
        let fourth = try dial(81)
        network.run(for: .milliseconds(100))
        let fourthServed = try unwrap(b.sockets.tcp.accept(open), "the fourth accepted")
        try expectEqual(b.sockets.tcp.connectionCount, 3, "the set is full")
        let captured = network.link.captured.count
        let fifth = try dial(81)
        network.run(for: .milliseconds(100))
        try expectEqual(a[fifth].state, .synSent, "the fifth waits")
        try expect(b.sockets.tcp.counters.synDropped >= 1, "its SYN dropped and counted")
        let answers = network.link.captured[captured...].filter { $0.port == b.port }.compactMap { tcpHeader(of: $0.bytes) }
        try expectEqual(answers.count, 0, "nothing answered the dropped SYN")
        try expectEqual(b.sockets.tcp.counters.connectionsRefused, 1, "no RST for a full set")
        // Old work is untouched; once a connection ends and frees its slot, the retransmitted SYN gets in.
        try expect(a[first].state == .established && a[fourth].state == .established, "the others still open")
        b[served[0]].abort()
        network.run(for: .milliseconds(10))
        b.sockets.tcp.remove(served[0])
        try expectEqual(b.sockets.tcp[listener: limited].connectionCount, 1, "the count went down")
        let opened = network.run(for: .seconds(5), until: { a[fifth].state == .established })
        try expect(opened, "the fifth got in after its SYN was retransmitted")
        _ = fourthServed
    }
    suite.test("iface.a-peer-announcing-mss-1-gets-segments-of-at-least-48-bytes") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        var tiny = testConfiguration()
        tiny.maximumSegmentSize = 1
        let (client, server) = try network.connect(a, to: b, client: tiny, server: testConfiguration())
        let data = pattern(4800, seed: 5)
        let received = transfer(network, data, from: (b, server), to: (a, client), within: .seconds(30))
        try expectBytes(received, data, "4800 bytes to the MSS-1 peer")
        let sizes = network.link.captured.filter { $0.port == b.port }.compactMap { tcpHeader(of: $0.bytes) }
            .map { $0.payloadLength }.filter { $0 > 0 }
        try expect(!sizes.isEmpty, "data segments on the wire")
        try expectEqual(sizes.min() ?? 0, 48, "the smallest data segment (Linux's tcp_min_snd_mss)")
        try expect(sizes.count <= 4800 / 48 + 10, "\(sizes.count) data segments for 4800 bytes")
    }
    suite.test("iface.mss-follows-a-small-mtu") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        network.mtu = 576
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let (client, server) = try connect(network, a, b)
        let data = pattern(100_000, seed: 2)
        let received = transfer(network, data, from: (a, client), to: (b, server), within: .seconds(30))
        try expectBytes(received, data, "100 kB over MTU 576")
        try expectEqual(network.link.oversizeFrames, 0, "no frame beyond the MTU")
        try expectEqual(a.interface.counters.ipv4.fragmentsSent, 0, "no fragmentation")
    }
    suite.test("iface.one-mebibyte-arrives-intact") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let (client, server) = try connect(network, a, b)
        let data = pattern(1 << 20, seed: 5)
        let received = transfer(network, data, from: (a, client), to: (b, server), within: .seconds(60))
        try expectBytes(received, data, "1 MiB at B")
        try expectEqual(a[client].counters.retransmits, 0, "no loss, no retransmission")
    }
    suite.test("iface.four-mebibytes-with-scaled-windows-over-loss-and-reordering") { () throws(TestFailure) in
        let faults = FaultConfiguration(lossRate: 0.005, duplicationRate: 0.005, reorderRate: 0.01)
        let network = TCPTestNetwork(faults: faults, seed: 7)
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        var configuration = testConfiguration()
        configuration.receiveBufferSize = 512 * 1024
        configuration.sendBufferSize = 512 * 1024
        let (client, server) = try connect(network, a, b, configuration: configuration)
        let data = pattern(4 << 20, seed: 3)
        let received = transfer(network, data, from: (b, server), to: (a, client), within: .seconds(600))
        try expectBytes(received, data, "4 MiB at A; A \(a[client]) B \(b[server])")
        try expect(b[server].counters.retransmits > 0, "losses were repaired")
    }
    suite.test("iface.one-mebibyte-arrives-intact-over-one-percent-loss") { () throws(TestFailure) in
        let network = TCPTestNetwork(faults: FaultConfiguration(lossRate: 0.01), seed: 42)
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let (client, server) = try connect(network, a, b)
        let data = pattern(1 << 20, seed: 11)
        let received = transfer(network, data, from: (a, client), to: (b, server), within: .seconds(600))
        try expectBytes(received, data, "1 MiB at B; A \(a[client]) B \(b[server])")
        try expect(network.link.faults.counters.lost > 0, "frames were lost")
        try expect(a[client].counters.retransmits > 0, "and retransmitted")
        try expect(a[client].counters.fastRetransmits > 0, "mostly by fast retransmit")
        print("  1% loss: \(network.link.faults.counters) retransmits=\(a[client].counters.retransmits)"
            + " fast=\(a[client].counters.fastRetransmits) timeouts=\(a[client].counters.timeouts)")
    }
}

/// Send-buffer autotuning (``TCPConfiguration/sendBufferAutotuning``): a bulk sender whose ring is the limit grows
/// it up to ``TCPConfiguration/sendBufferLimit`` and no further, and stays at its size, counting the refusal, when
/// the heap cannot spare more.
func registerAutotuningTests(_ suite: inout TestSuite) {
    /// A 512 KiB receive window at B, so the windows let more than the sender's 64 KiB ring fly.
    func autotuned(limit: Int) -> (client: TCPConfiguration, server: TCPConfiguration) {
        var client = testConfiguration()
        client.sendBufferLimit = limit
        var server = testConfiguration()
        server.receiveBufferSize = 512 * 1024
        return (client, server)
    }
    suite.test("iface.send-ring-autotunes-up-to-its-limit") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let (client, server) = autotuned(limit: 256 * 1024)
        let (c, s) = try network.connect(a, to: b, port: 80, client: client, server: server)
        try expectEqual(a[c].sendBufferCapacity, 65536, "the ring starts at its configured size")
        let data = pattern(2 << 20, seed: 13)
        let refusedBefore = TCPByteRing.growthsRefused
        let received = transfer(network, data, from: (a, c), to: (b, s), within: .seconds(60))
        try expectBytes(received, data, "2 MiB at B")
        print("  autotuned send ring: \(a[c].sendBufferCapacity) bytes (limit 262144)")
        try expectEqual(a[c].sendBufferCapacity, 256 * 1024, "the ring grew to its limit and not past it")
        try expectEqual(TCPByteRing.growthsRefused, refusedBefore, "the heap had room")
        var fixed = testConfiguration()
        fixed.sendBufferSize = 65536
        try expect(!fixed.sendBufferAutotuning, "naming a size turns autotuning off (as SO_SNDBUF)")
    }
    suite.test("iface.send-ring-stays-at-its-size-when-the-heap-is-short") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let (client, server) = autotuned(limit: 1 << 20)
        let (c, s) = try network.connect(a, to: b, port: 80, client: client, server: server)
        let data = pattern(1 << 20, seed: 17)
        // Leave the heap just its reserve plus 64 KiB free: the first growth past 64 KiB (to 128 KiB) is refused.
        let reserve = Swift.max(Runtime.heapSize() / 8, 256 * 1024)
        let hogBytes = Runtime.heapSize() - Runtime.heapInUse() - reserve - 64 * 1024
        try expect(hogBytes > 0, "the heap has more than the reserve free")
        let refusedBefore = TCPByteRing.growthsRefused
        let hog = UnsafeMutableRawPointer.allocate(byteCount: hogBytes, alignment: 16)
        let received = transfer(network, data, from: (a, c), to: (b, s), within: .seconds(60))
        hog.deallocate()
        try expectBytes(received, data, "1 MiB at B")
        let refused = TCPByteRing.growthsRefused - refusedBefore
        print("  heap short: ring \(a[c].sendBufferCapacity) bytes, growths refused \(refused)")
        try expect(refused > 0, "growth was refused and counted")
        try expectEqual(a[c].sendBufferCapacity, 65536, "the ring stayed at its configured size")
    }
}
