"""Stage 6, network (1/3): the RDF knowledge graph read once into an index of entities and
measures.

Input: the build's ``BuiltGraph`` (its ``union()``), a ``TripleIndex`` over its quads, or an rdflib
``Graph`` or ``Dataset`` (its named graphs unioned) read back from a build. Output: ``_Index``
(``EntityInfo`` and ``MeasureInfo`` by IRI), and the short labels and agency kinds the views draw.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from sys import intern
from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rdflib import Dataset, Graph
from rdflib.namespace import DCTERMS, RDF, SKOS

from tiltaksgraf.ontology.terms import STATUS_CONCEPTS, TG
from tiltaksgraf.records import ENTITY_TYPES


_TYPE_OF = {TG[t]: t for t in ENTITY_TYPES}
_STATUS_LABELS = {str(iri): label for label, iri in STATUS_CONCEPTS.items()}

# --- reading the RDF graph once -----------------------------------------------------------------


@dataclass(frozen=True)
class EntityInfo:
    iri: str
    type: str
    name: str
    label: str  # short form for drawing: an abbreviation the text uses, or the name
    alt_labels: tuple[str, ...]
    key: str
    kind: str  # the legend group: the type, or an agency's kind


@dataclass(frozen=True)
class MeasureInfo:
    iri: str
    number: int
    status: str
    ministries: tuple[str, ...]  # short labels of the responsible ministries
    ministry_iris: tuple[str, ...]
    description: str
    measure_id: str = ""  # as numbered ("12", "29a", "2.1"); number is 0 when it is not a plain number


@dataclass(frozen=True)
class _Index:
    entities: dict[str, EntityInfo]
    measures: dict[str, MeasureInfo]


# What the projections here read, and all the build's index for the views holds (the offsets,
# selectors, full texts and provenance they never read are most of a graph's triples).
READ_PREDICATES = frozenset(str(p) for p in (
    RDF.type, SKOS.prefLabel, SKOS.altLabel, DCTERMS.description, TG.entityKey, TG.measureNumber, TG.measureId,
    TG.status, TG.responsible, TG.mentions, TG.relatedMeasure, TG.measure, TG.entity, TG.evidence, TG.sentence,
    TG.participant, TG.concerns, TG.stableKey, TG.fromMeasure, TG.toMeasure,
))
_EVIDENCE = str(TG.evidence)
_TYPE = str(RDF.type)
_CHUNK_STRUCTURE = frozenset((_TYPE, _EVIDENCE))  # what ``add_chunk`` reads to choose a chunk's nodes


class TripleSource(Protocol):
    """What the projections read: the lookups an rdflib ``Graph`` and a ``TripleIndex`` share."""

    def subjects(self, predicate: Any, object: Any, /) -> Iterable[Any]: ...

    def objects(self, subject: Any, predicate: Any, /) -> Iterable[Any]: ...

    def subject_objects(self, predicate: Any, /) -> Iterable[tuple[Any, Any]]: ...

    def value(self, subject: Any, predicate: Any, /) -> Any: ...


class TripleIndex:
    """The few lookups the projections make (``subjects``, ``objects``, ``value``,
    ``subject_objects``, as on an rdflib ``Graph``), over the build's Oxigraph quads, with every
    term as its plain string (an IRI, or a literal's lexical form). The projections read only
    strings, so the build gives them this instead of an rdflib graph: making rdflib terms was
    most of the views' cost (0.25 s of the bundled report's build, 12 s at 50 reports)."""

    def __init__(self, quads: Iterable = (), *, only: frozenset[str] = READ_PREDICATES) -> None:
        self._only = only
        self._objects: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._subjects: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.add(((q.subject.value, q.predicate.value, q.object.value) for q in quads))

    def add(self, triples: Iterable[tuple[str, str, str]], *, distinct: bool = False) -> None:
        """Index ``triples`` (terms as strings) of the predicates it keeps; a triple already
        indexed (one triple in several named graphs) is skipped, unless the caller says they are
        ``distinct``."""
        only = self._only
        for triple in triples:
            if triple[1] not in only:
                continue
            # interned: a subject, predicate or entity repeats in many triples, and a string per
            # occurrence was most of the views' memory on a large report
            s, p, o = intern(triple[0]), intern(triple[1]), intern(triple[2])
            if not distinct and o in self._objects.get((s, p), ()):
                continue
            self._objects[s, p].append(o)
            self._subjects[p, o].append(s)
            self._pairs[p].append((s, o))

    def add_chunk(self, triples: Sequence[Any], classes: frozenset[str]) -> None:
        """Index one measure's own triples (``BuiltGraph.chunk``: no other chunk has their
        subjects): only its nodes of ``classes`` (the relations and mentions the views to be drawn
        read) and the evidence nodes they point to; its selectors, sections, status assessments
        and the rest are never read. A node typed elsewhere (the derived graph's measure, whose
        texts and status come in a chunk of their own) is kept too: a measure's own nodes are
        all typed in their chunk."""
        wanted = self._only | _CHUNK_STRUCTURE
        # a predicate's string first: most of a chunk (offsets, selectors, texts) is never read,
        # and its subjects' and objects' strings need not be made (~0.01 s of a build's views)
        read = [(t.subject.value, p, t.object.value) for t in triples if (p := t.predicate.value) in wanted]
        typed = {s for s, p, _o in read if p == _TYPE}
        kept = {s for s, p, o in read if (p == _TYPE and o in classes) or s not in typed}
        kept |= {o for s, p, o in read if p == _EVIDENCE and s in kept}
        self.add([t for t in read if t[0] in kept], distinct=True)

    def subjects(self, predicate: str, object: str) -> Iterable[str]:
        return iter(self._subjects.get((str(predicate), str(object)), ()))

    def objects(self, subject: str, predicate: str) -> Iterable[str]:
        return iter(self._objects.get((str(subject), str(predicate)), ()))

    def subject_objects(self, predicate: str) -> Iterable[tuple[str, str]]:
        return iter(self._pairs.get(str(predicate), ()))

    def value(self, subject: str, predicate: str) -> str | None:
        found = self._objects.get((str(subject), str(predicate)))
        return found[0] if found else None


def as_graph(data: Any) -> TripleSource:
    """The triples to project: a ``Dataset``'s named graphs are unioned (its default graph alone
    is empty), a plain ``Graph`` or a ``TripleIndex`` is used as it is, and anything else with a
    ``union()`` giving one (``graph/build``'s built graph) is asked for it."""
    if isinstance(data, TripleIndex):
        return data
    if not isinstance(data, Graph) and callable(getattr(data, "union", None)):
        return data.union()
    if isinstance(data, Dataset):
        from tiltaksgraf.graph.build import union_graph

        return union_graph(data)
    return data


def _index(g: TripleSource) -> _Index:
    responsible = {str(o) for _s, o in g.subject_objects(TG.responsible)}
    entities: dict[str, EntityInfo] = {}
    for rdf_type, type_name in _TYPE_OF.items():
        for s in g.subjects(RDF.type, rdf_type):
            iri = str(s)
            if iri in entities:
                continue
            name = _literal(g, s, SKOS.prefLabel) or _literal(g, s, TG.entityKey) or iri.rsplit("/", 1)[-1]
            alts = tuple(sorted({str(a) for a in g.objects(s, SKOS.altLabel)} - {name}))
            kind = agency_kind(name, responsible=iri in responsible) if type_name == "Agency" else type_name
            entities[iri] = EntityInfo(iri, type_name, name, short_label(name, alts), alts,
                                       _literal(g, s, TG.entityKey) or "", kind)
    measures: dict[str, MeasureInfo] = {}
    for s in g.subjects(RDF.type, TG.Measure):
        number = g.value(s, TG.measureNumber)
        measure_id = g.value(s, TG.measureId)
        if number is None and measure_id is None:
            continue
        status = g.value(s, TG.status)
        ministries = sorted((str(m) for m in g.objects(s, TG.responsible)),
                            key=lambda m: entities[m].label if m in entities else m)
        status_label = _STATUS_LABELS.get(str(status), str(status).rsplit("/", 1)[-1]) if status else ""
        measures[str(s)] = MeasureInfo(
            str(s), int(number) if number is not None else 0, status_label,
            tuple(entities[m].label if m in entities else m for m in ministries), tuple(ministries),
            _literal(g, s, DCTERMS.description) or "", str(measure_id) if measure_id is not None else str(number))
    return _Index(entities, measures)


def _literal(g: TripleSource, s: Any, p: Any) -> str | None:
    value = g.value(s, p)
    return None if value is None else str(value)


def short_label(name: str, alt_labels: Iterable[str], *, keep: int = 16, max_len: int = 28) -> str:
    """A label to draw: the name when it has at most ``keep`` characters, else the abbreviation the
    report uses for the thing ("Bufdir", "NKVTS", "RVTS Midt") when it has one, else the name
    shortened with "…" past ``max_len`` characters.

    An abbreviation is an alternative label of at most ten characters that starts with a capital
    letter, is one word or starts with an all-capital word, and is not an inflection of the name
    ("Politi" for "Politiet"). Of several, one that occurs in the name wins ("OsloMet" for
    "OsloMet – storbyuniversitetet"), then the shortest, then the one with more lower-case letters
    ("Bufdir" over "BUFDIR")."""
    if len(name) <= keep:
        return name
    words = set(re.findall(r"[\w.-]+", name))

    def abbreviation(alt: str) -> bool:
        first = alt.split()[0]
        inflection = name.casefold().startswith(alt.casefold()) and name[len(alt): len(alt) + 1].isalpha()
        return (2 <= len(alt) <= 10 and alt[0].isupper() and not inflection
                and (len(alt.split()) == 1 or (len(first) >= 2 and first.isupper())))

    candidates = [a for a in alt_labels if abbreviation(a)]
    if candidates:
        return min(candidates, key=lambda a: (a not in words, len(a), -sum(c.islower() for c in a), a))
    return name if len(name) <= max_len else name[: max_len - 1].rstrip() + "…"


@lru_cache(maxsize=1)
def _agency_kind_rules() -> tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    text = resources.files("tiltaksgraf.graph").joinpath("assets/agency-kinds.json").read_text("utf-8")
    data = json.loads(text)
    return data["default"], tuple((r["kind"], tuple(w.casefold() for w in r["contains"])) for r in data["kinds"])


def agency_kind(name: str, *, responsible: bool = False) -> str:
    """The kind of an agency for colouring and grouping: "Ministry" when it is responsible for a
    measure, else the first rule of ``assets/agency-kinds.json`` whose words occur in its name."""
    default, rules = _agency_kind_rules()
    if responsible:
        return rules[0][0]
    padded = f" {name.casefold()} "
    for kind, words in rules:
        if any(w in padded for w in words):
            return kind
    return default
