"""The knowledge the extractor runs on, loaded from data in ``ontology/`` and validated:
the gazetteer (known entities), the span patterns (what the gazetteer does not know), and the
type lexicon (which head nouns make a name an agency, a law, a plan …).

Code holds the mechanism, these files hold the knowledge. Each file's lines are checked against
its schema (``extract/schemas.py``: unknown keys, wrong types, unknown ``extend`` values); a bad
line is reported by file and line number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from tiltaksgraf.errors import DataError, InputError
from tiltaksgraf.extract.keys import mint_key
from tiltaksgraf.extract.schemas import (
    AnaphorsLine, GazetteerLine, NynorskFormsLine, OrgNumberLine, PatternLine, TitleStopWordsLine, TypeHeadsLine,
    UserGazetteerLine, describe, pattern_line_model, read_lines)
from tiltaksgraf.records import ENTITY_TYPES, EntityType

DATA_DIR = Path(__file__).resolve().parent.parent / "ontology"
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class GazetteerEntry:
    key: str
    type: EntityType
    canonical: str
    aliases: tuple[str, ...]
    exact_case: bool = False
    parent: str | None = None
    org_number: str | None = None  # Enhetsregisteret; given in the entry or tied by name (load_org_numbers)


@dataclass(frozen=True)
class SpanPattern:
    """A spaCy SpanRuler pattern; ``id`` names the rule, ``extend`` asks the pipeline to grow
    the match over the title that follows it ("handlingsplan mot" + "vold i nære relasjoner")."""

    id: str
    label: EntityType
    pattern: list[dict[str, Any]] | str
    extend: Literal["title"] | None = None


@dataclass(frozen=True)
class Anaphor:
    """What a definite noun such as "sentrene" stands for: agencies whose names contain ``head``."""

    head: str
    plural: bool


@dataclass(frozen=True)
class Knowledge:
    gazetteer: tuple[GazetteerEntry, ...]
    patterns: tuple[SpanPattern, ...]
    type_heads: dict[str, EntityType]  # head noun stem → type ("direktorat" → Agency)
    title_stop_words: frozenset[str]  # words that end a title ("ble", "er", "som" …)
    nynorsk_forms: tuple[tuple[str, str], ...] = ()  # Nynorsk word part → Bokmål ("lova" → "loven")
    anaphors: dict[str, Anaphor] = field(default_factory=dict)  # "sentrene" → Anaphor("senter", plural=True)

    def by_key(self) -> dict[str, GazetteerEntry]:
        return {e.key: e for e in self.gazetteer}


def _read_jsonl(path: Path) -> list[tuple[int, dict]]:
    """The raw lines; ``extract/relations`` still reads its file this way (``schemas.read_lines``
    validates against a schema and is the way to read a knowledge file)."""
    if not path.is_file():
        raise DataError("missing data file", path=str(path),
                        hint="reinstall tiltaksgraf; the ontology/ folder ships it")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise DataError(f"not valid JSON: {exc}", path=str(path), line=number) from exc
        if not isinstance(row, dict):
            raise DataError("each line must be a JSON object", path=str(path), line=number)
        rows.append((number, row))
    return rows


def _check_type(value: object, path: Path, line: int) -> EntityType:
    if value not in ENTITY_TYPES:
        raise DataError(f"type {value!r} is not one of {', '.join(ENTITY_TYPES)}", path=str(path), line=line)
    return value


def _unique_slug(value: str, field: str, seen: dict[str, int], path: Path, line: int) -> str:
    """``value`` (of ``field``) checked to be a lowercase slug not used on an earlier line."""
    if not _KEY.match(value):
        raise DataError(f"{field} {value!r} must be a lowercase slug [a-z0-9-]", path=str(path), line=line)
    if value in seen:
        raise DataError(f"{field} {value!r} is already used on line {seen[value]}", path=str(path), line=line)
    seen[value] = line
    return value


def load_gazetteer(path: Path) -> tuple[GazetteerEntry, ...]:
    entries: list[GazetteerEntry] = []
    seen: dict[str, int] = {}
    for line, row in read_lines(path, GazetteerLine):
        key = _unique_slug(row.key, "key", seen, path, line)
        if not row.canonical.strip():
            raise DataError(f"{key}: canonical must be a non-empty string", path=str(path), line=line)
        if not all(a.strip() for a in row.aliases):
            raise DataError(f"{key}: aliases must be a list of non-empty strings", path=str(path), line=line)
        entries.append(GazetteerEntry(
            key=key,
            type=_check_type(row.type, path, line),
            canonical=row.canonical.strip(),
            aliases=tuple(dict.fromkeys([row.canonical.strip(), *(a.strip() for a in row.aliases)])),
            exact_case=row.case == "exact",
            parent=row.parent,
            org_number=_check_org_number(row.org_number, path, line),
        ))
    return tuple(entries)


def load_patterns(path: Path) -> tuple[tuple[SpanPattern, ...], dict[str, EntityType], frozenset[str]]:
    patterns: list[SpanPattern] = []
    heads: dict[str, EntityType] = {}
    stops: set[str] = set()
    ids: dict[str, int] = {}
    for line, row in read_lines(path, pattern_line_model):
        if isinstance(row, TypeHeadsLine):
            for head, typ in row.type_heads.items():
                heads[head.lower()] = _check_type(typ, path, line)
        elif isinstance(row, TitleStopWordsLine):
            stops.update(w.lower() for w in row.title_stop_words)
        elif isinstance(row, PatternLine):
            pid = _unique_slug(row.id, "id", ids, path, line)
            patterns.append(SpanPattern(pid, _check_type(row.label, path, line), row.pattern, row.extend))
    return tuple(patterns), heads, frozenset(stops)


@lru_cache(maxsize=4)
def load_knowledge(data_dir: Path = DATA_DIR) -> Knowledge:
    gazetteer = load_gazetteer(data_dir / "gazetteer.jsonl")
    patterns, heads, stops = load_patterns(data_dir / "patterns.jsonl")
    _validate_parents(gazetteer, data_dir / "gazetteer.jsonl")
    numbers = data_dir / ORG_NUMBERS_FILE
    if numbers.is_file():
        gazetteer = with_org_numbers(gazetteer, load_org_numbers(numbers))
    return Knowledge(gazetteer, patterns, heads, stops, load_nynorsk_forms(data_dir / "patterns.jsonl"),
                     load_anaphors(data_dir / "patterns.jsonl"))


def load_anaphors(path: Path) -> dict[str, Anaphor]:
    """The ``anaphors`` lines of ``patterns.jsonl``: each noun (lower case) → what it stands for."""
    out: dict[str, Anaphor] = {}
    for _line, row in read_lines(path, pattern_line_model):
        if isinstance(row, AnaphorsLine):
            for number, nouns in row.anaphors.items():
                out.update({noun.lower(): Anaphor(head.lower(), number == "plural") for noun, head in nouns.items()})
    return out


def load_nynorsk_forms(path: Path) -> tuple[tuple[str, str], ...]:
    """The ``nynorsk_forms`` lines of ``patterns.jsonl``, longest Nynorsk part first."""
    forms: dict[str, str] = {}
    for _line, row in read_lines(path, pattern_line_model):
        if isinstance(row, NynorskFormsLine):
            forms.update({nn.lower(): nb.lower() for nn, nb in row.nynorsk_forms.items()})
    return tuple(sorted(forms.items(), key=lambda p: (-len(p[0]), p[0])))



# --- organisation numbers ----------------------------------------------------------------------

ORG_NUMBERS_FILE = "orgnumbers.jsonl"
_ORG_NUMBER = re.compile(r"^[0-9]{9}$")
REGISTER_IRI = "https://data.brreg.no/enhetsregisteret/api/enheter/{}"


def _check_org_number(value: str | None, path: Path, line: int) -> str | None:
    if value is not None and not _ORG_NUMBER.match(value):
        raise DataError(f"org_number {value!r} must be nine digits", path=str(path), line=line)
    return value


def load_org_numbers(path: Path) -> tuple[tuple[str, str], ...]:
    """(name, organisation number) pairs of the public lists in ``path`` (its header names them)."""
    return tuple((row.name, _check_org_number(row.org_number, path, line) or "")
                 for line, row in read_lines(path, OrgNumberLine))


def with_org_numbers(gazetteer: tuple[GazetteerEntry, ...], numbers: Sequence[tuple[str, str]]
                     ) -> tuple[GazetteerEntry, ...]:
    """Each agency whose canonical name or an alias equals a listed name (after ``names.fold``)
    gets that number, unless the tie is not unique: a name that fits two agencies, or an agency
    two different numbers fit, gets none. An entry's own ``org_number`` stays."""
    from tiltaksgraf.names import fold

    by_name: dict[str, set[str]] = {}
    for name, number in numbers:
        by_name.setdefault(fold(name), set()).add(number)
    agencies = [e for e in gazetteer if e.type == "Agency"]
    claimed: dict[str, set[str]] = {}  # folded listed name → keys of agencies it fits
    for e in agencies:
        for alias in e.aliases:
            if fold(alias) in by_name:
                claimed.setdefault(fold(alias), set()).add(e.key)
    tied: dict[str, str] = {}
    for e in agencies:
        found = {n for alias in e.aliases if len(claimed.get(fold(alias), ())) == 1
                 for n in by_name.get(fold(alias), ())}
        if len(found) == 1:
            tied[e.key] = found.pop()
    return tuple(replace(e, org_number=tied[e.key]) if e.key in tied and e.org_number is None else e
                 for e in gazetteer)


def _validate_parents(gazetteer: tuple[GazetteerEntry, ...], path: Path,
                      lines: dict[str, tuple[str, int]] | None = None) -> None:
    keys = {e.key for e in gazetteer}
    for e in gazetteer:
        if e.parent and e.parent not in keys:
            where, line = (lines or {}).get(e.key, (str(path), 0))
            raise DataError(f"{e.key}: parent {e.parent!r} is not a gazetteer key", path=where, line=line or None,
                            hint="give the key of a bundled entry or of an entry in your knowledge files")


# --- the user's own knowledge files ------------------------------------------------------------


@dataclass(frozen=True)
class KnowledgeSource:
    """Where entries came from: the bundled gazetteer or one of the user's files, and how many
    of that file's entries are new and how many replace an entry of the same key."""

    name: str  # "bundled" or the file's path
    added: int
    overridden: int = 0

    @property
    def entries(self) -> int:
        return self.added + self.overridden


def load_user_gazetteer(path: Path) -> tuple[tuple[GazetteerEntry, ...], dict[str, int]]:
    """The entries of one user knowledge file and each key's line. A left-out key is minted from
    the name with the same function as a pattern-found entity's, so an entry for a name the
    extractor already found replaces that entity rather than adding a second one. Every error
    names the file, the line, the entry (its key, or its name) and the keys allowed."""
    entries: list[GazetteerEntry] = []
    seen: dict[str, int] = {}
    for line, raw in _read_jsonl(path):
        label = next((str(raw[k]) for k in ("key", "name", "canonical") if isinstance(raw.get(k), str)), None)
        try:
            entry = _user_entry(raw, path, line)
            _unique_slug(entry.key, "key", seen, path, line)
        except DataError as exc:
            raise DataError(f"entry {label!r}: {exc.detail}" if label else exc.detail, path=str(path), line=line,
                            hint=f"the keys allowed: {', '.join(UserGazetteerLine.model_fields)}") from None
        entries.append(entry)
    return tuple(entries), seen


def _user_entry(raw: dict, path: Path, line: int) -> GazetteerEntry:
    try:
        row = UserGazetteerLine.model_validate(raw)
    except ValidationError as exc:
        raise DataError(describe(exc, UserGazetteerLine)) from None
    names = [n for n in (row.canonical, row.name) if n is not None]
    if len(names) != 1:
        raise DataError(f"give the name as one of canonical or name (not {'both' if names else 'neither'})")
    name = names[0].strip()
    if not name:
        raise DataError("the name must be a non-empty string")
    if not all(a.strip() for a in row.aliases):
        raise DataError("aliases must be a list of non-empty strings")
    typ = _check_type(row.type, path, line)
    return GazetteerEntry(
        key=row.key if row.key is not None else mint_key(name, typ), type=typ, canonical=name,
        aliases=tuple(dict.fromkeys([name, *(a.strip() for a in row.aliases)])),
        exact_case=row.case == "exact", parent=row.parent, org_number=_check_org_number(row.org_number, path, line))


def with_user_knowledge(base: Knowledge, files: Sequence[Path]) -> tuple[Knowledge, tuple[KnowledgeSource, ...]]:
    """``base`` with the entries of ``files`` (in order: a later file overrides an earlier one by
    key), and where the entries came from. The user's entries come first, so their names win
    when a name is also a bundled alias."""
    merged = {e.key: e for e in base.gazetteer}
    origin = {e.key: "bundled" for e in base.gazetteer}
    lines: dict[str, tuple[str, int]] = {}
    sources = [KnowledgeSource("bundled", len(base.gazetteer))]
    user_keys: list[str] = []
    for path in files:
        entries, key_lines = load_user_gazetteer(Path(path))
        overridden = sum(1 for e in entries if e.key in merged)
        for e in entries:
            merged[e.key] = e
            origin[e.key] = str(path)
            lines[e.key] = (str(path), key_lines[e.key])
            if e.key in user_keys:
                user_keys.remove(e.key)
            user_keys.append(e.key)
        sources.append(KnowledgeSource(str(path), len(entries) - overridden, overridden))
    if not files:
        return base, tuple(sources)
    gazetteer = tuple(merged[k] for k in user_keys) + tuple(e for k, e in merged.items() if k not in set(user_keys))
    _validate_parents(gazetteer, Path(files[-1]), lines)
    numbers = DATA_DIR / ORG_NUMBERS_FILE
    if numbers.is_file():  # the user's agencies are tied to numbers the same way (none is guessed)
        gazetteer = with_org_numbers(gazetteer, load_org_numbers(numbers))
    return replace(base, gazetteer=gazetteer), tuple(sources)


KNOWLEDGE_DIR = "knowledge"


def knowledge_files(reports: Sequence[str | Path], given: Sequence[str | Path] = ()) -> list[Path]:
    """The user's knowledge files for a build: every ``knowledge/*.jsonl`` beside the reports (by
    name), then the ``--knowledge`` files in the order given, so a file named on the command line
    overrides one found in a folder."""
    found: list[Path] = []
    for folder in dict.fromkeys(Path(r).resolve().parent / KNOWLEDGE_DIR for r in reports):
        if folder.is_dir():
            found += sorted(folder.glob("*.jsonl"))
    for path in given:
        if not Path(path).is_file():
            raise InputError("no such knowledge file", path=str(path),
                             hint="give a JSON-lines file of entries like {\"type\": \"Agency\", \"name\": \"…\"}")
    return list(dict.fromkeys([*found, *(Path(p).resolve() for p in given)]))


def user_knowledge(reports: Sequence[str | Path], given: Sequence[str | Path] = ()
                   ) -> tuple[Knowledge, tuple[KnowledgeSource, ...]]:
    """The bundled knowledge with the user's files for these reports merged in (see ``knowledge_files``)."""
    return with_user_knowledge(load_knowledge(), knowledge_files(reports, given))
