"""Mentions: exact offsets, Norwegian inflections, learned abbreviations, generic patterns."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiltaksgraf.extract.components import alias_variants, is_acronym
from tiltaksgraf.extract.nlp import fold_blanks, head_type


def test_nlp_every_mention_points_at_its_words(bundled_extraction):
    text = bundled_extraction.report.source.text
    assert len(bundled_extraction.mentions) > 500
    for m in bundled_extraction.mentions:
        assert text[m.start:m.end] == m.surface
        assert m.sentence.start <= m.start < m.end <= m.sentence.end


def test_nlp_mentions_lie_inside_their_measure(bundled_extraction):
    spans = {m.number: m.span for m in bundled_extraction.report.measures}
    for m in bundled_extraction.mentions:
        assert spans[m.measure].start <= m.start and m.end <= spans[m.measure].end


@pytest.mark.parametrize("surface, key", [
    ("Bufdirs", "bufdir"),
    ("RVTSene", "rvts"),
    ("RVTSenes", "rvts"),
    ("RVTS’enes", "rvts"),
    ("NKVTS'", "nkvts"),
    ("IMDis", "imdi"),
    ("Partnerdrapsutvalgets", "partnerdrapsutvalget"),
])
def test_nlp_inflected_forms_resolve_to_one_entity(bundled_extraction, surface, key):
    keys = {m.entity_key for m in bundled_extraction.mentions if m.surface == surface}
    assert keys == {key}


def test_nlp_name_broken_over_lines_is_found(bundled_extraction):
    # "helse- \nog omsorgstjenesteloven" in measure 6 is one law, not "omsorgstjenesteloven"
    surfaces = [m.surface for m in bundled_extraction.mentions if m.measure == 6 and m.label == "Law"]
    assert any("\n" in s and s.startswith("helse-") for s in surfaces)


def test_nlp_abbreviation_defined_in_text_is_learned(mini_extraction):
    keys = {m.surface: m.entity_key for m in mini_extraction.mentions}
    assert keys["Senter for klimatilpasning og samfunnssikkerhet"] == keys["SKS"] == "sks"
    entity = next(e for e in mini_extraction.entities if e.key == "sks")
    assert entity.type == "Agency" and entity.pref_label == "Senter for klimatilpasning og samfunnssikkerhet"


def test_nlp_glossary_abbreviation_is_learned(mini_extraction):
    entity = next(e for e in mini_extraction.entities if e.key == "sfx")
    assert entity.pref_label == "Senter for forebygging og eksempelstudier"


@pytest.mark.parametrize("surface, label", [
    ("barnehageloven § 42", "Law"),
    ("naturmangfoldloven", "Law"),
    ("Prop. 12 L (2022–2023)", "Law"),
    ("Innst. 58 L (2022–2023)", "Law"),
    ("NOU 2023: 5", "Report"),
    ("Trygg i barnehagen", "Report"),
    ("Si fra!", "Programme"),
    ("Handlingsplan mot skogbrann (2022–2025)", "Plan"),
    ("Helse Nord RHF", "Agency"),
    ("Universitetet i Tromsø", "Agency"),
])
def test_nlp_patterns_find_what_no_gazetteer_knows(mini_extraction, surface, label):
    found = {(m.surface.replace("\n", " "), m.label) for m in mini_extraction.mentions}
    assert (surface, label) in found


def test_nlp_ansvar_code_unknown_to_glossary_becomes_agency(mini_extraction):
    assert "kld" in dict(mini_extraction.responsible)[2]
    assert any(m.entity_key == "kld" for m in mini_extraction.mentions)


def test_nlp_generic_plan_is_not_an_entity(bundled_extraction):
    # measure 7: "har utarbeidet en handlingsplan mot vold i nære relasjoner" is any such plan
    labels = {m.surface.lower() for m in bundled_extraction.mentions if m.measure == 7 and m.label == "Plan"}
    assert "handlingsplan mot vold i nære relasjoner" not in labels


def test_nlp_section_labels_are_marked(bundled_extraction):
    labels = [m for m in bundled_extraction.mentions if m.measure == 1 and m.field == "section"]
    assert [m.surface for m in labels] == ["BFD", "HOD", "KD", "KD"]


@pytest.mark.parametrize("word, typ", [
    ("kampanjen", "Programme"), ("forskningsrapporten", "Report"), ("direktoratet", "Agency"),
    ("handlingsplanen", "Plan"), ("kompetanseutviklingsprogrammet", "Programme"), ("temaet", None),
])
def test_nlp_head_nouns_give_types(word, typ):
    from tiltaksgraf.extract.gazetteer import load_knowledge

    assert head_type(word, load_knowledge().type_heads) == typ


def test_nlp_fold_blanks_keeps_source_offsets():
    text = "xx Helse-  \r\n og\u00a0omsorg yy"
    folded, offsets = fold_blanks(text, 3, len(text) - 3)
    assert folded == "Helse- og omsorg"
    # a run of blanks (two spaces, CR LF, a space) folds to one blank at the run's first character;
    # the no-break space folds to a blank at its own offset
    assert [offsets[i] for i in (0, 6, 7, 9)] == [3, 9, 14, 16]
    assert [text[offsets[i]] for i in (0, 6, 7, 9)] == ["H", " ", "o", "\u00a0"]
    assert text[offsets[0]:offsets[-1] + 1] == text[3:len(text) - 3]


def test_nlp_acronym_inflections():
    assert is_acronym("NKVTS") and is_acronym("IMDi") and not is_acronym("Bufdir")
    assert {"RVTSene", "RVTS’enes", "RVTS-enes", "RVTSs"} <= set(alias_variants("RVTS"))
    assert "Stortingets" in alias_variants("Stortinget")


def test_nlp_reused_pipeline_finds_what_a_fresh_one_finds(monkeypatch):
    """A process reuses one pipeline for all reports and swaps only the rulers of each report's
    learned entities in and out: reports analysed one after the other (so a report's learned
    names could leak into the next) give what a pipeline built afresh for each gives."""
    from contextlib import contextmanager

    from pathlib import Path

    from tiltaksgraf.extract import components, nlp
    from tiltaksgraf.extract.gazetteer import load_knowledge
    from tiltaksgraf.extract.parse import parse_report
    from tiltaksgraf.extract.read import read_report
    from tiltaksgraf.pipeline import bundled_report

    mini = Path(__file__).resolve().parents[1] / "golden" / "mini-report.txt"
    reports = [parse_report(read_report(p)) for p in (mini, bundled_report(), mini)]
    reused = [nlp.analyse_report(r) for r in reports]
    assert reused[0][1], "the mini report defines abbreviations: the learned rulers are exercised"
    base = components._base_pipeline(load_knowledge())
    assert not {"learned_exact", "learned_folded"} & set(base.pipe_names)

    @contextmanager
    def fresh(knowledge, learned):
        yield components.build_pipeline(knowledge, learned)

    monkeypatch.setattr(nlp, "report_pipeline", fresh)
    assert [nlp.analyse_report(r) for r in reports] == reused


def test_nlp_title_cut_by_a_page_break_is_found_whole(bundled_extraction):
    """Measure 46: "Kampanjen «Hvor lite skal du finne" | URL footnotes, page header | "deg i», ble
    lansert …". The title is matched whole; the mention's surface and offsets are its part before
    the break, exact in the source, and the sentence ends there too."""
    text = bundled_extraction.report.source.text
    [m] = [m for m in bundled_extraction.mentions if m.entity_key == "hvor-lite-skal-du-finne-deg-i"]
    assert (m.measure, m.surface, m.name) == (46, "Hvor lite skal du finne", "Hvor lite skal du finne deg i")
    assert text[m.start:m.end] == m.surface
    assert text[m.sentence.start:m.sentence.end] == "Kampanjen «Hvor lite skal du finne"


def test_nlp_unknown_title_cut_by_a_page_break_is_named_whole(tmp_path):
    """A title the gazetteer does not know, cut the same way, becomes an entity with its whole
    name; nothing is found in the continuation twice."""
    from tiltaksgraf.pipeline import bundled_report, extract_file

    text = bundled_report().read_text(encoding="utf-8")
    cut = "Kampanjen «Hvor lite skal du finne \n"
    assert text.count(cut) == 1
    page = tmp_path / "report.txt"
    page.write_text(text.replace(cut, "Kampanjen «Trygg i egen heim og \n")
                    .replace("\ndeg i», ble lansert", "\nute i verden», ble lansert"), encoding="utf-8")
    ex = extract_file(page)
    [entity] = [e for e in ex.entities if e.key == "trygg-i-egen-heim-og-ute-i-verden"]
    assert entity.pref_label == "Trygg i egen heim og ute i verden"
    [m] = [m for m in ex.mentions if m.entity_key == entity.key]
    assert m.surface == "Trygg i egen heim og" == ex.report.source.text[m.start:m.end]
    assert not [x for x in ex.mentions if x.measure == 46 and "verden" in x.surface]


def test_nlp_names_sharing_their_first_words_are_each_found(tmp_path):
    """"RVTS Sør, Vest og Midt" names three centres (measure 50: "for RVTS Nord og Midt"): each word
    after the first name, read with its first words, is a known name; its label is the whole name,
    not the one word the source has there. An unknown combination is left alone."""
    from tiltaksgraf.pipeline import extract_file

    page = tmp_path / "rapport.txt"
    page.write_text("NR. ANSVAR REGJERINGEN VIL STATUS RAPPORTERING (kan offentliggjøres) \n\n"
                    "1. BFD Styrke arbeidet mot vold. \n\nPåbegynt RVTS Sør, Vest og Midt holder kurs. "
                    "Helse Bergen HF og Stavanger deltar. \n", encoding="utf-8")
    ex = extract_file(page)
    found = [(m.surface, m.entity_key, m.name) for m in ex.mentions]
    assert found[:3] == [("RVTS Sør", "rvts-sor", None), ("Vest", "rvts-vest", "RVTS Vest"),
                         ("Midt", "rvts-midt", "RVTS Midt")]
    assert not [f for f in found if f[0] == "Stavanger"]
    assert "Vest" not in next(e for e in ex.entities if e.key == "rvts-vest").alt_labels


def _generic_spans(ruler_patterns, texts):
    """The (start, end, label, id) of every span one ruler of ``ruler_patterns`` finds in ``texts``."""
    from tiltaksgraf.extract.components import CANDIDATES, blank_norwegian

    nlp = blank_norwegian()
    patterns = ruler_patterns(nlp)
    ruler = nlp.add_pipe("span_ruler", config={"spans_key": CANDIDATES, "validate": False})
    ruler.add_patterns(patterns)
    docs = [nlp(t) for t in texts]  # kept: a doc's span group dies with it
    return [[(s.start, s.end, s.label_, s.id_) for s in doc.spans[CANDIDATES]] for doc in docs]


def test_nlp_generic_patterns_as_flags_find_what_spacy_finds_as_written(bundled_extraction):
    """``REGEX``, ``IN`` and ``NOT_IN`` become lexeme flags (computed once per word): over the
    bundled report, the ruler finds exactly the spans spaCy's own predicates find."""
    from tiltaksgraf.extract.components import _token_patterns
    from tiltaksgraf.extract.gazetteer import load_knowledge

    knowledge = load_knowledge()
    written = [{"label": p.label, "id": p.id, "pattern": p.pattern} for p in knowledge.patterns]
    text = bundled_extraction.report.source.text
    texts = [text[m.span.start:m.span.end] for m in bundled_extraction.report.measures]
    flagged = _generic_spans(lambda nlp: _token_patterns(nlp, knowledge.patterns), texts)
    assert sum(map(len, flagged)) > 100
    assert flagged == _generic_spans(lambda nlp: written, texts)


def test_nlp_generic_patterns_stay_as_written_when_no_flag_bit_is_free():
    from tiltaksgraf.extract.components import _token_patterns, blank_norwegian
    from tiltaksgraf.extract.gazetteer import SpanPattern

    nlp = blank_norwegian()
    with pytest.raises(ValueError):
        while True:  # take every free flag bit
            nlp.vocab.add_flag(lambda text: False)
    pattern = [{"LOWER": {"IN": ["lov", "loven"]}}, {"LOWER": "om"}]
    rows = _token_patterns(nlp, (SpanPattern(id="law", label="Law", pattern=pattern),))
    assert rows[0]["pattern"] == pattern


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab- \t\r\n\u00a0\u2009\u3000\x0b\x0c\x1c\x85.«»_("), max_size=60),
       st.integers(0, 60), st.integers(0, 60))
def test_nlp_fold_blanks_folds_each_run_of_what_isspace_calls_blank(text, a, b):
    """One blank per run of characters ``str.isspace()`` accepts, each other character kept with its offset."""
    start, end = min(a, b, len(text)), min(max(a, b), len(text))
    folded, offsets = fold_blanks(text, start, end)
    chars, expected_offsets, in_blank = [], [], False
    for i in range(start, end):
        if text[i].isspace():
            if not in_blank:
                chars.append(" ")
                expected_offsets.append(i)
            in_blank = True
        else:
            chars.append(text[i])
            expected_offsets.append(i)
            in_blank = False
    assert (folded, offsets) == ("".join(chars), expected_offsets)
