"""The user's own knowledge files (``--knowledge``, ``knowledge/*.jsonl``): validated line by line
with errors that name the file, the line, the entry and the keys allowed; entries add to or
override the bundled gazetteer by key; the build says how many entries came from where."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import SKOS

from tiltaksgraf.cli import main
from tiltaksgraf.errors import DataError, InputError
from tiltaksgraf.extract.gazetteer import (
    knowledge_files, load_knowledge, load_user_gazetteer, user_knowledge, with_user_knowledge)
from tiltaksgraf.extract.keys import mint_key
from tiltaksgraf.extract.schemas import UserGazetteerLine
from tiltaksgraf.pipeline import build, extract_file

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
GOOD = {"type": "Agency", "name": "Folkehelseinstituttet for skog", "aliases": ["FHIS"]}
ALLOWED = ", ".join(UserGazetteerLine.model_fields)


def _write(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("bad, entry, message", [
    ({**GOOD, "aliase": ["X"]}, "Folkehelseinstituttet for skog", "unknown key 'aliase'"),
    ({"name": "Skogetaten"}, "Skogetaten", "type is missing"),
    ({**GOOD, "type": "Person"}, "Folkehelseinstituttet for skog", "type 'Person' is not one of Agency"),
    ({**GOOD, "canonical": "Skogetaten"}, "Folkehelseinstituttet for skog", "not both"),
    ({"type": "Agency", "aliases": ["SE"], "key": "skogetaten"}, "skogetaten", "not neither"),
    ({**GOOD, "name": " "}, None, "the name must be a non-empty string"),
    ({**GOOD, "key": "Skog Etaten"}, "Skog Etaten", "key 'Skog Etaten' must be a lowercase slug"),
    ({**GOOD, "aliases": "FHIS"}, "Folkehelseinstituttet for skog", "aliases must be a list"),
    ({**GOOD, "aliases": [""]}, "Folkehelseinstituttet for skog", "aliases must be a list of non-empty strings"),
    ({**GOOD, "aliases": ["FHIS2"]}, "Folkehelseinstituttet for skog", "is already used on line 1"),
    ({**GOOD, "case": "exakt"}, "Folkehelseinstituttet for skog", "case 'exakt' is not one of 'exact'"),
    ("{not json", None, "not valid JSON"),
    ('["a list"]', None, "each line must be a JSON object"),
])
def test_user_knowledge_bad_line_names_file_line_entry_and_keys(tmp_path, bad, entry, message):
    path = _write(tmp_path / "mine.jsonl", [GOOD, bad])
    with pytest.raises(DataError) as error:
        load_user_gazetteer(path)
    text = str(error.value)
    assert f"{path}:2:" in text and message in text
    if entry is not None:
        assert f"entry {entry!r}" in text
    if isinstance(bad, dict):
        assert f"the keys allowed: {ALLOWED}" in text


def test_user_knowledge_unknown_parent_names_its_file_and_line(tmp_path):
    path = _write(tmp_path / "mine.jsonl", [GOOD, {**GOOD, "name": "Skogetaten", "aliases": [], "parent": "nope"}])
    with pytest.raises(DataError, match="parent 'nope' is not a gazetteer key") as error:
        with_user_knowledge(load_knowledge(), [path])
    assert f"{path}:2:" in str(error.value)


def test_user_knowledge_key_is_minted_from_the_name_like_a_found_entity(tmp_path):
    path = _write(tmp_path / "mine.jsonl", [{"type": "Law", "name": "Skogloven", "aliases": ["skoglova"]}])
    (entry,), lines = load_user_gazetteer(path)
    assert entry.key == mint_key("Skogloven", "Law") == "skogloven"
    assert entry.aliases == ("Skogloven", "skoglova") and lines == {"skogloven": 1}


def test_user_knowledge_adds_and_overrides_by_key(tmp_path):
    first = _write(tmp_path / "a.jsonl", [{"key": "bufdir", "type": "Agency", "name": "Bufdir (mitt navn)",
                                          "aliases": ["Bufdir"]}, GOOD])
    second = _write(tmp_path / "b.jsonl", [{**GOOD, "aliases": ["FHIS", "Skoginstituttet"]}])
    merged, sources = with_user_knowledge(load_knowledge(), [first, second])
    bundled = len(load_knowledge().gazetteer)
    by_key = merged.by_key()
    assert by_key["bufdir"].canonical == "Bufdir (mitt navn)"
    assert by_key[mint_key(GOOD["name"], "Agency")].aliases[-1] == "Skoginstituttet"
    assert len(merged.gazetteer) == bundled + 1
    assert [(s.name, s.added, s.overridden) for s in sources] == [
        ("bundled", bundled, 0), (str(first), 1, 1), (str(second), 0, 1)]


def test_user_knowledge_changes_what_the_extractor_finds(tmp_path):
    """An entity the patterns found becomes the user's (their name, type, aliases); a name nobody
    found before is now found."""
    path = _write(tmp_path / "mine.jsonl", [
        {"type": "Agency", "name": "Universitetet i Tromsø", "aliases": ["UiT Norges arktiske universitet"]},
        {"type": "Programme", "name": "Tilsynet med helsetjenesten", "key": "tilsynsprogrammet"},
    ])
    merged, _ = user_knowledge([], [path])
    before = {e.key: e for e in extract_file(GOLDEN / "mini-report.txt").entities}
    after = {e.key: e for e in extract_file(GOLDEN / "mini-report.txt", knowledge=merged).entities}
    assert before["universitetet-i-tromso"].source == "pattern"
    assert after["universitetet-i-tromso"].source == "gazetteer"
    assert "UiT Norges arktiske universitet" in after["universitetet-i-tromso"].alt_labels
    assert "tilsynsprogrammet" not in before and after["tilsynsprogrammet"].type == "Programme"


def test_user_knowledge_folder_beside_the_reports_then_given_files(tmp_path):
    report = tmp_path / "plan" / "report.txt"
    report.parent.mkdir()
    shutil.copy(GOLDEN / "mini-report.txt", report)
    found = [_write(tmp_path / "plan" / "knowledge" / n, [GOOD]) for n in ("b.jsonl", "a.jsonl")]
    _write(tmp_path / "plan" / "knowledge" / "notes.txt", ["not read"])
    given = _write(tmp_path / "given.jsonl", [GOOD])
    assert knowledge_files([report], [given]) == [found[1], found[0], given.resolve()]
    with pytest.raises(InputError, match="no such knowledge file"):
        knowledge_files([report], [tmp_path / "missing.jsonl"])


def test_user_knowledge_build_reports_where_entries_came_from(tmp_path, capsys):
    report = tmp_path / "report.txt"
    shutil.copy(GOLDEN / "mini-report.txt", report)
    _write(tmp_path / "knowledge" / "agencies.jsonl",
           [{"type": "Agency", "name": "Universitetet i Tromsø"}])
    # "Htil" is learned from the report's glossary; the user's entry of that key wins.
    mine = _write(tmp_path / "mine.jsonl", [{"key": "htil", "type": "Agency", "name": "Helsetilsynet"},
                                            {"key": "universitetet-i-tromso", "type": "Agency", "name": "UiT"}])
    result = build([report], tmp_path / "out", write_views=False, knowledge=[mine])
    assert [(s.added, s.overridden) for s in result.knowledge[1:]] == [(1, 0), (1, 1)]
    graph = Graph().parse(tmp_path / "out" / "graph.ttl")
    labels = {str(o) for s, o in graph.subject_objects(SKOS.prefLabel)}
    assert {"Helsetilsynet", "UiT"} <= labels and "Statens helsetilsyn" not in labels

    assert main(["build", str(report), "-o", str(tmp_path / "out2"), "--no-views", "--knowledge", str(mine)]) == 0
    printed = " ".join(capsys.readouterr().err.split())
    assert f"knowledge: bundled: {len(load_knowledge().gazetteer)} entries;" in printed
    assert "agencies.jsonl: 1 entries" in printed and "mine.jsonl: 2 entries (1 new, 1 overriding)" in printed

    assert main(["build", str(report), "-o", str(tmp_path / "out3"), "--knowledge", str(tmp_path / "no.jsonl")]) == 1
    assert "no such knowledge file" in capsys.readouterr().err
    assert not (tmp_path / "out3").exists()
