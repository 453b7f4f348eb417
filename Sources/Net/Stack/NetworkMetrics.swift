import Runtime

/// A network stack's counters in Runtime's metrics registry (docs/OBSERVABILITY.md).
///
/// `stack.registerMetrics(interface: "service")` adds the stack; one collector (`net`) writes every registered
/// stack's figures per family, each sample labelled `interface="<name>"`. It reads the counters the interface
/// already keeps (``InterfaceCounters``, ``TCPCounters``, ``TCPConnectionCounters``): nothing is counted twice and
/// nothing costs anything between scrapes.
///
/// Families (counters unless marked gauge): `swiftlet_net_ethernet_frames_total{direction}`,
/// `swiftlet_net_ethernet_dropped_total{reason}`, `swiftlet_net_arp_packets_total{kind}`,
/// `swiftlet_net_arp_dropped_total{reason}`, `swiftlet_net_ipv4_datagrams_total{direction}`,
/// `swiftlet_net_ipv4_dropped_total{reason}`, `swiftlet_net_icmp_messages_total{direction}`,
/// `swiftlet_net_udp_datagrams_total{direction}`, `swiftlet_net_udp_dropped_total{reason}`,
/// `swiftlet_net_tcp_segments_total{direction}`, `swiftlet_net_tcp_dropped_total{reason}`,
/// `swiftlet_net_tcp_retransmits_total{kind}`, `swiftlet_net_tcp_resets_total{direction}`,
/// `swiftlet_net_tcp_connections` and `swiftlet_net_tcp_connection_slots` (gauges).
enum NetworkMetrics {
    nonisolated(unsafe) static var stacks: [(interface: String, stack: NetworkStack)] = []

    static func register(_ stack: NetworkStack, interface: String) {
        stacks.removeAll { $0.interface.utf8.elementsEqual(interface.utf8) }
        stacks.append((interface, stack))
        Metrics.register("net") { writer in collect(&writer) }
    }

    typealias Row = (StaticString, String, Int)

    /// One family with a sample per registered stack and per row (`label` = the row's value).
    private static func family(
        _ writer: inout MetricsWriter, _ name: StaticString, _ kind: MetricsWriter.Kind, _ help: StaticString,
        _ label: StaticString, _ rows: (InterfaceCounters, NetworkStack) -> [(String, Int)]
    ) {
        writer.family(name, kind, help: help)
        for entry in stacks {
            for row in rows(entry.stack.counters, entry.stack) {
                writer.sample(name, [("interface", entry.interface), (label, row.0)], row.1)
            }
        }
    }

    static func collect(_ writer: inout MetricsWriter) {
        family(&writer, "swiftlet_net_ethernet_frames_total", .counter, "Frames read from and handed to the device.",
               "direction") { c, _ in [("received", c.ethernet.received), ("sent", c.ethernet.sent)] }
        family(&writer, "swiftlet_net_ethernet_dropped_total", .counter, "Frames dropped by the Ethernet layer.",
               "reason") { c, _ in
            let e = c.ethernet
            return [("malformed", e.malformed), ("not_for_us", e.notForUs), ("unknown_type", e.unknownType),
                    ("transmit_queue_full", e.transmitQueueFull), ("device_error", e.deviceErrors)]
        }
        family(&writer, "swiftlet_net_arp_packets_total", .counter, "ARP packets received and sent.", "kind") { c, _ in
            [("received", c.arp.received), ("request_sent", c.arp.requestsSent), ("reply_sent", c.arp.repliesSent)]
        }
        family(&writer, "swiftlet_net_arp_dropped_total", .counter, "ARP packets and queued datagrams dropped.",
               "reason") { c, _ in
            let a = c.arp
            return [("malformed", a.malformed), ("conflict", a.conflicts), ("pending_overflow", a.pendingOverflows),
                    ("unresolved", a.pendingDropped)]
        }
        family(&writer, "swiftlet_net_ipv4_datagrams_total", .counter, "IPv4 datagrams received and sent.",
               "direction") { c, _ in [("received", c.ipv4.received), ("sent", c.ipv4.sent)] }
        family(&writer, "swiftlet_net_ipv4_dropped_total", .counter, "IPv4 datagrams dropped.", "reason") { c, _ in
            let i = c.ipv4
            return [("malformed", i.malformed), ("checksum", i.checksumErrors), ("not_for_us", i.notForUs),
                    ("bad_source", i.badSource), ("fragment", i.fragmentsDropped),
                    ("unknown_protocol", i.unknownProtocol), ("no_route", i.noRoute),
                    ("loopback_full", i.loopbackDropped)]
        }
        family(&writer, "swiftlet_net_icmp_messages_total", .counter, "ICMP messages received and sent.",
               "direction") { c, _ in [("received", c.icmp.received), ("sent", c.icmp.sent)] }
        family(&writer, "swiftlet_net_udp_datagrams_total", .counter, "UDP datagrams received and sent.",
               "direction") { c, _ in [("received", c.udp.received), ("sent", c.udp.sent)] }
        family(&writer, "swiftlet_net_udp_dropped_total", .counter, "UDP datagrams dropped.", "reason") { c, _ in
            let u = c.udp
            return [("malformed", u.malformed), ("checksum", u.checksumErrors), ("no_socket", u.noSocket),
                    ("queue_full", u.queueOverflows), ("too_large", u.tooLarge)]
        }
        family(&writer, "swiftlet_net_tcp_segments_total", .counter, "TCP segments received and sent.",
               "direction") { c, _ in [("received", c.tcp.received), ("sent", c.tcp.sent)] }
        family(&writer, "swiftlet_net_tcp_dropped_total", .counter, "TCP segments dropped.", "reason") { c, _ in
            [("malformed", c.tcp.malformed), ("checksum", c.tcp.checksumErrors), ("no_socket", c.tcp.noSocket),
             ("syn_queue_full", c.tcp.synDropped), ("unacceptable", c.tcpConnections.dropped)]
        }
        family(&writer, "swiftlet_net_tcp_retransmits_total", .counter, "TCP retransmissions.", "kind") { c, _ in
            [("timeout", c.tcpConnections.timeouts), ("fast", c.tcpConnections.fastRetransmits),
             ("segments", c.tcpConnections.retransmits)]
        }
        family(&writer, "swiftlet_net_tcp_resets_total", .counter, "TCP resets received and sent.", "direction") { c, _ in
            [("received", c.tcpConnections.resetsReceived),
             ("sent", c.tcpConnections.resetsSent + c.tcp.resetsSent)]
        }
        writer.family("swiftlet_net_tcp_connections", .gauge, help: "Live TCP connections (any state but CLOSED).")
        for entry in stacks {
            writer.sample("swiftlet_net_tcp_connections", [("interface", entry.interface)],
                          entry.stack.interface.tcp.connectionCount)
        }
        writer.family("swiftlet_net_tcp_connection_slots", .gauge, help: "TCP connections the stack can hold.")
        for entry in stacks {
            writer.sample("swiftlet_net_tcp_connection_slots", [("interface", entry.interface)],
                          entry.stack.interface.tcp.connectionCapacity)
        }
    }
}

extension NetworkStack {
    /// Adds this stack's counters to ``Metrics`` under the label `interface` (the device's name in the manifest):
    /// every scrape then reports them. Registering a second stack under the same name replaces the first.
    public func registerMetrics(interface: String) {
        NetworkMetrics.register(self, interface: interface)
    }
}
