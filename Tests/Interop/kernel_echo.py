#!/usr/bin/env python3
"""The kernel-side peer for bench/devices.sh: echoes every frame of EtherType
0x88B5 arriving on IFACE back out of IFACE with the MACs swapped, through an
AF_PACKET socket (the Linux kernel's own packet path, e.g. over a veth pair).
Stops after COUNT frames or TIMEOUT seconds.

usage: kernel_echo.py IFACE COUNT [TIMEOUT]
"""
import select, socket, sys, time

ETHERTYPE = 0x88B5

def main():
    iface, count = sys.argv[1], int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE))
    sock.bind((iface, ETHERTYPE))
    ours = sock.getsockname()[4][:6]
    print("kernel-echo: ready", flush=True)
    echoed = 0
    deadline = time.monotonic() + timeout
    while echoed < count and time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], 0.5)
        if not ready:
            continue
        data = sock.recv(65536)
        if data[:6] != ours:
            continue  # our own transmissions are looped back to packet sockets
        sock.send(data[6:12] + data[0:6] + data[12:])
        echoed += 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
