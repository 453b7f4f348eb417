#!/usr/bin/env python3
"""A raw-socket Ethernet peer for interop tests: sends frames on an interface
and checks that each comes back byte-exact with the MACs swapped (what
Samples/frame-echo does).

usage: frame_peer.py IFACE DEST_MAC COUNT [--window N] [--timeout S] [--sizes A,B,...]

Runs inside the test's own network namespace (AF_PACKET needs CAP_NET_RAW).
Pacing: at most WINDOW frames are in flight. Frames use EtherType 0x88B5 (IEEE
local experimental) and carry a sequence number, so anything else on the link
(IPv6 router solicitations, ...) is ignored. Prints one summary line and exits
0 only when every frame came back exactly once, in order.
"""
import argparse, os, select, socket, struct, sys, time

ETHERTYPE = 0x88B5

def mac_bytes(text):
    return bytes(int(part, 16) for part in text.split(":"))

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("iface")
    parser.add_argument("dest_mac")
    parser.add_argument("count", type=int)
    parser.add_argument("--window", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--sizes", default="60,128,512,1000,1514")
    args = parser.parse_args()

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE))
    sock.bind((args.iface, ETHERTYPE))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    ours = sock.getsockname()[4][:6]
    theirs = mac_bytes(args.dest_mac)
    sizes = [int(s) for s in args.sizes.split(",")]

    def frame(seq):
        size = sizes[seq % len(sizes)]
        header = theirs + ours + struct.pack("!H", ETHERTYPE) + struct.pack("!I", seq)
        body = bytes((seq * 31 + i * 7) & 0xFF for i in range(size - len(header)))
        return header + body

    sent = received = 0
    deadline = time.monotonic() + args.timeout
    start = time.monotonic()
    while received < args.count:
        while sent < args.count and sent - received < args.window:
            sock.send(frame(sent))
            sent += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            print(f"FAIL frames: {received}/{args.count} echoed before the {args.timeout:.0f} s timeout")
            return 1
        ready, _, _ = select.select([sock], [], [], min(remaining, 1.0))
        if not ready:
            continue
        data = sock.recv(65536)
        if len(data) < 18 or data[12:14] != struct.pack("!H", ETHERTYPE) or data[:6] != ours:
            continue  # not an echo of ours
        seq = struct.unpack("!I", data[14:18])[0]
        want = frame(seq)
        want = want[6:12] + want[0:6] + want[12:]
        if seq != received:
            print(f"FAIL frames: expected echo of frame {received}, got frame {seq}")
            return 1
        if data != want:
            print(f"FAIL frames: frame {seq} came back different ({len(data)} bytes, sent {len(want)})")
            return 1
        received += 1
    elapsed = time.monotonic() - start
    print(f"ok frames: {received}/{args.count} echoed byte-exact in order, {received / elapsed:.0f} frames/s")
    return 0

if __name__ == "__main__":
    sys.exit(main())
