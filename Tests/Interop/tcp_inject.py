#!/usr/bin/env python3
"""Blind-attack checks of RFC 5961 against an echo server, for tcp-hostile.sh. Opens one connection with the
kernel's TCP, learns its sequence numbers by sniffing IFACE (scapy), and injects spoofed segments as that
connection's peer (raw IP socket), each followed by an echo round trip on the real socket:

  RST in window, not exact (SEQ = RCV.NXT + 100)   a challenge ACK (RFC 5961 §3.2), the connection keeps working
  SYN (SEQ = RCV.NXT + 100)                        a challenge ACK (RFC 5961 §4.2), the connection keeps working
  RST out of window (SEQ = RCV.NXT + 2^31)         silently dropped (RFC 5961 §3.2 / RFC 9293), keeps working
  RST exact (SEQ = RCV.NXT)                        the connection is reset: the next send draws a RST

usage: tcp_inject.py IFACE SERVER_IP PORT
Prints one `ok ...`/`FAIL ...` line per check; exit 0 when all passed. Run it inside the test's own namespace.
"""
import socket, sys, time

from scapy.all import IP, TCP, AsyncSniffer, conf, send  # noqa: E402

conf.verb = 0
iface, server, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
failures = 0


def report(good, text):
    global failures
    print(("ok " if good else "FAIL ") + text, flush=True)
    if not good:
        failures += 1


client = socket.create_connection((server, port), timeout=5)
client.settimeout(5)
local_port = client.getsockname()[1]


def ours(packet):
    return TCP in packet and IP in packet and {packet[TCP].sport, packet[TCP].dport} == {port, local_port} \
        and server in (packet[IP].src, packet[IP].dst)


captured = []  # AsyncSniffer.results is only set once it stops
sniffer = AsyncSniffer(iface=iface, lfilter=ours, prn=captured.append, store=False)
sniffer.start()
time.sleep(0.5)


def echo(text):
    data = text.encode()
    client.sendall(data)
    back = b""
    while len(back) < len(data):
        part = client.recv(len(data) - len(back))
        if not part:
            raise ConnectionError("closed by the server")
        back += part
    return back == data


def from_server(since):
    return [p for p in captured[since:] if p[IP].src == server]


def state():
    """(server's SND.NXT, server's RCV.NXT) from its latest segment, once the connection is quiet."""
    time.sleep(0.3)
    segment = from_server(0)[-1][TCP]
    return segment.seq + len(segment.payload), segment.ack


def inject(flags, seq, ack=0):
    """Sends a spoofed segment as our connection's side; returns the server's segments in the next second."""
    since = len(captured)
    send(IP(src=client.getsockname()[0], dst=server) / TCP(sport=local_port, dport=port, flags=flags, seq=seq,
                                                           ack=ack, window=1024))
    time.sleep(1.0)
    return [p[TCP] for p in from_server(since)]


try:
    if not echo("before"):
        report(False, "echo before any injection differs")
    for name, flags, offset, want_challenge in (
        ("RST in window, not exact (RCV.NXT+100)", "R", 100, True),
        ("SYN in an established connection", "S", 100, True),
        ("RST out of window (RCV.NXT+2^31)", "R", 1 << 31, False),
    ):
        snd_nxt, rcv_nxt = state()
        replies = inject(flags, (rcv_nxt + offset) % (1 << 32), snd_nxt if "A" in flags else 0)
        challenges = [r for r in replies if r.flags == "A" and r.seq == snd_nxt and r.ack == rcv_nxt
                      and len(r.payload) == 0]
        resets = [r for r in replies if "R" in str(r.flags)]
        try:
            alive = echo(name)
        except OSError as error:
            alive = False
            name += f" (echo after: {error})"
        if want_challenge:
            report(len(challenges) == 1 and not resets and alive,
                   f"{name}: {len(challenges)} challenge ACK (SEQ={snd_nxt} ACK={rcv_nxt}), "
                   f"{len(resets)} RST, connection {'still echoes' if alive else 'BROKEN'}")
        else:
            report(not replies and alive,
                   f"{name}: {len(replies)} answers (want none), connection {'still echoes' if alive else 'BROKEN'}")
    snd_nxt, rcv_nxt = state()
    inject("R", rcv_nxt)
    since = len(captured)
    try:
        client.sendall(b"after the reset")
        answer = client.recv(100)
        reset = False
        detail = f"recv returned {answer!r}"
    except ConnectionResetError:
        reset = True
        detail = "the next send drew a RST (ECONNRESET)"
    except OSError as error:
        reset = False
        detail = f"{error}"
    time.sleep(0.3)
    rst = [p[TCP] for p in from_server(since) if "R" in str(p[TCP].flags)]
    report(reset and len(rst) >= 1, f"RST exact (SEQ=RCV.NXT={rcv_nxt}): connection reset; {detail}")
except OSError as error:
    report(False, f"connection failed: {error}")
finally:
    sniffer.stop()
    client.close()
sys.exit(1 if failures else 0)
