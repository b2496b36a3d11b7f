"""The SPARQL endpoint: a SPARQL 1.1 Protocol server over a ``Store``, with a query page.

Input: an open ``Store`` (``tiltaksgraf.graph.stores``). Output: an HTTP server:

- ``/sparql``: the SPARQL 1.1 Protocol query operation. GET ``?query=``, POST form-encoded
  (``query=``) or POST with an ``application/sparql-query`` body. SELECT and ASK answer as JSON,
  XML, CSV or TSV, CONSTRUCT and DESCRIBE as Turtle, N-Triples, JSON-LD or RDF/XML, chosen by
  the Accept header. Read-only: SPARQL Update (an ``update=`` field or an
  ``application/sparql-update`` body, LOAD included), SERVICE, FROM / FROM NAMED and the
  protocol's ``default-graph-uri`` / ``named-graph-uri`` are refused; nothing a query says makes
  the server fetch a URL or read a file.
- ``/queries`` (JSON list) and ``/queries/NAME?param=value`` (run a named query, labels
  resolved as on the command line).
- ``/explore/`` and ``/id/…``: the explorer (``tiltaksgraf.explorer``), a page per entity,
  measure, plan and report at the path of its IRI; ``Accept: text/turtle`` (or JSON-LD, …) on an
  ``/id/…`` path answers that resource's triples instead.
- ``/``: a page with a query editor, the named queries ready to run and results as a table;
  everything inline, nothing from a CDN.

Every error is JSON of one shape, built by ``error_document``: ``{"ok": false, "error": …,
"status": …}`` (a syntax error adds ``line`` and ``column``).

Why the standard library's ``ThreadingHTTPServer`` rather than waitress or uvicorn: the endpoint
has four routes and its costs are in the query engine, and with the hardening here it holds what
a maintained server gives (the hostile tests in ``tests/hostile/test_http_hostile.py`` show it:
slowloris cut off, idle sockets closed and capped, oversized headers 431, keep-alive, pipelining,
no request smuggling), while every refusal, down to a garbled request line, stays in the one
JSON error shape, which waitress's and uvicorn's built-in plain-text errors would not. The
hardening: one framing per request (a second ``Content-Length`` or any ``Transfer-Encoding`` is
refused and the connection closed), every body read or the connection closed (so no body can
become the next request), a ``Host`` allow-list against DNS rebinding, ``nosniff`` and, on every
405, ``Allow``; the time limits and the connection cap are in ``queries/connections.py``.

The query work itself runs in worker processes (``queries/service.py``), so no query, however
slow or large, holds a thread that answers HTTP.

Over 400 lines: the HTTP handler and its routes share one request state; the connection limits are
already in connections.py.
"""

from __future__ import annotations

import io
import ipaddress
import json
import re
import sys
import time
import traceback
import urllib.parse
from functools import lru_cache
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from tiltaksgraf.errors import QueryError, UnwritableResult
from tiltaksgraf.explorer.site import Explorer, describe_query, wants_rdf
from tiltaksgraf.graph.stores import QueryResult, Store
from tiltaksgraf.queries.connections import Connections, DeadlineReader, Limits, connection_cap
from tiltaksgraf.queries.check import SparqlSyntaxError
from tiltaksgraf.queries.formats import GRAPH_FORMATS, SELECT_FORMATS, format_result
from tiltaksgraf.queries.params import bound_text
from tiltaksgraf.queries.rq import get_named_query, load_named_queries
from tiltaksgraf.queries.service import DEFAULT_MEMORY_LIMIT_MB, QueryService, ServiceBusy, http_status

__all__ = ["EndpointServer", "QueryService", "ServiceBusy", "error_document", "make_server"]

MAX_BODY = 1 << 20  # bytes of request body (a query or a form) we read at most
_MEDIA = {  # accepted media type → format name, per result kind; preferred types first (wildcards)
    "select": {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
               "text/csv": "csv", "text/tab-separated-values": "tsv",
               "application/json": "json", "application/xml": "xml", "text/xml": "xml"},
    "graph": {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "jsonld",
              "application/rdf+xml": "rdfxml", "application/turtle": "turtle", "application/x-turtle": "turtle",
              "text/plain": "nt", "application/json": "jsonld", "application/xml": "rdfxml"},
}
_DEFAULT = {"select": "json", "graph": "turtle"}


def error_document(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """The one shape of every error the endpoint sends."""
    return {"ok": False, "error": message, "status": status, **extra}


def _status_of(exc: Exception) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, SparqlSyntaxError):
        return 400, {"line": exc.line, "column": exc.column}
    return http_status(exc), {}  # type: ignore[arg-type]  # unlisted exceptions get 400 there


def negotiate(accept: str | None, kind: str) -> str | None:
    """The format to answer in for an Accept header, or None when nothing acceptable is offered."""
    family = "select" if kind in ("SELECT", "ASK") else "graph"
    offered = _MEDIA[family]
    if not accept or not accept.strip():
        return _DEFAULT[family]
    ranges = []
    for position, item in enumerate(accept.split(",")):
        parts = [p.strip() for p in item.split(";")]
        media = parts[0].lower()
        q = 1.0
        for param in parts[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media and q > 0:
            specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
            ranges.append((-q, -specificity, position, media))
    for _q, _s, _p, media in sorted(ranges):
        if media in offered:
            return offered[media]
        if media == "*/*":
            return _DEFAULT[family]
        if media.endswith("/*"):
            match = next((f for m, f in offered.items() if m.startswith(media[:-1])), None)
            if match:
                return match
    return None


def _media_type(fmt: str) -> str:
    if fmt in SELECT_FORMATS:
        return SELECT_FORMATS[fmt]
    return GRAPH_FORMATS[fmt][0]


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_WILDCARDS = ("", "0.0.0.0", "::")
_ROUTES = {"/": ("GET", "HEAD"), "/index.html": ("GET", "HEAD"), "/sparql": ("GET", "POST", "HEAD"),
           "/queries": ("GET", "HEAD")}


def _allowed_methods(path: str) -> tuple[str, ...] | None:
    """The methods a path answers, or None when there is no such page."""
    if path in _ROUTES:
        return _ROUTES[path]
    return ("GET", "HEAD") if path.startswith("/queries/") or Explorer.handles(path) else None


def host_name(value: str) -> str | None:
    """The name in a ``Host`` header (``localhost:7878`` → ``localhost``, ``[::1]:80`` →
    ``[::1]``), lower-cased and without a final dot; None when it is not ``name[:port]``."""
    value = value.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value.partition("]")
        name += bracket
    else:
        name, colon, port = value.partition(":")
        rest = colon + port
    if not name or not _plausible_host(name) or (rest and not re.fullmatch(r":\d{1,5}", rest)):
        return None
    return name[:-1] if name.endswith(".") and len(name) > 1 else name


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]") if name.startswith("[") else name)
    except ValueError:
        return False
    return name.startswith("[") == (":" in name)  # IPv6 only in brackets


def _plausible_host(name: str) -> bool:
    if name.startswith("["):
        return bool(re.fullmatch(r"\[[0-9a-f:.]+\]", name))
    return bool(re.fullmatch(r"[a-z0-9_.-]+", name))


class EndpointServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    explorer: Explorer  # set by make_server

    def __init__(self, address: tuple[str, int], service: QueryService, *, quiet: bool = False,
                 limits: Limits = Limits(),  # noqa: B008 -- Limits is frozen: one shared default is safe
                 allow_hosts: Iterable[str] = ()) -> None:
        # Set before binding: a failed bind calls server_close(), which closes the service.
        self.service = service
        self.quiet = quiet
        self.limits = limits
        self.connections = Connections(connection_cap(limits.max_connections))
        bound = address[0].lower()
        self.allowed_hosts = frozenset(
            [*LOOPBACK_HOSTS, *(host_name(h) or h.lower() for h in allow_hosts)]
            + ([] if bound in _WILDCARDS else [f"[{bound}]" if ":" in bound else bound]))
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.connections.admit(request):  # every connection is running a request
            _refuse_connection(request)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.connections.forget(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # a client that left: no bug
            return
        super().handle_error(request, client_address)

    def server_close(self) -> None:
        super().server_close()
        self.connections.hang_up_all()
        self.service.close()


def _refuse_connection(sock: Any) -> None:
    body = json.dumps(error_document(503, "the server has too many open connections; try again shortly"))
    head = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n")
    try:
        sock.settimeout(0.5)
        sock.sendall((head + body).encode())
    except OSError:
        pass


def make_server(store: Store, host: str = "127.0.0.1", port: int = 7878, *, timeout: float = 10.0,
                max_rows: int = 10_000, workers: int = 4, quiet: bool = False, idle_timeout: float = 30.0,
                request_timeout: float = 10.0, max_connections: int = 1000,
                allow_hosts: Iterable[str] = (),
                memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB) -> EndpointServer:
    """A server bound to (host, port) — port 0 picks a free one, see ``.url`` — not yet serving:
    call ``serve_forever()`` (in a thread, if you like) and ``shutdown()``/``server_close()``.

    ``allow_hosts`` adds names to the ``Host`` headers it answers (``localhost``, any IP address
    and the name it is bound to are always answered); the time limits and ``max_connections`` are
    explained in ``tiltaksgraf.queries.connections``."""
    service = QueryService(store, timeout=timeout, max_rows=max_rows, workers=workers,
                           memory_limit_mb=memory_limit_mb)
    limits = Limits(idle_timeout=idle_timeout, request_timeout=request_timeout, max_connections=max_connections)
    try:
        server = EndpointServer((host, port), service, quiet=quiet, limits=limits, allow_hosts=allow_hosts)
        server.explorer = Explorer(store)  # the browsable site: /explore/ and a page per IRI under /id/
        return server
    except OSError as exc:
        service.close()
        shown = f"[{host}]" if ":" in host else host
        raise QueryError(f"cannot listen on {shown}:{port}: {exc.strerror or exc}",
                         hint="choose another --port (0 picks a free one)") from exc


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every response carries Content-Length
    # Headers and body go out in two writes; with Nagle's algorithm on, the body waits for the
    # client's delayed ACK (40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True
    server_version = "tiltaksgraf"
    server: EndpointServer
    _body_left = 0  # bytes of the current request's body not read yet

    def setup(self) -> None:
        self.timeout = self.server.limits.idle_timeout  # type: ignore[misc]  # every recv and send: see connections.py
        super().setup()
        self._reader = DeadlineReader(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        connections = self.server.connections
        connections.waiting(self.connection)
        self._reader.deadline = None
        self._body_left = 0
        try:
            self.rfile.peek(1)  # type: ignore[attr-defined]  # a BufferedReader: the next request's first byte, within the idle timeout
        except OSError:  # TimeoutError included: an idle connection is closed without a word
            self.close_connection = True
            return
        self._reader.deadline = time.monotonic() + self.server.limits.request_timeout
        super().handle_one_request()
        self._reader.deadline = None

    # --- routing -------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - the http.server naming
        self._dispatch("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch(self.command)

    do_DELETE = do_PATCH = do_OPTIONS = do_PUT

    def _dispatch(self, method: str) -> None:
        try:
            path, _, query_string = self.path.partition("?")
            path = urllib.parse.unquote(path)
            allowed = _allowed_methods(path)
            if allowed is None:
                self._error(404, f"no such page: {path}; the SPARQL endpoint is /sparql")
            elif method not in allowed:
                what = "" if method in ("GET", "POST", "HEAD") else ": this endpoint is read-only"
                raise _HttpError(405, f"{method} is not allowed here{what}; use {' or '.join(allowed)}",
                                 headers={"Allow": ", ".join(allowed)})
            elif path in ("/", "/index.html"):
                self._send(200, _page(), "text/html; charset=utf-8", head=method == "HEAD")
            elif path == "/sparql":
                self._sparql(method, query_string)
            elif Explorer.handles(path):
                self._explorer(path, head=method == "HEAD")
            elif path == "/queries":
                body = json.dumps([q.as_json() for q in load_named_queries().values()], ensure_ascii=False)
                self._send(200, body, "application/json; charset=utf-8", head=method == "HEAD")
            else:
                self._named(path[len("/queries/"):], query_string, head=method == "HEAD")
        except _HttpError as exc:
            self._error(exc.status, exc.message, **exc.extra)
        except (ConnectionError, TimeoutError):  # the client left or stalled: nobody to tell, no bug
            self.close_connection = True
        except Exception as exc:  # a bug: answer 500, keep serving, and leave the traceback on stderr
            traceback.print_exc(file=sys.stderr)
            self._error(500, f"internal error: {type(exc).__name__}")
        finally:
            self._skip_body()

    # --- SPARQL protocol ---------------------------------------------------------------------

    def _sparql(self, method: str, query_string: str) -> None:
        params = urllib.parse.parse_qs(query_string, keep_blank_values=True)
        if method == "POST":
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            body = self._body()
            if content_type == "application/sparql-update":
                raise _HttpError(403, "SPARQL Update is not allowed: this endpoint is read-only")
            if content_type == "application/sparql-query":
                params.setdefault("query", []).append(body.decode("utf-8", "replace"))
            elif content_type == "application/x-www-form-urlencoded":
                form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
                for key, values in form.items():
                    params.setdefault(key, []).extend(values)
            else:
                raise _HttpError(415, f"unsupported Content-Type {content_type or '(none)'!r}: send "
                                      "application/x-www-form-urlencoded or application/sparql-query")
        if "update" in params:
            raise _HttpError(403, "SPARQL Update is not allowed: this endpoint is read-only")
        if "default-graph-uri" in params or "named-graph-uri" in params:
            raise _HttpError(403, "default-graph-uri and named-graph-uri are not allowed: the endpoint "
                                  "queries its own graph and does not fetch others")
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            raise _HttpError(400, "send exactly one non-empty 'query'" if queries
                             else "missing 'query': send ?query=SELECT… or POST a query")
        self._answer(lambda service: service.sparql(queries[0]), head=method == "HEAD")

    def _explorer(self, path: str, *, head: bool) -> None:
        """An explorer page; for a resource (``/id/…``) its triples when the client asks for RDF."""
        explorer = self.server.explorer
        if wants_rdf(self.headers.get("Accept")) and explorer.is_resource(path):
            self._answer(lambda service: service.sparql(describe_query(path)), head=head)
            return
        found = explorer.page(path)
        if found is None:
            raise _HttpError(404, f"no such page: {path}; the explorer starts at /explore/")
        body, media = found
        self._send(200, body, media, head=head, vary=path.startswith("/id/"))

    def _named(self, name: str, query_string: str, *, head: bool) -> None:
        as_text = name.endswith(".rq")  # /queries/NAME.rq?…: the text with the parameters bound
        name = name.removesuffix(".rq")
        try:
            query = get_named_query(name)
        except QueryError as exc:
            raise _HttpError(404, exc.detail, hint=exc.hint) from None
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(query_string, keep_blank_values=True).items()}
        if as_text:
            try:
                text = bound_text(self.server.explorer.store, query, params)
            except QueryError as exc:
                status, extra = _status_of(exc)
                raise _HttpError(status, exc.detail, hint=exc.hint, **extra) from None
            self._send(200, text, "application/sparql-query; charset=utf-8", head=head)
            return
        self._answer(lambda service: service.named(name, params), head=head)

    def _answer(self, run: Callable[[QueryService], QueryResult], *, head: bool) -> None:
        try:
            result = run(self.server.service)
        except QueryError as exc:
            status, extra = _status_of(exc)
            raise _HttpError(status, exc.detail, hint=exc.hint, **extra) from None
        fmt = negotiate(self.headers.get("Accept"), result.kind)
        if fmt is None:
            family = "select" if result.kind in ("SELECT", "ASK") else "graph"
            raise _HttpError(406, f"cannot answer a {result.kind} query as {self.headers.get('Accept')}; "
                                  f"acceptable: {', '.join(_MEDIA[family])}")
        media = _media_type(fmt)
        charset = "" if media.endswith("json") else "; charset=utf-8"
        try:
            text = format_result(result, fmt)
        except UnwritableResult as exc:  # e.g. an IRI with a quote in it, asked for as Turtle
            raise _HttpError(406, exc.detail, hint=exc.hint) from None
        self._send(200, text, media + charset, head=head, vary=True)

    # --- plumbing ----------------------------------------------------------------------------

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":  # a bare "GET /path": its answer would go out without headers
            self.send_error(400, "the request line has no HTTP version; send HTTP/1.1")
            return False
        refusal = self._framing_refusal() or self._host_refusal()
        if refusal:
            self.send_error(*refusal)
            return False
        self._reader.deadline = time.monotonic() + self.server.limits.request_timeout  # now for the body
        self.server.connections.busy(self.connection)
        return True

    def _framing_refusal(self) -> tuple[int, str] | None:
        """Why the body's length is unclear, or None: every proxy in front of this server must
        read the same request boundaries as it does, so anything two readers could take for two
        different lengths is refused and the connection closed (request smuggling, RFC 9112
        section 6.3). Otherwise the length is noted, so the body is always read or the
        connection closed (``_skip_body``) and never taken for the next request."""
        encodings = self.headers.get_all("Transfer-Encoding") or []
        lengths = self.headers.get_all("Content-Length") or []
        if encodings:
            codings = [c.strip().lower() for value in encodings for c in value.split(",")]
            if codings != ["chunked"]:
                return 501, (f"Transfer-Encoding {', '.join(codings)!r} is not supported; "
                             "send the body with a Content-Length")
            return 411, "send the body with a Content-Length"
        if len(lengths) > 1:
            return 400, "more than one Content-Length header: send one"
        if lengths:
            if not re.fullmatch(r"[0-9]{1,18}", lengths[0].strip()):
                if re.fullmatch(r"[0-9]+", lengths[0].strip()):
                    return 413, f"the request body is larger than {MAX_BODY} bytes"
                return 400, "bad Content-Length: send the body's size in bytes"
            self._body_left = int(lengths[0])
            if self._body_left > MAX_BODY:
                return 413, f"the request body is larger than {MAX_BODY} bytes"
        return None

    def _host_refusal(self) -> tuple[int, str] | None:
        """A ``Host`` this server does not answer to: a page on another site whose name was made
        to resolve to 127.0.0.1 (DNS rebinding) would send its own name here. An IP address is
        always answered: rebinding needs a name, and a page loaded from an address is already
        of the server's own origin (so ``--host 0.0.0.0`` works for colleagues typing its IP)."""
        hosts = self.headers.get_all("Host") or []
        if not hosts:
            if self.request_version == "HTTP/1.0":  # no browser sends a request without a Host
                return None
            return 400, "the request has no Host header"
        name = host_name(hosts[0]) if len(hosts) == 1 else None
        if name in self.server.allowed_hosts or (name is not None and _is_address(name)):
            return None
        if name is None:
            return 421, ("the Host header is not one host name with an optional port; this server answers to "
                         f"{', '.join(sorted(self.server.allowed_hosts))} (add names with --allow-host NAME)")
        return 421, (f"this server does not answer to the host name {name[:100]!r}; to allow it, start it with "
                     f"--allow-host {name[:100]}")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a garbled request line, a URL or headers over its limits, an
        unknown method) and the framing and Host refusals, in the one JSON shape too rather than
        its HTML page; the connection is closed after them."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # so that the status line and headers are written
            self.request_version = "HTTP/1.0"
        message = message or self.responses.get(code, ("error",))[0]
        self.log_error("code %d, message %s", code, message)
        body = json.dumps(error_document(code, message), ensure_ascii=False)
        self._send(code, body, "application/json; charset=utf-8", head=self.command == "HEAD",
                   headers={"Connection": "close"})

    def _body(self) -> bytes:
        size, self._body_left = self._body_left, 0
        if size <= 0:
            return b""
        body = self.rfile.read(size)
        self._reader.deadline = None
        return body

    def _skip_body(self) -> None:
        """Read what is left of the body (at most MAX_BODY bytes, in request_timeout) so that it
        cannot be taken for the next request; if it does not come, close the connection."""
        if self._body_left <= 0 or self.close_connection:
            return
        try:
            self._body()
        except OSError:
            self.close_connection = True

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        body = json.dumps(error_document(status, message, **extra), ensure_ascii=False)
        self._send(status, body, "application/json; charset=utf-8", headers=headers)

    def _send(self, status: int, body: str | bytes, content_type: str, *, head: bool = False,
              vary: bool = False, headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")  # a browser never reads JSON or CSV as HTML
        if vary:
            self.send_header("Vary", "Accept")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if not self.server.quiet:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


class _HttpError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = {k: v for k, v in extra.items() if v is not None}
        if headers:
            self.extra["headers"] = headers


@lru_cache(maxsize=1)
def _page() -> bytes:
    return resources.files("tiltaksgraf.queries").joinpath("static/index.html").read_bytes()

