"""The status timeline between two reports of a plan: ``Report`` (old), ``Report`` (new) →
``StatusChange`` per measure whose status class changed, that appeared or that disappeared.

What ``tiltaksgraf diff OLD NEW`` prints. Measures are matched by their id ("12", "29a"); a
measure with no stated status has class None, so a status stated only in one report is a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tiltaksgraf.records import MeasureRecord, Report


@dataclass(frozen=True)
class StatusChange:
    measure_id: str
    change: Literal["changed", "appeared", "disappeared"]
    old_class: str | None
    new_class: str | None
    old_raw: str
    new_raw: str


def diff_reports(old: Report, new: Report) -> list[StatusChange]:
    """Changes from ``old`` to ``new``, in the order of the measures (old's first, then new ones)."""
    before = {m.measure_id: m for m in old.measures}
    after = {m.measure_id: m for m in new.measures}
    changes = []
    for mid in [*before, *(k for k in after if k not in before)]:
        o, n = before.get(mid), after.get(mid)
        if o is not None and n is not None and o.status_class == n.status_class:
            continue
        kind: Literal["changed", "appeared", "disappeared"] = (
            "appeared" if o is None else "disappeared" if n is None else "changed")
        changes.append(StatusChange(mid, kind, _class(o), _class(n), _raw(o), _raw(n)))
    return changes


def _class(m: MeasureRecord | None) -> str | None:
    return m.status_class if m is not None else None


def _raw(m: MeasureRecord | None) -> str:
    return m.status_raw if m is not None else ""
