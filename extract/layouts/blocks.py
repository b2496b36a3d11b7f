"""Measure blocks: a heading ``Tiltak N.`` / ``Tiltak N:`` (often ``Regjeringen vil …``), then
labelled fields (``Ansvarlig departement:``, ``Ansvarlig:``, ``Utførende virksomhet:``,
``Deltakende virksomheter:``, ``Tidsperspektiv:``, ``Status``, ``Tiltak``) and reporting.
Sub-measures are headed ``a) …`` or repeat the bare ``Tiltak`` label (ids "29a", "4b"); measures
numbered anew under each goal (``Mål 2`` … ``Tiltak 1``) get ids "2.1".

Input: a ``SourceDocument``; output: a ``Report`` (the suicide-prevention, eID and LHBTI status pages).
"""

from __future__ import annotations

import re
import string

from tiltaksgraf.errors import ParseError
from tiltaksgraf.extract.layouts.common import (
    Draft, Line, measures_from, ministries_from, split_lines, status_in, sub_line,
)
from tiltaksgraf.records import Report, SourceDocument

_HEADING = re.compile(r"^Tiltak\s+(?P<id>\d{1,3}(?:\.\d{1,3})?[a-z]?)\s*[.:]\s*(?P<title>.*)$")
_GOAL = re.compile(r"^M[åa]l\s+(?P<goal>\d{1,2})\b")
_SUB = re.compile(r"^(?P<letter>[a-z])\)\s+\S")
_LABEL = re.compile(
    r"^(?P<label>Ansvarlig departement|Ansvarleg departement|Ansvarlige? departement(?:er)?|Ansvarlig|Ansvarleg"
    r"|Utførende virksomhet(?:er)?|Utførande verksemd(?:er)?|Deltakende virksomhet(?:er)?|Deltakande verksemd(?:er)?"
    r"|Tidsperspektiv|Gjennomføring|Status|Tiltak)\s*(?::\s*|$)", re.IGNORECASE)
_RESPONSIBLE = ("ansvarlig departement", "ansvarleg departement", "ansvarlige departement", "ansvarlige departementer",
                "ansvarlig", "ansvarleg")


class BlocksLayout:
    name = "blocks"
    describe = "measure blocks headed 'Tiltak N.' or 'Tiltak N:' with labelled fields"

    def fit(self, doc: SourceDocument) -> str | None:
        if any(_HEADING.match(ln.text) for ln in split_lines(doc.text)):
            return None
        return "expected measure headings at the start of a line like 'Tiltak 4. Regjeringen vil …' or 'Tiltak 1: …'"

    def parse(self, doc: SourceDocument) -> Report:
        lines = split_lines(doc.text)
        heads: list[tuple[int, int | None]] = []  # (line index, goal)
        goal: int | None = None
        for index, ln in enumerate(lines):
            if (g := _GOAL.match(ln.text)) and not _HEADING.match(ln.text):
                goal = int(g["goal"])
            elif _HEADING.match(ln.text):
                heads.append((index, goal))
        if not heads:
            raise ParseError("no measures found", path=doc.path, hint=self.describe)
        per_goal = _numbered_per_goal(lines, heads)
        drafts: list[Draft] = []
        for k, (index, goal) in enumerate(heads):
            stop = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
            m = _HEADING.match(lines[index].text)
            assert m is not None
            base = m["id"] if not (per_goal and goal is not None and "." not in m["id"]) else f"{goal}.{m['id']}"
            # a goal heading between two measures belongs to the next one
            body = [ln for ln in lines[index + 1:stop] if not _GOAL.match(ln.text)]
            drafts += _measure(doc, lines[index], m, base, body)
        return Report(source=doc, glossary=(), measures=measures_from(doc, drafts))


def _numbered_per_goal(lines: list[Line], heads: list[tuple[int, int | None]]) -> bool:
    """Numbering starts again under each goal when every goal's first measure is number 1."""
    firsts: dict[int, str] = {}
    for index, goal in heads:
        m = _HEADING.match(lines[index].text)
        if goal is not None and m is not None:
            firsts.setdefault(goal, m["id"])
    return bool(firsts) and all(first == "1" for first in firsts.values())


def _measure(doc: SourceDocument, head: Line, m: re.Match[str], base: str, body: list[Line]) -> list[Draft]:
    title_start = head.start + m.start("title")
    title = [sub_line(head, title_start, doc.text)] if m["title"] else []
    subs = [i for i, ln in enumerate(body) if _SUB.match(ln.text)]
    if not subs:
        bare = [i for i, ln in enumerate(body) if ln.text.lower() == "tiltak"]
        if len(bare) >= 2:
            subs = bare
    if not subs:
        return [_fields(doc, Draft(base, head, description=title), body)]
    drafts = []
    for k, i in enumerate(subs):
        stop = subs[k + 1] if k + 1 < len(subs) else len(body)
        sub = _SUB.match(body[i].text)
        letter = sub["letter"] if sub else string.ascii_lowercase[k]
        part = body[i:stop] if not sub else body[i + 1:stop]
        description = [sub_line(body[i], body[i].start + 3, doc.text)] if sub else []  # without "a) "
        drafts.append(_fields(doc, Draft(f"{base}{letter}", body[i], description=description), part))
    return drafts


def _fields(doc: SourceDocument, draft: Draft, body: list[Line]) -> Draft:
    """Read the labelled fields; the rest is reporting."""
    label: str | None = None  # a label standing alone: its value is the next paragraph
    for ln in body:
        draft.last = max(draft.last, ln.end)
        if not ln.text:
            continue
        m = _LABEL.match(ln.text)
        if m:
            value = sub_line(ln, ln.start + m.end(), doc.text) if m.end() < len(ln.text) else None
            label = m["label"].lower()
            if value is None:
                continue
            ln = value
            draft.field_values.add(ln.number)
        if label in _RESPONSIBLE:
            draft.ministries = ministries_from(ln.text)
            draft.ansvar_raw = ln.text.rstrip(".")
            draft.report.append(ln)  # the names are mentions too
        elif label in ("status", "tidsperspektiv", "gjennomføring"):
            found = status_in(ln.text)
            if found and draft.status is None:
                draft.status = found
            if not found or len(found[1]) + 2 < len(ln.text.rstrip(".")):
                draft.report.append(ln)
        elif label == "tiltak":
            draft.description.append(ln)
        else:
            draft.report.append(ln)
        label = None
    return draft


LAYOUT = BlocksLayout()
