/// The dual-mode stack suite: interfaces on an in-memory ``VirtualLink`` with a virtual clock (nothing reads a real
/// clock), exercising ARP, IPv4, ICMP, UDP, DHCP and DNS of `Sources/Net/Interface`, `Sources/Net/Sockets` and
/// `Sources/Net/Stack` (against scripted servers), with seeded faults, in dev (posix) and prod (virtio).
/// Run: `./swiftlet test Tests/DualMode/stack --target both`.
import Net
import NetTesting
import Runtime

@main
struct StackSuite: TestableApplication {
    static func run(_ arguments: BootArguments) async -> Int32 {
        print("stack suite: run with swiftlet.test=all (or a test's name)")
        return 0
    }

    static func tests(_ suite: inout TestSuite) {
        registerARPTests(&suite)
        registerIPv4Tests(&suite)
        registerICMPTests(&suite)
        registerUDPTests(&suite)
        registerLoopbackTests(&suite)
        registerRobustnessTests(&suite)
        registerConfigurationTests(&suite)
        registerDHCPTests(&suite)
        registerDNSTests(&suite)
        registerTransmitQueueTests(&suite)
    }
}

// MARK: - The test network

/// A host on the test link: an interface and the sockets it serves.
final class Host {
    let interface: Interface<VirtualLinkDevice>
    var sockets = SocketSet()

    init(_ interface: Interface<VirtualLinkDevice>) {
        self.interface = interface
    }

    var counters: InterfaceCounters { self.interface.counters }
    var port: Int { self.interface.device.port }

    func bind(_ port: UInt16, receiveCapacity: Int = 16) throws(TestFailure) -> UDPHandle {
        do throws(UDPBindError) {
            return try self.sockets.bindUDP(port: port, receiveCapacity: receiveCapacity)
        } catch {
            throw TestFailure("bind \(port): \(error)")
        }
    }

    func send(_ handle: UDPHandle, _ payload: [UInt8], to address: IPv4Address, port: UInt16) throws(TestFailure) {
        do throws(UDPSocketSendError) {
            try self.sockets[udp: handle].send(payload, to: address, port: port)
        } catch {
            throw TestFailure("send to \(address):\(port): \(error)")
        }
    }

    func receive(_ handle: UDPHandle) -> UDPDatagram? {
        self.sockets[udp: handle].receive()
    }
}

/// Hosts and raw ports on one ``VirtualLink``, driven by a virtual clock.
final class TestNetwork {
    let link: VirtualLink
    /// The virtual clock; starts at 1 s so that "time 0" is never special.
    var now = Instant(nanoseconds: 1_000_000_000)
    var hosts: [Host] = []
    /// Scripted peers on raw ports (a DHCP or DNS server): polled with the hosts; `port` is their link port.
    var responders: [(port: Int, poll: (Instant) -> Bool)] = []
    /// Extra wake-up times (a DNS lookup's retries) for ``run(for:until:)``.
    var timers: [() -> Instant?] = []

    init(faults: FaultConfiguration = .none, seed: UInt64 = 1, latency: Duration = .microseconds(100)) {
        self.link = VirtualLink(latency: latency, faults: faults, seed: seed)
    }

    /// Adds a host with address `cidr` (e.g. "10.0.0.2/24"), MAC 02:00:00:00:00:`macByte`.
    func addHost(
        _ cidr: String, gateway: String? = nil, mac macByte: UInt8, mtu: Int = 1500,
        configure: (inout InterfaceConfiguration) -> Void = { _ in }
    ) -> Host {
        let device = self.link.attach(mac: testMAC(macByte), mtu: mtu)
        var configuration = InterfaceConfiguration(
            address: IPv4CIDR(cidr)!, gateway: gateway.map { IPv4Address($0)! })
        configure(&configuration)
        let host = Host(Interface(device: device, configuration: configuration))
        self.hosts.append(host)
        return host
    }

    /// Adds a host without an address that gets one by DHCP, MAC 02:00:00:00:00:`macByte`; `seed` drives its
    /// xids and jitter.
    func addDHCPHost(
        mac macByte: UInt8, seed: UInt64 = 7, configure: (inout InterfaceConfiguration) -> Void = { _ in }
    ) -> Host {
        let device = self.link.attach(mac: testMAC(macByte))
        var configuration = InterfaceConfiguration(address: nil)
        configure(&configuration)
        let host = Host(Interface(device: device, configuration: configuration))
        let random = SeededRandom(seed)
        host.interface.startDHCP(random: { random.next() }, sockets: &host.sockets)
        self.hosts.append(host)
        return host
    }

    /// Adds a raw port (a host the test plays by hand) with MAC 02:00:00:00:00:`macByte`.
    func addRawPort(mac macByte: UInt8) -> VirtualLinkDevice {
        self.link.attach(mac: testMAC(macByte))
    }

    /// Polls every host once at the current time; returns whether any did something.
    @discardableResult
    func pollAll() -> Bool {
        var progressed = false
        for host in self.hosts where host.interface.poll(now: self.now, sockets: &host.sockets) {
            progressed = true
        }
        for responder in self.responders where responder.poll(self.now) { progressed = true }
        return progressed
    }

    /// Runs the hosts for up to `duration` of virtual time, jumping from event to event (frame arrivals, ARP
    /// timers), and stops early once `condition` holds. Returns whether it held.
    @discardableResult
    func run(for duration: Duration, until condition: () -> Bool = { false }) -> Bool {
        let end = self.now + duration
        var idleSteps = 0
        while true {
            let progressed = self.pollAll()
            if condition() { return true }
            if progressed && idleSteps < 10_000 {
                idleSteps += 1
                continue
            }
            idleSteps = 0
            var next: Instant? = nil
            for host in self.hosts {
                for candidate in [
                    self.link.nextDeliveryTime(port: host.port),
                    host.interface.nextPollTime(now: self.now, sockets: host.sockets),
                ] {
                    if let candidate, next == nil || candidate < next! { next = candidate }
                }
            }
            for candidate in self.responders.map({ self.link.nextDeliveryTime(port: $0.port) })
                + self.timers.map({ $0() })
            {
                if let candidate, next == nil || candidate < next! { next = candidate }
            }
            guard let target = next, target <= end else {
                self.now = end
                self.pollAll()
                return condition()
            }
            self.now = target > self.now ? target : self.now + .microseconds(1)
        }
    }

    /// Frames captured on the link so far, decoded.
    func captured(from port: Int? = nil) -> [Decoded] {
        self.link.captured.filter { port == nil || $0.port == port! }.map { Decoded($0.bytes) }
    }

    /// Forgets the captured frames.
    func clearCapture() { self.link.captured.removeAll() }
}

func testMAC(_ last: UInt8) -> MACAddress { MACAddress(0x02, 0, 0, 0, 0, last) }

/// A seeded xorshift64* generator for DHCP xids and jitter, DNS IDs and ports.
final class SeededRandom {
    private var state: UInt64

    init(_ seed: UInt64) { self.state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    func next() -> UInt64 {
        self.state ^= self.state >> 12
        self.state ^= self.state << 25
        self.state ^= self.state >> 27
        return self.state &* 0x2545_F491_4F6C_DD1D
    }
}

func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }

// MARK: - Building frames by hand

/// An ARP message as an Ethernet payload (28 bytes).
func arpPayload(_ message: ARPMessage) -> [UInt8] {
    var buffer = PacketBuffer(capacity: 28, headroom: 0)
    buffer.append(28) { bytes in message.emit(into: ARPPacket(unchecked: bytes)) }
    return buffer.withUnsafeReadableBytes { Array($0) }
}

/// A UDP datagram (header and payload) with its checksum for these addresses.
func udpMessage(
    from source: IPv4Address, _ sourcePort: UInt16, to destination: IPv4Address, _ destinationPort: UInt16,
    _ payload: [UInt8]
) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 8) + payload
    bytes.withUnsafeMutableBytes { raw in
        UDPHeader(sourcePort: sourcePort, destinationPort: destinationPort, payloadLength: payload.count)
            .emit(into: UDPPacket(unchecked: raw), source: source, destination: destination)
    }
    return bytes
}

/// An ICMP echo request (header and data) with its checksum.
func echoRequestMessage(identifier: UInt16, sequenceNumber: UInt16, _ data: [UInt8]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 8 + data.count)
    data.withUnsafeBytes { source in
        bytes.withUnsafeMutableBytes { raw in
            ICMPv4Message.echoRequest(identifier: identifier, sequenceNumber: sequenceNumber, data: source)
                .emit(into: ICMPv4Packet(unchecked: raw))
        }
    }
    return bytes
}

/// A whole UDP frame from a raw host.
func udpFrame(
    from source: (MACAddress, IPv4Address, UInt16), to destination: (MACAddress, IPv4Address, UInt16),
    _ payload: [UInt8]
) -> [UInt8] {
    let udp = udpMessage(from: source.1, source.2, to: destination.1, destination.2, payload)
    return ethernetFrame(
        to: destination.0, from: source.0, type: .ipv4,
        ipv4Datagram(from: source.1, to: destination.1, protocol: .udp, udp))
}

/// A whole echo-request frame from a raw host.
func echoFrame(
    from source: (MACAddress, IPv4Address), to destination: (MACAddress, IPv4Address), identifier: UInt16 = 0x1234,
    sequenceNumber: UInt16 = 1, _ data: [UInt8]
) -> [UInt8] {
    ethernetFrame(
        to: destination.0, from: source.0, type: .ipv4,
        ipv4Datagram(
            from: source.1, to: destination.1, protocol: .icmp,
            echoRequestMessage(identifier: identifier, sequenceNumber: sequenceNumber, data)))
}

/// `count` bytes of a repeating pattern that starts at `seed`.
func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count { bytes[index] = UInt8(truncatingIfNeeded: index &* 7 &+ Int(seed)) }
    return bytes
}

// MARK: - Taking frames apart

/// A captured frame taken apart as far as it goes, with every checksum checked.
struct Decoded {
    var bytes: [UInt8]
    var ethernet: EthernetHeader?
    var arp: ARPMessage?
    var ip: IPv4Header?
    var ipChecksumValid = false
    var ipHeaderLength = 0
    var udp: UDPHeader?
    var udpChecksum: UInt16 = 0
    var udpChecksumValid = false
    var udpPayload: [UInt8] = []
    var icmpType: ICMPv4Type?
    var icmpCode: UInt8 = 0
    var icmpChecksumValid = false
    var icmpBody: [UInt8] = []
    var echoIdentifier: UInt16 = 0
    var echoSequenceNumber: UInt16 = 0

    init(_ frame: [UInt8]) {
        self.bytes = frame
        var buffer = PacketBuffer(frame)
        buffer.withUnsafeMutableReadableBytes { raw in self.decode(raw) }
    }

    private mutating func decode(_ raw: UnsafeMutableRawBufferPointer) {
        guard let frame = try? EthernetPacket(checking: raw) else { return }
        let ethernet = EthernetHeader(parsing: frame)
        self.ethernet = ethernet
        if ethernet.etherType == .arp {
            if let packet = try? ARPPacket(checking: frame.payload) { self.arp = try? ARPMessage(parsing: packet) }
            return
        }
        guard ethernet.etherType == .ipv4, let packet = try? IPv4Packet(checking: frame.payload),
            let header = try? IPv4Header(parsing: packet, verifyingChecksum: false)
        else { return }
        self.ip = header
        self.ipHeaderLength = packet.headerLength
        self.ipChecksumValid = packet.verifyChecksum()
        if header.nextProtocol == .udp, let udp = try? UDPPacket(checking: packet.payload) {
            self.udp = try? UDPHeader(
                parsing: udp, source: header.source, destination: header.destination, verifyingChecksum: false)
            self.udpChecksum = udp.checksum
            self.udpChecksumValid =
                udp.checksum != 0
                && udp.verifyChecksum(source: header.source, destination: header.destination)
            self.udpPayload = Array(UnsafeRawBufferPointer(udp.payload))
        }
        if header.nextProtocol == .icmp, let icmp = try? ICMPv4Packet(checking: packet.payload) {
            self.icmpType = icmp.messageType
            self.icmpCode = icmp.code
            self.icmpChecksumValid = icmp.verifyChecksum()
            self.icmpBody = Array(UnsafeRawBufferPointer(icmp.data))
            self.echoIdentifier = icmp.echoIdentifier
            self.echoSequenceNumber = icmp.echoSequenceNumber
        }
    }

    var isARPRequest: Bool { self.arp?.operation == .request }
    var isARPReply: Bool { self.arp?.operation == .reply }
    var isUDP: Bool { self.udp != nil }
}

/// The error `body` throws; fails the test when it returns normally.
func thrownError<E: Error>(_ what: String, _ body: () throws(E) -> Void) throws(TestFailure) -> E {
    do throws(E) {
        try body()
    } catch {
        return error
    }
    throw TestFailure("\(what): did not fail")
}

/// Whether `text` contains `part` (no Foundation).
func contains(_ text: String, _ part: String) -> Bool {
    let haystack = Array(text.utf8)
    let needle = Array(part.utf8)
    guard needle.count <= haystack.count else { return false }
    if needle.isEmpty { return true }
    for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle {
        return true
    }
    return false
}
