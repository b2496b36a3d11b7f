"""The corrections stage: a person's rejections, merges and retypes, applied between extraction
(resolve, relations) and graph build.

Input: ``Extraction`` records and a corrections file (JSON lines, ``schemas.CorrectionLine``):
``reject-mention`` / ``reject-relation`` name a ``tg:stableKey`` (``extract/keys``),
``reject-entity`` / ``merge`` / ``retype`` an entity key. Output: the corrected extractions and
one ``CorrectionOutcome`` per line, applied or not: a correction whose target no longer exists
is reported (and recorded in the graph as such), never silently dropped. ``graph/build`` records
each with PROV (who, when, why as given).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from tiltaksgraf.errors import DataError
from tiltaksgraf.extract.keys import mention_keys, relation_keys
from tiltaksgraf.extract.schemas import CorrectionLine, read_lines
from tiltaksgraf.records import (
    ENTITY_TYPES, Collaboration, CoMention, Commission, Consultation, CrossReference, Entity, EntityType, Extraction,
    Funding, Relation, Responsibility)

ENTITY_ACTIONS = ("reject-entity", "merge", "retype")


@dataclass(frozen=True)
class Correction:
    path: str
    line: int
    action: str
    target: str
    into: str | None = None
    type: EntityType | None = None
    by: str | None = None
    when: str | None = None
    why: str | None = None


@dataclass(frozen=True)
class CorrectionOutcome:
    correction: Correction
    applied: bool
    detail: str  # what happened, or why it could not ("no entity 'x' in the reports")


def load_corrections(path: Path) -> tuple[Correction, ...]:
    """The corrections of one file, checked: ``merge`` needs ``into``, ``retype`` a ``type`` of
    the entity types, ``when`` an ISO date; a bad line names its file and line."""
    out = []
    allowed = ", ".join(CorrectionLine.model_fields)
    for line, row in read_lines(path, CorrectionLine):
        def bad(message: str, line: int = line, row: CorrectionLine = row) -> DataError:
            return DataError(f"{row.action} {row.target!r}: {message}", path=str(path), line=line,
                             hint=f"the keys allowed: {allowed}")

        if not row.target.strip():
            raise bad("target must be a non-empty key")
        if (row.action == "merge") != (row.into is not None):
            raise bad("give into (the entity key that stays) with merge, and only with merge")
        if (row.action == "retype") != (row.type is not None):
            raise bad("give type with retype, and only with retype")
        if row.type is not None and row.type not in ENTITY_TYPES:
            raise bad(f"type {row.type!r} is not one of {', '.join(ENTITY_TYPES)}")
        if row.into is not None and row.into == row.target:
            raise bad("an entity cannot be merged into itself")
        if row.when is not None and not _iso(row.when):
            raise bad(f"when {row.when!r} is not an ISO date or date-time (2024-05-31 or 2024-05-31T14:00)")
        out.append(Correction(str(path), line, row.action, row.target.strip(), row.into, row.type,
                              row.by, row.when, row.why))
    return tuple(out)


def _iso(value: str) -> bool:
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(value)
            return True
        except ValueError:
            continue
    return False


def apply_corrections(extractions: Sequence[Extraction], corrections: Sequence[Correction]
                      ) -> tuple[list[Extraction], tuple[CorrectionOutcome, ...]]:
    """``extractions`` with ``corrections`` applied in file order, and what became of each."""
    current = list(extractions)
    outcomes = []
    for c in corrections:
        current, outcome = _apply_one(current, c)
        outcomes.append(outcome)
    return current, tuple(outcomes)


def _apply_one(extractions: list[Extraction], c: Correction) -> tuple[list[Extraction], CorrectionOutcome]:
    entity_keys = {e.key for ex in extractions for e in ex.entities}
    if c.action in ENTITY_ACTIONS and c.target not in entity_keys:
        return extractions, CorrectionOutcome(c, False, f"no entity {c.target!r} in the reports")
    if c.action == "merge" and c.into not in entity_keys:
        return extractions, CorrectionOutcome(c, False, f"no entity {c.into!r} to merge into")
    if c.action == "reject-entity":
        return [_map_entities(ex, lambda k: None if k == c.target else k) for ex in extractions], \
            CorrectionOutcome(c, True, f"entity {c.target!r} removed with its mentions and its part in relations")
    if c.action == "merge":
        into = next(e for ex in extractions for e in ex.entities if e.key == c.into)
        return [_merge(ex, c.target, into) for ex in extractions], \
            CorrectionOutcome(c, True, f"entity {c.target!r} merged into {c.into!r}")
    if c.action == "retype":
        assert c.type is not None  # the schema requires a type with retype
        return [replace(ex, entities=tuple(replace(e, type=c.type) if e.key == c.target else e for e in ex.entities))
                for ex in extractions], CorrectionOutcome(c, True, f"entity {c.target!r} is now a {c.type}")
    if c.action == "reject-mention":
        out, found = [], False
        for ex in extractions:
            keys = mention_keys(ex.report.source.metadata.plan_key, ex.mentions)
            kept = tuple(m for m in ex.mentions if keys[m] != c.target)
            found |= len(kept) < len(ex.mentions)
            out.append(_drop_unmentioned(replace(ex, mentions=kept)) if len(kept) < len(ex.mentions) else ex)
        return (out, CorrectionOutcome(c, True, f"mention {c.target!r} removed")) if found else \
            (extractions, CorrectionOutcome(c, False, f"no mention {c.target!r} in the reports"))
    out, found = [], False
    for ex in extractions:
        relation_key = relation_keys(ex.report.source.metadata.plan_key, ex.relations)
        kept_relations = tuple(r for r in ex.relations if relation_key[r] != c.target)
        found |= len(kept_relations) < len(ex.relations)
        out.append(replace(ex, relations=kept_relations))
    return (out, CorrectionOutcome(c, True, f"relation {c.target!r} removed")) if found else \
        (extractions, CorrectionOutcome(c, False, f"no relation {c.target!r} in the reports"))


def _merge(ex: Extraction, gone: str, into: Entity) -> Extraction:
    old = next((e for e in ex.entities if e.key == gone), None)
    if old is None:
        return ex
    mapped = _map_entities(ex, lambda k: into.key if k == gone else k)
    here = next((e for e in mapped.entities if e.key == into.key), into)
    labels = tuple(dict.fromkeys(a for a in (*here.alt_labels, old.pref_label, *old.alt_labels)
                                 if a != here.pref_label))
    entities = tuple(e for e in mapped.entities if e.key != into.key) + (replace(here, alt_labels=labels),)
    return replace(mapped, entities=tuple(sorted(entities, key=lambda e: e.key)))


def _drop_unmentioned(ex: Extraction) -> Extraction:
    """An entity whose last mention was rejected (and that is responsible for no measure) goes too."""
    used = {m.entity_key for m in ex.mentions} | {k for r in ex.responsible for k in r.ministries}
    return _map_entities(ex, lambda k: k if k in used else None)


def _map_entities(ex: Extraction, f: Callable[[str], str | None]) -> Extraction:
    """Every entity key in ``ex`` passed through ``f`` (None removes it): entities, mentions,
    responsibilities and relations (a relation left without its parties goes)."""
    mentions = tuple(replace(m, entity_key=k) for m in ex.mentions if (k := f(m.entity_key)) is not None)
    entities = tuple(e for e in ex.entities if f(e.key) == e.key)
    responsible = tuple(Responsibility(r.measure, _keys(r.ministries, f)) for r in ex.responsible)
    relations = tuple(r for r in (_map_relation(rel, f) for rel in ex.relations) if r is not None)
    return replace(ex, mentions=mentions, entities=entities, responsible=responsible, relations=relations)


def _keys(keys: tuple[str, ...], f: Callable[[str], str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k for k in map(f, keys) if k is not None))


def _map_relation(rel: Relation, f: Callable[[str], str | None]) -> Relation | None:
    def one(key: str | None) -> str | None:
        return f(key) if key else None

    if isinstance(rel, Collaboration):
        partners = _keys(rel.partners, f)
        return replace(rel, partners=partners, concerns=_keys(rel.concerns, f)) if len(partners) > 1 else None
    if isinstance(rel, CoMention):
        agencies = _keys(rel.agencies, f)
        return replace(rel, agencies=agencies, concerns=_keys(rel.concerns, f)) if len(agencies) > 1 else None
    if isinstance(rel, Consultation):
        consulted = _keys(rel.consulted, f)
        return replace(rel, consulted=consulted, consulter=one(rel.consulter),
                       concerns=_keys(rel.concerns, f)) if consulted else None
    if isinstance(rel, Commission):
        contractor = f(rel.contractor)
        return replace(rel, contractor=contractor, commissioner=one(rel.commissioner),
                       concerns=_keys(rel.concerns, f)) if contractor else None
    if isinstance(rel, Funding):
        funder, recipients = one(rel.funder), _keys(rel.recipients, f)
        return replace(rel, funder=funder, recipients=recipients) if funder or recipients else None
    assert isinstance(rel, CrossReference)
    return rel
