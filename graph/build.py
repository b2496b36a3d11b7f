"""Stage 5, build: ``[Extraction]`` → an rdflib ``Dataset`` with one named graph per source.

Each source's graph holds what that report says: its measures (number, responsible ministries,
sections, footnote URLs, a dated ``tg:StatusAssessment`` with the status and reporting text),
mentions with offsets, evidence sentences and relationships. One more named graph, ``derived``,
holds what is computed across sources: each measure's latest status, description and reporting
text, and each entity's type and preferred label. Every term comes from ``TG`` (closed), every
IRI from ``mint_iri``.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from collections.abc import Iterable

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from tiltaksgraf.graph.iri import mint_iri
from tiltaksgraf.ontology.terms import OA, STATUS_CONCEPTS, TG, TG_STATUS
from tiltaksgraf.records import Entity, Evidence, Extraction, MeasureRecord, Relation, SourceDocument

DERIVED_GRAPH = mint_iri("graph", "derived")
_TYPES = {"Agency": TG.Agency, "Programme": TG.Programme, "Law": TG.Law, "Report": TG.Report, "Plan": TG.Plan}
_RELATION_CLASSES = {"collaboration": TG.Collaboration, "comention": TG.CoMention, "commission": TG.Commission,
                     "funding": TG.Funding, "crossref": TG.CrossReference}


def source_iri(doc: SourceDocument) -> URIRef:
    return mint_iri("source", doc.sha256[:16])


def source_graph_iri(doc: SourceDocument) -> URIRef:
    return mint_iri("graph", doc.sha256[:16])


def plan_iri(plan_key: str) -> URIRef:
    return mint_iri("plan", plan_key)


def measure_iri(plan_key: str, number: int) -> URIRef:
    return mint_iri("measure", plan_key, number)


def entity_iri(key: str) -> URIRef:
    return mint_iri("entity", key)


def build_dataset(extractions: list[Extraction]) -> Dataset:
    """The whole knowledge graph; ``Dataset.graph(iri)`` gives one source's triples."""
    ds = Dataset()
    ds.bind("tg", str(TG._NS))
    ds.bind("id", "https://w3id.org/tiltaksgraf/id/")
    ds.bind("oa", str(OA))
    for ex in extractions:
        _add_source(ds.graph(source_graph_iri(ex.report.source)), ex)
    _add_derived(ds.graph(DERIVED_GRAPH), extractions)
    return ds


def union_graph(ds: Dataset) -> Graph:
    g = Graph()
    for prefix, ns in ds.namespaces():
        g.bind(prefix, ns)
    for s, p, o, _c in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


# --- one source -------------------------------------------------------------------------------


def _add_source(g: Graph, ex: Extraction) -> None:
    doc = ex.report.source
    meta = doc.metadata
    src = source_iri(doc)
    plan = plan_iri(meta.plan_key)
    g.add((src, RDF.type, TG.StatusReport))
    g.add((src, TG.fileName, Literal(doc.name)))
    g.add((src, TG.sha256, Literal(doc.sha256)))
    g.add((src, TG.encoding, Literal(doc.encoding)))
    g.add((src, DCTERMS.language, Literal(meta.language)))
    g.add((src, DCTERMS.title, Literal(f"{meta.plan_title}: {meta.kind}", lang=meta.language)))
    if meta.date:
        g.add((src, DCTERMS.date, Literal(meta.date)))
    g.add((plan, RDF.type, TG.ActionPlan))
    g.add((plan, SKOS.prefLabel, Literal(meta.plan_title, lang=meta.language)))
    g.add((plan, TG.entityKey, Literal(meta.plan_key)))
    g.add((plan, PROV.wasDerivedFrom, src))
    entity_types = {e.key: e for e in ex.entities}
    for measure in ex.report.measures:
        _add_measure(g, ex, measure, src, plan, entity_types)
    for mention in ex.mentions:
        m = mint_iri("mention", doc.sha256[:16], mention.start, mention.end)
        ev = _add_evidence(g, src, doc, Evidence(mention.sentence.start, mention.sentence.end,
                                                 doc.text[mention.sentence.start:mention.sentence.end]))
        measure = measure_iri(meta.plan_key, mention.measure)
        entity = entity_iri(mention.entity_key)
        g.add((measure, TG.mentions, entity))
        g.add((m, RDF.type, TG.Mention))
        g.add((m, TG.measure, measure))
        g.add((m, TG.entity, entity))
        g.add((m, OA.hasBody, entity))
        g.add((m, OA.hasTarget, ev))
        g.add((m, TG.evidence, ev))
        g.add((m, TG.surfaceForm, Literal(mention.surface)))
        g.add((m, TG.start, Literal(mention.start)))
        g.add((m, TG.end, Literal(mention.end)))
        g.add((m, TG.sentence, Literal(doc.text[mention.sentence.start:mention.sentence.end])))
        g.add((m, TG.field, Literal(mention.field)))
        g.add((m, TG.rule, Literal(mention.rule_id)))
    for entity in ex.entities:
        e = entity_iri(entity.key)
        for alt in entity.alt_labels:
            g.add((e, SKOS.altLabel, Literal(alt, lang=meta.language)))
    for rel in ex.relations:
        _add_relation(g, src, doc, meta.plan_key, rel)


def _add_measure(g: Graph, ex: Extraction, measure: MeasureRecord, src: URIRef, plan: URIRef,
                 entities: dict[str, Entity]) -> None:
    doc = ex.report.source
    lang = doc.metadata.language
    m = measure_iri(doc.metadata.plan_key, measure.number)
    g.add((m, RDF.type, TG.Measure))
    g.add((m, TG.measureNumber, Literal(measure.number)))
    g.add((m, TG.partOf, plan))
    g.add((m, PROV.wasDerivedFrom, src))
    g.add((m, TG.start, Literal(measure.span.start)))
    g.add((m, TG.end, Literal(measure.span.end)))
    for key in ex.responsible_for(measure.number):
        g.add((m, TG.responsible, entity_iri(key)))
    for url in measure.urls:
        g.add((m, TG.footnoteUrl, Literal(url, datatype=XSD.anyURI)))
    assessment = mint_iri("status", doc.metadata.plan_key, measure.number, doc.sha256[:16])
    g.add((m, TG.hasStatusAssessment, assessment))
    g.add((assessment, RDF.type, TG.StatusAssessment))
    g.add((assessment, TG.measure, m))
    g.add((assessment, TG.status, STATUS_CONCEPTS[measure.status]))
    g.add((assessment, TG.statusRaw, Literal(measure.status_raw)))
    g.add((assessment, TG.reportedIn, src))
    g.add((assessment, TG.reportText, Literal(measure.report_text, lang=lang)))
    if doc.metadata.date:
        g.add((assessment, DCTERMS.date, Literal(doc.metadata.date)))
    for index, section in enumerate(measure.sections, start=1):
        s = mint_iri("section", doc.metadata.plan_key, measure.number, doc.sha256[:16], index)
        g.add((m, TG.hasSection, s))
        g.add((s, RDF.type, TG.Section))
        g.add((s, TG.sectionText, Literal(section.text, lang=lang)))
        g.add((s, TG.start, Literal(section.start)))
        g.add((s, TG.end, Literal(section.end)))
        if section.ministry:
            key = _section_ministry(ex, measure, section.ministry, entities)
            if key:
                g.add((s, TG.ministry, entity_iri(key)))


def _section_ministry(ex: Extraction, measure: MeasureRecord, code: str, entities: dict[str, Entity]) -> str | None:
    """The entity the "BFD:" label names: the mention found at the section's start."""
    section_start = next(s.start for s in measure.sections if s.ministry == code)
    for mention in ex.mentions:
        if mention.start == section_start and entities.get(mention.entity_key, None) is not None:
            return mention.entity_key
    return None


def _add_evidence(g: Graph, src: URIRef, doc: SourceDocument, ev: Evidence) -> URIRef:
    node = mint_iri("evidence", doc.sha256[:16], ev.start, ev.end)
    if (node, RDF.type, TG.Evidence) in g:
        return node
    position = mint_iri("selector", doc.sha256[:16], ev.start, ev.end, "position")
    quote = mint_iri("selector", doc.sha256[:16], ev.start, ev.end, "quote")
    g.add((node, RDF.type, TG.Evidence))
    g.add((node, TG.source, src))
    g.add((node, OA.hasSource, src))
    g.add((node, TG.start, Literal(ev.start)))
    g.add((node, TG.end, Literal(ev.end)))
    g.add((node, TG.sentence, Literal(ev.sentence)))
    g.add((node, OA.hasSelector, position))
    g.add((position, RDF.type, OA.TextPositionSelector))
    g.add((position, OA.start, Literal(ev.start)))
    g.add((position, OA.end, Literal(ev.end)))
    g.add((node, OA.hasSelector, quote))
    g.add((quote, RDF.type, OA.TextQuoteSelector))
    g.add((quote, OA.exact, Literal(ev.sentence)))
    return node


def _add_relation(g: Graph, src: URIRef, doc: SourceDocument, plan_key: str, rel: Relation) -> None:
    ev = _add_evidence(g, src, doc, rel.evidence)
    node = mint_iri(rel.kind, doc.sha256[:16], rel.evidence.start, rel.rule_id, *rel.participants,
                    *(str(rel.amount_nok),) if rel.amount_nok else ())
    measure = measure_iri(plan_key, rel.measure)
    g.add((node, RDF.type, _RELATION_CLASSES[rel.kind]))
    g.add((node, TG.measure, measure))
    g.add((node, TG.evidence, ev))
    g.add((node, TG.rule, Literal(rel.rule_id)))
    for key in rel.concerns:
        g.add((node, TG.concerns, entity_iri(key)))
    if rel.kind in ("collaboration", "comention"):
        link = TG.collaboratesWith if rel.kind == "collaboration" else TG.coMentionedWith
        for key in rel.participants:
            g.add((node, TG.participant, entity_iri(key)))
        for a, b in itertools.permutations(sorted(set(rel.participants)), 2):
            g.add((entity_iri(a), link, entity_iri(b)))
    elif rel.kind == "commission" and rel.subject and rel.object:
        g.add((node, TG.contractor, entity_iri(rel.subject)))
        g.add((node, TG.commissioner, entity_iri(rel.object)))
        g.add((entity_iri(rel.subject), TG.commissionedBy, entity_iri(rel.object)))
    elif rel.kind == "crossref" and rel.subject and rel.object:
        to = measure_iri(plan_key, int(rel.object))
        g.add((node, TG.fromMeasure, measure))
        g.add((node, TG.toMeasure, to))
        g.add((measure, TG.relatedMeasure, to))
    elif rel.kind == "funding" and rel.amount_nok:
        g.add((node, TG.amount, Literal(Decimal(f"{rel.amount_nok:.2f}"))))
        if rel.year:
            g.add((node, TG.year, Literal(str(rel.year), datatype=XSD.gYear)))
        if rel.subject:
            g.add((node, TG.funder, entity_iri(rel.subject)))
        for key in rel.concerns:
            g.add((node, TG.funds, entity_iri(key)))


# --- across sources ---------------------------------------------------------------------------


def _latest_first(extractions: list[Extraction]) -> list[Extraction]:
    """Reports ordered newest first: by metadata date, then by the order given."""
    indexed = list(enumerate(extractions))
    indexed.sort(key=lambda p: (p[1].report.source.metadata.date or "", p[0]), reverse=True)
    return [ex for _i, ex in indexed]


def _add_derived(g: Graph, extractions: list[Extraction]) -> None:
    done: set[URIRef] = set()
    for ex in _latest_first(extractions):
        meta = ex.report.source.metadata
        for measure in ex.report.measures:
            m = measure_iri(meta.plan_key, measure.number)
            if m in done:
                continue
            done.add(m)
            concept = STATUS_CONCEPTS[measure.status]
            g.add((m, TG.status, concept))
            g.add((concept, RDF.type, SKOS.Concept))
            g.add((concept, SKOS.prefLabel, Literal(measure.status, lang="nb")))
            g.add((concept, SKOS.inScheme, TG_STATUS))
            g.add((m, DCTERMS.description, Literal(measure.description, lang=meta.language)))
            g.add((m, TG.reportText, Literal(measure.report_text, lang=meta.language)))
    for entity in _merged_entities(ex.entities for ex in _latest_first(extractions)):
        e = entity_iri(entity.key)
        g.add((e, RDF.type, _TYPES[entity.type]))
        g.add((e, SKOS.prefLabel, Literal(entity.pref_label, lang="nb")))
        g.add((e, TG.entityKey, Literal(entity.key)))


def _merged_entities(groups: Iterable[Iterable[Entity]]) -> list[Entity]:
    """One entity per key; the newest report's type and name win."""
    merged: dict[str, Entity] = {}
    for group in groups:
        for entity in group:
            merged.setdefault(entity.key, entity)
    return [merged[k] for k in sorted(merged)]
