"""One rule for matching a name, and one lookup: every entry point finds entities through here.

``fold`` is the form two names are compared in: case, accents and the Nordic letters folded
(å→a, æ→ae, ø→o, é→e, Sami letters), dashes and quotes unified, blanks collapsed. So
"Tromsø" folds to "tromso": a user on a keyboard without ø, or in a URL, finds the same thing,
and no two real names in the data differ only by ø/o (``tests/test_names.py`` checks the
gazetteer). The extraction's resolver, the evaluation, ``query -p``, ``viz`` and the API all fold
with it; ``queries/entity-search.rq`` folds the same way in SPARQL.

``find_entity(index, text, types=…)`` answers with a ``Match`` or a ``NoMatch`` that knows why
(several fit, the name belongs to another type, or nothing fits) and the close spellings to
suggest. ``NoMatch.error`` phrases it the same way for every caller.

Input: ``Candidate`` records (built from the graph by ``graph/index`` or from a store by
``queries/runner``) and the text a user typed. Output: ``Match`` or ``NoMatch``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from tiltaksgraf.errors import TiltaksgrafError

_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "đ": "d", "ŋ": "n", "ŧ": "t", "ß": "ss", "ı": "i"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_QUOTES = re.compile(r"[«»\"“”„'’‘`]")


def fold(text: str) -> str:
    """The form names are compared in: 'Påbegynt – Løpende' → 'pabegynt-lopende',
    'Tromsø' → 'tromso', '«Jeg vet»' → 'jeg vet'."""
    s = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = _QUOTES.sub("", _DASHES.sub("-", s))
    s = re.sub(r"\s*-\s*", "-", s)
    return re.sub(r"\s+", " ", s).strip(" .,:;")


@dataclass(frozen=True)
class Candidate:
    """One thing a name can find: an entity (or a status concept) with every name it has."""

    iri: str
    types: tuple[str, ...]  # "Agency", …; a status concept: "Status"
    name: str  # the preferred label
    names: tuple[str, ...] = ()  # other exact names: the entity key, an abbreviation, other languages
    alt_labels: tuple[str, ...] = ()  # the names the text uses; an exact name wins over these

    @property
    def type(self) -> str:
        return self.types[0] if self.types else "Entity"

    def describe(self, label: str | None = None) -> str:
        """'Name (Type)', or with the name that was matched: 'Bufdir (Barne-, ungdoms- …, Agency)'."""
        if label is None or fold(label) == fold(self.name):
            return f"{self.name} ({self.type})"
        return f"{label} ({self.name}, {self.type})"


@dataclass(frozen=True)
class Match:
    candidate: Candidate

    @property
    def iri(self) -> str:
        return self.candidate.iri


@dataclass(frozen=True)
class NoMatch:
    text: str
    wanted: tuple[str, ...]  # the types asked for; () for any
    ambiguous: tuple[Candidate, ...] = ()  # several fit the name equally well
    other_type: tuple[Candidate, ...] = ()  # the name fits, but things of other types
    suggestions: tuple[tuple[Candidate, str], ...] = ()  # close spellings among the types asked for
    # (or, when none is close, of any type: each says its type), each with the name of it that is close

    def message(self, what: str | None = None) -> str:
        """What went wrong, in one sentence; ``what`` names the kind asked for ("programme")."""
        what = what or (" or ".join(t.lower() for t in self.wanted) if self.wanted else "entity")
        if self.ambiguous:
            listed = "; ".join(f"{c.describe()} <{c.iri}>" for c in self.ambiguous)
            return f"{self.text!r} names more than one {what}: {listed}"
        if self.other_type:
            found = self.other_type[0]
            asked = " or ".join(self.wanted) or what
            who = found.name if fold(found.name) == fold(self.text) else f"{self.text} ({found.name})"
            return f"{who} is {_a(found.type)}, not {_a(asked)}"
        return f"no {what} is called {self.text!r}"

    def hint(self, *, search: str | None = None) -> str | None:
        """What to do: the close spellings, or else ``search`` (a command that searches parts of
        names) — only when nothing close was found, so it never repeats a search that fails."""
        if self.ambiguous:
            return "pass the IRI of the one you mean"
        if self.other_type:
            return None
        if self.suggestions:
            return "did you mean: " + "; ".join(c.describe(label) for c, label in self.suggestions)
        return search

    def error(self, error_type: type[TiltaksgrafError], *, what: str | None = None, search: str | None = None,
              prefix: str = "") -> TiltaksgrafError:
        """The error to raise: ``error_type`` (a ``TiltaksgrafError``) with the message and hint."""
        return error_type(prefix + self.message(what), hint=self.hint(search=search))


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


@dataclass
class NameIndex:
    """Every candidate under each of its folded names, with a rank (0 exact names, 1 alternatives)."""

    by_iri: dict[str, Candidate] = field(default_factory=dict)
    by_fold: dict[str, list[tuple[int, Candidate]]] = field(default_factory=dict)
    shown: dict[tuple[str, str], str] = field(default_factory=dict)  # (folded, iri) → the label as written

    @classmethod
    def of(cls, candidates: Iterable[Candidate]) -> NameIndex:
        index = cls()
        for c in candidates:
            index.by_iri[c.iri] = c
            for rank, labels in ((0, (c.name, *c.names)), (1, c.alt_labels)):
                for label in labels:
                    folded = fold(label)
                    entries = index.by_fold.setdefault(folded, [])
                    if all(e is not c for _r, e in entries):
                        entries.append((rank, c))
                    shown = index.shown.get((folded, c.iri))
                    if shown is None or _display_order(label) < _display_order(shown):
                        index.shown[(folded, c.iri)] = label
        return index


def _display_order(label: str) -> tuple[bool, bool, int, int, str]:
    """Of the names that fold alike, the one to show: written over a key ("Bufdir" over "bufdir"),
    without quotes ("NKVTS" over "NKVTS'"), with more lower-case letters ("Bufdir" over "BUFDIR")."""
    return (label == label.lower(), bool(_QUOTES.search(label)), -sum(c.islower() for c in label), len(label), label)


_IRI = re.compile(r"^<?(https?://[^>\s]+)>?$")


def find_entity(index: NameIndex, text: str, *, types: Sequence[str] | None = None,
                limit: int = 6) -> Match | NoMatch:
    """The candidate called ``text`` (an IRI, an exact name or an alternative label, folded), of
    one of ``types`` when given; or a ``NoMatch`` saying why, with close spellings to suggest."""
    query = text.strip()
    wanted = tuple(types or ())
    fits = (lambda c: bool(set(c.types) & set(wanted))) if wanted else (lambda c: True)
    iri = _IRI.match(query)
    if iri and iri.group(1) in index.by_iri:
        found = index.by_iri[iri.group(1)]
        return Match(found) if fits(found) else NoMatch(query, wanted, other_type=(found,))
    entries = index.by_fold.get(fold(query), [])
    of_type = [(rank, c) for rank, c in entries if fits(c)]
    if of_type:
        best = min(rank for rank, _c in of_type)
        chosen = sorted({c.iri: c for rank, c in of_type if rank == best}.values(), key=lambda c: (c.name, c.iri))
        return Match(chosen[0]) if len(chosen) == 1 else NoMatch(query, wanted, ambiguous=tuple(chosen))
    if entries:
        others = sorted({c.iri: c for _r, c in entries}.values(), key=lambda c: (c.name, c.iri))
        return NoMatch(query, wanted, other_type=tuple(others))
    close = close_matches(index, query, fits, limit)
    if not close and wanted:  # "Trygest" asked as an agency: TryggEst (Programme) says what it is
        close = close_matches(index, query, limit=limit)
    return NoMatch(query, wanted, suggestions=tuple(close))


def close_matches(index: NameIndex, text: str, fits: Callable[[Candidate], bool] = lambda c: True,
                  limit: int = 6) -> list[tuple[Candidate, str]]:
    """Candidates with a name spelt like ``text`` (difflib, ≥ 0.6 alike) or containing it."""
    folded = fold(text)
    labels = [label for label, entries in index.by_fold.items() if any(fits(c) for _r, c in entries)]
    close = difflib.get_close_matches(folded, labels, n=limit * 2, cutoff=0.6)
    contained = sorted((label for label in labels if len(folded) >= 3 and folded in label), key=len)
    seen: dict[str, tuple[Candidate, str]] = {}
    for label in [*close, *contained]:
        for _rank, c in index.by_fold[label]:
            if fits(c):
                seen.setdefault(c.iri, (c, index.shown.get((label, c.iri), c.name)))
    return list(seen.values())[:limit]
