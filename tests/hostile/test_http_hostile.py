"""The endpoint's HTTP layer under hostile and shared use, on raw sockets: request smuggling
(desync), the Host allow-list, the headers every response carries, and what a maintained
server stack gives — slowloris cut off, idle connections closed, many idle sockets never making
the server unreachable, HTTP/1.1 keep-alive and pipelining answered in order.

``endpoint`` is ``tiltaksgraf serve`` in a child process (tests/hostile/conftest.py); the tests
that need short time limits or a small connection cap run the server in this process
(``http_support.running``). Each request of a concurrent or pipelined test is distinct and its
answer checked for its own value.

Over 400 lines: one test per hostile HTTP behaviour, sharing the raw-socket fixtures.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.parse

import pytest
from http_support import running, statuses, wait_for

LOOPBACK = "127.0.0.1"

pytestmark = pytest.mark.server

HOST = b"Host: 127.0.0.1\r\n"
ASK_ALL = b"ASK { ?s ?p ?o }"
# A request hidden in a body: if it is ever answered, the body became a request (desync).
SMUGGLED = b"GET /smuggled HTTP/1.1\r\n" + HOST + b"\r\n"


def numbered(k: int) -> str:
    """A query whose answer is its own number: distinct texts, each answer checkable."""
    return f"SELECT ?k WHERE {{ BIND({k} AS ?k) }}"


def value_of(reply) -> int:
    return int(reply.json()["results"]["bindings"][0]["k"]["value"])


def follow_up(k: int, *, close: bool = True) -> bytes:
    return (b"GET /sparql?" + urllib.parse.urlencode({"query": numbered(k)}).encode() + b" HTTP/1.1\r\n" + HOST
            + (b"Connection: close\r\n" if close else b"") + b"\r\n")


def assert_not_smuggled(exchange) -> None:
    assert b"/smuggled" not in exchange.data, exchange.data[:600]


# --- desync ---------------------------------------------------------------------------------------


def test_http_conflicting_content_lengths_are_refused_and_the_connection_closed(endpoint):
    body = ASK_ALL + SMUGGLED
    head = (b"POST /sparql HTTP/1.1\r\n" + HOST + b"Content-Type: application/sparql-query\r\n"
            + b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" % (len(ASK_ALL), len(body)))
    exchange = endpoint.raw(head + body + follow_up(1))
    assert [r.status for r in exchange.replies] == [400], exchange.data[:600]
    assert "Content-Length" in exchange.replies[0].error(400)["error"]
    assert exchange.replies[0].headers["connection"] == "close"
    assert_not_smuggled(exchange)
    endpoint.assert_healthy()


@pytest.mark.parametrize("encoding", [
    b"Transfer-Encoding: gzip, chunked\r\n",
    b"Transfer-Encoding: chunked, gzip\r\n",
    b"Transfer-Encoding: identity\r\n",
    b"Transfer-Encoding: xchunked\r\n",
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
], ids=["gzip-chunked", "chunked-gzip", "identity", "xchunked", "two-headers"])
def test_http_transfer_encodings_other_than_chunked_are_refused_never_read_by_length(endpoint, encoding):
    body = ASK_ALL + SMUGGLED
    head = (b"POST /sparql HTTP/1.1\r\n" + HOST + b"Content-Type: application/sparql-query\r\n" + encoding
            + b"Content-Length: %d\r\n\r\n" % len(ASK_ALL))
    exchange = endpoint.raw(head + body + follow_up(2))
    assert [r.status for r in exchange.replies] == [501], exchange.data[:600]
    assert "Transfer-Encoding" in exchange.replies[0].error(501)["error"]
    assert_not_smuggled(exchange)
    endpoint.assert_healthy()


@pytest.mark.parametrize(("request_line", "status"), [
    (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\n", 200),
    (b"GET / HTTP/1.1\r\n", 200),
    (b"GET /queries HTTP/1.1\r\n", 200),
    (b"POST / HTTP/1.1\r\n", 405),
    (b"POST /queries HTTP/1.1\r\n", 405),
    (b"POST /queries/partners-of HTTP/1.1\r\n", 405),
    (b"POST /nope HTTP/1.1\r\n", 404),
    (b"PUT /sparql HTTP/1.1\r\n", 405),
    (b"DELETE /nope HTTP/1.1\r\n", 404),
], ids=["get-sparql", "get-page", "get-queries", "post-page", "post-queries", "post-named", "post-nowhere",
        "put", "delete-nowhere"])
def test_http_a_body_nobody_reads_never_becomes_the_next_request(endpoint, request_line, status):
    head = request_line + HOST + b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED)
    exchange = endpoint.raw(head + SMUGGLED + follow_up(3))
    assert [r.status for r in exchange.replies] == [status, 200], exchange.data[:600]
    assert value_of(exchange.replies[1]) == 3
    assert_not_smuggled(exchange)
    endpoint.assert_healthy()


def test_http_a_body_that_never_comes_closes_the_connection():
    """The client announces a body on a 404 and stalls: after the request time limit the
    connection is closed rather than the next bytes being taken for a new request."""
    from rdflib import Graph

    from tiltaksgraf.graph.stores import RdflibStore

    with running(RdflibStore(Graph(), "empty"), request_timeout=0.5, idle_timeout=5) as server:
        with socket.create_connection((LOOPBACK, server.server_address[1]), timeout=5) as sock:
            sock.sendall(b"POST /nope HTTP/1.1\r\n" + HOST + b"Content-Length: 100\r\n\r\n" + b"x" * 10)
            started = time.monotonic()
            data = _read_until_closed(sock, 5)
            assert time.monotonic() - started < 3
        assert statuses(data) == [404]


# --- Host, nosniff, Allow -------------------------------------------------------------------------


def _get_with_host(endpoint, host_lines: bytes, version: bytes = b"HTTP/1.1"):
    exchange = endpoint.raw(b"GET /queries " + version + b"\r\n" + host_lines + b"Connection: close\r\n\r\n")
    assert len(exchange.replies) == 1, exchange.data[:300]
    return exchange.replies[0]


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "127.0.0.1", "127.0.0.1:{port}", "[::1]",
                                  "[::1]:80", "LocalHost:1", "localhost.:{port}", "10.1.2.3:{port}",
                                  "[fe80::1]:80"])
def test_http_loopback_host_names_are_answered(endpoint, host):
    line = b"Host: " + host.replace("{port}", str(endpoint.port)).encode() + b"\r\n"
    assert _get_with_host(endpoint, line).status == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "localhost.evil.example", "127.0.0.1.nip.io",
                                  "localhost:abc", "[::1", "user@localhost", "", "localhost:{port}/x",
                                  "<script>alert(1)</script>", "fe80::1", "0x7f.1", "127.1", "[evil.example]"])
def test_http_other_host_names_are_refused_against_dns_rebinding(endpoint, host):
    line = b"Host: " + host.replace("{port}", str(endpoint.port)).encode() + b"\r\n"
    reply = _get_with_host(endpoint, line)
    document = reply.error(421)
    assert "--allow-host" in document["error"]
    assert reply.headers["x-content-type-options"] == "nosniff"
    endpoint.assert_healthy()


def test_http_host_header_must_be_one_and_present_in_http_1_1(endpoint):
    two = _get_with_host(endpoint, b"Host: localhost\r\nHost: evil.example\r\n")
    two.error(421)
    _get_with_host(endpoint, b"").error(400)
    assert _get_with_host(endpoint, b"", b"HTTP/1.0").status == 200  # no browser sends that


def test_http_allow_host_adds_names(built):
    from tiltaksgraf.graph.stores import open_store

    with open_store(built, "oxigraph") as store, running(store, allow_hosts=["Tiltaksgraf.Example.org"]) as server:
        port = server.server_address[1]

        def status(host: str) -> int:
            connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
            try:
                connection.request("GET", "/queries", headers={"Host": host})
                response = connection.getresponse()
                response.read()
                return response.status
            finally:
                connection.close()

        assert status("tiltaksgraf.example.org") == 200 and status("tiltaksgraf.example.org:8080") == 200
        assert status("localhost") == 200
        assert status("example.org") == 421 and status("other.tiltaksgraf.example.org") == 421


NOSNIFF_REQUESTS = {
    "page": (b"GET / HTTP/1.1\r\n", 200),
    "queries": (b"GET /queries HTTP/1.1\r\n", 200),
    "json": (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\n", 200),
    "csv": (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nAccept: text/csv\r\n", 200),
    "named": (b"GET /queries/partners-of?agency=NKVTS HTTP/1.1\r\n", 200),
    "bad-query": (b"GET /sparql?query=ASK HTTP/1.1\r\n", 400),
    "not-found": (b"GET /nope HTTP/1.1\r\n", 404),
    "method": (b"DELETE /sparql HTTP/1.1\r\n", 405),
    "not-acceptable": (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nAccept: image/png\r\n", 406),
    "too-large": (b"POST /sparql HTTP/1.1\r\nContent-Length: 99999999\r\n", 413),
    "uri-too-long": (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n", 414),
    "headers-too-large": (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n", 431),
    "bad-host": (b"GET / HTTP/1.1\r\nHost: evil.example\r\n", 421),
    "unknown-method": (b"BREW / HTTP/1.1\r\n", 501),
}


@pytest.mark.parametrize("case", list(NOSNIFF_REQUESTS))
def test_http_every_response_says_nosniff(endpoint, case):
    request_line, status = NOSNIFF_REQUESTS[case]
    host = b"" if b"Host:" in request_line else HOST
    exchange = endpoint.raw(request_line + host + b"Connection: close\r\n\r\n")
    assert [r.status for r in exchange.replies] == [status], exchange.data[:300]
    assert exchange.replies[0].headers.get("x-content-type-options") == "nosniff"


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("POST", "/", "GET, HEAD"),
    ("PUT", "/index.html", "GET, HEAD"),
    ("PUT", "/sparql", "GET, POST, HEAD"),
    ("DELETE", "/sparql", "GET, POST, HEAD"),
    ("PATCH", "/queries", "GET, HEAD"),
    ("OPTIONS", "/queries/partners-of", "GET, HEAD"),
    ("POST", "/queries/no-such-query", "GET, HEAD"),
])
def test_http_every_405_says_allow(endpoint, method, path, allowed):
    reply = endpoint.request(method, path, b"x" if method in ("POST", "PUT", "PATCH") else None)
    reply.error(405)
    assert reply.headers["allow"] == allowed


# --- the server stack: time limits, many connections, keep-alive, pipelining ----------------------


def _read_until_closed(sock: socket.socket, limit: float) -> bytes:
    """What the server sends until it closes the connection; fails after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    got = bytearray()
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"the server kept the connection open past {limit:g} s") from None
        except ConnectionResetError:
            return bytes(got)
        if not chunk:
            return bytes(got)
        got += chunk


@pytest.fixture(scope="module")
def small_store(built):
    from tiltaksgraf.graph.stores import open_store

    with open_store(built, "oxigraph") as store:
        yield store


def test_http_idle_connections_are_closed_after_the_idle_timeout(small_store):
    with running(small_store, idle_timeout=0.5) as server:
        port = server.server_address[1]
        with socket.create_connection((LOOPBACK, port)) as silent:  # never sends a byte
            started = time.monotonic()
            assert _read_until_closed(silent, 5) == b""
            assert 0.4 < time.monotonic() - started < 3
        with socket.create_connection((LOOPBACK, port)) as kept:  # idle after one keep-alive answer
            kept.sendall(follow_up(7, close=False))
            data = _read_until_closed(kept, 5)
            assert statuses(data) == [200] and b'"value": "7"' in data


def test_http_slowloris_is_cut_off_while_others_are_served(small_store):
    """A client sending its headers a byte every 0.2 s never trips the 5 s idle timeout, but
    its whole head must arrive within the 1 s request limit; so must a body sent as slowly."""
    with running(small_store, idle_timeout=5, request_timeout=1.0) as server:
        port = server.server_address[1]
        answered: list[int] = []

        def drip(data: bytes) -> float:
            with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
                started = time.monotonic()
                for byte in data:
                    try:
                        sock.sendall(bytes([byte]))
                    except OSError:  # the server has closed it
                        break
                    sock.setblocking(False)
                    try:
                        if sock.recv(65536) == b"":
                            break
                    except BlockingIOError:
                        pass
                    except OSError:
                        break
                    finally:
                        sock.setblocking(True)
                    answered.append(_ask(port, 100 + len(answered)))
                    time.sleep(0.2)  # the client's pace, which is the attack, not a wait for the server
                else:
                    raise AssertionError("the slow client was never cut off")
                return time.monotonic() - started

        head = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\n" + HOST + b"X-Padding: " + b"a" * 200 + b"\r\n\r\n"
        assert drip(head) < 2.5
        body_first = (b"POST /sparql HTTP/1.1\r\n" + HOST
                      + b"Content-Type: application/sparql-query\r\nContent-Length: 200\r\n\r\n")
        with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
            sock.sendall(body_first)
            started = time.monotonic()
            for _ in range(40):
                try:
                    sock.sendall(b" ")
                except OSError:
                    break
                sock.settimeout(0.2)
                try:
                    if sock.recv(65536) == b"":
                        break
                except TimeoutError:  # still open: this recv is the client's pace
                    continue
                except OSError:
                    break
            assert time.monotonic() - started < 2.5
        assert answered == list(range(100, 100 + len(answered))) and answered


def _ask(port: int, k: int) -> int:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": numbered(k)}))
        response = connection.getresponse()
        assert response.status == 200
        return int(json.loads(response.read())["results"]["bindings"][0]["k"]["value"])
    finally:
        connection.close()


def test_http_idle_sockets_past_the_cap_leave_the_server_reachable(small_store):
    with running(small_store, max_connections=20, idle_timeout=30) as server:
        port = server.server_address[1]
        idle = [socket.create_connection((LOOPBACK, port)) for _ in range(60)]
        try:
            assert [_ask(port, k) for k in range(5)] == list(range(5))
            assert len(server.connections) <= 20
            # the longest-waiting were closed to make room; the newest are still open
            assert _read_until_closed(idle[0], 5) == b""
        finally:
            for sock in idle:
                sock.close()


def test_http_a_new_connection_is_refused_only_when_every_one_is_running_a_request(small_store):
    """Two connections whose requests are under way (headers in, body still coming) fill a cap
    of two: the third is told 503 in JSON and closed, and once they are gone it is served."""
    with running(small_store, max_connections=2, request_timeout=5) as server:
        port = server.server_address[1]
        head = (b"POST /sparql HTTP/1.1\r\n" + HOST
                + b"Content-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\n")
        wait_for(lambda: len(server.connections) == 0, 10, "the start-up probe's connection to end")
        busy: list[socket.socket] = []
        try:
            for n in (1, 2):  # one at a time: a connection still waiting for its head may be closed
                busy.append(socket.create_connection((LOOPBACK, port), timeout=5))
                busy[-1].sendall(head)
                wait_for(lambda n=n: server.connections.running() == n, 10, f"request {n} to be under way")
            with socket.create_connection((LOOPBACK, port), timeout=5) as third:
                data = _read_until_closed(third, 5)
            assert statuses(data) == [503] and b'"ok": false' in data and b"too many open connections" in data
        finally:
            for sock in busy:
                sock.close()
        wait_for(lambda: len(server.connections) == 0, 10, "the busy connections to be closed")
        assert _ask(port, 2) == 2


def test_http_more_idle_sockets_than_the_file_limit_allows_leave_the_server_reachable(serve):
    """The red-team finding: with a 1,024 file limit, 1,083 idle sockets made the server
    unreachable (accept() failed for everyone). The cap keeps it under the limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048:  # this process opens the 1,100 sockets
        if hard != resource.RLIM_INFINITY and hard < 2048:
            pytest.skip(f"this test needs 2,048 open files here; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))
    server = serve(files=1024)
    idle: list[socket.socket] = []
    try:
        for _ in range(1100):
            idle.append(socket.create_connection((LOOPBACK, server.port), timeout=5))
        started = time.monotonic()
        reply = server.sparql(numbered(1100), timeout=10)
        assert reply.status == 200 and value_of(reply) == 1100
        assert time.monotonic() - started < 3
        server.assert_healthy(within=3)
    finally:
        for sock in idle:
            sock.close()


def test_http_keep_alive_answers_many_requests_on_one_connection(endpoint):
    connection = http.client.HTTPConnection(LOOPBACK, endpoint.port, timeout=10)
    try:
        connection.connect()
        first = connection.sock
        for k in range(10, 20):
            if k % 2:
                connection.request("POST", "/sparql", body=numbered(k),
                                   headers={"Content-Type": "application/sparql-query"})
            else:
                connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": numbered(k)}))
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200 and not response.will_close
            assert int(json.loads(body)["results"]["bindings"][0]["k"]["value"]) == k
            assert connection.sock is first  # the same connection throughout
    finally:
        connection.close()


def test_http_pipelined_requests_are_answered_in_order(endpoint):
    form = urllib.parse.urlencode({"query": numbered(32)}).encode()
    pipelined = (follow_up(31, close=False)
                 + b"POST /sparql HTTP/1.1\r\n" + HOST + b"Content-Type: application/x-www-form-urlencoded\r\n"
                 + b"Content-Length: %d\r\n\r\n" % len(form) + form
                 + b"GET /nope HTTP/1.1\r\n" + HOST + b"\r\n"
                 + follow_up(33))
    exchange = endpoint.raw(pipelined)
    assert [r.status for r in exchange.replies] == [200, 200, 404, 200], exchange.data[:600]
    assert [value_of(exchange.replies[i]) for i in (0, 1, 3)] == [31, 32, 33]


def test_http_many_clients_each_get_their_own_answer(endpoint):
    problems: list[str] = []

    def client(c: int) -> None:
        for i in range(5):
            k = 1000 * c + i
            try:
                reply = endpoint.sparql(numbered(k), timeout=20)
                if reply.status != 200 or value_of(reply) != k:
                    problems.append(f"{k}: {reply.status} {reply.body[:100]!r}")
            except OSError as exc:
                problems.append(f"{k}: {exc!r}")

    threads = [threading.Thread(target=client, args=(c,)) for c in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert problems == []
