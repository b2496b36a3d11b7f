"""Stage 3, nlp: ``Report`` → ``[Mention]`` (+ the sentences of every segment).

Runs the spaCy pipeline (extract/components.py) over each segment of each measure — a segment
is contiguous in the source, so ``segment.start + span.start_char`` is a source offset — and
picks one reading among overlapping candidates: gazetteer names before learned abbreviations
before generic patterns, longer before shorter. Before that, it learns what the report itself
defines: its abbreviation glossary and every "Full Name (ABBR)" in the text.

Over 400 lines: the pipeline's assembly and the report-level learning (glossary, "Full Name (ABBR)")
it feeds; issue 12 changes its chunking now.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span as SpacySpan

from tiltaksgraf.extract.components import CANDIDATES, is_acronym, report_pipeline
from tiltaksgraf.extract.gazetteer import GazetteerEntry, Knowledge, load_knowledge
from tiltaksgraf import forked
from tiltaksgraf.names import fold
from tiltaksgraf.records import EntityType, MeasureRecord, Mention, Report, Segment, Span

_QUOTES = {"«": "»", "“": "”", '"': '"'}
_MAX_TITLE_TOKENS = 9
_MAX_QUOTE_TOKENS = 25
_DEFINITE = ("ene", "enes", "ens", "ets", "en", "et", "a", "er", "ne", "n", "t", "s")
_TITLE_ENDERS = {"for", "i", "om", "mot", "med", "av", "til", "på", "og", "å", "-", "–", "sin", "sine"}


@dataclass(frozen=True)
class SegmentAnalysis:
    """One segment's mentions and sentences (source offsets)."""

    measure: int
    segment: Segment
    mentions: tuple[Mention, ...]
    sentences: tuple[Span, ...]


def analyse_report(report: Report, knowledge: Knowledge | None = None
                   ) -> tuple[list[SegmentAnalysis], tuple[GazetteerEntry, ...]]:
    """Return every segment's analysis and the entities learned from the report itself."""
    knowledge = knowledge or load_knowledge()
    learned = learn_entities(report, knowledge)
    with report_pipeline(knowledge, learned) as nlp:
        return _analyse(nlp, report, knowledge, learned), learned




def _analyse(nlp: Language, report: Report, knowledge: Knowledge,
             learned: tuple[GazetteerEntry, ...]) -> list[SegmentAnalysis]:
    first, second = _halves(report.measures)
    if not second or not forked.worth_splitting(len(report.source.text)):
        return _analyse_measures(nlp, report, report.measures, knowledge, learned)
    own, theirs = forked.beside(lambda: _analyse_measures(nlp, report, first, knowledge, learned),
                                lambda: _analyse_measures(nlp, report, second, knowledge, learned))
    return own + _with_own_segments(theirs, second)


def _halves(measures: tuple[MeasureRecord, ...]) -> tuple[tuple[MeasureRecord, ...], tuple[MeasureRecord, ...]]:
    """The measures cut in two where half their segments' text lies before the cut."""
    first, second = forked.halves(measures, MeasureRecord.text_size)
    return tuple(first), tuple(second)


def _with_own_segments(analyses: list[SegmentAnalysis], measures: tuple[MeasureRecord, ...]
                       ) -> list[SegmentAnalysis]:
    """Analyses from the child hold equal copies of the report's segments; later stages get the
    report's own objects, as from an analysis done here."""
    own = {s: s for m in measures for s in m.segments}
    return [SegmentAnalysis(a.measure, own.get(a.segment, a.segment), a.mentions, a.sentences) for a in analyses]


def _analyse_measures(nlp: Language, report: Report, measures: tuple[MeasureRecord, ...], knowledge: Knowledge,
                      learned: tuple[GazetteerEntry, ...]) -> list[SegmentAnalysis]:
    gazetteer_keys = {e.key for e in knowledge.gazetteer}
    learned_keys = {e.key for e in learned}
    known_names = KnownNames.of(knowledge)
    text = report.source.text
    out: list[SegmentAnalysis] = []
    # A generator, so only one batch of folded texts (and their offset lists) is alive at a time.
    jobs = ((piece, (measure, segment, offsets))
            for measure in measures for segment, following in _with_next(measure.segments)
            for piece, offsets in _pieces(*_segment_text(text, segment, following)))
    # A segment cut in pieces gathers its pieces' mentions and sentences, and becomes one analysis.
    current: tuple[MeasureRecord, Segment, list[Mention], list[Span]] | None = None
    for doc, (measure, segment, offsets) in nlp.pipe(jobs, as_tuples=True, batch_size=64):
        if current is None or current[1] is not segment:
            if current is not None:
                out.append(SegmentAnalysis(current[0].number, current[1], tuple(current[2]), tuple(current[3])))
            current = (measure, segment, [], [])
        # what starts in a title's continuation belongs to the next segment's own analysis
        spans = [s for s in _choose(doc, knowledge, gazetteer_keys, learned_keys, known_names)
                 if offsets[s.start_char] < segment.end]
        sentences = [(a, b) for a, b in _sentences(doc, spans) if offsets[a] < segment.end]
        sentence_starts = [a for a, _b in sentences]
        current[2].extend(_mention(measure, segment, text, offsets, span,
                                   sentences[bisect_right(sentence_starts, span.start_char) - 1])
                          for span in spans)
        current[3].extend(Span(offsets[a], _end_within(text, offsets, b, segment.end)) for a, b in sentences)
    if current is not None:
        out.append(SegmentAnalysis(current[0].number, current[1], tuple(current[2]), tuple(current[3])))
    return out


def _with_next(segments: tuple[Segment, ...]) -> Iterator[tuple[Segment, Segment | None]]:
    return zip(segments, (*segments[1:], None))


# A «title» that a page break cuts ("Kampanjen «Hvor lite skal du finne" | URL footnotes, page
# header | "deg i», ble lansert …") is analysed whole: the segment is followed by the next one's
# opening up to the closing quote, and what is found there is cut back to the segment.
_QUOTES = {"«": "»", "“": "”"}
_MAX_CONTINUATION = 200


def _segment_text(text: str, segment: Segment, following: Segment | None) -> tuple[str, list[int]]:
    """The segment folded (``fold_blanks``), and when it ends inside a quoted title that the
    next segment of the same field closes, that title's rest after one blank."""
    folded, offsets = fold_blanks(text, segment.start, segment.end)
    rest = _title_rest(text, segment, following)
    if rest is None:
        return folded, offsets
    more, more_offsets = fold_blanks(text, *rest)
    return f"{folded} {more}", [*offsets, rest[0], *more_offsets]


def _title_rest(text: str, segment: Segment, following: Segment | None) -> tuple[int, int] | None:
    """Where the next segment closes the quote this segment leaves open, as (start, end)."""
    if following is None or following.field != segment.field:
        return None
    tail = text[max(segment.start, segment.end - _MAX_CONTINUATION):segment.end]
    opened = max(_QUOTES, key=tail.rfind)
    at = tail.rfind(opened)
    if at < 0 or _QUOTES[opened] in tail[at:]:
        return None
    head = text[following.start:min(following.end, following.start + _MAX_CONTINUATION)]
    close = head.find(_QUOTES[opened])
    if close < 0 or opened in head[:close]:
        return None
    return following.start, following.start + close + 1


def _end_within(text: str, offsets: list[int], stop: int, limit: int) -> int:
    """The source end of doc characters ``[…, stop)``, cut back to ``limit`` (a segment's end)
    and its trailing blanks when they run on into a title's continuation."""
    end = offsets[stop - 1] + 1
    if end <= limit:
        return end
    end = offsets[bisect_left(offsets, limit, hi=stop) - 1] + 1
    while text[end - 1].isspace():
        end -= 1
    return end


# spaCy refuses texts over ``nlp.max_length`` (1,000,000 characters, error E088), and the costs
# of a doc grow with its length. A segment longer than this is analysed in pieces cut at sentence
# ends; a "sentence" longer than this at a blank, and a run with no blank at all hard at the limit.
MAX_PIECE_CHARS = 100_000
_SENTENCE_CUT = re.compile(r"[.!?»:;][\"»)]* (?=\S)")


def _pieces(folded: str, offsets: list[int], limit: int | None = None) -> Iterator[tuple[str, list[int]]]:
    """Cut a folded segment into pieces of at most ``limit`` characters (with their offsets)."""
    limit = limit or MAX_PIECE_CHARS
    if len(folded) <= limit:
        yield folded, offsets
        return
    start = 0
    while start < len(folded):
        stop = min(len(folded), start + limit)
        if stop < len(folded):
            stop = _cut_point(folded, start, stop)
        yield folded[start:stop], offsets[start:stop]
        start = stop


def _cut_point(folded: str, start: int, stop: int) -> int:
    """The last sentence end in ``folded[start:stop]`` (in its second half), else the last blank,
    else ``stop`` itself: a run-on line with no blank is cut hard."""
    floor = start + (stop - start) // 2
    last = None
    for m in _SENTENCE_CUT.finditer(folded, floor, stop):
        last = m.end()
    if last is not None:
        return last
    blank = folded.rfind(" ", floor, stop)
    return blank + 1 if blank > start else stop


# spaCy's tokenizer splits prefixes and suffixes off a token one character at a time, searching
# the rest of the token each time: a run of thousands of symbols ("((((", "____", "««««") took
# seconds to minutes. A longer run keeps only its first and last half of this many characters.
_MAX_SYMBOL_RUN = 64
_SYMBOL_RUN = re.compile(rf"(?:[^\w\s]|_){{{_MAX_SYMBOL_RUN + 1},}}")


def fold_blanks(text: str, start: int, end: int) -> tuple[str, list[int]]:
    """The segment with every run of blanks and line breaks as one space, and for each of its
    characters the source offset it came from. Names broken over lines then match as phrases,
    and CRLF, NBSP or form-feed variants of a report give the same tokens. Runs of more than
    ``_MAX_SYMBOL_RUN`` symbols are shortened (they name nothing, and cost spaCy quadratic time)."""
    chars: list[str] = []
    offsets: list[int] = []
    in_blank = False
    for i in range(start, end):
        c = text[i]
        if c.isspace():
            if not in_blank:
                chars.append(" ")
                offsets.append(i)
            in_blank = True
            continue
        in_blank = False
        chars.append(c)
        offsets.append(i)
    folded = "".join(chars)
    if _SYMBOL_RUN.search(folded) is None:
        return folded, offsets
    return _shorten_symbol_runs(folded, offsets)


def _shorten_symbol_runs(folded: str, offsets: list[int]) -> tuple[str, list[int]]:
    keep = _MAX_SYMBOL_RUN // 2
    pieces: list[str] = []
    kept: list[int] = []
    pos = 0
    for run in _SYMBOL_RUN.finditer(folded):
        pieces.append(folded[pos:run.start() + keep])
        kept += offsets[pos:run.start() + keep]
        pos = run.end() - keep
    pieces.append(folded[pos:])
    kept += offsets[pos:]
    return "".join(pieces), kept


# --- candidates -------------------------------------------------------------------------------


def _priority(span: SpacySpan, gazetteer_keys: set[str], learned_keys: set[str]) -> int:
    if span.id_ in gazetteer_keys:
        return 0
    if span.id_ in learned_keys:
        return 1
    return 2


def _choose(doc: Doc, knowledge: Knowledge, gazetteer_keys: set[str], learned_keys: set[str],
            known_names: KnownNames) -> list[SpacySpan]:
    extend = {p.id for p in knowledge.patterns if p.extend == "title"}
    candidates = []
    for span in doc.spans[CANDIDATES]:
        if span.id_ in extend:
            if _generic_or_verbal(doc, span):
                continue
            span = _extend_title(doc, span, knowledge.title_stop_words)
            if span is None:
                continue
        candidates.append(span)
    candidates = [s for s in candidates if not _parenthesised_website(doc, s)]
    candidates += _quoted_titles(doc, knowledge)
    candidates.sort(key=lambda s: (-(s.end_char - s.start_char),
                                   _priority(s, gazetteer_keys, learned_keys), s.start))
    taken: list[SpacySpan] = []
    used = [False] * len(doc)
    for span in candidates:
        if any(used[i] for i in range(span.start, span.end)):
            continue
        for i in range(span.start, span.end):
            used[i] = True
        taken.append(span)
    taken += _agencies_inside_titles(candidates, taken)
    taken += _coordinated_heads(doc, taken, known_names)
    taken += _shared_first_words(doc, taken, known_names)
    return sorted(taken, key=lambda s: (s.start, -s.end))


_MAX_MODIFIER_TOKENS = 3


def _coordinated_heads(doc: Doc, taken: list[SpacySpan], known: KnownNames) -> list[SpacySpan]:
    """The first of two names sharing one head noun: "Sør-Øst og Øst politidistrikter" names
    Sør-Øst politidistrikt too, "Helse Sør-Øst og Helse Vest RHF" Helse Sør-Øst RHF. The words
    before "og" with the found name's head read as a known name of the same type become a mention
    of their own (over those words only: the source says no more)."""
    used = {i for s in taken for i in range(s.start, s.end)}
    out = []
    for span in taken:
        if span.label_ != "Agency" or len(span) < 2 or span.start < 2 or doc[span.start - 1].lower_ != "og":
            continue
        head = span[-1].text
        first = span.start - 1
        while first > span.start - 1 - _MAX_MODIFIER_TOKENS and first > 0 and doc[first - 1].text[:1].isupper() \
                and first - 1 not in used:
            first -= 1
        if first == span.start - 1:
            continue
        words = doc[first:span.start - 1].text
        for alias_head in _head_forms(head, known.aliases.get(span.id_, ())):
            key = known.names.get(fold(f"{words} {alias_head}"))
            if key is not None and key[1] == span.label_:
                out.append(SpacySpan(doc, first, span.start - 1, label=span.label_, span_id=key[0],
                                     kb_id=f"{words} {alias_head}"))
                used.update(range(first, span.start - 1))
                break
    return out


def _shared_first_words(doc: Doc, taken: list[SpacySpan], known: KnownNames) -> list[SpacySpan]:
    """Names after a found one that share its first words: "RVTS Nord og Midt" names RVTS Midt
    too, "RVTS Sør, Vest og Midt" all three. A capitalised word after "og" or a comma, read with
    the found name's words before its last, as a known name of the same type, becomes a mention
    over that word (the name it stands for is kept as the mention's name)."""
    used = {i for s in taken for i in range(s.start, s.end)}
    out = []
    for span in taken:
        if span.label_ != "Agency" or len(span) < 2:
            continue
        first_words = doc[span.start:span.end - 1].text
        i = span.end
        while i + 1 < len(doc) and doc[i].text in ("og", ",") and doc[i + 1].text[:1].isupper() and i + 1 not in used:
            name = f"{first_words} {doc[i + 1].text}"
            key = known.names.get(fold(name))
            if key is None or key[1] != span.label_:
                break
            out.append(SpacySpan(doc, i + 1, i + 2, label=span.label_, span_id=key[0], kb_id=name))
            used.add(i + 1)
            i += 2
    return out


def _head_forms(head: str, aliases: tuple[str, ...]) -> list[str]:
    """The head noun as the known names write it: "Politidistrikter" → "politidistrikt" (the
    last word of an alias of the found entity that the head starts with), else as written."""
    forms = [a.split()[-1] for a in aliases if a.split() and fold(head).startswith(fold(a.split()[-1]))]
    return sorted(set(forms), key=len, reverse=True) + [head]


@dataclass(frozen=True)
class KnownNames:
    """The gazetteer by name: every folded alias → (key, type), and each key's aliases."""

    names: dict[str, tuple[str, str]]
    aliases: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, knowledge: Knowledge) -> KnownNames:
        names: dict[str, tuple[str, str]] = {}
        for entry in knowledge.gazetteer:
            for alias in entry.aliases:
                names.setdefault(fold(alias), (entry.key, entry.type))
        return cls(names, {entry.key: entry.aliases for entry in knowledge.gazetteer})


def _agencies_inside_titles(candidates: list[SpacySpan], taken: list[SpacySpan]) -> list[SpacySpan]:
    """An agency named inside a title ("NOU 2020: 17 … — Partnerdrapsutvalgets utredning") is
    a mention of its own, nested in the title's. Taken spans do not overlap, so the only title
    that can hold a span is the last one starting at or before it: a bisection, not a scan of
    all titles per candidate (one sentence naming thousands of agencies was quadratic)."""
    titles = sorted((t.start, t.end) for t in taken if t.label_ != "Agency")
    if not titles:
        return []
    title_starts = [a for a, _b in titles]
    taken_keys = {(t.start, t.end, t.label_, t.id_) for t in taken}
    nested: list[SpacySpan] = []
    used: set[int] = set()  # tokens of the nested spans chosen so far
    for span in candidates:
        if span.label_ != "Agency" or (span.start, span.end, span.label_, span.id_) in taken_keys:
            continue
        k = bisect_right(title_starts, span.start) - 1
        if k < 0:
            continue
        t_start, t_end = titles[k]
        inside = span.end <= t_end and (t_start, t_end) != (span.start, span.end)
        if inside and used.isdisjoint(range(span.start, span.end)):
            nested.append(span)
            used.update(range(span.start, span.end))
    return nested


_ADVERBIAL_AFTER_I = frozenset({"samarbeid", "samråd", "regi", "tillegg", "forbindelse", "perioden", "løpet",
                                "tråd", "henhold", "dag", "år", "fjor", "stor", "større", "hele", "alle"})
# Before "handlingsplan mot …" these make it any plan of that kind, not a named one.
_GENERIC_DETERMINERS = frozenset({"en", "et", "ei", "egen", "eget", "egne", "sin", "sitt", "sine", "lokale",
                                  "kommunale", "interkommunale", "ny", "nye", "flere", "andre", "slik", "slike"})


# "Etablere retningslinjer for …", "om utvikling av strategi for …": a thing still to be made,
# described by the measure's own wording, not a named one.
_MAKING_VERBS = frozenset({"etablere", "utarbeide", "utvikle", "lage", "opprette", "utforme"})
_MAKING_NOUNS = frozenset({"utvikling", "utarbeidelse", "etablering", "utforming"})


def _generic_or_verbal(doc: Doc, span: SpacySpan) -> bool:
    """'en handlingsplan mot …' is generic; 'retningslinjer for å …' states a purpose; in
    'nettpatruljer veileder om …' the noun is a verb; 'Etablere retningslinjer for …' is a
    deliverable still to be made."""
    before = doc[span.start - 1] if span.start > 0 else None
    after = doc[span.end] if span.end < len(doc) else None
    if before is not None and before.lower_ in _GENERIC_DETERMINERS:
        return True
    if before is not None and (before.lower_ in _MAKING_VERBS or (
            before.lower_ == "av" and span.start > 1 and doc[span.start - 2].lower_ in _MAKING_NOUNS)):
        return True
    # "en overordnet strategi for …": an article with one adjective between
    if span.start > 1 and doc[span.start - 2].lower_ in ("en", "et", "ei") and before is not None and before.is_lower:
        return True
    if after is not None and after.lower_ == "å":
        return True
    head = span[-2].lower_ if len(span) > 1 else span[0].lower_
    if head.startswith("veileder") and before is not None and not before.is_punct \
            and (before.is_title or before.lower_.endswith(("er", "ene", "ne"))):
        return True
    return False


def _extend_title(doc: Doc, span: SpacySpan, stop_words: frozenset[str]) -> SpacySpan | None:
    """Grow "handlingsplan mot" over the title that follows; None when nothing follows.
    A title ends at punctuation, a stop word (verbs, "som", "fra" …) or after ten words; "og"
    continues it only after an elided compound ("helse- og …") or before its last word."""
    end = span.end
    limit = min(len(doc), span.end + _MAX_TITLE_TOKENS)
    while end < limit:
        tok = doc[end]
        low = tok.lower_
        if tok.text == "(" and end + 2 < len(doc) and re.fullmatch(r"\d{4}[-–]\d{4}", doc[end + 1].text) \
                and doc[end + 2].text == ")":
            end += 3
            break
        if (tok.is_punct and tok.text not in ("-", "–")) or tok.is_space or low in stop_words or tok.like_url:
            break
        if low == "og" and not _og_continues(doc, end, stop_words):
            break
        if low == "i" and end + 1 < len(doc) and doc[end + 1].lower_ in _ADVERBIAL_AFTER_I:
            break  # "… i samarbeid med", "… i regi av": the title has ended
        if tok.is_lower and len(low) > 5 and low.endswith("es") and not low.endswith("ss"):
            break  # a passive verb: "veileder for kommunenes krisesentertilbud oppdateres med …"
        if low == "med" and end + 1 < len(doc) and doc[end + 1].lower_.endswith("ing"):
            break  # "forskrift om … med tydeliggjøring av ansvar": what changes, not the title
        if tok.text[:1].isdigit() and not re.fullmatch(r"\d+[-–]\w+|\d{4}|\d{1,2}", tok.text):
            break
        end += 1
    while end > span.end and doc[end - 1].lower_ in _TITLE_ENDERS:
        end -= 1
    if end == span.end:
        return None
    return SpacySpan(doc, span.start, end, label=span.label_, span_id=span.id_)


def _og_continues(doc: Doc, at: int, stop_words: frozenset[str]) -> bool:
    if at > 0 and doc[at - 1].text.endswith("-"):
        return True
    if at + 1 >= len(doc) or not doc[at + 1].is_lower or doc[at + 1].lower_ in stop_words:
        return False
    after = doc[at + 2] if at + 2 < len(doc) else None
    return after is None or after.is_punct or after.lower_ in stop_words


def _parenthesised_website(doc: Doc, span: SpacySpan) -> bool:
    """"(uio.no)" after a title cites where it is published; it does not name a resource."""
    return (span.id_ == "programme-website" and span.start > 0 and span.end < len(doc)
            and doc[span.start - 1].text == "(" and doc[span.end].text == ")")


def _quoted_titles(doc: Doc, knowledge: Knowledge) -> list[SpacySpan]:
    """«Title» right after a noun that names its kind ("rapporten «…»", "kampanjen «…»")."""
    out = []
    for i, tok in enumerate(doc):
        close = _QUOTES.get(tok.text)
        if close is None:
            continue
        j = next((k for k in range(i + 1, min(len(doc), i + _MAX_QUOTE_TOKENS)) if doc[k].text == close), None)
        if j is None or j == i + 1:
            continue
        label = _kind_before(doc, i, knowledge.type_heads)
        if label:
            out.append(SpacySpan(doc, i + 1, j, label=label, span_id=f"quoted-{label.lower()}-title"))
    return out


def _kind_before(doc: Doc, quote_at: int, heads: dict[str, EntityType]) -> EntityType | None:
    for k in range(quote_at - 1, max(-1, quote_at - 3), -1):
        word = doc[k].lower_.strip(",")
        if not word:
            continue
        label = head_type(word, heads)
        if label:
            return label
        if not doc[k].is_punct:
            break
    return None


def head_type(word: str, heads: dict[str, EntityType]) -> EntityType | None:
    """The type a head noun names, compounds and definite forms included:
    'kampanjen' → Programme, 'forskningsrapport' → Report, 'direktoratet' → Agency."""
    word = word.lower()
    forms = [word] + [word[: -len(s)] for s in _DEFINITE if word.endswith(s) and len(word) > len(s) + 2]
    for form in forms:
        for head in sorted(heads, key=len, reverse=True):
            if form.endswith(head):
                return heads[head]
    return None


def _sentences(doc: Doc, spans: list[SpacySpan]) -> list[tuple[int, int]]:
    """Sentence character ranges, joined where a chosen name would straddle a boundary. One pass
    over sentences and spans, both in order (a scan of all sentences per span was quadratic)."""
    ranges = [[s.start_char, s.end_char] for s in doc.sents if s.text.strip()]
    joined: list[list[int]] = []
    k = 0
    for span in sorted(spans, key=lambda s: s.start_char):
        while k < len(ranges) and ranges[k][1] <= span.start_char:
            joined.append(ranges[k])
            k += 1
        if k < len(ranges) and ranges[k][0] < span.end_char:  # the span starts in ranges[k]
            merged = ranges[k]
            while k + 1 < len(ranges) and ranges[k + 1][0] < span.end_char:
                k += 1
                merged = [merged[0], ranges[k][1]]
            ranges[k] = merged
    joined += ranges[k:]
    return [(a, b) for a, b in joined]


def _mention(measure: MeasureRecord, segment: Segment, text: str, offsets: list[int], span: SpacySpan,
             sentence: tuple[int, int]) -> Mention:
    start, end = offsets[span.start_char], _end_within(text, offsets, span.end_char, segment.end)
    # "BFD: …" opening a paragraph names who reports, not an actor in the text.
    is_label = segment.ministry is not None and start == segment.start and text[end:end + 1] == ":"
    return Mention(
        measure=measure.number, start=start, end=end, surface=text[start:end],
        label=span.label_,  # type: ignore[arg-type]  # labels come from ENTITY_TYPES-validated data
        entity_key=span.id_, rule_id=span.id_, field="section" if is_label else segment.field,
        sentence=Span(offsets[sentence[0]], _end_within(text, offsets, sentence[1], segment.end)),
        # the whole name where the source does not spell it out here: a title cut by a page
        # break, one name of "Sør-Øst og Øst politidistrikter" or "RVTS Nord og Midt"
        name=span.text if offsets[span.end_char - 1] >= segment.end else (span.kb_id_ or None),
    )


# --- what the report defines itself -----------------------------------------------------------


_DEFINITION = re.compile(r"\(\s*(?P<abbr>[A-ZÆØÅ][A-Za-zÆØÅæøå-]{1,9})\s*\)")
_LONG_FIRST = re.compile(r"(?P<abbr>\b[A-ZÆØÅ][A-Za-zÆØÅ-]{1,9})\s*\(\s*(?P<long>[^()]{4,120}?)\s*\)")


def learn_entities(report: Report, knowledge: Knowledge) -> tuple[GazetteerEntry, ...]:
    """Entities the report itself introduces: glossary abbreviations the gazetteer does not know,
    and "Nordisk institutt for … (NIFU)" / "KOSTRA (Kommune-Stat-Rapportering)" definitions."""
    known = {a for e in knowledge.gazetteer for a in e.aliases}
    known_folded = {a.casefold() for a in known}
    learned: dict[str, GazetteerEntry] = {}
    for g in report.glossary:
        if g.abbreviation in known:
            continue
        name = g.full_name[:1].upper() + g.full_name[1:]
        typ = head_type_of_name(name, knowledge.type_heads) or "Agency"  # a glossary lists organisations
        learned.setdefault(g.abbreviation, GazetteerEntry(_learned_key(g.abbreviation), typ, name,
                                                          (name, g.abbreviation)))
    # Ministry codes of the ANSVAR column that nothing else explains ("KLD") are agencies too.
    for m in report.measures:
        for code in m.ministries:
            if code not in known and code not in learned and code.isupper():
                learned[code] = GazetteerEntry(_learned_key(code), "Agency", code, (code,), exact_case=True)
    text = report.source.text
    for m in report.measures:
        for seg in m.segments:
            for abbr, long_form in _definitions(text[seg.start:seg.end]):
                if abbr in known or abbr in learned or long_form.casefold() in known_folded:
                    continue
                defined = head_type_of_name(long_form, knowledge.type_heads)
                if defined is None:
                    continue
                learned[abbr] = GazetteerEntry(_learned_key(abbr), defined, long_form, (long_form, abbr))
    return tuple(learned.values())


def _learned_key(abbr: str) -> str:
    from tiltaksgraf.graph.iri import slug  # the one slug function; iri has no stage imports

    return slug(abbr)


def _definitions(text: str) -> list[tuple[str, str]]:
    found = []
    for m in _DEFINITION.finditer(text):
        abbr = m["abbr"]
        if not is_acronym(abbr):
            continue
        long_form = _schwartz_hearst_long_form(text[max(0, m.start() - 150):m.start()], abbr)
        if long_form and long_form[0].isupper():
            found.append((abbr, long_form))
    for m in _LONG_FIRST.finditer(text):
        abbr, long_form = m["abbr"], re.sub(r"\s+", " ", m["long"]).strip()
        if is_acronym(abbr) and long_form[:1].isupper() and _letters_match(abbr, long_form):
            found.append((abbr, long_form))
    return found


def _schwartz_hearst_long_form(before: str, abbr: str) -> str | None:
    """Schwartz & Hearst (2003): the shortest text before the parenthesis in which the
    abbreviation's letters occur in order, its first letter starting a word."""
    before = re.sub(r"\s+", " ", before).rstrip()
    letters = [c.lower() for c in abbr if c.isalnum()]
    s_index, l_index = len(letters) - 1, len(before) - 1
    while s_index >= 0:
        c = letters[s_index]
        while l_index >= 0 and (before[l_index].lower() != c or
                                (s_index == 0 and l_index > 0 and before[l_index - 1].isalnum())):
            l_index -= 1
        if l_index < 0:
            return None
        s_index -= 1
        l_index -= 1
    start = before.rfind(" ", 0, l_index + 1) + 1
    long_form = before[start:].strip(" ,;:")
    words = long_form.split()
    if len(words) > min(len(letters) + 5, len(letters) * 2 + 1) or len(words) < 2:
        return None
    return long_form


def _letters_match(abbr: str, long_form: str) -> bool:
    initials = "".join(w[0] for w in re.split(r"[\s-]+", long_form) if w).lower()
    return abbr.lower().replace("-", "")[:2] == initials[:2]


def head_type_of_name(name: str, heads: dict[str, EntityType]) -> EntityType | None:
    """'Nordisk institutt for studier av …' → Agency: the head is the last word before the
    first preposition ('institutt'), or the last word when there is none."""
    words = re.findall(r"[\wæøåÆØÅ-]+", name)
    prepositions = {"for", "i", "om", "av", "mot", "til", "på", "med", "ved", "and", "of"}
    head_words: list[str] = []
    for w in words:
        if w.lower() in prepositions and head_words:
            break
        head_words.append(w)
    if not head_words:
        return None
    return head_type(head_words[-1], heads)


def abbreviation_definitions(text: str) -> list[tuple[str, str]]:
    """Every "Long Form (ABBR)" / "ABBR (Long Form)" in ``text`` as (abbreviation, long form);
    the candidates list uses it for names the report defines but nothing resolves."""
    return _definitions(text)
