"""Which server stack for the endpoint: the same hostile HTTP probes against the endpoint's
hardened standard-library server and against waitress (a maintained pure-Python WSGI server,
default settings) serving a minimal app, side by side, on loopback.

Usage: ``python bench/server_stack_probe.py`` (needs ``pip install waitress``; the project does
not depend on it). Prints one line per probe and server: what came back and how long it took.
The README's "server stack" paragraph quotes one run of this script.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable

HOST = b"Host: 127.0.0.1\r\n"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\n" + HOST + b"\r\n"
FOLLOW = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n"


def statuses(data: bytes) -> list[int]:
    """The status of each response in what a raw exchange read, framed by Content-Length."""
    found = []
    while (match := re.match(rb"HTTP/1\.[01] (\d{3}) [^\r\n]*\r\n(.*?)\r\n\r\n", data, re.S)):
        found.append(int(match.group(1)))
        length = re.search(rb"(?im)^content-length: *(\d+)", match.group(2))
        data = data[match.end() + (int(length.group(1)) if length else 0):]
    return found


def exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        got = bytearray()
        try:
            while chunk := sock.recv(65536):
                got += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return bytes(got)


def describe(data: bytes) -> str:
    smuggled = " SMUGGLED REQUEST ANSWERED" if b"smuggled" in data.lower() else ""
    types = sorted(set(re.findall(rb"(?i)content-type: ([^;\r\n]+)", data)))
    return f"{statuses(data)} {[t.decode() for t in types]}{smuggled}"


def probe_conflicting_lengths(port: int) -> str:
    body = b"ASK{}" + SMUGGLED
    return describe(exchange(port, b"POST /sparql HTTP/1.1\r\n" + HOST + b"Content-Type: application/sparql-query\r\n"
                             + b"Content-Length: 5\r\nContent-Length: %d\r\n\r\n" % len(body) + body + FOLLOW))


def probe_gzip_chunked(port: int) -> str:
    return describe(exchange(port, b"POST /sparql HTTP/1.1\r\n" + HOST + b"Content-Type: application/sparql-query\r\n"
                             b"Transfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n\r\nASK{}" + SMUGGLED + FOLLOW))


def probe_get_body(port: int) -> str:
    return describe(exchange(port, b"GET /nope HTTP/1.1\r\n" + HOST + b"Content-Length: %d\r\n\r\n" % len(SMUGGLED)
                             + SMUGGLED + FOLLOW))


def probe_huge_header(port: int) -> str:
    return describe(exchange(port, b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 300_000 + b"\r\n\r\n"))


def probe_keep_alive_and_pipelining(port: int) -> str:
    one = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\n" + HOST + b"\r\n"
    return describe(exchange(port, one * 3 + FOLLOW))


def probe_slowloris(port: int, limit: float = 15.0) -> str:
    """A byte every 0.2 s: how long until the server cuts the client off."""
    data = b"GET / HTTP/1.1\r\n" + HOST + b"X-Slow: " + b"a" * 1000
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        started = time.monotonic()
        for byte in data:
            if time.monotonic() - started > limit:
                return f"still connected after {limit:g} s"
            try:
                sock.sendall(bytes([byte]))
                sock.settimeout(0.2)
                if sock.recv(1) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        return f"cut off after {time.monotonic() - started:.1f} s"


def probe_idle_sockets(port: int, count: int = 1100) -> str:
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    try:
        started = time.monotonic()
        try:
            data = exchange(port, FOLLOW, timeout=5)
        except OSError as exc:
            return f"{count} idle sockets: {exc!r}"
        took = time.monotonic() - started
        return f"{count} idle sockets, then a request: {statuses(data) or 'no answer'} in {took:.2f} s"
    finally:
        for sock in idle:
            sock.close()


PROBES: dict[str, Callable[[int], str]] = {
    "two Content-Length": probe_conflicting_lengths,
    "Transfer-Encoding: gzip, chunked": probe_gzip_chunked,
    "GET /nope with a body": probe_get_body,
    "300 KB header": probe_huge_header,
    "keep-alive + 4 pipelined": probe_keep_alive_and_pipelining,
    "slowloris (a byte / 0.2 s)": probe_slowloris,
    "idle sockets": probe_idle_sockets,
}


def tiltaksgraf_server() -> tuple[int, Callable[[], None]]:
    from rdflib import Graph

    from tiltaksgraf.graph.stores import RdflibStore
    from tiltaksgraf.queries.endpoint import make_server

    server = make_server(RdflibStore(Graph(), "empty"), "127.0.0.1", 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
    return server.server_address[1], stop


def waitress_server() -> tuple[int, Callable[[], None]]:
    from waitress.server import create_server

    def app(environ, start_response):
        found = environ["PATH_INFO"] in ("/", "/sparql")
        body = json.dumps({"ok": found}).encode()
        start_response("200 OK" if found else "404 Not Found",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    server = create_server(app, host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    return server.effective_port, server.close


def main() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    for name, start in (("stdlib (hardened)", tiltaksgraf_server), ("waitress 3 defaults", waitress_server)):
        port, stop = start()
        try:
            for probe, run in PROBES.items():
                print(f"{name:20} {probe:34} {run(port)}", flush=True)
        finally:
            stop()


if __name__ == "__main__":
    main()
