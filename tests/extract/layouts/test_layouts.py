"""Every layout family on real pages (tests/extract/layouts/pages, sources in SOURCES.md): which
layout reads it, each measure's id, responsible bodies, status (wording, raw, class) and
truncation; what a build infers with no sidecar; the refusal of a text no layout fits."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiltaksgraf.errors import ParseError, UsageError
from tiltaksgraf.extract.layouts import LAYOUTS, layout_names, parse_document
from tiltaksgraf.extract.read import read_report

PAGES = Path(__file__).parent / "pages"
BUFDIR = "Barne-, ungdoms- og familiedirektoratet"

# file: (layout, [(id, ministries, status class, raw status wording, truncated), …])
EXPECTED = {
    "h05_digdir_eID_handlingsplan_mal1_tiltak1-2.txt": ("blocks", [
        ("1.1", ("DFD",), "Ongoing", "Påbegynt", False),  # "Tidsperspektiv: Påbegynt - 2025" counts
        ("1.2", ("DFD",), None, "", True),  # "Tidsperspektiv: 2023 - 2025" states no status
    ]),
    "p01_statsbudsjett2020_BFD_tabell10-1_opptrappingsplan_status_nn.txt": ("budget-table", [
        ("1", ("ALLE",), "Ongoing", "Byrja", False),
        ("2", ("ALLE",), "Ongoing", "Byrja", False),
        ("3", ("BFD",), "Done", "Ferdig", False),
        ("4", ("KD",), "Done", "Ferdig", False),
        ("5", ("BFD",), "Ongoing", "Byrja", False),
        ("6", ("HOD",), "Done", "Ferdig", False),
        ("7", ("JD", "ALLE"), "Ongoing", "Byrja", False),
        ("8", ("JD",), None, "", True),
    ]),
    "p03_statusrapport_et_liv_uten_vold_des2014.txt": ("numbered", [
        ("1", ("JD", "AD", "BLD", "HOD", "KD"), None, "", True),
    ]),
    "p06_statusrapport_et_liv_uten_vold_des2015_9pdf.txt": ("numbered", [
        ("1", ("JD", "AD", "BLD", "HOD", "KD"), None, "", True),  # "Gjennomføring:" on the same line
    ]),
    "p46_arsrapport_2024-2025_selvmord_maal2_tiltak4.txt": ("blocks", [("4", (), None, "", True)]),
    "p47_arsrapport_2024-2025_selvmord_maal3_tiltak14.txt": ("blocks", [("14", (), None, "", True)]),
    "p52_status_radikalisering_handlingsplan_april2017.txt": ("numbered", [
        ("1", ("JD",), "Done", "Tiltaket anses som gjennomført", False),  # "overført fra BLD til JD"
        ("2", ("JD",), None, "", True),
    ]),
    "p59_bufdir_status_TMA_tiltak_1_2_kunnskap_og_forskning.txt": ("blocks", [
        ("1a", (BUFDIR,), "Ongoing", "Pågående – i rute", False),
        ("1b", (BUFDIR,), "Ongoing", "Pågående – i rute", False),
        ("1c", (), "Done", "Avsluttet", True),
    ]),
    "p60_bufdir_status_TMA_tiltak_4_19_trygge_naermiljo.txt": ("blocks", [
        ("4a", (BUFDIR,), "Done", "Avsluttet", False),  # sub-measures as repeated bare "Tiltak" labels
        ("4b", (BUFDIR,), "Done", "Avsluttet", False),
        ("4c", (BUFDIR,), "Ongoing", "Pågående – i rute", False),
        ("5", (BUFDIR,), "Ongoing", "Pågående – i rute", False),
        ("6", (), None, "", True),
    ]),
    "p62_bufdir_status_TMA_tiltak_29_39_versjon2019_no.txt": ("blocks", [
        ("29a", (BUFDIR,), "Ongoing", "Pågående – i rute", False),
        ("29b", (BUFDIR,), "Ongoing", "Pågående – i rute", False),
        ("29c", (), None, "", True),
    ]),
    "p80_handlingsplan_tvangsekteskap_fremdrift_april2011_docplayer.txt": ("tagged", [
        (str(n), codes, None, "", n == 19) for n, codes in enumerate(
            [("JD",), ("JD",), ("JD",), ("AID", "BLD"), ("KD",), ("KD",), ("KD",), ("KD",), ("BLD",), ("BLD",),
             ("AID", "BLD"), ("BLD",), ("BLD",), ("BLD",), ("KUD",), ("KUD",), ("AID", "BLD"), ("BLD",), ()], start=1)
    ]),
}


def test_layouts_every_page_is_a_case():
    assert sorted(p.name for p in PAGES.glob("*.txt")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_layouts_page_measures_ids_ministries_statuses(name):
    report = parse_document(read_report(PAGES / name))
    layout, expected = EXPECTED[name]
    assert report.layout == layout
    got = [(m.measure_id, m.ministries, m.status_class, m.status_raw, m.truncated) for m in report.measures]
    assert got == expected
    for m in report.measures:
        assert m.plain_number == (int(m.measure_id) if m.measure_id.isdigit() else None)
        assert (m.status is None) == (m.status_class is None)
        for seg in m.segments:  # every segment is source text, so NLP offsets are source offsets
            assert report.source.text[seg.start:seg.end].strip() == report.source.text[seg.start:seg.end]
    assert len({m.number for m in report.measures}) == len(report.measures)
    if any(m.truncated for m in report.measures):
        assert any("marked truncated" in w for w in report.warnings)


def test_layouts_descriptions_are_the_measures_text():
    p59 = parse_document(read_report(PAGES / "p59_bufdir_status_TMA_tiltak_1_2_kunnskap_og_forskning.txt"))
    assert p59.measures[0].description == "Indikatorutvikling Fullføre arbeidet med indikatorer på feltet."
    h05 = parse_document(read_report(PAGES / "h05_digdir_eID_handlingsplan_mal1_tiltak1-2.txt"))
    assert h05.measures[0].description == "Regjeringen vil videreutvikle MinID for å bli mer robust og brukervennlig"
    assert "MinID har i løpet av 2023" in h05.measures[0].report_text
    assert "Digdir" in h05.measures[0].report_text  # "Utførende virksomhet: Digdir" is text the NLP reads
    p01 = parse_document(read_report(PAGES / "p01_statsbudsjett2020_BFD_tabell10-1_opptrappingsplan_status_nn.txt"))
    assert p01.measures[2].description.startswith("I samband med struktur- og kvalitetsreforma")


@pytest.mark.parametrize("name, key, title, date, language", [
    ("p01_statsbudsjett2020_BFD_tabell10-1_opptrappingsplan_status_nn.txt",
     "opptrappingsplan-mot-vold-og-overgrep-2017-2021", "Opptrappingsplan mot vold og overgrep (2017–2021)",
     "2019-06-01", "nn"),
    ("p03_statusrapport_et_liv_uten_vold_des2014.txt", "handlingsplan-mot-vold-i-naere-relasjoner-2014-2017",
     "Handlingsplan mot vold i nære relasjoner (2014-2017)", "2014-12", "nb"),
    ("p06_statusrapport_et_liv_uten_vold_des2015_9pdf.txt", "handlingsplan-mot-vold-i-naere-relasjoner-2014-2017",
     "Handlingsplan mot vold i nære relasjoner (2014-2017)", "2015-12", "nb"),
    ("p52_status_radikalisering_handlingsplan_april2017.txt",
     "handlingsplan-mot-radikalisering-og-voldelig-ekstremisme",
     "Handlingsplan mot radikalisering og voldelig ekstremisme", "2017-04", "nb"),
    ("p80_handlingsplan_tvangsekteskap_fremdrift_april2011_docplayer.txt", "handlingsplan-mot-tvangsekteskap",
     "Handlingsplan mot tvangsekteskap", "2011-04", "nb"),
    ("p46_arsrapport_2024-2025_selvmord_maal2_tiltak4.txt", "p46_arsrapport_2024-2025_selvmord_maal2_tiltak4",
     None, "2025", "nb"),
])
def test_layouts_plan_and_date_inferred_without_sidecar(name, key, title, date, language):
    report = parse_document(read_report(PAGES / name))
    meta = report.source.metadata
    assert (meta.plan_key, meta.date, meta.language) == (key, date, language)
    if title:
        assert meta.plan_title == title
    said = next(w for w in report.warnings if "no sidecar JSON" in w)
    assert key in said and (date in said)


def test_layouts_bundled_report_is_the_table_with_classes(report_path):
    report = parse_document(read_report(report_path))
    assert report.layout == "table" and len(report.measures) == 88 and report.warnings == ()
    assert [m.measure_id for m in report.measures] == [str(n) for n in range(1, 89)]
    classes = {m.status: m.status_class for m in report.measures}
    assert classes == {"Ferdig": "Done", "Påbegynt": "Ongoing", "Påbegynt - løpende": "Ongoing"}


def test_layouts_text_no_layout_fits_is_refused_with_each_reason(tmp_path):
    page = tmp_path / "notat.txt"
    page.write_text("Referat fra møtet.\n\nVi diskuterte budsjettet og ble enige om å møtes igjen.\n",
                    encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        parse_document(read_report(page))
    message = str(caught.value)
    assert "no measures found" in message and "fits none of the layouts tried" in message
    for layout in LAYOUTS:
        assert f"{layout.name}: expected" in message
    assert "--layout" in message


def test_layouts_forced_layout_is_used_and_an_unknown_one_refused():
    page = read_report(PAGES / "p52_status_radikalisering_handlingsplan_april2017.txt")
    assert parse_document(page, "numbered").layout == "numbered"
    with pytest.raises(ParseError, match="no measures found"):
        parse_document(page, "budget-table")  # forced, and the text has no such table
    with pytest.raises(UsageError, match="(?s)unknown layout 'pdf'.*table, budget-table, blocks, numbered, tagged"):
        parse_document(page, "pdf")
    assert layout_names() == ("table", "budget-table", "blocks", "numbered", "tagged")


def test_layouts_truncation_only_when_the_text_is_cut(tmp_path):
    whole = (PAGES / "p59_bufdir_status_TMA_tiltak_1_2_kunnskap_og_forskning.txt").read_text(encoding="utf-8")
    cut_at = whole.index("c) Forskning om regnbuefamilier")
    page = tmp_path / "tiltak1.txt"
    page.write_text(whole[:cut_at], encoding="utf-8")
    report = parse_document(read_report(page))
    assert [m.truncated for m in report.measures] == [False, False]
    assert not any("truncated" in w for w in report.warnings)


def test_layouts_goal_numbering_restarts_per_goal(tmp_path):
    """Under goals whose measures are numbered from 1 again, ids are "goal.number"; where the
    numbering runs on across goals, ids are the numbers."""
    per_goal = ("Mål 1: Enkel innlogging\nTiltak 1: Regjeringen vil A.\nAnsvarlig departement: DFD\n"
                "Tidsperspektiv: Ferdig\n\nMål 2: Trygg\nTiltak 1: Regjeringen vil B.\nAnsvarlig departement: JD\n"
                "Status\nIkke igangsatt.\n")
    running = per_goal.replace("Tiltak 1: Regjeringen vil B", "Tiltak 2: Regjeringen vil B")
    for text, ids in ((per_goal, ["1.1", "2.1"]), (running, ["1", "2"])):
        page = tmp_path / "mal.txt"
        page.write_text(text, encoding="utf-8")
        report = parse_document(read_report(page))
        assert [m.measure_id for m in report.measures] == ids
        assert [m.status_class for m in report.measures] == ["Done", "NotStarted"]
        assert [m.ministries for m in report.measures] == [("DFD",), ("JD",)]


@pytest.mark.parametrize("text", [
    "Tiltak 3: Skogvern\nAnsvarlig: Bufdir\nSkeiv Verden Norge har deltatt i kurset.\n",
    "1. Skogvern\nAnsvarlig: JD\nSkeiv Verden Norge har deltatt i kurset.\n",
])
def test_layouts_a_field_value_is_no_part_of_the_next_sentence(tmp_path, text):
    # "Bufdir" followed on the next line by "Skeiv Verden Norge …" read as one run made the
    # candidate "Bufdir Skeiv Verden Norge": a labelled value ends where its line ends.
    path = tmp_path / "page.txt"
    path.write_text(text, encoding="utf-8")
    report = parse_document(read_report(path))
    pieces = [report.source.text[s.start:s.end] for m in report.measures for s in m.segments]
    assert any(p.startswith("Skeiv Verden Norge") for p in pieces), pieces
    assert not any("\nSkeiv" in p for p in pieces), pieces
