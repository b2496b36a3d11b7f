"""Relations read from the bundled report: each asserted fact is in the report's own words."""

from __future__ import annotations

import pytest

from tiltaksgraf.records import Collaboration, Commission, CrossReference, Funding


def _relations(ex, kind, measure=None):
    return [r for r in ex.relations if isinstance(r, kind) and (measure is None or r.measure == measure)]


@pytest.mark.parametrize("measure, pair, words", [
    (62, {"nkvts", "fhi"}, "NKVTS har i samarbeid med FHI"),
    (12, {"pod", "bufdir"}, "POD og Bufdir har utarbeidet"),
    (27, {"bufdir", "udir"}, "samarbeid mellom Bufdir og Udir"),
    (37, {"bufdir", "imdi"}, "sammen med Bufdir"),
    (70, {"bufdir", "hdir"}, "Bufdir og Hdir har i flere år samarbeidet"),
])
def test_relations_collaboration_with_evidence(bundled_extraction, measure, pair, words):
    hits = [r for r in _relations(bundled_extraction, Collaboration, measure) if pair <= set(r.partners)]
    assert hits, f"no collaboration {pair} in measure {measure}"
    assert any(words in " ".join(r.evidence.sentence.split()) for r in hits)


def test_relations_evidence_is_the_source_sentence(bundled_extraction):
    text = bundled_extraction.report.source.text
    for r in bundled_extraction.relations:
        assert text[r.evidence.start:r.evidence.end] == r.evidence.sentence


def test_relations_commissioner_of_nkvts_is_jd(bundled_extraction):
    pairs = {(r.contractor, r.commissioner) for r in _relations(bundled_extraction, Commission, 7)}
    assert ("nkvts", "jd") in pairs


def test_relations_commission_direction_when_commissioner_comes_first(bundled_extraction):
    # measure 7: "På oppdrag fra JD har NKVTS gjennomført et prosjekt …"
    hits = [r for r in _relations(bundled_extraction, Commission, 7) if r.evidence.sentence.startswith("På oppdrag")]
    assert hits and all((r.contractor, r.commissioner) == ("nkvts", "jd") for r in hits)


def test_relations_cross_references(bundled_extraction):
    refs = {(r.measure, r.to_measure) for r in _relations(bundled_extraction, CrossReference)}
    assert {(42, 28), (42, 45), (42, 37), (1, 10), (10, 11), (34, 28), (34, 33)} <= refs
    assert all(a != b for a, b in refs)


def test_relations_funding_amount_year_and_programme(bundled_extraction):
    funding = _relations(bundled_extraction, Funding, 11)
    assert any(r.amount_nok == pytest.approx(10.2e6) and r.years == (2022,) and "tryggest" in r.recipients
               for r in funding)


def test_relations_section_label_takes_no_part(mini_extraction):
    collab = [set(r.partners) for r in _relations(mini_extraction, Collaboration, 1)]
    assert {"helse-nord-rhf", "universitetet-i-tromso"} in collab
    assert not any("hod" in c for c in collab)


def test_relations_every_relation_names_the_rule_that_made_it(bundled_extraction):
    from tiltaksgraf.extract.relation_rules import load_rules

    rule_ids = {t.id for t in load_rules().triggers} | {
        "collab-coordinated-subject", "comention-sentence", "funding-amount", "funding-refers-back", "crossref-tiltak"}
    assert {r.rule_id for r in bundled_extraction.relations} <= rule_ids
