"""One rule for matching a name (``tiltaksgraf.names``), and every entry point using it: ``query -p``,
``viz``, the ``entity-search`` hint and the API answer a name, a typo and a name of the wrong type
the same way."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tiltaksgraf.cli import main
from tiltaksgraf.names import Candidate, Match, NameIndex, NoMatch, find_entity, fold

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("text", "folded"), [
    ("Tromsø", "tromso"), ("TROMSØ", "tromso"), ("Påbegynt – Løpende", "pabegynt-lopende"),
    ("«Jeg vet»", "jeg vet"), ("  Statens   Barnehus. ", "statens barnehus"), ("Æ e mæ", "ae e mae"),
    ("Čázáš Đŋŧ", "cazas dnt"), ("Barne- , ungdoms-", "barne-, ungdoms-"), ("NKVTS’", "nkvts"),
])
def test_names_fold(text, folded):
    assert fold(text) == folded


def test_names_fold_joins_no_two_gazetteer_entries():
    """Folding accents (ø → o) must not make two known things one: the resolver would lose one."""
    owners: dict[str, set[str]] = {}
    for line in (ROOT / "ontology" / "gazetteer.jsonl").read_text("utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            for label in (entry["canonical"], *entry.get("aliases", ())):
                owners.setdefault(fold(label), set()).add(entry["key"])
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


A = Candidate("urn:a", ("Agency",), "Alfa-senteret", ("alfa",), ("Senteret", "ASE"))
B = Candidate("urn:b", ("Agency",), "Beta-senteret", ("beta",), ("Senteret",))
P = Candidate("urn:p", ("Programme",), "TryggEst", ("tryggest",), ())
INDEX = NameIndex.of([A, B, P])


@pytest.mark.parametrize("text", ["Alfa-senteret", "ALFA – senteret", "alfa", "ASE", "urn:a", "<urn:a>"])
def test_names_find_entity_by_any_name(text):
    found = find_entity(INDEX, text)
    if text.lstrip("<").startswith("urn"):  # not an http(s) IRI: looked up as a name, finds nothing
        assert isinstance(found, NoMatch)
    else:
        assert isinstance(found, Match) and found.iri == "urn:a"


def test_names_find_entity_ambiguous_lists_each_with_its_iri():
    found = find_entity(INDEX, "senteret", types=("Agency",))
    assert isinstance(found, NoMatch) and [c.iri for c in found.ambiguous] == ["urn:a", "urn:b"]
    assert "<urn:a>" in found.message() and found.hint() == "pass the IRI of the one you mean"


def test_names_find_entity_of_another_type_says_what_it_is():
    found = find_entity(INDEX, "TryggEst", types=("Agency",))
    assert isinstance(found, NoMatch) and found.message() == "TryggEst is a Programme, not an Agency"


def test_names_find_entity_suggests_close_spellings_and_searches_only_without_them():
    found = find_entity(INDEX, "Trygest")
    assert isinstance(found, NoMatch) and found.hint(search="SEARCH") == "did you mean: TryggEst (Programme)"
    nothing = find_entity(INDEX, "zzqqxx")
    assert isinstance(nothing, NoMatch) and nothing.hint(search="SEARCH") == "SEARCH"


# --- the entry points, on the bundled report's graph ------------------------------------------------

TYPOS = {"Trygest": "TryggEst", "Bufdirr": "Bufdir", "NKTVS": "NKVTS"}


def _hint(captured: str) -> str:
    return re.search(r"did you mean: (.*)", captured).group(1)


@pytest.mark.parametrize("typo", list(TYPOS))
def test_names_query_and_viz_give_the_same_did_you_mean(built, tmp_path, capsys, typo):
    assert main(["viz", "entity", typo, "-g", str(built), "--out", str(tmp_path / "v.html")]) == 1
    from_viz = _hint(capsys.readouterr().err)
    assert main(["query", "entity-search", "-p", f"text={typo}", "-g", str(built), "--store", "oxigraph"]) == 0
    from_search = _hint(capsys.readouterr().err)
    assert from_viz == from_search and TYPOS[typo] in from_viz
    # a typed parameter suggests the same, among its type
    param = {"Trygest": ("trace-programme", "programme"), "Bufdirr": ("partners-of", "agency"),
             "NKTVS": ("partners-of", "agency")}[typo]
    assert main(["query", param[0], "-p", f"{param[1]}={typo}", "-g", str(built), "--store", "oxigraph"]) == 1
    assert TYPOS[typo] in _hint(capsys.readouterr().err).split(";")[0]


@pytest.mark.parametrize("typo", list(TYPOS))
def test_names_every_suggestion_resolves_when_passed_back(built, capsys, typo):
    """The hint must not send the user to a name that finds nothing."""
    assert main(["query", "entity-search", "-p", f"text={typo}", "-g", str(built), "--store", "oxigraph"]) == 0
    for suggestion in _hint(capsys.readouterr().err).split("; "):
        name = suggestion.split(" (")[0]
        assert main(["query", "entity-search", "-p", f"text={name}", "-g", str(built), "--store", "oxigraph",
                     "--format", "csv"]) == 0
        assert len(capsys.readouterr().out.splitlines()) > 1, name


@pytest.mark.parametrize("name", ["Statens barnehus", "RVTS"])
def test_names_query_and_viz_say_a_name_is_of_another_type(built, tmp_path, capsys, name):
    assert main(["query", "trace-programme", "-p", f"programme={name}", "-g", str(built), "--store", "oxigraph"]) == 1
    from_query = capsys.readouterr().err
    assert main(["viz", "programme", name, "-g", str(built), "--out", str(tmp_path / "v.html")]) == 1
    from_viz = capsys.readouterr().err
    assert "is an Agency, not a Programme" in from_query and "is an Agency, not a Programme" in from_viz
    assert "Statens barnehus is an Agency" in from_query or name != "Statens barnehus"


def test_names_status_parameter_lists_the_statuses(built, capsys):
    assert main(["query", "measures-by-status", "-p", "status=Done", "-g", str(built), "--store", "oxigraph"]) == 1
    err = capsys.readouterr().err
    # every concept of the status scheme (ontology/statuses.jsonl's wordings)
    assert "the statuses: Ferdig, Forsinket, Ikke påbegynt, Påbegynt, Påbegynt - løpende" in err
    assert "entity-search" not in err


def test_names_api_find(built):
    from tiltaksgraf.api import find, load
    from tiltaksgraf.errors import QueryError

    store = load(built, "oxigraph")
    assert find(store, "bufdir")["iri"].endswith("/entity/bufdir")
    with pytest.raises(QueryError, match="did you mean: TryggEst"):
        find(store, "Trygest")
    with pytest.raises(QueryError, match="Statens barnehus is an Agency, not a Programme"):
        find(store, "Statens barnehus", "Programme")


@pytest.mark.parametrize("label", ["Barne-, ungdoms- og familiedirektoratet", "Sørlandet sykehus",
                                   "BASIS – behandlingstilbud", "Påbegynt",
                                   "Nasjonalt kunnskapssenter om vold og traumatisk stress"])
def test_names_entity_search_folds_as_names_fold(built, capsys, label):
    """entity-search.rq folds in SPARQL; a name folded in Python must find the same entity."""
    assert main(["query", "entity-search", "-p", f"text={fold(label)}", "-g", str(built), "--store", "oxigraph",
                 "--format", "csv"]) == 0
    out = capsys.readouterr().out
    if label == "Påbegynt":  # a status, not an entity: entity-search does not list it
        assert len(out.splitlines()) == 1
    else:
        assert len(out.splitlines()) > 1, label


def test_names_entity_search_sparql_folds_every_name_as_fold_does(built):
    """The folding expression of entity-search.rq, run over every name in the graph, gives what
    ``names.fold`` gives (up to the end punctuation fold also strips)."""
    from tiltaksgraf.api import load, sparql
    from tiltaksgraf.entity_types import sparql_values

    text = (ROOT / "queries" / "entity-search.rq").read_text("utf-8")
    expression = re.search(r"BIND\((REPLACE\(.*?)\s+AS \?folded\)", text, re.S).group(1)
    query = ("PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>\n"
             "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
             "SELECT DISTINCT ?name ?folded WHERE {\n"
             "  ?entity a ?class ; skos:prefLabel|skos:altLabel|tg:entityKey ?name .\n"
             f"{sparql_values('class')} BIND({expression} AS ?folded) }}")
    rows = sparql(load(built, "oxigraph"), query)
    assert len(rows) > 1000
    assert [r["name"] for r in rows if r["folded"].strip(" .,:;") != fold(r["name"])] == []
