"""One schema per knowledge file, and the loader that checks every line against it.

Input: a JSON-lines file (``ontology/gazetteer.jsonl``, ``patterns.jsonl``, ``relations.jsonl``, or
the user's own) and a pydantic model per kind of line. Output: ``(line number, model)`` pairs, or a
``DataError`` naming the file and line: an unknown key (with the keys allowed — ``"aliase"`` does
not load silently), a value of the wrong type, a value outside its choices (``"extend": "titel"``).
spaCy validates its patterns the same way (``spacy/schemas.py``, ``extra="forbid"``).

To validate another file, declare its line as a ``KnowledgeLine`` subclass and call
``read_lines(path, YourLine)``; a file with several kinds of line passes a function that picks the
model from the raw line (see ``pattern_line_model``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tiltaksgraf.errors import DataError


class KnowledgeLine(BaseModel):
    """A line of a knowledge file: no keys but the declared ones, no type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class GazetteerLine(KnowledgeLine):
    key: str  # the entity's stable key: a lowercase slug, unique in the file
    type: str  # one of the entity types (tiltaksgraf/entity_types.py)
    canonical: str  # the preferred label
    aliases: list[str] = []
    parent: str | None = None  # the key of the body it belongs to
    case: Literal["exact"] | None = None  # "exact": match the aliases with their case only
    org_number: str | None = None  # nine digits; otherwise taken from ontology/orgnumbers.jsonl by name
    note: str | None = None  # for people; not read


class UserGazetteerLine(KnowledgeLine):
    """A line of the user's own knowledge file (``--knowledge``, ``knowledge/*.jsonl``): the bundled
    gazetteer's line, with ``key`` optional (minted from the name) and ``name`` accepted for
    ``canonical``."""

    key: str | None = None  # an existing key overrides that bundled entry; left out: minted from the name
    type: str
    canonical: str | None = None
    name: str | None = None  # the same as canonical; give one of the two
    aliases: list[str] = []
    parent: str | None = None
    case: Literal["exact"] | None = None
    org_number: str | None = None  # the agency's organisation number (Enhetsregisteret), nine digits
    note: str | None = None


class OrgNumberLine(KnowledgeLine):
    """A line of ``ontology/orgnumbers.jsonl``: a name a public list ties to an organisation number."""

    name: str
    org_number: str
    source: Literal["altinn", "maalfrid"]  # the list it comes from (see the file's header)
    abbreviation: str | None = None  # as the list gives it; not used to match


class CorrectionLine(KnowledgeLine):
    """A line of a corrections file (``--corrections``, ``corrections.jsonl`` beside the reports)."""

    action: Literal["reject-mention", "reject-entity", "reject-relation", "merge", "retype"]
    target: str  # the stable key: an entity key, a mention's or a relation's tg:stableKey
    into: str | None = None  # merge: the entity key that stays
    type: str | None = None  # retype: the new entity type
    by: str | None = None  # who made the correction
    when: str | None = None  # an ISO date or date-time
    why: str | None = None


class PatternLine(KnowledgeLine):
    id: str  # the rule's name, recorded on every mention (tg:rule)
    label: str  # the entity type of what it finds
    pattern: list[dict[str, Any]] | str = Field(description="a token list or a phrase")  # spaCy SpanRuler's
    extend: Literal["title"] | None = None  # "title": grow the match over the title that follows
    note: str | None = None  # for people; not read


class TypeHeadsLine(KnowledgeLine):
    type_heads: dict[str, str]  # head noun stem → entity type


class TitleStopWordsLine(KnowledgeLine):
    title_stop_words: list[str]


class NynorskFormsLine(KnowledgeLine):
    # Nynorsk word part → its Bokmål form ("teneste" → "tjeneste", "lova" → "loven"): a Nynorsk
    # name resolves to the node of its Bokmål name
    nynorsk_forms: dict[str, str]


class AnaphorsLine(KnowledgeLine):
    # a definite noun that stands for agencies named just before ("senteret", "sentrene") → the
    # name part those agencies' names contain ("senter"), singular and plural apart
    anaphors: dict[Literal["singular", "plural"], dict[str, str]]
    note: str | None = None  # for people; not read


Side = Literal["before", "after", "inside"]  # where a party stands from the trigger phrase


class TriggerLine(KnowledgeLine):
    """A line of ``relations.jsonl`` that finds one kind of relation (see ``relation_rules.py``)."""

    id: str
    kind: str
    regex: str
    note: str | None = None


class CollaborationLine(TriggerLine):
    kind: Literal["collaboration"]
    shape: Literal["with", "between", "mutual"]


class ConsultationLine(TriggerLine):
    kind: Literal["consultation"]


class CommissionLine(TriggerLine):
    kind: Literal["commission"]
    contractor: Side
    commissioner: Side | None = None


class GrantLine(TriggerLine):
    kind: Literal["grant"]
    funder: Side
    recipient: Side


class FundingLine(TriggerLine):
    kind: Literal["funding"]


class ParallelLine(TriggerLine):
    kind: Literal["parallel"]


class RefersBackLine(TriggerLine):
    kind: Literal["refers-back", "refers-back-programme"]


TRIGGER_LINES: dict[str, type[TriggerLine]] = {
    "collaboration": CollaborationLine, "consultation": ConsultationLine, "commission": CommissionLine,
    "grant": GrantLine, "funding": FundingLine, "parallel": ParallelLine, "refers-back": RefersBackLine,
    "refers-back-programme": RefersBackLine,
}
PatternName = Literal["amount", "year", "crossref", "coordination", "subject-lead", "clause-break", "lead-in",
                      "passive", "reference", "budget-owner", "continues", "purpose", "joint-work",
                      "budget-after", "funder-verb", "strengthened", "work-subject",
                      "per-year", "in-total", "approximate"]


class NamedPatternLine(KnowledgeLine):
    pattern: PatternName  # the name relations.py uses it by
    regex: str
    note: str | None = None


class UnitsLine(KnowledgeLine):
    units: dict[str, float]  # a word for an amount's unit → its factor ("mill." → 1e6)
    note: str | None = None


class UnknownLine(ValueError):
    """A line whose kind no schema fits; ``read_lines`` adds the file and line."""


def relation_line_model(row: dict[str, Any]) -> type[KnowledgeLine]:
    """``relations.jsonl`` holds named patterns, the units and triggers of each relation kind."""
    if "pattern" in row:
        return NamedPatternLine
    if "units" in row:
        return UnitsLine
    kind = row.get("kind")
    if isinstance(kind, str) and kind in TRIGGER_LINES:
        return TRIGGER_LINES[kind]
    raise UnknownLine(f"kind {kind!r} is not one of {', '.join(TRIGGER_LINES)} "
                      "(or give a line \"pattern\" or \"units\")")


def pattern_line_model(row: dict[str, Any]) -> type[KnowledgeLine]:
    """``patterns.jsonl`` holds five kinds of line; the key that marks each picks its schema."""
    if "nynorsk_forms" in row:
        return NynorskFormsLine
    if "anaphors" in row:
        return AnaphorsLine
    if "type_heads" in row:
        return TypeHeadsLine
    if "title_stop_words" in row:
        return TitleStopWordsLine
    return PatternLine


Line = TypeVar("Line", bound=KnowledgeLine)


def read_lines(path: Path, model: type[Line] | Callable[[dict[str, Any]], type[Line]]) -> list[tuple[int, Line]]:
    """Every line of the JSON-lines file ``path`` (blank lines and ``//`` comments skipped) as
    ``model``, with its 1-based line number."""
    if not path.is_file():
        raise DataError("missing data file", path=str(path),
                        hint="reinstall tiltaksgraf; the ontology/ folder ships it")
    out: list[tuple[int, Line]] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip() or text.lstrip().startswith("//"):
            continue
        try:
            row = json.loads(text)
        except ValueError as exc:
            raise DataError(f"not valid JSON: {exc}", path=str(path), line=number) from exc
        if not isinstance(row, dict):
            raise DataError("each line must be a JSON object", path=str(path), line=number)
        try:
            schema: type[KnowledgeLine] = model if isinstance(model, type) else model(row)
        except UnknownLine as exc:
            raise DataError(str(exc), path=str(path), line=number) from None
        try:
            out.append((number, cast(Line, schema.model_validate(row))))
        except ValidationError as exc:
            raise DataError(describe(exc, schema), path=str(path), line=number) from None
    return out


_EXPECTED = {"list_type": "a list", "string_type": "a string", "dict_type": "an object", "bool_type": "true or false",
             "int_type": "a whole number", "float_type": "a number", "none_required": "null"}


def describe(exc: ValidationError, schema: type[KnowledgeLine]) -> str:
    """The first problem pydantic found, as a sentence that says what is allowed."""
    errors = exc.errors()
    # An unknown key is the likeliest mistake (a typo) and explains other errors: report it first.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    where = ".".join(str(p) for p in first["loc"] if not str(p).startswith(("list[", "str", "function")))
    top = str(first["loc"][0]) if first["loc"] else ""
    allowed = ", ".join(schema.model_fields)
    if first["type"] == "extra_forbidden":
        return f"unknown key {top!r}; the keys allowed: {allowed}"
    if first["type"] == "missing":
        return f"{where} is missing (the keys: {allowed})"
    if first["type"] == "literal_error":
        return f"{where} {first['input']!r} is not one of {first['ctx']['expected']}"
    field = schema.model_fields.get(top)
    expected = [_EXPECTED.get(e["type"], e["msg"].lower()) for e in errors if e["loc"] == first["loc"]]
    wanted = " or ".join(dict.fromkeys(expected))
    if where == top and field is not None and field.description:
        wanted = field.description
    return f"{where} must be {wanted}, not {type(first['input']).__name__} {first['input']!r}"[:300]


class StatusLine(KnowledgeLine):
    wording: str  # the concept's preferred label, as reports write it ("Påbegynt - løpende")
    # what the wording means: finished, started and not finished, not started
    class_: Literal["Done", "Ongoing", "NotStarted"] = Field(alias="class")
    variants: list[str] = []  # other wordings of the same concept ("Byrja", "Pågående – i rute")
    note: str | None = None  # for people; not read
