"""The parser against facts read off the bundled report itself: 88 measures, their ANSVAR cells,
statuses, descriptions, reporting, sections, footnote URLs, glossary and offsets."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tiltaksgraf.errors import ParseError
from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.extract.read import decode_report_bytes
from tiltaksgraf.records import STATUSES, ReportMetadata, SourceDocument

GOLDEN = json.loads((Path(__file__).parent / "golden" / "measures.json").read_text(encoding="utf-8"))
GOLDEN_FIELDS = ("line", "ansvar_raw", "ministries", "status", "status_raw", "description", "report_text",
                 "section_ministries", "urls")
URL_LINE = re.compile(r"^\s*(https?://\S+)\s*$")


def squash(text: str) -> str:
    return "".join(text.split())


def _doc(text: str, name: str = "report.txt") -> SourceDocument:
    return SourceDocument(path=name, text=text, encoding="utf-8", sha256="0" * 64,
                          metadata=ReportMetadata(plan_key="test", plan_title="Test"))


# --- measures, numbers, statuses, ANSVAR -------------------------------------------------------


def test_parse_finds_88_measures_numbered_1_to_88(report):
    assert [m.number for m in report.measures] == list(range(1, 89))


def test_parse_status_counts(report):
    assert Counter(m.status for m in report.measures) == {
        "Ferdig": 49, "Påbegynt - løpende": 34, "Påbegynt": 5}
    assert all(m.status in STATUSES for m in report.measures)


@pytest.mark.parametrize(("number", "ansvar_raw", "ministries"), [
    (1, "ALLE", ("ALLE",)),
    (7, "JD/Alle", ("JD", "ALLE")),
    (11, "KUD", ("KUD",)),
    (12, "BFD / JD", ("BFD", "JD")),
    (13, "BFD / HOD", ("BFD", "HOD")),  # "BFD /" on the number's line, "HOD" on the next
    (37, "BFD/ALLE", ("BFD", "ALLE")),
    (43, "KD/JD", ("KD", "JD")),
    (44, "HOD", ("HOD",)),  # "HOD" alone, then blank lines before the description
    (49, "HOD", ("HOD",)),
    (54, "JD (alle)", ("JD", "ALLE")),
    (75, "KD/ALLE", ("KD", "ALLE")),
])
def test_parse_ansvar_variants_give_ministry_lists(report, number, ansvar_raw, ministries):
    m = report.measure(number)
    assert (m.ansvar_raw, m.ministries) == (ansvar_raw, ministries)


def test_parse_every_ministry_code_is_known(report):
    codes = {c for m in report.measures for c in m.ministries}
    assert codes == {"ALLE", "BFD", "HOD", "JD", "KD", "KUD"}


def test_parse_measure_13_ansvar_continuation_not_in_description(report):
    assert report.measure(13).description == "Styrke samarbeidet mellom familieverntjenesten og helsestasjonene."


@pytest.mark.parametrize("number", [44, 49])
def test_parse_ansvar_alone_on_its_line_keeps_description(report, number):
    assert report.measure(number).description.startswith("Styrke ")
    assert "HOD" not in report.measure(number).description


@pytest.mark.parametrize(("number", "status", "status_raw"), [
    (2, "Påbegynt - løpende", "Påbegynt - løpende"),  # "Påbegynt -" / "løpende" over two lines
    (3, "Ferdig", "Ferdig"),  # status and reporting on one line
    (5, "Påbegynt", "Påbegynt"),
    (71, "Påbegynt - løpende", "Påbegynt - Løpende"),  # capital L in the source
])
def test_parse_status_normalised_raw_kept(report, number, status, status_raw):
    m = report.measure(number)
    assert (m.status, m.status_raw) == (status, status_raw)


def test_parse_status_words_not_in_texts(report):
    for m in report.measures:
        assert not m.report_text.startswith(("Ferdig", "Påbegynt", "løpende", "Løpende", "- ")), m.number
        assert "Påbegynt -" not in m.description, m.number


# --- descriptions and reporting ---------------------------------------------------------------


def test_parse_measure_36_description_continues_after_page_break(report, report_text):
    m = report.measure(36)
    assert m.description == ("Utrede hvordan krav til politiattest kan omfatte yrkesgrupper som er i "
                             "kontakt med barn, men som ikke faller inn under særlovgivningen.")
    # The reporting quotes the same words once, in its first sentence; the description's
    # continuation (after the page header) must not be appended to it.
    assert m.report_text.count("faller inn under særlovgivningen") == 1
    assert m.report_text.endswith("i samråd med berørte departementer.")
    continuation = report_text.index("kontakt med barn, men som ikke \nfaller inn under særlovgivningen.")
    description_segments = [s for s in m.segments if s.field == "description"]
    assert description_segments[-1].start == continuation
    assert all(not (s.start <= continuation < s.end) for s in m.segments if s.field == "report")


def test_parse_no_layout_lines_in_texts(report):
    glossary_lines = [f"{g.abbreviation} - {g.full_name.split()[0]}" for g in report.glossary]
    for m in report.measures:
        for label, text in [("description", m.description), ("report", m.report_text),
                            *((f"section {s.ministry}", s.text) for s in m.sections)]:
            where = f"measure {m.number} {label}"
            for marker in ("NR. ANSVAR", "REGJERINGEN VIL", "RAPPORTERING", "offentliggjøres",
                           "Forkortelser", "http://", "https://"):
                assert marker not in text, f"{where}: {marker!r}"
            folded = text.replace("–", "-")
            for line in glossary_lines:
                assert line not in folded, f"{where}: glossary line {line!r}"


def test_parse_segments_avoid_layout_lines(report, report_text):
    for m in report.measures:
        for seg in m.segments:
            piece = report_text[seg.start:seg.end]
            assert "NR. ANSVAR" not in piece and "Forkortelser" not in piece and "http" not in piece, (m.number, seg)


def test_parse_paragraphs_kept(report):
    assert report.measure(1).report_text.count("\n\n") == 3
    assert report.measure(2).report_text.count("\n\n") == 4
    assert "\n" not in report.measure(3).report_text
    for m in report.measures:
        assert "\n\n\n" not in m.report_text, m.number
        assert m.report_text.count("\n") == 2 * m.report_text.count("\n\n"), m.number
        assert "\n" not in m.description, m.number
        for paragraph in m.report_text.split("\n\n"):
            assert paragraph == paragraph.strip() and "  " not in paragraph, m.number


def test_parse_sentence_cut_by_page_break_is_joined(report):
    # measure 54's last paragraph goes on after a URL block and a page header
    assert ("med særlig fokus på gjerningsperson, arena og offer sett i sammenheng."
            in report.measure(54).report_text)


def test_parse_line_broken_words_joined(report):
    assert "0–24-samarbeidet" in report.measure(15).description  # "0–24-" / "samarbeidet"
    assert "helse- og omsorgstjenesteloven" in report.measure(6).description  # "helse-" / "og …"


# --- sections ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "ministries"), [
    (1, ["BFD", "HOD", "KD", "KD"]),
    (46, [None, "KD", "JD", "HOD"]),  # opens with "BFD/Bufdir har …", which is no label
])
def test_parse_sections(report, report_text, number, ministries):
    m = report.measure(number)
    assert [s.ministry for s in m.sections] == ministries
    assert "\n\n".join(s.text for s in m.sections) == m.report_text
    for section in m.sections:
        if section.ministry:
            assert section.text.startswith(f"{section.ministry}: ")
            assert report_text[section.start:].startswith(f"{section.ministry}:")


def test_parse_segments_carry_their_section_ministry(report):
    m = report.measure(46)
    ministries = [s.ministry for s in m.segments if s.field == "report"]
    assert ministries[0] is None and ministries[-1] == "HOD"
    assert {s.ministry for s in m.segments if s.field == "description"} == {None}


def test_parse_no_sections_without_labels(report):
    assert report.measure(2).sections == ()
    assert sum(1 for m in report.measures if m.sections) == 2


# --- footnote URLs ----------------------------------------------------------------------------


def test_parse_every_footnote_url_attached_to_a_measure_on_its_page(report, report_text):
    lines = report_text.split("\n")
    starts = [m.line for m in report.measures]
    headers = [n for n, line in enumerate(lines, start=1) if line.strip().startswith("NR. ANSVAR")]
    found = 0
    for number, line in enumerate(lines, start=1):
        url = URL_LINE.match(line)
        if not url:
            continue
        found += 1
        owners = [m for m in report.measures if url[1] in m.urls]
        assert owners, f"line {number}: {url[1]} attached to no measure"
        page_start = max([h for h in headers if h < number], default=0)
        here = max(i for i, start in enumerate(starts) if start < number)
        on_page = {report.measures[i].number for i, start in enumerate(starts)
                   if i == here or page_start <= start < number
                   or (i + 1 < len(starts) and start < page_start < starts[i + 1])}
        assert {m.number for m in owners} & on_page, f"line {number}: {url[1]} not on its page's measures"
    assert found == 72
    assert sum(len(m.urls) for m in report.measures) == len(
        {(m.number, u) for m in report.measures for u in m.urls})  # no duplicates within a measure


@pytest.mark.parametrize(("number", "url"), [
    # a page's footnotes go to the measure on it whose text the URL's words match
    (7, "https://www.nkvts.no/rapport/kommunale-handlingsplaner-mot-vold-i-naere-relasjoner-hvordan-brukes-de-og-til-hvilken-nytte/"),
    (23, "https://www.regjeringen.no/no/dokumenter/trygge-foreldre--trygge-barn.-regjeringens-strategi-for-foreldrestotte-2018-2021/id2606135/"),
    (62, "https://www.fhi.no/globalassets/dokumenterfiler/rapporter/2021/behandlingstiltak-for-personer-som-er-utsatt-for-eller-utover-digital-vold-rapport-2021.pdf"),
])
def test_parse_footnote_url_goes_to_the_measure_it_matches(report, number, url):
    assert url in report.measure(number).urls


def test_parse_url_block_not_given_to_next_measure(report):
    # the block between measures 13 and 14 stands on 13's page: nothing of it goes to 14
    assert report.measure(14).urls == ()


# --- glossary ---------------------------------------------------------------------------------


def test_parse_glossary(report, report_text):
    glossary = report.glossary_map()
    assert len(report.glossary) == 19
    assert list(glossary)[:3] == ["ASD", "ATV", "AVdir"]
    assert glossary["NKVTS"] == "Nasjonalt kunnskapssenter om vold og traumatisk stress"
    assert glossary["RVTS"] == "Regionalt ressurssenter om vold, traumatisk stress og selvmordsforebygging"
    assert glossary["SANKS"] == "Samisk nasjonal kompetansetjeneste – psykisk helsevern og rus"
    assert glossary["BFD"] == "Barne- og familiedepartement"
    assert glossary["Udir"] == "Utdanningsdirektoratet"
    lines = report_text.split("\n")
    for entry in report.glossary:
        assert lines[entry.line - 1].lstrip().startswith(f"{entry.abbreviation} "), entry


# --- offsets ----------------------------------------------------------------------------------


def test_parse_offsets_exact(report, check_offsets):
    check_offsets(report)


def test_parse_span_points_at_number(report, report_text):
    for m in report.measures:
        assert re.match(rf"{m.number}\.\s", report_text[m.span.start:]), m.number
    assert report.measure(14).span.start == report_text.index("14. BFD Klargjøre")  # line starts with a blank


def test_parse_measures_do_not_overlap(report):
    spans = [m.span for m in report.measures]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


# --- golden records ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", GOLDEN_FIELDS)
@pytest.mark.parametrize("expected", GOLDEN, ids=lambda g: f"measure{g['number']}")
def test_parse_golden_measures(report, expected, field):
    m = report.measure(expected["number"])
    actual = {
        "section_ministries": [s.ministry for s in m.sections],
        "ministries": list(m.ministries),
        "urls": list(m.urls),
    }.get(field, getattr(m, field, None))
    assert actual == expected[field]


# --- shapes the report does not have, but other reports may ------------------------------------


def test_parse_status_outside_the_three_is_rejected_at_its_line():
    text = ("NR. ANSVAR REGJERINGEN VIL STATUS RAPPORTERING\n\n"
            "1. BFD Gjøre noe.\n\nFerdig Det er gjort.\n\n"
            "2. HOD Gjøre noe annet.\n\nIkke påbegynt\n\nArbeidet er ikke startet.\n")
    with pytest.raises(ParseError) as caught:
        parse_report(_doc(text))
    assert caught.value.line == 9 and "Ikke påbegynt" in str(caught.value)


def test_parse_minimal_report():
    text = ("Forkortelser:\nBFD – Barne- og familiedepartementet\n\n"
            "NR. ANSVAR REGJERINGEN VIL STATUS RAPPORTERING\n\n"
            "1. BFD / JD Gjøre noe\nmed to linjer.\n\nPåbegynt -\nløpende\n\nFørste avsnitt.\n\nAndre avsnitt.\n"
            "https://example.org/a\n\n"
            "2. ALLE Gjøre noe annet.\n\nFerdig Det er gjort.\n")
    report = parse_report(_doc(text))
    first, second = report.measures
    assert (first.ministries, first.status, first.description) == (("BFD", "JD"), "Påbegynt - løpende",
                                                                  "Gjøre noe med to linjer.")
    assert first.report_text == "Første avsnitt.\n\nAndre avsnitt."
    assert first.urls == ("https://example.org/a",)
    assert (second.ministries, second.status, second.report_text) == (("ALLE",), "Ferdig", "Det er gjort.")
    assert report.glossary_map() == {"BFD": "Barne- og familiedepartementet"}


@pytest.mark.parametrize(("text", "message", "line"), [
    ("Bare tekst.\n", "no measures found", None),
    ("1. BFD Gjøre noe.\n\nFerdig Ja.\n\n3. BFD Mer.\n\nFerdig Ja.\n", "measure 2 is missing", 5),
    ("1. BFD Gjøre noe.\n\nFerdig Ja.\n\n1. BFD Mer.\n\nFerdig Ja.\n", "measure 1 appears twice", 5),
    ("2. BFD Gjøre noe.\n\nFerdig Ja.\n\n1. BFD Mer.\n\nFerdig Ja.\n", "numbers must rise", 5),
    ("1. BFD Gjøre noe.\n\nKanskje.\n", "cannot read its status", 1),
])
def test_parse_errors_name_file_and_line(text, message, line):
    with pytest.raises(ParseError) as caught:
        parse_report(_doc(text, "rapport.txt"))
    assert message in str(caught.value)
    assert caught.value.path == "rapport.txt" and caught.value.line == line
    assert caught.value.hint or line is not None


def test_parse_decoded_text_is_what_offsets_index():
    text, encoding = decode_report_bytes("1. BFD Gjøre noe.\r\n\r\nFerdig Ja.\r\n".encode("utf-8-sig"))
    report = parse_report(_doc(text))
    assert encoding == "utf-8-sig" and text.startswith("1.")
    assert report.measures[0].span.start == 0
