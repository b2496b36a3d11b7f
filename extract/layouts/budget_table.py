"""The budget propositions' status table (Nynorsk or Bokmål): a header ``Ansvarleg departement`` /
``Tiltak`` / ``Status``, then per row the ministry codes, ``N. description`` and the status
(``Byrja``, ``Ferdig``), each cell on its own line, often behind a bullet (``•``).

Input: a ``SourceDocument``; output: a ``Report`` (Prop. 1 S tables of a plan's measures).
"""

from __future__ import annotations

import re

from tiltaksgraf.errors import ParseError
from tiltaksgraf.extract.layouts.common import (
    Draft, Line, measures_from, ministries_from, split_lines, status_in, sub_line,
)
from tiltaksgraf.records import Report, SourceDocument

_HEADER = re.compile(r"^Ansvar(?:leg|lig) departement$", re.IGNORECASE)
_BULLET = re.compile(r"^[•·▪\-–*]\s*")
_ROW = re.compile(r"^(?P<number>\d{1,3})\.\s+(?P<text>\S.*)$")
_CODES = re.compile(r"^(?:[A-ZÆØÅ]{2,6}|Alle|ALLE)(?:\s*[/,]\s*(?:[A-ZÆØÅ]{2,6}|Alle|ALLE))*$")


class BudgetTableLayout:
    name = "budget-table"
    describe = "a table 'Ansvarleg departement | Tiltak | Status' with one cell per line"

    def fit(self, doc: SourceDocument) -> str | None:
        cells = [_cell(ln, doc.text) for ln in split_lines(doc.text) if ln.text]
        for k, cell in enumerate(cells[:-2]):
            following = (cells[k + 1].text.lower(), cells[k + 2].text.lower())
            if _HEADER.match(cell.text) and following == ("tiltak", "status"):
                return None
        return "expected the header cells 'Ansvarleg departement', 'Tiltak', 'Status' on three lines"

    def parse(self, doc: SourceDocument) -> Report:
        cells = [_cell(ln, doc.text) for ln in split_lines(doc.text) if ln.text]
        start = next((k + 3 for k, c in enumerate(cells[:-2]) if _HEADER.match(c.text)), None)
        if start is None:
            raise ParseError("no measures found", path=doc.path, hint=self.describe)
        drafts: list[Draft] = []
        codes: Line | None = None
        for cell in cells[start:]:
            row = _ROW.match(cell.text)
            if row:
                description = [sub_line(cell, cell.start + row.start("text"), doc.text)]
                draft = Draft(row["number"], cell, description=description)
                if codes is not None:
                    draft.ministries, draft.ansvar_raw = ministries_from(codes.text), codes.text
                draft.last = cell.end
                drafts.append(draft)
                codes = None
            elif drafts and drafts[-1].status is None and not codes and (found := status_in(cell.text)):
                drafts[-1].status = found
                drafts[-1].last = cell.end
            elif _CODES.match(cell.text):
                codes = cell
            elif drafts:  # a description cell that went on
                drafts[-1].description.append(cell)
                drafts[-1].last = cell.end
        if not drafts:
            raise ParseError("no measures found under the table header", path=doc.path, hint=self.describe)
        return Report(source=doc, glossary=(), measures=measures_from(doc, drafts))


def _cell(line: Line, text: str) -> Line:
    """The line without its bullet."""
    m = _BULLET.match(line.text)
    return sub_line(line, line.start + m.end(), text) if m and m.end() < len(line.text) else line


LAYOUT = BudgetTableLayout()
