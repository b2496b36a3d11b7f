"""The bundled report's interleaved table (NR. | ANSVAR | REGJERINGEN VIL | STATUS | RAPPORTERING).

A thin adapter: the parser itself is ``extract/parse.py`` (it moves here once the
build-robustness work on it has merged). Input: a ``SourceDocument``; output: a ``Report`` whose
measures carry their status class from the status scheme.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tiltaksgraf.extract.parse import parse_report
from tiltaksgraf.extract.status import classify
from tiltaksgraf.records import Report, SourceDocument

# A table row: "12. BFD / JD …" (number, then a ministry code in capitals or "Alle"), or the header.
_ROW = re.compile(r"^[ \t\u00a0]*(?:\d{1,4}\.[ \t\u00a0]+(?:[A-ZÆØÅ]{1,6}|[Aa]lle)(?=[\s/])|NR\.?\s+ANSVAR\b)",
                  re.MULTILINE)


class TableLayout:
    name = "table"
    describe = "table rows 'N. CODE description status reporting' under 'NR. ANSVAR …'"

    def fit(self, doc: SourceDocument) -> str | None:
        if _ROW.search(doc.text):
            return None
        return "expected table rows starting like '1. BFD Utrede …' (number, responsible ministry, …)"

    def parse(self, doc: SourceDocument) -> Report:
        report = parse_report(doc)
        measures = []
        for m in report.measures:
            match = classify(m.status) if m.status else None
            measures.append(replace(m, status_class=match.status_class if match else None))
        return replace(report, measures=tuple(measures))


LAYOUT = TableLayout()
