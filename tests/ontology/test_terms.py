"""The ontology file and ``TG`` stay in step; every term is documented in Bokmål and English;
the docs page renders."""

import logging
import sys

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, VANN, XSD

from tiltaksgraf.ontology import terms
TG = terms.TG
TG_NS = str(TG._NS)
ONT = terms.load_ontology()

TERM_NAMES = sorted(TG.__annotations__)
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)

CLASSES = {
    "Entity", "Agency", "Programme", "Law", "Report", "Plan", "ActionPlan", "Measure",
    "StatusReport", "StatusAssessment", "Section", "Mention", "Evidence", "Relationship",
    "Collaboration", "CoMention", "Commission", "CrossReference", "Funding", "Consultation",
    "StatusClass", "Done", "Ongoing", "NotStarted", "Correction", "AmountBasis", "PerYear", "InTotal",
}

SUPERCLASSES = {
    "Entity": {terms.PROV.Entity},
    "Agency": {TG.Entity, terms.ORG.Organization},
    "Programme": {TG.Entity},
    "Law": {TG.Entity, terms.ELI.LegalResource, terms.SCHEMA.Legislation},
    "Report": {TG.Entity, terms.BIBO.Report, terms.FABIO.Report},
    "Plan": {TG.Entity, terms.PROV.Plan},
    "ActionPlan": {TG.Plan},
    "Measure": {terms.PROV.Entity},
    "StatusReport": {terms.PROV.Entity, terms.BIBO.Report},
    "StatusAssessment": set(),
    "Section": set(),
    "Mention": {terms.OA.Annotation},
    "Evidence": {terms.OA.SpecificResource},
    "Relationship": set(),
    "Collaboration": {TG.Relationship},
    "CoMention": {TG.Relationship},
    "Commission": {TG.Relationship},
    "CrossReference": {TG.Relationship},
    "Funding": {TG.Relationship},
    "Consultation": {TG.Relationship},
    "StatusClass": set(),
    "Done": {TG.StatusClass},
    "PerYear": {TG.AmountBasis},
    "InTotal": {TG.AmountBasis},
    "Ongoing": {TG.StatusClass},
    "NotStarted": {TG.StatusClass},
    "Correction": {terms.PROV.Activity},
}

# property: (domain classes, range) as the design gives them; None = no rdfs:domain declared.
OBJECT_PROPERTIES = {
    "partOf": ({"Measure"}, TG.ActionPlan),
    "responsible": ({"Measure"}, TG.Agency),
    "mentions": ({"Measure"}, TG.Entity),
    "status": ({"Measure", "StatusAssessment"}, SKOS.Concept),
    "hasStatusAssessment": ({"Measure"}, TG.StatusAssessment),
    "reportedIn": ({"StatusAssessment"}, TG.StatusReport),
    "hasSection": ({"Measure"}, TG.Section),
    "ministry": ({"Section"}, TG.Agency),
    "measure": ({"Mention", "Relationship", "StatusAssessment"}, TG.Measure),
    "entity": ({"Mention"}, TG.Entity),
    "evidence": ({"Mention", "Relationship"}, TG.Evidence),
    "source": ({"Evidence"}, TG.StatusReport),
    "participant": ({"Collaboration", "CoMention"}, TG.Entity),
    "consulter": ({"Consultation"}, TG.Agency),
    "consulted": ({"Consultation"}, TG.Agency),
    "consultedWith": ({"Agency"}, TG.Agency),
    "concerns": ({"Relationship"}, TG.Entity),
    "commissioner": ({"Commission"}, TG.Agency),
    "contractor": ({"Commission"}, TG.Agency),
    "funder": ({"Funding"}, TG.Agency),
    "funds": ({"Funding"}, TG.Entity),
    "collaboratesWith": ({"Agency"}, TG.Agency),
    "coMentionedWith": ({"Agency"}, TG.Agency),
    "commissionedBy": ({"Agency"}, TG.Agency),
    "relatedMeasure": ({"Measure"}, TG.Measure),
    "fromMeasure": ({"CrossReference"}, TG.Measure),
    "toMeasure": ({"CrossReference"}, TG.Measure),
    "statusClass": (set(), TG.StatusClass),
    "amountBasis": ({"Funding"}, TG.AmountBasis),
    "mergedInto": ({"Correction"}, TG.Entity),
    "newType": ({"Correction"}, OWL.Class),
    "registerEntry": ({"Agency"}, RDFS.Resource),
}

DATATYPE_PROPERTIES = {
    "measureNumber": XSD.integer, "reportText": RDF.langString, "statusRaw": XSD.string, "truncated": XSD.boolean,
    "footnoteUrl": XSD.anyURI, "surfaceForm": XSD.string, "start": XSD.integer,
    "end": XSD.integer, "sentence": XSD.string, "field": XSD.string, "rule": XSD.string,
    "sha256": XSD.string, "fileName": XSD.string, "encoding": XSD.string,
    "amount": XSD.decimal, "year": XSD.gYear, "approximate": XSD.boolean, "sectionText": RDF.langString,
    "entityKey": XSD.string, "measureId": XSD.string,
    "stableKey": XSD.string, "correctionAction": XSD.string, "correctionTarget": XSD.string,
    "correctionOutcome": XSD.string, "orgNumber": XSD.string,
}


def _kinds(term: URIRef) -> set[URIRef]:
    return {k for k in ONT.objects(term, RDF.type) if k in KINDS}


def _domain_classes(prop: URIRef) -> set[str]:
    """Local names of the classes in a property's rdfs:domain, unions unpacked."""
    names = set()
    for domain in ONT.objects(prop, RDFS.domain):
        union = ONT.value(domain, OWL.unionOf)
        members = list(ONT.items(union)) if union is not None else [domain]
        names.update(str(m).removeprefix(TG_NS) for m in members)
    return names


def test_terms_ontology_parses():
    header = URIRef("https://w3id.org/tiltaksgraf/ontology")
    assert (header, RDF.type, OWL.Ontology) in ONT
    assert ONT.value(header, OWL.versionInfo) == Literal("0.1.0")
    assert ONT.value(header, VANN.preferredNamespacePrefix) == Literal("tg")
    assert str(ONT.value(header, VANN.preferredNamespaceUri)) == TG_NS
    assert {d.language for d in ONT.objects(header, DCTERMS.description)} == {"nb", "en"}
    for prop in (DCTERMS.title, DCTERMS.created, DCTERMS.license, DCTERMS.creator):
        assert ONT.value(header, prop) is not None, prop


def test_terms_paths_point_at_the_files():
    assert terms.ontology_path().is_file()
    assert terms.shapes_path().is_file()
    assert terms.load_ontology() is ONT  # parsed once, then cached


@pytest.mark.parametrize("name", TERM_NAMES)
def test_terms_attribute_is_declared_in_ontology(name):
    assert len(_kinds(TG[name])) == 1, f"tg:{name} must be exactly one of owl:Class, " \
                                       "owl:ObjectProperty, owl:DatatypeProperty in tiltaksgraf.ttl"


def test_terms_every_tg_iri_in_ontology_is_in_tg():
    used = {node for triple in ONT for node in triple
            if isinstance(node, URIRef) and str(node).startswith(TG_NS)}
    unknown = sorted(str(u).removeprefix(TG_NS) for u in used if str(u).removeprefix(TG_NS) not in TG)
    assert not unknown, f"tiltaksgraf.ttl uses tg: terms that TG lacks: {unknown}"


def test_terms_kinds_match_the_design():
    declared = {name: _kinds(TG[name]) for name in TERM_NAMES}
    assert {n for n, k in declared.items() if k == {OWL.Class}} == CLASSES
    assert {n for n, k in declared.items() if k == {OWL.ObjectProperty}} == set(OBJECT_PROPERTIES)
    assert {n for n, k in declared.items() if k == {OWL.DatatypeProperty}} == set(DATATYPE_PROPERTIES)


@pytest.mark.parametrize("name", sorted(SUPERCLASSES))
def test_terms_class_has_designed_superclasses(name):
    assert set(ONT.objects(TG[name], RDFS.subClassOf)) == SUPERCLASSES[name]


@pytest.mark.parametrize("name", sorted(OBJECT_PROPERTIES))
def test_terms_object_property_domain_and_range(name):
    domain, range_ = OBJECT_PROPERTIES[name]
    assert _domain_classes(TG[name]) == domain
    assert set(ONT.objects(TG[name], RDFS.range)) == {range_}


@pytest.mark.parametrize("name", sorted(DATATYPE_PROPERTIES))
def test_terms_datatype_property_range(name):
    assert set(ONT.objects(TG[name], RDFS.range)) == {DATATYPE_PROPERTIES[name]}


def test_terms_property_characteristics():
    assert (TG.source, RDFS.subPropertyOf, terms.OA.hasSource) in ONT
    symmetric = set(ONT.subjects(RDF.type, OWL.SymmetricProperty))
    assert symmetric == {TG.collaboratesWith, TG.coMentionedWith}


def test_terms_unknown_term_raises():
    with pytest.raises(AttributeError):
        _ = TG.notAThing
    with pytest.raises(AttributeError):
        TG["mesure"]
    assert TG.Measure == URIRef(TG_NS + "Measure")


@pytest.mark.parametrize("name", TERM_NAMES)
def test_terms_label_and_comment_in_bokmal_and_english(name):
    for prop in (RDFS.label, RDFS.comment):
        languages = [o.language for o in ONT.objects(TG[name], prop) if isinstance(o, Literal)]
        assert sorted(languages) == ["en", "nb"], f"tg:{name} {prop}: {languages}"


def test_terms_status_scheme_matches_status_concepts():
    scheme = terms.TG_STATUS
    assert (scheme, RDF.type, SKOS.ConceptScheme) in ONT
    in_scheme = set(ONT.subjects(SKOS.inScheme, scheme))
    assert in_scheme == set(terms.STATUS_CONCEPTS.values())
    for written, concept in terms.STATUS_CONCEPTS.items():
        assert (concept, RDF.type, SKOS.Concept) in ONT
        labels = {o.language: str(o) for o in ONT.objects(concept, SKOS.prefLabel)}
        assert labels["nb"] == written and "en" in labels
        assert ONT.value(concept, SKOS.notation) is not None
        assert str(concept).startswith(str(terms.TG_ID["status/"]))


def test_docs_build_writes_html_page(tmp_path):
    from tiltaksgraf.ontology import docs
    try:
        docs._import_ontpub()
    except Exception as error:  # the TiltaksgrafError that build_docs would raise
        pytest.skip(f"pyLODE is not importable here ({error}); pip install pylode")
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)

    page = docs.build_docs(tmp_path / "site")

    assert page == tmp_path / "site" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "Measure" in html and "Bokmål: Tiltak" in html
    assert "https://w3id.org/tiltaksgraf/ontology#Measure" in html
    assert "<script src=" not in html and 'rel="stylesheet"' not in html  # nothing from a CDN
    assert [p.name for p in page.parent.iterdir()] == ["index.html"]  # no temp file left
    assert (root.level, root.handlers) == (level, handlers)  # pyLODE's logging setup undone


def test_docs_missing_pylode_raises_clear_error(monkeypatch, tmp_path):
    from tiltaksgraf.ontology import docs
    monkeypatch.setitem(sys.modules, "pylode", None)  # makes `import pylode` fail

    with pytest.raises(Exception, match="pip install pylode") as caught:
        docs.build_docs(tmp_path)

    assert type(caught.value).__name__ == "TiltaksgrafError"
    assert not (tmp_path / "index.html").exists()
