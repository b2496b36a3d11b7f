"""Fuzzing the extraction (nlp → resolve → relate, ``tiltaksgraf.pipeline.extract``) on reports
that parse: mutated slices of the bundled report, with report-ish phrases (relation triggers,
abbreviation definitions, quotes, amounts, cross-references) spliced into their lines. Whatever
parses must extract without any exception but the project's own, and every mention's surface
and every relation's evidence must be the exact source text at its offsets.

Speed: a process builds its spaCy pipeline once and swaps in only each report's learned
entities (``components.report_pipeline``; tests/extract/test_nlp.py checks it finds what a pipeline
built afresh per report finds), so the examples need no memoised pipeline of their own. 506
examples here (6 of them with a line or paragraph over a million characters), 1,540 in
test_fuzz_parser.py.
"""

from __future__ import annotations

import re

from hypothesis import event, example, given
from hypothesis import strategies as st
from test_fuzz_parser import (  # the report mutations and invariants (tests/fuzz is on sys.path)
    HARD_LIMIT_S,
    LINE_MUTATIONS,
    REPORT_LINES,
    REPORT_TEXT,
    STRETCH_CHARS,
    TOKENS,
    apply_line_mutation,
    check_report,
    fuzz_settings,
    parse_text,
    stretches,
    time_limit,
)

from tiltaksgraf.errors import TiltaksgrafError
from tiltaksgraf.pipeline import extract
from tiltaksgraf.records import Extraction

EXTRACT_DEADLINE_MS = 15_000  # a slice takes ~0.1–1.5 s alone; the margin is for a loaded CI machine (one example
# took 9 s under a full suite plus three other jobs); quadratic blow-ups still exceed it

# Phrases the NLP and relation rules react to, spliced into lines at random points.
PHRASES = TOKENS + (
    "Nasjonalt kunnskapssenter om vold og traumatisk stress (NKVTS)", "Regionalt ressurssenter (RVTS Øst)",
    "Nordisk institutt for studier av innovasjon, forskning og utdanning (NIFU)", "(ABC)", "(Bufdir)",
    "NKVTS og Bufdir har utarbeidet", "Bufdir ga NKVTS i oppdrag å", "bestilt av Helsedirektoratet",
    "finansiert av JD med 2,5 mill. kroner i 2021", "avsatt 10,2 mill. kroner til programmet",
    "se tiltak 1, 2 og 3", "jf. tiltak 999", "punktene 4/5",
    "handlingsplanen mot vold i nære relasjoner (2021–2024)",
    "veileder om", "kampanjen «Jeg Vet", "«»", "«", "“Snakk med barn”", "Prop. 73 L (2016–2017)",
    "RVTS’enes", "NKVTS-ene", "TryggEst-modellen", "2021. Htil", "i samarbeid med POD, Kripos og UDI.",
    "(SFT)", "SFT’s", "handlingsplanen (HP)",
)
# Definitions of entities the gazetteer does not know: the report's learned entities (and so the
# rulers swapped into the spaCy pipeline for it) vary with them.
DEFINITIONS = st.one_of(
    st.tuples(st.sampled_from(("Senter for fuzzing og testing", "Direktoratet for eksempler",
                               "Programmet for trygg oppvekst", "Utvalget for tester")),
              st.sampled_from(("SFT", "DfE", "PTO", "UFT"))).map(lambda d: f"{d[0]} ({d[1]})"),
    st.just("FTU (Fuzzing- og testutvalget)"),
)

SPLICES = st.tuples(st.just("splice"), st.integers(0, 2**20), st.integers(0, 2**20),
                    st.one_of(st.sampled_from(PHRASES), DEFINITIONS), st.booleans())
# Lines where a table row (a measure) starts: slices cut there hold whole measures and parse.
ROW_STARTS = [i for i, line in enumerate(REPORT_LINES) if re.match(r"\s*\d{1,3}\.\s+[A-ZÆØÅ]", line)]


def apply_mutation(lines: list[str], mutation: tuple) -> list[str]:
    if mutation[0] != "splice":
        return apply_line_mutation(lines, mutation)
    if not lines:
        return lines
    _op, at, cut, phrase, between_words = mutation
    at %= len(lines)
    line = lines[at]
    if between_words:  # at a blank, as a phrase of its own; else anywhere, even inside a word
        blanks = [k for k, c in enumerate(line) if c == " "] or [len(line)]
        cut, phrase = blanks[cut % len(blanks)], f" {phrase} "
    else:
        cut %= len(line) + 1
    return [*lines[:at], f"{line[:cut]}{phrase}{line[cut:]}", *lines[at + 1:]]


@st.composite
def parsable_texts(draw) -> str:
    """Whole table rows of the bundled report (or, sometimes, any slice of lines), with line
    mutations and spliced phrases. Decoding was fuzzed in test_fuzz_parser.py; here the text is
    the input, and most of it parses, so the extraction runs."""
    if draw(st.integers(0, 4)):
        first = draw(st.integers(0, len(ROW_STARTS) - 1))
        rows = draw(st.integers(1, 8))
        start = 0 if first == 0 else ROW_STARTS[first]
        stop = ROW_STARTS[first + rows] if first + rows < len(ROW_STARTS) else len(REPORT_LINES)
    else:
        start = draw(st.integers(0, len(REPORT_LINES) - 1))
        stop = start + draw(st.integers(10, 150))
    lines = REPORT_LINES[start:stop]
    mutations = draw(st.lists(st.one_of(SPLICES, SPLICES, LINE_MUTATIONS, stretches(STRETCH_CHARS)), max_size=8))
    for mutation in mutations:
        lines = apply_mutation(lines, mutation)
    return draw(st.sampled_from(("\n", "\n", "\r\n"))).join(lines)


# --- invariants ---------------------------------------------------------------------------------


def check_extraction(extraction: Extraction) -> None:
    text = extraction.report.source.text
    numbers = {m.number for m in extraction.report.measures}
    keys = {e.key for e in extraction.entities}
    for m in extraction.mentions:
        assert 0 <= m.start < m.end <= len(text), m
        assert text[m.start:m.end] == m.surface, m
        assert m.sentence.start <= m.start and m.end <= m.sentence.end, m
        assert m.measure in numbers and m.entity_key in keys, m
    for r in extraction.relations:
        ev = r.evidence
        assert 0 <= ev.start < ev.end <= len(text), r
        assert text[ev.start:ev.end] == ev.sentence, r
        assert r.measure in numbers, r
    assert {n for n, _keys in extraction.responsible} == numbers


def extract_or_refuse(text: str) -> Extraction | None:
    report, outcome = parse_text(text)
    event(outcome)
    if report is None:
        return None
    check_report(report)
    try:
        return extract(report)
    except TiltaksgrafError as exc:
        event(f"extraction refused: {type(exc).__name__}")
        return None


@given(parsable_texts())
@fuzz_settings(500, deadline_ms=EXTRACT_DEADLINE_MS)
@example(REPORT_TEXT)
# Regressions: the amount pattern was tried from every digit of a run (20,000 digits: 18 s), and
# spaCy splits symbols off a token one at a time, re-searching the rest (20,000 "(": 34 s).
@example(f"1. BFD Utrede\nFerdig\nDet ble bevilget {'1' * 20_000} til NKVTS.\n")
@example(f"1. BFD Utrede\nFerdig\nBufdir {'(' * 20_000} og NKVTS.\n")
@example(f"1. BFD Utrede {'_' * 20_000}\nFerdig\nBufdir {'«' * 20_000}\n")
def test_fuzz_extract_mutated_report_extracts_or_fails_cleanly(text):
    with time_limit(HARD_LIMIT_S):
        extraction = extract_or_refuse(text)
    if extraction is not None:
        event("extracted")
        check_extraction(extraction)


# --- oversized lines and paragraphs ------------------------------------------------------------

OVERSIZED_UNITS = ("x", "Bufdir", "NKVTS og ", "Bufdir og NKVTS samarbeider. ", "1", "(", "-")


@given(st.integers(0, len(ROW_STARTS) - 2), st.sampled_from(OVERSIZED_UNITS),
       st.integers(1_000_001, 1_200_000), st.booleans())
@fuzz_settings(6, deadline_ms=None)
def test_fuzz_extract_oversized_line_in_pieces(row, unit, chars, own_paragraph):
    """A line (or paragraph) longer than spaCy's 1,000,000-character limit, with or without
    blanks, inside a measure: extracted in pieces, never spaCy's E088 "internal error"."""
    lines = REPORT_LINES[ROW_STARTS[row]:ROW_STARTS[row + 1]]
    run = unit * (chars // len(unit))
    at = len(lines) - 1
    lines = lines[:at] + (["", run, ""] if own_paragraph else [lines[at] + run]) + lines[at:]
    with time_limit(120):
        report, outcome = parse_text("\n".join(lines))
        event(outcome)
        if report is None:
            return
        check_report(report)
        check_extraction(extract(report))
