"""The Python API: load a build into either store, list and run named queries, run SPARQL."""

from __future__ import annotations

import json

import pytest

from tiltaksgraf.api import load, named_queries, run_query, sparql
from tiltaksgraf.errors import InputError, QueryError
from tiltaksgraf.graph.stores import OxigraphStore


def test_api_named_queries_lists_every_rq() -> None:
    queries = named_queries()
    assert {"agencies-collaborating", "partners-of", "trace-programme", "measures-by-ministry",
            "measures-by-status", "status-per-ministry", "laws-by-measure", "reports-by-agency",
            "commissioned-by", "related-measures", "entity-search"} <= set(queries)
    assert [p.name for p in queries["partners-of"].params] == ["agency"]


def test_api_load_and_run_on_both_stores(built) -> None:
    rows = {}
    for kind in ("rdflib", "oxigraph"):
        with load(built, store=kind) as store:
            rows[kind] = run_query(store, "measures-by-ministry", ministry="BFD")
            assert sparql(store, "ASK { ?s ?p ?o }") == [{"boolean": True}]
    assert rows["rdflib"] == rows["oxigraph"] and rows["rdflib"]
    assert isinstance(rows["rdflib"][0]["measure"], int)


def test_api_sparql_returns_plain_values(oxigraph_store) -> None:
    rows = sparql(oxigraph_store, "PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#> "
                                  "SELECT ?n ?m WHERE { ?m tg:measureNumber ?n } ORDER BY ?n LIMIT 2")
    assert rows == [{"n": 1, "m": "https://w3id.org/tiltaksgraf/id/measure/"
                                   "opptrappingsplan-mot-vold-og-overgrep-2017-2021/1"},
                    {"n": 2, "m": "https://w3id.org/tiltaksgraf/id/measure/"
                                   "opptrappingsplan-mot-vold-og-overgrep-2017-2021/2"}]
    with pytest.raises(QueryError, match="Update"):
        sparql(oxigraph_store, "CLEAR ALL")


def test_api_persistent_oxigraph_store_is_reused_until_the_build_changes(built, tmp_path) -> None:
    location = tmp_path / "oxigraph"
    first = load(built, store="oxigraph", location=location)
    expected = run_query(first, "partners-of", agency="NKVTS")
    first.close()
    del first
    marker = json.loads((location / "tiltaksgraf-source.json").read_text())
    stamp = (location / "tiltaksgraf-source.json").stat().st_mtime_ns
    # a second process (here: a second open) reads the same files without reloading them
    second = OxigraphStore.from_build(built, location)
    third = OxigraphStore.from_build(built, location)  # read-only: several may share it
    assert run_query(second, "partners-of", agency="NKVTS") == expected
    assert run_query(third, "partners-of", agency="NKVTS") == expected
    assert (location / "tiltaksgraf-source.json").stat().st_mtime_ns == stamp
    assert len(marker["sha256"]) == 64


def test_api_load_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="no built graph"):
        load(tmp_path)
    with pytest.raises(InputError, match="no built graph"):  # both embedded stores load graph.ttl
        load(tmp_path, store="oxigraph")
    with pytest.raises(InputError, match="unknown store"):
        load(tmp_path, store="fuseki")
