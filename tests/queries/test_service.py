"""The query service in-process (``queries/service.py``): results and errors come back from its
worker processes unchanged, the caps hold, and closing it leaves no process behind."""

from __future__ import annotations

import os
import time

import pytest
from querytest_support import CASES

from tiltaksgraf.errors import QueryError
from tiltaksgraf.graph.stores import QueryTimeout, RowLimitExceeded
from tiltaksgraf.queries.check import QueryRefused, SparqlSyntaxError
from tiltaksgraf.queries.runner import run_named_query, run_sparql
from tiltaksgraf.queries.service import (
    MAX_QUERY_BYTES, MemoryLimitExceeded, QueryService, QueryTooLarge, ServiceBusy, http_status,
)

TG = "PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>\n"


@pytest.fixture(scope="module", params=["rdflib", "oxigraph"])
def service(request: pytest.FixtureRequest):
    store = request.getfixturevalue(f"{request.param}_store")
    service = QueryService(store, timeout=5, max_rows=5000, workers=2)
    try:
        yield service
    finally:
        service.close()


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_service_results_equal_in_process_results(service) -> None:
    for name, params in CASES:
        assert service.named(name, params) == run_named_query(service.store, name, params), name
    for text in (TG + "SELECT ?n WHERE { ?m tg:measureNumber ?n } ORDER BY ?n LIMIT 7",
                 TG + "ASK { ?m tg:measureNumber 88 }", TG + "ASK { ?m tg:measureNumber 89 }"):
        assert service.sparql(text) == run_sparql(service.store, text)
    construct = TG + "CONSTRUCT { ?m tg:measureNumber ?n } WHERE { ?m tg:measureNumber ?n FILTER(?n <= 3) }"
    got, expected = service.sparql(construct), run_sparql(service.store, construct)
    assert got.kind == expected.kind == "CONSTRUCT" and set(got.graph) == set(expected.graph) and len(got.graph) == 3


def test_service_errors_come_back_with_their_class_position_and_hint(service) -> None:
    bad = "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(\n}"
    with pytest.raises(SparqlSyntaxError) as syntax:
        service.sparql(bad)
    with pytest.raises(SparqlSyntaxError) as in_process:
        run_sparql(service.store, bad)
    assert syntax.value.line == 3 and str(syntax.value) == str(in_process.value)
    assert (syntax.value.line, syntax.value.column) == (in_process.value.line, in_process.value.column)
    with pytest.raises(QueryRefused, match="SERVICE"):
        service.sparql("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    with pytest.raises(RowLimitExceeded) as rows:
        service.sparql("SELECT * WHERE { ?s ?p ?o }")
    assert rows.value.hint and "LIMIT" in rows.value.hint
    with pytest.raises(QueryError, match="no agency is called"):
        service.named("partners-of", {"agency": "no such agency at all"})


def test_service_refuses_a_query_over_the_size_cap_before_any_worker_sees_it(service) -> None:
    pids = service.worker_pids()
    text = "ASK { ?s ?p " + '"' + "x" * MAX_QUERY_BYTES + '" }'
    with pytest.raises(QueryTooLarge, match="at most 65,536 bytes"):
        service.sparql(text)
    with pytest.raises(QueryTooLarge):
        service.named("entity-search", {"text": "x" * (MAX_QUERY_BYTES + 1)})
    assert service.worker_pids() == pids


def test_service_http_status_of_each_error() -> None:
    assert http_status(SparqlSyntaxError("x", line=1, column=1)) == 400
    assert http_status(QueryRefused("x")) == 403
    assert http_status(QueryTooLarge("x")) == 413
    assert http_status(RowLimitExceeded("x")) == 422
    assert {http_status(e("x")) for e in (QueryTimeout, ServiceBusy, MemoryLimitExceeded)} == {503}
    assert http_status(QueryError("x")) == 400


def test_service_kills_and_replaces_a_worker_past_its_deadline(oxigraph_store) -> None:
    service = QueryService(oxigraph_store, timeout=1.0, workers=1)
    try:
        (before,) = service.worker_pids()
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="time limit of 1 s"):
            service.sparql("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
        assert time.monotonic() - started < 2.0
        assert not alive(before)
        (after,) = service.worker_pids()
        assert after != before and alive(after)
        assert service.sparql("ASK {}").boolean is True
    finally:
        service.close()


def test_service_memory_limit_gives_memory_limit_exceeded_and_a_new_worker(oxigraph_store) -> None:
    service = QueryService(oxigraph_store, timeout=20.0, workers=1, memory_limit_mb=128)
    try:
        (before,) = service.worker_pids()
        with pytest.raises(MemoryLimitExceeded, match=r"128 MiB per query"):
            service.sparql("SELECT ?c ?f {?a ?b ?c. ?d ?e ?f} ORDER BY ?c ?f")
        (after,) = service.worker_pids()
        assert after != before and not alive(before)
        assert service.sparql("ASK {}").boolean is True
    finally:
        service.close()


def test_service_close_leaves_no_process_behind(oxigraph_store) -> None:
    service = QueryService(oxigraph_store, timeout=5.0, workers=3)
    pids = service.worker_pids()
    zygote = service._pool._zygote_pid
    assert len(pids) == 3 and all(alive(p) for p in [*pids, zygote])
    service.close()
    assert not any(alive(p) for p in [*pids, zygote])
    with pytest.raises(QueryError, match="closed"):
        service.sparql("ASK {}")
    assert os.getpid() not in pids
