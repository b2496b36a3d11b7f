"""The SPARQL endpoint: a SPARQL 1.1 Protocol server over a ``Store``, with a query page.

Input: an open ``Store`` (``tiltaksgraf.graph.oxigraph_store``). Output: an HTTP server:

- ``/sparql``: the SPARQL 1.1 Protocol query operation. GET ``?query=``, POST form-encoded
  (``query=``) or POST with an ``application/sparql-query`` body. SELECT and ASK answer as JSON,
  XML, CSV or TSV, CONSTRUCT and DESCRIBE as Turtle, N-Triples, JSON-LD or RDF/XML, chosen by
  the Accept header. Read-only: SPARQL Update (an ``update=`` field or an
  ``application/sparql-update`` body, LOAD included), SERVICE, FROM / FROM NAMED and the
  protocol's ``default-graph-uri`` / ``named-graph-uri`` are refused; nothing a query says makes
  the server fetch a URL or read a file.
- ``/queries`` (JSON list) and ``/queries/NAME?param=value`` (run a named query, labels
  resolved as on the command line).
- ``/``: a page with a query editor, the named queries ready to run and results as a table;
  everything inline, nothing from a CDN.

Every error is JSON of one shape, built by ``error_document``: ``{"ok": false, "error": …,
"status": …}`` (a syntax error adds ``line`` and ``column``).

Why the standard library's ``ThreadingHTTPServer`` rather than starlette + uvicorn: the project
depends on neither, the endpoint has four routes, and its costs are in the query engine, not in
HTTP parsing; a thread per connection means a slow client or a long query never holds up
another connection, and the query work itself runs in worker processes (``queries/service.py``).
"""

from __future__ import annotations

import json
import sys
import traceback
import urllib.parse
from functools import lru_cache
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from tiltaksgraf.errors import QueryError
from tiltaksgraf.graph.oxigraph_store import QueryResult, Store
from tiltaksgraf.queries.runner import (
    GRAPH_FORMATS, SELECT_FORMATS, SparqlSyntaxError, format_result, get_named_query,
    load_named_queries,
)
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
    return http_status(exc), {}


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


class EndpointServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], service: QueryService, *, quiet: bool = False) -> None:
        super().__init__(address, _Handler)
        self.service = service
        self.quiet = quiet

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # a client that left mid-request: no bug
            return
        super().handle_error(request, client_address)

    def server_close(self) -> None:
        super().server_close()
        self.service.close()


def make_server(store: Store, host: str = "127.0.0.1", port: int = 7878, *, timeout: float = 10.0,
                max_rows: int = 10_000, workers: int = 4, quiet: bool = False,
                memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB) -> EndpointServer:
    """A server bound to (host, port) — port 0 picks a free one, see ``.url`` — not yet serving:
    call ``serve_forever()`` (in a thread, if you like) and ``shutdown()``/``server_close()``."""
    service = QueryService(store, timeout=timeout, max_rows=max_rows, workers=workers,
                           memory_limit_mb=memory_limit_mb)
    try:
        return EndpointServer((host, port), service, quiet=quiet)
    except OSError as exc:
        service.close()
        raise QueryError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="choose another --port (0 picks a free one)") from exc


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every response carries Content-Length
    # Headers and body go out in two writes; with Nagle's algorithm on, the body waits for the
    # client's delayed ACK (40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True
    server_version = "tiltaksgraf"
    server: EndpointServer

    # --- routing -------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - the http.server naming
        self._dispatch("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._refuse_method()

    do_DELETE = do_PATCH = do_OPTIONS = do_PUT

    def _dispatch(self, method: str) -> None:
        try:
            path, _, query_string = self.path.partition("?")
            path = urllib.parse.unquote(path)
            if path in ("/", "/index.html"):
                self._require(method, ("GET", "HEAD"))
                self._send(200, _page(), "text/html; charset=utf-8", head=method == "HEAD")
            elif path == "/sparql":
                self._require(method, ("GET", "POST", "HEAD"))
                self._sparql(method, query_string)
            elif path == "/queries":
                self._require(method, ("GET", "HEAD"))
                body = json.dumps([q.as_json() for q in load_named_queries().values()], ensure_ascii=False)
                self._send(200, body, "application/json; charset=utf-8", head=method == "HEAD")
            elif path.startswith("/queries/"):
                self._require(method, ("GET", "HEAD"))
                self._named(path[len("/queries/"):], query_string, head=method == "HEAD")
            else:
                self._error(404, f"no such page: {path}; the SPARQL endpoint is /sparql")
        except _HttpError as exc:
            self._error(exc.status, exc.message, **exc.extra)
        except ConnectionError:  # the client left before its answer: nobody to tell, and no bug
            self.close_connection = True
        except Exception as exc:  # a bug: answer 500, keep serving, and leave the traceback on stderr
            traceback.print_exc(file=sys.stderr)
            self._error(500, f"internal error: {type(exc).__name__}")

    def _require(self, method: str, allowed: tuple[str, ...]) -> None:
        if method not in allowed:
            raise _HttpError(405, f"{method} is not allowed here; use {' or '.join(allowed)}",
                             headers={"Allow": ", ".join(allowed)})

    def _refuse_method(self) -> None:
        self._drain()
        self._error(405, f"{self.command} is not allowed: this endpoint is read-only")

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

    def _named(self, name: str, query_string: str, *, head: bool) -> None:
        try:
            get_named_query(name)
        except QueryError as exc:
            raise _HttpError(404, exc.detail, hint=exc.hint) from None
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(query_string, keep_blank_values=True).items()}
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
        self._send(200, format_result(result, fmt), media + charset, head=head, vary=True)

    # --- plumbing ----------------------------------------------------------------------------

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":  # a bare "GET /path": its answer would go out without headers
            self.send_error(400, "the request line has no HTTP version; send HTTP/1.1")
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a garbled request line, a URL or headers over its limits, an
        unknown method) in the one JSON shape too, rather than its HTML page."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # so that the status line and headers are written
            self.request_version = "HTTP/1.0"
        message = message or self.responses.get(code, ("error",))[0]
        self.log_error("code %d, message %s", code, message)
        body = json.dumps(error_document(code, message), ensure_ascii=False)
        self._send(code, body, "application/json; charset=utf-8", head=self.command == "HEAD",
                   headers={"Connection": "close"})

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            raise _HttpError(411, "send the body with a Content-Length")
        try:
            size = int(length or 0)
        except ValueError:
            self.close_connection = True
            raise _HttpError(400, "bad Content-Length") from None
        if size > MAX_BODY:
            self.close_connection = True
            raise _HttpError(413, f"the request body is larger than {MAX_BODY} bytes")
        return self.rfile.read(size) if size > 0 else b""

    def _drain(self) -> None:
        try:
            self._body()
        except _HttpError:
            pass

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

