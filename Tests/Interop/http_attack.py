#!/usr/bin/env python3
"""Hostile clients for http-attack.sh, and the normal client that must keep being served meanwhile.

  http_attack.py posts HOST N SIZE          N clients at once each POST a SIZE-byte body and read the answer;
                                            prints `posts: A answered (statuses), F failed`
  http_attack.py slow HOST N INTERVAL SECS  N clients at once each open a connection and send one header byte
                                            every INTERVAL s for SECS s (a slowloris); prints how many the server
                                            closed (408 or a close) before the end
  http_attack.py probe HOST SECS [LIMIT]    GET / every 0.25 s for SECS s, each with a LIMIT s deadline (1) from
                                            connect to the last byte; prints `probe: OK of N within LIMIT s, slowest T s`
  http_attack.py stats HOST                 GET /stats; prints `requests=R high_water=H in_use=U heap=S` (bytes)
"""
import json
import socket
import sys
import threading
import time


def post(host, size, results, index):
    try:
        s = socket.create_connection((host, 80), timeout=120)
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % size)
        chunk = b"x" * 65536
        left = size
        while left > 0:
            s.sendall(chunk[: min(left, len(chunk))])
            left -= min(left, len(chunk))
        s.settimeout(120)
        answer = s.recv(64)
        s.close()
        results[index] = answer.split(b" ")[1].decode() if answer.startswith(b"HTTP/1.1 ") else "garbled"
    except OSError as error:
        results[index] = f"error:{type(error).__name__}"


def posts(host, n, size):
    results = [None] * n
    threads = [threading.Thread(target=post, args=(host, size, results, i)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answered = [r for r in results if r and not r.startswith("error")]
    statuses = {}
    for r in answered:
        statuses[r] = statuses.get(r, 0) + 1
    errors = {}
    for r in results:
        if r is None or r.startswith("error"):
            errors[r] = errors.get(r, 0) + 1
    print(f"posts: {len(answered)} answered {statuses}, {n - len(answered)} failed {errors or ''}".rstrip())
    return 0


def slow(host, n, interval, seconds):
    sockets = []
    for _ in range(n):
        try:
            s = socket.create_connection((host, 80), timeout=5)
            s.setblocking(False)
            sockets.append(s)
        except OSError:
            pass
    request = b"GET / HTTP/1.1\r\nHost: h\r\nX-Slow: " + b"a" * 10000
    closed = set()
    step = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for i, s in enumerate(sockets):
            if i in closed:
                continue
            try:
                data = s.recv(4096)
                if data == b"" or data.startswith(b"HTTP/1.1 408"):
                    closed.add(i)
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed.add(i)
                continue
            try:
                s.send(request[step : step + 1])
            except OSError:
                closed.add(i)
        step += 1
        time.sleep(interval)
    for s in sockets:
        s.close()
    print(f"slow: {len(sockets)} connected, {len(closed)} closed by the server within {seconds} s")
    return 0


def probe(host, seconds, limit=1.0):
    ok, total, slowest = 0, 0, 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        total += 1
        start = time.monotonic()
        try:
            s = socket.create_connection((host, 80), timeout=limit)
            s.settimeout(limit)
            s.sendall(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                part = s.recv(65536)
                if not part:
                    break
                data += part
            s.close()
            took = time.monotonic() - start
            if data.startswith(b"HTTP/1.1 200") and took <= limit:
                ok += 1
                slowest = max(slowest, took)
        except OSError:
            pass
        time.sleep(0.25)
    print(f"probe: {ok} of {total} within {limit:g} s, slowest {slowest:.2f} s")
    return 0


def stats(host):
    try:
        s = socket.create_connection((host, 80), timeout=10)
        s.settimeout(10)
        s.sendall(b"GET /stats HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            part = s.recv(65536)
            if not part:
                break
            data += part
        s.close()
        numbers = json.loads(data.split(b"\r\n\r\n", 1)[1])
        mem = numbers["mem"]
        print(f"requests={numbers['http']['requests']} high_water={mem['high_water']} in_use={mem['in_use']}"
              f" heap={mem['size']} refused={numbers['tcp']['refused']} syn_dropped={numbers['tcp']['syn_dropped']}")
        return 0
    except (OSError, ValueError, KeyError, IndexError) as error:
        print(f"stats: {type(error).__name__}: {error}")
        return 1


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "posts":
        return posts(a[1], int(a[2]), int(a[3]))
    if len(a) == 5 and a[0] == "slow":
        return slow(a[1], int(a[2]), float(a[3]), float(a[4]))
    if len(a) in (3, 4) and a[0] == "probe":
        return probe(a[1], float(a[2]), float(a[3]) if len(a) == 4 else 1.0)
    if len(a) == 2 and a[0] == "stats":
        return stats(a[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
