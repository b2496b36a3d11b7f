"""Two status reports of one plan: triples both reports state must count once on every store.

Both reports name the same entities by the same other names, so their named graphs in
graph.trig share triples; the embedded stores must answer over the RDF merge (a set), as
SPARQL's dataset semantics and the rdflib store do, not over a bag with one copy per report."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from tiltaksgraf.graph.stores import OxigraphStore, RdflibStore
from tiltaksgraf.queries.formats import python_rows
from tiltaksgraf.queries.runner import run_named_query, run_sparql

PREFIXES = """PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory: pytest.TempPathFactory, report_path: Path, report_text: str) -> Path:
    from tiltaksgraf.pipeline import build

    folder = tmp_path_factory.mktemp("two-reports")
    later = folder / "later-status.txt"
    later.write_text(report_text.replace("Påbegynt Departementet er i gang", "Ferdig Departementet er i gang", 1),
                     encoding="utf-8")
    meta = json.loads(report_path.with_suffix(".json").read_text(encoding="utf-8"))
    later.with_suffix(".json").write_text(json.dumps({**meta, "date": "2023-04"}), encoding="utf-8")
    out = folder / "out"
    build([report_path, later], out, write_views=False)
    return out


@pytest.fixture(scope="module")
def stores(two_reports: Path):
    """The rdflib and the Oxigraph store over the two reports' build."""
    with OxigraphStore.from_build(two_reports) as oxigraph:
        yield RdflibStore.from_build(two_reports), oxigraph


def shared_triples(trig: Path) -> int:
    """How many triples are stated in more than one named graph."""
    graphs_of: dict[tuple, set] = {}
    for quad in ox.parse(path=str(trig), format=ox.RdfFormat.TRIG):
        graphs_of.setdefault((quad.subject, quad.predicate, quad.object), set()).add(quad.graph_name)
    return sum(1 for graphs in graphs_of.values() if len(graphs) > 1)


@pytest.mark.parametrize("query", [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?e skos:altLabel ?name }",
    "SELECT ?e (COUNT(?name) AS ?n) WHERE { ?e a tg:Agency ; skos:altLabel ?name } GROUP BY ?e ORDER BY ?e",
], ids=["all-triples", "other-names", "other-names-per-agency"])
def test_two_reports_count_shared_triples_once(two_reports: Path, stores, query: str) -> None:
    assert shared_triples(two_reports / "graph.trig") > 100  # else this test proves nothing
    rdflib_store, oxigraph = stores
    expected = python_rows(run_sparql(rdflib_store, PREFIXES + query))
    assert python_rows(run_sparql(oxigraph, PREFIXES + query)) == expected


@pytest.mark.parametrize("name,params", [("status-per-ministry", {}), ("entity-search", {"text": "bufdir"}),
                                         ("partners-of", {"agency": "NKVTS"})], ids=lambda v: str(v))
def test_two_reports_named_queries_agree(stores, name: str, params: dict) -> None:
    rdflib_store, oxigraph = stores
    expected = python_rows(run_named_query(rdflib_store, name, params))
    assert python_rows(run_named_query(oxigraph, name, params)) == expected
