"""Stage 4b, anaphora: "senteret", "sentrene", "direktoratet" … → the agencies they stand for.

Input: the report, its analyses (sentences per segment), the resolved mentions and entities, and
the knowledge's ``anaphors`` (``ontology/patterns.jsonl``). Output: one more ``Mention`` per
agency such a noun stands for, at the noun's offsets (rule ``anaphor``), so that the relation
rules see the partners a sentence means: "NKVTS og RVTSene benytter … Sentrene samarbeider om …"
is a collaboration of NKVTS and RVTS.

The agencies are looked for before the noun, in its sentence and the two before it, within one
segment (a paragraph): a singular noun stands for the nearest agency whose name contains the
noun's head ("senteret" → NKVTS, "Nasjonalt kunnskapssenter …"); a plural one for the agencies
with that head in the nearest sentence that names two or more of them, or one in the plural
("RVTSene"). A noun with nothing to stand for is left alone: better no partner than a guessed one.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

from tiltaksgraf.extract.gazetteer import Anaphor
from tiltaksgraf.extract.nlp import SegmentAnalysis
from tiltaksgraf.names import fold
from tiltaksgraf.records import Entity, Mention, Report, Span

ANAPHOR_RULE = "anaphor"
SENTENCES_BACK = 2  # how far back in a paragraph a word that refers back reaches
_PLURAL_NAME = re.compile(r"[A-ZÆØÅ]{2,}[’'`]?(?:ene|ane|a)$")  # "RVTSene", "RVTS'ane"


def resolve_anaphors(report: Report, analyses: Sequence[SegmentAnalysis], mentions: Sequence[Mention],
                     entities: Iterable[Entity], anaphors: dict[str, Anaphor]) -> list[Mention]:
    """The mentions the anaphoric nouns of ``report`` add (see the module's docstring)."""
    if not anaphors:
        return []
    names = _agency_names(entities)
    nouns = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, anaphors), key=len, reverse=True)) + r")\b",
                       re.IGNORECASE)
    text = report.source.text
    agencies = sorted((m for m in mentions if m.entity_key in names and m.field != "section"), key=lambda m: m.start)
    agency_starts = [m.start for m in agencies]
    taken = sorted((m.start, m.end) for m in mentions)
    added: list[Mention] = []
    for analysis in analyses:
        sentences = analysis.sentences
        for i, sentence in enumerate(sentences):
            for hit in nouns.finditer(text, sentence.start, sentence.end):
                if _inside_a_name(taken, hit.start(), hit.end()):
                    continue
                window = sentences[max(0, i - SENTENCES_BACK):i] + (Span(sentence.start, hit.start()),)
                first, last = bisect_left(agency_starts, window[0].start), bisect_left(agency_starts, hit.start())
                before = [m for m in agencies[first:last] if m.end <= hit.start()]
                keys = _antecedents(before, window, names, anaphors[hit.group().lower()])
                added += [Mention(measure=analysis.measure, start=hit.start(), end=hit.end(), surface=hit.group(),
                                  label="Agency", entity_key=key, sentence=sentence, rule_id=ANAPHOR_RULE,
                                  field=analysis.segment.field) for key in keys]
    return added


def _agency_names(entities: Iterable[Entity]) -> dict[str, str]:
    """Each agency's names, folded and joined: where a noun's head is looked for."""
    return {e.key: " | ".join(fold(n) for n in (e.pref_label, *e.alt_labels)) for e in entities if e.type == "Agency"}


def _inside_a_name(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    """The noun is part of a name found already ("Senteret for …" as a title, say). Names do not
    overlap but may nest once (an agency inside a title): the two starting last before it tell."""
    k = bisect_right(taken, (start, end))
    return any(a <= start and end <= b for a, b in taken[max(0, k - 2):k])


def _antecedents(before: list[Mention], window: Sequence[Span], names: dict[str, str], anaphor: Anaphor) -> list[str]:
    """The agencies the noun stands for, nearest sentence first (see the module's docstring)."""
    fitting = [m for m in before if anaphor.head in names[m.entity_key]]
    if not anaphor.plural:
        return [fitting[-1].entity_key] if fitting else []
    for sentence in reversed(window):
        group = [m for m in fitting if sentence.start <= m.start < sentence.end]
        keys = list(dict.fromkeys(m.entity_key for m in group))
        if len(keys) >= 2 or (keys and any(_PLURAL_NAME.search(m.surface) for m in group)):
            return keys
    return []
