"""Stage 2, parse: ``SourceDocument`` → ``Report`` (glossary + measures).

The text is a PDF table (NR. | ANSVAR | REGJERINGEN VIL | STATUS | RAPPORTERING) flattened row
by row: a measure's number and ANSVAR cell start a line, the description cell follows in short
lines, then the status, then the reporting in long lines. Between rows sit page headers,
repeated abbreviation glossaries and blocks of URL footnotes; those are taken out, and the
footnote URLs are given to the measure whose rows surround them.

Everything is done on lines that keep their source offsets, so each ``Segment`` of description
or reporting is one contiguous range of the source text.

Over 400 lines: one state machine over the lines of a report; its states share the offsets, so it
stays whole.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from enum import Enum

from tiltaksgraf.errors import ParseError
from tiltaksgraf.records import (
    STATUSES,
    GlossaryEntry,
    MeasureRecord,
    Report,
    Section,
    Segment,
    SourceDocument,
    Span,
)

# --- line model -------------------------------------------------------------------------------


class Kind(Enum):
    BLANK = "blank"
    HEADER = "header"
    GLOSSARY = "glossary"
    URL = "url"
    MEASURE = "measure"
    TEXT = "text"


@dataclass(slots=True)  # one per line of the text: a large report has hundreds of thousands
class Line:
    number: int  # 1-based
    start: int  # offset of the first non-blank character (or of the line when blank)
    end: int  # offset just after the last non-blank character
    text: str  # the line without its line end and surrounding blanks
    kind: Kind = Kind.TEXT


# Horizontal blanks as PDF extractors write them: spaces, tabs, NBSP, form feeds, \r.
_BLANKS = " \t\r\f\v\u00a0\u2007\u202f\ufeff"


def split_lines(text: str) -> list[Line]:
    """Split on \\n only (str.splitlines would also split on form feeds and keep no offsets)."""
    # Line by line, not ``text.split``: a list of every raw line beside the lines made from them
    # was a third of a large report's peak while parsing.
    lines = []
    pos = 0
    number = 0
    while pos <= len(text):
        number += 1
        stop = text.find("\n", pos)
        if stop < 0:
            stop = len(text)
        raw = text[pos:stop]
        stripped_left = raw.lstrip(_BLANKS)
        content = stripped_left.rstrip(_BLANKS)
        start = pos + (len(raw) - len(stripped_left))
        lines.append(Line(number, start, start + len(content), content,
                          Kind.TEXT if content else Kind.BLANK))
        pos = stop + 1
    return lines


# --- patterns ---------------------------------------------------------------------------------

_HEADER = re.compile(r"^NR\.?\s+ANSVAR\b", re.IGNORECASE)
_GLOSSARY_TITLE = re.compile(r"^(Forkortelser|Forkortinger|Forklaring av forkortelser)\s*:?$",
                             re.IGNORECASE)
_GLOSSARY_ENTRY = re.compile(r"^(?P<abbr>[A-ZÆØÅ][A-Za-zÆØÅæøå]{1,9})\s+[-–—]\s+(?P<name>\S.*)$")
_URL = re.compile(r"^(?:https?://|www\.)\S+$")
# A ministry code as used in the ANSVAR column; validated further against the glossary.
_CODE = r"(?:[A-ZÆØÅ]{1,6}|[Aa]lle)"
_ANSVAR = rf"{_CODE}(?:\s*/\s*{_CODE})*(?:\s*\(\s*[Aa]lle\s*\))?(?:\s*/)?"
# Any number of digits: a plan may have thousands of measures (a cap of three digits once folded
# measures 1000 and up silently into measure 999). Six digits are more than any plan has.
_MEASURE_START = re.compile(rf"^(?P<number>\d{{1,6}})\.\s+(?P<ansvar>{_ANSVAR})(?=\s|$)")
# Looser than _MEASURE_START: what a person reading the table would take for a row's start.
_NUMBERED_LINE = re.compile(r"^(?P<number>\d{1,9})\.\s+\S")
_STATUS = re.compile(
    r"(?P<status>Ferdig|Påbegynt|Ikke\s+påbegynt)"
    r"(?:[ \t\u00a0]*[-–—][ \t\u00a0\r]*(?:\n[ \t\u00a0\f]*)?(?P<ongoing>[Ll]øpende))?",
)
_STATUS_LINE = re.compile(r"^(?:Ferdig|Påbegynt|Ikke\s+påbegynt)\b")
_SECTION_LABEL = re.compile(rf"(?P<code>{_CODE}(?:\s*/\s*[A-ZÆØÅ][A-Za-zæøå]{{1,8}})?):\s")
_SENTENCE_END = re.compile(r"[.!?:»\")]\s*$")
# Words that follow an elided compound ("helse- og omsorgstjenesten"): keep the hyphen and space.
_ELISION_FOLLOWERS = frozenset({"og", "eller", "samt", "til", "enn", "som", "både"})
# A description cell is a narrow column; reporting lines are long.
_NARROW_COLUMN = 60


def parse_report(doc: SourceDocument) -> Report:
    """Parse a whole report. Raises ``ParseError`` with file, line and what was expected."""
    lines = split_lines(doc.text)
    glossary = _classify_layout_lines(lines)
    ministry_codes = _ministry_codes(glossary)
    starts = _measure_starts(lines, ministry_codes, doc.path)
    measures = []
    for i, first in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else len(lines)
        measures.append(_parse_measure(doc, lines[first:stop], ministry_codes))
    measures = _attribute_footnotes(lines, starts, measures)
    _check_no_measure_folded(lines, starts, doc.path)
    return Report(source=doc, glossary=tuple(glossary), measures=tuple(measures))


# --- footnotes --------------------------------------------------------------------------------


def _attribute_footnotes(lines: list[Line], starts: list[int], measures: list[MeasureRecord]) -> list[MeasureRecord]:
    """A page's URL footnotes stand together at its foot, after the last measure on the page,
    but belong to any measure on it. Each URL goes to the measure on its page whose text shares
    the most words with the URL's path ("…/kommunale-handlingsplaner-mot-vold…" → measure 7);
    with no such evidence, to the measure the block stands in."""
    urls: dict[int, list[str]] = {m.number: [] for m in measures}
    words = [_words(f"{m.description} {m.report_text}") for m in measures]
    # a word few measures use ("etterlatte") says more than one most use ("barn")
    document_frequency: dict[str, int] = {}
    for ws in words:
        for w in ws:
            document_frequency[w] = document_frequency.get(w, 0) + 1
    rarity = {w: 1.0 / n for w, n in document_frequency.items()}
    page_start = 0
    for index, line in enumerate(lines):
        if line.kind is Kind.HEADER:
            page_start = index
        if line.kind is not Kind.URL:
            continue
        here = bisect_right(starts, index) - 1  # bisections: scanning every measure per URL
        if here < 0:  # was quadratic (5,000 measures: minutes)
            continue
        first_on_page = bisect_left(starts, page_start)
        on_page = {here, *range(first_on_page, bisect_left(starts, index))}
        if 0 < first_on_page < len(starts) and starts[first_on_page - 1] < page_start < starts[first_on_page]:
            on_page.add(first_on_page - 1)  # the measure the page break cut
        url_words = _words(re.sub(r"^https?://[^/]+", "", line.text).replace("_", " "))
        best = max(on_page, key=lambda k: (sum(rarity[w] for w in url_words & words[k]), k))
        urls[measures[best].number].append(line.text)
    return [replace(m, urls=tuple(dict.fromkeys(urls[m.number]))) for m in measures]


_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})


def _words(text: str) -> set[str]:
    """Folded words of four letters or more: what a URL slug and running text share."""
    folded = text.lower().translate(_FOLD)
    return {w for w in re.findall(r"[a-z]{4,}", folded)} - {"https", "http", "www", "html", "pdf", "dokument"}


# --- layout: headers, glossaries, URL blocks --------------------------------------------------


def _classify_layout_lines(lines: list[Line]) -> list[GlossaryEntry]:
    """Mark header, glossary and URL lines; return the first glossary's entries."""
    glossaries: list[list[GlossaryEntry]] = []
    in_glossary = False
    last_was_entry = False
    for line in lines:
        if line.kind is Kind.BLANK:
            last_was_entry = False
            continue
        if _HEADER.match(line.text):
            line.kind, in_glossary = Kind.HEADER, False
        elif _GLOSSARY_TITLE.match(line.text):
            line.kind, in_glossary = Kind.GLOSSARY, True
            glossaries.append([])
        elif in_glossary and (m := _GLOSSARY_ENTRY.match(line.text)):
            line.kind, last_was_entry = Kind.GLOSSARY, True
            glossaries[-1].append(GlossaryEntry(m["abbr"], m["name"], line.number))
        elif in_glossary and last_was_entry and line.text[:1].islower():
            # the full name wrapped onto the next line
            line.kind = Kind.GLOSSARY
            prev = glossaries[-1][-1]
            glossaries[-1][-1] = GlossaryEntry(prev.abbreviation, f"{prev.full_name} {line.text}",
                                               prev.line)
        elif _URL.match(line.text):
            line.kind, in_glossary = Kind.URL, False
        else:
            in_glossary = False
    first = glossaries[0] if glossaries else []
    return [GlossaryEntry(g.abbreviation, _clean_name(g.full_name), g.line) for g in first]


def _clean_name(name: str) -> str:
    """Fold blanks; a dash left dangling at a line break ("… kompetansetjeneste –") stays as
    the separator it was, but one at either end is dropped."""
    return re.sub(r"\s+", " ", name).strip(" -–—")


def _ministry_codes(glossary: list[GlossaryEntry]) -> frozenset[str]:
    """Codes that may stand in the ANSVAR column: the glossary's ministries, any all-capitals
    code ending in D (the Norwegian ministries' pattern: BFD, JD, HOD, KUD …), and ALLE."""
    return frozenset(g.abbreviation for g in glossary if "departement" in g.full_name.lower())


def _is_ministry_code(code: str, codes: frozenset[str]) -> bool:
    return code in codes or code.upper() == "ALLE" or (code.isupper() and code.endswith("D"))


def _codes_in(ansvar: str) -> list[str]:
    return re.findall(r"[A-ZÆØÅa-zæøå]+", ansvar)


# --- measures ---------------------------------------------------------------------------------


def _measure_starts(lines: list[Line], codes: frozenset[str], path: str) -> list[int]:
    starts: list[int] = []
    seen: dict[int, int] = {}
    for index, line in enumerate(lines):
        if line.kind is not Kind.TEXT:
            continue
        m = _MEASURE_START.match(line.text)
        if not m or not all(_is_ministry_code(c, codes) for c in _codes_in(m["ansvar"])):
            continue
        number = int(m["number"])
        if number in seen:
            raise ParseError(f"measure {number} appears twice (lines {seen[number]} and {line.number})",
                             path=path, line=line.number, hint="each measure number must occur once")
        if seen and number != max(seen) + 1:
            previous = max(seen)
            if number < previous:
                raise ParseError(f"measure {number} comes after measure {previous}; numbers must rise",
                                 path=path, line=line.number)
            _refuse_unread_start(lines[starts[-1] + 1:index], previous + 1, len(starts), path)
            missing = (", ".join(str(n) for n in range(previous + 1, number)) if number - previous <= 5
                       else f"{previous + 1}–{number - 1}")  # a range, not a list of a million numbers
            raise ParseError(
                f"measure {missing} is missing: measure {previous} (line {seen[previous]}) is "
                f"followed by measure {number}", path=path, line=line.number,
                hint="expected the measures numbered one after another")
        seen[number] = line.number
        line.kind = Kind.MEASURE
        starts.append(index)
    if not starts:
        raise ParseError("no measures found", path=path,
                         hint="expected table rows starting like '1. BFD Utrede …' "
                              "(number, responsible ministry, description, status, reporting)")
    return starts


def _check_no_measure_folded(lines: list[Line], starts: list[int], path: str) -> None:
    """The count of measures read must be the count the text holds: a line inside measure N's rows
    that opens like measure N+1 ("1000. XYZ …") but was not taken as one would otherwise be
    folded, silently, into measure N."""
    for i, first in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else len(lines)
        m = _MEASURE_START.match(lines[first].text)
        assert m is not None
        _refuse_unread_start(lines[first + 1:stop], int(m["number"]) + 1, i + 1, path)


def _refuse_unread_start(lines: list[Line], expected: int, read: int, path: str) -> None:
    """Raise on the first text line that opens like measure ``expected`` (``read`` measures so far)."""
    for line in lines:
        n = _NUMBERED_LINE.match(line.text) if line.kind is Kind.TEXT else None
        if n and int(n["number"]) == expected:
            raise ParseError(
                f"this line starts like measure {expected}, but it cannot be read as one (read "
                f"{read} measures, the text numbers at least {read + 1}); it would be merged into "
                f"measure {expected - 1}", path=path, line=line.number,
                hint="a measure starts with its number, a period and the responsible ministries' "
                     "codes ('12. BFD / JD …'); correct the ANSVAR cell, or list an unknown code "
                     "in the report's Forkortelser")


def _parse_measure(doc: SourceDocument, lines: list[Line], codes: frozenset[str]) -> MeasureRecord:
    first = lines[0]
    m = _MEASURE_START.match(first.text)
    assert m is not None  # _measure_starts matched it
    number = int(m["number"])
    ansvar = m["ansvar"]
    # The rest of the first line (after "12. BFD / JD") starts the description.
    rest_start = first.start + m.end()
    body = [Line(first.number, rest_start, first.end, doc.text[rest_start:first.end].strip(_BLANKS))]
    body[0].start = first.end - len(body[0].text)
    body[0].kind = Kind.TEXT if body[0].text else Kind.BLANK
    body += lines[1:]

    # An ANSVAR cell ending in "/" continues on the next line ("BFD /" then "HOD").
    if ansvar.rstrip().endswith("/") and body[0].kind is Kind.BLANK:
        j = _next_text(body, 1)
        if j is not None and re.fullmatch(_ANSVAR, body[j].text):
            ansvar = f"{ansvar.rstrip()} {body[j].text}"
            body[j].kind = Kind.BLANK

    status_at = next((k for k, ln in enumerate(body) if ln.kind is Kind.TEXT and _STATUS_LINE.match(ln.text)),
                     None)
    if status_at is None:
        raise ParseError(
            f"measure {number}: cannot read its status", path=doc.path, line=first.number,
            hint=f"expected a status cell reading one of: {', '.join(STATUSES)}")
    status_line = body[status_at]
    sm = _STATUS.match(doc.text, status_line.start)
    assert sm is not None
    status_raw = re.sub(r"\s+", " ", sm.group(0))
    status = "Påbegynt - løpende" if sm["ongoing"] else sm["status"]
    if status not in STATUSES:
        raise ParseError(f"measure {number}: status {status_raw!r} is not one of {', '.join(STATUSES)}",
                         path=doc.path, line=status_line.number)

    description_lines = [ln for ln in body[:status_at] if ln.kind is Kind.TEXT]
    report_lines = _report_lines_after_status(doc.text, body, status_at, sm.end())
    description_lines, report_lines = _move_wrapped_description(description_lines, report_lines, body)

    urls = tuple(dict.fromkeys(ln.text for ln in body if ln.kind is Kind.URL))
    description_segments = [Segment("description", s, e) for s, e in consecutive_runs(description_lines)]
    paragraphs = consecutive_runs(report_lines)
    sections = _sections(doc.text, paragraphs, codes)
    section_starts = [section.start for section in sections]
    report_segments = [Segment("report", s, e, _ministry_at(sections, section_starts, s)) for s, e in paragraphs]
    last = max([first.end, *(seg.end for seg in description_segments), *(e for _s, e in paragraphs)])
    return MeasureRecord(
        number=number,
        ministries=_ministries(ansvar),
        status=status,
        status_raw=status_raw,
        description=_join_lines(description_lines),
        report_text=_join_paragraphs(doc.text, paragraphs),
        sections=tuple(sections),
        urls=urls,
        span=Span(first.start, last),
        line=first.number,
        segments=tuple(description_segments + report_segments),
        ansvar_raw=re.sub(r"\s+", " ", ansvar).strip(),
    )


def _next_text(body: list[Line], i: int) -> int | None:
    while i < len(body):
        if body[i].kind is Kind.TEXT:
            return i
        if body[i].kind is not Kind.BLANK:
            return None
        i += 1
    return None


def _report_lines_after_status(text: str, body: list[Line], status_at: int, status_end: int) -> list[Line]:
    """The reporting starts after the status words (on the same line or below)."""
    out = []
    # "Påbegynt - \nløpende": the status may end on a later line.
    k = status_at
    while k < len(body) and body[k].end < status_end:
        body[k].kind = Kind.BLANK
        k += 1
    if k < len(body) and body[k].start < status_end <= body[k].end:
        tail = text[status_end:body[k].end]
        tail_text = tail.strip(_BLANKS)
        line = body[k]
        if tail_text:
            out.append(Line(line.number, line.end - len(tail_text), line.end, tail_text))
        line.kind = Kind.BLANK
        k += 1
    out += [ln for ln in body[k:] if ln.kind is Kind.TEXT]
    return out


def _move_wrapped_description(description: list[Line], report: list[Line], body: list[Line]):
    """A description cell cut by a page break goes on after the page header, in the narrow
    column, before the next measure (measure 36 of the bundled report). Move those lines."""
    if not description or _SENTENCE_END.search(description[-1].text) or not report:
        return description, report
    header_after = [ln.number for ln in body if ln.kind is Kind.HEADER]
    if not header_after:
        return description, report
    page_break = header_after[0]
    after = [ln for ln in report if ln.number > page_break]
    if not after:
        return description, report
    first_paragraph = _first_paragraph(after, body)
    if all(len(ln.text) <= _NARROW_COLUMN for ln in first_paragraph):
        moved = set(id(ln) for ln in first_paragraph)
        return description + first_paragraph, [ln for ln in report if id(ln) not in moved]
    return description, report


def _first_paragraph(lines: list[Line], body: list[Line]) -> list[Line]:
    by_number = {ln.number: ln for ln in body}
    paragraph = [lines[0]]
    for ln in lines[1:]:
        between = [by_number[n] for n in range(paragraph[-1].number + 1, ln.number) if n in by_number]
        if between:  # a blank or removed line ends the paragraph
            break
        paragraph.append(ln)
    return paragraph


def consecutive_runs(kept: list[Line], alone: Collection[int] = ()) -> list[tuple[int, int]]:
    """Group kept lines into runs of consecutive source lines: (start, end) per run. A line whose
    number is in ``alone`` (a labelled field's value, "Ansvarlig: Bufdir") is a run of its own:
    the text after it is no continuation of its sentence."""
    runs: list[tuple[int, int]] = []
    previous: Line | None = None
    for ln in kept:
        if previous is not None and ln.number == previous.number + 1 \
                and ln.number not in alone and previous.number not in alone:
            runs[-1] = (runs[-1][0], ln.end)
        else:
            runs.append((ln.start, ln.end))
        previous = ln
    return runs


def _ministries(ansvar: str) -> tuple[str, ...]:
    codes = []
    for code in _codes_in(ansvar):
        code = "ALLE" if code.upper() == "ALLE" else code
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def _sections(text: str, paragraphs: list[tuple[int, int]], codes: frozenset[str]) -> list[Section]:
    """Split the reporting where a paragraph starts with a ministry label ("BFD: …")."""
    starts: list[tuple[int, str | None]] = []
    for s, _e in paragraphs:
        m = _SECTION_LABEL.match(text, s)
        if m and all(_is_ministry_code(c, codes) for c in _codes_in(m["code"].split("/")[0])):
            starts.append((s, m["code"].split("/")[0].strip()))
    if not starts:
        return []
    if paragraphs[0][0] < starts[0][0]:
        starts.insert(0, (paragraphs[0][0], None))
    sections = []
    firsts = [p[0] for p in paragraphs]  # in source order; bisect, since scanning them all per
    for k, (s, code) in enumerate(starts):  # section was quadratic (20,000 sections: 15 s)
        stop = starts[k + 1][0] if k + 1 < len(starts) else paragraphs[-1][1] + 1
        inside = paragraphs[bisect_left(firsts, s):bisect_left(firsts, stop)]
        sections.append(Section(code, s, inside[-1][1], _join_paragraphs(text, inside)))
    return sections


def _ministry_at(sections: list[Section], starts: list[int], offset: int) -> str | None:
    # Sections are in source order and do not overlap: only the last one starting at or before
    # the offset can hold it (a scan of all of them per paragraph was quadratic).
    k = bisect_right(starts, offset) - 1
    if k >= 0 and sections[k].start <= offset <= sections[k].end:
        return sections[k].ministry
    return None


# --- text assembly ----------------------------------------------------------------------------


def _join_lines(lines: list[Line]) -> str:
    return _join_texts([ln.text for ln in lines])


def _join_texts(parts: list[str]) -> str:
    out = ""
    for part in parts:
        part = part.strip(_BLANKS)
        if not part:
            continue
        if not out:
            out = part
        elif out.endswith(("-", "–")) and out[-2:-1].isalnum() and part.split(None, 1)[0] not in _ELISION_FOLLOWERS:
            # a word (or number range) broken at the line end: "0–24-" + "samarbeidet"; split on
            # any blank, since "og" may be followed by a non-breaking space
            out += part
        elif out.endswith(("-", "–")):
            out += " " + part  # "helse-" + "og omsorgstjenesten"
        else:
            out += " " + part
    return re.sub(r"[ \t\u00a0]+", " ", out)


def _join_paragraphs(text: str, paragraphs: list[tuple[int, int]]) -> str:
    """Paragraphs separated by a blank line; a sentence cut by a page break is joined again."""
    # Paragraphs to be joined are gathered and joined once: re-joining the growing text for each
    # was quadratic (20,000 one-line paragraphs: 17 s). A paragraph ends as its last piece does.
    groups: list[list[str]] = []
    for s, e in paragraphs:
        para = _join_texts(text[s:e].split("\n"))
        if groups and not _SENTENCE_END.search(groups[-1][-1]) and para[:1].islower():
            groups[-1].append(para)
        else:
            groups.append([para])
    return "\n\n".join(_join_texts(group) for group in groups)

