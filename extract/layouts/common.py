"""What the layout modules share: lines with offsets, paragraphs as segments, responsible bodies
from an "Ansvarlig:" value, truncation, and the ``MeasureRecord`` made from those pieces."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tiltaksgraf.extract.parse import Line, consecutive_runs, split_lines
from tiltaksgraf.extract.status import StatusMatch, leading_status
from tiltaksgraf.records import MeasureRecord, Segment, SourceDocument, Span

__all__ = ["Line", "split_lines", "Draft", "measures_from", "ministries_from", "text_is_cut", "status_in"]

_SENTENCE_END = re.compile(r"[.!?:»\")\]]\s*$")
_FIELD = re.compile(r"^[A-ZÆØÅ][a-zæøå]+(?: [a-zæøå]+)?:\s+\S.{0,120}$")
_CODE = re.compile(r"(?:[A-ZÆØÅ][A-ZÆØÅa-zæøå]{0,2}[A-ZÆØÅ]{1,4}|[A-ZÆØÅ]{2}|[Aa]lle|ALLE)")


@dataclass
class Draft:
    """One measure as a layout module found it, before it becomes a ``MeasureRecord``."""

    measure_id: str
    head: Line  # the line that starts it
    description: list[Line] = field(default_factory=list)
    report: list[Line] = field(default_factory=list)
    ministries: tuple[str, ...] = ()
    ansvar_raw: str = ""
    status: tuple[StatusMatch, str] | None = None
    last: int = 0  # offset just after its last line
    field_values: set[int] = field(default_factory=set)  # numbers of lines holding "Label: value"


def text_is_cut(text: str) -> bool:
    """A page cut mid-sentence: its last words end without a sentence's end."""
    stripped = text.rstrip()
    if not stripped or _SENTENCE_END.search(stripped):
        return False
    last = stripped.rsplit("\n", 1)[-1].strip()
    # a field ("Ansvarlig: Bufdir") or a status cell ("Byrja") is whole without a full stop
    return not (_FIELD.match(last) or leading_status(last) and len(last.split()) <= 6)


def ministries_from(value: str) -> tuple[str, ...]:
    """"JD, AD, BLD og HOD" → the codes; "JD/Alle" → ("JD", "ALLE"); a body's full name
    ("Barne-, ungdoms- og familiedirektoratet.") stays whole."""
    value = value.strip().rstrip(".").strip()
    if not value:
        return ()
    parts = [p.strip() for p in re.split(r"\s*(?:,|/|\bog\b|&)\s*", value) if p.strip()]
    if parts and all(_CODE.fullmatch(p) for p in parts):
        return tuple(dict.fromkeys("ALLE" if p.upper() == "ALLE" else p for p in parts))
    return (value,)


def status_in(text: str) -> tuple[StatusMatch, str] | None:
    return leading_status(text)


def _join(text: str, runs: list[tuple[int, int]]) -> str:
    return "\n\n".join(re.sub(r"\s+", " ", text[s:e]).strip() for s, e in runs)


def measures_from(doc: SourceDocument, drafts: list[Draft]) -> tuple[MeasureRecord, ...]:
    """Records from drafts: plain numbers where every id is one, else positions (unique per report);
    the last draft is truncated when the text is cut off."""
    plain = all(d.measure_id.isdigit() for d in drafts) and len({d.measure_id for d in drafts}) == len(drafts)
    cut = text_is_cut(doc.text)
    out = []
    for position, d in enumerate(drafts, start=1):
        description = [ln for ln in d.description if ln.text]
        report = [ln for ln in d.report if ln.text]
        description_runs, report_runs = consecutive_runs(description), consecutive_runs(report, d.field_values)
        segments = [Segment("description", s, e) for s, e in description_runs]
        segments += [Segment("report", s, e) for s, e in report_runs]
        end = max([d.head.end, d.last, *(e for _s, e in description_runs + report_runs)])
        match, raw = d.status if d.status else (None, "")
        out.append(MeasureRecord(
            number=int(d.measure_id) if plain else position,
            ministries=d.ministries,
            status=match.wording if match else None,
            status_raw=raw,
            description=_join(doc.text, description_runs).replace("\n\n", " "),
            report_text=_join(doc.text, report_runs),
            sections=(),
            urls=(),
            span=Span(d.head.start, end),
            line=d.head.number,
            segments=tuple(segments),
            ansvar_raw=d.ansvar_raw,
            measure_id=d.measure_id,
            status_class=match.status_class if match else None,
            truncated=cut and position == len(drafts),
        ))
    return tuple(out)


def sub_line(line: Line, start: int, text: str) -> Line:
    """The part of ``line`` from source offset ``start``."""
    piece = text[start:line.end]
    start += len(piece) - len(piece.lstrip())
    return Line(line.number, start, line.end, text[start:line.end])
