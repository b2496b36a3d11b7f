"""The soak: 20,000 requests from 8 clients, each on one keep-alive ``http.client`` connection,
to a real ``tiltaksgraf serve`` (Oxigraph) on loopback: named queries, SPARQL by GET, by POST
form and by POST body, in JSON and CSV. Zero errors, every answer byte-identical to a reference
answer checked against the rows the Python API gives, and a sample checked again row by row.
Throughput and latency percentiles are printed; the whole soak has a time budget.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import http.client
import pytest

from tiltaksgraf.api import run_query
from tiltaksgraf.graph.stores import OxigraphStore
from tiltaksgraf.queries.formats import python_rows
from tiltaksgraf.queries.runner import run_sparql

pytestmark = [pytest.mark.soak, pytest.mark.server]

REQUESTS = 20_000
CLIENTS = 8
BUDGET_S = 180.0  # for the 20,000 requests; the test fails, saying so, past it
SAMPLE_EVERY = 97  # every so many answers are parsed and compared row by row again
TG = "PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>\n"
SELECT_NUMBERS = TG + "SELECT ?n WHERE { ?m tg:measureNumber ?n } ORDER BY ?n LIMIT 5"
COUNT_MEASURES = TG + "SELECT (COUNT(?m) AS ?n) WHERE { ?m a tg:Measure }"
ASK_88 = TG + "ASK { ?m tg:measureNumber 88 }"
LABELS = ("PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n" + TG
          + "SELECT ?key ?label WHERE { ?e tg:entityKey ?key ; skos:prefLabel ?label "
            "FILTER(STRSTARTS(?key, \"b\")) } ORDER BY ?key ?label")


def _as_text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def json_rows(body: bytes) -> list[dict[str, str]]:
    document = json.loads(body)
    if "boolean" in document:
        return [{"boolean": _as_text(document["boolean"])}]
    return [{k: v["value"] for k, v in b.items()} for b in document["results"]["bindings"]]


def csv_rows(body: bytes) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    return [{k: v for k, v in row.items() if v != ""} for row in rows]


def text_rows(rows: list[dict]) -> list[dict[str, str]]:
    """The Python API's rows with every value as the text a results document carries."""
    return [{k: _as_text(v) for k, v in row.items() if v is not None} for row in rows]


@dataclass
class Call:
    name: str
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    media: str
    parse: Callable[[bytes], list[dict[str, str]]]
    expected: list[dict[str, str]] = field(default_factory=list)
    reference: bytes = b""


def calls_for(store: OxigraphStore) -> list[Call]:
    def named(name: str, **params: str) -> Call:
        call = Call(f"{name} {params}", "GET", f"/queries/{name}?{urllib.parse.urlencode(params)}", None, {},
                    "application/sparql-results+json", json_rows)
        call.expected = text_rows(run_query(store, name, **params))
        return call

    def sparql(name: str, text: str, how: str, accept: str | None = None) -> Call:
        headers = {"Accept": accept} if accept else {}
        if how == "get":
            call = Call(name, "GET", "/sparql?" + urllib.parse.urlencode({"query": text}), None, headers, "", json_rows)
        elif how == "form":
            call = Call(name, "POST", "/sparql", urllib.parse.urlencode({"query": text}).encode(),
                        {**headers, "Content-Type": "application/x-www-form-urlencoded"}, "", json_rows)
        else:
            call = Call(name, "POST", "/sparql", text.encode(), {**headers, "Content-Type": "application/sparql-query"},
                        "", json_rows)
        call.media = accept or "application/sparql-results+json"
        call.parse = csv_rows if accept == "text/csv" else json_rows
        call.expected = text_rows(python_rows(run_sparql(store, text)))
        return call

    return [
        named("partners-of", agency="NKVTS"),
        named("partners-of", agency="Bufdir"),
        named("trace-programme", programme="TryggEst"),
        named("measures-by-status", status="Ferdig"),
        named("measures-by-ministry", ministry="HOD"),
        named("status-per-ministry"),
        named("related-measures", measure="5"),
        sparql("numbers by GET", SELECT_NUMBERS, "get"),
        sparql("count by POST form", COUNT_MEASURES, "form"),
        sparql("ASK by POST body", ASK_88, "body"),
        sparql("labels by GET as CSV", LABELS, "get", "text/csv"),
        sparql("labels by POST body", LABELS, "body"),
    ]


@dataclass
class Client:
    """One soak client: its connection, latencies and what went wrong."""

    number: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sampled: int = 0
    reconnects: int = 0


def check(call: Call, status: int, content_type: str, body: bytes, *, sample: bool) -> str | None:
    if status != 200:
        return f"{call.name}: HTTP {status} {body[:200]!r}"
    if not content_type.startswith(call.media):
        return f"{call.name}: Content-Type {content_type}"
    if body != call.reference:
        return f"{call.name}: answer differs from the reference ({len(body)} vs {len(call.reference)} bytes)"
    if sample and call.parse(body) != call.expected:
        return f"{call.name}: rows differ from the Python API's"
    return None


def run_client(client: Client, port: int, calls: list[Call], count: int, deadline: float,
               stop: threading.Event) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.connect()
        sock = connection.sock
        for i in range(count):
            if stop.is_set() or time.monotonic() > deadline:
                return
            call = calls[(i * CLIENTS + client.number) % len(calls)]
            sample = (i * CLIENTS + client.number) % SAMPLE_EVERY == 0
            started = time.perf_counter()
            try:
                connection.request(call.method, call.path, body=call.body, headers=call.headers)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                client.errors.append(f"{call.name}: {exc!r}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            finally:
                client.latencies.append(time.perf_counter() - started)
            problem = check(call, response.status, response.getheader("Content-Type", ""), body, sample=sample)
            client.sampled += sample
            if problem:
                client.errors.append(problem)
            if connection.sock is not sock:
                client.reconnects += 1
                sock = connection.sock
            if len(client.errors) > 20:
                stop.set()  # something is broken: no need for thousands more of the same message
    finally:
        connection.close()


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@pytest.fixture(scope="module")
def store(built: Path):
    opened = OxigraphStore.from_build(built)
    yield opened
    opened.close()


def test_soak_twenty_thousand_requests_from_eight_clients(serve, store, capsys, record_property):
    server = serve(timeout=10.0, workers=4)
    calls = calls_for(store)
    for call in calls:  # each reference answer is checked against the Python API's rows first
        reply = server.request(call.method, call.path, call.body, call.headers)
        assert reply.status == 200 and reply.content_type.startswith(call.media), (call.name, reply.body[:200])
        assert call.parse(reply.body) == call.expected, call.name
        assert call.expected, f"{call.name}: the reference answer is empty"
        call.reference = reply.body

    clients = [Client(k) for k in range(CLIENTS)]
    stop = threading.Event()
    started = time.monotonic()
    deadline = started + BUDGET_S
    threads = [threading.Thread(target=run_client, args=(c, server.port, calls, REQUESTS // CLIENTS, deadline, stop),
                                name=f"soak-{c.number}") for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=BUDGET_S + 60)
    wall = time.monotonic() - started

    done = sum(len(c.latencies) for c in clients)
    errors = [e for c in clients for e in c.errors]
    ordered = sorted(t for c in clients for t in c.latencies)
    summary = (f"soak: {done} requests from {CLIENTS} keep-alive clients in {wall:.1f} s = {done / wall:.0f} req/s; "
               f"latency p50 {percentile(ordered, 0.5) * 1000:.1f} ms, p99 {percentile(ordered, 0.99) * 1000:.1f} ms, "
               f"max {ordered[-1] * 1000:.1f} ms; {sum(c.sampled for c in clients)} answers re-checked row by row; "
               f"{len(errors)} errors")
    with capsys.disabled():
        print("\n" + summary)
    record_property("soak", summary)

    assert not any(t.is_alive() for t in threads), "a soak client hung past the budget"
    assert errors == [], f"{len(errors)} errors, first: {errors[:5]}"
    if done < REQUESTS:
        pytest.fail(f"the soak did not finish within its {BUDGET_S:.0f} s budget: {done} of {REQUESTS} requests "
                    f"in {wall:.0f} s")
    assert sum(c.reconnects for c in clients) == 0, "keep-alive connections were dropped"
    server.assert_healthy(within=1.0)
