"""The entity types, defined once: every table that lists them is derived from ``DEFINITIONS``.

Adding a type means one more ``EntityTypeDef`` here, its literal in ``records.EntityType`` (a
static type cannot be computed; ``tests/test_entity_types.py`` keeps the two equal), and its
class in ``ontology/tiltaksgraf.ttl`` and ``ontology/shapes.ttl`` (the same test checks the
class and its nb/en labels). The record types, the build's classes, the named-query parameter
types, the evaluation, the views' legend and the relation rules all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib import URIRef


@dataclass(frozen=True)
class EntityTypeDef:
    name: str  # the record's type and the ontology class's local name: "Agency" → tg:Agency
    label_nb: str  # the class's rdfs:label@nb
    label_en: str  # the class's rdfs:label@en
    plural: str  # in messages: "no agencies …"
    param: str  # the named-query parameter type that takes one ("agency")
    shape: str  # vis-network shape in the views (an agency's colour comes from its kind)
    color: str
    symbol: str  # the legend's glyph for the shape
    concern: bool  # a relation can be about one (tg:concerns): programmes, plans, reports
    fundable: bool  # a funding can go to one

    @property
    def class_iri(self) -> URIRef:
        from tiltaksgraf.ontology.terms import TG  # rdflib only when an IRI is asked for

        return TG[self.name]


DEFINITIONS: tuple[EntityTypeDef, ...] = (
    EntityTypeDef("Agency", "Virksomhet", "Agency", "agencies", "agency", "dot", "#4e79a7", "●",
                  concern=False, fundable=True),
    EntityTypeDef("Programme", "Program", "Programme", "programmes", "programme", "diamond", "#f28e2b", "◆",
                  concern=True, fundable=True),
    EntityTypeDef("Law", "Lov", "Law", "laws", "law", "triangle", "#e15759", "▲",
                  concern=False, fundable=False),
    EntityTypeDef("Report", "Rapport", "Report", "reports", "report", "triangleDown", "#9c755f", "▼",
                  concern=True, fundable=False),
    EntityTypeDef("Plan", "Plan", "Plan", "plans", "plan", "hexagon", "#59a14f", "⬢",
                  concern=True, fundable=True),
)

BY_NAME: dict[str, EntityTypeDef] = {d.name: d for d in DEFINITIONS}
NAMES: tuple[str, ...] = tuple(d.name for d in DEFINITIONS)
CONCERN_TYPES: frozenset[str] = frozenset(d.name for d in DEFINITIONS if d.concern)
FUNDABLE_TYPES: frozenset[str] = frozenset(d.name for d in DEFINITIONS if d.fundable)


def class_iris() -> dict[str, URIRef]:
    """Type name → ontology class IRI, in definition order."""
    return {d.name: d.class_iri for d in DEFINITIONS}


def sparql_values(variable: str = "type") -> str:
    """A ``VALUES ?variable { tg:Agency … }`` clause listing every class (needs ``PREFIX tg:``)."""
    return f"VALUES ?{variable} {{ {' '.join('tg:' + d.name for d in DEFINITIONS)} }}"
