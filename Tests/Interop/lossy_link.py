#!/usr/bin/env python3
"""A lossy Ethernet link in user space, for tcp-loss.sh: what `tc qdisc add dev IFACE root netem loss 5% delay 5ms
reorder 25%` would do, in both directions, on kernels without sch_netem (this machine's has none).

usage: lossy_link.py APP_IFACE PEER_TAP [--loss 0.05] [--delay 0.005] [--reorder 0.25] [--seed S]

APP_IFACE is the TAP the app is attached to, seen from the kernel (no address, ARP off): frames the app sends are read
from an AF_PACKET socket on it, and frames for the app are sent on that socket. PEER_TAP is a second TAP, which this
program attaches to (TUNSETIFF) and the kernel's side of the test has its address on. In each direction each frame
is lost with probability --loss; of the rest, --reorder go at once and the others wait --delay, so that the frames
sent at once overtake them (netem's reordering). Decisions come from a seeded generator; ARP frames are carried
untouched. Frames keep their offload metadata: the app's TAP carries checksum-partial and TSO frames (docs/DEVICES.md
§6), so both ends speak the 10-byte virtio_net_hdr (PACKET_VNET_HDR on the packet socket, IFF_VNET_HDR on PEER_TAP)
and each frame's header travels with it, as a kernel bridge keeps an skb's; a lost TSO frame is a burst of lost
segments, as netem on a TSO path loses them. Runs until SIGTERM/SIGINT; prints `link: app>peer N frames (L lost, R overtook held ones), peer>app ...` every
second and at the end.
Run it inside the test's own network namespace.
"""
import argparse, fcntl, heapq, os, random, select, signal, socket, struct, sys, time

TUNSETIFF = 0x400454CA
TUNSETVNETHDRSZ = 0x400454D8
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000
SOL_PACKET, PACKET_VNET_HDR = 263, 15
VNET_HDR = 10  # struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
DATA_VALID = 0x02
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("app_iface")
    parser.add_argument("peer_tap")
    parser.add_argument("--loss", type=float, default=0.05)
    parser.add_argument("--delay", type=float, default=0.005)
    parser.add_argument("--reorder", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    tap = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", args.peer_tap.encode(), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
    fcntl.ioctl(tap, TUNSETVNETHDRSZ, struct.pack("i", VNET_HDR))
    packet = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    packet.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    packet.bind((args.app_iface, 0))
    packet.setblocking(False)

    stats = {d: {"frames": 0, "lost": 0, "reordered": 0} for d in ("app>peer", "peer>app")}
    held = []  # (due, order, direction, frame)
    order = 0
    running = [True]

    def stop(*_):
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def deliver(direction, frame):
        # The receiving end checks what it receives: "valid" is not passed on.
        frame = bytes([frame[0] & ~DATA_VALID]) + frame[1:]
        try:
            if direction == "app>peer":
                os.write(tap, frame)
            else:
                packet.send(frame)
        except (BlockingIOError, OSError):
            pass  # a full queue drops, as a link would

    def offer(direction, frame):
        nonlocal order
        stats[direction]["frames"] += 1
        if frame[VNET_HDR + 12:VNET_HDR + 14] == b"\x08\x06":  # ARP: untouched, so that the test measures TCP and not neighbour discovery
            deliver(direction, frame)
            return
        if rng.random() < args.loss:
            stats[direction]["lost"] += 1
            return
        if rng.random() < args.reorder:
            deliver(direction, frame)
            if any(entry[2] == direction for entry in held):
                stats[direction]["reordered"] += 1
            return
        order += 1
        heapq.heappush(held, (time.monotonic() + args.delay, order, direction, frame))

    def report():
        print("link: " + ", ".join(f"{d} {s['frames']} frames ({s['lost']} lost, {s['reordered']} overtook held ones)"
                                   for d, s in stats.items()), flush=True)

    print("link: ready", flush=True)
    reported = time.monotonic()
    while running[0]:
        if time.monotonic() - reported >= 1:
            report()
            reported = time.monotonic()
        timeout = 0.2 if not held else max(0.0, held[0][0] - time.monotonic())
        try:
            readable, _, _ = select.select([tap, packet], [], [], timeout)
        except InterruptedError:
            continue
        if tap in readable:
            for _ in range(64):
                try:
                    offer("peer>app", os.read(tap, VNET_HDR + 65550))
                except BlockingIOError:
                    break
        if packet in readable:
            for _ in range(64):
                try:
                    frame, address = packet.recvfrom(VNET_HDR + 65550)
                except BlockingIOError:
                    break
                if address[2] != PACKET_OUTGOING:  # not our own sends on APP_IFACE
                    offer("app>peer", frame)
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, direction, frame = heapq.heappop(held)
            deliver(direction, frame)
    report()


main()
