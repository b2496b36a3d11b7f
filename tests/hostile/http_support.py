"""An endpoint in this process (``running``), for the HTTP tests that need short time limits or a
small connection cap: a real server on a free loopback port, served in a thread, polled until
it answers, and stopped in ``finally``."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tiltaksgraf.graph.stores import Store
from tiltaksgraf.queries.endpoint import EndpointServer, make_server


def wait_for(condition, timeout: float, what: str, every: float = 0.02):
    """Poll ``condition()`` until it returns something true (returned) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting {timeout:g} s for {what}")
        time.sleep(every)


def statuses(data: bytes) -> list[int]:
    """The status of each response in what a raw exchange read, framed by Content-Length."""
    found = []
    while (match := re.match(rb"HTTP/1\.[01] (\d{3}) [^\r\n]*\r\n(.*?)\r\n\r\n", data, re.S)):
        found.append(int(match.group(1)))
        length = re.search(rb"(?im)^content-length: *(\d+)", match.group(2))
        data = data[match.end() + (int(length.group(1)) if length else 0):]
    return found


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"GET /queries HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


@contextmanager
def running(store: Store, **options) -> Iterator[EndpointServer]:
    server = make_server(store, "127.0.0.1", 0, quiet=True, **options)
    thread = threading.Thread(target=server.serve_forever, name="endpoint", daemon=True)
    thread.start()
    try:
        wait_for(lambda: _answers(server.server_address[1]), 15, "the endpoint to answer")
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
