#!/usr/bin/env python3
"""Times a command from start until it prints a line containing MARKER (or any
first line when MARKER is empty); prints the median, min and max in ms.

usage: first_line.py RUNS MARKER -- COMMAND...
Each run is bounded (60 s); the process group is killed after the line is seen.
"""
import os, signal, statistics, subprocess, sys, threading, time

def once(cmd, marker):
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    elapsed = None
    # The bound must hold even when the command prints nothing at all: a timer kills the
    # group, which ends the read loop below.
    def expire():
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    watchdog = threading.Timer(60, expire)
    watchdog.start()
    try:
        for raw in proc.stdout:
            line = raw.decode(errors="replace")
            if not marker or marker in line:
                elapsed = (time.monotonic() - start) * 1000
                break
    finally:
        watchdog.cancel()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return elapsed

def main():
    runs = int(sys.argv[1]); marker = sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    times = [t for t in (once(cmd, marker) for _ in range(runs)) if t is not None]
    if len(times) < runs:
        print(f"FAILED {runs - len(times)} of {runs} runs")
        sys.exit(1)
    print(f"{statistics.median(times):.1f} {min(times):.1f} {max(times):.1f}")

if __name__ == "__main__":
    main()
