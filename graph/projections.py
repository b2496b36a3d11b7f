"""Stage 6, network (2/3): networkx projections of the knowledge graph.

Input: what ``graph/index.as_graph`` accepts. Output: networkx graphs whose nodes are IRIs (as
strings) with the attributes ``graph/network`` documents; see there for each projection.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from rdflib import URIRef
from rdflib.namespace import RDF

from tiltaksgraf.errors import InputError
from tiltaksgraf.graph.index import TripleSource, _Index, _index, _literal, as_graph
from tiltaksgraf.graph.lookup import resolve_entity
from tiltaksgraf.ontology.terms import TG


# --- building networks ----------------------------------------------------------------------------


@dataclass
class _EdgeData:
    relations: set[str] = field(default_factory=set)
    measures: set[str] = field(default_factory=set)  # measure IRIs
    programmes: set[str] = field(default_factory=set)  # entity IRIs
    evidence: list[str] = field(default_factory=list)
    mentions: int = 0
    direction: tuple[str, str] | None = None  # for "refers to": (from, to)
    keys: set[str] = field(default_factory=set)  # the relations' tg:stableKey, what a correction names

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
            label = m.measure_id or str(m.number)
            return {"label": f"Tiltak {label}", "name": f"Measure {label}", "type": "Measure", "group": "Measure",
                    "iri": n, "key": label, "number": m.number, "status": m.status,
                    "description": m.description, **self._measure_facets({n})}
        e = index.entities.get(n)
        if e is None:  # a participant the graph gives no type: keep it visible, plainly
            return {"label": n.rsplit("/", 1)[-1], "name": n, "type": "Entity", "group": "Entity", "iri": n,
                    "key": "", **self._measure_facets(measures)}
        return {"label": e.label, "name": e.name, "type": e.type, "group": e.kind, "iri": n, "key": e.key,
                "alt_labels": e.alt_labels, **self._measure_facets(measures)}

    def _measure_facets(self, measures: set[str]) -> dict[str, object]:
        infos = [self.index.measures[m] for m in measures if m in self.index.measures]
        return {"measures": tuple(sorted(m.number for m in infos if m.number)),
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
        if data.keys:
            attrs["keys"] = tuple(sorted(data.keys))
        if data.direction:
            attrs["refers_from"], attrs["refers_to"] = data.direction
        return attrs


def _relationship_sentence(g: TripleSource, node: Any) -> str | None:
    ev = g.value(node, TG.evidence)
    return None if ev is None else _literal(g, ev, TG.sentence)


def _add_agency_links(g: TripleSource, b: _Builder, rdf_class: URIRef, relation: str) -> None:
    for rel in sorted(g.subjects(RDF.type, rdf_class)):
        # agencies only: a network named as a partner (a tg:Programme participant) is no agency node
        participants = sorted({str(p) for p in g.objects(rel, TG.participant)
                               if (e := b.index.entities.get(str(p))) is None or e.type == "Agency"})
        measures = {str(m) for m in g.objects(rel, TG.measure)}
        concerns = {str(c) for c in g.objects(rel, TG.concerns)}
        sentence = _relationship_sentence(g, rel)
        key = _literal(g, rel, TG.stableKey)
        for a, c in itertools.combinations(participants, 2):
            data = b.edge(a, c)
            data.relations.add(relation)
            if key:
                data.keys.add(key)
            data.measures.update(measures)
            data.programmes.update(concerns)
            data.add_evidence(sentence)


def collaboration_network(data: TripleSource, *, include_comentions: bool = False) -> nx.Graph:
    """Agencies as nodes, an edge where a sentence says two agencies work together
    (``tg:Collaboration``; with ``include_comentions`` also where they are merely named in one
    sentence, ``tg:CoMention``). ``weight`` = the number of distinct measures."""
    g = as_graph(data)
    b = _Builder(_index(g))
    _add_agency_links(g, b, TG.Collaboration, "collaboration")
    if include_comentions:
        _add_agency_links(g, b, TG.CoMention, "co-mention")
    return b.graph()


def _add_mentions(g: TripleSource, b: _Builder) -> None:
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


def measure_entity_network(data: TripleSource) -> nx.Graph:
    """Bipartite: every measure, and every entity the text of some measure mentions; ``weight`` =
    the number of mentions, ``evidence`` = their sentences."""
    g = as_graph(data)
    b = _Builder(_index(g))
    b.nodes.update(b.index.measures)
    _add_mentions(g, b)
    return b.graph(weight="mentions")


def crossref_network(data: TripleSource) -> nx.DiGraph:
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
        edge = edges.setdefault((str(src), str(dst)), _EdgeData(relations={"refers to"}))
        edge.measures.update((str(src), str(dst)))
        edge.add_evidence(_relationship_sentence(g, ref))
    for src, dst in g.subject_objects(TG.relatedMeasure):
        edges.setdefault((str(src), str(dst)), _EdgeData(relations={"refers to"}, measures={str(src), str(dst)}))
    G = nx.DiGraph(ministry_names=b.ministry_names())
    for n in sorted({n for pair in edges for n in pair}):
        G.add_node(n, **b._node_attrs(n, {n}))
    for (src, dst), edge in sorted(edges.items()):
        G.add_edge(src, dst, **b._edge_attrs(edge, "measures"))
    return G


def overview_network(data: TripleSource) -> nx.Graph:
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


def _measure_iris(index: _Index, number: int) -> list[str]:
    found = [m.iri for m in index.measures.values() if m.number == number]
    if not found:
        numbers = sorted(m.number for m in index.measures.values() if m.number)
        span = f"{numbers[0]}–{numbers[-1]}" if numbers else "none"
        raise InputError(f"no measure number {number} in the graph", hint=f"measures present: {span}")
    return found


def _ego(G: nx.Graph, centres: Iterable[str], radius: int) -> nx.Graph:
    keep: set[str] = set()
    for c in centres:
        keep.update(nx.single_source_shortest_path_length(G, c, cutoff=radius))
    return G.subgraph(keep).copy()


def neighbourhood(data: TripleSource, name: str, *, radius: int = 1) -> nx.Graph:
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


def measure_neighbourhood(data: TripleSource, number: int, *, radius: int = 1) -> nx.Graph:
    """The overview network within ``radius`` steps of measure ``number``: its ministries, the
    entities it mentions, the measures it refers to or is referred to by."""
    g = as_graph(data)
    G = overview_network(g)
    centres = _measure_iris(_index(g), number)
    sub = _ego(G, centres, radius)
    sub.graph["centre"] = centres[0]
    return sub


def programme_trace(data: TripleSource, name: str) -> nx.Graph:
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
