"""The stable keys: the one way an entity key is minted from a name (pattern-found entities, and
the user's knowledge-file entries that leave ``key`` out), so the same name always gets the same
key; and the keys of mentions and relations that corrections name.

Input: a name and its entity type; a plan key and its mentions or relations. Output: strings.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from tiltaksgraf.graph.iri import slug
from tiltaksgraf.records import (
    Collaboration, CoMention, Commission, Consultation, CrossReference, EntityType, Mention, Relation)


def clean_label(surface: str) -> str:
    """A surface form as a label: line breaks and runs of blanks folded to one space, and a name
    the PDF broke at its hyphen joined again ("FamilieForSK- studien"; not "helse- og omsorg")."""
    label = re.sub(r"\s+", " ", surface).strip()
    return re.sub(r"(?<=\w)- (?!(?:og|eller|samt|til)\b)(?=[a-zæøå])", "-", label)


def mint_key(name: str, label: EntityType) -> str:
    """The entity key of ``name``: "Prop. 73 L (2016–2017)" ≡ "Prop 73 L", a plan's years dropped,
    a law's genitive dropped."""
    base = re.sub(r"^(?:https?://)?www\.", "", clean_label(name), flags=re.IGNORECASE)
    # "Prop. 73 L (2016–2017)" ≡ "Prop 73 L"; "Handlingsplan mot X (2021–2024)" ≡ "handlingsplan mot X"
    base = re.sub(r"\s*\(\s*\d{4}\s*[-–]\s*\d{4}\s*\)$", "", base)
    if label in ("Law", "Report"):
        base = re.sub(r"[’']?s$", "", base) if re.search(r"(loven|lova)[’']?s$", base) else base
        base = re.sub(r"^(Prop|Innst|Meld|St)\.?", r"\1", base)
    return slug(base)


# --- stable keys of mentions and relations (what a correction names) --------------------------
# Built from what the text says (plan, measure, words, parties), not from offsets, so editing
# another part of a report leaves them unchanged; a repeat within one measure gets "/2", "/3" ….


def mention_keys(plan_key: str, mentions: Iterable[Mention]) -> dict[Mention, str]:
    """``"plan/12/bufdir"`` for the first "Bufdir" of measure 12, ``"plan/12/bufdir/2"`` for the next."""
    out: dict[Mention, str] = {}
    seen: Counter[str] = Counter()
    for m in sorted(mentions, key=lambda m: (m.measure, m.start, m.end)):
        base = f"{plan_key}/{m.measure}/{slug(clean_label(m.surface))}"
        seen[base] += 1
        out[m] = base if seen[base] == 1 else f"{base}/{seen[base]}"
    return out


def relation_identity(rel: Relation) -> tuple[str, ...]:
    """What tells two relations of one kind, sentence and rule apart: their parties (and sum)."""
    if isinstance(rel, Collaboration):
        return rel.partners
    if isinstance(rel, CoMention):
        return rel.agencies
    if isinstance(rel, Consultation):
        return (rel.consulter or "", *rel.consulted)
    if isinstance(rel, Commission):
        return (rel.contractor, rel.commissioner or "")
    if isinstance(rel, CrossReference):
        return (str(rel.measure), str(rel.to_measure))
    return (rel.funder or "", *rel.recipients, *((str(rel.amount_nok),) if rel.amount_nok else ()))


def relation_keys(plan_key: str, relations: Iterable[Relation]) -> dict[Relation, str]:
    """``"collaboration/plan/12/bufdir+politiet"``: kind, plan, measure and parties (empty roles as "-")."""
    out: dict[Relation, str] = {}
    seen: Counter[str] = Counter()
    for rel in sorted(relations, key=lambda r: (r.measure, r.evidence.start, r.kind, r.rule_id)):
        parties = "+".join(p or "-" for p in relation_identity(rel))
        base = f"{rel.kind}/{plan_key}/{rel.measure}/{parties}"
        seen[base] += 1
        out[rel] = base if seen[base] == 1 else f"{base}/{seen[base]}"
    return out
