"""Anaphora: "senteret", "sentrene", "direktoratet" stand for the agencies named just before, on
sentences of our own and on the four places in the bundled report where a partner was lost."""

from __future__ import annotations

import pytest

from tiltaksgraf.extract.anaphora import ANAPHOR_RULE
from tiltaksgraf.errors import DataError
from tiltaksgraf.extract.gazetteer import load_anaphors
from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.extract.read import read_report
from tiltaksgraf.pipeline import extract
from tiltaksgraf.records import Collaboration

TEMPLATE = ("NR. ANSVAR REGJERINGEN VIL STATUS RAPPORTERING (kan offentliggjøres) \n\n"
            "1. BFD Styrke arbeidet mot vold. \n\nPåbegynt {text} \n")


def _extract(tmp_path, text):
    path = tmp_path / "rapport.txt"
    path.write_text(TEMPLATE.format(text=text), encoding="utf-8")
    return extract(parse_report(read_report(path)))


def _anaphors(ex):
    return [(m.surface, m.entity_key) for m in ex.mentions if m.rule_id == ANAPHOR_RULE]


def _partner_sets(ex):
    return {frozenset(r.partners) for r in ex.relations if isinstance(r, Collaboration)}


def test_anaphora_plural_noun_stands_for_the_agencies_of_the_sentence_before(tmp_path):
    ex = _extract(tmp_path, "Bufdir og Helsedirektoratet har laget en veileder. "
                            "Direktoratene samarbeider om å spre den i kommunene.")
    assert _anaphors(ex) == [("Direktoratene", "bufdir"), ("Direktoratene", "hdir")]
    assert frozenset({"bufdir", "hdir"}) in _partner_sets(ex)
    surface = ex.report.source.text
    assert all(surface[m.start:m.end] == m.surface for m in ex.mentions)  # offsets stay exact


def test_anaphora_singular_noun_stands_for_the_nearest_agency_with_its_head(tmp_path):
    ex = _extract(tmp_path, "NKVTS har skrevet en rapport på oppdrag fra Bufdir. "
                            "Senteret har også samarbeidet med FHI om en kunnskapsoppsummering.")
    assert _anaphors(ex) == [("Senteret", "nkvts")]  # Bufdir is nearer, but not a "senter"
    assert frozenset({"nkvts", "fhi"}) in _partner_sets(ex)


@pytest.mark.parametrize("text", [
    "Kommunen har laget en plan. Senteret samarbeider med FHI om den.",  # nothing named before
    "Bufdir har laget en plan. Direktoratene samarbeider med FHI om den.",  # a plural with one agency
    "NKVTS har laget en plan. Det skjer mye. Det skjer mer. Senteret samarbeider med FHI.",  # too far back
])
def test_anaphora_a_noun_with_nothing_to_stand_for_is_left_alone(tmp_path, text):
    ex = _extract(tmp_path, text)
    assert _anaphors(ex) == []
    assert not any(len(p) > 1 and "fhi" in p for p in _partner_sets(ex))


@pytest.mark.parametrize(("measure", "partners", "words"), [
    (46, {"nkvts", "rvts"}, "Sentrene samarbeider om hensiktsmessig formidling"),
    (50, {"rvts-nord", "rvts-midt", "sanks"}, "og sentrene samarbeider blant annet tett med SANKS"),
    (44, {"nkvts", "fhi", "rvts"}, "I mai 2019 lanserte senteret også"),
    (44, {"rvts-vest", "rvts", "nkvts"}, "I 2021 har senteret også samarbeidet med de øvrige RVTS"),
])
def test_anaphora_partners_found_in_the_report(bundled_extraction, measure, partners, words):
    """The misses an independent reader found: the partner was named only as "senteret"/"sentrene"."""
    found = [r for r in bundled_extraction.relations if isinstance(r, Collaboration) and r.measure == measure
             and words in " ".join(r.evidence.sentence.split())]
    assert [set(r.partners) for r in found] == [partners]


def test_anaphora_nouns_are_data_with_a_schema(tmp_path):
    path = tmp_path / "patterns.jsonl"
    path.write_text('{"anaphors": {"singular": {"senteret": "senter"}, "plural": {"sentrene": "senter"}}}\n',
                    encoding="utf-8")
    assert load_anaphors(path)["sentrene"].plural and not load_anaphors(path)["senteret"].plural
    path.write_text('{"anaphors": {"dual": {"sentra": "senter"}}}\n', encoding="utf-8")
    with pytest.raises(DataError, match="patterns.jsonl:1: .*'dual' is not one of 'singular' or 'plural'"):
        load_anaphors(path)


def test_anaphora_readme_numbers_are_the_builds(bundled_extraction):
    """The README says how many anaphor mentions the bundled report has; that is what the build finds."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    said = int(re.search(r"In\s+the bundled report (\d+) such mentions", readme).group(1))
    assert said == sum(m.rule_id == ANAPHOR_RULE for m in bundled_extraction.mentions)
