#!/usr/bin/env python3
"""A client of Samples/kv for Tests/Interop/kv.sh: writes that it logs as acknowledged, and their verification.

  kv_client.py load HOST ROUND LOG [--threads N] [--seconds S]
      N threads PUT fresh keys r<ROUND>-<thread>-<n> (values 1 byte ... 4 KiB, derived from the key; at most
      3,000 per thread, so eight rounds stay well inside the test's disk) until S seconds
      pass or the server goes away (the test kills it). Before each PUT the key goes to LOG as `try KEY`, after its
      2xx answer as `ack KEY` (flushed at once, so a line is never lost with the client alive). Prints `acked N`.
      SIGTERM (the test sends it once the server is killed) ends the load at once with the same line, instead of
      each writer waiting out its request timeout against a server that is gone.
  kv_client.py verify HOST LOG
      Every acknowledged key must be there with exactly its value; a key that was tried but not acknowledged must be
      absent or exact (never partial or wrong). Prints `ok verified N acked, M tried-only (K present)` or `FAIL ...`
      and exits 1.
"""
import hashlib
import http.client
import os
import signal
import sys
import threading
import time


def value_for(key: str) -> bytes:
    digest = hashlib.sha256(key.encode()).digest()
    size = 1 + int.from_bytes(digest[:4], "big") % 4096
    return (digest * (size // 32 + 1))[:size]


def load(host: str, round_id: str, log_path: str, threads: int, seconds: float) -> int:
    log = open(log_path, "a", buffering=1)
    lock = threading.RLock()
    acked = [0]
    deadline = time.monotonic() + seconds

    def writer(index: int) -> None:
        connection = None
        n = 0
        while time.monotonic() < deadline and n < 3000:
            key = f"r{round_id}-{index}-{n}"
            n += 1
            with lock:
                log.write(f"try {key}\n")
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(host, 80, timeout=10)
                connection.request("PUT", f"/kv/{key}", body=value_for(key))
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                return  # the server is gone (killed): stop
            if 200 <= response.status < 300:
                with lock:
                    log.write(f"ack {key}\n")
                    acked[0] += 1
            else:
                print(f"unexpected status {response.status} for {key}", file=sys.stderr)
                return

    def stop(_signal, _frame) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second TERM (from `timeout`) must not re-enter
        with lock:  # no writer is half way through a log line
            log.flush()
            print(f"acked {acked[0]}", flush=True)
            os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    workers = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    log.close()
    print(f"acked {acked[0]}")
    return 0


def verify(host: str, log_path: str) -> int:
    tried, acked = set(), set()
    for line in open(log_path):
        kind, key = line.split()
        (acked if kind == "ack" else tried).add(key)
    tried -= acked
    connection = http.client.HTTPConnection(host, 80, timeout=30)
    present = 0
    for key in sorted(acked | tried):
        connection.request("GET", f"/kv/{key}")
        response = connection.getresponse()
        body = response.read()
        if key in acked:
            if response.status != 200 or body != value_for(key):
                print(f"FAIL acknowledged {key}: status {response.status}, {len(body)} bytes "
                      f"(want 200, {len(value_for(key))} bytes{'' if body != value_for(key) else ', equal'})")
                return 1
        elif response.status == 200:
            present += 1
            if body != value_for(key):
                print(f"FAIL unacknowledged {key} is visible but wrong: {len(body)} bytes")
                return 1
        elif response.status != 404:
            print(f"FAIL unacknowledged {key}: status {response.status}")
            return 1
    print(f"ok verified {len(acked)} acked, {len(tried)} tried-only ({present} present)")
    return 0


def main() -> int:
    args = sys.argv[1:]
    if len(args) >= 4 and args[0] == "load":
        threads, seconds = 4, 5.0
        rest = args[4:]
        while rest:
            if rest[0] == "--threads":
                threads = int(rest[1])
            elif rest[0] == "--seconds":
                seconds = float(rest[1])
            rest = rest[2:]
        return load(args[1], args[2], args[3], threads, seconds)
    if len(args) == 3 and args[0] == "verify":
        return verify(args[1], args[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
