"""``candidates``: what looks like a name but resolves to nothing, with a guessed type, count,
measures and a sentence; its jsonl output is a knowledge file that feeds straight back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tiltaksgraf.cli import main
from tiltaksgraf.extract.candidates import candidates_in_files, knowledge_lines, read_any_report
from tiltaksgraf.extract.gazetteer import load_knowledge, load_user_gazetteer, user_knowledge
from tiltaksgraf.pipeline import extract

GOLDEN = Path(__file__).resolve().parent.parent / "golden"

# A page of the "blocks" layout (``Tiltak N:`` and labelled fields): candidates reads it as build
# does, so every name comes with its measure.
PAGE = """Tiltak 3: Skogvern i kommunene
Ansvarlig: Bufdir
Skeiv Verden Norge (SVN) har på oppdrag fra Helsedirektoratet deltatt i «Skogdagene 2021».
Senteret har fulgt opp St.meld. nr. 15 (2012–2013).
Arbeidet følger opp Innst. 12 S (2019–2020) og eIDAS-forordningen.
SVN samarbeider med Skeiv Skog og Enerhaugen skogkontor om kurs for QQX.
Rapporten fra SVN ble lagt fram i 2021, og QQX deltok.
"""


# The same names in prose no layout fits: read line by line, with no measure.
PROSE = PAGE.split("\n", 2)[2]


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("page") / "skog.txt"
    path.write_text(PAGE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def prose(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("prose") / "skog-prosa.txt"
    path.write_text(PROSE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def found(page):
    candidates, whole_text = candidates_in_files([page], load_knowledge())
    assert whole_text == []
    return {c.name: c for c in candidates}


@pytest.mark.parametrize("name, typ, shape, count", [
    ("Skeiv Verden Norge", "Agency", "definition", 3),  # the abbreviation's uses count
    ("Skogdagene 2021", "Report", "title", 1),
    ("St.meld. nr. 15 (2012–2013)", "Report", "document", 1),  # across the sentence splitter's cut
    ("eIDAS-forordningen", "Law", "law", 1),
    ("Skeiv Skog", "Agency", "name", 1),
    ("Enerhaugen skogkontor", "Agency", "name", 1),
    ("QQX", "Agency", "abbreviation", 2),
])
def test_candidates_each_shape_with_a_guessed_type(found, name, typ, shape, count):
    c = found[name]
    assert (c.type, c.shape, c.count) == (typ, shape, count)
    assert c.measures == ("3",) and name.split()[0] in c.sentence


def test_candidates_of_text_no_layout_fits_have_no_measure(prose):
    candidates, whole_text = candidates_in_files([prose], load_knowledge())
    assert whole_text == [prose]
    assert {c.name for c in candidates} >= {"Skeiv Verden Norge", "Skeiv Skog", "QQX"}
    assert all(c.measures == () for c in candidates)


def test_candidates_definition_carries_its_abbreviation(found):
    assert found["Skeiv Verden Norge"].aliases == ("SVN",)
    assert "SVN" not in found


def test_candidates_leave_out_known_names_and_sentence_openers(found):
    assert not {"Bufdir", "Helsedirektoratet", "Rapporten", "Arbeidet", "Tiltak", "Ansvarlig"} & set(found)
    assert "Innst. 12 S (2019–2020)" not in found  # the patterns find it
    assert len(found) == 7


def test_candidates_most_frequent_first(page):
    candidates, _ = candidates_in_files([page], load_knowledge())
    counts = [c.count for c in candidates]
    assert counts == sorted(counts, reverse=True) and candidates[0].name == "Skeiv Verden Norge"


def test_candidates_of_a_parsed_report_name_their_measures():
    report, known_layout = read_any_report(GOLDEN / "mini-report.txt")
    assert known_layout
    candidates, whole_text = candidates_in_files([GOLDEN / "mini-report.txt"], load_knowledge())
    assert whole_text == [] and all(c.measures for c in candidates)
    # what the patterns already found ("Si fra!", «Trygg i barnehagen») is no candidate
    assert not {"Si fra!", "Trygg i barnehagen", "Universitetet i Tromsø"} & {c.name for c in candidates}


def test_candidates_jsonl_feeds_back_as_knowledge(page, tmp_path, capsys):
    out = tmp_path / "mine.jsonl"
    assert main(["candidates", str(page), "--format", "jsonl", "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines == knowledge_lines(candidates_in_files([page], load_knowledge())[0])
    entries, _ = load_user_gazetteer(out)  # the knowledge-file schema, as it is
    assert {e.canonical for e in entries} >= {"Skeiv Skog", "eIDAS-forordningen", "QQX"}
    merged, _ = user_knowledge([page], [out])
    after, _ = candidates_in_files([page], merged)
    assert after == []
    entities = {e.pref_label: e for e in extract(read_any_report(page)[0], merged).entities}
    assert entities["Skeiv Verden Norge"].type == "Agency"
    assert "SVN" in entities["Skeiv Verden Norge"].alt_labels


def test_candidates_cli_text_and_whole_text_notice(prose, tmp_path, capsys):
    folder = tmp_path / "plan"
    folder.mkdir()
    shutil.copy(prose, folder / "skog.txt")
    (folder / "knowledge").mkdir()
    (folder / "knowledge" / "mine.jsonl").write_text('{"type": "Agency", "name": "Skeiv Skog"}\n', encoding="utf-8")
    assert main(["candidates", str(folder / "skog.txt"), "--top", "2"]) == 0
    captured = capsys.readouterr()
    assert "no layout fits; read as whole text" in captured.err and "2 candidates" in captured.err
    assert captured.out.splitlines()[0].split() == ["3", "Agency", "Skeiv", "Verden", "Norge", "(SVN)"]
    assert main(["candidates", str(folder / "skog.txt")]) == 0
    names = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("      ")]
    assert len(names) == 6 and not any(line.endswith("Skeiv Skog") for line in names)  # knowledge/ is read
    assert main(["candidates", str(prose), "--format", "xml"]) == 2


def test_candidates_read_the_opening_outside_the_measures(tmp_path):
    # The plan's name stands in the page's opening, before any measure; a heading in capitals
    # there is page furniture, not names.
    path = tmp_path / "opening.txt"
    path.write_text("Status for Handlingsplan mot skogbrann (2021–2024)\nNORSK SKOGVERN STATUS TABELL\n\n"
                    "Tiltak 1: Skogvern\nAnsvarlig: Bufdir\nSkogforum Nord har deltatt.\n", encoding="utf-8")
    report, known_layout = read_any_report(path)
    assert known_layout and [m.measure_id for m in report.measures if m.number] == ["1"]
    found = {e.pref_label: e.type for e in extract(report, load_knowledge()).entities}
    assert found.get("Handlingsplan mot skogbrann (2021–2024)") == "Plan"
    candidates, _ = candidates_in_files([path], load_knowledge())
    assert [(c.name, c.measures) for c in candidates] == [("Skogforum Nord", ("1",))]


def test_candidates_a_name_followed_by_i_takes_a_place_not_a_clause(tmp_path):
    path = tmp_path / "i.txt"
    path.write_text("Tiltak 1: Kurs\nAnsvarlig: KD\nKunnskapsdepartementet har gitt Skoledirektoratet i oppdrag å "
                    "lage eit kurs. Statskontoret i Vestland og Troms deltok.\n", encoding="utf-8")
    names = {c.name for c in candidates_in_files([path], load_knowledge())[0]}
    assert "Statskontoret i Vestland" in names
    assert not any("oppdrag" in n for n in names)  # was "Skoledirektoratet i oppdrag å lage eit kurs"
