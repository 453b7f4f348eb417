#!/usr/bin/env python3
"""Runs one wrk measurement against a guest and says where the host's CPU went meanwhile (bench/guest.sh --cpu-split).

usage: cpu_split.py NAMESPACE SECONDS LABEL [WRK_HEADER]
Finds the guest's QEMU among the namespace's processes, then runs `wrk -t1 -c10 -dSECONDS` (with `-H WRK_HEADER`
when given) in the namespace and reads, before and after, /proc/PID/task/*/stat of QEMU (per thread: the vCPU
thread against the main loop and the rest, see qemu_threads), /proc/WRK/stat (all its threads) and
/proc/stat (the host's user, system, irq and softirq time over all cores). When the guest serves
`/metrics` with the swiftlet_virtio_* families (Samples/http in prod), it is scraped before and after too, and the
notifications (virtqueue kicks) and device interrupts are divided by the requests wrk made. When it serves
`/irq.txt` (the Linux guest of guest.sh copies /proc/interrupts there every 0.2 s under GUEST_BENCH_SPLIT), its
virtio interrupts are divided likewise (Linux counts no notifications: `-`).

Prints the requests/s (or FAILED) on the first line, for guest.sh, and one Markdown table row on the second:
| LABEL | req/s | QEMU vCPU % | QEMU main loop % | QEMU other % | wrk % | host user % | host system % | host irq+softirq % | host idle % | kicks/req | interrupts/req |
Percentages are of one core (100 = one core busy for the whole run; the host has os.cpu_count() cores).
"""
import os
import re
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def netns_pids(ns):
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def ticks(path):
    """utime + stime of a /proc stat file (fields 14 and 15, after the parenthesised comm)."""
    try:
        with open(path) as f:
            data = f.read()
    except OSError:
        return 0
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def qemu_threads(pid):
    """{thread id: ticks} over QEMU's threads. Names cannot tell them apart (QEMU names its threads only with
    -name debug-threads=on, which `swiftlet run` does not pass): the main loop is the thread whose id is the pid,
    the vCPU the busiest of the others (with TCG and one vCPU nothing else comes close)."""
    result = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        result[int(tid)] = ticks(f"/proc/{pid}/task/{tid}/stat")
    return result


def host():
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = fields[:7]
    return {"user": user + nice, "system": system, "irq": irq + softirq, "idle": idle + iowait}


def scrape(ns):
    """{family: value} of the swiftlet_virtio_* and request counters, or {} when the guest has none."""
    out = subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-m", "5", "http://10.0.0.2/metrics"],
                         capture_output=True, text=True).stdout
    values = {}
    for line in out.splitlines():
        m = re.match(r"^(swiftlet_virtio_\w+|swiftlet_http_requests_total) (\d+)", line)
        if m:
            values[m.group(1)] = int(m.group(2))
    return values if "swiftlet_virtio_notifications_total" in values else {}


def guest_interrupts(ns):
    """The Linux guest's virtio interrupts (all CPUs) from its /irq.txt copy of /proc/interrupts, or None."""
    out = subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-m", "5", "-f", "http://10.0.0.2/irq.txt"],
                         capture_output=True, text=True).stdout
    total, found = 0, False
    for line in out.splitlines():
        if "virtio" not in line:
            continue
        found = True
        for field in line.split()[1:]:
            if not field.isdigit():
                break
            total += int(field)
    return total if found else None


def main():
    ns, seconds, label = sys.argv[1], sys.argv[2], sys.argv[3]
    header = sys.argv[4] if len(sys.argv) > 4 else None
    qemu = next((p for p in netns_pids(ns) if comm(p).startswith("qemu-system")), None)
    if qemu is None:
        print("FAILED")
        print(f"| {label} | no QEMU in namespace {ns} |")
        return 1
    before_metrics = scrape(ns)
    before_irqs = None if before_metrics else guest_interrupts(ns)
    command = ["ip", "netns", "exec", ns, "wrk", "-t1", "-c10", f"-d{seconds}s"]
    if header:
        command += ["-H", header]
    command.append("http://10.0.0.2/")
    q0, h0, t0 = qemu_threads(qemu), host(), time.monotonic()
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    # ip netns exec execs wrk: same pid. Its ticks are read just before it exits (poll at 50 ms).
    wrk_ticks = 0
    while wrk.poll() is None:
        wrk_ticks = max(wrk_ticks, ticks(f"/proc/{wrk.pid}/stat"))
        time.sleep(0.05)
    output = wrk.stdout.read()
    q1, h1, t1 = qemu_threads(qemu), host(), time.monotonic()
    after_metrics = scrape(ns)
    after_irqs = guest_interrupts(ns) if before_irqs is not None else None
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    made = re.search(r"(\d+) requests in", output)
    requests = int(made.group(1)) if made else 0
    print(rate.group(1) if rate else "FAILED")
    wall = (t1 - t0) * TICK  # ticks of one core over the run

    def pct(value):
        return f"{100.0 * value / wall:.0f}"

    deltas = {tid: v - q0.get(tid, 0) for tid, v in q1.items()}
    main_loop = deltas.pop(qemu, 0)
    vcpu = max(deltas.values(), default=0)
    other = sum(deltas.values()) - vcpu

    def host_pct(key):
        return f"{100.0 * (h1[key] - h0[key]) / wall:.0f}"

    per_request = "| - | -"
    if before_irqs is not None and after_irqs is not None and requests > 0:
        per_request = f"| - | {(after_irqs - before_irqs) / requests:.2f}"
    if before_metrics and after_metrics:
        if requests > 0:
            kicks = after_metrics["swiftlet_virtio_notifications_total"] - before_metrics["swiftlet_virtio_notifications_total"]
            irqs = after_metrics["swiftlet_virtio_interrupts_total"] - before_metrics["swiftlet_virtio_interrupts_total"]
            per_request = f"| {kicks / requests:.2f} | {irqs / requests:.2f}"
    print(f"| {label} | {rate.group(1) if rate else 'FAILED'} | {pct(vcpu)} | {pct(main_loop)} | {pct(other)} "
          f"| {pct(wrk_ticks)} | {host_pct('user')} | {host_pct('system')} | {host_pct('irq')} | {host_pct('idle')} "
          f"{per_request} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
