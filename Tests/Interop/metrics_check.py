#!/usr/bin/env python3
"""Parses a Swiftlet metrics scrape with prometheus_client (the reference Python parser) and checks it.

usage: metrics_check.py LOG DATAGRAMS
LOG holds the console of a udp-echo run with metrics=1 count=DATAGRAMS: the scrape is the text between the lines
`# swiftlet-metrics begin` and `# swiftlet-metrics end`. Prints one line: `ok ...` or `FAIL ...`; exit 0 on ok.
"""
import re
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    log, datagrams = sys.argv[1], int(sys.argv[2])
    text = open(log, encoding="utf-8", errors="replace").read().replace("\r", "")
    match = re.search(r"^# swiftlet-metrics begin\n(.*?)^# swiftlet-metrics end$", text, re.S | re.M)
    if not match:
        print("FAIL no scrape between '# swiftlet-metrics begin' and '# swiftlet-metrics end'")
        return 1
    scrape = match.group(1)
    try:
        families = list(text_string_to_metric_families(scrape))
    except Exception as error:  # the parser's own message says what it rejected
        print(f"FAIL prometheus_client rejected the scrape: {error}")
        return 1
    samples = {}
    for family in families:
        if not family.name.startswith("swiftlet_"):
            print(f"FAIL family {family.name} is not named swiftlet_*")
            return 1
        if family.type not in ("counter", "gauge"):
            print(f"FAIL family {family.name} has type {family.type}")
            return 1
        if not family.documentation:
            print(f"FAIL family {family.name} has no HELP")
            return 1
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value

    def value(name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))))

    checks = [
        ("udp datagrams received", value("swiftlet_net_udp_datagrams_total", interface="service",
                                          direction="received"), lambda v: v == datagrams),
        ("udp datagrams sent", value("swiftlet_net_udp_datagrams_total", interface="service", direction="sent"),
         lambda v: v == datagrams),
        ("ethernet frames received", value("swiftlet_net_ethernet_frames_total", interface="service",
                                            direction="received"), lambda v: v >= datagrams),
        ("heap in use", value("swiftlet_heap_in_use_bytes"), lambda v: v > 0),
        ("heap high water", value("swiftlet_heap_high_water_bytes"),
         lambda v: v >= (value("swiftlet_heap_in_use_bytes") or 0)),
        ("executor jobs", value("swiftlet_executor_jobs_total"), lambda v: v > 0),
        ("tcp connection slots", value("swiftlet_net_tcp_connection_slots", interface="service"), lambda v: v > 0),
        ("uptime", value("swiftlet_uptime_seconds"), lambda v: v > 0),
    ]
    for what, got, good in checks:
        if got is None or not good(got):
            print(f"FAIL {what}: {got}")
            return 1
    print(f"ok prometheus_client parsed {len(families)} families, {len(samples)} samples; "
          f"udp rx={int(value('swiftlet_net_udp_datagrams_total', interface='service', direction='received'))}, "
          f"heap {int(value('swiftlet_heap_in_use_bytes'))} B in use "
          f"(high water {int(value('swiftlet_heap_high_water_bytes'))} B)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
