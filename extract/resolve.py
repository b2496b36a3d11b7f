"""Stage 4a, resolve: mentions → one ``Entity`` per real-world thing.

A gazetteer or learned match already carries its entity key. A generic pattern's match is
folded (case, blanks, dashes, genitive and definite endings) and looked up among every known
label; only when nothing is known under that name does it become a new entity, keyed by its
folded form. The ANSVAR codes resolve the same way, to the responsible ministries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from typing import NamedTuple

from tiltaksgraf.extract.components import respell
from tiltaksgraf.extract.gazetteer import GazetteerEntry, Knowledge
from tiltaksgraf.extract.keys import clean_label, mint_key
from tiltaksgraf.extract.nlp import SegmentAnalysis
from tiltaksgraf.graph.iri import slug
from tiltaksgraf.names import fold  # the one rule for comparing names (also used by evaluate)
from tiltaksgraf.records import Entity, EntityType, Mention, Report

ALL_MINISTRIES = "ALLE"
_GENITIVE = ("’s", "'s", "s", "'", "’")
_DEFINITE = ("enes", "ene", "en", "et")


class Resolver:
    def __init__(self, knowledge: Knowledge, learned: tuple[GazetteerEntry, ...] = ()) -> None:
        # On a shared key the gazetteer's entry (bundled, or the user's override) beats one learned from the text.
        self.entries = {e.key: e for e in learned + knowledge.gazetteer}
        self.nynorsk_forms = knowledge.nynorsk_forms
        self.by_label: dict[str, str] = {}
        for entry in knowledge.gazetteer + learned:
            for alias in entry.aliases:
                self.by_label.setdefault(fold(alias), entry.key)

    def key_for(self, surface: str, label: EntityType, rule_id: str) -> str:
        if rule_id in self.entries:
            return rule_id
        bokmal = self.bokmal(surface)
        for candidate in _base_forms(surface) + (_base_forms(bokmal) if bokmal != surface else []):
            key = self.by_label.get(fold(candidate))
            if key is not None and self.entries[key].type == label:
                return key
        return mint_key(bokmal, label)

    def bokmal(self, surface: str) -> str:
        """A Nynorsk name in its Bokmål form ("spesialisthelsetenestelova" → "spesialisthelsetjenesteloven"),
        so both find one node; a Bokmål name comes back unchanged."""
        return respell(surface, self.nynorsk_forms)

    def ministry_key(self, code: str, glossary: dict[str, str]) -> str:
        if code.upper() == ALL_MINISTRIES:
            code = ALL_MINISTRIES
        key = self.by_label.get(fold(code))
        if key is not None and self.entries[key].type == "Agency":
            return key
        return slug(code)


def _base_forms(surface: str) -> list[str]:
    """'Helsedirektoratets' → ['Helsedirektoratets', 'Helsedirektoratet', …]."""
    forms = [surface, re.sub(r"^(?:https?://)?www\.", "", surface, flags=re.IGNORECASE)]
    for suffix in _GENITIVE:
        if surface.endswith(suffix) and len(surface) > len(suffix) + 2:
            forms.append(surface[: -len(suffix)])
    for form in list(forms):
        for suffix in _DEFINITE:
            if form.endswith(suffix) and len(form) > len(suffix) + 3:
                forms.append(form[: -len(suffix)])
    head, _, rest = surface.partition(" ")
    if rest:
        # "Rammeplanen for barnehagen" is "Rammeplan for barnehagen"; "Organisasjonen Stine Sofies
        # Stiftelse" is "Stine Sofies Stiftelse" (a definite kind-noun before a name)
        for suffix in ("en", "et", "ene"):
            if head.endswith(suffix) and len(head) > len(suffix) + 3:
                forms.append(f"{head[: -len(suffix)]} {rest}")
                if rest[:1].isupper():
                    forms.append(rest)
    return forms


class Resolution(NamedTuple):
    """What ``resolve`` returns; a named tuple, so ``mentions, entities, responsible = …`` still works."""

    mentions: list[Mention]  # with their entity keys
    entities: list[Entity]  # one per key, sorted by key
    responsible: dict[int, list[str]]  # measure number → responsible ministries' entity keys


def resolve(report: Report, analyses: list[SegmentAnalysis], knowledge: Knowledge,
            learned: tuple[GazetteerEntry, ...]) -> Resolution:
    """The report's mentions resolved to entities, the entities, and each measure's ministries."""
    resolver = Resolver(knowledge, learned)
    mentions: list[Mention] = []
    surfaces: dict[str, list[str]] = defaultdict(list)
    types: dict[str, EntityType] = {}
    rules: dict[str, str] = {}
    for analysis in analyses:
        for m in analysis.mentions:
            key = resolver.key_for(m.name or m.surface, m.label, m.rule_id)
            mentions.append(replace(m, entity_key=key))
            surfaces[key].append(clean_label(m.name or m.surface))
            types.setdefault(key, m.label)
            rules.setdefault(key, m.rule_id)
    responsible: dict[int, list[str]] = {}
    glossary = report.glossary_map()
    for measure in report.measures:
        keys = [resolver.ministry_key(code, glossary) for code in measure.ministries]
        responsible[measure.number] = keys
        for code, key in zip(measure.ministries, keys):
            surfaces[key].append(code)
            types.setdefault(key, "Agency")
    entities = [_entity(key, types[key], surfaces[key], resolver, glossary) for key in sorted(surfaces)]
    return Resolution(mentions, entities, responsible)


def _entity(key: str, typ: EntityType, seen: list[str], resolver: Resolver, glossary: dict[str, str]) -> Entity:
    entry = resolver.entries.get(key)
    if entry is not None:
        labels = [*entry.aliases, *seen]
        return Entity(key, entry.type, entry.canonical, _alt_labels(entry.canonical, labels), "gazetteer",
                      entry.org_number if entry.type == "Agency" else None)
    # A pattern-found name, or an ANSVAR code nobody knows: the fullest form seen is its name.
    code = seen[0]
    pref = glossary.get(code, max(seen, key=lambda s: (len(s), s)))
    if not re.search(r"\.\w{2,3}(/|$)", pref):  # a web address keeps its case
        pref = pref[:1].upper() + pref[1:]
    return Entity(key, typ, pref, _alt_labels(pref, seen), "pattern")


def _alt_labels(pref: str, labels: list[str]) -> tuple[str, ...]:
    out = dict.fromkeys(label for label in labels if label != pref)
    return tuple(out)
