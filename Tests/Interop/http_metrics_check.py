#!/usr/bin/env python3
"""Scrapes Samples/http's GET /metrics while holding idle keep-alive connections, and checks it with prometheus_client.

usage: http_metrics_check.py ADDRESS IDLE MIN_REQUESTS [posix|virtio]
Opens IDLE connections to ADDRESS:80, makes one keep-alive request on each and leaves it open (idle, ESTABLISHED on
both sides), then scrapes /metrics on one more connection and parses the body with prometheus_client (the reference
parser). Checks: the TCP sockets gauge per RFC 9293 state counts at least IDLE + 1 established sockets (the idle ones
and the scrape's own) and one listener; the HTTP gauge of active connections as much; at least MIN_REQUESTS requests
counted; 2xx responses; heap in use and high-water mark; TCP segments received. With virtio, the driver's figures
(swiftlet_platform_driver_stats): at least the NIC's two virtqueues, every one using VIRTIO_F_RING_EVENT_IDX (QEMU
offers it, so a driver that stopped negotiating it fails here), notifications and interrupts counted; with posix the
swiftlet_virtio_* families are absent. Prints one line, `ok ...` or `FAIL ...`; exit 0 on ok.
"""
import socket
import sys

from prometheus_client.parser import text_string_to_metric_families


def read_response(sock):
    """Reads one response with a Content-Length body; returns (head, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the response head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed in the body")
        body += chunk
    return head.decode("latin-1"), body


def main():
    address, idle, min_requests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else ""
    held = []
    for _ in range(idle):
        sock = socket.create_connection((address, 80), timeout=30)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: swiftlet\r\n\r\n")
        head, _ = read_response(sock)
        if not head.startswith("HTTP/1.1 200"):
            print(f"FAIL GET / on an idle connection: {head.splitlines()[0]}")
            return 1
        held.append(sock)
    scrape = socket.create_connection((address, 80), timeout=30)
    scrape.sendall(b"GET /metrics HTTP/1.1\r\nHost: swiftlet\r\n\r\n")
    head, body = read_response(scrape)
    if not head.startswith("HTTP/1.1 200") or "text/plain; version=0.0.4" not in head:
        print(f"FAIL GET /metrics: {' | '.join(head.splitlines())}")
        return 1
    try:
        families = list(text_string_to_metric_families(body.decode("utf-8")))
    except Exception as error:  # the parser's own message says what it rejected
        print(f"FAIL prometheus_client rejected the scrape: {error}")
        return 1
    samples = {}
    for family in families:
        if not family.name.startswith("swiftlet_") or family.type not in ("counter", "gauge") or not family.documentation:
            print(f"FAIL family {family.name}: type {family.type}, help {family.documentation!r}")
            return 1
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value

    def value(name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))))

    def state(name):
        return value("swiftlet_net_tcp_sockets", interface="service", state=name)

    states = ("closed", "listen", "syn_sent", "syn_received", "established", "fin_wait_1", "fin_wait_2",
              "close_wait", "closing", "last_ack", "time_wait")
    checks = [
        (f"established sockets (holding {idle} idle + the scrape's)", state("established"), lambda v: v >= idle + 1),
        ("listening sockets", state("listen"), lambda v: v == 1),
        ("every RFC 9293 state reported", sum(state(s) is not None for s in states), lambda v: v == len(states)),
        ("live connections >= established", value("swiftlet_net_tcp_connections", interface="service"),
         lambda v: v >= state("established")),
        ("http active connections", value("swiftlet_http_active_connections"), lambda v: v >= idle + 1),
        ("http requests", value("swiftlet_http_requests_total"), lambda v: v >= min_requests),
        ("http 2xx responses", value("swiftlet_http_responses_total", **{"class": "2xx"}), lambda v: v >= min_requests),
        ("tcp segments received", value("swiftlet_net_tcp_segments_total", interface="service",
                                        direction="received"), lambda v: v > min_requests),
        ("send-buffer growths refused (exported)", value("swiftlet_net_tcp_send_buffer_growths_refused_total",
                                                         interface="service", reason="short_heap"), lambda v: v >= 0),
        ("heap in use", value("swiftlet_heap_in_use_bytes"), lambda v: v > 0),
        ("heap high water", value("swiftlet_heap_high_water_bytes"),
         lambda v: v >= (value("swiftlet_heap_in_use_bytes") or 0)),
    ]
    queues = value("swiftlet_virtio_queues")
    if mode == "virtio":
        checks += [
            ("virtqueues started", queues, lambda v: v >= 2),
            ("virtqueues using the event index (VIRTIO_F_RING_EVENT_IDX)",
             value("swiftlet_virtio_event_index_queues"), lambda v: v == queues),
            ("notifications sent", value("swiftlet_virtio_notifications_total"), lambda v: v >= 1),
            ("device interrupts taken", value("swiftlet_virtio_interrupts_total"), lambda v: v >= 1),
        ]
    elif mode == "posix":
        checks.append(("no swiftlet_virtio_* families in dev", "absent" if queues is None else queues,
                       lambda v: v == "absent"))
    for what, got, good in checks:
        if got is None or not good(got):
            print(f"FAIL /metrics {what}: {got}")
            return 1
    for sock in held + [scrape]:
        sock.close()
    print(f"ok GET /metrics parsed by prometheus_client ({len(families)} families, {len(samples)} samples) with "
          f"{idle} idle keep-alive connections held: tcp established={int(state('established'))} "
          f"listen={int(state('listen'))} time_wait={int(state('time_wait'))}, "
          f"http active={int(value('swiftlet_http_active_connections'))} "
          f"requests={int(value('swiftlet_http_requests_total'))}, "
          f"heap {int(value('swiftlet_heap_in_use_bytes'))} B (high water "
          f"{int(value('swiftlet_heap_high_water_bytes'))} B)"
          + (f", virtio queues={int(queues)} event_index={int(value('swiftlet_virtio_event_index_queues'))} "
             f"notifications={int(value('swiftlet_virtio_notifications_total'))} "
             f"interrupts={int(value('swiftlet_virtio_interrupts_total'))}" if mode == "virtio" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
