"""One plan out of a graph of several: rdflib ``Graph`` + a plan (key or title) → the ``Graph``
without the other plans' measures and what hangs on them (status assessments, sections, mentions,
relationships). What ``stats --plan`` and ``viz collaboration --plan`` project."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from tiltaksgraf.errors import InputError
from tiltaksgraf.names import fold
from tiltaksgraf.ontology.terms import TG


def plans_in(g: Graph) -> dict[URIRef, tuple[str, str]]:
    """Each plan node with its key and title."""
    return {plan: (str(g.value(plan, TG.entityKey) or ""), str(g.value(plan, SKOS.prefLabel) or ""))
            for plan in g.subjects(RDF.type, TG.ActionPlan) if isinstance(plan, URIRef)}


def find_plan(g: Graph, plan: str) -> URIRef:
    """The plan whose key or title is ``plan`` (folded), or an error listing the plans present."""
    plans = plans_in(g)
    wanted = fold(plan)
    for node, (key, title) in plans.items():
        if wanted in (fold(key), fold(title), fold(str(node))):
            return node
    present = "; ".join(f"{key} ({title})" for key, title in sorted(plans.values())) or "none"
    raise InputError(f"no plan {plan!r} in the graph", hint=f"plans present: {present}")


def only_plan(g: Graph, plan: str) -> Graph:
    """``g`` without the measures of other plans and the nodes that point to those measures."""
    keep = find_plan(g, plan)
    others = {m for m, p in g.subject_objects(TG.partOf) if p != keep}
    dropped = set(others)
    for predicate in (TG.measure, TG.fromMeasure, TG.toMeasure):
        dropped.update(s for s, m in g.subject_objects(predicate) if m in others)
    dropped.update(s for s, m in g.subject_objects(TG.hasStatusAssessment) if s in others)
    dropped.update(plan_node for plan_node in plans_in(g) if plan_node != keep)
    out = Graph()
    for prefix, ns in g.namespaces():
        out.bind(prefix, ns)
    for s, p, o in g:
        if s in dropped or o in dropped:
            continue
        out.add((s, p, o))
    return out
