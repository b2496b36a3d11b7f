"""A plan's title, key and report date inferred from a report's text, for reports with no sidecar
JSON. Input: a ``SourceDocument``; output: ``ReportMetadata`` and a sentence saying what was
inferred (the build prints it)."""

from __future__ import annotations

import re
from dataclasses import replace

from tiltaksgraf.graph.iri import slug
from tiltaksgraf.records import ReportMetadata, SourceDocument

_MONTHS = {m: i for i, m in enumerate(
    ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november",
     "desember"], start=1)}
_PLAN = re.compile(r"\b(?P<title>(?:[Hh]andlingsplan(?:en)?|[Oo]pptrappingsplan(?:en)?|Strategi(?:en)?|Plan(?:en)?)"
                   r"\s+(?:mot|for|om)\s+[^.,:;\n\"«»]{3,90}?(?:\s*\(\d{4}\s*[–-]\s*\d{4}\))?)"
                   r"(?=\s+(?:per|pr\.|Et liv|Rapport|ble|er|\d)|[.,:;\n\"«»]|$)")
_DATE = re.compile(r"\b(?:per|pr\.?)\s+(?:(?P<day>\d{1,2})\.\s*)?(?P<month>[a-zæøå]+)\s+(?P<year>(?:19|20)\d\d)\b"
                   r"|^(?P<month2>[A-ZÆØÅ][a-zæøå]+)\s+(?P<year2>(?:19|20)\d\d)$"
                   r"|\bÅrsrapport\s+(?P<year3>(?:19|20)\d\d)\s*[–/-]\s*(?P<year4>(?:19|20)\d\d)",
                   re.MULTILINE | re.IGNORECASE)


def infer_metadata(doc: SourceDocument, first_measure: int | None = None) -> tuple[ReportMetadata, str]:
    """Plan and date from the report's heading: the text before its first measure (at offset
    ``first_measure``), where a plan named in a measure's text is not the plan reported on."""
    meta = doc.metadata
    head = doc.text[:min(3000, len(doc.text) if first_measure is None else first_measure)]
    said = []
    plans = list(_PLAN.finditer(head))
    # a title with its period ("… (2017–2021)") names the plan better than a passing mention
    plan = next((p for p in plans if p["title"].rstrip().endswith(")")), plans[0] if plans else None)
    if plan:
        title = re.sub(r"\s+", " ", plan["title"]).strip()
        title = title[0].upper() + title[1:]
        title = re.sub(r"^(Handlingsplan|Opptrappingsplan|Strategi|Plan)en\b", r"\1", title)
        meta = replace(meta, plan_title=title, plan_key=slug(title))
        said.append(f"plan {title!r} (key {meta.plan_key}) from the text")
    else:
        said.append(f"plan {meta.plan_title!r} (key {meta.plan_key}) from the file name")
    date, where = _date(head, doc.name)
    if date:
        meta = replace(meta, date=date)
        said.append(f"date {date} from the {where}")
    else:
        said.append("no date found")
    if re.search(r"\b(?:ikkje|eit|dei|korleis|ansvarleg|tiltaka|blir|gjere)\b", head):
        meta = replace(meta, language="nn")
        said.append("language nn")
    return meta, "; ".join(said)


def _date(text: str, name: str) -> tuple[str | None, str]:
    """"per 1. juni 2019" → 2019-06-01; "Desember 2016" → 2016-12; "Årsrapport 2024–2025" → 2025."""
    for m in _DATE.finditer(text):
        if m["year3"]:
            return m["year4"], "text"  # "Årsrapport 2024–2025": the report of the year that ends
        month = (m["month"] or m["month2"] or "").lower()
        year = m["year"] or m["year2"]
        if month in _MONTHS:
            iso = f"{year}-{_MONTHS[month]:02d}"
            return (f"{iso}-{int(m['day']):02d}" if m["day"] else iso), "text"
    m2 = re.search(r"(?:arsrapport|årsrapport)[_-](?:19|20)\d\d[_-]((?:19|20)\d\d)", name, re.IGNORECASE)
    return (m2.group(1), "file name") if m2 else (None, "")
