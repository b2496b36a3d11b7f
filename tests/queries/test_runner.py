"""The runner: .rq headers, safe parameter binding, query checks and result formats."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from tiltaksgraf.errors import DataError, QueryError
from tiltaksgraf.graph.stores import QueryResult, RdflibStore, values_clause, with_values
from tiltaksgraf.graph.stores import prepare_rdflib
from tiltaksgraf.names import fold
from tiltaksgraf.queries.check import check_query, QueryRefused, SparqlSyntaxError
from tiltaksgraf.queries.formats import format_result, python_rows
from tiltaksgraf.queries.params import resolve_params
from tiltaksgraf.queries.rq import load_named_queries, parse_rq
from tiltaksgraf.queries.runner import run_named_query, run_sparql

NAMED = load_named_queries()


@pytest.mark.parametrize("name", sorted(NAMED))
def test_runner_every_rq_has_a_complete_header(name: str) -> None:
    query = NAMED[name]
    assert query.title and len(query.answers) > 40
    assert query.examples and all(e.startswith(f"tiltaksgraf query {name}") for e in query.examples)
    for param in query.params:
        assert param.description, f"{name}: {param.name} has no description"
        assert f"--param {param.name}=" in " ".join(query.examples) or not param.required


@pytest.mark.parametrize("name", sorted(NAMED))
def test_runner_every_parameter_is_a_projected_variable(name: str) -> None:
    # Bound parameters reach every engine as a projected variable: SEP-0007 substitution
    # (Oxigraph) requires it, and a VALUES join can only constrain what the query shows.
    query = NAMED[name]
    projected = {str(v) for v in prepare_rdflib(query.text).algebra.PV}
    assert {p.name for p in query.params} <= projected
    for column, _sep, _numeric in query.lists:
        assert column in projected


def test_runner_header_errors_name_file_and_line() -> None:
    bad = "# title: T\n# answers: A\n# param: x nosuchtype required -- d\nSELECT * {}"
    with pytest.raises(DataError) as caught:
        parse_rq(bad, "bad", "queries/bad.rq")
    assert caught.value.path == "queries/bad.rq" and caught.value.line == 3
    with pytest.raises(DataError, match="unknown header key 'titel'"):
        parse_rq("# titel: T\n# answers: A\nSELECT * {}", "bad")
    with pytest.raises(DataError, match="one 'title:'"):
        parse_rq("# answers: A\nSELECT * {}", "bad")


def test_runner_header_continuation_lines_join() -> None:
    query = parse_rq("# title: T\n# answers: first\n#   second\n# list: xs \" | \" numeric\nSELECT ?xs {}", "t")
    assert query.answers == "first second"
    assert query.lists == (("xs", " | ", True),)


def test_runner_fold_is_case_accent_and_dash_insensitive() -> None:
    assert fold("Påbegynt – Løpende") == fold("pabegynt - lopende") == "pabegynt-lopende"
    assert fold("Æ e mæ") == "ae e mae"
    assert fold("  Statens   Barnehus ") == "statens barnehus"
    assert fold("Čázáš Đŋŧ") == "cazas dnt"


def test_runner_labels_resolve_to_iris(oxigraph_store) -> None:
    query = NAMED["partners-of"]
    nkvts = URIRef("https://w3id.org/tiltaksgraf/id/entity/nkvts")
    for value in ("NKVTS", "nkvts", "Nasjonalt kunnskapssenter om vold og traumatisk stress", str(nkvts), f"<{nkvts}>"):
        assert resolve_params(oxigraph_store, query, {"agency": value}) == {"agency": nkvts}


def test_runner_unknown_label_suggests_close_names(oxigraph_store) -> None:
    with pytest.raises(QueryError) as caught:
        resolve_params(oxigraph_store, NAMED["partners-of"], {"agency": "Helsedir"})
    assert "no agency is called 'Helsedir'" in str(caught.value)
    assert "Helsedirektoratet" in caught.value.hint


def test_runner_label_of_another_type_is_refused(oxigraph_store) -> None:
    # TryggEst is a programme, not an agency; an agency IRI is no programme.
    with pytest.raises(QueryError, match="is a Programme, not an Agency"):
        resolve_params(oxigraph_store, NAMED["partners-of"], {"agency": "TryggEst"})
    with pytest.raises(QueryError, match="is an Agency, not a Programme"):
        resolve_params(oxigraph_store, NAMED["trace-programme"],
                       {"programme": "https://w3id.org/tiltaksgraf/id/entity/nkvts"})


def test_runner_parameter_errors(oxigraph_store) -> None:
    with pytest.raises(QueryError, match="has no parameter agnecy"):
        resolve_params(oxigraph_store, NAMED["partners-of"], {"agnecy": "NKVTS"})
    with pytest.raises(QueryError, match="needs the parameter agency") as caught:
        resolve_params(oxigraph_store, NAMED["partners-of"], {})
    assert "partners-of --param agency=" in caught.value.hint
    with pytest.raises(QueryError, match="no named query 'partner-of'") as caught:
        run_named_query(oxigraph_store, "partner-of", {})
    assert "partners-of" in caught.value.hint


@pytest.mark.parametrize("text", ['") } DROP ALL #', 'x" . ?s ?p ?o } UNION { ?s ?p "', "\\u0022"])
def test_runner_hostile_values_stay_values(oxigraph_store, text: str) -> None:
    # Quotes, braces and SPARQL keywords in a text parameter are a literal, never query text.
    assert python_rows(run_named_query(oxigraph_store, "entity-search", {"text": text})) == []


def test_runner_quoted_name_is_a_name(oxigraph_store) -> None:
    # «» are folded away as names.fold folds them: the value is compared as a name, nothing more.
    rows = python_rows(run_named_query(oxigraph_store, "entity-search", {"text": "«NKVTS»"}))
    assert rows and rows[0]["entity"].endswith("/entity/nkvts")


def test_runner_hostile_values_stay_values_on_rdflib(rdflib_store) -> None:
    assert python_rows(run_named_query(rdflib_store, "entity-search", {"text": '") } UNION { ?s ?p ?o } #'})) == []


def test_runner_values_clause_escapes_terms() -> None:
    clause = values_clause({"t": Literal('a "quoted"\nline'), "i": URIRef("https://e.org/x"),
                            "n": Literal(5), "l": Literal("hei", lang="nb")})
    assert clause == ('VALUES (?t ?i ?n ?l) { ("a \\"quoted\\"\\nline" <https://e.org/x> '
                      '"5"^^<http://www.w3.org/2001/XMLSchema#integer> "hei"@nb) }')
    for bad in ({"x": URIRef("https://e.org/> } DROP ALL")}, {"x y": Literal(1)}, {"x": BNode()}):
        with pytest.raises(QueryError):
            values_clause(bad)


def test_runner_with_values_goes_into_the_top_level_group() -> None:
    text = 'PREFIX a: <http://x/#> # { a comment\nSELECT ?x WHERE { ?x a:p "{" . { ?x a:q ?y } }'
    bound = with_values(text, {"x": URIRef("http://e/1")})
    assert bound.startswith('PREFIX a: <http://x/#> # { a comment\nSELECT ?x WHERE { VALUES (?x) { (<http://e/1>) }')
    prepare_rdflib(bound)  # still parses
    construct = with_values("CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }", {"x": URIRef("http://e/1")})
    assert construct.startswith("CONSTRUCT { ?x ?p ?o } WHERE { VALUES")


@pytest.mark.parametrize("text", [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "LOAD <http://example.org/data.ttl>",
    "DROP ALL",
    "PREFIX x: <http://x/> DELETE WHERE { ?s x:p ?o }",
])
def test_runner_refuses_updates(text: str) -> None:
    with pytest.raises(QueryRefused, match="Update is not allowed"):
        check_query(text)


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://e.org/> { ?s ?q ?r } } }",
    "ASK { ?s ?p ?o FILTER EXISTS { SERVICE <http://e.org/> { ?s ?p ?o } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE ?endpoint { ?s ?p ?o } } } }",
])
def test_runner_refuses_service_anywhere(text: str) -> None:
    with pytest.raises(QueryRefused, match="SERVICE is not allowed"):
        check_query(text)


@pytest.mark.parametrize("text", [
    "SELECT * FROM <http://example.org/data.ttl> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <file:///etc/passwd> WHERE { GRAPH ?g { ?s ?p ?o } }",
])
def test_runner_refuses_from(text: str) -> None:
    with pytest.raises(QueryRefused, match="FROM"):
        check_query(text)


def test_runner_syntax_errors_name_line_and_column() -> None:
    with pytest.raises(SparqlSyntaxError) as caught:
        check_query("SELECT ?x\nWHERE {\n  ?x ?p ?o .\n  FILTER(?x = )\n}")
    assert (caught.value.line, caught.value.column) == (4, 3)
    assert "line 4, column 3" in str(caught.value)
    with pytest.raises(SparqlSyntaxError) as caught:
        check_query("SELECT ?x WHERE { ?x nosuch:name ?n }")
    assert caught.value.line == 1 and caught.value.column == 22 and "nosuch:" in str(caught.value)
    with pytest.raises(SparqlSyntaxError, match="empty"):
        check_query("  ")


@pytest.mark.parametrize("query", ["SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1",
                                   "ASK { ?s ?p ?o OPTIONAL { GRAPH <urn:x:g> { ?s ?q ?r } } }"])
def test_runner_embedded_stores_refuse_graph(rdflib_store, oxigraph_store, query) -> None:
    # Both embedded stores hold the union graph only: GRAPH would find nothing, so they say so.
    for store in (rdflib_store, oxigraph_store):
        with pytest.raises(QueryError, match="GRAPH finds nothing here") as caught:
            run_sparql(store, query)
        assert "tiltaksgraf push" in caught.value.hint


def test_runner_run_sparql_forms(rdflib_store) -> None:
    assert check_query("ASK { ?s ?p ?o }") == "ASK"
    assert run_sparql(rdflib_store, "ASK { ?s ?p ?o }").boolean is True
    graph = run_sparql(rdflib_store, "DESCRIBE <https://w3id.org/tiltaksgraf/id/entity/nkvts>")
    assert graph.kind == "DESCRIBE"


RESULT = QueryResult("SELECT", ["s", "label", "n", "none"], [
    (URIRef("https://e.org/a"), Literal('Bufdir, "sa" han\n«ja»\tok', lang="nb"), Literal(5), None),
    (BNode("b0"), Literal("x\x0cy"), Literal("2.50", datatype=XSD.decimal), Literal("1")),
])


def test_runner_format_json_is_sparql_results_json() -> None:
    data = json.loads(format_result(RESULT, "json"))
    assert data["head"]["vars"] == ["s", "label", "n", "none"]
    first, second = data["results"]["bindings"]
    assert first["s"] == {"type": "uri", "value": "https://e.org/a"}
    assert first["label"]["xml:lang"] == "nb" and "none" not in first
    assert first["n"]["datatype"] == str(XSD.integer)
    assert second["s"]["type"] == "bnode"


def test_runner_format_xml_is_well_formed() -> None:
    root = ET.fromstring(format_result(RESULT, "xml"))
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == RESULT.vars
    assert len(root.findall("r:results/r:result", ns)) == 2
    ask = ET.fromstring(format_result(QueryResult("ASK", boolean=True), "xml"))
    assert ask.find("r:boolean", ns).text == "true"


def test_runner_format_csv_and_tsv_round_trip() -> None:
    rows = list(csv.reader(io.StringIO(format_result(RESULT, "csv"), newline="")))
    assert rows[0] == ["s", "label", "n", "none"]
    assert rows[1] == ["https://e.org/a", 'Bufdir, "sa" han\n«ja»\tok', "5", ""]
    tsv = format_result(RESULT, "tsv").rstrip("\n").split("\n")
    assert tsv[0] == "?s\t?label\t?n\t?none"
    assert tsv[1] == '<https://e.org/a>\t"Bufdir, \\"sa\\" han\\n«ja»\\tok"@nb\t5\t'
    assert len(tsv) == 3


def test_runner_format_markdown_escapes_pipes() -> None:
    result = QueryResult("SELECT", ["a"], [(Literal("x | y\nz"),)])
    assert format_result(result, "md") == "| a |\n|---|\n| x \\| y z |\n"


def test_runner_graph_results_serialize(rdflib_store) -> None:
    result = run_sparql(rdflib_store, "CONSTRUCT { ?m <http://e.org/n> ?n } WHERE { ?m "
                                      "<https://w3id.org/tiltaksgraf/ontology#measureNumber> ?n } LIMIT 3")
    assert result.kind == "CONSTRUCT" and len(result.graph) == 3
    for fmt, parser in (("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")):
        assert len(Graph().parse(data=format_result(result, fmt), format=parser)) == 3
    assert len(python_rows(result)) == 3


def test_runner_guard_drops_rdflibs_stray_group_row() -> None:
    # rdflib alone yields one row of unbound values for a GROUP BY over nothing; SPARQL yields none.
    store = RdflibStore(Graph())
    result = store.query("SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s")
    assert result.rows == []
    assert store.query("SELECT (COUNT(?o) AS ?n) WHERE { ?s ?p ?o }").rows == [(Literal(0),)]


def test_runner_guard_skips_unbound_values_in_distinct_aggregates() -> None:
    # rdflib alone raises NotBoundError for COUNT(DISTINCT ?o) when an OPTIONAL leaves ?o unbound.
    g = Graph()
    g.add((URIRef("urn:a"), URIRef("urn:p"), Literal(1)))
    g.add((URIRef("urn:b"), URIRef("urn:q"), Literal(2)))
    store = RdflibStore(g)
    result = store.query("SELECT ?s (COUNT(DISTINCT ?o) AS ?n) (GROUP_CONCAT(DISTINCT STR(?o)) AS ?all) "
                         "WHERE { ?s ?any ?x OPTIONAL { ?s <urn:p> ?o } } GROUP BY ?s ORDER BY ?s")
    assert [(str(s), int(n), str(a)) for s, n, a in result.rows] == [("urn:a", 1, "1"), ("urn:b", 0, "")]


def test_runner_ambiguous_label_lists_the_candidates() -> None:
    from tiltaksgraf.ontology.terms import RDF, SKOS, TG

    g = Graph()
    for key, name in (("a", "Alfa-senteret"), ("b", "Beta-senteret")):
        entity = URIRef(f"https://e.org/{key}")
        g.add((entity, RDF.type, TG.Agency))
        g.add((entity, SKOS.prefLabel, Literal(name, lang="nb")))
        g.add((entity, SKOS.altLabel, Literal("Senteret", lang="nb")))
    store = RdflibStore(g)
    with pytest.raises(QueryError) as caught:
        resolve_params(store, NAMED["partners-of"], {"agency": "senteret"})
    assert "'senteret' names more than one agency" in str(caught.value)
    assert "<https://e.org/a>" in str(caught.value) and "<https://e.org/b>" in str(caught.value)
    assert caught.value.hint == "pass the IRI of the one you mean"
    # a preferred label wins over another entity's alternative label
    g.add((URIRef("https://e.org/c"), RDF.type, TG.Agency))
    g.add((URIRef("https://e.org/c"), SKOS.prefLabel, Literal("Senteret", lang="nb")))
    assert resolve_params(RdflibStore(g), NAMED["partners-of"], {"agency": "Senteret"}) == {
        "agency": URIRef("https://e.org/c")}


def test_runner_measure_parameter_must_name_a_measure(oxigraph_store) -> None:
    from tiltaksgraf.errors import ParameterError, UsageError

    with pytest.raises(ParameterError, match="measure must be a measure id as numbered .*, not 'abc'") as caught:
        resolve_params(oxigraph_store, NAMED["related-measures"], {"measure": "abc"})
    assert isinstance(caught.value, UsageError)  # the CLI exits 2 for it
    with pytest.raises(QueryError, match="no measure '200' in the graph") as caught:
        resolve_params(oxigraph_store, NAMED["related-measures"], {"measure": "200"})
    assert caught.value.hint == "measures present (88): 1, 2, 3, …, 87, 88"
    assert resolve_params(oxigraph_store, NAMED["related-measures"], {"measure": " 12 "}) == {"measure": Literal("12")}


def test_runner_cli_exit_codes_for_parameter_and_file_errors(built, tmp_path, capsys) -> None:
    from tiltaksgraf.cli import main

    fast = ["-g", str(built), "--store", "oxigraph"]
    assert main(["query", "related-measures", "-p", "measure=abc", *fast]) == 2
    assert main(["query", "related-measures", "-p", "measure=200", *fast]) == 1
    assert "measures present (88): 1, 2, 3, …, 87, 88" in capsys.readouterr().err
    assert main(["query", "--file", str(tmp_path / "nope.rq"), *fast]) == 1
    err = capsys.readouterr().err
    assert "nope.rq: no such file" in err and "Errno" not in err
