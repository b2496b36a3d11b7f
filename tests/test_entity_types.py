"""Entity types are defined once (``tiltaksgraf/entity_types.py``): every table that lists them
covers exactly the defined types, so adding a type there (and its ontology class) is all it takes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS

from tiltaksgraf.entity_types import CONCERN_TYPES, DEFINITIONS, FUNDABLE_TYPES, NAMES, sparql_values

ROOT = Path(__file__).resolve().parents[1]


def test_entity_types_record_literal_matches_the_definitions():
    from tiltaksgraf.records import ENTITY_TYPES, EntityType

    assert get_args(EntityType) == NAMES == ENTITY_TYPES


def test_entity_types_each_has_an_ontology_class_with_its_labels():
    from tiltaksgraf.ontology.terms import TG

    g = Graph().parse(ROOT / "ontology" / "tiltaksgraf.ttl")
    subclasses = {s for s in g.subjects(RDFS.subClassOf, TG.Entity) if (s, RDF.type, OWL.Class) in g}
    assert subclasses == {d.class_iri for d in DEFINITIONS}
    for d in DEFINITIONS:
        labels = set(g.objects(d.class_iri, RDFS.label))
        assert {Literal(d.label_nb, lang="nb"), Literal(d.label_en, lang="en")} <= labels, d.name


def test_entity_types_shapes_list_every_type():
    text = (ROOT / "ontology" / "shapes.ttl").read_text("utf-8")
    target = re.search(r"sh:targetClass tg:Entity ,([^;]+);", text).group(1)
    assert {t.strip().removeprefix("tg:") for t in target.split(",")} == set(NAMES)
    xone = re.search(r"sh:xone \(([^)]*)\)", text).group(1)
    assert re.findall(r"sh:class tg:(\w+)", xone) == list(NAMES)


def test_entity_types_derived_tables_cover_exactly_the_defined_types():
    from tiltaksgraf.graph import build, index, viz
    from tiltaksgraf.queries.rq import PARAM_TYPES

    iris = {d.class_iri for d in DEFINITIONS}
    assert set(build._TYPES) == set(NAMES) and set(build._TYPES.values()) == iris
    assert set(index._TYPE_OF.values()) == set(NAMES)
    assert set(PARAM_TYPES["entity"]) == iris
    assert {d.param for d in DEFINITIONS} <= set(PARAM_TYPES)
    assert {name for name in NAMES if name != "Agency"} <= set(viz.STYLES)  # agencies are drawn by kind
    assert CONCERN_TYPES <= set(NAMES) and FUNDABLE_TYPES <= set(NAMES)


def test_entity_types_sparql_lists_them_all():
    from tiltaksgraf.evaluate import _QUERY

    assert sparql_values("type") in _QUERY
    # entity-search.rq is a file users read and copy: it lists the classes itself; it must list them all
    text = (ROOT / "queries" / "entity-search.rq").read_text("utf-8")
    assert sparql_values("class") in text
