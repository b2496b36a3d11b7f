"""The gazetteer's phrases tokenised once and kept on disk: the same rulers as spaCy's own
``add_patterns`` builds, and a cache that can only be missing entries, never wrong ones."""

from __future__ import annotations

import json

import pytest

from tiltaksgraf.extract import phrase_tokens
from tiltaksgraf.extract.components import CANDIDATES, _gazetteer_patterns, blank_norwegian, build_pipeline
from tiltaksgraf.extract.gazetteer import load_knowledge


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(phrase_tokens.CACHE_DIR_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _matcher_state(ruler):
    """What a span ruler matches phrases with: the phrase matcher's keys per label, the labels'
    names and ids, the patterns."""
    return ruler.phrase_matcher.__reduce__()[1][1], ruler._match_label_id_map, ruler.patterns


@pytest.mark.parametrize("cached", [False, True], ids=["cold-cache", "warm-cache"])
def test_phrase_rulers_are_what_spacy_add_patterns_builds(cache, cached):
    knowledge = load_knowledge()
    if cached:
        build_pipeline(knowledge)
    nlp = build_pipeline(knowledge)
    reference = blank_norwegian()
    for name, attr, exact in (("gazetteer_exact", "ORTH", True), ("gazetteer_folded", "LOWER", False)):
        nynorsk = () if exact else knowledge.nynorsk_forms
        patterns = _gazetteer_patterns(knowledge.gazetteer, exact=exact, nynorsk=nynorsk)
        ruler = reference.add_pipe("span_ruler", name=name, config={
            "spans_key": CANDIDATES, "overwrite": False, "phrase_matcher_attr": attr})
        with reference.select_pipes(enable=[]):
            ruler.add_patterns(patterns)
        assert _matcher_state(nlp.get_pipe(name)) == _matcher_state(ruler)


def test_phrase_cache_adds_what_it_lacks_and_keeps_what_it_has(cache):
    nlp = blank_norwegian()
    assert phrase_tokens.tokenised(nlp, ["RVTS-ene", "Prop. 66 L"]) == {
        "RVTS-ene": ("RVTS", "-", "ene"), "Prop. 66 L": ("Prop.", "66", "L")}
    [file] = cache.glob("phrase-tokens-*.json")
    assert set(json.loads(file.read_text("utf-8"))["phrases"]) == {"RVTS-ene", "Prop. 66 L"}
    assert phrase_tokens.tokenised(nlp, ["Bufdirs"]) == {"Bufdirs": ("Bufdirs",)}
    assert set(json.loads(file.read_text("utf-8"))["phrases"]) == {"RVTS-ene", "Prop. 66 L", "Bufdirs"}


def test_phrase_cache_of_another_tokenizer_is_not_read(cache):
    """The file is named by the tokenizer's rules: a tokenizer that splits otherwise has its own."""
    nlp = blank_norwegian()
    assert phrase_tokens.tokenised(nlp, ["RVTS-ene"]) == {"RVTS-ene": ("RVTS", "-", "ene")}
    other = blank_norwegian()
    other.tokenizer.add_special_case("RVTS-ene", [{"ORTH": "RVTS-ene"}])
    assert phrase_tokens.tokenizer_key(other) != phrase_tokens.tokenizer_key(nlp)
    assert phrase_tokens.tokenised(other, ["RVTS-ene"]) == {"RVTS-ene": ("RVTS-ene",)}
    assert len(list(cache.glob("phrase-tokens-*.json"))) == 2


@pytest.mark.parametrize("damage", ["", "{", '{"format": 1}', '{"format": 1, "tokenizer": "x", "phrases": {}}', "[]"])
def test_phrase_cache_damaged_is_tokenised_again(cache, damage):
    nlp = blank_norwegian()
    phrase_tokens.tokenised(nlp, ["RVTS-ene"])
    [file] = cache.glob("phrase-tokens-*.json")
    file.write_text(damage, encoding="utf-8")
    assert phrase_tokens.tokenised(nlp, ["RVTS-ene"]) == {"RVTS-ene": ("RVTS", "-", "ene")}
    assert json.loads(file.read_text("utf-8"))["phrases"] == {"RVTS-ene": ["RVTS", "-", "ene"]}


def test_phrase_cache_that_cannot_be_written_is_done_without(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(phrase_tokens.CACHE_DIR_ENV, str(blocker / "cache"))
    nlp = blank_norwegian()
    assert phrase_tokens.tokenised(nlp, ["RVTS-ene"]) == {"RVTS-ene": ("RVTS", "-", "ene")}


def test_phrase_cache_dir_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv(phrase_tokens.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert phrase_tokens.cache_dir() == tmp_path / "tiltaksgraf"
