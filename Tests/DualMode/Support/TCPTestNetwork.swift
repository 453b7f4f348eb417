import Net
import NetTesting
import Runtime

/// A host of a ``TCPTestNetwork``: an interface and its sockets (TCP lives in `sockets.tcp`). Shared by the
/// tcp and tcp-transfers suites (the stack suite has its own network with scripted servers).
final class TCPHost {
    let interface: Interface<VirtualLinkDevice>
    var sockets = SocketSet()

    init(_ interface: Interface<VirtualLinkDevice>) { self.interface = interface }

    var address: IPv4Address { self.interface.address!.address }
    var port: Int { self.interface.device.port }

    /// The interface's next poll time, reading the set in place (passed by value from this class's property, the
    /// set, TCP included, would be copied at each step).
    func nextPollTime(now: Instant) -> Instant? { Self.nextPollTime(self.interface, now: now, sockets: &self.sockets) }

    private static func nextPollTime(
        _ interface: Interface<VirtualLinkDevice>, now: Instant, sockets: inout SocketSet
    ) -> Instant? {
        interface.nextPollTime(now: now, sockets: sockets)
    }

    /// The connection, for a change: its slot is touched (``SocketSet/modifying(tcp:)``), as the async API does
    /// for each of the application's changes, so a connection parked with nothing to send is dispatched again.
    subscript(handle: TCPHandle) -> TCPControlBlock {
        self.sockets.modifying(tcp: handle)
    }
}

/// Hosts on one ``VirtualLink``, driven by a virtual clock from event to event (frame deliveries and the
/// interfaces' next poll times), so a minute of TCP takes milliseconds and runs the same in both modes.
final class TCPTestNetwork {
    let link: VirtualLink
    var now = Instant(nanoseconds: 1_000_000_000)
    var hosts: [TCPHost] = []
    /// The MTU of hosts added from now on.
    var mtu = 1500
    /// The offloads of the ports of hosts added from now on (none: plain frames).
    var offloads: NetOffloads = []
    /// The transmit queue of the ports of hosts added from now on (none: every frame leaves at once).
    var transmitQueue: VirtualTransmitQueue? = nil

    /// A link with this one-way latency and these seeded faults; `capturing` starts ``VirtualLink/captured``.
    init(faults: FaultConfiguration = .none, seed: UInt64 = 1, latency: Duration = .microseconds(100),
        capturing: Bool = true)
    {
        self.link = VirtualLink(latency: latency, faults: faults, seed: seed)
        self.link.isCapturing = capturing
    }

    /// A host with address `cidr` and MAC 02:00:00:00:00:`mac`; it sends no gratuitous ARP.
    func addHost(_ cidr: String, mac: UInt8) -> TCPHost {
        let device = self.link.attach(
            mac: MACAddress(0x02, 0, 0, 0, 0, mac), mtu: self.mtu, offloads: self.offloads,
            transmitQueue: self.transmitQueue)
        var configuration = InterfaceConfiguration(address: IPv4CIDR(cidr)!)
        configuration.arp.announcements = 0
        let host = TCPHost(Interface(device: device, configuration: configuration))
        self.hosts.append(host)
        return host
    }

    /// A connection from `a` to a listener on `b` (backlog 2), accepted, both ends ESTABLISHED; returns (client
    /// handle, server handle).
    func connect(
        _ a: TCPHost, to b: TCPHost, port: UInt16 = 80, client clientConfiguration: TCPConfiguration,
        server serverConfiguration: TCPConfiguration
    ) throws(TestFailure) -> (TCPHandle, TCPHandle) {
        let listener: TCPHandle
        do throws(TCPListenError) {
            listener = try b.interface.listenTCP(
                port: port, backlog: 2, configuration: serverConfiguration, sockets: &b.sockets)
        } catch {
            throw TestFailure("listen: \(error)")
        }
        let client: TCPHandle
        do throws(TCPConnectError) {
            client = try a.interface.connectTCP(
                to: b.address, port: port, now: self.now, configuration: clientConfiguration, sockets: &a.sockets)
        } catch {
            throw TestFailure("connect: \(error)")
        }
        var server: TCPHandle? = nil
        let opened = self.run(for: .seconds(30), until: {
            if server == nil { server = b.sockets.tcp.accept(listener) }
            return server != nil && a[client].state == .established && b[server!].state == .established
        })
        try expect(opened, "handshake completes")
        return (client, server!)
    }

    /// Runs for up to `duration` of virtual time, calling `step` after each round of polls, until `condition`;
    /// returns whether it held.
    @discardableResult
    func run(for duration: Duration, step: () -> Void = {}, until condition: () -> Bool = { false }) -> Bool {
        let end = self.now + duration
        while true {
            var progressed = false
            for host in self.hosts where host.interface.poll(now: self.now, sockets: &host.sockets) {
                progressed = true
            }
            step()
            if condition() { return true }
            if progressed { continue }
            var next: Instant? = nil
            for host in self.hosts {
                for candidate in [
                    self.link.nextDeliveryTime(port: host.port),
                    host.nextPollTime(now: self.now),
                ] {
                    if let candidate, next == nil || candidate < next! { next = candidate }
                }
            }
            guard let target = next, target <= end else {
                self.now = end
                return condition()
            }
            self.now = target > self.now ? target : self.now + .microseconds(1)
        }
    }
}
