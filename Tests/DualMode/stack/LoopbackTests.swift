/// Loopback (Sources/Net/Interface/Interface+Loopback.swift): datagrams to our own address are delivered by the
/// next poll and never reach the link; the queue is bounded and its overflow counted.
import Net
import NetTesting
import Runtime

func registerLoopbackTests(_ suite: inout TestSuite) {
    suite.test("loopback.udp-to-our-own-address-stays-off-the-link") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2) { $0.arp.announcements = 0 }
        let client = try a.bind(0)
        let server = try a.bind(7)
        try expect(a.interface.route(to: ip("10.0.0.2")) == ip("10.0.0.2"), "our own address routes to itself")
        let payloads = [[], [0x42], pattern(1000, seed: 5), pattern(1472, seed: 6)]
        for payload in payloads { try a.send(client, payload, to: ip("10.0.0.2"), port: 7) }
        try expect(network.run(for: .seconds(1)) { a.sockets[udp: server].receiveQueueCount == 4 }, "all arrive")
        for payload in payloads {
            let datagram = try unwrap(a.receive(server), "datagram")
            try expectBytes(datagram.payload, payload, "payload")
            try expectEqual(datagram.address, ip("10.0.0.2"), "from ourselves")
        }
        try expectEqual(network.link.captured.count, 0, "nothing on the link: no ARP, no frames")
        try expectEqual(a.counters.ipv4.loopback, 4, "counted as loopback")
        try expectEqual(a.counters.ipv4.fragmentsSent, 0, "no fragmentation")
    }
    suite.test("loopback.queue-overflow-is-counted-and-survived") { () throws(TestFailure) in
        let network = TestNetwork()
        let a = network.addHost("10.0.0.2/24", mac: 2) { configuration in
            configuration.arp.announcements = 0
            configuration.loopbackCapacity = 4
            configuration.sendBudget = 10
        }
        let client = try a.bind(0)
        let server = try a.bind(7, receiveCapacity: 32)
        for index in 0..<10 { try a.send(client, [UInt8(index)], to: ip("10.0.0.2"), port: 7) }
        network.run(for: .milliseconds(100))
        try expectEqual(a.counters.ipv4.loopbackDropped, 6, "six beyond the queue's four")
        try expectEqual(a.sockets[udp: server].receiveQueueCount, 4, "four delivered")
        try a.send(client, [0xFF], to: ip("10.0.0.2"), port: 7)
        try expect(network.run(for: .milliseconds(100)) { a.sockets[udp: server].receiveQueueCount == 5 }, "later ones pass")
    }
}
