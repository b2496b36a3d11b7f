"""Stage 5, build: ``[Extraction]`` → ``BuiltGraph``: quads, one named graph per source.

Each source's graph holds what that report says: its measures (number, responsible ministries,
sections, footnote URLs, a dated ``tg:StatusAssessment`` with the status and reporting text),
mentions with offsets, evidence sentences and relationships. One more named graph, ``derived``,
holds what is computed across sources: each measure's latest status, description and reporting
text, and each entity's type and preferred label. Every term comes from ``TG`` (closed), every
IRI from ``graph/iri.py`` (``mint_iri``, or its text forms where Oxigraph nodes are made).

Over 400 lines: one pass from records to quads whose cross-source state (latest status, preferred
labels) must be shared.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol, TypeVar

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from tiltaksgraf import forked
from tiltaksgraf.entity_types import class_iris
from tiltaksgraf.extract.anaphora import ANAPHOR_RULE
from tiltaksgraf.extract.corrections import CorrectionOutcome
from tiltaksgraf.extract.gazetteer import REGISTER_IRI
from tiltaksgraf.extract.keys import mention_keys, relation_identity, relation_keys
from tiltaksgraf.graph.iri import ID_BASE, IriMinter, mint_iri, mint_iri_text
from tiltaksgraf.names import fold
from tiltaksgraf.ontology.terms import OA, STATUS_CONCEPTS, TG, TG_STATUS
from tiltaksgraf.records import (
    Collaboration, CoMention, Commission, Consultation, CrossReference, Entity, Evidence, Extraction, Funding,
    MeasureRecord, Mention, Relation, SourceDocument,
)

DERIVED_GRAPH = mint_iri("graph", "derived")
CORRECTIONS_GRAPH = mint_iri("graph", "corrections")
_TYPES = class_iris()
_RELATION_CLASSES = {"collaboration": TG.Collaboration, "comention": TG.CoMention, "consultation": TG.Consultation,
                     "commission": TG.Commission, "funding": TG.Funding, "crossref": TG.CrossReference}


def source_iri(doc: SourceDocument) -> URIRef:
    return mint_iri("source", doc.sha256[:16])


def source_graph_iri(doc: SourceDocument) -> URIRef:
    return mint_iri("graph", doc.sha256[:16])


def plan_iri(plan_key: str) -> URIRef:
    return mint_iri("plan", plan_key)


def measure_iri(plan_key: str, measure_id: str | int) -> URIRef:
    """A measure of a plan: plan key + measure id ("12", "29a", "2.1"), so that reports of one plan
    share one node per measure."""
    return mint_iri("measure", plan_key, str(measure_id))


def status_concept(wording: str) -> URIRef:
    """The status scheme's concept for one of its wordings (ontology/statuses.jsonl)."""
    return STATUS_CONCEPTS.get(wording) or mint_iri("status", wording)


_STATUS_CLASSES = {"Done": TG.Done, "Ongoing": TG.Ongoing, "NotStarted": TG.NotStarted}


def entity_iri(key: str) -> URIRef:
    return mint_iri("entity", key)


class _Source:
    """One report as the hot paths write it: its node, and minters of its mentions', evidence
    nodes' and selectors' IRIs, the report's key slugged once for all of them."""

    def __init__(self, doc: SourceDocument) -> None:
        self.doc = doc
        self.node = ox.NamedNode(source_iri(doc))
        key = doc.sha256[:16]
        self.mention = IriMinter("mention", key)
        self.evidence = IriMinter("evidence", key)
        self.selector = IriMinter("selector", key)


def _mention_node(source: _Source, mention: Mention) -> ox.NamedNode:
    """A mention: source + offsets, and the entity where several share the words ("sentrene")."""
    if mention.rule_id == ANAPHOR_RULE:
        return ox.NamedNode(source.mention(mention.start, mention.end, mention.entity_key))
    return ox.NamedNode(source.mention(mention.start, mention.end))


@lru_cache(maxsize=8192)  # a measure's node recurs in each of its mentions and relations
def _measure_node(plan_key: str, measure_id: str | int) -> ox.NamedNode:
    return ox.NamedNode(measure_iri(plan_key, measure_id))


@lru_cache(maxsize=8192)  # an entity's node recurs in each of its mentions
def _entity_node(key: str) -> ox.NamedNode:
    return ox.NamedNode(entity_iri(key))


_Subject = ox.NamedNode | ox.BlankNode  # the build makes no quoted triples
_R = TypeVar("_R", Mention, Relation)
_Object = ox.NamedNode | ox.BlankNode | ox.Literal
_Pair = tuple[ox.NamedNode, _Object]  # a predicate and an object


class BuiltGraph:
    """The built knowledge graph as Oxigraph terms — cheap to make and to serialise — with
    rdflib views on demand (``dataset()``, ``union()``) for code that wants rdflib.

    Held as (graph, subject) → {(predicate, object)}, in the order first added, of shared term
    objects: grouped as the writers nest them, so nothing is sorted or copied per quad at write
    time. (An ``ox.Quad`` per quad copied all four terms: about 550 bytes a quad, most of the
    build's memory on a large report.)"""

    def __init__(self, same_as: Mapping[URIRef, URIRef] | None = None, *,
                 on_chunk: Callable[[Chunk], None] | None = None, sink: ChunkSink | None = None) -> None:
        self._groups: _Groups = {}
        self._evidence: set[ox.NamedNode] = set()
        # nodes written as another node: a Plan the text names that is a plan being built
        self._same_as: dict[_Object, ox.NamedNode] = {_node(a): _node(b) for a, b in (same_as or {}).items()}
        # Streaming: the nodes of one measure (see ``chunk``) are handed to ``on_chunk`` as soon as
        # the measure is built and then forgotten, so the graph held grows with the measures and
        # entities, not with the text.
        self._on_chunk = sink.write_chunk if sink is not None else on_chunk
        self._sink = sink  # when it takes the chunks, half a report's measures may be built apart
        self._chunk: _Groups | None = None
        self._own: ox.NamedNode | None = None

    def graph(self, name: URIRef) -> "_GraphSink":
        return _GraphSink(self, _node(name))

    def _add(self, graph: ox.NamedNode, s: _Subject, p: ox.NamedNode, o: _Object) -> None:
        if self._same_as:
            s = self._same_as.get(s, s)
            o = self._same_as.get(o, o)
        self._group(graph, s)[(p, o)] = None

    def _add_many(self, graph: ox.NamedNode, s: _Subject, pairs: Sequence[_Pair]) -> None:
        """``_add`` of one subject's triples, its nodes as written (see ``_GraphSink.add_many``):
        its group is looked up once, not per triple."""
        if pairs:  # no group for a node without triples
            self._group(graph, s).update(dict.fromkeys(pairs))

    def _group(self, graph: ox.NamedNode, s: _Subject) -> dict[_Pair, None]:
        """Where ``s``'s triples in ``graph`` go: the open measure's chunk, unless ``s`` is a
        shared node (and not the chunk's own), else the graph held to the end."""
        groups = self._groups if self._chunk is None or (_shared(s) and s != self._own) else self._chunk
        group = groups.get((graph, s))
        if group is None:
            group = groups[(graph, s)] = {}
        return group

    @contextlib.contextmanager
    def chunk(self, own: URIRef | None = None) -> Iterator[None]:
        """The triples added inside belong to one measure: the nodes only it has (its status
        assessment and sections, mentions, evidence, relation nodes) go to ``on_chunk`` at the end,
        sorted as the writers nest them; shared nodes (the measure, entities, plans, sources),
        which other measures and reports add to, stay in the graph — but for ``own``, a shared
        node whose triples in this graph are all added inside (the derived graph's measure).
        Without ``on_chunk`` everything stays: the graph is the same either way."""
        self._chunk = {}
        self._own = None if own is None else _node(str(own))
        try:
            yield
            chunk = self._chunk
        finally:
            self._chunk = self._own = None
            self._evidence.clear()  # an evidence node is a sentence of this measure: never seen again
        if self._on_chunk is None:
            for key, pairs in chunk.items():
                self._groups.setdefault(key, {}).update(pairs)
        else:
            for part in _chunks(chunk):
                self._on_chunk(part)

    def halves(self, measures: tuple[MeasureRecord, ...], chars: int
               ) -> tuple[Sequence[MeasureRecord], Sequence[MeasureRecord]]:
        """The measures of a report of ``chars`` characters to build here and those to build
        ``apart``, in a child: all here unless a sink takes the chunks and a core is free."""
        if self._sink is None or len(measures) < 2 or not forked.worth_splitting(chars):
            return measures, ()
        return forked.halves(measures, MeasureRecord.text_size)

    def apart(self, here: Callable[[], None], there: Callable[[], None]) -> None:
        """``here()`` in this process while ``there()`` (whole chunks, nothing else, the ones
        after ``here``'s) is built in a forked child: the sink's ``buffer`` writes its chunks
        there, and what it added to the shared nodes comes back as N-Quads; ``take_apart`` puts
        both in their place."""
        assert self._sink is not None
        sink, before = self._sink, {key: len(pairs) for key, pairs in self._groups.items()}

        def build_into_buffer() -> tuple[Any, bytes]:
            buffer, writes_to = sink.buffer(), self._on_chunk
            self._on_chunk = buffer.write_chunk
            try:
                there()
            finally:
                self._on_chunk = writes_to
            added = (ox.Quad(s, p, o, g) for (g, s), pairs in self._groups.items()
                     for p, o in itertools.islice(pairs, before.get((g, s), 0), None))
            return buffer, ox.serialize(added, format=ox.RdfFormat.N_QUADS) or b""

        _, (buffer, added) = forked.beside(here, build_into_buffer)
        self.take_apart(buffer, added)

    def take_apart(self, buffer: Any, added: bytes) -> None:
        """The chunks built ``apart`` written to the sink in their place, and what they added to
        the shared nodes added here, after what was added here: as one process would have."""
        assert self._sink is not None
        self._sink.write_buffered(buffer)
        for quad in ox.parse(added, format=ox.RdfFormat.N_QUADS):
            self._groups.setdefault((quad.graph_name, quad.subject), {})[(quad.predicate, quad.object)] = None

    def iter_quads(self) -> Iterator[ox.Quad]:
        """Every quad, grouped by graph and subject, in the order first added."""
        for (g, s), pairs in self._groups.items():
            for p, o in pairs:
                yield ox.Quad(s, p, o, g)

    def iter_value_triples(self, only: frozenset[str] | None = None) -> Iterator[tuple[str, str, str]]:
        """Every quad's triple as its terms' strings (an IRI, a literal's lexical form), in the
        order of ``iter_quads``, of the predicates ``only`` (None: all): what the views'
        ``TripleIndex`` reads. A subject's and a predicate's string is made once, not per quad."""
        predicates: dict[ox.NamedNode, str] = {}
        for (_g, s), pairs in self._groups.items():
            subject = s.value
            for p, o in pairs:
                predicate = predicates.get(p)
                if predicate is None:
                    predicate = predicates[p] = p.value
                if only is None or predicate in only:
                    yield subject, predicate, o.value

    @property
    def quads(self) -> list[ox.Quad]:
        return list(self.iter_quads())

    def iter_quads_sorted(self) -> Iterator[ox.Quad]:
        """Every quad, grouped by graph and then subject IRI (what the TriG writer nests)."""
        return _iter_sorted_quads(self._groups)

    def iter_triples_sorted(self) -> Iterator[ox.Triple]:
        """Every distinct triple (a triple in several graphs once), grouped by subject IRI."""
        graphs_of: dict[_Subject, list[ox.NamedNode]] = {}
        for g, s in self._groups:
            graphs_of.setdefault(s, []).append(g)
        for s in sorted(graphs_of, key=lambda t: t.value):
            graphs = graphs_of[s]
            if len(graphs) == 1:
                pairs = self._groups[(graphs[0], s)].keys()
            else:
                pairs = dict.fromkeys(pair for g in graphs for pair in self._groups[(g, s)]).keys()
            for p, o in pairs:
                yield ox.Triple(s, p, o)

    def __len__(self) -> int:
        return sum(1 for _t in self.iter_triples_sorted())

    def dataset(self) -> Dataset:
        ds = Dataset()
        for prefix, ns in PREFIXES.items():
            ds.bind(prefix, ns)
        for q in self.iter_quads():
            ds.add((_rdflib(q.subject), _rdflib(q.predicate), _rdflib(q.object), _rdflib(q.graph_name)))
        return ds

    def union(self) -> Graph:
        """All triples as one rdflib Graph (the views read a ``network.TripleIndex`` instead:
        making rdflib terms is the slow part)."""
        g = Graph()
        for prefix, ns in PREFIXES.items():
            g.bind(prefix, ns)
        for q in self.iter_quads():
            g.add((_rdflib(q.subject), _rdflib(q.predicate), _rdflib(q.object)))
        return g


_Groups = dict[tuple[ox.NamedNode, _Subject], dict[tuple[ox.NamedNode, _Object], None]]
# Nodes that several measures or reports add triples to; any other node belongs to one measure.
_SHARED_PREFIXES = tuple(f"{ID_BASE}{kind}/" for kind in ("measure", "entity", "plan", "source"))


def _shared(node: _Subject) -> bool:
    return node.value.startswith(_SHARED_PREFIXES)


def _iter_sorted_quads(groups: _Groups) -> Iterator[ox.Quad]:
    for g, s in sorted(groups, key=lambda k: (k[0].value, k[1].value)):
        for p, o in groups[(g, s)]:
            yield ox.Quad(s, p, o, g)


class ChunkSink(Protocol):
    """What takes a streamed build's chunks (``graph/store.GraphWriter``): ``write_chunk``, and
    ``buffer()``, a picklable writer of chunks whose text ``write_buffered`` writes in their place."""

    def write_chunk(self, chunk: Chunk) -> None: ...

    def buffer(self) -> Any: ...

    def write_buffered(self, chunks: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class Chunk:
    """Nodes only one measure has, in one named graph: their triples grouped by subject, the
    subjects in order (as the writers nest them). What ``on_chunk`` is handed."""

    graph: ox.NamedNode
    triples: list[ox.Triple]


def _chunks(groups: _Groups) -> list[Chunk]:
    """One measure's groups as a chunk per named graph (one, as the build makes them)."""
    subjects: dict[ox.NamedNode, list[_Subject]] = {}
    for g, s in groups:
        subjects.setdefault(g, []).append(s)
    return [Chunk(g, [ox.Triple(s, p, o) for s in sorted(subjects[g], key=_value) for p, o in groups[(g, s)]])
            for g in sorted(subjects, key=_value)]


def _value(term: ox.NamedNode | ox.BlankNode) -> str:
    return term.value


class _GraphSink:
    """``add((s, p, o))`` like an rdflib Graph, into one named graph of a ``BuiltGraph``."""

    def __init__(self, built: BuiltGraph, name: ox.NamedNode) -> None:
        self._built = built
        self._name = name
        self._same_as = built._same_as

    def add(self, triple: tuple) -> None:
        s, p, o = triple
        self._built._add(self._name, _term(s), _term(p), _term(o))

    def add_many(self, subject: _Subject, pairs: Sequence[_Pair]) -> None:
        """One subject's triples, its (predicate, object) pairs in order, all Oxigraph terms
        already and nodes as written: an entity's from ``entity``. The hot paths' way: ``add``'s
        three conversions, same-as look-ups and group look-up per triple were ~40% of the
        build's graph step."""
        self._built._add_many(self._name, subject, pairs)

    def entity(self, key: str) -> ox.NamedNode:
        """The node an entity is written as: its own, or that of the plan being built that it
        names (``plans_named_in_text``). Looked up here, once per entity node, rather than for
        every object ``add_many`` writes (5 ms of a 50 ms graph step on the bundled report)."""
        node = _entity_node(key)
        return self._same_as.get(node, node)

    def first_evidence(self, node: ox.NamedNode) -> bool:
        """True the first time an evidence node is seen: its triples are written once."""
        if node in self._built._evidence:
            return False
        self._built._evidence.add(node)
        return True


PREFIXES = {"tg": str(TG._NS), "oa": str(OA), "skos": str(SKOS), "dcterms": str(DCTERMS), "prov": str(PROV)}
_XSD_INTEGER = ox.NamedNode(str(XSD.integer))
_XSD_DECIMAL = ox.NamedNode(str(XSD.decimal))
_XSD_STRING = str(XSD.string)


@lru_cache(maxsize=8192)  # the IRIs a measure repeats (its node, entities); not every IRI ever made
def _node(uri: str) -> ox.NamedNode:
    return ox.NamedNode(uri)


def _term(t):
    return t if isinstance(t, (ox.Literal, ox.NamedNode)) else _node(str(t))


class _OxNamespace:
    """A vocabulary's terms as Oxigraph nodes, read like the rdflib namespace (``_TG.start`` is
    ``TG.start``) and each made once: for the hot paths, which write them with ``add_many``."""

    def __init__(self, namespace: object) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> ox.NamedNode:
        node = ox.NamedNode(str(getattr(self._namespace, name)))  # a closed namespace's typo still fails
        setattr(self, name, node)  # read as a plain attribute from now on
        return node


_TG, _OA, _RDF = _OxNamespace(TG), _OxNamespace(OA), _OxNamespace(RDF)
_PROV, _DCTERMS, _SKOS = _OxNamespace(PROV), _OxNamespace(DCTERMS), _OxNamespace(SKOS)


def lit(value, *, lang: str | None = None, datatype: URIRef | None = None) -> ox.Literal:
    """A literal, typed as rdflib would type the Python value (int → xsd:integer, Decimal →
    xsd:decimal), made directly as an Oxigraph term."""
    if isinstance(value, bool):  # before int: a bool is an int to Python
        return ox.Literal("true" if value else "false", datatype=_node(str(XSD.boolean)))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=_XSD_INTEGER)
    if isinstance(value, Decimal):
        return ox.Literal(str(value), datatype=_XSD_DECIMAL)
    if lang:
        return ox.Literal(value, language=lang)
    if datatype is not None:
        return ox.Literal(value, datatype=_node(str(datatype)))
    return ox.Literal(value)


def _rdflib(t):
    from rdflib import BNode, Literal

    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.Literal):
        if t.language:
            return Literal(t.value, lang=t.language)
        if t.datatype.value == _XSD_STRING:  # RDF 1.1 simple literal; rdflib keeps them apart
            return Literal(t.value)
        return Literal(t.value, datatype=URIRef(t.datatype.value))
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    return None  # the default graph


def build_dataset(extractions: list[Extraction], corrections: Sequence[CorrectionOutcome] = (), *,
                  on_chunk: Callable[[Chunk], None] | None = None, sink: ChunkSink | None = None) -> BuiltGraph:
    """The whole knowledge graph: one named graph per source, the derived graph, and — when the
    user's corrections were applied — a graph recording each of them. With ``on_chunk``, the
    nodes of each measure are handed to it as the measure is built and are not kept (see
    ``BuiltGraph.chunk``): the returned graph then holds the rest. A ``sink`` takes them the same
    way and, with a core free, has the second half of each report's measures built and written
    in a child (``BuiltGraph.apart``): the same chunks, in the same order."""
    built_plans = plans_named_in_text(extractions)
    built = BuiltGraph(same_as=built_plans, on_chunk=on_chunk, sink=sink)
    reports_of_plan = Counter(ex.report.source.metadata.plan_key for ex in extractions)
    for ex in extractions:
        alone = reports_of_plan[ex.report.source.metadata.plan_key] == 1
        _add_source(built, built.graph(source_graph_iri(ex.report.source)), ex, alone=alone)
    _add_derived(built, built.graph(DERIVED_GRAPH), extractions, built_plans)
    if corrections:
        _add_corrections(built.graph(CORRECTIONS_GRAPH), corrections)
    return built


def _add_corrections(g: _GraphSink, outcomes: Sequence[CorrectionOutcome]) -> None:
    """Each correction as a ``tg:Correction`` (a ``prov:Activity``): what, on which key, with
    what outcome, and who, when and why as the person gave them."""
    for index, outcome in enumerate(outcomes, start=1):
        c = outcome.correction
        node = mint_iri("correction", c.action, c.target, index)
        g.add((node, RDF.type, TG.Correction))
        g.add((node, RDF.type, PROV.Activity))
        g.add((node, TG.correctionAction, lit(c.action)))
        g.add((node, TG.correctionTarget, lit(c.target)))
        g.add((node, TG.correctionOutcome, lit("applied" if outcome.applied else "target not found")))
        g.add((node, RDFS.label, lit(outcome.detail)))
        if c.action in ("reject-entity", "merge", "retype"):
            g.add((node, PROV.used, entity_iri(c.target)))
        if c.into:
            g.add((node, TG.mergedInto, entity_iri(c.into)))
        if c.type:
            g.add((node, TG.newType, _TYPES[c.type]))
        if c.by:
            agent = mint_iri("agent", c.by)
            g.add((node, PROV.wasAssociatedWith, agent))
            g.add((agent, RDF.type, PROV.Agent))
            g.add((agent, RDFS.label, lit(c.by)))
        if c.when:
            g.add((node, DCTERMS.date, lit(c.when, datatype=XSD.dateTime if "T" in c.when else XSD.date)))
        if c.why:
            g.add((node, RDFS.comment, lit(c.why)))


def union_graph(data) -> Graph:
    """All triples of a ``BuiltGraph`` or an rdflib ``Dataset`` as one rdflib Graph."""
    if isinstance(data, BuiltGraph):
        return data.union()
    g = Graph()
    for prefix, ns in data.namespaces():
        g.bind(prefix, ns)
    for s, p, o, _c in data.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


# --- one source -------------------------------------------------------------------------------


def _add_source(built: BuiltGraph, g: _GraphSink, ex: Extraction, *, alone: bool) -> None:
    """One report's graph; ``alone``: no other report of its plan is built with it (so its
    measures' nodes have no triples in another report's graph)."""
    doc = ex.report.source
    meta = doc.metadata
    src = source_iri(doc)
    plan = plan_iri(meta.plan_key)
    g.add((src, RDF.type, TG.StatusReport))
    g.add((src, TG.fileName, lit(doc.name)))
    g.add((src, TG.sha256, lit(doc.sha256)))
    g.add((src, TG.encoding, lit(doc.encoding)))
    g.add((src, DCTERMS.language, lit(meta.language)))
    g.add((src, DCTERMS.title, lit(f"{meta.plan_title}: {meta.kind}", lang=meta.language)))
    if meta.date:
        g.add((src, DCTERMS.date, lit(meta.date)))
    g.add((plan, RDF.type, TG.ActionPlan))
    g.add((plan, SKOS.prefLabel, lit(meta.plan_title, lang=meta.language)))
    g.add((plan, TG.entityKey, lit(meta.plan_key)))
    g.add((plan, PROV.wasDerivedFrom, src))
    entity_types = {e.key: e for e in ex.entities}
    types = {e.key: e.type for e in ex.entities}
    mentions_at = _mentions_by_start(ex)
    ids = _measure_ids(ex)
    stable = mention_keys(meta.plan_key, ex.mentions)
    relation_stable = relation_keys(meta.plan_key, ex.relations)
    mentions_of = _by_measure(ex.mentions)
    relations_of = _by_measure(ex.relations)
    source = _Source(doc)

    def add_chunk(measure: MeasureRecord | None, mentions: Iterable[Mention], relations: Iterable[Relation]) -> None:
        """One measure's own nodes, and its node too when no other report has it."""
        own = measure_iri(meta.plan_key, measure.measure_id) if alone and measure is not None else None
        with built.chunk(own=own):
            if measure is not None:
                _add_measure(g, ex, measure, source, _node(plan), entity_types, mentions_at)
            for mention in mentions:
                _add_mention(g, source, meta.plan_key, mention, ids, stable[mention])
            for rel in relations:
                _add_relation(g, source, meta.plan_key, rel, types, ids, relation_stable[rel])

    def add_measures(measures: Sequence[MeasureRecord]) -> None:
        for measure in measures:
            add_chunk(measure, mentions_of.pop(measure.number, []), relations_of.pop(measure.number, []))

    # measure by measure, each one's own nodes a chunk (streamed to the files when the build
    # streams; the second half of them built in a child when a core is free), then the mentions
    # and relations of a number no measure has (hand-made records)
    here, there = built.halves(ex.report.measures, len(doc.text))
    if there:
        built.apart(lambda: add_measures(here), lambda: add_measures(there))
        for measure in there:  # built there: not again below
            mentions_of.pop(measure.number, None)
            relations_of.pop(measure.number, None)
    else:
        add_measures(here)
    add_chunk(None, [m for rest in mentions_of.values() for m in rest],
              [r for rest in relations_of.values() for r in rest])
    for found in ex.entities:
        if found.alt_labels:
            labels = [(_SKOS.altLabel, lit(alt, lang=meta.language)) for alt in found.alt_labels]
            g.add_many(g.entity(found.key), labels)


def _by_measure(records: Iterable[_R]) -> dict[int, list[_R]]:
    """Mentions or relations by the number of their measure, in their order."""
    grouped: dict[int, list[_R]] = {}
    for record in records:
        grouped.setdefault(record.measure, []).append(record)
    return grouped


def _add_mention(g: _GraphSink, source: _Source, plan_key: str, mention: Mention, ids: dict[int, str],
                 stable_key: str) -> None:
    m = _mention_node(source, mention)
    g.add_many(m, [(_TG.stableKey, lit(stable_key))])
    # The sentence is stored once, on its evidence node; the mention points to it (a copy on
    # every mention made one sentence naming n agencies cost n × its length).
    ev = _evidence_node(g, source, mention.sentence.start, mention.sentence.end)
    measure_node = _measure_node(plan_key, ids.get(mention.measure, mention.measure))
    entity = g.entity(mention.entity_key)
    g.add_many(measure_node, [(_TG.mentions, entity)])
    g.add_many(m, [
        (_RDF.type, _TG.Mention),
        (_TG.measure, measure_node),
        (_TG.entity, entity),
        (_OA.hasBody, entity),
        (_OA.hasTarget, ev),
        (_TG.evidence, ev),
        (_TG.surfaceForm, lit(mention.surface)),
        (_TG.start, lit(mention.start)),
        (_TG.end, lit(mention.end)),
        (_TG.field, lit(mention.field)),
        (_TG.rule, lit(mention.rule_id)),
    ])


def _measure_ids(ex: Extraction) -> dict[int, str]:
    """Records and relations name a measure by its number in the report; its node, by its id."""
    return {m.number: m.measure_id for m in ex.report.measures}


def _add_measure(g: _GraphSink, ex: Extraction, measure: MeasureRecord, source: _Source, plan: ox.NamedNode,
                 entities: dict[str, Entity], mentions_at: dict[int, list[Mention]]) -> None:
    doc = ex.report.source
    lang = doc.metadata.language
    m = _measure_node(doc.metadata.plan_key, measure.measure_id)
    about: list[_Pair] = [(_RDF.type, _TG.Measure), (_TG.measureId, lit(measure.measure_id))]
    if measure.plain_number is not None:
        about.append((_TG.measureNumber, lit(measure.plain_number)))
    about += [
        (_TG.partOf, plan),
        (_PROV.wasDerivedFrom, source.node),
        (_TG.start, lit(measure.span.start)),
        (_TG.end, lit(measure.span.end)),
    ]
    about += [(_TG.responsible, g.entity(key)) for key in ex.responsible_for(measure.number)]
    about += [(_TG.footnoteUrl, lit(url, datatype=XSD.anyURI)) for url in measure.urls]
    assessment = ox.NamedNode(mint_iri_text("status", doc.metadata.plan_key, measure.measure_id, doc.sha256[:16]))
    about.append((_TG.hasStatusAssessment, assessment))
    g.add_many(m, about)
    status: list[_Pair] = [(_RDF.type, _TG.StatusAssessment), (_TG.measure, m)]
    if measure.status:  # a report that states no status gives none, never a guessed one
        status.append((_TG.status, _node(status_concept(measure.status))))
        status.append((_TG.statusRaw, lit(measure.status_raw)))
    status.append((_TG.reportedIn, source.node))
    if measure.truncated:  # the page ends inside it: what it reports is incomplete
        status.append((_TG.truncated, lit(True)))
    status.append((_TG.reportText, lit(measure.report_text, lang=lang)))
    if doc.metadata.date:
        status.append((_DCTERMS.date, lit(doc.metadata.date)))
    g.add_many(assessment, status)
    for index, section in enumerate(measure.sections, start=1):
        s = ox.NamedNode(mint_iri_text("section", doc.metadata.plan_key, measure.measure_id, doc.sha256[:16], index))
        g.add_many(m, [(_TG.hasSection, s)])
        part: list[_Pair] = [
            (_RDF.type, _TG.Section),
            (_TG.sectionText, lit(section.text, lang=lang)),
            (_TG.start, lit(section.start)),
            (_TG.end, lit(section.end)),
        ]
        if section.ministry:
            ministry = _section_ministry(mentions_at, measure, section.ministry, entities)
            if ministry:
                part.append((_TG.ministry, g.entity(ministry)))
        g.add_many(s, part)


def _section_ministry(mentions_at: dict[int, list[Mention]], measure: MeasureRecord, code: str,
                      entities: dict[str, Entity]) -> str | None:
    """The entity the "BFD:" label names: the mention found at the section's start."""
    section_start = next(s.start for s in measure.sections if s.ministry == code)
    for mention in mentions_at.get(section_start, ()):
        if entities.get(mention.entity_key, None) is not None:
            return mention.entity_key
    return None


def _mentions_by_start(ex: Extraction) -> dict[int, list[Mention]]:
    """Mentions by start offset, made once per source (a scan of all mentions per section was
    quadratic in the report's length)."""
    index: dict[int, list[Mention]] = {}
    for mention in ex.mentions:
        index.setdefault(mention.start, []).append(mention)
    return index


def _add_evidence(g: _GraphSink, source: _Source, ev: Evidence) -> ox.NamedNode:
    return _evidence_node(g, source, ev.start, ev.end, ev.sentence)


def _evidence_node(g: _GraphSink, source: _Source, start: int, end: int,
                   sentence: str | None = None) -> ox.NamedNode:
    """The evidence node of ``text[start:end]``, its triples written the first time only (the
    sentence is sliced from the source only then)."""
    node = ox.NamedNode(source.evidence(start, end))
    if not g.first_evidence(node):
        return node
    text = lit(source.doc.text[start:end] if sentence is None else sentence)
    start_at, end_at = lit(start), lit(end)
    position = ox.NamedNode(source.selector(start, end, "position"))
    quote = ox.NamedNode(source.selector(start, end, "quote"))
    g.add_many(node, [
        (_RDF.type, _TG.Evidence),
        (_TG.source, source.node),
        (_OA.hasSource, source.node),
        (_TG.start, start_at),
        (_TG.end, end_at),
        (_TG.sentence, text),
        (_OA.hasSelector, position),
    ])
    g.add_many(position, [(_RDF.type, _OA.TextPositionSelector), (_OA.start, start_at), (_OA.end, end_at)])
    g.add_many(node, [(_OA.hasSelector, quote)])
    g.add_many(quote, [(_RDF.type, _OA.TextQuoteSelector), (_OA.exact, text)])
    return node


def _add_relation(g: _GraphSink, source: _Source, plan_key: str, rel: Relation,
                  types: Mapping[str, str], ids: dict[int, str], stable_key: str) -> None:
    """One relation node of its kind's class, with its measure, evidence sentence and rule, the
    parties in their roles, and the direct agency-to-agency links it implies."""
    doc = source.doc
    ev = _add_evidence(g, source, rel.evidence)
    node = ox.NamedNode(mint_iri_text(rel.kind, doc.sha256[:16], rel.evidence.start, rel.rule_id, *_identity(rel)))
    measure = _measure_node(plan_key, ids.get(rel.measure, rel.measure))
    g.add_many(node, [
        (_RDF.type, _node(_RELATION_CLASSES[rel.kind])),
        (_TG.measure, measure),
        (_TG.evidence, ev),
        (_TG.rule, lit(rel.rule_id)),
        (_TG.stableKey, lit(stable_key)),
    ])
    if isinstance(rel, (Collaboration, CoMention, Consultation, Commission)):
        for key in rel.concerns:
            g.add((node, _TG.concerns, _entity_node(key)))
    if isinstance(rel, (Collaboration, CoMention)):
        parties = rel.partners if isinstance(rel, Collaboration) else rel.agencies
        link = _TG.collaboratesWith if isinstance(rel, Collaboration) else _TG.coMentionedWith
        for key in parties:
            g.add((node, _TG.participant, _entity_node(key)))
        agencies = sorted({k for k in parties if types.get(k) == "Agency"})  # a network partner is no agency
        for a, b in itertools.permutations(agencies, 2):
            g.add((_entity_node(a), link, _entity_node(b)))
    elif isinstance(rel, Consultation):
        for key in rel.consulted:
            g.add((node, _TG.consulted, _entity_node(key)))
            if rel.consulter:
                g.add((_entity_node(rel.consulter), _TG.consultedWith, _entity_node(key)))
        if rel.consulter:
            g.add((node, _TG.consulter, _entity_node(rel.consulter)))
    elif isinstance(rel, Commission):
        g.add((node, _TG.contractor, _entity_node(rel.contractor)))
        if rel.commissioner:
            g.add((node, _TG.commissioner, _entity_node(rel.commissioner)))
            g.add((_entity_node(rel.contractor), _TG.commissionedBy, _entity_node(rel.commissioner)))
    elif isinstance(rel, CrossReference):
        to = _measure_node(plan_key, ids.get(rel.to_measure, rel.to_measure))
        g.add((node, _TG.fromMeasure, measure))
        g.add((node, _TG.toMeasure, to))
        g.add((measure, _TG.relatedMeasure, to))
    elif isinstance(rel, Funding):
        if rel.amount_nok:
            g.add((node, _TG.amount, lit(Decimal(f"{rel.amount_nok:.2f}"))))
        for year in rel.years:
            g.add((node, _TG.year, lit(str(year), datatype=XSD.gYear)))
        if rel.basis:
            g.add((node, _TG.amountBasis, _TG.PerYear if rel.basis == "per-year" else _TG.InTotal))
        if rel.approximate:
            g.add((node, _TG.approximate, lit(True)))
        if rel.funder:
            g.add((node, _TG.funder, _entity_node(rel.funder)))
        for key in rel.recipients:
            g.add((node, _TG.funds, _entity_node(key)))


def _identity(rel: Relation) -> tuple[str, ...]:
    return relation_identity(rel)


# --- across sources ---------------------------------------------------------------------------


def _latest_first(extractions: list[Extraction]) -> list[Extraction]:
    """Reports ordered newest first: by metadata date, then by the order given."""
    indexed = list(enumerate(extractions))
    indexed.sort(key=lambda p: (p[1].report.source.metadata.date or "", p[0]), reverse=True)
    return [ex for _i, ex in indexed]


def _add_derived(built: BuiltGraph, g: _GraphSink, extractions: list[Extraction],
                 built_plans: Mapping[URIRef, URIRef]) -> None:
    done: set[URIRef] = set()
    for ex in _latest_first(extractions):
        meta = ex.report.source.metadata
        for measure in ex.report.measures:
            m = measure_iri(meta.plan_key, measure.measure_id)
            if m in done:
                continue
            done.add(m)
            # a chunk of its own: the derived graph has each measure once, and its texts are
            # most of what the graph would otherwise hold to the end
            with built.chunk(own=m):
                if measure.status:
                    g.add((m, TG.status, status_concept(measure.status)))
                g.add((m, DCTERMS.description, lit(measure.description, lang=meta.language)))
                g.add((m, TG.reportText, lit(measure.report_text, lang=meta.language)))
    # every concept any report used carries its label (and class, when the scheme gives one), so
    # a timeline can read them
    for ex in extractions:
        for measure in ex.report.measures:
            if measure.status:
                concept = status_concept(measure.status)
                g.add((concept, RDF.type, SKOS.Concept))
                g.add((concept, SKOS.prefLabel, lit(measure.status, lang="nb")))
                g.add((concept, SKOS.inScheme, TG_STATUS))
                if measure.status_class:
                    g.add((concept, TG.statusClass, _STATUS_CLASSES[measure.status_class]))
    titles = {ex.report.source.metadata.plan_title for ex in extractions}
    for entity in _merged_entities(ex.entities for ex in _latest_first(extractions)):
        e = entity_iri(entity.key)
        if e in built_plans:  # the plan's node keeps its own title and key; the text's name is another label
            g.add((built_plans[e], RDF.type, TG.Plan))
            if entity.pref_label not in titles:
                g.add((built_plans[e], SKOS.altLabel, lit(entity.pref_label, lang="nb")))
            continue
        about: list[_Pair] = [
            (_RDF.type, _node(_TYPES[entity.type])),
            (_SKOS.prefLabel, lit(entity.pref_label, lang="nb")),
            (_TG.entityKey, lit(entity.key)),
        ]
        if entity.org_number and entity.type == "Agency":  # a retyped entity is no longer an agency
            about.append((_TG.orgNumber, lit(entity.org_number)))
            about.append((_TG.registerEntry, ox.NamedNode(REGISTER_IRI.format(entity.org_number))))
        g.add_many(g.entity(entity.key), about)


def plans_named_in_text(extractions: Sequence[Extraction]) -> dict[URIRef, URIRef]:
    """Plan entities that are a plan this build reports on → that plan's node, so that the text's
    "Opptrappingsplanen mot vold og overgrep" and the tg:ActionPlan are one node. A label names a
    plan when both are alike without the period and the first word's definite ending, and their
    periods agree: "Handlingsplan mot vold i nære relasjoner (2021–2024)" is not the plan of
    2014–2017 (and an entity with such a label is never linked); a label without a period names a
    plan with one only in that plan's own reports ("opptrappingsplanen")."""
    plans: dict[str, dict[tuple[int, ...] | None, URIRef]] = {}
    for ex in extractions:
        name, period = _plan_name(ex.report.source.metadata.plan_title)
        plans.setdefault(name, {})[period] = plan_iri(ex.report.source.metadata.plan_key)
    named: dict[URIRef, URIRef] = {}
    for ex in extractions:
        own = plan_iri(ex.report.source.metadata.plan_key)
        for entity in ex.entities:
            if entity.type == "Plan" and (plan := _named_plan(entity, plans, own)) is not None:
                named[entity_iri(entity.key)] = plan
    return named


def _named_plan(entity: Entity, plans: dict[str, dict[tuple[int, ...] | None, URIRef]],
                own: URIRef) -> URIRef | None:
    """The one plan being built that the entity's labels name, if they name one and no other;
    ``own`` is the plan of the report the entity was found in."""
    found: set[URIRef] = set()
    for label in (entity.pref_label, *entity.alt_labels):
        name, period = _plan_name(label)
        same_name = plans.get(name, {})
        if period is not None and same_name and period not in same_name and None not in same_name:
            return None  # that name, another period: another plan
        if period is not None:
            found.update(p for p in (same_name.get(period), same_name.get(None)) if p is not None)
        elif None in same_name:
            found.add(same_name[None])
        elif own in same_name.values():
            found.add(own)
    return found.pop() if len(found) == 1 else None


_PERIOD = re.compile(r"\s*\(?\s*((?:19|20)\d\d)\s*[-–—]\s*((?:19|20)?\d\d)\s*\)?\s*$")


def _plan_name(title: str) -> tuple[str, tuple[int, ...] | None]:
    """'Opptrappingsplanen mot vold og overgrep (2017–2021)' → ('opptrappingsplan mot vold og
    overgrep', (2017, 2021)); a title without a period has None."""
    period = _PERIOD.search(title)
    years = None
    if period:
        first, last = period.group(1), period.group(2)
        years = (int(first), int(last if len(last) == 4 else first[:2] + last))
    words = fold(title[:period.start()] if period else title).split()
    if words and len(words[0]) > 6 and words[0].endswith("en"):
        words[0] = words[0][:-2]
    return " ".join(words), years


def _merged_entities(groups: Iterable[Iterable[Entity]]) -> list[Entity]:
    """One entity per key; the newest report's type and name win."""
    merged: dict[str, Entity] = {}
    for group in groups:
        for entity in group:
            merged.setdefault(entity.key, entity)
    return [merged[k] for k in sorted(merged)]
