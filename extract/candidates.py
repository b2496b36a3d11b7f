"""What looks like a name but resolves to nothing: the list a person reviews to extend the
knowledge (``tiltaksgraf candidates``).

Input: report files (and the knowledge to resolve with). A report whose layout the parser does
not know is read as whole text, one segment per line, so the list works on any text. The NLP
and resolution stages run as in a build; every sentence is then searched for name shapes —
"Full name (ABBR)", abbreviations, «titles», ``*loven``/``-lova``, ``Prop./Meld. St./NOU …``,
capitalised multi-word spans and capitalised words with an agency/plan/report head noun — and a
shape that no mention covers and no known label names is a candidate.

Output: ``Candidate`` records, most frequent first, each with a guessed type, its count, the
measures and one sentence; ``knowledge_lines`` turns them into lines of the knowledge-file
schema (``extract/schemas.UserGazetteerLine``), so the file feeds straight back with
``tiltaksgraf build --knowledge``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tiltaksgraf.errors import ParseError
from tiltaksgraf.extract.gazetteer import Knowledge
from tiltaksgraf.extract.keys import clean_label
from tiltaksgraf.extract.nlp import abbreviation_definitions, analyse_report, head_type_of_name
from tiltaksgraf.extract.layouts import parse_document
from tiltaksgraf.extract.read import read_report
from tiltaksgraf.extract.resolve import resolve
from tiltaksgraf.names import fold
from tiltaksgraf.records import EntityType, MeasureRecord, Report, Segment, SourceDocument, Span, measure_order

_UPPER = "A-ZÆØÅÁÉ"
_WORD = r"[\wæøåÆØÅáéÁÉ.’'-]"
_CONNECTORS = {"og", "for", "i", "mot", "til", "av", "på", "om", "med", "-", "–", "&", "of", "and", "the"}
# Capitalised words that begin a sentence or a line without naming anything ("Det", "Tiltak").
_NOT_NAMES = {"nr", "status", "ansvar", "ansvarlig", "ansvarleg", "tiltak", "tiltaket", "tiltaka", "mål",
              "regjeringen", "rapportering", "departementet", "innhold", "innledning", "tabell", "status:"}
_ROMAN = re.compile(r"^[IVXLC]+$")

_DOCUMENT = re.compile(
    r"\b(?:Prop\.\s*\d+\s*[LS](?:\s*\(\d{4}\s*[–-]\s*\d{4}\))?"
    r"|Meld\.\s*St\.\s*\d+(?:\s*\(\d{4}\s*[–-]\s*\d{4}\))?"
    r"|St\.\s*meld\.\s*nr\.\s*\d+(?:\s*\(\d{4}\s*[–-]\s*\d{4}\))?"
    r"|Innst\.\s*\d+\s*[LS](?:\s*\(\d{4}\s*[–-]\s*\d{4}\))?"
    r"|NOU\s*\d{4}\s*:\s*\d+)")
_LAW = re.compile(r"(?<![\w-])(?:[\wæøåÆØÅ]+-\s(?:og|eller)\s)?[\wæøåÆØÅ-]{3,}"
                  r"(?:loven|lova|lovens|lovas|forordning(?:en)?)\b")
_QUOTED = re.compile(r"«([^«»]{2,150})»|“([^“”]{2,150})”|\"([^\"]{2,150})\"")
_ABBREVIATION = re.compile(rf"(?<![\w-])(?:[{_UPPER}]{{2,7}}|[{_UPPER}][a-zæøå]?[{_UPPER}]{{1,5}}[a-zæøå]?)(?![\w-])")
_CAPITALISED = re.compile(rf"(?<![\w-])[{_UPPER}][\wæøåÆØÅáé.’'-]*")


@dataclass(frozen=True)
class Candidate:
    name: str
    type: EntityType  # guessed: a person edits it before feeding the line back
    count: int
    measures: tuple[str, ...]  # measure ids as numbered ("14", "2.1"); () when no layout fits the text
    sentence: str  # the first sentence it occurs in
    aliases: tuple[str, ...] = ()  # the abbreviation of "Full name (ABBR)"
    shape: str = "name"  # what made it a candidate: definition, abbreviation, title, law, document, name


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    name: str
    type: EntityType
    shape: str
    alias: str | None = None


def read_any_report(path: str | Path) -> tuple[Report, bool]:
    """The report parsed by the layout ``build`` would choose, or — when no layout fits — as whole
    text with one segment per non-empty line (measure 0). The flag says whether a layout fitted."""
    source = read_report(path)
    try:
        report = parse_document(source)
    except ParseError:
        return whole_text_report(source), False
    # The opening and headings outside the measures name plans and propositions too; a glossary
    # is read by the build already, and a heading in capitals is page furniture.
    newlines = [m.start() for m in re.finditer("\n", source.text)]
    glossary = {g.line for g in report.glossary}
    outside = tuple(s for s in _line_segments(source.text, [m.span for m in report.measures])
                    if bisect_left(newlines, s.start) + 1 not in glossary
                    and not _shouting(source.text[s.start:s.end]))
    if not outside:
        return report, True
    return replace(report, measures=(*report.measures, _pseudo_measure(source.text, outside))), True


def whole_text_report(source: SourceDocument) -> Report:
    """Any text as a report of one pseudo-measure (number 0) whose segments are its lines."""
    return Report(source, (), (_pseudo_measure(source.text, _line_segments(source.text, [])),))


def _line_segments(text: str, leave_out: list[Span]) -> tuple[Segment, ...]:
    """One segment per non-blank line of ``text`` outside the spans ``leave_out``."""
    starts = sorted(s.start for s in leave_out)
    ends = {s.start: s.end for s in leave_out}

    def inside(offset: int) -> bool:
        i = bisect_right(starts, offset) - 1
        return i >= 0 and offset < ends[starts[i]]

    return tuple(Segment("report", m.start(), m.end()) for m in re.finditer(r"[^\r\n]*\S[^\r\n]*", text)
                 if not inside(m.start()))


def _pseudo_measure(text: str, segments: tuple[Segment, ...]) -> MeasureRecord:
    """Measure number 0, which no layout gives: text read line by line, with no measure to name."""
    return MeasureRecord(number=0, ministries=(), status="", status_raw="", description="", report_text=text,
                         sections=(), urls=(), span=Span(0, len(text)), line=1, segments=segments)


def find_candidates(report: Report, knowledge: Knowledge) -> list[Candidate]:
    """The name-like spans of ``report`` that resolve to nothing, grouped by folded name."""
    analyses, learned = analyse_report(report, knowledge)
    mentions, _entities, _ = resolve(report, analyses, knowledge, learned)
    known = {fold(a) for e in knowledge.gazetteer + learned for a in e.aliases}
    covered = sorted((m.start, m.end) for m in mentions)
    ids = {m.number: m.measure_id or str(m.number) for m in report.measures if m.number}
    text = report.source.text
    groups: dict[str, list[tuple[str, _Hit, str]]] = defaultdict(list)
    known_abbreviations = {a for e in knowledge.gazetteer + learned for a in e.aliases if a.isupper()}
    definitions: dict[str, str] = {}
    for analysis in analyses:
        for sentence in analysis.sentences:
            definitions.update((a, long) for a, long in abbreviation_definitions(sentence.of(text))
                               if a not in known_abbreviations and _looks_like_a_name(long, knowledge))
    for analysis in analyses:
        # Whole segments, not sentences: the sentence splitter cuts "St.meld. nr. 15" after "St.meld.".
        segment = Span(analysis.segment.start, analysis.segment.end)
        for hit in _outermost(list(_hits(text, segment, knowledge, definitions, known_abbreviations))):
            sentence = next((s for s in analysis.sentences if s.start <= hit.start < s.end), segment)
            if fold(hit.name) in known or _is_covered(hit, covered) or \
                    (hit.shape == "abbreviation" and _shouting(sentence.of(text))):
                continue
            groups[fold(hit.name)].append((ids.get(analysis.measure, ""), hit, clean_label(sentence.of(text))))
    out = [_candidate(items) for items in groups.values()]
    return sorted(out, key=lambda c: (-c.count, fold(c.name)))


def _candidate(items: list[tuple[str, _Hit, str]]) -> Candidate:
    hits = [h for _, h, _ in items]
    # The fullest spelling names it; the shape and type of the most telling hit.
    rank = ("definition", "document", "law", "title", "name", "abbreviation")
    best = min(hits, key=lambda h: (rank.index(h.shape), -len(h.name)))
    aliases = tuple(dict.fromkeys(h.alias for h in hits if h.alias and h.alias != best.name))
    measures = tuple(sorted({m for m, _, _ in items if m}, key=measure_order))
    return Candidate(best.name, best.type, len(items), measures, items[0][2], aliases, best.shape)


def _is_covered(hit: _Hit, covered: list[tuple[int, int]]) -> bool:
    """A mention spans the whole hit: the name is already found (a larger hit around a found
    name — "Statens vegvesens ulykkesanalysegruppe" — is still a candidate)."""
    return any(s <= hit.start and hit.end <= e for s, e in covered if s <= hit.start)


def _outermost(hits: list[_Hit]) -> list[_Hit]:
    """Drop a hit inside a longer one of the same sentence ("NSSF" inside its definition)."""
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[_Hit] = []
    for h in hits:
        if not any(k.start <= h.start and h.end <= k.end for k in kept):
            kept.append(h)
    return kept


def _hits(text: str, segment: Span, knowledge: Knowledge, definitions: dict[str, str],
          known_abbreviations: set[str]) -> Iterator[_Hit]:
    s = segment.start
    chunk = text[s:segment.end]
    heads = knowledge.type_heads
    for abbr, long_form in abbreviation_definitions(chunk):
        if abbr in known_abbreviations or not _looks_like_a_name(long_form, knowledge):
            continue  # "Bruke foreldrenettverk (KD)": the ministry responsible, not the title's abbreviation
        at = chunk.find(long_form)
        if at < 0:
            continue
        close = chunk.find(")", at)
        yield _Hit(s + at, s + (close + 1 if close > 0 else at + len(long_form)), clean_label(long_form),
                   head_type_of_name(long_form, heads) or "Agency", "definition", abbr)
    for m in _DOCUMENT.finditer(chunk):
        typ: EntityType = "Law" if re.match(r"(Prop|Innst)\.\s*\d+\s*L", m[0]) else "Report"
        yield _Hit(s + m.start(), s + m.end(), clean_label(m[0]), typ, "document")
    for m in _LAW.finditer(chunk):
        yield _Hit(s + m.start(), s + m.end(), clean_label(m[0]), "Law", "law")
    for m in _QUOTED.finditer(chunk):
        group = next(i for i, g in enumerate(m.groups(), 1) if g is not None)
        inner = m[group].strip()
        if inner[:1].isupper() or inner[:1].isdigit():  # the words inside the quotes, as a mention would have them
            yield _Hit(s + m.start(group), s + m.end(group), clean_label(inner),
                       head_type_of_name(inner, heads) or "Report", "title")
    for m in _ABBREVIATION.finditer(chunk):
        if _ROMAN.match(m[0]) or m[0].lower() in _NOT_NAMES:
            continue
        if m[0] in definitions:
            yield _Hit(s + m.start(), s + m.end(), clean_label(definitions[m[0]]),
                       head_type_of_name(definitions[m[0]], heads) or "Agency", "definition", m[0])
        else:
            yield _Hit(s + m.start(), s + m.end(), m[0], "Agency", "abbreviation")
    yield from _capitalised(chunk, s, knowledge)


def _looks_like_a_name(long_form: str, knowledge: Knowledge) -> bool:
    """A long form with a head noun ("… senter for …") or of capitalised words ("International
    Child Development Programme"), not a measure's title before its ministry ("Bruke … (KD)")."""
    words = long_form.split()
    capitalised = sum(w[:1].isupper() for w in words)
    return head_type_of_name(long_form, knowledge.type_heads) is not None or capitalised * 2 > len(words)


def _shouting(chunk: str) -> bool:
    """A line in capitals ("NR. ANSVAR REGJERINGEN VIL STATUS") is a heading, not names."""
    words = re.findall(r"[^\W\d_]{4,}", chunk)  # long words: "POD, SKD og UDI" is a list of names
    return len(words) >= 3 and sum(w.isupper() for w in words) * 2 > len(words)


def _capitalised(chunk: str, offset: int, knowledge: Knowledge) -> Iterator[_Hit]:
    """Runs of capitalised words ("Skeiv Ungdom", "Uni Research Helse Bergen"); a capitalised
    word or two up to a head noun and its complement ("Nasjonalt senter for selvmordsforskning og
    forebygging", "Statens vegvesen"); a lone word with a capital inside ("MinID") or a compound
    with a head noun ("Dødsårsaksregisteret")."""
    words = list(re.finditer(rf"{_WORD}+", chunk))
    heads = knowledge.type_heads
    i = 0
    while i < len(words):
        w = words[i][0].rstrip(".")
        if not _CAPITALISED.fullmatch(w) or w.lower() in _NOT_NAMES or w.endswith("-") or len(w) < 2:
            i += 1
            continue
        end = _capital_run(chunk, words, i)
        if end == i:
            end = _head_end(chunk, words, i, knowledge)
        if end > i or _complement_end(chunk, words, i, knowledge) > i:
            end = _complement_end(chunk, words, end, knowledge)
            yield _span_hit(chunk, offset, words[i].start(), words[end].end(), knowledge, "name")
            i = end + 1
            continue
        if len(w) > 2 and (re.search(r"[a-zæøå][A-ZÆØÅ]", w) or _head_compound(w, heads)
                           or not _starts_sentence(chunk, words, i)):  # "Et" (liv uten vold) is no name
            yield _span_hit(chunk, offset, words[i].start(), words[i].start() + len(w), knowledge, "name")
        i += 1


def _starts_sentence(chunk: str, words: list[re.Match[str]], i: int) -> bool:
    """The word begins the sentence, or follows a colon, a bullet or a number ("Ansvarlig: Digdir",
    "Tiltak 7 Bruke …"): its capital says nothing."""
    before = chunk[:words[i].start()].rstrip()
    return not before or before[-1] in ".:!?•–-)" or before[-1].isdigit()


_RUN_JOINERS = {"for", "i", "of", "and", "the", "mot", "på", "-", "–", "de", "la"}
_DETERMINERS = {"denne", "dette", "disse", "den", "det", "de", "en", "et", "ei", "alle", "noen", "flere", "mange",
                "ulike", "andre", "hver", "hvert", "vår", "våre", "sin", "sine", "to", "tre", "les", "se"}


def _gap(chunk: str, words: list[re.Match[str]], j: int) -> str:
    return chunk[words[j - 1].end():words[j].start()]


def _capital_run(chunk: str, words: list[re.Match[str]], i: int) -> int:
    """The last word of a run of capitalised words from ``i`` (an abbreviation ends a run: "Helse
    Nord RHF"; it does not start one: "KD Gjennomføring"; "og" joins lists, not names)."""
    if words[i][0].isupper():
        return i
    end, j = i, i + 1
    while j < len(words) and j - i < 8 and _gap(chunk, words, j).strip() in ("", "-", "–"):
        if words[j - 1][0].endswith(".") and len(words[j - 1][0]) > 4:
            break  # "… i Norge. Andersson har …": a sentence ends
        word = words[j][0].rstrip(".")
        if _CAPITALISED.fullmatch(word) and not word.endswith("-"):
            end = j
            if word.isupper():
                break
        elif word.lower() not in _RUN_JOINERS:
            break
        j += 1
    return end


def _head_end(chunk: str, words: list[re.Match[str]], i: int, knowledge: Knowledge) -> int:
    """"Statens vegvesen", "Enerhaugen familiekontor": the head noun is the second word (and the
    first is not a determiner: "Denne rapporten"); ``i`` when it is not."""
    from tiltaksgraf.extract.nlp import head_type

    j = i + 1
    if words[i][0].lower() in _DETERMINERS or j >= len(words) or _gap(chunk, words, j).strip():
        return i
    if words[j][0].islower() and head_type(words[j][0].strip(".’'"), knowledge.type_heads) is not None:
        return j
    return i


def _place_end(chunk: str, words: list[re.Match[str]], j: int) -> int:
    """The last word of a place name starting at ``j`` ("Vestland", "Troms og Finnmark"), or 0."""
    last = 0
    while j < len(words) and not _gap(chunk, words, j).strip():
        word = words[j][0].rstrip(".")
        if word[:1].isupper():
            last = j
        elif not (word == "og" and last):
            break
        j += 1
    return last


def _complement_end(chunk: str, words: list[re.Match[str]], end: int, knowledge: Knowledge) -> int:
    """After a head noun, its complement: "Senter for sjeldne diagnoser", "… for selvmordsforskning
    og -forebygging", "… mot tvangsekteskap" (up to punctuation, a capital or a stop word)."""
    from tiltaksgraf.extract.nlp import head_type

    word = words[end][0].strip(".’'")
    if head_type(word, knowledge.type_heads) is None or (end > 0 and words[end - 1][0].lower() in _DETERMINERS):
        return end
    j = end + 1
    if j >= len(words) or words[j][0].lower() not in {"for", "mot", "i"} or _gap(chunk, words, j).strip():
        return end
    stops = knowledge.title_stop_words
    if words[j][0].lower() == "i":  # "Statsforvaltaren i Vestland": a place, not "… i oppdrag å …"
        return _place_end(chunk, words, j + 1) or end
    last = end
    j += 1
    while j < len(words) and j - end < 10 and not _gap(chunk, words, j).strip():
        word = words[j][0]
        if word.lower() in stops or word.lower() == "å" or word[:1].isupper():  # "å": a verb follows
            break
        if word.lower() not in _CONNECTORS:
            last = j
        if word.endswith("."):
            break
        j += 1
    return last


def _head_compound(word: str, heads: dict[str, EntityType]) -> bool:
    """A compound ending in a head noun ("Dødsårsaksregisteret", "Folkehelseinstituttet"), not
    the head noun alone ("Rapporten", "Prosjektet")."""
    from tiltaksgraf.extract.nlp import head_type

    lowered = word.lower()
    if head_type(lowered, heads) is None:
        return False
    return not any(lowered.startswith(h) and len(lowered) - len(h) <= 3 for h in heads)


def _span_hit(chunk: str, offset: int, start: int, end: int, knowledge: Knowledge, shape: str) -> _Hit:
    name = clean_label(chunk[start:end]).rstrip(".,;:")
    return _Hit(offset + start, offset + start + len(name), name,
                head_type_of_name(name, knowledge.type_heads) or "Agency", shape)


def candidates_in_files(paths: Sequence[str | Path], knowledge: Knowledge) -> tuple[list[Candidate], list[Path]]:
    """The candidates of several reports merged (counts added, measures of each), and the files
    read as whole text because no layout fitted them."""
    merged: dict[str, list[Candidate]] = defaultdict(list)
    whole_text: list[Path] = []
    for path in paths:
        report, known_layout = read_any_report(path)
        if not known_layout:
            whole_text.append(Path(path))
        for c in find_candidates(report, knowledge):
            merged[fold(c.name)].append(c)
    out = []
    for group in merged.values():
        first = group[0]
        out.append(Candidate(first.name, first.type, sum(c.count for c in group),
                             tuple(sorted({m for c in group for m in c.measures}, key=measure_order)), first.sentence,
                             tuple(dict.fromkeys(a for c in group for a in c.aliases)), first.shape))
    return sorted(out, key=lambda c: (-c.count, fold(c.name))), whole_text


def measures_phrase(ids: Sequence[str]) -> str:
    """Where a candidate occurs, as the table and the notes say it: "measure 14", "measures 2, 29a"."""
    return ("measure " if len(ids) == 1 else "measures ") + ", ".join(ids)


def knowledge_lines(candidates: Sequence[Candidate]) -> list[dict[str, object]]:
    """Each candidate as a line of a knowledge file (no key: it is minted from the name when the
    file is read); the note keeps the evidence for the person editing it."""
    lines: list[dict[str, object]] = []
    for c in candidates:
        where = measures_phrase(c.measures) if c.measures else "the text"
        lines.append({"type": c.type, "name": c.name, "aliases": list(c.aliases),
                      "note": f"candidate ({c.shape}), {c.count}× in {where}: {c.sentence[:200]}"})
    return lines
