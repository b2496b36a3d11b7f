"""The rules relations are read by, loaded from data (``ontology/relations.jsonl``) and checked
against a schema: trigger phrases with the side each party stands on, and the named patterns
(years, sums, clause breaks, coordination …) the mechanism in ``relations.py`` uses.

Input: the JSON-lines file. Output: ``RelationRules``. A line with an unknown key, a missing key or
a value out of range is a ``DataError`` naming the file, the line and the keys allowed (spaCy
validates its patterns the same way). ``RowSchema`` is small and general so that it can move to
one schema module for every knowledge file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tiltaksgraf.errors import DataError
from tiltaksgraf.extract.gazetteer import DATA_DIR, _read_jsonl


@dataclass(frozen=True)
class RowSchema:
    """The keys one kind of line may have (spaCy validates its patterns the same way)."""

    what: str
    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    choices: tuple[tuple[str, frozenset[str]], ...] = ()  # key → the values it may take

    def check(self, row: dict, path: Path, line: int) -> None:
        allowed = self.required | self.optional
        unknown = sorted(set(row) - allowed)
        if unknown:
            raise DataError(f"unknown key {unknown[0]!r} in a {self.what} line; the keys allowed are "
                            f"{', '.join(sorted(allowed))}", path=str(path), line=line)
        missing = sorted(self.required - set(row))
        if missing:
            raise DataError(f"a {self.what} line needs {', '.join(missing)}", path=str(path), line=line)
        for key, values in self.choices:
            if key in row and row[key] not in values:
                raise DataError(f"{key} {row[key]!r} is not one of {', '.join(sorted(values))}",
                                path=str(path), line=line)


_SIDES = frozenset({"before", "after", "inside"})
_COMMON = frozenset({"id", "kind", "regex"})
TRIGGER_SCHEMAS: dict[str, RowSchema] = {
    "collaboration": RowSchema("collaboration trigger", _COMMON | {"shape"}, frozenset({"note"}),
                               (("shape", frozenset({"with", "between", "mutual"})),)),
    "consultation": RowSchema("consultation trigger", _COMMON, frozenset({"note"})),
    "commission": RowSchema("commission trigger", _COMMON | {"contractor"}, frozenset({"commissioner", "note"}),
                            (("commissioner", _SIDES), ("contractor", _SIDES))),
    "grant": RowSchema("grant trigger", _COMMON | {"funder", "recipient"}, frozenset({"note"}),
                       (("funder", _SIDES), ("recipient", _SIDES))),
    "funding": RowSchema("funding trigger", _COMMON, frozenset({"note"})),
    "parallel": RowSchema("parallel-work marker", _COMMON, frozenset({"note"})),
    "refers-back": RowSchema("refers-back marker", _COMMON, frozenset({"note"})),
}
PATTERN_NAMES = frozenset({"amount", "year", "crossref", "coordination", "subject-lead", "clause-break", "lead-in",
                           "passive", "reference", "budget-owner", "continues", "purpose", "joint-work",
                           "budget-after", "funder-verb", "strengthened"})
PATTERN_SCHEMA = RowSchema("named pattern", frozenset({"pattern", "regex"}), frozenset({"note"}),
                           (("pattern", PATTERN_NAMES),))
UNITS_SCHEMA = RowSchema("units", frozenset({"units"}), frozenset({"note"}))


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
        return tuple(t for t in self.triggers if t.kind == kind)

    def matches(self, kind: str, text: str) -> bool:
        return any(t.regex.search(text) for t in self.of(kind))


def _compile(row: dict, name: str, path: Path, line: int) -> re.Pattern[str]:
    try:
        return re.compile(row["regex"], re.IGNORECASE | re.DOTALL)
    except (TypeError, re.error) as exc:
        raise DataError(f"{name}: bad regex: {exc}", path=str(path), line=line) from exc


@lru_cache(maxsize=4)
def load_rules(path: Path = DATA_DIR / "relations.jsonl") -> RelationRules:
    triggers: list[Trigger] = []
    patterns: dict[str, re.Pattern[str]] = {}
    units: dict[str, float] = {}
    for line, row in _read_jsonl(path):
        if "pattern" in row:
            PATTERN_SCHEMA.check(row, path, line)
            flags = 0 if row["pattern"] in ("subject-lead", "clause-break") else re.IGNORECASE
            try:
                patterns[row["pattern"]] = re.compile(row["regex"], flags | re.DOTALL)
            except (TypeError, re.error) as exc:
                raise DataError(f"{row['pattern']}: bad regex: {exc}", path=str(path), line=line) from exc
        elif "units" in row:
            UNITS_SCHEMA.check(row, path, line)
            units.update({k.lower(): float(v) for k, v in row["units"].items()})
        else:
            schema = TRIGGER_SCHEMAS.get(row.get("kind"))  # type: ignore[arg-type]  # None is looked up too
            if schema is None:
                raise DataError(f"kind {row.get('kind')!r} is not one of {', '.join(TRIGGER_SCHEMAS)} "
                                "(or give a line \"pattern\" or \"units\")", path=str(path), line=line)
            schema.check(row, path, line)
            roles = tuple((k, row[k]) for k in ("shape", "commissioner", "contractor", "funder", "recipient") if k in row)
            triggers.append(Trigger(row["id"], row["kind"], _compile(row, row["id"], path, line), roles))
    missing = sorted(PATTERN_NAMES - set(patterns))
    if missing:
        raise DataError(f"the named patterns {', '.join(missing)} are missing", path=str(path))
    return RelationRules(tuple(triggers), patterns, units)
