"""Long inputs (issue 12): measures numbered 1000 and up are read, never folded into measure 999;
a line that opens like the next measure but cannot be read as one is refused with its line; texts
over spaCy's 1,000,000-character limit are analysed in pieces; one long sentence costs linear time.

The large reports are the bundled one's rows repeated and renumbered (``bench/bigreport.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tiltaksgraf.errors import ParseError
from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.records import ReportMetadata, SourceDocument

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bigreport import renumbered_report  # noqa: E402


def _doc(text: str, name: str = "big.txt") -> SourceDocument:
    return SourceDocument(path=name, text=text, encoding="utf-8", sha256="0" * 64,
                          metadata=ReportMetadata(plan_key="big", plan_title="Big"))


@pytest.fixture(scope="module")
def text_1200() -> str:
    return renumbered_report(1200)


def test_long_measures_past_999_are_read(text_1200):
    report = parse_report(_doc(text_1200))
    assert [m.number for m in report.measures] == list(range(1, 1201))
    # measure 999 is measure 31's row again (999 = 11 × 88 + 31): same text, not 200 rows more
    assert report.measure(999).report_text == report.measure(31).report_text
    assert report.measure(1000).report_text == report.measure(32).report_text
    assert report.measure(1200).description == report.measure(1200 - 13 * 88).description


def test_long_unreadable_measure_start_is_refused_with_its_line(text_1200):
    # an ANSVAR cell no reader can take as ministries ("Xyzzy"): once silently merged into 1000
    lines = text_1200.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("1001. "))
    lines[at] = "1001. Xyzzy " + lines[at][len("1001. "):].split(" ", 1)[1]
    with pytest.raises(ParseError) as caught:
        parse_report(_doc("\n".join(lines)))
    assert str(caught.value).startswith(f"big.txt:{at + 1}: this line starts like measure 1001, but it cannot be read")
    assert "read 1000 measures" in str(caught.value)


def test_long_last_measure_cannot_swallow_the_next():
    text = renumbered_report(3) + "4. Xyzzy Gjøre noe mer.\n"
    with pytest.raises(ParseError, match=r"starts like measure 4.*merged into measure 3"):
        parse_report(_doc(text))


# --- over spaCy's limit: pieces -----------------------------------------------------------------


def _with_paragraph(paragraph: str) -> str:
    """Three measures of the bundled report, ``paragraph`` added to measure 1's reporting."""
    text = renumbered_report(3)
    anchor = "BFD: Bufdir har gjennomgått"
    return text.replace(anchor, f"{paragraph}\n\n{anchor}", 1)


def _check_offsets(extraction) -> None:
    text = extraction.report.source.text
    for m in extraction.mentions:
        assert text[m.start:m.end] == m.surface
        assert m.sentence.start <= m.start and m.end <= m.sentence.end
    for r in extraction.relations:
        assert text[r.evidence.start:r.evidence.end] == r.evidence.sentence


def test_long_line_without_blanks_over_a_million_characters():
    from tiltaksgraf.pipeline import extract

    extraction = extract(parse_report(_doc(_with_paragraph("x" * 1_100_000))))  # spaCy: E088 before
    _check_offsets(extraction)
    assert {m.surface for m in extraction.mentions if m.measure == 1} >= {"Bufdir", "BFD"}


def test_long_paragraph_cut_at_sentence_ends(monkeypatch):
    from tiltaksgraf.extract import nlp
    from tiltaksgraf.pipeline import extract

    sentence = "Bufdir og NKVTS samarbeider om kompetanse i kommunene. "
    monkeypatch.setattr(nlp, "MAX_PIECE_CHARS", 1_000)  # the same cuts as at 100,000, cheaper
    extraction = extract(parse_report(_doc(_with_paragraph(sentence * 200))))
    _check_offsets(extraction)
    text = extraction.report.source.text
    in_paragraph = [m for m in extraction.mentions if m.surface in ("Bufdir", "NKVTS")
                    and text[m.sentence.start:m.sentence.end] == sentence.strip()]
    assert len(in_paragraph) == 400, "every sentence whole, each name found once"
    collaborations = [r for r in extraction.relations
                      if r.kind == "collaboration" and r.evidence.sentence == sentence.strip()]
    assert len(collaborations) == 200


def test_long_pieces_are_bounded_and_cover_the_text():
    from tiltaksgraf.extract.nlp import _pieces

    folded = ("Ett. To tre fire. " * 50) + "y" * 700 + " slutt"
    pieces = list(_pieces(folded, list(range(len(folded))), limit=100))
    assert "".join(p for p, _o in pieces) == folded
    assert all(len(p) <= 100 for p, _o in pieces)
    assert all(offsets == list(range(offsets[0], offsets[0] + len(p))) for p, offsets in pieces)
    sentence_pieces = [p for p, _o in pieces if "y" not in p]
    assert all(p.endswith(". ") for p in sentence_pieces[:-1]), "cut after a sentence end"


# --- one long sentence: linear ------------------------------------------------------------------


def _sentence_graph_size(names: int) -> tuple[int, int]:
    """(triples, characters of all literals) of the graph of a report whose measure 1 has one
    sentence naming ``names`` agencies."""
    from tiltaksgraf.graph.build import build_dataset
    from tiltaksgraf.pipeline import extract

    agencies = ("Bufdir", "NKVTS", "Hdir", "Udir", "IMDi", "POD", "Kripos", "UDI", "FHI", "RVTS")
    sentence = " og ".join(agencies[i % len(agencies)] for i in range(names)) + " samarbeider."
    built = build_dataset([extract(parse_report(_doc(_with_paragraph(sentence))))])
    literal_chars = sum(len(q.object.value) for q in built.iter_quads() if q.object.__class__.__name__ == "Literal")
    return len(built), literal_chars


def test_long_sentence_naming_many_agencies_is_stored_once():
    base_triples, base_chars = _sentence_graph_size(1)
    triples_200, chars_200 = _sentence_graph_size(200)
    triples_800, chars_800 = _sentence_graph_size(800)
    # four times the names: about four times the added triples and text (a copy of the sentence
    # on every mention made it sixteen times the text)
    assert (triples_800 - base_triples) <= 4.4 * (triples_200 - base_triples)
    assert (chars_800 - base_chars) <= 4.4 * (chars_200 - base_chars)
