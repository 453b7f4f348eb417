#!/usr/bin/env python3
"""echo-peer.py — the frame echo peer behind `swiftlet test --net NAME=echo`.

A UNIX stream socket server speaking QEMU's stream framing (each frame is a
4-byte big-endian length, then the frame): every frame that arrives goes back
on the same connection with its destination and source MACs swapped (frames
shorter than 12 bytes come back unchanged). Any number of clients, one after
another or at once; each is independent.

    echo-peer.py --fd FD [--timeout SECONDS]       serve an inherited listening socket
    echo-peer.py --socket PATH [--timeout SECONDS]  bind and listen at PATH itself

It stops by itself after --timeout seconds (default 600), when the process
that started it is gone, or on SIGTERM/SIGINT (how swiftlet stops it, by pid).
"""
import argparse
import os
import selectors
import signal
import socket
import sys
import time


def swap_macs(frame):
    if len(frame) < 12:
        return frame
    return frame[6:12] + frame[0:6] + frame[12:]


class Client:
    def __init__(self, sock):
        self.sock = sock
        self.inbox = bytearray()
        self.outbox = bytearray()

    def received(self, data):
        self.inbox += data
        while len(self.inbox) >= 4:
            length = int.from_bytes(self.inbox[0:4], "big")
            if len(self.inbox) < 4 + length:
                break
            frame = bytes(self.inbox[4:4 + length])
            del self.inbox[:4 + length]
            self.outbox += length.to_bytes(4, "big") + swap_macs(frame)


def main():
    parser = argparse.ArgumentParser(description="frame echo peer (QEMU stream framing, MACs swapped)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--fd", type=int, help="an inherited listening UNIX stream socket")
    where.add_argument("--socket", help="a path to bind and listen on")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before it stops by itself")
    arguments = parser.parse_args()

    if arguments.fd is not None:
        listener = socket.socket(fileno=arguments.fd)
    else:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(arguments.socket)
        listener.listen(8)
    listener.setblocking(False)

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))

    parent = os.getppid()
    deadline = time.monotonic() + arguments.timeout
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, None)
    clients = {}

    def update(client):
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.outbox else 0)
        selector.modify(client.sock, events, client)

    def drop(client):
        selector.unregister(client.sock)
        client.sock.close()
        clients.pop(client.sock.fileno(), None)

    while not stopping and time.monotonic() < deadline and os.getppid() == parent:
        for key, events in selector.select(timeout=0.5):
            if key.data is None:
                try:
                    sock, _ = listener.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                sock.setblocking(False)
                client = Client(sock)
                clients[sock.fileno()] = client
                selector.register(sock, selectors.EVENT_READ, client)
                continue
            client = key.data
            try:
                if events & selectors.EVENT_READ:
                    data = client.sock.recv(262144)
                    if not data:
                        drop(client)
                        continue
                    client.received(data)
                if client.outbox:
                    sent = client.sock.send(client.outbox)
                    del client.outbox[:sent]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                drop(client)
                continue
            update(client)
    return 0


if __name__ == "__main__":
    sys.exit(main())
