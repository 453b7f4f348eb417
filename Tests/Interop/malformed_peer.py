#!/usr/bin/env python3
"""Sends a bounded burst of malformed frames at a stack's MAC/IP on IFACE (built with scapy, sent on an
AF_PACKET socket), one kind after another in turn, with a fixed gap between frames. For malformed.sh.

usage: malformed_peer.py IFACE OUR_MAC THEIR_MAC THEIR_IP OUR_IP COUNT [--seed S] [--gap SECONDS]

OUR_MAC/OUR_IP are the interface's own (the kernel's side of the link): every frame that is meant to parse far
enough to name a sender names the real one, so nothing here can teach the stack a wrong neighbour. Run it inside
the test's own network namespace. Prints `sent N frames (K kinds; M refused by the kernel): kind=n ...`.
"""
import argparse, random, socket, struct, sys, time

from scapy.all import ARP, ICMP, IP, UDP, Ether, Raw, raw  # noqa: E402


def ip_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class Frames:
    def __init__(self, args, rng):
        self.rng = rng
        self.ours, self.theirs = args.our_mac, args.their_mac
        self.src, self.dst = args.our_ip, args.their_ip
        self.eth = Ether(dst=self.theirs, src=self.ours)
        self.ip_id = 0x4000

    def rand(self, n):
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def ip(self, **fields):
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        return IP(src=self.src, dst=self.dst, id=self.ip_id, **fields)

    def truncated(self, frame, keep_at_least=0):
        data = raw(frame)
        return data[: self.rng.randint(keep_at_least, len(data) - 1)]

    # --- every layer ---------------------------------------------------------------------------------------

    def random_bytes(self):  # anything at all, most of it for someone else
        return self.rand(self.rng.randint(14, 1514))

    def random_for_us(self):  # our MAC, a random EtherType and body
        return raw(self.eth)[:12] + self.rand(self.rng.randint(2, 1500))

    def random_ipv4(self):  # our MAC, IPv4, random bytes from there on
        return raw(self.eth)[:12] + b"\x08\x00" + self.rand(self.rng.randint(0, 1500))

    def ethernet_truncated(self):
        # A TAP cannot carry frames shorter than the 14-byte header (the kernel's dev_validate_header refuses
        # them on every socket), so: a bare header, or a runt below the 60-byte minimum, of an IPv4 or ARP frame.
        frame = self.rng.choice([self.eth / self.ip() / ICMP() / Raw(b"x" * 32),
                                 self.eth / ARP(op=1, hwsrc=self.ours, psrc=self.src, pdst=self.dst)])
        return raw(frame)[: self.rng.choice([14, self.rng.randint(15, 41)])]

    def arp_truncated(self):
        return self.truncated(self.eth / ARP(op=1, hwsrc=self.ours, psrc=self.src, pdst=self.dst), 14)

    def arp_bad_fields(self):
        arp = ARP(op=1, hwsrc=self.ours, psrc=self.src, pdst=self.dst)
        field = self.rng.choice(["hwtype", "ptype", "hwlen", "plen", "op"])
        value = {"hwtype": self.rng.choice([0, 6, 0xFFFF]), "ptype": self.rng.choice([0x86DD, 0, 0xFFFF]),
                 "hwlen": self.rng.choice([0, 4, 8, 255]), "plen": self.rng.choice([0, 6, 16, 255]),
                 "op": self.rng.choice([0, 3, 9, 0xFFFF])}[field]
        setattr(arp, field, value)
        return raw(self.eth / arp)

    def ipv4_truncated(self):
        return self.truncated(self.eth / self.ip() / UDP(sport=40000, dport=7) / Raw(self.rand(64)), 14)

    def ipv4_bad_ihl(self):
        data = bytearray(raw(self.ip() / ICMP() / Raw(self.rand(16))))
        data[0] = 0x40 | self.rng.choice([0, 1, 2, 3, 4, 15])  # IHL < 5, or past the datagram
        data[10:12] = b"\0\0"
        data[10:12] = struct.pack("!H", ip_checksum(bytes(data[:20])))  # a good checksum of the fixed header
        return raw(self.eth) + bytes(data)

    def ipv4_bad_version(self):
        data = bytearray(raw(self.ip() / ICMP()))
        data[0] = (self.rng.choice([0, 4 + 2, 6, 15]) << 4) | 5
        return raw(self.eth) + bytes(data)

    def ipv4_bad_total_length(self):
        packet = self.ip() / UDP(sport=40001, dport=7) / Raw(self.rand(32))
        packet.len = self.rng.choice([0, 19, 20, 27, 100, 1500, 65535])
        return raw(self.eth / packet)

    def ipv4_bad_checksum(self):
        packet = self.ip() / ICMP(id=0x5157, seq=1) / Raw(self.rand(24))
        packet.chksum = self.rng.getrandbits(16)
        data = raw(self.eth / packet)
        if ip_checksum(data[14:34]) == 0:  # made valid by chance
            return self.ipv4_bad_checksum()
        return data

    def ipv4_bad_source(self):
        packet = IP(src=self.rng.choice(["255.255.255.255", "224.0.0.1", "10.0.0.255"]), dst=self.dst)
        return raw(self.eth / packet / ICMP() / Raw(b"spoof"))

    def ipv4_unknown_protocol(self):
        return raw(self.eth / self.ip(proto=self.rng.choice([2, 6, 47, 132, 253])) / Raw(self.rand(40)))

    def icmp_truncated(self):
        packet = self.ip() / Raw(raw(ICMP(type=8, id=7, seq=7))[: self.rng.randint(0, 7)])
        packet.proto = 1
        return raw(self.eth / packet)

    def icmp_bad_checksum(self):
        return raw(self.eth / self.ip() / ICMP(type=8, id=0x5157, seq=2, chksum=self.rng.getrandbits(16)) /
                   Raw(self.rand(self.rng.randint(0, 200))))

    def icmp_odd_types(self):
        return raw(self.eth / self.ip() / ICMP(type=self.rng.choice([4, 5, 13, 15, 17, 42, 255]),
                                                code=self.rng.getrandbits(8)) / Raw(self.rand(20)))

    def udp_truncated(self):
        packet = self.ip() / Raw(raw(UDP(sport=40002, dport=7))[: self.rng.randint(0, 7)])
        packet.proto = 17
        return raw(self.eth / packet)

    def udp_length_lies(self):
        body = self.rand(self.rng.randint(0, 200))
        udp = UDP(sport=40003, dport=7, len=self.rng.choice([0, 1, 7, len(body) + 9, len(body) + 500, 65535]))
        return raw(self.eth / self.ip() / udp / Raw(body))

    def udp_bad_checksum(self):
        udp = UDP(sport=40004, dport=7)
        body = self.rand(self.rng.randint(1, 200))
        good = UDP(raw(self.ip(proto=17) / udp / Raw(body))[20:]).chksum
        udp.chksum = (good + 1 + self.rng.randint(0, 0xFFFD)) & 0xFFFF or 1
        return raw(self.eth / self.ip() / udp / Raw(body))

    def udp_port_zero(self):
        return raw(self.eth / self.ip() / UDP(sport=0, dport=self.rng.choice([0, 7])) / Raw(b"zero"))

    def fragment_bad_offset(self):
        # Past 65535 bytes in all (ping of death), offsets not on 8-byte boundaries of a non-last fragment,
        # empty non-last fragments, and overlapping fragments that disagree.
        choice = self.rng.randint(0, 3)
        if choice == 0:
            return raw(self.eth / self.ip(flags=0, frag=8189) / UDP(sport=40005, dport=7) / Raw(self.rand(1000)))
        if choice == 1:
            return raw(self.eth / self.ip(flags="MF", frag=self.rng.randint(1, 8000)) / Raw(self.rand(13)))
        if choice == 2:
            return raw(self.eth / self.ip(flags="MF", frag=self.rng.randint(0, 100)))
        first = self.ip(flags="MF", frag=0) / Raw(self.rand(64))
        second = first.copy()
        second.frag, second.flags = 4, 0
        second[Raw].load = self.rand(64)
        return [raw(self.eth / first), raw(self.eth / second)]

    def fragment_never_completed(self):  # a first fragment whose rest never comes: holds a reassembly slot
        return raw(self.eth / self.ip(flags="MF", frag=0) / UDP(sport=40006, dport=7, len=1008) / Raw(self.rand(56)))

    def kinds(self):
        return [getattr(self, name) for name in (
            "random_bytes", "random_for_us", "random_ipv4", "ethernet_truncated", "arp_truncated",
            "arp_bad_fields", "ipv4_truncated", "ipv4_bad_ihl", "ipv4_bad_version", "ipv4_bad_total_length",
            "ipv4_bad_checksum", "ipv4_bad_source", "ipv4_unknown_protocol", "icmp_truncated",
            "icmp_bad_checksum", "icmp_odd_types", "udp_truncated", "udp_length_lies", "udp_bad_checksum",
            "udp_port_zero", "fragment_bad_offset", "fragment_never_completed")]


def main():
    parser = argparse.ArgumentParser()
    for name in ("iface", "our_mac", "their_mac", "their_ip", "our_ip"):
        parser.add_argument(name)
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gap", type=float, default=0.0005)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    frames = Frames(args, rng)
    kinds = frames.kinds()
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    sock.bind((args.iface, 0))
    sent = refused = 0
    per_kind = {}
    start = time.monotonic()
    while sent + refused < args.count:
        kind = kinds[(sent + refused) % len(kinds)]
        made = kind()
        for frame in made if isinstance(made, list) else [made]:
            try:
                sock.send(frame)
                sent += 1
                per_kind[kind.__name__] = per_kind.get(kind.__name__, 0) + 1
            except OSError:
                refused += 1  # e.g. shorter than an Ethernet header without CAP_SYS_RAWIO
            # Pace by wall clock, so slow frame building does not add up with the gap.
            target = start + (sent + refused) * args.gap
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    detail = " ".join(f"{name}={n}" for name, n in per_kind.items())
    print(f"sent {sent} frames ({len(per_kind)} kinds; {refused} refused by the kernel) in "
          f"{time.monotonic() - start:.1f} s: {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
