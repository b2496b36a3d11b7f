"""Stage 6, network: the RDF knowledge graph → networkx projections → analytics.

Input: an rdflib ``Graph`` as ``graph/build`` makes it (or a ``Dataset``, whose named graphs are
unioned). Output: plain networkx graphs whose nodes are IRIs (as strings) and whose attributes are
plain Python values, and small frozen records with the analytics.

Projections, one public function each:

- ``collaboration_network``: agencies that the text says work together (``tg:Collaboration``);
  an edge's ``weight`` is the number of measures the collaborations occur in, and the edge
  carries those ``measures``, the ``programmes`` (and plans, reports) they concern and the
  ``evidence`` sentences.
- ``measure_entity_network``: every measure and every entity its text mentions (``tg:Mention``);
  an edge's ``weight`` is the number of mentions, with the sentences as ``evidence``.
- ``crossref_network``: measures and the measures their text refers to (directed).
- ``overview_network``: all measures with everything above plus the responsible ministries: the
  whole plan as one network (the "overview" view, and the space neighbourhoods are taken in).
- ``programme_trace``: one programme, the measures that mention it and their agencies.
- ``neighbourhood`` / ``measure_neighbourhood``: the part of the overview within ``radius`` steps
  of an entity (found by name, alternative name or IRI) or of a measure.

Every node has ``label`` (short, for drawing), ``name`` (the preferred label), ``type``
(``Measure``, ``Agency``, ``Programme``, ``Law``, ``Report``, ``Plan``), ``group`` (the type, or
for an agency its kind — see ``assets/agency-kinds.json``), ``measures`` (numbers),
``ministries`` and ``statuses`` (of those measures). Every edge has ``relation`` (a tuple of
``collaboration``, ``co-mention``, ``mentions``, ``responsible``, ``refers to``), ``weight``,
``measures``, ``ministries``, ``statuses``, ``programmes`` and ``evidence``.

Analytics: ``centrality`` (degree, weighted degree, betweenness), ``communities`` (Louvain with a
fixed seed), ``bridging_agencies`` and ``network_stats``, which gathers them for ``stats``.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
from collections import defaultdict
from sys import intern
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import networkx as nx
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS

from tiltaksgraf.errors import InputError
from tiltaksgraf.ontology.terms import STATUS_CONCEPTS, TG
from tiltaksgraf.records import ENTITY_TYPES

LOUVAIN_SEED = 20170101  # fixed, so the communities (and `stats`) are the same on every run
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


@dataclass(frozen=True)
class _Index:
    entities: dict[str, EntityInfo]
    measures: dict[str, MeasureInfo]


# Predicates no projection here reads: offsets, selectors, full texts, provenance. The build
# hands the views the triples without them (half of them).
UNREAD_PREDICATES = frozenset(str(p) for p in (
    TG.start, TG.end, TG.surfaceForm, TG.rule, TG.field, TG.reportText, TG.sectionText, TG.statusRaw,
    TG.footnoteUrl, TG.hasSection, TG.hasStatusAssessment, TG.reportedIn, TG.ministry, TG.source,
    TG.sha256, TG.fileName, TG.encoding, TG.amount, TG.year, TG.funder, TG.funds, TG.commissioner,
    TG.contractor, TG.commissionedBy, PROV.wasDerivedFrom,
)) | frozenset(f"http://www.w3.org/ns/oa#{name}" for name in ("hasSelector", "hasSource", "hasBody", "hasTarget",
                                                              "start", "end", "exact"))


class TripleIndex:
    """The few lookups the projections make (``subjects``, ``objects``, ``value``,
    ``subject_objects``, as on an rdflib ``Graph``), over the build's Oxigraph quads, with every
    term as its plain string (an IRI, or a literal's lexical form). The projections read only
    strings, so the build gives them this instead of an rdflib graph: making rdflib terms was
    most of the views' cost (0.25 s of the bundled report's build, 12 s at 50 reports)."""

    def __init__(self, quads: Iterable, *, without: frozenset[str] = frozenset()) -> None:
        self._objects: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._subjects: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
        seen: set[tuple[str, str, str]] = set()
        for quad in quads:  # the same triple in several named graphs counts once
            # interned: a subject, predicate or entity repeats in many triples, and a string per
            # occurrence was most of the views' memory on a large report
            s, p, o = intern(quad.subject.value), intern(quad.predicate.value), intern(quad.object.value)
            if p in without or (s, p, o) in seen:
                continue
            seen.add((s, p, o))
            self._objects[s, p].append(o)
            self._subjects[p, o].append(s)
            self._pairs[p].append((s, o))

    def subjects(self, predicate: str, object: str) -> Iterable[str]:
        return iter(self._subjects.get((str(predicate), str(object)), ()))

    def objects(self, subject: str, predicate: str) -> Iterable[str]:
        return iter(self._objects.get((str(subject), str(predicate)), ()))

    def subject_objects(self, predicate: str) -> Iterable[tuple[str, str]]:
        return iter(self._pairs.get(str(predicate), ()))

    def value(self, subject: str, predicate: str) -> str | None:
        found = self._objects.get((str(subject), str(predicate)))
        return found[0] if found else None


def as_graph(data: Graph | TripleIndex) -> Graph | TripleIndex:
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


def _index(g: Graph) -> _Index:
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
        if number is None:
            continue
        status = g.value(s, TG.status)
        ministries = sorted((str(m) for m in g.objects(s, TG.responsible)),
                            key=lambda m: entities[m].label if m in entities else m)
        measures[str(s)] = MeasureInfo(
            str(s), int(number), _STATUS_LABELS.get(str(status), str(status).rsplit("/", 1)[-1]) if status else "",
            tuple(entities[m].label if m in entities else m for m in ministries), tuple(ministries),
            _literal(g, s, DCTERMS.description) or "")
    return _Index(entities, measures)


def _literal(g: Graph, s: URIRef, p: URIRef) -> str | None:
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


# --- building networks ----------------------------------------------------------------------------


@dataclass
class _EdgeData:
    relations: set[str] = field(default_factory=set)
    measures: set[str] = field(default_factory=set)  # measure IRIs
    programmes: set[str] = field(default_factory=set)  # entity IRIs
    evidence: list[str] = field(default_factory=list)
    mentions: int = 0
    direction: tuple[str, str] | None = None  # for "refers to": (from, to)

    def add_evidence(self, sentence: str | None) -> None:
        if sentence and sentence not in self.evidence:
            self.evidence.append(sentence)


class _Builder:
    """Collects nodes and edges, then writes networkx attributes in one place so that every
    projection has the same attribute shape."""

    def __init__(self, index: _Index) -> None:
        self.index = index
        self.nodes: set[str] = set()
        self.edges: dict[tuple[str, str], _EdgeData] = {}

    def edge(self, a: str, b: str) -> _EdgeData:
        self.nodes.update((a, b))
        return self.edges.setdefault((a, b) if a <= b else (b, a), _EdgeData())

    def graph(self, *, weight: str = "measures") -> nx.Graph:
        G = nx.Graph()
        node_measures: dict[str, set[str]] = defaultdict(set)
        for (a, b), data in self.edges.items():
            for n in (a, b):
                node_measures[n].update(data.measures)
        for n in sorted(self.nodes):
            G.add_node(n, **self._node_attrs(n, node_measures[n]))
        for (a, b), data in sorted(self.edges.items()):
            G.add_edge(a, b, **self._edge_attrs(data, weight))
        G.graph["ministry_names"] = self.ministry_names()
        return G

    def ministry_names(self) -> dict[str, str]:
        """Short label → name of every responsible ministry ("BFD" → "Barne- og familie…")."""
        return {label: self.index.entities[iri].name if iri in self.index.entities else label
                for m in self.index.measures.values() for label, iri in zip(m.ministries, m.ministry_iris)}

    def _node_attrs(self, n: str, measures: set[str]) -> dict[str, object]:
        index = self.index
        if n in index.measures:
            m = index.measures[n]
            return {"label": str(m.number), "name": f"Measure {m.number}", "type": "Measure", "group": "Measure",
                    "iri": n, "key": str(m.number), "number": m.number, "status": m.status,
                    "description": m.description, **self._measure_facets({n})}
        e = index.entities.get(n)
        if e is None:  # a participant the graph gives no type: keep it visible, plainly
            return {"label": n.rsplit("/", 1)[-1], "name": n, "type": "Entity", "group": "Entity", "iri": n,
                    "key": "", **self._measure_facets(measures)}
        return {"label": e.label, "name": e.name, "type": e.type, "group": e.kind, "iri": n, "key": e.key,
                "alt_labels": e.alt_labels, **self._measure_facets(measures)}

    def _measure_facets(self, measures: set[str]) -> dict[str, object]:
        infos = [self.index.measures[m] for m in measures if m in self.index.measures]
        return {"measures": tuple(sorted(m.number for m in infos)),
                "ministries": tuple(sorted({x for m in infos for x in m.ministries})),
                "statuses": tuple(sorted({m.status for m in infos if m.status}))}

    def _edge_attrs(self, data: _EdgeData, weight: str) -> dict[str, object]:
        names = [self.index.entities[p].name for p in data.programmes if p in self.index.entities]
        attrs: dict[str, object] = {
            "relation": tuple(sorted(data.relations)),
            "weight": len(data.measures) if weight == "measures" else max(data.mentions, 1),
            "mentions": data.mentions,
            "programmes": tuple(sorted(names)),
            "evidence": tuple(data.evidence),
            **self._measure_facets(data.measures),
        }
        if data.direction:
            attrs["refers_from"], attrs["refers_to"] = data.direction
        return attrs


def _relationship_sentence(g: Graph, node: URIRef) -> str | None:
    ev = g.value(node, TG.evidence)
    return None if ev is None else _literal(g, ev, TG.sentence)


def _add_agency_links(g: Graph, b: _Builder, rdf_class: URIRef, relation: str) -> None:
    for rel in sorted(g.subjects(RDF.type, rdf_class)):
        participants = sorted({str(p) for p in g.objects(rel, TG.participant)})
        measures = {str(m) for m in g.objects(rel, TG.measure)}
        concerns = {str(c) for c in g.objects(rel, TG.concerns)}
        sentence = _relationship_sentence(g, rel)
        for a, c in itertools.combinations(participants, 2):
            data = b.edge(a, c)
            data.relations.add(relation)
            data.measures.update(measures)
            data.programmes.update(concerns)
            data.add_evidence(sentence)


def collaboration_network(data: Graph, *, include_comentions: bool = False) -> nx.Graph:
    """Agencies as nodes, an edge where a sentence says two agencies work together
    (``tg:Collaboration``; with ``include_comentions`` also where they are merely named in one
    sentence, ``tg:CoMention``). ``weight`` = the number of distinct measures."""
    g = as_graph(data)
    b = _Builder(_index(g))
    _add_agency_links(g, b, TG.Collaboration, "collaboration")
    if include_comentions:
        _add_agency_links(g, b, TG.CoMention, "co-mention")
    return b.graph()


def _add_mentions(g: Graph, b: _Builder) -> None:
    for mention in g.subjects(RDF.type, TG.Mention):
        measure, entity = g.value(mention, TG.measure), g.value(mention, TG.entity)
        if measure is None or entity is None or str(measure) not in b.index.measures:
            continue
        data = b.edge(str(measure), str(entity))
        data.relations.add("mentions")
        data.measures.add(str(measure))
        data.mentions += 1
        data.add_evidence(_relationship_sentence(g, mention))  # the sentence is on its evidence node
    # ``tg:mentions`` without a Mention node (hand-made graphs) still counts.
    for measure, entity in g.subject_objects(TG.mentions):
        if str(measure) in b.index.measures:
            data = b.edge(str(measure), str(entity))
            data.relations.add("mentions")
            data.measures.add(str(measure))


def measure_entity_network(data: Graph) -> nx.Graph:
    """Bipartite: every measure, and every entity the text of some measure mentions; ``weight`` =
    the number of mentions, ``evidence`` = their sentences."""
    g = as_graph(data)
    b = _Builder(_index(g))
    b.nodes.update(b.index.measures)
    _add_mentions(g, b)
    return b.graph(weight="mentions")


def crossref_network(data: Graph) -> nx.DiGraph:
    """Measures as nodes, an edge from a measure to each measure its text refers to
    (``tg:CrossReference``, "jf. tiltak 12"), with the sentences as ``evidence``."""
    g = as_graph(data)
    index = _index(g)
    b = _Builder(index)
    edges: dict[tuple[str, str], _EdgeData] = {}
    for ref in sorted(g.subjects(RDF.type, TG.CrossReference)):
        src, dst = g.value(ref, TG.fromMeasure), g.value(ref, TG.toMeasure)
        if src is None or dst is None:
            continue
        data = edges.setdefault((str(src), str(dst)), _EdgeData(relations={"refers to"}))
        data.measures.update((str(src), str(dst)))
        data.add_evidence(_relationship_sentence(g, ref))
    for src, dst in g.subject_objects(TG.relatedMeasure):
        edges.setdefault((str(src), str(dst)), _EdgeData(relations={"refers to"}, measures={str(src), str(dst)}))
    G = nx.DiGraph(ministry_names=b.ministry_names())
    for n in sorted({n for pair in edges for n in pair}):
        G.add_node(n, **b._node_attrs(n, {n}))
    for (src, dst), data in sorted(edges.items()):
        G.add_edge(src, dst, **b._edge_attrs(data, "measures"))
    return G


def overview_network(data: Graph) -> nx.Graph:
    """The whole plan: all measures; the entities they mention; their responsible ministries;
    cross-references between measures; collaborations between agencies. Undirected; a
    cross-reference keeps its direction in the edge's ``refers_from``/``refers_to``."""
    g = as_graph(data)
    b = _Builder(_index(g))
    b.nodes.update(b.index.measures)
    _add_mentions(g, b)
    for measure, ministry in g.subject_objects(TG.responsible):
        if str(measure) in b.index.measures:
            edge = b.edge(str(measure), str(ministry))
            edge.relations.add("responsible")
            edge.measures.add(str(measure))
    for ref in sorted(g.subjects(RDF.type, TG.CrossReference)):
        src, dst = g.value(ref, TG.fromMeasure), g.value(ref, TG.toMeasure)
        if src is not None and dst is not None and src != dst:
            edge = b.edge(str(src), str(dst))
            edge.relations.add("refers to")
            edge.measures.update((str(src), str(dst)))
            edge.direction = edge.direction or (str(src), str(dst))
            edge.add_evidence(_relationship_sentence(g, ref))
    _add_agency_links(g, b, TG.Collaboration, "collaboration")
    return b.graph(weight="mentions")


# --- finding things by name -------------------------------------------------------------------------


def resolve_entity(data: Graph, name: str, *, types: Sequence[str] | None = None) -> str:
    """The IRI of the entity called ``name``: its IRI, its entity key, or (case-insensitively) its
    preferred or an alternative label. Raises ``InputError`` naming close matches when nothing
    (or more than one thing) fits."""
    g = as_graph(data)
    entities = [e for e in _index(g).entities.values() if types is None or e.type in types]
    what = " or ".join(t.lower() for t in types) if types else "entity"
    query = name.strip()
    for e in entities:
        if query == e.iri or query == e.key:
            return e.iri
    folded = query.casefold()
    by_pref = [e for e in entities if e.name.casefold() == folded]
    by_alt = [e for e in entities if folded in {a.casefold() for a in e.alt_labels}]
    found = by_pref or by_alt
    if len({e.iri for e in found}) == 1:
        return found[0].iri
    if found:
        raise InputError(f"{query!r} names more than one {what}: "
                         + "; ".join(_describe(e) for e in sorted(found, key=lambda e: e.name)),
                         hint="give the full name or the IRI")
    if types is not None:
        try:
            other = _index(g).entities[resolve_entity(g, query)]
        except InputError:
            pass
        else:
            raise InputError(f"{query!r} is {_describe(other)}, not a {what}",
                             hint="'tiltaksgraf viz entity NAME' shows any entity's neighbourhood")
    suggestions = _close_matches(query, entities)
    hint = ("did you mean: " + "; ".join(_describe(e) for e in suggestions)) if suggestions else (
        "'tiltaksgraf stats' lists the agencies, programmes and laws")
    raise InputError(f"no {what} called {query!r} in the graph", hint=hint)


def _describe(e: EntityInfo) -> str:
    return f"{e.name} ({e.type})" if e.label == e.name else f"{e.name} [{e.label}] ({e.type})"


def _close_matches(query: str, entities: list[EntityInfo], limit: int = 6) -> list[EntityInfo]:
    folded = query.casefold()
    by_label: dict[str, list[EntityInfo]] = defaultdict(list)
    for e in entities:
        for label in (e.name, *e.alt_labels):
            by_label[label.casefold()].append(e)
    close = difflib.get_close_matches(folded, list(by_label), n=limit * 2, cutoff=0.6)
    contained = sorted((label for label in by_label if len(folded) >= 3 and folded in label), key=len)
    seen: dict[str, EntityInfo] = {}
    for label in [*close, *contained]:
        for e in by_label[label]:
            seen.setdefault(e.iri, e)
    return list(seen.values())[:limit]


def _measure_iris(index: _Index, number: int) -> list[str]:
    found = [m.iri for m in index.measures.values() if m.number == number]
    if not found:
        numbers = sorted(m.number for m in index.measures.values())
        span = f"{numbers[0]}–{numbers[-1]}" if numbers else "none"
        raise InputError(f"no measure number {number} in the graph", hint=f"measures present: {span}")
    return found


def _ego(G: nx.Graph, centres: Iterable[str], radius: int) -> nx.Graph:
    keep: set[str] = set()
    for c in centres:
        keep.update(nx.single_source_shortest_path_length(G, c, cutoff=radius))
    return G.subgraph(keep).copy()


def neighbourhood(data: Graph, name: str, *, radius: int = 1) -> nx.Graph:
    """The overview network within ``radius`` steps of the entity ``name`` (see
    ``resolve_entity``), with every edge among those nodes."""
    g = as_graph(data)
    iri = resolve_entity(g, name)
    G = overview_network(g)
    if iri not in G:  # an entity no measure mentions: itself alone
        sub = nx.Graph(ministry_names=G.graph["ministry_names"])
        sub.add_node(iri, **_Builder(_index(g))._node_attrs(iri, set()))
        return sub
    sub = _ego(G, [iri], radius)
    sub.graph["centre"] = iri
    return sub


def measure_neighbourhood(data: Graph, number: int, *, radius: int = 1) -> nx.Graph:
    """The overview network within ``radius`` steps of measure ``number``: its ministries, the
    entities it mentions, the measures it refers to or is referred to by."""
    g = as_graph(data)
    G = overview_network(g)
    centres = _measure_iris(_index(g), number)
    sub = _ego(G, centres, radius)
    sub.graph["centre"] = centres[0]
    return sub


def programme_trace(data: Graph, name: str) -> nx.Graph:
    """One programme (by name, see ``resolve_entity``), the measures whose text mentions it, and
    those measures' agencies: the responsible ministries and the agencies their text mentions."""
    g = as_graph(data)
    iri = resolve_entity(g, name, types=("Programme",))
    b = _Builder(_index(g))
    b.nodes.add(iri)
    overview = overview_network(g)
    measures = [n for n in overview.neighbors(iri) if n in b.index.measures] if iri in overview else []
    for m in measures:
        edge = b.edge(iri, m)
        edge.relations.add("mentions")
        edge.measures.add(m)
        edge.evidence.extend(overview.edges[iri, m]["evidence"])
        for other in overview.neighbors(m):
            attrs = overview.edges[m, other]
            if b.index.entities.get(other) and b.index.entities[other].type == "Agency":
                edge = b.edge(m, other)
                edge.relations.update(r for r in attrs["relation"] if r in ("mentions", "responsible"))
                edge.measures.add(m)
                for sentence in attrs["evidence"]:
                    edge.add_evidence(sentence)
    G = b.graph()
    G.graph["centre"] = iri
    return G


# --- analytics --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Centrality:
    node: str
    label: str
    name: str
    type: str
    group: str
    degree: int  # number of neighbours
    weighted_degree: float  # sum of edge weights
    degree_centrality: float  # degree / (n - 1)
    betweenness: float  # normalised, unweighted shortest paths


def centrality(G: nx.Graph) -> list[Centrality]:
    """Degree and betweenness centrality of every node, highest betweenness then degree first.
    Betweenness counts unweighted shortest paths: a weight here is a count of shared measures
    (a strength), not a distance."""
    degree = nx.degree_centrality(G) if len(G) > 1 else {n: 0.0 for n in G}
    between = nx.betweenness_centrality(G, normalized=True)
    rows = [Centrality(n, str(a.get("label", n)), str(a.get("name", n)), str(a.get("type", "")),
                       str(a.get("group", "")), G.degree(n), float(G.degree(n, weight="weight")),
                       degree[n], between[n])
            for n, a in G.nodes(data=True)]
    return sorted(rows, key=lambda r: (-r.betweenness, -r.degree, r.name))


def communities(G: nx.Graph, *, seed: int = LOUVAIN_SEED) -> list[tuple[str, ...]]:
    """Louvain communities (weighted, fixed seed), largest first; each a tuple of node IRIs
    ordered by name."""
    if G.number_of_edges() == 0:
        return [(n,) for n in sorted(G)]
    found = nx.community.louvain_communities(G, weight="weight", seed=seed)
    name = lambda n: str(G.nodes[n].get("name", n))  # noqa: E731
    groups = [tuple(sorted(c, key=name)) for c in found]
    return sorted(groups, key=lambda c: (-len(c), name(c[0])))


@dataclass(frozen=True)
class Bridge:
    agency: str
    label: str
    name: str
    ministries: dict[str, tuple[int, ...]]  # responsible ministry (short label) → measure numbers


def bridging_agencies(data: Graph) -> list[Bridge]:
    """Agencies that link the areas of different ministries.

    For an agency A, let M(A) be the measures whose text (description or reporting; not the
    ANSVAR column) mentions A, and resp(m) the ministries responsible for measure m (the ANSVAR
    column; "Alle departementer" counts as one more ministry). A is *bridging* when M(A) holds
    two measures m1, m2 whose responsible ministries are disjoint: resp(m1) ∩ resp(m2) = ∅ —
    A appears in the work of ministries that share no measure between them. Its score is the
    number of distinct ministries over M(A), the union of resp(m). Sorted by score, then by
    |M(A)|, then name; each ``Bridge`` maps every ministry to A's measures under it.
    """
    g = as_graph(data)
    index = _index(g)
    G = measure_entity_network(g)
    bridges = []
    for n, attrs in G.nodes(data=True):
        if attrs["type"] != "Agency":
            continue
        measures = [index.measures[m] for m in G.neighbors(n) if m in index.measures]
        if not any(not set(a.ministry_iris) & set(b.ministry_iris)
                   for a, b in itertools.combinations(measures, 2) if a.ministry_iris and b.ministry_iris):
            continue
        by_ministry: dict[str, list[int]] = defaultdict(list)
        for m in measures:
            for ministry in m.ministries:
                by_ministry[ministry].append(m.number)
        bridges.append(Bridge(n, str(attrs["label"]), str(attrs["name"]),
                              {k: tuple(sorted(v)) for k, v in sorted(by_ministry.items())}))
    return sorted(bridges, key=lambda b: (-len(b.ministries), -len({x for v in b.ministries.values() for x in v}),
                                          b.name))


@dataclass(frozen=True)
class NetworkStats:
    agencies_by_degree: list[Centrality]  # in the collaboration network
    agencies_by_betweenness: list[Centrality]
    programmes: list[Centrality]  # in the overview network
    laws: list[Centrality]  # in the overview network
    communities: list[tuple[str, ...]]  # of the collaboration network, as names
    bridges: list[Bridge]
    collaboration_size: tuple[int, int]  # nodes, edges
    overview_size: tuple[int, int]


def network_stats(data: Graph, *, top: int = 10) -> NetworkStats:
    """What ``tiltaksgraf stats`` prints: the ``top`` agencies by centrality in the collaboration
    network, the top programmes and laws by centrality in the overview network (there a
    programme's degree is the number of measures and agencies linked to it), the collaboration
    network's communities and the bridging agencies."""
    g = as_graph(data)
    collab = collaboration_network(g)
    overview = overview_network(g)
    over = centrality(overview)
    by_degree = lambda rows: sorted(rows, key=lambda r: (-r.degree, -r.betweenness, r.name))  # noqa: E731
    names = [tuple(str(collab.nodes[n]["name"]) for n in c) for c in communities(collab)]
    agencies = centrality(collab)
    return NetworkStats(
        agencies_by_degree=by_degree(agencies)[:top],
        agencies_by_betweenness=agencies[:top],
        programmes=by_degree([r for r in over if r.type == "Programme"])[:top],
        laws=by_degree([r for r in over if r.type == "Law"])[:top],
        communities=names,
        bridges=bridging_agencies(g)[:top],
        collaboration_size=(collab.number_of_nodes(), collab.number_of_edges()),
        overview_size=(overview.number_of_nodes(), overview.number_of_edges()),
    )
