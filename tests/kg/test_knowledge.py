"""The knowledge files are data, validated when loaded: a bad line names its file and line."""

from __future__ import annotations

import json

import pytest

from tiltaksgraf.errors import DataError
from tiltaksgraf.extract.gazetteer import DATA_DIR, load_gazetteer, load_knowledge, load_patterns
from tiltaksgraf.extract.relation_rules import load_rules
from tiltaksgraf.extract.resolve import fold

GOOD = {"key": "bufdir", "type": "Agency", "canonical": "Barne-, ungdoms- og familiedirektoratet", "aliases": ["Bufdir"]}


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
     "unknown key 'regx' in a collaboration trigger line; the keys allowed are id, kind, note, regex, shape"),
    ('{"id": "x", "kind": "commission", "regex": "a", "contractor": "behind"}',
     "contractor 'behind' is not one of after, before, inside"),
    ('{"id": "x", "kind": "commission", "regex": "a"}', "a commission trigger line needs contractor"),
    ('{"id": "x", "kind": "colaboration", "regex": "a"}', "kind 'colaboration' is not one of collaboration"),
    ('{"pattern": "amont", "regex": "a"}', "pattern 'amont' is not one of amount"),
    ('{"units": {"mill.": 1e6}, "unit": 1}', "unknown key 'unit' in a units line"),
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
