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
/// `swiftlet_net_tcp_send_buffer_growths_refused_total{reason}` (one count for all stacks: docs/TCP.md, autotuning),
/// `swiftlet_net_tcp_connections`, `swiftlet_net_tcp_sockets{state}` (per RFC 9293 §3.3.2 state, listeners as
/// `listen`) and `swiftlet_net_tcp_connection_slots` (gauges).
enum NetworkMetrics {
    nonisolated(unsafe) static var stacks: [(interface: String, stack: NetworkStack)] = []

    static func register(_ stack: NetworkStack, interface: String) {
        stacks.removeAll { $0.interface.utf8.elementsEqual(interface.utf8) }
        stacks.append((interface, stack))
        Metrics.register("net") { writer in collect(&writer) }
    }

    /// The counter families, in scrape order: name, kind, help, the label that tells a family's samples apart and
    /// its values, comma-separated, in the order ``figures(_:)`` lists their numbers.
    static let families: [(StaticString, MetricsWriter.Kind, StaticString, StaticString, StaticString)] = [
        ("swiftlet_net_ethernet_frames_total", .counter, "Frames read from and handed to the device.", "direction",
         "received,sent"),
        ("swiftlet_net_ethernet_dropped_total", .counter, "Frames dropped by the Ethernet layer.", "reason",
         "malformed,not_for_us,unknown_type,transmit_queue_full,device_error"),
        ("swiftlet_net_arp_packets_total", .counter, "ARP packets received and sent.", "kind",
         "received,request_sent,reply_sent"),
        ("swiftlet_net_arp_dropped_total", .counter, "ARP packets and queued datagrams dropped.", "reason",
         "malformed,conflict,pending_overflow,unresolved"),
        ("swiftlet_net_ipv4_datagrams_total", .counter, "IPv4 datagrams received and sent.", "direction",
         "received,sent"),
        ("swiftlet_net_ipv4_dropped_total", .counter, "IPv4 datagrams dropped.", "reason",
         "malformed,checksum,not_for_us,bad_source,fragment,unknown_protocol,no_route,loopback_full"),
        ("swiftlet_net_icmp_messages_total", .counter, "ICMP messages received and sent.", "direction",
         "received,sent"),
        ("swiftlet_net_udp_datagrams_total", .counter, "UDP datagrams received and sent.", "direction",
         "received,sent"),
        ("swiftlet_net_udp_dropped_total", .counter, "UDP datagrams dropped.", "reason",
         "malformed,checksum,no_socket,queue_full,too_large"),
        ("swiftlet_net_tcp_segments_total", .counter, "TCP segments received and sent.", "direction",
         "received,sent"),
        ("swiftlet_net_tcp_dropped_total", .counter, "TCP segments dropped.", "reason",
         "malformed,checksum,no_socket,syn_queue_full,unacceptable"),
        ("swiftlet_net_tcp_retransmits_total", .counter, "TCP retransmissions.", "kind", "timeout,fast,segments"),
        ("swiftlet_net_tcp_resets_total", .counter, "TCP resets received and sent.", "direction", "received,sent"),
        ("swiftlet_net_tcp_send_buffer_growths_refused_total", .counter,
         "Send-buffer autotuning steps refused because the heap could not spare them (all stacks).", "reason",
         "short_heap"),
        ("swiftlet_net_tcp_sockets", .gauge,
         "TCP sockets per RFC 9293 state (listen: listeners; closed: ended, not yet released).", "state",
         "closed,listen,syn_sent,syn_received,established,fin_wait_1,fin_wait_2,close_wait,closing,last_ack,time_wait"),
    ]

    /// Every number of ``families`` for `stack`, family after family (the TCP states in ``TCPState/all``'s order).
    static func figures(_ stack: NetworkStack) -> [Int] {
        let c = stack.counters
        let e = c.ethernet, a = c.arp, i = c.ipv4, u = c.udp, t = c.tcp, k = c.tcpConnections
        var numbers = [
            e.received, e.sent, e.malformed, e.notForUs, e.unknownType, e.transmitQueueFull, e.deviceErrors,
            a.received, a.requestsSent, a.repliesSent, a.malformed, a.conflicts, a.pendingOverflows, a.pendingDropped,
            i.received, i.sent, i.malformed, i.checksumErrors, i.notForUs, i.badSource, i.fragmentsDropped,
            i.unknownProtocol, i.noRoute, i.loopbackDropped,
            c.icmp.received, c.icmp.sent,
            u.received, u.sent, u.malformed, u.checksumErrors, u.noSocket, u.queueOverflows, u.tooLarge,
            t.received, t.sent, t.malformed, t.checksumErrors, t.noSocket, t.synDropped, k.dropped,
            k.timeouts, k.fastRetransmits, k.retransmits,
            k.resetsReceived, k.resetsSent + t.resetsSent, TCPByteRing.growthsRefused,
        ]
        numbers += stack.sockets.tcp.stateCounts()
        return numbers
    }

    static func collect(_ writer: inout MetricsWriter) {
        let figures = stacks.map { Self.figures($0.stack) }
        var offset = 0
        for family in families {
            var count = 1
            family.4.withUTF8Buffer { for byte in $0 where byte == 0x2C { count += 1 } }
            writer.family(family.0, family.1, help: family.2)
            for (index, entry) in stacks.enumerated() {
                writer.samples(family.0, fixed: ("interface", entry.interface), label: family.3, values: family.4,
                               Array(figures[index][offset..<offset + count]))
            }
            offset += count
        }
        writer.family("swiftlet_net_tcp_connections", .gauge, help: "Live TCP connections (any state but CLOSED).")
        for entry in stacks {
            writer.sample("swiftlet_net_tcp_connections", [("interface", entry.interface)],
                          entry.stack.sockets.tcp.connectionCount)
        }
        writer.family("swiftlet_net_tcp_connection_slots", .gauge, help: "TCP connections the stack can hold.")
        for entry in stacks {
            writer.sample("swiftlet_net_tcp_connection_slots", [("interface", entry.interface)],
                          entry.stack.sockets.tcp.connectionCapacity)
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
