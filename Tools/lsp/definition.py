#!/usr/bin/env python3
"""Asks SourceKit-LSP where a symbol used in an app package is defined (docs/PACKAGES.md, "editors").

    python3 Tools/lsp/definition.py PACKAGE FILE SYMBOL [EXPECTED]

Starts `sourcekit-lsp` on PACKAGE (build it with `swift build` first), opens FILE (relative to PACKAGE), sends a
textDocument/definition request at the first occurrence of SYMBOL in it and prints the locations returned. Exits 0
when one of them is a file whose path contains EXPECTED (default: /Sources/Runtime/), 1 otherwise, 2 on a protocol
problem or after 120 seconds without an answer.
"""
import json
import os
import subprocess
import sys
import time


def send(process, message):
    body = json.dumps(message).encode()
    process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    process.stdin.flush()


def receive(process):
    length = None
    while True:
        line = process.stdout.readline()
        if not line:
            raise EOFError("sourcekit-lsp closed its output")
        line = line.strip()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(process.stdout.read(length))


def main():
    if len(sys.argv) not in (4, 5):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    package = os.path.abspath(sys.argv[1])
    path = os.path.join(package, sys.argv[2])
    symbol = sys.argv[3]
    expected = sys.argv[4] if len(sys.argv) == 5 else "/Sources/Runtime/"
    text = open(path).read()
    offset = text.find(symbol)
    if offset < 0:
        print(f"definition.py: {symbol} does not occur in {path}", file=sys.stderr)
        return 2
    line = text.count("\n", 0, offset)
    character = offset - (text.rfind("\n", 0, offset) + 1)
    uri = "file://" + path
    process = subprocess.Popen(["sourcekit-lsp"], cwd=package, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    try:
        send(process, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": os.getpid(), "rootUri": "file://" + package, "capabilities": {}}})
        while receive(process).get("id") != 1:
            pass
        send(process, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
        send(process, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "swift", "version": 1, "text": text}}})
        # The first answers may come before the build settings are known: ask until the deadline.
        deadline = time.monotonic() + 120
        request = 2
        while time.monotonic() < deadline:
            send(process, {"jsonrpc": "2.0", "id": request, "method": "textDocument/definition", "params": {
                "textDocument": {"uri": uri}, "position": {"line": line, "character": character}}})
            while True:
                message = receive(process)
                if message.get("id") == request:
                    break
            result = message.get("result") or []
            if isinstance(result, dict):
                result = [result]
            locations = [item.get("uri", item.get("targetUri", "")) for item in result]
            if locations:
                for location in locations:
                    print(f"{symbol} -> {location}")
                return 0 if any(expected in location for location in locations) else 1
            request += 1
            time.sleep(2)
        print(f"definition.py: no definition of {symbol} within 120 seconds", file=sys.stderr)
        return 2
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    sys.exit(main())
