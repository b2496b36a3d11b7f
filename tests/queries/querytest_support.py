"""Helpers for the query tests (a module rather than conftest, so test modules can import it):
the named-query cases every store must agree on, and starting/stopping a real endpoint."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

from tiltaksgraf.graph.stores import Store
from tiltaksgraf.queries.endpoint import EndpointServer, make_server

# One case per named query (several for those with parameters): the parameters as a user types
# them. The stores-agree tests run every case on every store.
CASES: list[tuple[str, dict[str, str]]] = [
    ("agencies-collaborating", {}),
    ("partners-of", {"agency": "NKVTS"}),
    ("partners-of", {"agency": "Bufdir"}),
    ("trace-programme", {"programme": "TryggEst"}),
    ("trace-entity", {"entity": "Statens barnehus"}),
    ("measures-by-ministry", {}),
    ("measures-by-ministry", {"ministry": "HOD"}),
    ("measures-by-status", {}),
    ("measures-by-status", {"status": "Ferdig"}),
    ("status-per-ministry", {}),
    ("laws-by-measure", {}),
    ("laws-by-measure", {"measure": "5"}),
    ("reports-by-agency", {}),
    ("reports-by-agency", {"agency": "NOVA"}),
    ("commissioned-by", {}),
    ("commissioned-by", {"agency": "Bufdir"}),
    ("related-measures", {"measure": "5"}),
    ("status-history", {}),
    ("status-history", {"measure": "3"}),
    ("plan-overview", {}),
    ("agencies-across-plans", {}),
    ("entity-search", {"text": "barnehus"}),
]


def wait_until_up(url: str, timeout: float = 15.0) -> None:
    """Poll ``url`` until it answers at all (any HTTP status counts)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def start_endpoint(store: Store, **options) -> tuple[EndpointServer, threading.Thread]:
    server = make_server(store, "127.0.0.1", 0, quiet=True, **options)
    thread = threading.Thread(target=server.serve_forever, name="endpoint", daemon=True)
    thread.start()
    wait_until_up(server.url)
    return server, thread


def stop_endpoint(server: EndpointServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
