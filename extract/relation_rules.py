"""The rules relations are read by, loaded from data (``ontology/relations.jsonl``) and checked
against a schema: trigger phrases with the side each party stands on, and the named patterns
(years, sums, clause breaks, coordination …) the mechanism in ``relations.py`` uses.

Input: the JSON-lines file. Output: ``RelationRules``. A line with an unknown key, a missing key or
a value out of range is a ``DataError`` naming the file, the line and the keys allowed: each kind
of line is a pydantic model in ``extract/schemas.py`` (``relation_line_model``), read by
``read_lines`` as every knowledge file is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import get_args

from tiltaksgraf.errors import DataError
from tiltaksgraf.extract.gazetteer import DATA_DIR
from tiltaksgraf.extract.schemas import (CommissionLine, CollaborationLine, GrantLine, NamedPatternLine, PatternName,
                                          TriggerLine, UnitsLine, relation_line_model, read_lines)


PATTERN_NAMES = frozenset(get_args(PatternName))


@dataclass(frozen=True)
class Trigger:
    id: str
    kind: str
    regex: re.Pattern[str]
    roles: tuple[tuple[str, str], ...] = ()  # ("shape", "with"), ("contractor", "before") …

    def role(self, name: str) -> str | None:
        return dict(self.roles).get(name)

    def span(self, hit: re.Match[str]) -> tuple[int, int]:
        """Where the trigger is in the sentence: its "at" group if the rule marks one."""
        if "at" in self.regex.groupindex and hit.group("at") is not None:
            return hit.start("at"), hit.end("at")
        return hit.start(), hit.end()


@dataclass(frozen=True)
class RelationRules:
    triggers: tuple[Trigger, ...]
    patterns: dict[str, re.Pattern[str]]
    units: dict[str, float]

    def of(self, kind: str) -> tuple[Trigger, ...]:
        return self._by_kind.get(kind, ())

    @cached_property
    def _by_kind(self) -> dict[str, tuple[Trigger, ...]]:
        """The triggers of each kind, in order: asked for several times per sentence."""
        kinds: dict[str, list[Trigger]] = {}
        for t in self.triggers:
            kinds.setdefault(t.kind, []).append(t)
        return {kind: tuple(ts) for kind, ts in kinds.items()}

    def matches(self, kind: str, text: str) -> bool:
        return any(t.regex.search(text) for t in self.of(kind))


def _compile(regex: str, name: str, path: Path, line: int, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    try:
        return re.compile(regex, flags | re.DOTALL)
    except re.error as exc:
        raise DataError(f"{name}: bad regex: {exc}", path=str(path), line=line) from exc


def _roles(rule: TriggerLine) -> tuple[tuple[str, str], ...]:
    """The sides a trigger puts its parties on (``("contractor", "before")`` …), those it states."""
    if isinstance(rule, CollaborationLine):
        return (("shape", rule.shape),)
    if isinstance(rule, CommissionLine):
        sides = (("commissioner", rule.commissioner), ("contractor", rule.contractor))
        return tuple((k, v) for k, v in sides if v is not None)
    if isinstance(rule, GrantLine):
        return (("funder", rule.funder), ("recipient", rule.recipient))
    return ()


@lru_cache(maxsize=4)
def load_rules(path: Path = DATA_DIR / "relations.jsonl") -> RelationRules:
    triggers: list[Trigger] = []
    patterns: dict[str, re.Pattern[str]] = {}
    units: dict[str, float] = {}
    for line, rule in read_lines(path, relation_line_model):
        if isinstance(rule, NamedPatternLine):
            flags = 0 if rule.pattern in ("subject-lead", "clause-break") else re.IGNORECASE
            patterns[rule.pattern] = _compile(rule.regex, rule.pattern, path, line, flags)
        elif isinstance(rule, UnitsLine):
            units.update({k.lower(): v for k, v in rule.units.items()})
        elif isinstance(rule, TriggerLine):
            triggers.append(Trigger(rule.id, rule.kind, _compile(rule.regex, rule.id, path, line), _roles(rule)))
    missing = sorted(PATTERN_NAMES - set(patterns))
    if missing:
        raise DataError(f"the named patterns {', '.join(missing)} are missing", path=str(path))
    return RelationRules(tuple(triggers), patterns, units)
