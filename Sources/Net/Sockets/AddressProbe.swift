/// The ARP probe of an address before it is used (RFC 5227 §2.1.1, "Probe Details"), as a small timer state
/// machine a ``DHCPSocket`` holds (the ``Interface`` sends its probes and shows it received ARP).
///
/// After a random wait of up to PROBE_WAIT (1 s) the host sends PROBE_NUM (3) ARP requests with sender protocol
/// address 0.0.0.0 and target the candidate address, PROBE_MIN to PROBE_MAX (1–2 s) apart at random, then waits
/// ANNOUNCE_WAIT (2 s). If during that time any ARP packet has the candidate as its sender address, or another
/// host probes the same address, the address is in use: the DHCP client declines it (RFC 2131 §4.4.1).
import Runtime

/// One probe in progress.
struct AddressProbe {
    /// RFC 5227 §1.1 PROBE_WAIT: the most the first probe waits.
    static let probeWait: Duration = .seconds(1)
    /// RFC 5227 §1.1 PROBE_MIN; the gap between probes is PROBE_MIN plus up to one more second (PROBE_MAX 2 s).
    static let probeMinimum: Duration = .seconds(1)
    /// RFC 5227 §1.1 ANNOUNCE_WAIT: the wait after the last probe.
    static let announceWait: Duration = .seconds(2)

    /// The lease whose address is probed.
    let lease: DHCPLease
    /// Probes still to send.
    var probesLeft: Int
    /// When the next probe goes out, or (none left) when the address is taken to be free.
    var nextAt: Instant

    /// The candidate address.
    var address: IPv4Address { self.lease.address.address }

    /// A probe of `lease`'s address with `count` probes; the first goes out within ``probeWait`` of `now`.
    init(lease: DHCPLease, count: Int, now: Instant, random: UInt64) {
        self.lease = lease
        self.probesLeft = count
        self.nextAt = now + Self.jitter(Self.probeWait, random)
    }

    /// Whether `message`, received from the link, shows the candidate in use by a host other than `mac`.
    func conflicts(with message: ARPMessage, mac: MACAddress) -> Bool {
        guard message.senderHardwareAddress != mac else { return false }
        if message.senderProtocolAddress == self.address { return true }
        // RFC 5227 §2.1.1: another host probing for the same address at the same time.
        return message.operation == .request && message.senderProtocolAddress.isUnspecified
            && message.targetProtocolAddress == self.address
    }

    /// Records a probe sent at `now` and schedules the next step.
    mutating func sent(now: Instant, random: UInt64) {
        self.probesLeft -= 1
        self.nextAt =
            self.probesLeft > 0 ? now + Self.probeMinimum + Self.jitter(.seconds(1), random) : now + Self.announceWait
    }

    /// A duration uniformly in 0...`limit` (millisecond steps).
    private static func jitter(_ limit: Duration, _ random: UInt64) -> Duration {
        let milliseconds = UInt64(Swift.max(limit.milliseconds, 0))
        return .milliseconds(Int64(random % (milliseconds + 1)))
    }
}
