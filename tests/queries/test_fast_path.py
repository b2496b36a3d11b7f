"""Ad-hoc queries on the Oxigraph store skip rdflib's parser when their text cannot hold a
clause the check refuses (``check._CHECKED_WORDS``); they answer as the checked path does."""

from __future__ import annotations

import pytest

from tiltaksgraf.queries import check, runner
from tiltaksgraf.queries.check import check_query, QueryRefused, SparqlSyntaxError
from tiltaksgraf.queries.runner import run_sparql

TG = "PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>\n"


@pytest.mark.parametrize("text", ["SERVICE", "service", "SeRvIcE", "ſervice", "FROM", "fRoM", "graph", "LOAD",
                                  "insert", "DELETE", "clear", "drop", "create", "add", "move", "copy", "with",
                                  "<urn:x:service>", '"from"', "# graph", "tg:loader", "ex:addenda"])
def test_fast_path_any_refused_word_anywhere_takes_the_full_check(text) -> None:
    assert check._CHECKED_WORDS.search(f"SELECT * WHERE {{ ?s ?p ?o }} {text}")


def test_fast_path_is_taken_and_answers_as_rdflib_checks(oxigraph_store, rdflib_store, monkeypatch) -> None:
    queries = [TG + f"SELECT (COUNT(?m) AS ?n) WHERE {{ ?m tg:measureNumber ?x FILTER(?x > {k}) }}"
               for k in (0, 40, 87)]
    queries += [TG + "ASK { ?m tg:measureNumber 88 }",
                TG + "SELECT ?x WHERE { ?m tg:measureNumber ?x } ORDER BY ?x LIMIT 3"]
    checked: list[str] = []
    original = check._checked_algebra
    monkeypatch.setattr(runner, "_checked_algebra", lambda text: checked.append(text) or original(text))
    for text in queries:
        assert run_sparql(oxigraph_store, text) == run_sparql(rdflib_store, text)
    assert len(checked) == len(queries)  # only the rdflib store's runs were parsed by rdflib


@pytest.mark.parametrize(("text", "kind"), [
    (TG + "CONSTRUCT { ?m tg:measureNumber ?x } WHERE { ?m tg:measureNumber ?x FILTER(?x < 3) }", "CONSTRUCT"),
    ("DESCRIBE <https://w3id.org/tiltaksgraf/id/entity/nkvts>", "DESCRIBE"),
    (TG + 'CONSTRUCT { ?m tg:note "DESCRIBE" } WHERE { ?m tg:measureNumber 1 }', "CONSTRUCT"),
])
def test_fast_path_tells_construct_from_describe(oxigraph_store, text, kind) -> None:
    assert run_sparql(oxigraph_store, text).kind == kind


@pytest.mark.parametrize("text", ["SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(\n}", "SELECT ?x WHERE { ?x ?y }",
                                  "ASK { ?s ?p ?o", "  ", "PREFIX : <x> SELEC"])
def test_fast_path_syntax_errors_are_rdflibs_with_line_and_column(oxigraph_store, text) -> None:
    with pytest.raises(SparqlSyntaxError) as fast:
        run_sparql(oxigraph_store, text)
    with pytest.raises(SparqlSyntaxError) as checked:
        check_query(text)
    assert (str(fast.value), fast.value.line, fast.value.column) == (str(checked.value), checked.value.line,
                                                                      checked.value.column)


def test_fast_path_deep_nesting_goes_to_the_check(oxigraph_store) -> None:
    with pytest.raises(SparqlSyntaxError, match="nested too deeply"):
        run_sparql(oxigraph_store, "ASK { FILTER(" + "(" * 20_000 + "1" + ")" * 20_000 + ") }")


def test_fast_path_service_still_refused(oxigraph_store) -> None:
    with pytest.raises(QueryRefused):
        run_sparql(oxigraph_store, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
