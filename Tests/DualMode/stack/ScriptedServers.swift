/// A scripted router on a raw port of the test link: it answers ARP for its address, runs a DHCP server (OFFER and
/// ACK built with the Net/Wire types, RFC 2131 §4.3) and a DNS server (RFC 1035 answers), and records what it got.
/// Knobs make it unicast its replies, stop answering, drop or forge DNS answers.
import Net
import NetTesting
import Runtime

final class ScriptedRouter {
    struct ReceivedDHCP {
        var message: DHCPMessage
        var ip: IPv4Header
        var ethernetDestination: MACAddress
        var time: Instant
    }

    struct ReceivedQuery {
        var message: DNSMessage
        var source: IPv4Address
        var sourcePort: UInt16
        var time: Instant
    }

    let device: VirtualLinkDevice
    let mac: MACAddress
    let address: IPv4Address

    /// The address offered (yiaddr).
    var offer = ip("10.0.0.57")
    /// Option 51, seconds.
    var leaseTime: UInt32 = 3600
    /// Option 6.
    var dnsServers = [ip("10.0.0.1")]
    /// Whether DISCOVERs and REQUESTs get answers.
    var dhcpAnswers = true
    /// Unicast OFFER/ACK to chaddr and yiaddr even when the BROADCAST flag is set.
    var unicastReplies = false
    /// DHCP messages received, in order.
    var dhcpReceived: [ReceivedDHCP] = []

    /// The A records served; other names get NXDOMAIN.
    var records: [(DNSName, IPv4Address)] = [(DNSName("swiftlet.test")!, ip("10.0.0.77"))]
    /// Queries to drop (as if lost) before answering.
    var dnsDrops = 0
    /// Added to the query's ID in answers (a forged or stray answer when not 0).
    var dnsIDOffset: UInt16 = 0
    /// DNS queries received, in order.
    var dnsQueries: [ReceivedQuery] = []

    init(_ network: TestNetwork, mac macByte: UInt8 = 1, address: String = "10.0.0.1") {
        self.device = network.addRawPort(mac: macByte)
        self.mac = testMAC(macByte)
        self.address = ip(address)
        network.responders.append((port: self.device.port, poll: { now in self.poll(now: now) }))
    }

    /// The DHCP message types received, in order.
    var dhcpTypes: [DHCPMessageType] { self.dhcpReceived.map { $0.message.messageType } }

    /// Handles every frame that arrived by `now`; returns whether there was one.
    func poll(now: Instant) -> Bool {
        var handled = false
        while let frame = self.device.receiveFrame(now: now) {
            handled = true
            self.handle(Decoded(frame), now: now)
        }
        return handled
    }

    private func handle(_ frame: Decoded, now: Instant) {
        guard let ethernet = frame.ethernet else { return }
        if let arp = frame.arp {
            if arp.operation == .request && arp.targetProtocolAddress == self.address {
                let reply = ARPMessage(
                    operation: .reply, senderHardwareAddress: self.mac, senderProtocolAddress: self.address,
                    targetHardwareAddress: arp.senderHardwareAddress, targetProtocolAddress: arp.senderProtocolAddress)
                self.transmit(
                    ethernetFrame(to: arp.senderHardwareAddress, from: self.mac, type: .arp, arpPayload(reply)), now)
            }
            return
        }
        guard let header = frame.ip, let udp = frame.udp else { return }
        if udp.destinationPort == DHCPPacket.serverPort, let message = parseDHCP(frame.udpPayload) {
            self.dhcpReceived.append(
                ReceivedDHCP(message: message, ip: header, ethernetDestination: ethernet.destination, time: now))
            self.answerDHCP(message, now: now)
        } else if udp.destinationPort == DNSPacket.serverPort, header.destination == self.address,
            let message = parseDNS(frame.udpPayload)
        {
            self.dnsQueries.append(
                ReceivedQuery(message: message, source: header.source, sourcePort: udp.sourcePort, time: now))
            self.answerDNS(message, to: (ethernet.source, header.source, udp.sourcePort), now: now)
        }
    }

    private func answerDHCP(_ request: DHCPMessage, now: Instant) {
        guard self.dhcpAnswers, request.operation == .request else { return }
        let type: DHCPMessageType
        switch request.messageType {
        case .discover: type = .offer
        case .request: type = .ack
        default: return
        }
        var reply = DHCPMessage(
            operation: .reply, messageType: type, transactionID: request.transactionID,
            clientHardwareAddress: request.clientHardwareAddress)
        reply.broadcast = request.broadcast
        reply.yourAddress = request.clientAddress.isUnspecified ? self.offer : request.clientAddress
        reply.serverIdentifier = self.address
        reply.leaseTime = self.leaseTime
        reply.subnetMask = ip("255.255.255.0")
        reply.routers = [self.address]
        reply.dnsServers = self.dnsServers
        var bytes = [UInt8](repeating: 0, count: reply.length)
        bytes.withUnsafeMutableBytes { raw in reply.emit(into: DHCPPacket(unchecked: raw)) }
        // RFC 2131 §4.1: to ciaddr when set; else broadcast when the client set the flag; else to yiaddr.
        let destination: (MACAddress, IPv4Address)
        if !request.clientAddress.isUnspecified {
            destination = (request.clientHardwareAddress, request.clientAddress)
        } else if request.broadcast && !self.unicastReplies {
            destination = (.broadcast, .broadcast)
        } else {
            destination = (request.clientHardwareAddress, reply.yourAddress)
        }
        self.transmit(
            udpFrame(
                from: (self.mac, self.address, DHCPPacket.serverPort),
                to: (destination.0, destination.1, DHCPPacket.clientPort), bytes), now)
    }

    private func answerDNS(
        _ query: DNSMessage, to client: (MACAddress, IPv4Address, UInt16), now: Instant
    ) {
        if self.dnsDrops > 0 {
            self.dnsDrops -= 1
            return
        }
        guard let question = query.questions.first else { return }
        var response = query
        response.isResponse = true
        response.recursionAvailable = true
        response.identification = query.identification &+ self.dnsIDOffset
        response.answers = []
        for (name, address) in self.records where name == question.name {
            response.answers.append(DNSRecord(name: question.name, type: .a, timeToLive: 60, data: .a(address)))
        }
        if response.answers.isEmpty { response.responseCode = .nameError }
        var bytes = [UInt8](repeating: 0, count: response.length)
        bytes.withUnsafeMutableBytes { raw in response.emit(into: DNSPacket(unchecked: raw)) }
        self.transmit(udpFrame(from: (self.mac, self.address, DNSPacket.serverPort), to: client, bytes), now)
    }

    private func transmit(_ frame: [UInt8], _ now: Instant) {
        frame.withUnsafeBytes { raw in
            do throws(NetworkDeviceError) {
                try self.device.transmit(raw, now: now)
            } catch {
                // A frame the link refuses is lost, as on a wire.
            }
        }
    }
}

/// A host on a raw port that claims `address`: it answers ARP requests and probes for it.
final class AddressSquatter {
    let device: VirtualLinkDevice
    let mac: MACAddress
    let address: IPv4Address

    init(_ network: TestNetwork, mac macByte: UInt8, address: String) {
        self.device = network.addRawPort(mac: macByte)
        self.mac = testMAC(macByte)
        self.address = ip(address)
        network.responders.append((port: self.device.port, poll: { now in self.poll(now: now) }))
    }

    func poll(now: Instant) -> Bool {
        var handled = false
        while let frame = self.device.receiveFrame(now: now) {
            handled = true
            guard let arp = Decoded(frame).arp, arp.operation == .request, arp.targetProtocolAddress == self.address
            else { continue }
            let reply = ARPMessage(
                operation: .reply, senderHardwareAddress: self.mac, senderProtocolAddress: self.address,
                targetHardwareAddress: arp.senderHardwareAddress, targetProtocolAddress: arp.senderProtocolAddress)
            let bytes = ethernetFrame(to: arp.senderHardwareAddress, from: self.mac, type: .arp, arpPayload(reply))
            bytes.withUnsafeBytes { raw in
                do throws(NetworkDeviceError) {
                    try self.device.transmit(raw, now: now)
                } catch {}
            }
        }
        return handled
    }
}

/// A DHCP message from a UDP payload, or `nil` when it does not parse.
func parseDHCP(_ payload: [UInt8]) -> DHCPMessage? {
    var buffer = PacketBuffer(payload)
    return buffer.withUnsafeMutableReadableBytes { raw -> DHCPMessage? in
        do throws(WireError) {
            return try DHCPMessage(parsing: try DHCPPacket(checking: raw))
        } catch {
            return nil
        }
    }
}

/// A DNS message from a UDP payload, or `nil` when it does not parse.
func parseDNS(_ payload: [UInt8]) -> DNSMessage? {
    var buffer = PacketBuffer(payload)
    return buffer.withUnsafeMutableReadableBytes { raw -> DNSMessage? in
        do throws(WireError) {
            return try DNSMessage(parsing: try DNSPacket(checking: raw))
        } catch {
            return nil
        }
    }
}
