"""Nynorsk names resolve to the nodes of their Bokmål names (patterns.jsonl's ``nynorsk_forms``),
and Bokmål names are left as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiltaksgraf.errors import DataError
from tiltaksgraf.extract.gazetteer import load_knowledge, load_nynorsk_forms
from tiltaksgraf.extract.resolve import Resolver
from tiltaksgraf.pipeline import extract_file

PAGES = Path(__file__).parent / "layouts" / "pages"
P01 = PAGES / "p01_statsbudsjett2020_BFD_tabell10-1_opptrappingsplan_status_nn.txt"


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(load_knowledge())


@pytest.mark.parametrize("nynorsk, bokmal, label", [
    ("spesialisthelsetenestelova", "spesialisthelsetjenesteloven", "Law"),
    ("helse- og omsorgstenestelova", "helse- og omsorgstjenesteloven", "Law"),
    ("tannhelsetenestelova", "tannhelsetjenesteloven", "Law"),
    ("krisesenterlova", "krisesenterloven", "Law"),
    ("barnevernlova", "barnevernloven", "Law"),
    ("handlingsplanar mot vald", "handlingsplaner mot vold", "Plan"),
])
def test_nynorsk_name_has_the_bokmal_node(resolver, nynorsk, bokmal, label):
    assert resolver.bokmal(nynorsk) == bokmal
    assert resolver.key_for(nynorsk, label, "law-compound") == resolver.key_for(bokmal, label, "law-compound")


@pytest.mark.parametrize("name", ["Barne-, ungdoms- og familiedirektoratet", "Helsedirektoratet",
                                  "Justis- og beredskapsdepartementet", "departementene", "helsetjenesten"])
def test_nynorsk_forms_leave_bokmal_names_alone(resolver, name):
    assert resolver.bokmal(name) == name


def test_nynorsk_budget_table_laws_are_the_gazetteers(resolver):
    """Prop. 1 S (2019–2020), measure 6: the three acts in Nynorsk are the gazetteer's Bokmål laws."""
    extraction = extract_file(P01)
    laws = {m.surface: m.entity_key for m in extraction.mentions if m.label == "Law"}
    assert laws["spesialisthelsetenestelova"] == "spesialisthelsetjenesteloven"
    assert laws["tannhelsetenestelova"] == "tannhelsetjenesteloven"
    assert laws["krisesenterlova"] == "krisesenterloven"
    assert {"spesialisthelsetjenesteloven", "tannhelsetjenesteloven"} <= set(resolver.entries)


def test_nynorsk_forms_line_is_validated(tmp_path):
    bad = tmp_path / "patterns.jsonl"
    bad.write_text('{"nynorsk_forms": {"lova": 3}}\n', encoding="utf-8")
    with pytest.raises(DataError, match="patterns.jsonl:1"):
        load_nynorsk_forms(bad)


def test_nynorsk_spellings_of_known_names_are_found_as_their_nodes(tmp_path):
    # Issue 15: a Nynorsk text names known bodies in its own spelling ("Statsforvaltaren",
    # "… om vald og traumatisk stress"): the matcher looks for those spellings too.
    from tiltaksgraf.extract.read import read_report
    from tiltaksgraf.extract.layouts import parse_document
    from tiltaksgraf.pipeline import extract

    page = tmp_path / "nn.txt"
    page.write_text("Tiltak 1: Styrkje arbeidet\nAnsvarleg departement: BFD\nStatus: Byrja\n"
                    "Statsforvaltaren og Nasjonalt kunnskapssenter om vald og traumatisk stress har laga "
                    "ein rettleiar. Helsedirektoratet har gitt Utdanningsdirektoratet i oppdrag å lage eit kurs.\n",
                    encoding="utf-8")
    found = {(m.surface, m.entity_key) for m in extract(parse_document(read_report(page)), load_knowledge()).mentions}
    assert {("Statsforvaltaren", "statsforvalteren"),
            ("Nasjonalt kunnskapssenter om vald og traumatisk stress", "nkvts")} <= found


def test_nynorsk_spelling_reads_the_forms_the_other_way():
    from tiltaksgraf.extract.components import nynorsk_spelling

    forms = load_knowledge().nynorsk_forms
    assert nynorsk_spelling("Statsforvalteren", forms) == "Statsforvaltaren"
    assert nynorsk_spelling("krisesenterloven", forms) == "krisesenterlova"
    assert nynorsk_spelling("Helsedirektoratet", forms) == "Helsedirektoratet"  # the same in both
