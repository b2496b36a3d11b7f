"""Measures tagged with their ministries: ``Tiltak 4 Etablere ordning med minoritetsrådgivere
(AID, BLD fra 2010)`` anywhere in running text (progress reports and their contents lists). The
codes in the brackets are the responsible ministries; these reports state no status word.

Input: a ``SourceDocument``; output: a ``Report`` (one measure per number, the first time it is named).
"""

from __future__ import annotations

import re

from tiltaksgraf.errors import ParseError
from tiltaksgraf.extract.layouts.common import Draft, Line, measures_from, split_lines
from tiltaksgraf.records import Report, SourceDocument

_TAGGED = re.compile(r"\bTiltak\s+(?P<number>\d{1,3})(?:\s*\([^)]{0,30}\))?\s*:?\s+"
                     r"(?P<title>[A-ZÆØÅ][^()]{3,200}?)\s*(?:\((?P<codes>[^()]{2,60})\)|$)")
_CODE = re.compile(r"\b[A-ZÆØÅ]{2,6}\b")


class TaggedLayout:
    name = "tagged"
    describe = "'Tiltak N Title (JD)' with the ministries in brackets, in running text"

    def fit(self, doc: SourceDocument) -> str | None:
        if any(m["codes"] and _CODE.search(m["codes"]) for m in _TAGGED.finditer(doc.text)):
            return None
        return "expected measures like 'Tiltak 3 Etablere … (JD)' with ministry codes in brackets"

    def parse(self, doc: SourceDocument) -> Report:
        lines = split_lines(doc.text)
        drafts: dict[str, Draft] = {}
        for m in _TAGGED.finditer(doc.text):
            number = m["number"]
            if number in drafts:
                continue
            head = _line_at(lines, m.start())
            title = Line(head.number, m.start("title"), m.end("title"), m["title"])
            draft = Draft(number, Line(head.number, m.start(), m.end(), m.group(0)), description=[title])
            codes = _CODE.findall(m["codes"] or "")
            draft.ministries = tuple(dict.fromkeys(codes))
            draft.ansvar_raw = (m["codes"] or "").strip()
            draft.last = m.end()
            drafts[number] = draft
        if not drafts:
            raise ParseError("no measures found", path=doc.path, hint=self.describe)
        ordered = sorted(drafts.values(), key=lambda d: int(d.measure_id))
        return Report(source=doc, glossary=(), measures=measures_from(doc, ordered))


def _line_at(lines: list[Line], offset: int) -> Line:
    for ln in lines:
        if ln.start <= offset <= max(ln.end, ln.start):
            return ln
    return lines[-1]


LAYOUT = TaggedLayout()
