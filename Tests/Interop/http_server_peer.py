#!/usr/bin/env python3
"""Raw-socket HTTP/1.1 cases for http-server.sh against Samples/http (the Net HTTP library), h2spec-style: each case
sends exact bytes and checks the exact answer, then a fresh connection must still get the page.

  http_server_peer.py HOST cases          malformed and edge-case requests (one `ok`/`FAIL` line each)
  http_server_peer.py HOST budget N       N idle connections are served, connection N+1 gets 503
Exit status 0 when every case passed.
"""
import socket, sys, time

HOST = sys.argv[1]
failures = 0


def report(ok, name, detail):
    global failures
    print(f"{'ok' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failures += 1


def connect():
    s = socket.create_connection((HOST, 80), timeout=15)
    s.settimeout(15)
    return s


def read_response(s, head_only=False):
    """One response: (status, headers dict, body bytes, rest). Reads Content-Length or chunked bodies."""
    data = b""
    while b"\r\n\r\n" not in data:
        part = s.recv(65536)
        if not part:
            return None, {}, b"", data
        data += part
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    if head_only or status in (100, 204, 304):
        return status, headers, b"", rest
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            part = s.recv(65536)
            if not part:
                break
            rest += part
        return status, headers, rest[:n], rest[n:]
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += s.recv(65536)
            line, rest = rest.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            while len(rest) < size + 2:
                rest += s.recv(65536)
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                return status, headers, body, rest
    return status, headers, rest, b""


def closed(s, rest=b""):
    """Whether the server closes the connection (EOF or reset) within 5 s."""
    if rest:
        return False
    s.settimeout(5)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def still_serving(name):
    s = connect()
    s.sendall(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    status, _, body, _ = read_response(s)
    s.close()
    if status != 200 or len(body) != 612:
        report(False, name, f"afterwards GET / got {status}, {len(body)} bytes")
        return False
    return True


def refusal(name, payload, want, shutdown=False):
    s = connect()
    s.sendall(payload)
    if shutdown:
        s.shutdown(socket.SHUT_WR)
    status, headers, _, rest = read_response(s)
    gone = closed(s, rest)
    s.close()
    ok = status == want and headers.get("connection") == "close" and gone
    if still_serving(name):
        report(ok, name, f"{status} Connection: {headers.get('connection')}, closed {gone}; then GET / is 200")


def cases():
    refusal("bad request line", b"GARBAGE\r\n\r\n", 400)
    refusal("bad chunk size", b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400)
    refusal("chunk size over 16 hex digits", b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"1" * 17 + b"\r\n", 400)
    refusal("chunk data without CRLF", b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabcX\r\n0\r\n\r\n", 400)
    refusal("body shorter than Content-Length", b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n"
            + b"x" * 10, 400, shutdown=True)
    refusal("oversize header section", b"GET / HTTP/1.1\r\nHost: h\r\n" + b"X-Big: " + b"a" * 20000 + b"\r\n\r\n", 431)
    refusal("Content-Length over the body limit", b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n", 413)
    refusal("chunked body over the body limit", b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"200000\r\n", 413)
    refusal("unknown transfer coding", b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501)
    refusal("Content-Length with Transfer-Encoding", b"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n", 400)
    refusal("HTTP/2.0 request line", b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505)

    # Chunked upload with extensions and a trailer, echoed in chunks; then the connection goes on.
    s = connect()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
              b"GET /bytes/10 HTTP/1.1\r\nHost: h\r\n\r\n")
    status, headers, body, rest = read_response(s)
    status2, _, body2, _ = read_response_from(s, rest)
    report(status == 200 and headers.get("transfer-encoding") == "chunked" and body == b"hello, world"
           and status2 == 200 and body2 == b"0123456789", "chunked echo with extension and trailer, then pipelined GET",
           f"{status} {headers.get('transfer-encoding')} {body!r}; {status2} {body2!r}")
    s.close()

    # HEAD: the GET's headers, no body: the next pipelined answer follows the empty line at once.
    s = connect()
    s.sendall(b"HEAD /bytes/1000 HTTP/1.1\r\nHost: h\r\n\r\nHEAD /nope HTTP/1.1\r\nHost: h\r\n\r\n"
              b"GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n")
    status, headers, _, rest = read_response(s, head_only=True)
    status2, headers2, _, rest = read_response_from(s, rest, head_only=True)
    status3, _, body3, _ = read_response_from(s, rest)
    report(status == 200 and headers.get("content-length") == "1000" and status2 == 404 and status3 == 200
           and len(body3) == 612, "HEAD has the GET's Content-Length and no body",
           f"{status} length {headers.get('content-length')}, {status2}, then {status3} with {len(body3)} bytes")
    s.close()

    # 405 with Allow; the POST's body is dropped unread and the connection goes on.
    s = connect()
    s.sendall(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n" + b"y" * 5000
              + b"DELETE /echo HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
    status, headers, _, rest = read_response(s)
    status2, headers2, _, rest = read_response_from(s, rest)
    status3, _, body3, _ = read_response_from(s, rest)
    report(status == 405 and headers.get("allow") == "GET, HEAD" and status2 == 405 and headers2.get("allow") == "POST"
           and status3 == 200, "405 with Allow, body dropped, connection kept",
           f"{status} Allow {headers.get('allow')!r}; {status2} Allow {headers2.get('allow')!r}; then {status3}")
    s.close()

    # Expect: 100-continue: 100 before the body when the handler reads it; none (and close) when it does not.
    s = connect()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
    status, _, _, rest = read_response(s, head_only=True)
    s.sendall(b"ping")
    status2, _, body2, _ = read_response_from(s, rest)
    s.close()
    s = connect()
    s.sendall(b"POST /nope HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
    status3, headers3, _, rest = read_response(s)
    gone = closed(s, rest)
    s.close()
    report(status == 100 and status2 == 200 and body2 == b"ping" and status3 == 404
           and headers3.get("connection") == "close" and gone, "Expect: 100-continue",
           f"echo: {status} then {status2} {body2!r}; unrouted: {status3} Connection: {headers3.get('connection')}, "
           f"closed {gone}")

    # HTTP/1.0 client and a chunked-length response: the body ends at the close.
    s = connect()
    s.sendall(b"POST /echo HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc")
    data = b""
    while True:
        part = s.recv(65536)
        if not part:
            break
        data += part
    s.close()
    report(data.startswith(b"HTTP/1.1 200") and data.endswith(b"\r\n\r\nabc"), "HTTP/1.0 echo",
           repr(data[:12]) + " ... " + repr(data[-5:]))
    still_serving("after all cases")


def read_response_from(s, rest, head_only=False):
    """read_response with bytes already received."""
    class Buffered:
        def __init__(self, sock, data):
            self.sock, self.data = sock, data

        def recv(self, n):
            if self.data:
                data, self.data = self.data, b""
                return data
            return self.sock.recv(n)
    return read_response(Buffered(s, rest), head_only)


def budget(n):
    held = [connect() for _ in range(n)]
    for s in held:
        s.sendall(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        status, _, _, _ = read_response(s)
        if status != 200:
            report(False, "connection budget", f"held connection got {status}")
            return
    extra = connect()
    extra.sendall(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    try:
        status, headers, _, _ = read_response(extra)
    except ConnectionResetError:
        status, headers = "reset", {}
    extra.close()
    for s in held:
        s.close()
    time.sleep(1)
    ok = status == 503
    if still_serving("connection budget"):
        report(ok, "connection budget", f"{n} held connections served; connection {n + 1}: {status}; "
               "after they closed GET / is 200")


if sys.argv[2] == "cases":
    cases()
else:
    budget(int(sys.argv[3]))
sys.exit(1 if failures else 0)
