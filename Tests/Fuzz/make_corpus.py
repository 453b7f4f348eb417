#!/usr/bin/env python3
"""Writes the fuzz seed corpus, Tests/Fuzz/corpus/<harness>/<seed> (docs/FUZZING.md).

Real packets and texts, built here from their RFC layouts with checksums filled, so the corpus can be
regenerated and reviewed; a few KB in all. Run from anywhere: python3 Tests/Fuzz/make_corpus.py
"""
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

US_MAC = bytes([2, 0, 0, 0, 0, 2])
PEER_MAC = bytes([2, 0, 0, 0, 0, 1])
BROADCAST = b"\xff" * 6
US = bytes([10, 0, 0, 2])
PEER = bytes([10, 0, 0, 1])


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(payload, destination=US_MAC, source=PEER_MAC, ethertype=0x0800):
    return destination + source + struct.pack("!H", ethertype) + payload


def ipv4(payload, protocol, source=PEER, destination=US, identification=1, flags_fragment=0x4000, options=b"",
         ttl=64, total=None):
    ihl = 5 + len(options) // 4
    total = total if total is not None else ihl * 4 + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, identification, flags_fragment, ttl, protocol, 0,
                         source, destination) + options
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def pseudo(source, destination, protocol, length):
    return source + destination + struct.pack("!BBH", 0, protocol, length)


def udp(payload, source_port, destination_port, source=PEER, destination=US):
    length = 8 + len(payload)
    segment = struct.pack("!HHHH", source_port, destination_port, length, 0) + payload
    value = checksum(pseudo(source, destination, 17, length) + segment) or 0xFFFF
    return segment[:6] + struct.pack("!H", value) + segment[8:]


def tcp(source_port, destination_port, sequence, acknowledgment, flags, window=65535, options=b"", payload=b"",
        source=PEER, destination=US):
    options += b"\0" * (-len(options) % 4)
    offset = (20 + len(options)) // 4
    segment = struct.pack("!HHIIBBHHH", source_port, destination_port, sequence, acknowledgment, offset << 4, flags,
                          window, 0, 0) + options + payload
    value = checksum(pseudo(source, destination, 6, len(segment)) + segment)
    return segment[:16] + struct.pack("!H", value) + segment[18:]


def icmp(kind, code, rest, data):
    message = struct.pack("!BBH", kind, code, 0) + rest + data
    return message[:2] + struct.pack("!H", checksum(message)) + message[4:]


def arp(operation, sender_mac, sender, target_mac, target):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, operation, sender_mac, sender, target_mac, target)


def dhcp(op, message_type, xid, yiaddr=b"\0" * 4, extra=b""):
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", op, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4, yiaddr, b"\0" * 4,
                        b"\0" * 4, US_MAC + b"\0" * 10, b"", b"")
    options = bytes([53, 1, message_type]) + extra + b"\xff"
    return fixed + struct.pack("!I", 0x63825363) + options


def dns_name(text):
    out = b""
    for label in text.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


MSS_WS_SACK_TS = b"\x02\x04\x05\xb4" + b"\x01\x03\x03\x07" + b"\x04\x02" + b"\x08\x0a" + struct.pack("!II", 1, 0)
SACK_TS = b"\x01\x01\x05\x0a" + struct.pack("!II", 5000, 6000) + b"\x01\x01\x08\x0a" + struct.pack("!II", 2, 1)

PING = icmp(8, 0, struct.pack("!HH", 0x1234, 1), b"swiftlet-fuzz-ping")
ARP_REQUEST = arp(1, PEER_MAC, PEER, b"\0" * 6, US)
ARP_REPLY = arp(2, PEER_MAC, PEER, US_MAC, US)
SYN = tcp(40000, 80, 1000, 0, 0x02, options=MSS_WS_SACK_TS)
DNS_QUERY = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + dns_name("example.com") + struct.pack("!HH", 1, 1)
# www.example.com is a CNAME for example.com (a pointer into the question), which has an A record.
DNS_RESPONSE = (struct.pack("!HHHHHH", 0x4242, 0x8180, 1, 2, 0, 0) + dns_name("www.example.com")
                + struct.pack("!HH", 1, 1)
                + b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 300, 2) + b"\xc0\x10"
                + b"\xc0\x10" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([93, 184, 216, 34]))
DHCP_OFFER = dhcp(2, 2, 0x11223344, yiaddr=US,
                  extra=bytes([54, 4]) + PEER + bytes([51, 4, 0, 0, 0x0e, 0x10, 1, 4, 255, 255, 255, 0, 3, 4]) + PEER
                  + bytes([6, 8]) + PEER + bytes([8, 8, 8, 8]))
DHCP_ACK = dhcp(2, 5, 0x11223344, yiaddr=US, extra=bytes([54, 4]) + PEER + bytes([51, 4, 0, 0, 0x0e, 0x10]))
DHCP_DISCOVER = dhcp(1, 1, 0x55667788, extra=bytes([55, 3, 1, 3, 6, 57, 2, 5, 220]))
ROUTER_ALERT = ipv4(udp(b"hello", 5000, 7), 17, options=b"\x94\x04\0\0")
FRAGMENT_1 = ipv4(udp(b"A" * 40, 5000, 7)[:24], 17, identification=77, flags_fragment=0x2000)
FRAGMENT_2 = ipv4(b"A" * 24, 17, identification=77, flags_fragment=3)
UNREACHABLE = icmp(3, 3, b"\0\0\0\0", ipv4(udp(b"x", 7, 5000, source=US, destination=PEER), 17, source=US,
                                            destination=PEER)[:28])
TIME_EXCEEDED = icmp(11, 0, b"\0\0\0\0", ipv4(udp(b"x", 7, 5000), 17)[:28])


def frames(control, *items):
    """An `interface` input: control byte, then (flags, frame) records."""
    out = bytes([control])
    for flags, frame in items:
        out += struct.pack("!HB", len(frame), flags) + frame
    return out


SEEDS = {
    "ethernet": {"arp-request": ethernet(ARP_REQUEST, destination=BROADCAST, ethertype=0x0806),
                 "ping": ethernet(ipv4(PING, 1))},
    "arp": {"request": ARP_REQUEST, "reply": ARP_REPLY, "probe": arp(1, PEER_MAC, b"\0" * 4, b"\0" * 6, US)},
    "ipv4": {"ping": ipv4(PING, 1), "router-alert": ROUTER_ALERT, "fragment": FRAGMENT_1},
    "icmp": {"echo": PING, "unreachable": UNREACHABLE, "time-exceeded": TIME_EXCEEDED},
    "udp": {"dns-query": udp(DNS_QUERY, 5353, 53)},
    "tcp": {"syn": SYN, "sack-data": tcp(40000, 80, 1001, 5001, 0x18, options=SACK_TS, payload=b"GET / HTTP/1.1\r\n")},
    "tcp-options": {"syn": MSS_WS_SACK_TS, "sack": SACK_TS},
    "dhcp": {"offer": DHCP_OFFER, "ack": DHCP_ACK, "discover": DHCP_DISCOVER},
    "dns": {"query": DNS_QUERY, "response": DNS_RESPONSE},
    "http": {
        "get": b"\x00GET /index.html?x=1 HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n",
        "post-chunked": b"\x02POST /kv/a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"5\r\nhello\r\n0\r\nTrailer: t\r\n\r\n",
        "pipelined-small-limits": b"\x81GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                                  b"PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
    },
    "http-response": {
        "chunked": b"\x02HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
        "interim-length": b"\x84HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 3\r\n"
                          b"Connection: keep-alive\r\n\r\nabc",
        "head-until-close": b"\x01HTTP/1.1 301 Moved\r\nLocation: http://h:81/x\r\n\r\nbody",
        "url": b"\x00http://Example.test:8080/a/b?q=1#f",
    },
    "boot-arguments": {"line": b"swiftlet.test=all port=8080 ip=10.0.0.2/24 gateway=10.0.0.1 dns=10.0.0.1"},
    "boot-words": {"line": b"@net.service=02:00:00:00:00:01 virtio_mmio.device=512@0xfeb00000:12 ip=10.0.0.2/24"
                           b" @net.uplink=02:53:57:aa:bb:cc @other"},
    "device-options": {"all": b"\x00service=tap:tap0,mac=02:00:00:00:00:01,mtu=9000\0"
                              b"\x00uplink=socket:/tmp/a,,b.sock\0\x01storage=disk.img,block-size=4096\0"
                              b"\x02service=capture.pcap\0\x00fd=fd:3"},
    "store": {"open": b"\x00", "write": b"\x02",
              # A fuzz finding: a sealed leaf slot pointing past the page (Sources/Store/Format.swift, PageValidator).
              "regression-slot-past-page": b"\x02\x63\x6f\x00\x82\xfe",
              "patched-meta": b"\x00\x00\x28\x00\x04\x00\x00\x00\x01",
              "patched-leaf": b"\x02\x02\x30\x00\x02\x09\x00"},
    "interface": {
        "arp-ping": frames(0, (3, ethernet(ARP_REQUEST, destination=BROADCAST, ethertype=0x0806)),
                           (3, ethernet(ipv4(PING, 1)))),
        "tcp-session": frames(0, (3, ethernet(ARP_REQUEST, destination=BROADCAST, ethertype=0x0806)),
                              (3, ethernet(ipv4(SYN, 6))),
                              (0x1b, ethernet(ipv4(tcp(40000, 80, 1001, 0, 0x10), 6))),
                              (0x1b, ethernet(ipv4(tcp(40000, 80, 1001, 0, 0x18, payload=b"GET / HTTP/1.1\r\n\r\n"), 6))),
                              (0x1b, ethernet(ipv4(tcp(40000, 80, 1019, 0, 0x19, payload=b"Q"), 6)))),
        "udp-fragments": frames(0, (3, ethernet(ARP_REPLY, ethertype=0x0806)), (3, ethernet(ROUTER_ALERT)), (3, ethernet(FRAGMENT_1)), (3, ethernet(FRAGMENT_2)),
                                (3, ethernet(ipv4(UNREACHABLE, 1)))),
        "dhcp": frames(3, (3, ethernet(ipv4(udp(DHCP_OFFER, 67, 68), 17, destination=b"\xff" * 4),
                                       destination=BROADCAST)),
                       (0x13, ethernet(ipv4(udp(DHCP_ACK, 67, 68), 17, destination=b"\xff" * 4),
                                       destination=BROADCAST))),
    },
}


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    total = 0
    for harness, seeds in SEEDS.items():
        os.makedirs(os.path.join(ROOT, harness))
        for name, data in seeds.items():
            with open(os.path.join(ROOT, harness, name), "wb") as f:
                f.write(data)
            total += len(data)
    print("wrote %d seeds, %d bytes, to %s" % (sum(len(s) for s in SEEDS.values()), total, ROOT))


if __name__ == "__main__":
    main()
