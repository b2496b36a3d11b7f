"""Numbered headings: ``1. Tiltakspakke for forebygging`` (a short title line), then the measure's
text, a responsible line (``Ansvarlig: JD, AD, BLD`` or ``Ansvarlig departement: JD``) and its
status as text (``Status:`` + a status wording, or "Tiltaket anses som gjennomført").

Input: a ``SourceDocument``; output: a ``Report`` (the *Et liv uten vold* and radicalisation
status reports). A heading counts only when the numbers run 1, 2, 3 … from the first.
"""

from __future__ import annotations

import re

from tiltaksgraf.errors import ParseError
from tiltaksgraf.extract.layouts.common import (
    Draft, Line, measures_from, ministries_from, split_lines, status_in, sub_line,
)
from tiltaksgraf.extract.status import classify
from tiltaksgraf.records import Report, SourceDocument

_HEADING = re.compile(r"^(?P<number>\d{1,3})\.\s+(?P<title>[A-ZÆØÅ«\"][^.!?]{2,150})$")
_RESPONSIBLE = re.compile(r"^Ansvar(?:lig|leg)(?:e)?(?: departement(?:er)?)?\s*:\s*(?P<value>.+?)"
                          r"(?=\s+(?:Gjennomføring|Tidsperspektiv|Periode)\s*:|$)", re.IGNORECASE)
_TRANSFERRED = re.compile(r"^Ansvar(?:et)? for tiltaket er overført fra \S+ til (?P<value>[A-ZÆØÅ]{2,6})\b")
_STATUS_LABEL = re.compile(r"^Status\s*:?\s*", re.IGNORECASE)
# "Tiltaket anses som gjennomført.", "Tiltaket er avsluttet": a status said in a sentence
_STATUS_SENTENCE = re.compile(r"\bTiltaket (?:anses som|regnes som|er nå|er) (?P<wording>\w+(?: [-–] \w+)?)[.,]")


class NumberedLayout:
    name = "numbered"
    describe = "numbered headings '1. Title' with 'Ansvarlig: …' and status text"

    def fit(self, doc: SourceDocument) -> str | None:
        heads = _heads(split_lines(doc.text))
        if not heads:
            return "expected short numbered headings '1. Title', '2. Title' … running from 1"
        return None

    def parse(self, doc: SourceDocument) -> Report:
        lines = split_lines(doc.text)
        heads = _heads(lines)
        if not heads:
            raise ParseError("no measures found", path=doc.path, hint=self.describe)
        drafts = []
        for k, index in enumerate(heads):
            stop = heads[k + 1] if k + 1 < len(heads) else len(lines)
            drafts.append(_measure(doc, lines[index], lines[index + 1:stop]))
        return Report(source=doc, glossary=(), measures=measures_from(doc, drafts))


def _heads(lines: list[Line]) -> list[int]:
    """Indexes of heading lines whose numbers run 1, 2, 3 … (other numbered lines are text)."""
    heads: list[int] = []
    for index, ln in enumerate(lines):
        m = _HEADING.match(ln.text)
        if m and int(m["number"]) == len(heads) + 1:
            heads.append(index)
    return heads


def _measure(doc: SourceDocument, head: Line, body: list[Line]) -> Draft:
    m = _HEADING.match(head.text)
    assert m is not None
    draft = Draft(m["number"], head, description=[sub_line(head, head.start + m.start("title"), doc.text)])
    after_label = False
    for ln in body:
        draft.last = max(draft.last, ln.end)
        if not ln.text:
            continue
        if (r := _RESPONSIBLE.match(ln.text)) or (r := _TRANSFERRED.match(ln.text)):
            draft.ministries = ministries_from(r["value"])
            draft.ansvar_raw = r["value"].strip().rstrip(".")
            draft.field_values.add(ln.number)
        if (s := _STATUS_LABEL.match(ln.text)) and (s.end() == len(ln.text) or ln.text[s.end() - 1:s.end()] in ": "):
            after_label = True
            rest = ln.text[s.end():]
            if not rest:
                continue
            ln = sub_line(ln, ln.start + s.end(), doc.text)
            draft.field_values.add(ln.number)
        if after_label and draft.status is None:
            draft.status = status_in(ln.text)
            after_label = False
        if draft.status is None and (said := _STATUS_SENTENCE.search(ln.text)):
            match = classify(said["wording"])
            if match:
                draft.status = (match, said.group(0).rstrip(".,"))
        draft.report.append(ln)
    return draft


LAYOUT = NumberedLayout()
