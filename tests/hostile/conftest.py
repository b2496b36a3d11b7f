"""Fixtures for the hostile-input tests: real endpoint servers over the session's build of the
bundled report (``built``, from tests/conftest.py), a raw HTTP client whose every read is
bounded, a canary that records any connection a server makes, a tiny graph whose labels attack
the views, and one headless Chromium in a thread of its own.

A server here is ``tiltaksgraf serve`` in a child process, on a free loopback port, polled until
it answers and stopped in ``finally``: a query inside Oxigraph cannot be interrupted, so a
runaway query keeps burning a core until its process ends, and killing the process is the only
way to get the core back for the tests after it. Everything talks to 127.0.0.1 through
``http.client`` or a socket (no proxy settings apply), with a timeout on every read.

Over 400 lines: the raw HTTP client and servers every hostile test shares.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import http.client
import pytest
from tinygraph import tiny_graph
from rdflib import Graph

from tiltaksgraf.graph.build import entity_iri

LOOPBACK = "127.0.0.1"
ASK_ALL = "ASK { ?s ?p ?o }"
MAX_READ = 4 << 20  # bytes read from one raw exchange at most


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "soak: the 20,000-request endpoint soak (runs by default; "
                                       "deselect with -m 'not soak')")


# --- HTTP ---------------------------------------------------------------------------------------


@dataclass
class Reply:
    """One HTTP answer: status, headers (lower-case names), body, seconds it took."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float = 0.0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> object:
        return json.loads(self.body)

    def error(self, *statuses: int) -> dict:
        """The endpoint's one error shape, as JSON (never an HTML page), with one of ``statuses``."""
        assert self.content_type.startswith("application/json"), (self.status, self.content_type, self.body[:300])
        assert not self.body.lstrip().startswith(b"<"), self.body[:300]
        document = json.loads(self.body)
        assert document["ok"] is False and document["status"] == self.status and document["error"], document
        if statuses:
            assert self.status in statuses, document
        return document


def parse_replies(data: bytes) -> list[Reply]:
    """The responses in what a raw exchange read, in order; the parse stops at the first thing
    that is not a complete response with a Content-Length."""
    replies = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("iso-8859-1").split("\r\n")
        match = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
        if not match:
            break
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if len(rest) < length:
            break
        replies.append(Reply(int(match.group(1)), headers, rest[:length]))
        data = rest[length:]
    return replies


@dataclass
class Exchange:
    """What a raw exchange read back, and how it ended."""

    data: bytes
    timed_out: bool
    send_error: str | None = None
    replies: list[Reply] = field(default_factory=list)


class ServerProcess:
    """``tiltaksgraf serve`` in a child process on a free loopback port."""

    def __init__(self, graph: Path, log: Path, *, store: str = "oxigraph", timeout: float = 2.0,
                 workers: int = 4, max_rows: int = 10_000, options: tuple[str, ...] = (),
                 files: int | None = None, memory_limit: int | None = None) -> None:
        """``options``: more ``serve`` options; ``files``: the server's open-file limit (soft and hard)."""
        self.log = log
        self._log = open(log, "wb")
        # Ctrl-C works as at a terminal even when these tests run as a background job, whose
        # children inherit SIGINT ignored (then Python installs no KeyboardInterrupt handler).
        command = [sys.executable, "-c",
                   "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                   "from tiltaksgraf.cli import main; sys.exit(main())",
                   "serve", "--graph", str(graph), "--host", LOOPBACK, "--port", "0", "--store", store,
                   "--timeout", str(timeout), "--workers", str(workers), "--max-rows", str(max_rows), "--quiet",
                   *options]
        if memory_limit is not None:
            command += ["--memory-limit", str(memory_limit)]
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))) if files else None
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=self._log, preexec_fn=limit)
        self.timeout = timeout
        self.url = ""
        self.port = 0
        self._log_seen = 0  # how much of the log assert_healthy has looked at
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise

    def _wait_until_up(self, limit: float = 60.0) -> None:
        deadline = time.monotonic() + limit
        while not self.url:
            found = re.search(r"page:\s+(http://127\.0\.0\.1:(\d+)/)", self.stderr())
            if found:
                self.url, self.port = found.group(1), int(found.group(2))
            elif self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"tiltaksgraf serve did not start:\n{self.stderr()}")
            else:
                time.sleep(0.05)
        while True:  # polled until it answers a query
            try:
                if self.get("/sparql?" + urllib.parse.urlencode({"query": ASK_ALL}), timeout=2).status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"tiltaksgraf serve did not answer:\n{self.stderr()}")
            time.sleep(0.05)

    # --- asking ---

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                *, timeout: float = 15.0) -> Reply:
        """One request on a fresh connection."""
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=timeout)
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data,
                         time.monotonic() - started)
        finally:
            connection.close()

    def get(self, path: str, headers: dict[str, str] | None = None, *, timeout: float = 15.0) -> Reply:
        return self.request("GET", path, headers=headers, timeout=timeout)

    def sparql(self, query: str, accept: str | None = None, *, timeout: float = 15.0) -> Reply:
        headers = {"Accept": accept} if accept else {}
        return self.get("/sparql?" + urllib.parse.urlencode({"query": query}), headers, timeout=timeout)

    def post(self, path: str, body: bytes, content_type: str, *, timeout: float = 15.0) -> Reply:
        return self.request("POST", path, body, {"Content-Type": content_type}, timeout=timeout)

    def raw(self, data: bytes, *, timeout: float = 5.0, half_close: bool = True, reset: bool = False,
            read: bool = True) -> Exchange:
        """Send ``data`` as it is and read what comes back until the server closes, ``timeout``
        seconds pass without a byte, or MAX_READ bytes arrived. ``reset`` ends the connection
        with a RST instead of reading."""
        sock = socket.create_connection((LOOPBACK, self.port), timeout=timeout)
        got, timed_out, send_error = bytearray(), False, None
        try:
            try:
                sock.sendall(data)
                if half_close:
                    sock.shutdown(socket.SHUT_WR)
            except OSError as exc:  # the server may refuse and close before all of it is sent
                send_error = repr(exc)
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return Exchange(b"", False, send_error)
            while read and len(got) < MAX_READ:
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    timed_out = True
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                got += chunk
        finally:
            sock.close()
        return Exchange(bytes(got), timed_out, send_error, parse_replies(bytes(got)))

    # --- checking ---

    def assert_healthy(self, within: float = 2.0) -> None:
        """The server answers a normal ``ASK { ?s ?p ?o }`` correctly and quickly, and nothing it
        met so far took it down the "internal error" path (which prints a traceback)."""
        reply = self.sparql(ASK_ALL, timeout=within + 5)
        assert reply.status == 200, (reply.status, reply.body[:300])
        assert reply.content_type.startswith("application/sparql-results+json")
        assert reply.json() == {"head": {}, "boolean": True}
        assert reply.seconds < within, f"ASK took {reply.seconds:.2f} s"
        assert self.process.poll() is None, "the server died"
        log = self.stderr()
        new, self._log_seen = log[self._log_seen:], len(log)
        assert "Traceback" not in new and "internal error" not in new, new[-3000:]

    def mark(self) -> None:
        """From here on, ``assert_healthy`` judges only what the log gains."""
        self._log_seen = len(self.stderr())

    def stderr(self) -> str:
        self._log.flush()
        return self.log.read_text("utf-8", errors="replace")

    def cpu_seconds(self) -> float:
        """CPU time the server and every process it started have used so far."""
        pids, found = {self.process.pid}, True
        stats = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:  # ended meanwhile
                    continue
                stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
        while found:  # descendants, generation by generation
            found = False
            for pid, (ppid, _ticks) in stats.items():
                if ppid in pids and pid not in pids:
                    pids.add(pid)
                    found = True
        return sum(stats[pid][1] for pid in pids if pid in stats) / os.sysconf("SC_CLK_TCK")

    def answers_again(self, within: float = 15.0) -> None:
        """Poll until a normal query is answered 200 again (after a burst that was told 503)."""
        deadline = time.monotonic() + within
        while self.sparql(ASK_ALL, timeout=within).status != 200:
            assert time.monotonic() < deadline, f"the server still refused a normal query after {within:g} s"
            time.sleep(0.05)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self, grace: float = 10.0) -> bool:
        """Ctrl-C, as a person would; True when the server then exits within ``grace`` seconds
        (otherwise it is killed)."""
        clean = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                clean = False
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        return clean


@pytest.fixture
def serve(built: Path, tmp_path: Path) -> Iterator:
    """``serve(**options)`` starts a server of its own for one test (use it for anything that
    leaves a runaway query behind); every one is stopped when the test ends."""
    started: list[ServerProcess] = []

    def start(**options) -> ServerProcess:
        server = ServerProcess(built, tmp_path / f"server-{len(started)}.log", **options)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop(grace=5)


@pytest.fixture(scope="module")
def endpoint(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for a module's cheap hostile requests (none of which may leave work behind)."""
    server = ServerProcess(built, tmp_path_factory.mktemp("endpoint") / "server.log", timeout=2.0)
    try:
        yield server
    finally:
        server.stop(grace=5)


class Canary:
    """A loopback listener that records every connection made to it (and answers nothing)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://{LOOPBACK}:{self.port}/"
        self.hits: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="canary", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(0.5)
                try:
                    self.hits.append(conn.recv(4096) or b"(connected)")
                except OSError:
                    self.hits.append(b"(connected)")

    def sync(self, timeout: float = 10.0) -> None:
        """Return once every connection made to the canary before this call is in ``hits``: it
        takes connections one at a time in order, so when a marker sent now is recorded, all
        earlier ones are too (the marker is then dropped from ``hits``)."""
        marker = f"sync-{time.monotonic_ns()}".encode()
        with socket.create_connection((LOOPBACK, self.port), timeout=timeout) as sock:
            sock.sendall(marker)
            deadline = time.monotonic() + timeout
            while marker not in self.hits:
                assert time.monotonic() < deadline, "the canary did not record its own marker"
                time.sleep(0.005)
        self.hits.remove(marker)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    listener = Canary()
    try:
        yield listener
    finally:
        listener.close()


@pytest.fixture(autouse=True)
def _judge_each_test_alone(request: pytest.FixtureRequest) -> None:
    """A test answers only for what it did: the module's server log and canary are read from
    its start (so one failure does not fail the tests after it)."""
    if "endpoint" in request.fixturenames:
        request.getfixturevalue("endpoint").mark()
    if "canary" in request.fixturenames:
        request.getfixturevalue("canary").hits.clear()


# --- a tiny graph whose texts attack the views --------------------------------------------------

PAYLOADS = {
    "script": '<script>window.__pwned = "script"; alert("script")</script>',
    "close": '</script><script>window.__pwned = "close"; alert("close")</script>',
    "img": "<img src=x onerror=\"window.__pwned = 'img'; alert('img')\">",
    "svg": "\"><svg onload=\"window.__pwned = 'svg'; alert('svg')\">",
    "url": "javascript:window.__pwned='url';alert('url')",
    "separators": "line\u2028separator\u2029paragraph",
    "template": "{{ 7*7 }} {% if true %}jinja{% endif %} ${alert('tpl')} {{constructor.constructor('alert(1)')()}}",
}
SENTENCE = "Etatene samarbeider: " + " ".join(PAYLOADS.values()) + " & BFD."
PROGRAMME = "Programme " + PAYLOADS["template"] + " " + PAYLOADS["script"]
TINY_PLAN = "hostile-plan"


def hostile_graph() -> Graph:
    """Two measures (BFD responsible); in the first, one agency per payload works with BFD and
    is mentioned, a programme is named, and description and evidence hold every payload."""
    agencies = [(f"evil-{key}", f"{payload} AS", [PAYLOADS["img"]]) for key, payload in PAYLOADS.items()]
    return tiny_graph(agencies, SENTENCE, tag="hostile", plan=TINY_PLAN, programme=("evil-programme", PROGRAMME),
                      describe=True)


@pytest.fixture
def hostile() -> Graph:
    return hostile_graph()


@pytest.fixture
def payloads() -> SimpleNamespace:
    """The hostile texts in ``hostile``: each payload, the evidence sentence, the programme name,
    and the agencies as (IRI, label) pairs."""
    agencies = [(str(entity_iri(f"evil-{key}")), f"{payload} AS") for key, payload in PAYLOADS.items()]
    return SimpleNamespace(each=dict(PAYLOADS), sentence=SENTENCE, programme=PROGRAMME,
                           programme_iri=str(entity_iri("evil-programme")), agencies=agencies)


class Chromium:
    """Headless Chromium (the system's, driven by Playwright) in a thread of its own.

    Playwright's sync API allows one instance per thread, and tests/graph keeps one open in the
    main thread for the whole session; so this one lives in its own thread, and ``run(fn, …)``
    calls ``fn(browser, …)`` there and hands back its result or its exception."""

    def __init__(self, executable: str, args: list[str]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._playwright = None
        self.browser = None
        self._thread.submit(self._start, executable, args).result(timeout=120)

    def _start(self, executable: str, args: list[str]) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(executable_path=executable, args=args)

    def run(self, fn, *args, timeout: float = 240.0):
        return self._thread.submit(fn, self.browser, *args).result(timeout=timeout)

    def close(self) -> None:
        def stop(_browser=None) -> None:
            if self.browser is not None:
                self.browser.close()
            if self._playwright is not None:
                self._playwright.stop()

        try:
            self._thread.submit(stop).result(timeout=60)
        finally:
            self._thread.shutdown(wait=True)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    pytest.importorskip("playwright.sync_api")
    from tiltaksgraf.errors import InputError
    from tiltaksgraf.graph.viz import CHROMIUM_ARGS, find_chromium

    try:
        executable = find_chromium()
    except InputError:
        pytest.skip("no Chromium on this machine")
    driver = Chromium(executable, list(CHROMIUM_ARGS))
    try:
        yield driver
    finally:
        driver.close()
