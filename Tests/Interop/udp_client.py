#!/usr/bin/env python3
"""A UDP echo client for interop tests and bench/net.sh: sends COUNT datagrams to HOST:PORT from a connected
socket, at most WINDOW in flight, and checks that every one comes back byte-exact, exactly once.

usage: udp_client.py HOST PORT COUNT [--window N] [--sizes MIN-MAX | --sizes A,B,...] [--seed S] [--timeout S]
       udp_client.py HOST PORT --refused [--timeout S]

Sizes: with a range, the first datagrams are the range's edges and a walk through it, then sizes drawn from a
seeded generator; with a list, the sizes in turn. Each payload starts with a 4-byte sequence number when the
datagram has room for it, and the rest is seeded noise, so an echo that comes back cut, padded or altered is
caught; datagrams of 1 to 3 bytes are sent alone (window 1), so they are unambiguous too.

--refused: sends to a port nobody listens on and expects ECONNREFUSED on the connected socket (the ICMP port
unreachable our stack sends), retrying at most 3 times (the stack rate-limits ICMP errors).

Prints one summary line (with datagrams/s) and exits 0 only on success.
"""
import argparse, errno, random, select, socket, struct, sys, time


def sizes_from(spec, count, seed):
    if "-" in spec:
        low, high = (int(x) for x in spec.split("-"))
        edges = [low, low + 1, 2, 3, 4, 5, high - 1, high]
        walk = list(range(low, high + 1, max(1, (high - low) // 64)))
        first = [s for s in edges + walk if low <= s <= high]
        rng = random.Random(seed)
        return [first[i] if i < len(first) else rng.randint(low, high) for i in range(count)]
    listed = [int(x) for x in spec.split(",")]
    return [listed[i % len(listed)] for i in range(count)]


def payload(seq, size, seed):
    rng = random.Random(seed * 1_000_003 + seq)
    noise = rng.randbytes(size)
    if size >= 4:
        return struct.pack("!I", seq) + noise[4:]
    return noise


def refused(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect((args.host, args.port))
    for attempt in range(3):
        try:
            sock.send(b"is anyone there?")
        except ConnectionRefusedError:
            print(f"ok refused: port {args.port} refused (ECONNREFUSED on send, attempt {attempt + 1})")
            return 0
        ready, _, _ = select.select([sock], [], [], args.timeout / 3)
        if not ready:
            continue
        try:
            data = sock.recv(65536)
            print(f"FAIL refused: port {args.port} answered {len(data)} bytes")
            return 1
        except ConnectionRefusedError:
            print(f"ok refused: port {args.port} refused (ECONNREFUSED, attempt {attempt + 1})")
            return 0
        except OSError as error:
            print(f"FAIL refused: port {args.port}: {error}")
            return 1
    print(f"FAIL refused: no ICMP port unreachable for port {args.port} within {args.timeout:.0f} s")
    return 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("count", type=int, nargs="?", default=0)
    parser.add_argument("--window", type=int, default=8)
    parser.add_argument("--sizes", default="1-1472")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--refused", action="store_true")
    args = parser.parse_args()
    if args.refused:
        return refused(args)

    sizes = sizes_from(args.sizes, args.count, args.seed)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.connect((args.host, args.port))
    outstanding = {}  # seq -> payload
    small = None  # (seq, payload) of an in-flight datagram too short for a sequence number
    sent = received = 0
    start = time.monotonic()
    deadline = start + args.timeout
    while received < args.count:
        while sent < args.count and len(outstanding) < args.window and small is None:
            data = payload(sent, sizes[sent], args.seed)
            if len(data) < 4:
                if outstanding:
                    break  # let the window drain, then send it alone
                small = (sent, data)
            else:
                outstanding[sent] = data
            sock.send(data)
            sent += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            lost = sorted(outstanding) + ([small[0]] if small else [])
            print(f"FAIL udp: {received}/{args.count} echoed before the {args.timeout:.0f} s timeout; "
                  f"missing e.g. {[(s, sizes[s]) for s in lost[:5]]}")
            return 1
        ready, _, _ = select.select([sock], [], [], min(remaining, 1.0))
        if not ready:
            continue
        try:
            data = sock.recv(65536)
        except OSError as error:
            print(f"FAIL udp: receive: {error}")
            return 1
        if small is not None:
            if data != small[1]:
                print(f"FAIL udp: datagram {small[0]} ({len(small[1])} B) came back as {data!r}")
                return 1
            small = None
            received += 1
            continue
        seq = struct.unpack("!I", data[:4])[0] if len(data) >= 4 else -1
        want = outstanding.pop(seq, None)
        if want is None:
            print(f"FAIL udp: unexpected echo ({len(data)} B, sequence {seq}): duplicate or corrupted")
            return 1
        if data != want:
            print(f"FAIL udp: datagram {seq} came back different ({len(data)} B, sent {len(want)} B)")
            return 1
        received += 1
    elapsed = time.monotonic() - start
    low, high = min(sizes), max(sizes)
    print(f"ok udp: {received}/{args.count} datagrams of {low}..{high} B echoed byte-exact, window {args.window}, "
          f"{received / elapsed:.0f} datagrams/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
