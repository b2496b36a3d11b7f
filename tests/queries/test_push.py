"""Push to a real Oxigraph server (``oxigraph serve`` from PyPI, on loopback): after the push the
named queries sent to that server return the same rows as locally."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from querytest_support import CASES
from tiltaksgraf.graph.stores import SparqlEndpointStore
from tiltaksgraf.graph.push import PushError, graph_url, push
from tiltaksgraf.queries.formats import python_rows
from tiltaksgraf.queries.runner import run_named_query

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def pushed(built, oxigraph_server: str) -> list:
    return push(built, oxigraph_server + "store")


def test_push_puts_one_graph_per_source_and_derived(pushed, oxigraph_server: str) -> None:
    names = [g.graph for g in pushed]
    assert "https://w3id.org/tiltaksgraf/id/graph/derived" in names
    assert sum(n.startswith("https://w3id.org/tiltaksgraf/id/graph/") for n in names) == len(names)
    assert all(g.status in (200, 201, 204) for g in pushed)
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    request = urllib.request.Request(oxigraph_server + "query?" + urllib.parse.urlencode({"query": query}),
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        counts = {b["g"]["value"]: int(b["n"]["value"]) for b in json.load(response)["results"]["bindings"]}
    assert counts == {g.graph: g.triples for g in pushed}


@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}-{'-'.join(p.values()) or 'all'}" for n, p in CASES])
def test_push_named_queries_answer_the_same_on_the_server(pushed, oxigraph_server, oxigraph_store, name,
                                                          params) -> None:
    remote = SparqlEndpointStore(oxigraph_server + "query")
    local = python_rows(run_named_query(oxigraph_store, name, params))
    assert python_rows(run_named_query(remote, name, params)) == local


def test_push_again_replaces_rather_than_duplicates(built, pushed, oxigraph_server: str) -> None:
    again = push(built, oxigraph_server + "store")
    assert [(g.graph, g.triples) for g in again] == [(g.graph, g.triples) for g in pushed]
    remote = SparqlEndpointStore(oxigraph_server + "query")
    count = remote.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0][0]
    assert int(count) == sum(g.triples for g in pushed)


def test_push_errors_are_clear(built, oxigraph_server: str) -> None:
    with pytest.raises(PushError) as caught:
        push(built, oxigraph_server + "query")  # the query endpoint does not take PUT
    assert caught.value.path.startswith(oxigraph_server + "query?graph=")
    assert "PUT of graph" in str(caught.value) and caught.value.hint
    with pytest.raises(PushError, match="cannot reach the server"):
        push(built, "http://127.0.0.1:9/store", timeout=5)
    with pytest.raises(PushError, match="not an http"):
        push(built, "ftp://example.org/store")


def test_push_graph_url_adds_the_graph_parameter() -> None:
    assert graph_url("http://h:1/store", "https://w3id.org/g/1") == "http://h:1/store?graph=https%3A%2F%2Fw3id.org%2Fg%2F1"
    assert graph_url("http://h/ds/data?x=1&graph=old", "urn:g") == "http://h/ds/data?x=1&graph=urn%3Ag"
