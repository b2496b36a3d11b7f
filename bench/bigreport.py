"""Large reports made from the bundled one: its glossary, then its 88 measure rows repeated and
renumbered 1, 2, 3 … as far as asked (measure 89 is measure 1's row again, and so on).

Used by ``bench_memory.py`` (the memory curve at 1, 8 and 50 MB) and by the tests of long inputs
(measures numbered 1000 and up, the 50 MB build). Every generated report parses: the rows are the
bundled report's own, only their numbers change.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.extract.read import read_report
from tiltaksgraf.pipeline import bundled_report

_NUMBER = re.compile(r"^(\s*)\d+(\.)")


@lru_cache(maxsize=1)
def _parts() -> tuple[str, tuple[str, ...]]:
    """The text before the first measure, and each measure's rows (number line to next number line)."""
    report = parse_report(read_report(bundled_report()))
    lines = report.source.text.split("\n")
    starts = [m.line - 1 for m in report.measures]
    head = "\n".join(lines[: starts[0]]) + "\n"
    rows = tuple("\n".join(lines[a:b]) + "\n" for a, b in zip(starts, starts[1:] + [len(lines)]))
    return head, rows


def renumbered_report(measures: int) -> str:
    """The bundled report's glossary and rows, repeated to ``measures`` measures numbered 1…N."""
    head, rows = _parts()
    out = [head]
    for number in range(1, measures + 1):
        row = rows[(number - 1) % len(rows)]
        out.append(_NUMBER.sub(lambda m, number=number: f"{m[1]}{number}{m[2]}", row, count=1))
    return "".join(out)


def report_of_size(size_bytes: int) -> tuple[str, int]:
    """A renumbered report of about ``size_bytes`` bytes (UTF-8) and its number of measures."""
    head, rows = _parts()
    per_row = sum(len(r.encode("utf-8")) for r in rows) / len(rows)
    measures = max(1, round((size_bytes - len(head.encode("utf-8"))) / per_row))
    return renumbered_report(measures), measures


def write_report(directory: Path, measures: int, name: str = "big-status.txt") -> Path:
    path = directory / name
    path.write_text(renumbered_report(measures), encoding="utf-8")
    return path
