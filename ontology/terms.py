"""The ontology's terms for Python code, and where the ontology files are.

Input: ``tiltaksgraf.ttl`` and ``shapes.ttl`` beside this file. Output: ``TG``, a closed
``DefinedNamespace`` (a typo such as ``TG.mesure`` raises ``AttributeError`` instead of minting a
new IRI), the namespaces the graph reuses, and loaders for the two files.

The Turtle file is the source of truth; ``tests/ontology/test_terms.py`` fails when ``TG`` and the
file disagree. This module imports only rdflib and the standard library, so it also loads on its
own (by file path) before the ``tiltaksgraf`` package is installed.
"""

# No ``from __future__ import annotations`` here: DefinedNamespace reads the annotations of TG at
# run time and expects ``URIRef`` objects, not strings.

from functools import lru_cache
from pathlib import Path

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import (
    DCTERMS,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SH,
    SKOS,
    VANN,
    XSD,
    DefinedNamespace,
)

__all__ = [
    "TG",
    "TG_ID",
    "TG_STATUS",
    "STATUS_CONCEPTS",
    "ONTOLOGY_IRI",
    "OA",
    "ORG",
    "ELI",
    "SCHEMA",
    "BIBO",
    "FABIO",
    "PROV",
    "SKOS",
    "DCTERMS",
    "RDF",
    "RDFS",
    "OWL",
    "XSD",
    "VANN",
    "SH",
    "ontology_path",
    "shapes_path",
    "load_ontology",
    "load_shapes",
]

_HERE = Path(__file__).resolve().parent

ONTOLOGY_IRI = URIRef("https://w3id.org/tiltaksgraf/ontology")
TG_ID = Namespace("https://w3id.org/tiltaksgraf/id/")

# Vocabularies rdflib has no built-in namespace for.
OA = Namespace("http://www.w3.org/ns/oa#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
BIBO = Namespace("http://purl.org/ontology/bibo/")
FABIO = Namespace("http://purl.org/spar/fabio/")
SCHEMA = SDO  # rdflib's closed namespace for https://schema.org/


class TG(DefinedNamespace):
    """The tiltaksgraf ontology, ``https://w3id.org/tiltaksgraf/ontology#``."""

    _NS = Namespace("https://w3id.org/tiltaksgraf/ontology#")
    _fail = True

    # Classes: extracted entities
    Entity: URIRef  # abstract superclass of the five extracted types
    Agency: URIRef  # ministry, directorate, organisation …
    Programme: URIRef  # programme, project, pilot, model, tool, service, helpline, course …
    Law: URIRef  # act, regulation, provision, bill (Prop. … L), recommendation (Innst. … L)
    Report: URIRef  # report, evaluation, study, survey, white paper, NOU, budget proposition
    Plan: URIRef  # strategy, action plan, framework plan, guideline, guide, circular
    ActionPlan: URIRef  # the plan a status report reports on
    # Classes: structure and sources
    Measure: URIRef  # one numbered measure (tiltak) of an action plan
    StatusReport: URIRef  # a source document the graph was built from
    StatusAssessment: URIRef  # the status of one measure in one status report
    Section: URIRef  # the part of a measure's reporting written by one ministry
    Mention: URIRef  # one occurrence of an entity in a measure's text
    Evidence: URIRef  # a sentence in the source with exact character offsets
    # Classes: relationships
    Relationship: URIRef  # abstract superclass of statements extracted from a sentence
    Collaboration: URIRef  # agencies that work together
    CoMention: URIRef  # agencies merely named in the same sentence
    Commission: URIRef  # someone commissioned someone
    CrossReference: URIRef  # a measure's text refers to another measure
    Funding: URIRef  # an amount of money granted
    # Relations of issue 14 (kept in their own block)
    Consultation: URIRef  # an agency consulted others: not a collaboration
    consulter: URIRef  # Consultation → Agency
    consulted: URIRef  # Consultation → Agency
    consultedWith: URIRef  # consulter → consulted

    # Object properties: measures and plans
    partOf: URIRef  # Measure → ActionPlan
    responsible: URIRef  # Measure → Agency (the ANSVAR column)
    mentions: URIRef  # Measure → Entity
    status: URIRef  # Measure | StatusAssessment → skos:Concept
    hasStatusAssessment: URIRef  # Measure → StatusAssessment
    reportedIn: URIRef  # StatusAssessment → StatusReport
    hasSection: URIRef  # Measure → Section
    ministry: URIRef  # Section → Agency
    # Object properties: mentions, relationships, evidence
    measure: URIRef  # Mention | Relationship | StatusAssessment → Measure
    entity: URIRef  # Mention → Entity
    evidence: URIRef  # Mention | Relationship → Evidence
    source: URIRef  # Evidence → StatusReport (⊑ oa:hasSource)
    participant: URIRef  # Collaboration | CoMention → Agency (or a network named as partner)
    concerns: URIRef  # Relationship → Entity
    commissioner: URIRef  # Commission → Agency
    contractor: URIRef  # Commission → Agency
    funder: URIRef  # Funding → Agency
    funds: URIRef  # Funding → Entity
    fromMeasure: URIRef  # CrossReference → Measure (the referring one)
    toMeasure: URIRef  # CrossReference → Measure (the referred one)
    # Object properties: direct links derived from relationships
    collaboratesWith: URIRef  # Agency → Agency, symmetric
    coMentionedWith: URIRef  # Agency → Agency, symmetric
    commissionedBy: URIRef  # contractor → commissioner
    relatedMeasure: URIRef  # referring measure → referred measure, not symmetric

    # Datatype properties
    measureNumber: URIRef  # xsd:integer ≥ 1
    reportText: URIRef  # rdf:langString, the whole reporting text
    statusRaw: URIRef  # xsd:string, the status as written
    truncated: URIRef  # xsd:boolean on a status assessment: its text ends inside the measure
    footnoteUrl: URIRef  # xsd:anyURI
    surfaceForm: URIRef  # xsd:string, == source text[start:end]
    start: URIRef  # xsd:integer, character offset into the source text as read
    end: URIRef  # xsd:integer, exclusive
    sentence: URIRef  # xsd:string
    field: URIRef  # xsd:string: "description", "report", "ansvar"
    rule: URIRef  # xsd:string, gazetteer key or pattern id
    sha256: URIRef  # xsd:string, 64 lower-case hex digits
    fileName: URIRef  # xsd:string
    encoding: URIRef  # xsd:string
    amount: URIRef  # xsd:decimal, NOK
    year: URIRef  # xsd:gYear
    amountBasis: URIRef  # Funding → PerYear | InTotal
    AmountBasis: URIRef  # the class of the two
    PerYear: URIRef  # the amount applies to each of its years ("årlig")
    InTotal: URIRef  # the amount is the sum over its years ("til sammen", "i perioden 2017–2021")
    approximate: URIRef  # xsd:boolean on a funding: "om lag", "rundt", "drøyt"
    sectionText: URIRef  # rdf:langString
    entityKey: URIRef  # xsd:string, the key the entity IRI was minted from

    # Issue 15: measure ids, the status classes, plans read from their text
    measureId: URIRef  # xsd:string, the measure as numbered: "12", "29a", "2.1"
    statusClass: URIRef  # status concept (skos:Concept) → one of Done, Ongoing, NotStarted
    StatusClass: URIRef  # the class of the three status classes
    Done: URIRef  # finished (Ferdig, Avsluttet, Gjennomført …)
    Ongoing: URIRef  # started, not finished (Påbegynt, Byrja, Pågående – i rute, Forsinket …)
    NotStarted: URIRef  # not started (Ikke påbegynt, Ikkje starta …)
    # The user's own knowledge of issue 16 (kept in their own block): corrections and identifiers
    Correction: URIRef  # a person's correction applied at build time (⊑ prov:Activity)
    stableKey: URIRef  # xsd:string, Mention | Relationship: the key a correction names
    correctionAction: URIRef  # xsd:string: reject-mention, reject-entity, reject-relation, merge, retype
    correctionTarget: URIRef  # xsd:string, the stable key the correction names
    correctionOutcome: URIRef  # xsd:string: "applied" or "target not found"
    mergedInto: URIRef  # Correction → Entity (merge)
    newType: URIRef  # Correction → owl:Class (retype)
    orgNumber: URIRef  # xsd:string, nine digits: the Enhetsregisteret organisation number (⊑ dcterms:identifier)
    registerEntry: URIRef  # Agency → the register's IRI for that number (⊑ rdfs:seeAlso)


# Each declared term as a plain class attribute, so ``TG.mentions`` is an ordinary lookup: a
# DefinedNamespace otherwise checks its closed list on every access (10× slower), and a build
# reads its terms some 20,000 times. Undeclared names still fail as before.
for _name in TG.__annotations__:
    type.__setattr__(TG, _name, TG._NS[_name])


TG_STATUS = URIRef(TG_ID["status"])  # the skos:ConceptScheme of measure statuses
STATUS_CONCEPTS: dict[str, URIRef] = {  # status as the report writes it → concept
    "Ferdig": URIRef(TG_ID["status/ferdig"]),
    "Påbegynt": URIRef(TG_ID["status/pabegynt"]),
    "Påbegynt - løpende": URIRef(TG_ID["status/pabegynt-lopende"]),
    "Forsinket": URIRef(TG_ID["status/forsinket"]),
    "Ikke påbegynt": URIRef(TG_ID["status/ikke-pabegynt"]),
}  # one per wording of ontology/statuses.jsonl (tests/extract/layouts check they agree)


def ontology_path() -> Path:
    """The ontology Turtle file (``tiltaksgraf.ttl``)."""
    return _HERE / "tiltaksgraf.ttl"


def shapes_path() -> Path:
    """The SHACL shapes Turtle file (``shapes.ttl``)."""
    return _HERE / "shapes.ttl"


@lru_cache(maxsize=1)
def load_ontology() -> Graph:
    """The parsed ontology, parsed once per process.

    The graph is shared: copy it (``Graph() + load_ontology()``) before adding triples."""
    graph = Graph()
    graph.parse(ontology_path(), format="turtle")
    return graph


@lru_cache(maxsize=1)
def load_shapes() -> Graph:
    """The parsed SHACL shapes, parsed once per process. Shared like ``load_ontology()``."""
    graph = Graph()
    graph.parse(shapes_path(), format="turtle")
    return graph
