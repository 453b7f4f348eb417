#!/usr/bin/env python3
"""Conformance probes for conformance.sh, sent with scapy from the test's own namespace on IFACE:

  arp-probe IFACE APP_IP          an RFC 5227 §2.1.1 probe (sender 0.0.0.0) for the app's address must draw an
                                  ARP reply from the app's MAC (a host probing for a conflict learns it is taken)
  stealth IFACE APP_IP PORT       FIN, NULL, XMAS (FIN+PSH+URG) and PSH segments to a listening port must draw no
                                  answer within 1 s each (RFC 9293 §3.10.7.2); a SYN to it, the positive control,
                                  must draw a SYN-ACK
  squat IFACE APP_IP SECONDS      sends, every 0.5 s for SECONDS, one spoofed UDP fragment at offset 65000 from a
                                  fresh random source (a squatter on the reassembly budget); prints how many

Prints `ok ...`/`FAIL ...` lines; exit 0 when all passed.
"""
import random
import sys
import time

from scapy.all import ARP, Ether, IP, TCP, UDP, AsyncSniffer, conf, get_if_hwaddr, send, sendp, sr1  # noqa: E402

conf.verb = 0
failures = 0


def report(good, text):
    global failures
    print(("ok " if good else "FAIL ") + text, flush=True)
    if not good:
        failures += 1


def arp_probe(iface, app_ip):
    mac = get_if_hwaddr(iface)
    replies = []
    sniffer = AsyncSniffer(iface=iface, store=False, prn=replies.append,
                           lfilter=lambda p: ARP in p and p[ARP].op == 2 and p[ARP].psrc == app_ip)
    sniffer.start()
    time.sleep(0.3)
    sendp(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc="0.0.0.0", pdst=app_ip), iface=iface)
    time.sleep(1.5)
    sniffer.stop()
    good = [r for r in replies if r[ARP].hwdst == mac and r[Ether].dst == mac]
    report(bool(good), f"ARP probe (sender 0.0.0.0) for {app_ip}: {len(replies)} replies"
           + (f", from {good[0][ARP].hwsrc} to our MAC, target {good[0][ARP].pdst}" if good else ""))


def stealth(iface, app_ip, port):
    for name, flags in (("FIN", "F"), ("NULL", ""), ("XMAS", "FPU"), ("PSH", "P")):
        sport = random.randint(20000, 60000)
        answer = sr1(IP(dst=app_ip) / TCP(sport=sport, dport=port, flags=flags, seq=random.randint(0, 2**31)),
                     timeout=1, iface=iface)
        report(answer is None, f"{name} scan of listening port {port}: "
               + ("no answer" if answer is None else f"answered {answer.summary()}"))
    sport = random.randint(20000, 60000)
    answer = sr1(IP(dst=app_ip) / TCP(sport=sport, dport=port, flags="S", seq=1000), timeout=2, iface=iface)
    good = answer is not None and TCP in answer and answer[TCP].flags == "SA"
    report(good, f"SYN to port {port} (control): " + (answer.summary() if answer is not None else "no answer"))
    # Our kernel never opened this connection: it resets the SYN-ACK itself.


def squat(iface, app_ip, seconds):
    sent = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        source = f"10.0.0.{random.randint(100, 250)}"
        send(IP(src=source, dst=app_ip, id=random.randint(0, 65535), flags="MF", frag=65000 // 8, proto=17)
             / (b"\x00" * 480), iface=iface)
        sent += 1
        time.sleep(0.5)
    report(sent > 0, f"squatter: {sent} spoofed fragments at offset 65000 in {seconds} s")


def main():
    command, iface, app_ip = sys.argv[1], sys.argv[2], sys.argv[3]
    if command == "arp-probe":
        arp_probe(iface, app_ip)
    elif command == "stealth":
        stealth(iface, app_ip, int(sys.argv[4]))
    elif command == "squat":
        squat(iface, app_ip, float(sys.argv[4]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
