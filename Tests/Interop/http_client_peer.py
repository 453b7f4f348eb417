#!/usr/bin/env python3
"""A small HTTP/1.1 server for Tests/Interop/http-get.sh: the responses Python's http.server does not send.

Raw sockets, one thread per connection, persistent connections (HTTP/1.1 keep-alive) unless a path closes. It
prints `connection N` when it accepts one and `request N METHOD PATH` for each request on it, so the script can
count TCP connections per request. Exits by itself after --lifetime seconds (bounded).

  GET /chunked         chunked body "hello, chunked world\n" in 3 chunks, an extension and a trailer
  GET /chunked-blob    the file --blob in chunks of 1...9000 bytes (seeded sizes)
  POST|PUT /echo       the request body back, Content-Length, X-Method: the method
  DELETE /thing        204 No Content
  GET /close           a body without Content-Length, then the server closes (read until close)
  GET /interim         103 Early Hints, then 200 with "final\n"
  GET /redirect        302 to /chunked
  GET /loop            302 to /loop
  GET /big-header      a 20 KiB field (over the client's default 16 KiB header budget)
  GET /stall           reads the request and never answers (the connection stays open)
  anything else        404
"""
import argparse
import random
import socket
import sys
import threading
import time


def read_request(conn, buffer):
    """Returns (method, path, headers, body, rest) or None at the end of the stream."""
    while b"\r\n\r\n" not in buffer:
        data = conn.recv(65536)
        if not data:
            return None
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            return None
        rest += data
    return method, path, headers, rest[:length], rest[length:]


def respond(conn, status, headers, body=b""):
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    conn.sendall(head.encode("latin-1") + body)


def serve(conn, number, blob, lock):
    buffer = b""
    try:
        while True:
            request = read_request(conn, buffer)
            if request is None:
                return
            method, path, headers, body, buffer = request
            with lock:
                print(f"request {number} {method} {path}", flush=True)
            if path == "/chunked":
                conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
                             b"7;ext=1\r\nhello, \r\n8\r\nchunked \r\n6\r\nworld\n\r\n0\r\nX-Trailer: yes\r\n\r\n")
            elif path == "/chunked-blob":
                out = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"]
                sizes = random.Random(11)
                offset = 0
                while offset < len(blob):
                    piece = blob[offset:offset + sizes.randint(1, 9000)]
                    out.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
                    offset += len(piece)
                out.append(b"0\r\n\r\n")
                conn.sendall(b"".join(out))
            elif path == "/echo" and method in ("POST", "PUT"):
                respond(conn, "200 OK", [("Content-Length", len(body)), ("X-Method", method)], body)
            elif path == "/thing" and method == "DELETE":
                respond(conn, "204 No Content", [("X-Deleted", "thing")])
            elif path == "/close":
                respond(conn, "200 OK", [("Connection", "close")], b"until the server closes\n")
                return
            elif path == "/interim":
                conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
                respond(conn, "200 OK", [("Content-Length", 6)], b"final\n")
            elif path == "/redirect":
                respond(conn, "302 Found", [("Location", "/chunked"), ("Content-Length", 5)], b"moved")
            elif path == "/loop":
                respond(conn, "302 Found", [("Location", "/loop"), ("Content-Length", 0)])
            elif path == "/big-header":
                respond(conn, "200 OK", [("X-Big", "x" * 20480), ("Content-Length", 0)])
            elif path == "/stall":
                time.sleep(60)
                return
            else:
                respond(conn, "404 Not Found", [("Content-Length", 10)], b"not found\n")
    except OSError:
        return
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--blob", required=True)
    parser.add_argument("--lifetime", type=float, default=300)
    args = parser.parse_args()
    blob = open(args.blob, "rb").read()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.bind, args.port))
    listener.listen(16)
    listener.settimeout(1)
    print("ready", flush=True)
    lock = threading.Lock()
    deadline = time.monotonic() + args.lifetime
    number = 0
    while time.monotonic() < deadline:
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        number += 1
        with lock:
            print(f"connection {number}", flush=True)
        threading.Thread(target=serve, args=(conn, number, blob, lock), daemon=True).start()
    sys.exit(0)


if __name__ == "__main__":
    main()
