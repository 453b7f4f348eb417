/// UDP (Sources/Net/Interface/Interface+UDP.swift, Sources/Net/Sockets): exchanges with exact payloads, socket
/// queue bounds, binding, checksums, oversize datagrams.
import Net
import NetTesting
import Runtime

private let rawMAC = testMAC(9)
private let rawIP = ip("10.0.0.9")
private let aMAC = testMAC(2)
private let aIP = ip("10.0.0.2")

private func quiet(_ configuration: inout InterfaceConfiguration) {
    configuration.arp.announcements = 0
}

func registerUDPTests(_ suite: inout TestSuite) {
    suite.test("udp.exchange-both-ways-with-exact-payloads") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2)
        let b = network.addHost("10.0.0.3/24", mac: 3)
        let client = try a.bind(0)
        let server = try b.bind(7)
        let clientPort = a.sockets[udp: client].port
        try expectEqual(clientPort, 49152, "first ephemeral port")
        let payloads = [[], [0x42], pattern(1000), pattern(1472, seed: 3)]
        for payload in payloads { try a.send(client, payload, to: ip("10.0.0.3"), port: 7) }
        try expect(network.run(for: .seconds(1)) { b.sockets[udp: server].receiveQueueCount == 4 }, "all arrive")
        for payload in payloads {
            let datagram = try unwrap(b.receive(server), "datagram at B")
            try expectBytes(datagram.payload, payload, "payload at B")
            try expectEqual(datagram.address, aIP, "from A")
            try expectEqual(datagram.port, clientPort, "from A's port")
            try b.send(server, datagram.payload.reversed(), to: datagram.address, port: datagram.port)
        }
        try expect(network.run(for: .seconds(1)) { a.sockets[udp: client].receiveQueueCount == 4 }, "all return")
        for payload in payloads {
            let datagram = try unwrap(a.receive(client), "datagram at A")
            try expectBytes(datagram.payload, payload.reversed(), "payload at A")
            try expectEqual(datagram.address, ip("10.0.0.3"), "from B")
            try expectEqual(datagram.port, 7, "from port 7")
        }
        try expectEqual(a.counters.udp.sent, 4, "A sent")
        try expectEqual(b.counters.udp.received, 4, "B received")
        try expectEqual(b.counters.udp.sent, 4, "B sent")
        try expectEqual(a.counters.udp.received, 4, "A received")
    }

    suite.test("udp.socket-receive-queue-overflow-is-counted") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let socket = try a.bind(7000, receiveCapacity: 4)
        for index in 0..<10 {
            network.link.inject(
                udpFrame(from: (rawMAC, rawIP, 4000), to: (aMAC, aIP, 7000), [UInt8(index)]), into: a.port,
                at: network.now)
        }
        network.run(for: .milliseconds(1))
        try expectEqual(a.sockets[udp: socket].receiveQueueCount, 4, "queued")
        try expectEqual(a.sockets[udp: socket].receiveOverflows, 6, "socket's overflow count")
        try expectEqual(a.counters.udp.queueOverflows, 6, "interface's overflow count")
        for index in 0..<4 {
            let datagram = try unwrap(a.receive(socket), "datagram")
            try expectBytes(datagram.payload, [UInt8(index)], "the first four, in order")
        }
        try expectEqual(a.counters.icmp.errorsSent, 0, "an overflow is not a closed port")
    }

    suite.test("udp.bind-refuses-a-port-in-use-and-handles-go-stale") { () throws(TestFailure) in
        var sockets = SocketSet(capacity: 3)
        let first = try bindOrFail(&sockets, 7000)
        let inUse = try thrownError("second bind to 7000") { () throws(UDPBindError) in
            _ = try sockets.bindUDP(port: 7000)
        }
        try expectEqual(inUse, .addressInUse, "second bind")
        let ephemeral = try bindOrFail(&sockets, 0)
        let next = try bindOrFail(&sockets, 0)
        try expectEqual(sockets[udp: ephemeral].port, 49152, "first ephemeral")
        try expectEqual(sockets[udp: next].port, 49153, "second ephemeral")
        let full = try thrownError("bind beyond capacity") { () throws(UDPBindError) in
            _ = try sockets.bindUDP(port: 9)
        }
        try expectEqual(full, .exhausted, "full set")
        sockets.remove(first)
        try expect(!sockets.isValid(first), "removed handle is stale")
        let reused = try bindOrFail(&sockets, 7000)
        try expect(sockets.isValid(reused) && !sockets.isValid(first), "slot reused under a new generation")
        try expectEqual(sockets.count, 3, "live sockets")
    }

    suite.test("udp.bad-checksum-is-dropped-and-zero-checksum-accepted") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        let socket = try a.bind(7000)
        let good = udpFrame(from: (rawMAC, rawIP, 4000), to: (aMAC, aIP, 7000), [5, 6, 7])
        var bad = good
        bad[40] ^= 0x01  // checksum low byte
        var none = good
        none[40] = 0
        none[41] = 0
        var badLength = good
        badLength[39] = 7  // UDP length 7 < 8
        network.link.inject(bad, into: a.port, at: network.now)
        network.link.inject(badLength, into: a.port, at: network.now)
        network.link.inject(none, into: a.port, at: network.now)
        network.run(for: .milliseconds(1))
        try expectEqual(a.counters.udp.checksumErrors, 1, "checksum errors")
        try expectEqual(a.counters.udp.malformed, 1, "malformed")
        try expectBytes(try unwrap(a.receive(socket), "datagram").payload, [5, 6, 7], "zero checksum accepted")
        try expect(a.receive(socket) == nil, "only that one")
    }

    suite.test("udp.oversize-datagram-is-dropped-and-counted") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2, configure: quiet)
        _ = network.addHost("10.0.0.3/24", mac: 3, configure: quiet)
        let socket = try a.bind(5000)
        try expectEqual(a.interface.maximumUDPPayload, 1472, "maximum payload")
        try a.send(socket, pattern(1473), to: ip("10.0.0.3"), port: 7)
        network.run(for: .milliseconds(10))
        try expectEqual(a.counters.udp.tooLarge, 1, "too large")
        try expectEqual(network.link.captured.count, 0, "nothing sent")
    }

    suite.test("udp.send-queue-full-and-unaddressable-are-reported") { () throws(TestFailure) in
        var sockets = SocketSet()
        let handle: UDPHandle
        do throws(UDPBindError) {
            handle = try sockets.bindUDP(port: 5000, sendCapacity: 2)
        } catch {
            throw TestFailure("bind: \(error)")
        }
        for (address, port, expected) in [
            (ip("0.0.0.0"), UInt16(7), UDPSocketSendError.unaddressable), (ip("10.0.0.3"), 0, .unaddressable),
        ] {
            let error = try thrownError("send to \(address):\(port)") { () throws(UDPSocketSendError) in
                try sockets[udp: handle].send([1], to: address, port: port)
            }
            try expectEqual(error, expected, "error")
        }
        for _ in 0..<2 {
            do throws(UDPSocketSendError) {
                try sockets[udp: handle].send([1], to: ip("10.0.0.3"), port: 7)
            } catch {
                throw TestFailure("send: \(error)")
            }
        }
        try expect(!sockets[udp: handle].canSend, "full")
        let full = try thrownError("third send") { () throws(UDPSocketSendError) in
            try sockets[udp: handle].send([1], to: ip("10.0.0.3"), port: 7)
        }
        try expectEqual(full, .bufferFull, "third send")
    }
}

private func bindOrFail(_ sockets: inout SocketSet, _ port: UInt16) throws(TestFailure) -> UDPHandle {
    do throws(UDPBindError) {
        return try sockets.bindUDP(port: port)
    } catch {
        throw TestFailure("bind \(port): \(error)")
    }
}
