"""Organisation numbers: tied to agencies only where a public list names them exactly (after the
one fold), never guessed; typed in the graph with the register's IRI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from tiltaksgraf.errors import DataError
from tiltaksgraf.extract.gazetteer import (
    DATA_DIR, ORG_NUMBERS_FILE, GazetteerEntry, load_knowledge, load_org_numbers, load_user_gazetteer,
    with_org_numbers)
from tiltaksgraf.graph.iri import mint_iri
from tiltaksgraf.ontology.terms import TG
from tiltaksgraf.pipeline import build

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
BUNDLED_NUMBERED_AGENCIES = 18  # of 111 agencies in the bundled graph (README, "Organisation numbers")


def _mod11_ok(number: str) -> bool:
    """Enhetsregisteret's check digit: weights 3 2 7 6 5 4 3 2, 11 − sum mod 11 (11 → 0, 10 invalid)."""
    total = sum(int(d) * w for d, w in zip(number[:8], (3, 2, 7, 6, 5, 4, 3, 2)))
    check = 11 - total % 11
    return check != 10 and (0 if check == 11 else check) == int(number[8])


def test_org_numbers_file_states_its_sources_and_licence():
    text = (DATA_DIR / ORG_NUMBERS_FILE).read_text(encoding="utf-8")
    header = "\n".join(line for line in text.splitlines() if line.startswith("//"))
    for needed in ("Informasjonsforvaltning/altinn-model-publisher", "nlnwa/maalfrid-gui", "NLOD 2.0",
                   "https://data.brreg.no/enhetsregisteret/api/enheter/"):
        assert needed in header


def test_org_numbers_listed_are_valid_register_numbers():
    pairs = load_org_numbers(DATA_DIR / ORG_NUMBERS_FILE)
    assert len(pairs) > 100
    assert all(_mod11_ok(number) for _name, number in pairs), [p for p in pairs if not _mod11_ok(p[1])]


def test_org_numbers_tie_only_exact_unique_names():
    def agency(key: str, *names: str, number: str | None = None) -> GazetteerEntry:
        return GazetteerEntry(key, "Agency", names[0], names, org_number=number)

    gazetteer = (
        agency("hdir", "Helsedirektoratet", "Hdir"),  # its name, folded, is listed
        agency("twin-a", "Tvillingetaten"), agency("twin-b", "Tvillingetaten (gammel)", "tvillingetaten"),
        agency("two", "Toetaten", "Toetaten AS"),  # two names, two numbers: none
        agency("near", "Helsedirektoratets region"),  # near is not equal
        agency("own", "Egenetaten", number="974761394"),  # its own number stays
        GazetteerEntry("law", "Law", "Helsedirektoratet", ("Helsedirektoratet",)),  # not an agency
    )
    numbers = [("HELSEDIREKTORATET", "983544622"), ("Tvillingetaten", "971032081"), ("Toetaten", "974760746"),
               ("Toetaten AS", "970018131"), ("Egenetaten", "983744516")]
    tied = {e.key: e.org_number for e in with_org_numbers(gazetteer, numbers)}
    assert tied == {"hdir": "983544622", "twin-a": None, "twin-b": None, "two": None, "near": None,
                    "own": "974761394", "law": None}


def test_org_numbers_of_the_bundled_gazetteer():
    by_key = load_knowledge().by_key()
    assert by_key["bufdir"].org_number == "986128433"
    assert by_key["bfd"].org_number == "972417793"  # a ministry, from the ministries' list
    assert by_key["hdir"].org_number == "983544622"
    assert by_key["statsforvalteren"].org_number is None  # "Fylkesmannen" (ten offices, one number) is left out


def test_org_numbers_in_the_bundled_graph(built):
    g = Graph().parse(built / "graph.ttl")
    bufdir = mint_iri("entity", "bufdir")
    assert g.value(bufdir, TG.orgNumber) == Literal("986128433")
    assert g.value(bufdir, TG.registerEntry) == URIRef("https://data.brreg.no/enhetsregisteret/api/enheter/986128433")
    agencies = set(g.subjects(RDF.type, TG.Agency))
    numbered = {a for a in agencies if g.value(a, TG.orgNumber) is not None}
    assert len(numbered) == BUNDLED_NUMBERED_AGENCIES and len(agencies) == 111
    assert set(g.subjects(TG.orgNumber, None)) <= agencies


def test_org_numbers_from_the_users_knowledge_file(tmp_path):
    report = tmp_path / "mini-report.txt"
    shutil.copy(GOLDEN / "mini-report.txt", report)
    mine = tmp_path / "mine.jsonl"
    mine.write_text(json.dumps({"key": "htil", "type": "Agency", "name": "Statens helsetilsyn",
                                "aliases": ["Htil"], "org_number": "974761394"}) + "\n", encoding="utf-8")
    build([report], tmp_path / "out", write_views=False, knowledge=[mine])
    g = Graph().parse(tmp_path / "out" / "graph.ttl")
    assert g.value(mint_iri("entity", "htil"), TG.orgNumber) == Literal("974761394")


@pytest.mark.parametrize("number", ["97476139", "97476139X", "974 761 394"])
def test_org_numbers_bad_number_is_named(tmp_path, number):
    path = tmp_path / "mine.jsonl"
    path.write_text(json.dumps({"type": "Agency", "name": "Etaten", "org_number": number}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="must be nine digits") as error:
        load_user_gazetteer(path)
    assert f"{path}:1:" in str(error.value)
