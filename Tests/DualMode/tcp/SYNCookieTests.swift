/// SYN cookies (Sources/Net/TCP/Congestion/SYNCookies.swift, RFC 4987 §3.6): the cookie itself, and a listener
/// whose queue is full answering with cookies and completing connections from the returning ACKs.
import Net
import NetTesting
import Runtime

private let cookieServer = TCPEndpoint(ip("10.0.0.3"), 80)
private let cookieClient = TCPEndpoint(ip("10.0.0.2"), 49152)
private let cookies = SYNCookies(key0: 0x0123_4567_89AB_CDEF, key1: 0xFEDC_BA98_7654_3210)

/// Opens a connection from `a` to port 80 on `b`.
private func open(_ network: TCPTestNetwork, _ a: TCPHost, _ b: TCPHost) throws(TestFailure) -> TCPHandle {
    do throws(TCPConnectError) {
        return try a.interface.connectTCP(to: b.address, port: 80, now: network.now, sockets: &a.sockets)
    } catch {
        throw TestFailure("connect: \(error)")
    }
}

func registerSYNCookieTests(_ suite: inout TestSuite) {
    suite.test("cookie.round-trips-the-mss-and-rejects-forgeries-and-old-cookies") { () throws(TestFailure) in
        let now = Instant(nanoseconds: 3_600_000_000_000)
        let cookie = cookies.make(local: cookieServer, remote: cookieClient, peerISN: 777, mss: 1460, now: now)
        func check(_ sequence: UInt32, _ ack: UInt32, at time: Instant, remote: TCPEndpoint? = nil) -> UInt16? {
            cookies.check(local: cookieServer, remote: remote ?? cookieClient, sequence: sequence, acknowledgment: ack, now: time)
        }
        try expect(check(778, cookie &+ 1, at: now) == 1460, "valid at once, MSS 1460")
        try expect(check(778, cookie &+ 1, at: now + .seconds(100)) != nil, "valid 100 s later")
        try expect(check(778, cookie &+ 1, at: now + .seconds(129)) == nil, "expired after 128 s")
        try expect(check(779, cookie &+ 1, at: now) == nil, "another peer ISN")
        try expect(check(778, cookie &+ 2, at: now) == nil, "another cookie")
        try expect(check(778, cookie &+ 1, at: now, remote: TCPEndpoint(ip("10.0.0.9"), 49152)) == nil, "another peer")
        let small = cookies.make(local: cookieServer, remote: cookieClient, peerISN: 777, mss: 1000, now: now)
        try expect(check(778, small &+ 1, at: now) == 536, "MSS rounded down to the table (1000 → 536)")
        let tiny = cookies.make(local: cookieServer, remote: cookieClient, peerISN: 777, mss: 100, now: now)
        try expect(check(778, tiny &+ 1, at: now) == 536, "below the table: its smallest step")
        var hits = 0
        for guess in 0..<UInt32(100_000) where check(778, guess, at: now) != nil { hits += 1 }
        try expect(hits <= 1, "blind guesses almost never pass (24-bit hash): \(hits) of 100000")
    }
    suite.test("cookie.a-full-queue-answers-with-cookies-and-the-ack-completes-the-connection") {
        () throws(TestFailure) in
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let listener: TCPHandle
        do throws(TCPListenError) {
            listener = try b.sockets.tcp.listen(port: 80, backlog: 1)
        } catch {
            throw TestFailure("listen: \(error)")
        }
        let first = try open(network, a, b)
        network.run(for: .milliseconds(50), until: { a[first].state == .established })
        // The queue (backlog 1) holds the first, established but not accepted: the second SYN gets a cookie.
        let second = try open(network, a, b)
        let opened = network.run(for: .milliseconds(50), until: { a[second].state == .established })
        try expect(opened, "the client completes its handshake with the cookie SYN-ACK")
        network.run(for: .milliseconds(10))
        try expectEqual(b.sockets.tcp.counters.synCookiesSent, 1, "one cookie")
        try expectEqual(b.sockets.tcp.counters.synCookiesDropped, 1, "its ACK found the queue still full")
        try expectEqual(b.sockets.tcp.connectionCount, 1, "and left no state")
        let accepted = try unwrap(b.sockets.tcp.accept(listener), "the first accepted")
        // The second client's data carries the cookie's ACK again: now there is room.
        do throws(TCPSendError) {
            _ = try a[second].send(Array("hello".utf8))
        } catch {
            throw TestFailure("send: \(error)")
        }
        var late: TCPHandle? = nil
        network.run(for: .seconds(3), until: {
            if late == nil { late = b.sockets.tcp.accept(listener) }
            return late != nil && b[late!].receiveQueueCount == 5
        })
        let connection = try unwrap(late, "the cookie's connection accepted")
        try expectEqual(b.sockets.tcp.counters.synCookiesAccepted, 1, "accepted from a cookie")
        try expectEqual(b[connection].state, .established, "established")
        try expectEqual(b[connection].remote, a[second].local, "the second client")
        let bytes = (try? b[connection].receive(maximum: 100)) ?? []
        try expectBytes(bytes, Array("hello".utf8), "its data")
        do throws(TCPSendError) {
            _ = try b[connection].send(Array("world".utf8))
        } catch {
            throw TestFailure("reply: \(error)")
        }
        let answered = network.run(for: .seconds(1), until: { a[second].receiveQueueCount == 5 })
        try expect(answered, "the reply arrives")
        try expectEqual(b[accepted].state, .established, "the first connection is untouched")
    }
    suite.test("cookie.a-forged-ack-opens-nothing") { () throws(TestFailure) in
        let network = TCPTestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        do throws(TCPListenError) {
            _ = try b.sockets.tcp.listen(port: 80, backlog: 1)
        } catch {
            throw TestFailure("listen: \(error)")
        }
        let first = try open(network, a, b)
        network.run(for: .milliseconds(50), until: { a[first].state == .established })
        _ = try open(network, a, b)
        network.run(for: .milliseconds(50))
        try expectEqual(b.sockets.tcp.counters.synCookiesSent, 1, "cookies are out")
        // A third client skips the SYN and sends an ACK with a made-up cookie: a RST answers (RFC 9293 §3.10.7.2).
        let resets = b.sockets.tcp.counters.resetsSent
        let forged = TCPHeader(
            sourcePort: 50000, destinationPort: 80, sequenceNumber: 1234, acknowledgmentNumber: 0xDEAD_BEEF,
            flags: [.ack], window: 1000)
        var segment = [UInt8](repeating: 0, count: forged.headerLength)
        segment.withUnsafeMutableBytes { bytes in
            forged.emit(into: TCPPacket(unchecked: bytes), source: a.address, destination: b.address)
        }
        let frame = ethernetFrame(
            to: testMAC(3), from: testMAC(2), type: .ipv4,
            ipv4Datagram(from: a.address, to: b.address, protocol: .tcp, segment))
        network.link.inject(frame, into: b.port, at: network.now)
        network.run(for: .milliseconds(50))
        try expectEqual(b.sockets.tcp.counters.synCookiesAccepted, 0, "no connection from a forged cookie")
        try expectEqual(b.sockets.tcp.counters.resetsSent, resets + 1, "answered with a RST")
    }
}
