"""The rdflib store tells rdflib's refusals (a user error) from bugs in our own code (a traceback)."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef

from tiltaksgraf.errors import QueryError
from tiltaksgraf.graph.stores import RdflibStore
from tiltaksgraf.graph.stores import rdflib_store


def _store() -> RdflibStore:
    graph = Graph()
    graph.add((URIRef("http://example.org/a"), URIRef("http://example.org/p"), Literal(1)))
    return RdflibStore(graph)


@pytest.mark.parametrize("text", [
    # rdflib 7 cannot evaluate a GROUP BY over an unknown function
    "SELECT (SUM(?x) AS ?y) WHERE { VALUES ?x { 1 } } GROUP BY (<http://example.org/nope>(?x))",
    # a bad REGEX pattern: raised by the standard library's re, under rdflib
    'SELECT * WHERE { ?s ?p ?o FILTER(REGEX("a", "(")) }',
])
def test_stores_rdflib_refusals_are_query_errors(text: str) -> None:
    with pytest.raises(QueryError, match="the rdflib store cannot run this query") as info:
        _store().query(text)
    assert info.value.hint == "try --store oxigraph"


def test_stores_a_bug_in_our_code_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx, part):  # stands for a bug in our aggregate step
        raise KeyError("our bug")

    monkeypatch.setattr(rdflib_store, "_aggregate_join", broken)
    with pytest.raises(KeyError, match="our bug"):
        _store().query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    # the same store still answers what does not reach the bug
    assert _store().query("SELECT ?o WHERE { ?s ?p ?o }").rows == [(Literal(1),)]
