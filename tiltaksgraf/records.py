"""The records passed between stages, in one place.

read → SourceDocument → parse → Report(MeasureRecord…) → nlp → Mention… → resolve/relate →
Entity…, Relation… → graph/build.

Every offset indexes ``SourceDocument.text`` (decoded, BOM removed, line ends untouched), so any
triple built from these records can point back to its words: ``text[start:end]`` is the evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Literal, NamedTuple, Union, cast

from tiltaksgraf.entity_types import NAMES

# The types are defined in tiltaksgraf/entity_types.py; this literal repeats them for the type
# checker (tests/test_entity_types.py keeps the two equal).
EntityType = Literal["Agency", "Programme", "Law", "Report", "Plan"]
ENTITY_TYPES: tuple[EntityType, ...] = cast("tuple[EntityType, ...]", NAMES)

STATUSES = ("Ferdig", "Påbegynt", "Påbegynt - løpende")


@dataclass(frozen=True, slots=True)
class ReportMetadata:
    """What the user (or the metadata file beside a report) tells about it."""

    plan_key: str  # stable key of the plan, e.g. "opptrappingsplan-mot-vold-og-overgrep-2017-2021"
    plan_title: str
    kind: str = "status report"
    language: str = "nb"
    date: str | None = None  # ISO date of the report, when known ("2022-04")
    period: str | None = None  # reporting period as the text tells it ("2017–2021")
    inferred: bool = False  # no sidecar JSON: key and title are guesses from the file name


@dataclass(frozen=True, slots=True)
class SourceDocument:
    path: str
    text: str
    encoding: str  # the encoding the bytes were decoded with ("utf-8", "utf-8-sig", "cp1252" …)
    sha256: str  # of the file's bytes
    metadata: ReportMetadata

    @property
    def name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class Span:
    """A contiguous range of ``SourceDocument.text``."""

    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of one measure's text that is contiguous in the source: one paragraph of the
    reporting, or one piece of the description cell. NLP runs per segment, so every offset it
    produces is a source offset."""

    field: Literal["description", "report"]
    start: int
    end: int
    ministry: str | None = None  # the "BFD:" section this paragraph belongs to, if any


@dataclass(frozen=True, slots=True)
class Section:
    """The part of a measure's reporting that one ministry wrote ("BFD: …"); ``ministry`` is
    None for text before the first ministry label."""

    ministry: str | None
    start: int
    end: int
    text: str


def measure_order(measure_id: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that puts measure ids in reading order: "2" < "10" < "29a" < "29b", "1.2" < "1.10"."""
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in re.findall(r"\d+|[^\d.\s]+", measure_id))


@dataclass(frozen=True, slots=True)
class MeasureRecord:
    number: int  # the plain number ("Tiltak 12"), or the measure's position in the report when its
    #              id is not a plain number ("2.1", "29a"); unique within one report
    ministries: tuple[str, ...]  # abbreviations as in the ANSVAR cell, normalised: ("BFD", "JD")
    status: str | None  # the wording of the status scheme it matched; None: the report states none
    status_raw: str
    description: str  # the "Regjeringen vil" cell, lines joined
    report_text: str  # the reporting, paragraphs separated by a blank line
    sections: tuple[Section, ...]
    urls: tuple[str, ...]
    span: Span  # from the measure number to the end of its last line
    line: int  # 1-based line of the measure number
    segments: tuple[Segment, ...]
    ansvar_raw: str = ""
    measure_id: str = ""  # as numbered, normalised: "12", "29a", "2.1" (measure 1 under goal 2)
    status_class: str | None = None  # "Done", "Ongoing" or "NotStarted"; None with no status
    truncated: bool = False  # the text ends inside this measure (a page cut off)

    def __post_init__(self) -> None:
        if not self.measure_id:
            object.__setattr__(self, "measure_id", str(self.number))

    def text_size(self) -> int:
        """Characters of its segments' text: a measure's share of the work on a report."""
        return sum(s.end - s.start for s in self.segments)

    @property
    def plain_number(self) -> int | None:
        """The number, when the id is a plain number (tg:measureNumber)."""
        return int(self.measure_id) if self.measure_id.isdigit() else None


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    abbreviation: str
    full_name: str
    line: int


@dataclass(frozen=True, slots=True)
class Report:
    source: SourceDocument
    glossary: tuple[GlossaryEntry, ...]
    measures: tuple[MeasureRecord, ...]
    layout: str = "table"  # the layout family it was read as (extract/layouts)
    warnings: tuple[str, ...] = ()  # what a user should know: a truncated measure, inferred metadata

    def glossary_map(self) -> dict[str, str]:
        return {g.abbreviation: g.full_name for g in self.glossary}

    def measure(self, number: int) -> MeasureRecord:
        for m in self.measures:
            if m.number == number:
                return m
        raise KeyError(number)


@dataclass(frozen=True, slots=True)
class Mention:
    measure: int
    start: int
    end: int
    surface: str  # == source text[start:end], always
    label: EntityType
    entity_key: str  # the resolved entity's key
    sentence: Span
    rule_id: str  # the gazetteer key or pattern id that found it
    field: Literal["description", "report", "ansvar", "section"] = "report"
    # The whole name when the source interrupts it (a «title» a page break cuts): the surface is
    # then its part before the break, so that the offsets stay exact.
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    key: str
    type: EntityType
    pref_label: str
    alt_labels: tuple[str, ...] = ()
    source: Literal["gazetteer", "pattern", "glossary", "text-definition"] = "gazetteer"
    org_number: str | None = None  # Enhetsregisteret, for agencies a public list ties to a number


@dataclass(frozen=True, slots=True)
class Evidence:
    start: int
    end: int
    sentence: str  # the sentence, exactly as in the source


# --- relations: one record per kind, with the fields that kind has ------------------------------
# Every relation names its measure, the sentence it rests on (evidence) and the id of the rule that
# made it (a line of ontology/relations.jsonl, or a named mechanism such as "collab-coordinated-subject").
# Agencies and concerns are entity keys.


@dataclass(frozen=True, slots=True)
class Collaboration:
    """Agencies the sentence says work *together* ("i samarbeid med", "et samarbeid mellom A og B")."""

    measure: int
    partners: tuple[str, ...]  # two or more agencies
    evidence: Evidence
    rule_id: str
    concerns: tuple[str, ...] = ()  # the programmes/plans/reports they work together on
    kind: ClassVar[str] = "collaboration"


@dataclass(frozen=True, slots=True)
class CoMention:
    """Agencies merely named in one sentence: weaker than a collaboration."""

    measure: int
    agencies: tuple[str, ...]
    evidence: Evidence
    rule_id: str
    concerns: tuple[str, ...] = ()
    kind: ClassVar[str] = "comention"


@dataclass(frozen=True, slots=True)
class Consultation:
    """One party did the work after consulting others ("i samråd med Udir og Hdir", "innspill fra …")."""

    measure: int
    consulted: tuple[str, ...]  # the agencies consulted
    evidence: Evidence
    rule_id: str
    consulter: str | None = None  # the agency that consulted them, when the sentence names it
    concerns: tuple[str, ...] = ()
    kind: ClassVar[str] = "consultation"


@dataclass(frozen=True, slots=True)
class Commission:
    """``contractor`` was commissioned, by ``commissioner`` when the sentence names it ("har fått i
    oppdrag å …" names none)."""

    measure: int
    contractor: str
    evidence: Evidence
    rule_id: str
    commissioner: str | None = None
    concerns: tuple[str, ...] = ()
    kind: ClassVar[str] = "commission"


@dataclass(frozen=True, slots=True)
class Funding:
    """Money granted: an amount in NOK (None for a grant the text gives no sum for, "med tilskudd
    fra Hdir"), every year it applies to, who pays and what gets it."""

    measure: int
    evidence: Evidence
    rule_id: str
    amount_nok: float | None = None
    years: tuple[int, ...] = ()
    funder: str | None = None
    recipients: tuple[str, ...] = ()  # what gets the money: a programme, an agency …; never the budget it is paid over
    # whether the amount applies to each year ("årlig") or is the sum over them ("til sammen",
    # "i perioden 2017–2021"); None when the sentence does not say
    basis: Literal["per-year", "in-total"] | None = None
    approximate: bool = False  # "om lag", "rundt", "drøyt"
    kind: ClassVar[str] = "funding"


@dataclass(frozen=True, slots=True)
class CrossReference:
    """A measure's text points to another measure ("se tiltak 7")."""

    measure: int
    to_measure: int
    evidence: Evidence
    rule_id: str
    kind: ClassVar[str] = "crossref"


Relation = Union[Collaboration, CoMention, Consultation, Commission, Funding, CrossReference]
RELATION_KINDS: tuple[type, ...] = (Collaboration, CoMention, Consultation, Commission, Funding, CrossReference)


class Responsibility(NamedTuple):
    """The ministries the ANSVAR column makes responsible for one measure."""

    measure: int  # the measure's number
    ministries: tuple[str, ...]  # their entity keys, in the column's order


@dataclass(frozen=True)
class Extraction:
    """What the NLP stages found in one report."""

    report: Report
    mentions: tuple[Mention, ...]
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]
    responsible: tuple[Responsibility, ...]  # one per measure, in measure order

    def __post_init__(self) -> None:
        # (number, keys) pairs, as older callers pass them, become named records.
        object.__setattr__(self, "responsible", tuple(Responsibility(int(n), tuple(keys))
                                                      for n, keys in self.responsible))

    @cached_property
    def _ministries_by_measure(self) -> dict[int, tuple[str, ...]]:
        return {r.measure: r.ministries for r in self.responsible}

    def responsible_for(self, number: int) -> tuple[str, ...]:
        return self._ministries_by_measure.get(number, ())
