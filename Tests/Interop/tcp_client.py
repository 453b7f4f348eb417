#!/usr/bin/env python3
"""TCP clients for the interop scripts (tcp-echo.sh, tcp-loss.sh, tcp-hostile.sh, http.sh), on the Linux kernel's
stack. Every mode is bounded in time (--timeout) and prints one `ok ...` or `FAIL ...` line; exit 0 on ok.

  bulk HOST PORT BYTES     sends BYTES of seeded random data to an echo server while reading the echo on another
                           thread, half-closes, reads to EOF; the SHA-256 of what came back must equal what was sent
  many HOST PORT N SIZE    N connections at once (asyncio), each sends SIZE random bytes, half-closes and must get
                           exactly them back
  hold HOST PORT SECONDS   one connection echoing 1 KiB round trips back to back for SECONDS (each must come back
                           intact within --timeout); prints the rounds and the slowest one
  http-malformed HOST PORT sends a malformed HTTP request; the answer must be a 400 status line
"""
import argparse, asyncio, hashlib, random, socket, sys, threading, time


def fail(message):
    print(f"FAIL {message}")
    sys.exit(1)


def bulk(args):
    rng = random.Random(args.seed)
    chunk = 65536
    sent_hash, echo_hash = hashlib.sha256(), hashlib.sha256()
    start = time.monotonic()
    deadline = start + args.timeout
    sock = socket.create_connection((args.host, args.port), timeout=10)
    sock.settimeout(max(1.0, args.timeout))
    problem = []

    def send():
        try:
            left = args.bytes
            while left > 0:
                data = rng.randbytes(min(chunk, left))
                sent_hash.update(data)
                sock.sendall(data)
                left -= len(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError as error:
            problem.append(f"send: {error}")

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    received = 0
    buffer = bytearray(262144)
    view = memoryview(buffer)
    try:
        while True:
            if time.monotonic() > deadline:
                fail(f"bulk: timed out after {args.timeout} s with {received} of {args.bytes} bytes echoed")
            count = sock.recv_into(buffer)
            if count == 0:
                break
            echo_hash.update(view[:count])
            received += count
    except OSError as error:
        fail(f"bulk: receive: {error} after {received} of {args.bytes} bytes echoed")
    sender.join(5)
    sock.close()
    elapsed = time.monotonic() - start
    if problem:
        fail(f"bulk: {problem[0]}")
    if received != args.bytes:
        fail(f"bulk: {received} bytes echoed, {args.bytes} sent")
    if echo_hash.digest() != sent_hash.digest():
        fail(f"bulk: echo of {received} bytes differs (sha256 {echo_hash.hexdigest()[:16]} != "
             f"{sent_hash.hexdigest()[:16]})")
    mib = args.bytes / 1048576
    print(f"ok bulk: {mib:g} MiB echoed intact (sha256 {sent_hash.hexdigest()[:16]}) in {elapsed:.2f} s, "
          f"{mib / elapsed:.2f} MiB/s each way")


def many(args):
    async def one(index):
        data = random.Random(args.seed * 100003 + index).randbytes(args.size)
        reader, writer = await asyncio.open_connection(args.host, args.port)
        writer.write(data)
        await writer.drain()
        writer.write_eof()
        echo = await reader.read(-1)
        writer.close()
        if echo != data:
            raise RuntimeError(f"connection {index}: {len(echo)} bytes back, {args.size} sent"
                               + ("" if len(echo) != args.size else ", contents differ"))

    async def run():
        results = await asyncio.wait_for(
            asyncio.gather(*(one(i) for i in range(args.n)), return_exceptions=True), args.timeout)
        return [r for r in results if isinstance(r, BaseException)]

    start = time.monotonic()
    try:
        errors = asyncio.run(run())
    except asyncio.TimeoutError:
        fail(f"many: {args.n} connections not done within {args.timeout} s")
    elapsed = time.monotonic() - start
    if errors:
        kinds = {}
        for error in errors:
            kinds[repr(error)[:80]] = kinds.get(repr(error)[:80], 0) + 1
        fail(f"many: {len(errors)} of {args.n} connections failed: "
             + "; ".join(f"{n} x {k}" for k, n in list(kinds.items())[:3]))
    print(f"ok many: {args.n} concurrent connections each echoed {args.size} bytes intact in {elapsed:.2f} s")


def hold(args):
    rng = random.Random(args.seed)
    sock = socket.create_connection((args.host, args.port), timeout=10)
    sock.settimeout(args.timeout)
    start = time.monotonic()
    rounds, slowest = 0, 0.0
    while time.monotonic() - start < args.seconds:
        data = rng.randbytes(1024)
        began = time.monotonic()
        try:
            sock.sendall(data)
            echo = b""
            while len(echo) < len(data):
                part = sock.recv(len(data) - len(echo))
                if not part:
                    fail(f"hold: connection closed by the server after {rounds} rounds")
                echo += part
        except OSError as error:
            fail(f"hold: round {rounds + 1} at {began - start:.1f} s: {error}")
        if echo != data:
            fail(f"hold: round {rounds + 1}: echo differs")
        slowest = max(slowest, time.monotonic() - began)
        rounds += 1
        time.sleep(0.01)
    sock.close()
    print(f"ok hold: one connection echoed {rounds} x 1 KiB intact over {args.seconds} s, slowest round "
          f"{slowest * 1000:.0f} ms")


def http_malformed(args):
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    sock.sendall(b"GET / HTTP/1.1\r\nHost x\r\nNo colon in the line above\r\n\r\n")
    answer = b""
    try:
        while b"\r\n" not in answer:
            part = sock.recv(4096)
            if not part:
                break
            answer += part
    except OSError as error:
        fail(f"http-malformed: {error}")
    line = answer.split(b"\r\n")[0].decode("latin-1")
    if not line.startswith("HTTP/1.1 400"):
        fail(f"http-malformed: answered {line!r}, wanted 400")
    print(f"ok http-malformed: {line!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("bulk"); p.add_argument("host"); p.add_argument("port", type=int); p.add_argument("bytes", type=int)
    p = sub.add_parser("many"); p.add_argument("host"); p.add_argument("port", type=int); p.add_argument("n", type=int)
    p.add_argument("size", type=int)
    p = sub.add_parser("hold"); p.add_argument("host"); p.add_argument("port", type=int)
    p.add_argument("seconds", type=float)
    p = sub.add_parser("http-malformed"); p.add_argument("host"); p.add_argument("port", type=int)
    args = parser.parse_args()
    try:
        {"bulk": bulk, "many": many, "hold": hold, "http-malformed": http_malformed}[args.mode](args)
    except OSError as error:
        fail(f"{args.mode}: {error}")


main()
