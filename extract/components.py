"""The spaCy pipeline, assembled in one place: a blank nb pipeline whose tokenizer splits
hyphen and apostrophe suffixes off names ("TryggEst-modellen", "RVTS’enes"), a sentencizer,
two span rulers fed from the gazetteer (case-exact acronyms, case-folded names) and one from the
generic patterns. Every ruler writes into ``doc.spans[CANDIDATES]``; choosing among overlapping
candidates is the NLP stage's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, cast

from spacy.lang.nb import Norwegian, NorwegianDefaults
from spacy.language import Language
from spacy.pipeline import SpanRuler
from spacy.schemas import validate_token_pattern
from spacy.strings import get_string_id
from spacy.symbols import ORTH
from spacy.tokens import Doc
from spacy.vocab import Vocab

from tiltaksgraf.extract.gazetteer import GazetteerEntry, Knowledge, SpanPattern
from tiltaksgraf.extract.phrase_tokens import tokenised

CANDIDATES = "tg_candidates"

# Split "TryggEst-modellen" / "RVTS-ene" / "RVTS’enes" between a letter and a lowercase suffix,
# so that a name followed by a compound tail or an inflection is still the name's own token.
_EXTRA_INFIXES = (r"(?<=[A-Za-zÆØÅæøå])[-‐](?=[a-zæøå])", r"(?<=[A-Za-zÆØÅæøå])['’](?=[a-zæøå])")
# Norwegian inflections a name takes in running text: genitive, definite plural, with or without
# an apostrophe or hyphen.
_ACRONYM_SUFFIXES = ("s", "'", "’", "'s", "’s", "-s", "ene", "enes", "’ene", "’enes", "'ene", "'enes",
                     "-ene", "-enes", "en", "ens", "-en", "-ens", "’en", "'en", "i")
_WORD_SUFFIXES = ("s", "'", "’")


def is_acronym(alias: str) -> bool:
    """'NKVTS', 'Bufdir'? No: 'NKVTS', 'IMDi', 'UiA', 'KS' — 2+ capitals, short, one word."""
    return (" " not in alias and len(alias) <= 8 and sum(c.isupper() for c in alias) >= 2)


def alias_variants(alias: str) -> list[str]:
    """The alias and the inflected forms running text uses for it."""
    if is_acronym(alias):
        return [alias, *(alias + s for s in _ACRONYM_SUFFIXES)]
    if alias.endswith(("s", "x", "z")):
        return [alias, alias + "'", alias + "’"]
    return [alias, *(alias + s for s in _WORD_SUFFIXES)]


@lru_cache(maxsize=8192)  # each alias and its variants are spelt once per pipeline built
def nynorsk_spelling(name: str, forms: tuple[tuple[str, str], ...]) -> str:
    """A Bokmål name as Nynorsk writes it ("Statsforvalteren" → "Statsforvaltaren", "Nasjonalt
    kunnskapssenter om vold …" → "… om vald …", "krisesenterloven" → "krisesenterlova"): the word
    parts of ``forms`` (Nynorsk → Bokmål, ``patterns.jsonl``) read the other way. A name with no
    such part comes back unchanged."""
    return respell(name, tuple((nb, nn) for nn, nb in forms))


def respell(name: str, parts: tuple[tuple[str, str], ...]) -> str:
    """``name`` with each word part ``a`` of ``parts`` written ``b``: anywhere in a word, or, for
    ``("-a", "-b")``, at its end; a word's capital kept. Both directions between Nynorsk and
    Bokmål use it (``nynorsk_spelling`` here, ``Resolver.bokmal``)."""
    words = []
    touched = _parts_search(parts)
    for word in re.split(r"(\W+)", name):
        lower = word.lower()
        if touched(lower) is None:  # no part occurs in it: unchanged (one regex, not a test per part)
            words.append(word)
            continue
        for a, b in parts:
            if a.startswith("-") and lower.endswith(a[1:]) and len(lower) > len(a) + 2:
                lower = lower[: -len(a) + 1] + b.lstrip("-")
            elif not a.startswith("-") and a in lower:
                lower = lower.replace(a, b)
        if lower != word.lower() and word[:1].isupper():
            lower = lower[:1].upper() + lower[1:]
        words.append(word if lower == word.lower() else lower)
    return "".join(words)


@lru_cache(maxsize=8)
def _parts_search(parts: tuple[tuple[str, str], ...]) -> Callable[[str], re.Match | None]:
    """A search for any word part of ``parts`` (a suffix part without its "-") in a word: where
    it finds none, ``respell`` would change nothing."""
    return re.compile("|".join(re.escape(a[1:] if a.startswith("-") else a) for a, _b in parts) or "(?!)").search


def _gazetteer_patterns(entries: tuple[GazetteerEntry, ...], *, exact: bool,
                        nynorsk: tuple[tuple[str, str], ...] = ()) -> list[dict]:
    patterns = []
    for entry in entries:
        for alias in entry.aliases:
            wants_exact = entry.exact_case or is_acronym(alias)
            if wants_exact != exact:
                continue
            # Bokmål and, where it differs, the Nynorsk spelling: one node for both
            spellings = dict.fromkeys((alias, nynorsk_spelling(alias, nynorsk) if nynorsk else alias))
            for spelling in spellings:
                for variant in alias_variants(spelling):
                    patterns.append({"label": entry.type, "pattern": variant, "id": entry.key})
    return patterns


@Language.component("tg_number_period_boundaries")
def number_period_boundaries(doc: Doc) -> Doc:
    """The nb tokenizer keeps "2021." and "33." whole (they can be ordinals: "1. august"), so
    the sentencizer never ends a sentence there. A number or a period of years with a period,
    followed by a word that begins with a capital ("… i 2021. Htil og …", "… for 2020. HOD har …",
    "… 2017-2021. Det er …"), does end one."""
    for i in range(1, len(doc)):
        prev = doc[i - 1].text
        if prev.endswith(".") and _NUMBER_OR_PERIOD.fullmatch(prev[:-1]) and doc[i].text[:1].isupper():
            doc[i].is_sent_start = True
    return doc


_NUMBER_OR_PERIOD = re.compile(r"\d+(?:[-–]\d+)?")


# Abbreviations of Norwegian official documents the nb tokenizer does not know: kept whole so
# the sentencizer does not end a sentence in "Prop. 66 L" or "Meld. St. 21".
_ABBREVIATIONS = ("Prop.", "Meld.", "Innst.", "Dok.", "kap.", "pkt.", "Ot.prp.", "St.prp.", "mfl.", "m.fl.")


class _NorwegianDefaults(NorwegianDefaults):
    """nb's defaults plus our infixes and abbreviations, so that the tokenizer is made with them
    once: set on a made tokenizer, each reloaded its ~760 special cases (~0.015 s a pipeline)."""

    infixes = [*(NorwegianDefaults.infixes or ()), *_EXTRA_INFIXES]
    tokenizer_exceptions = {**NorwegianDefaults.tokenizer_exceptions, **{a: [{ORTH: a}] for a in _ABBREVIATIONS}}


class _Norwegian(Norwegian):
    Defaults = _NorwegianDefaults


def blank_norwegian() -> Language:
    nlp = _Norwegian()
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("tg_number_period_boundaries")
    return nlp


def build_pipeline(knowledge: Knowledge, extra_entries: tuple[GazetteerEntry, ...] = ()) -> Language:
    """The full pipeline; ``extra_entries`` are entities learned from the report itself
    (its glossary and the abbreviations it defines)."""
    nlp = blank_norwegian()
    entries = knowledge.gazetteer + extra_entries
    exact = _gazetteer_patterns(entries, exact=True)
    folded = _gazetteer_patterns(entries, exact=False, nynorsk=knowledge.nynorsk_forms)
    tokens = tokenised(nlp, (p["pattern"] for p in exact + folded))
    rulers = [
        ("gazetteer_exact", {"phrase_matcher_attr": "ORTH"}, exact),
        ("gazetteer_folded", {"phrase_matcher_attr": "LOWER"}, folded),
        ("patterns", {}, _token_patterns(nlp, knowledge.patterns)),
    ]
    for name, config, patterns in rulers:
        # The token patterns were validated in their written form by ``_token_patterns``; their
        # compiled form uses lexeme flags, which spaCy's pattern schema does not know.
        ruler = cast(SpanRuler, nlp.add_pipe("span_ruler", name=name, config={
            "spans_key": CANDIDATES, "validate": name != "patterns", "overwrite": False, **config}))
        if name == "patterns":
            # by default the ruler runs its patterns through every component before it
            with nlp.select_pipes(enable=[]):
                ruler.add_patterns(patterns)
        else:
            add_phrase_patterns(ruler, patterns, tokens)
    return nlp


def add_phrase_patterns(ruler: SpanRuler, patterns: list[dict], tokens: dict[str, tuple[str, ...]]) -> None:
    """``ruler.add_patterns(patterns)`` for phrase patterns whose ``tokens`` are known (see
    ``phrase_tokens``): the same bookkeeping, and each phrase goes to the phrase matcher as the
    hashes of its tokens' ORTH or LOWER, which is what the matcher reads from a ``Doc`` of it
    (tested) — without making that ``Doc`` and its words' lexemes, ~0.1 s for the gazetteer."""
    fold = ruler.phrase_matcher_attr == "LOWER"
    strings = ruler.nlp.vocab.strings
    # spaCy types ``add`` as taking Docs; it takes their key arrays too (its unpickling does)
    matcher: Any = ruler.phrase_matcher
    for entry in patterns:
        label = repr((entry["label"], entry.get("id", "")))
        ruler._match_label_id_map[strings.as_int(label)] = {"label": entry["label"], "id": entry.get("id", "")}
        ruler._patterns.append(entry)
        words = tokens[entry["pattern"]]
        keys = [get_string_id(w.lower() if fold else w) for w in words]
        matcher.add(label, [keys] if keys else [])  # an empty phrase matches nothing


# The pipeline of each Knowledge in use, built once per process (keyed by identity: Knowledge holds
# lists; the reference kept here also keeps its id from being reused). Building one spells and adds
# the gazetteer's ~5,000 phrase patterns (tokenised once, see ``phrase_tokens``) and compiles the
# generic ones, ~0.1 s, which a build of many reports paid per report.
_BASE_PIPELINES: dict[int, tuple[Knowledge, Language]] = {}
_MAX_BASE_PIPELINES = 2


@contextmanager
def report_pipeline(knowledge: Knowledge, learned: tuple[GazetteerEntry, ...]) -> Iterator[Language]:
    """The pipeline for one report: the process's pipeline for ``knowledge`` plus two rulers for
    the entities learned from the report, which are removed again on exit. Finds the same
    candidates as ``build_pipeline(knowledge, learned)`` (tested); not for use by two threads."""
    nlp = _base_pipeline(knowledge)
    added = []
    try:
        for name, after, config, exact in (
                ("learned_exact", "gazetteer_exact", {"phrase_matcher_attr": "ORTH"}, True),
                ("learned_folded", "gazetteer_folded", {"phrase_matcher_attr": "LOWER"}, False)):
            patterns = _gazetteer_patterns(learned, exact=exact, nynorsk=() if exact else knowledge.nynorsk_forms)
            if not patterns:
                continue
            ruler = cast(SpanRuler, nlp.add_pipe("span_ruler", name=name, after=after, config={
                "spans_key": CANDIDATES, "validate": True, "overwrite": False, **config}))
            added.append(name)
            with nlp.select_pipes(enable=[]):
                ruler.add_patterns(patterns)
        yield nlp
    finally:
        for name in added:
            nlp.remove_pipe(name)


def _base_pipeline(knowledge: Knowledge) -> Language:
    if id(knowledge) not in _BASE_PIPELINES:
        if len(_BASE_PIPELINES) >= _MAX_BASE_PIPELINES:
            del _BASE_PIPELINES[next(iter(_BASE_PIPELINES))]
        _BASE_PIPELINES[id(knowledge)] = (knowledge, build_pipeline(knowledge))
    return _BASE_PIPELINES[id(knowledge)][1]


def _token_patterns(nlp: Language, patterns: tuple[SpanPattern, ...]) -> list[dict]:
    """The span ruler's rows for the generic patterns, each ``REGEX``, ``IN`` or ``NOT_IN`` on
    ``TEXT`` or ``LOWER`` compiled to a lexeme flag. spaCy's matcher runs these predicates in
    Python for every token a pattern is tried at (the regexes ~0.3 s of the bundled report's
    build, the word sets a further ~0.02 s); a flag is computed once per distinct word and tested
    in C. Same matches: the flag tests the same string the predicate reads, in the same way."""
    errors = {p.id: validate_token_pattern(p.pattern) for p in patterns if not isinstance(p.pattern, str)}
    if bad := {pid: e for pid, e in errors.items() if e}:
        raise ValueError(f"invalid token patterns in patterns.jsonl: {bad}")
    flags = _allocate_flags(nlp, [p.pattern for p in patterns if not isinstance(p.pattern, str)])
    return [{"label": p.label, "id": p.id,
             "pattern": p.pattern if isinstance(p.pattern, str)
             else [_with_flags(token, flags) for token in p.pattern]}
            for p in patterns]


def _allocate_flags(nlp: Language, token_patterns: list[list[dict]]) -> dict[_FlagKey, int | None]:
    """A lexeme flag for each predicate one can stand for, while the vocabulary's flag bits last
    (about 40 are free; the patterns have more predicates): first for those on a pattern's first
    token, tried at every token of a text, then the second token's, and so on (a later token's
    are tried only where the ones before it matched). Past that, None: spaCy tests it itself."""
    position: dict[_FlagKey, int] = {}
    for pattern in token_patterns:
        for i, token in enumerate(pattern):
            for attr, value in token.items():
                key = _flag_key(attr, value)
                if key is not None:
                    position[key] = min(position.get(key, i), i)
    keys = sorted(position, key=position.__getitem__)  # stable: in the patterns' order within a position
    bits = add_flags(nlp.vocab, [_flag_getter(*key) for key in keys])
    return dict(zip(keys, bits))


def add_flags(vocab: Vocab, getters: list[Callable[[str], bool]]) -> list[int | None]:
    """``vocab.add_flag(getter)`` for each of ``getters`` while a flag bit is free (the same
    bits, lowest free first; None past the last), with one pass over the words already in the
    vocabulary instead of one per flag (~0.005 s for the patterns' flags)."""
    getter_of = vocab.lex_attr_getters  # type: ignore[attr-defined]  # a public attribute spaCy's stub omits
    bits: list[int | None] = []
    free = (bit for bit in range(1, 64) if bit not in getter_of)
    for getter in getters:
        bit = next(free, None)
        bits.append(bit)
        if bit is not None:
            getter_of[bit] = getter
    added = [(bit, getter) for bit, getter in zip(bits, getters) if bit is not None]
    for lex in vocab:
        text = lex.orth_
        for bit, getter in added:
            lex.set_flag(bit, getter(text))
    return bits


def _with_flags(token: dict, flags: dict[_FlagKey, int | None]) -> dict:
    """One pattern token with every ``{"TEXT"|"ORTH"|"LOWER": {"REGEX"|"IN"|"NOT_IN": …}}``
    replaced by its flag where ``flags`` has one (else as written, for spaCy to test)."""
    out: dict = {}
    for attr, value in token.items():
        key = _flag_key(attr, value)
        flag = None if key is None else flags.get(key)
        if flag is None:
            out[attr] = value
        else:
            out[flag] = True
    return out


# (the string tested: TEXT or LOWER, the predicate, its regex or its set of words)
_FlagKey = tuple[str, str, "str | frozenset[str]"]


def _flag_key(attr: str, value: object) -> _FlagKey | None:
    """What a flag must compute for ``{attr: value}``, or None when no flag can stand for it.
    ``IN`` and ``NOT_IN`` compare the token's ORTH or LOWER with the words as written (spaCy
    compares their hashes), so a flag tests the same string for membership."""
    if not (isinstance(value, dict) and len(value) == 1 and attr.upper() in ("TEXT", "ORTH", "LOWER")):
        return None
    ((predicate, operand),) = value.items()
    on = "LOWER" if attr.upper() == "LOWER" else "TEXT"
    if predicate == "REGEX" and isinstance(operand, str):
        return on, predicate, operand
    if predicate in ("IN", "NOT_IN") and isinstance(operand, list) and all(isinstance(v, str) for v in operand):
        return on, predicate, frozenset(operand)
    return None


def _flag_getter(attr: str, predicate: str, operand: str | frozenset[str]) -> Callable[[str], bool]:
    read: Callable[[str], str] = str.lower if attr == "LOWER" else str
    if isinstance(operand, frozenset):
        if predicate == "NOT_IN":
            return lambda text: read(text) not in operand
        return lambda text: read(text) in operand
    compiled = re.compile(operand)
    return lambda text: compiled.search(read(text)) is not None
