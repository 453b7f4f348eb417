/// The DHCP client as a socket of a ``SocketSet`` (smoltcp's `dhcpv4::Socket`): the RFC 2131 state machine
/// (``DHCPClient``) and the RFC 5227 probe of an offered address (``AddressProbe``), owned by the set and reached by
/// a ``DHCPHandle``.
///
/// The socket decides; the ``Interface`` only dispatches to it (`Interface+DHCP.swift`): it hands it port-68
/// datagrams and received ARP, sends the messages and probes it has due, and applies the lease changes it reports to
/// the interface's address and gateway. A set holds at most one (one client per interface, RFC 2131 §4.1).
import Runtime

/// A DHCP client of a ``SocketSet``.
public enum DHCPSocketKind: SocketKind {}
/// The DHCP client's handle, from ``SocketSet/addDHCP(_:)``.
public typealias DHCPHandle = SocketHandle<DHCPSocketKind>

/// One DHCP client and the probe of the address it was offered.
///
/// A class, so that the set holds one reference, `nil` until ``Interface/startDHCP(random:sockets:)``: a stack
/// with a static address carries none of the client's state.
public final class DHCPSocket {
    /// The RFC 2131 state machine.
    public internal(set) var client: DHCPClient
    /// The RFC 5227 probe of an offered address, while one runs.
    var probe: AddressProbe?
    /// ARP probes of an offered address before it is used (0: bound at once).
    let probes: Int
    let random: () -> UInt64

    /// A client for the port with MAC `hardwareAddress` that probes an offered address `probes` times first.
    /// - Parameter random: uniformly random 64-bit values (xids, retransmission and probe jitter): `Entropy.next`
    ///   in production, a seeded generator in tests.
    public init(hardwareAddress: MACAddress, probes: Int, random: @escaping () -> UInt64) {
        self.client = DHCPClient(hardwareAddress: hardwareAddress, requestsBroadcastReplies: true, random: random)
        self.probes = probes
        self.random = random
    }

    /// Whether the offered address is being ARP-probed before use.
    public var isProbingAddress: Bool { self.probe != nil }

    /// When the client or the probe next needs a poll; `nil` when neither has anything scheduled.
    var nextPollTime: Instant? {
        var earliest = self.probe?.nextAt
        let time = self.client.nextPollTime
        if time < .distantFuture, earliest == nil || time < earliest! { earliest = time }
        return earliest
    }

    /// What the probe has due at `now`.
    enum ProbeStep {
        /// Broadcast this ARP probe.
        case send(ARPMessage)
        /// ANNOUNCE_WAIT passed without a conflict: bind the lease.
        case bind(DHCPLease)
    }

    /// The probe's next step if one is due at `now` (RFC 5227 §2.1.1: sender hardware address ours, sender protocol
    /// address zero, target hardware zero); the probe is then scheduled on (or ended, for ``ProbeStep/bind(_:)``).
    func pollProbe(now: Instant) -> ProbeStep? {
        guard var probe = self.probe, now >= probe.nextAt else { return nil }
        guard probe.probesLeft > 0 else {
            self.probe = nil
            return .bind(probe.lease)
        }
        let message = ARPMessage(
            operation: .request, senderHardwareAddress: self.client.hardwareAddress,
            senderProtocolAddress: .unspecified, targetHardwareAddress: MACAddress(rawValue: 0),
            targetProtocolAddress: probe.address)
        probe.sent(now: now, random: self.random())
        self.probe = probe
        return .send(message)
    }

    /// Received ARP while probing: returns the probed address when `message` shows it in use (RFC 5227 §2.1.1),
    /// ending the probe; the caller declines the offer (RFC 2131 §4.4.1).
    func conflict(with message: ARPMessage) -> IPv4Address? {
        guard let probe = self.probe, probe.conflicts(with: message, mac: self.client.hardwareAddress) else {
            return nil
        }
        self.probe = nil
        return probe.address
    }

    /// The client's next lease change for the interface to apply, oldest first: a lease the client bound starts
    /// the probe instead (reported by ``pollProbe(now:)`` once free), and a lost lease ends a probe of its address.
    func nextLeaseChange(now: Instant) -> DHCPEvent? {
        while let event = self.client.nextEvent() {
            switch event {
            case .bound(let lease):
                guard self.probes > 0 else { return event }
                self.probe = AddressProbe(lease: lease, count: self.probes, now: now, random: self.random())
            case .renewed:
                return event
            case .lost(let lease):
                if self.probe?.address == lease.address.address { self.probe = nil }
                return event
            }
        }
        return nil
    }
}
