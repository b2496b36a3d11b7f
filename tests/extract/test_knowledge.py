"""The knowledge files are data, validated when loaded: a bad line names its file and line."""

from __future__ import annotations

import json

import pytest

from tiltaksgraf.errors import DataError
from tiltaksgraf.extract.gazetteer import DATA_DIR, load_gazetteer, load_knowledge, load_patterns
from tiltaksgraf.extract.relation_rules import load_rules
from tiltaksgraf.extract.resolve import fold

GOOD = {"key": "bufdir", "type": "Agency", "canonical": "Barne-, ungdoms- og familiedirektoratet",
        "aliases": ["Bufdir"]}


def _write(tmp_path, rows):
    path = tmp_path / "gazetteer.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("bad, message", [
    ({**GOOD, "key": "Bufdir"}, "must be a lowercase slug"),
    ({**GOOD, "key": "other", "type": "Person"}, "is not one of Agency"),
    ({**GOOD, "key": "other", "canonical": ""}, "canonical must be a non-empty string"),
    ({**GOOD, "key": "other", "aliases": "Bufdir"}, "aliases must be a list"),
    (GOOD, "is already used on line 1"),
    ("{not json", "not valid JSON"),
])
def test_knowledge_bad_gazetteer_line_is_named(tmp_path, bad, message):
    path = _write(tmp_path, [GOOD, bad])
    with pytest.raises(DataError) as error:
        load_gazetteer(path)
    assert message in str(error.value) and f"{path}:2:" in str(error.value)


def test_knowledge_bad_pattern_is_named(tmp_path):
    path = tmp_path / "patterns.jsonl"
    path.write_text('{"id": "x", "label": "Law", "pattern": 42}\n', encoding="utf-8")
    with pytest.raises(DataError, match="pattern must be a token list or a phrase"):
        load_patterns(path)


def test_knowledge_bad_trigger_regex_is_named(tmp_path):
    path = tmp_path / "relations.jsonl"
    path.write_text('{"id": "x", "kind": "collaboration", "shape": "with", "regex": "("}\n', encoding="utf-8")
    with pytest.raises(DataError, match="bad regex"):
        load_rules.__wrapped__(path)


@pytest.mark.parametrize("bad, message", [
    ('{"id": "x", "kind": "collaboration", "shape": "with", "regx": "a"}',
     "unknown key 'regx'; the keys allowed: id, kind, regex, note, shape"),
    ('{"id": "x", "kind": "commission", "regex": "a", "contractor": "behind"}',
     "contractor 'behind' is not one of 'before', 'after' or 'inside'"),
    ('{"id": "x", "kind": "commission", "regex": "a"}',
     "contractor is missing (the keys: id, kind, regex, note, contractor, commissioner)"),
    ('{"id": "x", "kind": "colaboration", "regex": "a"}', "kind 'colaboration' is not one of collaboration"),
    ('{"pattern": "amont", "regex": "a"}', "pattern 'amont' is not one of 'amount', 'year'"),
    ('{"units": {"mill.": 1e6}, "unit": 1}', "unknown key 'unit'; the keys allowed: units, note"),
])
def test_knowledge_bad_relation_rule_names_file_line_and_allowed_keys(tmp_path, bad, message):
    bundled = (DATA_DIR / "relations.jsonl").read_text(encoding="utf-8")
    path = tmp_path / "relations.jsonl"
    path.write_text(bundled + bad + "\n", encoding="utf-8")
    line = len(bundled.splitlines()) + 1
    with pytest.raises(DataError) as error:
        load_rules.__wrapped__(path)
    assert message in str(error.value) and f"{path}:{line}:" in str(error.value)


def test_knowledge_relation_rules_missing_a_named_pattern_are_refused(tmp_path):
    path = tmp_path / "relations.jsonl"
    path.write_text('{"id": "x", "kind": "funding", "regex": "kroner"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="the named patterns .*amount.* are missing"):
        load_rules.__wrapped__(path)


def test_knowledge_bundled_files_load_and_no_alias_names_two_entities():
    knowledge = load_knowledge()
    assert len(knowledge.gazetteer) > 250 and knowledge.patterns and knowledge.type_heads
    owners: dict[str, str] = {}
    for entry in knowledge.gazetteer:
        for alias in entry.aliases:
            assert owners.setdefault(fold(alias), entry.key) == entry.key, f"{alias!r} names two entities"


# --- the schemas (extract/schemas.py): unknown keys, wrong types, unknown choices, by file:line ---


@pytest.mark.parametrize("bad, message", [
    ({**GOOD, "key": "other", "aliase": ["x"]},
     "unknown key 'aliase'; the keys allowed: key, type, canonical, aliases, parent, case, org_number, note"),
    ({**GOOD, "key": "other", "aliases": ["x", 3]}, "aliases.1 must be a string, not int 3"),
    ({**GOOD, "key": "other", "case": "exakt"}, "case 'exakt' is not one of 'exact'"),
    ({**GOOD, "key": "other", "parent": 3}, "parent must be a string"),
    ({k: v for k, v in {**GOOD, "key": "other"}.items() if k != "canonical"}, "canonical is missing"),
    ({**GOOD, "key": 7}, "key must be a string, not int 7"),
])
def test_knowledge_schema_rejects_bad_gazetteer_lines(tmp_path, bad, message):
    path = _write(tmp_path, [GOOD, bad])
    with pytest.raises(DataError) as error:
        load_gazetteer(path)
    assert f"{path}:2: {message}" in str(error.value)


PATTERN = {"id": "x", "label": "Law", "pattern": [{"LOWER": "lov"}]}


@pytest.mark.parametrize("bad, message", [
    ({**PATTERN, "extend": "titel"}, "extend 'titel' is not one of 'title'"),
    ({**PATTERN, "Label": "Law"}, "unknown key 'Label'; the keys allowed: id, label, pattern, extend, note"),
    ({**PATTERN, "pattern": [1]}, "pattern.0 must be an object, not int 1"),
    ({**PATTERN, "pattern": 42}, "pattern must be a token list or a phrase, not int 42"),
    ({"type_heads": {"lov": 3}}, "type_heads.lov must be a string, not int 3"),
    ({"type_heads": {"lov": "Person"}}, "type 'Person' is not one of Agency"),
    ({"title_stop_words": "ble"}, "title_stop_words must be a list, not str 'ble'"),
])
def test_knowledge_schema_rejects_bad_pattern_lines(tmp_path, bad, message):
    path = tmp_path / "patterns.jsonl"
    path.write_text("// a comment\n" + json.dumps({**PATTERN, "id": "ok"}) + "\n" + json.dumps(bad) + "\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_patterns(path)
    assert f"{path}:3: {message}" in str(error.value)


def test_knowledge_schema_extend_title_is_read(tmp_path):
    path = tmp_path / "patterns.jsonl"
    path.write_text(json.dumps({**PATTERN, "extend": "title"}) + "\n", encoding="utf-8")
    (pattern,), _heads, _stops = load_patterns(path)
    assert pattern.extend == "title"


def test_knowledge_schema_helper_validates_any_file(tmp_path):
    """The loader's API for another knowledge file (relations.jsonl): declare its line, read it."""
    from typing import Literal

    from tiltaksgraf.extract.schemas import KnowledgeLine, read_lines

    class TriggerLine(KnowledgeLine):
        id: str
        kind: Literal["collaboration", "commission", "funding"]
        regex: str

    path = tmp_path / "relations.jsonl"
    path.write_text('{"id": "a", "kind": "funding", "regex": "x"}\n{"id": "b", "kind": "fundng", "regex": "x"}\n',
                    encoding="utf-8")
    with pytest.raises(DataError, match=r":2: kind 'fundng' is not one of 'collaboration', 'commission' or 'funding'"):
        read_lines(path, TriggerLine)
    path.write_text('{"id": "a", "kind": "funding", "regex": "x"}\n', encoding="utf-8")
    assert read_lines(path, TriggerLine) == [(1, TriggerLine(id="a", kind="funding", regex="x"))]
