"""A tiny hand-made knowledge graph for view and endpoint tests, with whatever labels a test
needs (the graph and hostile-input tests fill it with HTML and JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence

from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, RDF, SKOS

from tiltaksgraf.graph.build import entity_iri, measure_iri
from tiltaksgraf.graph.iri import mint_iri
from tiltaksgraf.ontology.terms import STATUS_CONCEPTS, TG

TINY_PLAN = "tiny-plan"
Agency = tuple[str, str, Sequence[str]]  # key, label, alt labels


def tiny_graph(agencies: Sequence[Agency], sentence: str, *, tag: str = "tiny", plan: str = TINY_PLAN,
               programme: tuple[str, str] | None = None, describe: bool = False) -> Graph:
    """Two measures, both BFD's (Ferdig, Påbegynt), the second referring to the first. In the
    first, BFD and ``agencies`` work together in ``sentence`` and are mentioned in it, as is
    ``programme`` (key, label) when given; ``describe`` puts the sentence in both descriptions."""
    g = Graph()
    m1, m2 = measure_iri(plan, 1), measure_iri(plan, 2)
    for m, number, status in ((m1, 1, "Ferdig"), (m2, 2, "Påbegynt")):
        g.add((m, RDF.type, TG.Measure))
        g.add((m, TG.measureNumber, Literal(number)))
        g.add((m, TG.status, STATUS_CONCEPTS[status]))
        if describe:
            g.add((m, DCTERMS.description, Literal(f"Tiltak {number}: {sentence}", lang="nb")))
    everyone = [("bfd", "Barne- og familiedepartementet", ["BFD"]), *agencies]
    for key, label, alts in everyone:
        _entity(g, key, TG.Agency, label, alts)
    if programme:
        _entity(g, programme[0], TG.Programme, programme[1], ())
    bfd = entity_iri("bfd")
    g.add((m1, TG.responsible, bfd))
    g.add((m2, TG.responsible, bfd))
    ev = mint_iri("evidence", tag, 0, len(sentence))
    g.add((ev, RDF.type, TG.Evidence))
    g.add((ev, TG.sentence, Literal(sentence)))
    collaboration = mint_iri("collaboration", tag, 0)
    g.add((collaboration, RDF.type, TG.Collaboration))
    g.add((collaboration, TG.measure, m1))
    g.add((collaboration, TG.evidence, ev))
    named = [key for key, _label, _alts in everyone] + ([programme[0]] if programme else [])
    for i, key in enumerate(named):
        entity = entity_iri(key)
        if not programme or key != programme[0]:
            g.add((collaboration, TG.participant, entity))
        mention = mint_iri("mention", tag, i)
        g.add((mention, RDF.type, TG.Mention))
        g.add((mention, TG.measure, m1))
        g.add((mention, TG.entity, entity))
        g.add((mention, TG.evidence, ev))
        g.add((m1, TG.mentions, entity))
    ref = mint_iri("crossref", tag, 1)
    g.add((ref, RDF.type, TG.CrossReference))
    g.add((ref, TG.fromMeasure, m2))
    g.add((ref, TG.toMeasure, m1))
    g.add((m2, TG.relatedMeasure, m1))
    return g


def _entity(g: Graph, key: str, cls, label: str, alts: Sequence[str]) -> None:
    entity = entity_iri(key)
    g.add((entity, RDF.type, cls))
    g.add((entity, SKOS.prefLabel, Literal(label, lang="nb")))
    g.add((entity, TG.entityKey, Literal(key)))
    for alt in alts:
        g.add((entity, SKOS.altLabel, Literal(alt, lang="nb")))
