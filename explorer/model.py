"""What the explorer shows, read from a ``Store`` through SPARQL: entities, measures, plans and
reports, with the sentences that name them.

Input: any open ``Store`` (a build, Oxigraph, a remote endpoint). Output: a ``SiteData`` of frozen
records. Pages are written against these records and the graph's IRIs as they are, never
against an IRI's spelling: a resource's page is at the path of its IRI under the graph's base.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Literal, URIRef

from tiltaksgraf.entity_types import DEFINITIONS, sparql_values
from tiltaksgraf.graph.stores import Store
from tiltaksgraf.names import Candidate
from tiltaksgraf.ontology.terms import TG

BASE = "https://w3id.org/tiltaksgraf/"
_PREFIXES = f"""PREFIX tg: <{TG._NS}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""


@dataclass(frozen=True)
class Mention:
    entity: str
    measure: str
    sentence: str
    at: int  # where the mention starts in the sentence; -1 when unknown
    surface: str
    field: str  # "report", "description", …


@dataclass(frozen=True)
class Relation:
    kind: str  # Collaboration, Commission, Funding, Consultation
    iri: str
    measure: str
    roles: tuple[tuple[str, str], ...]  # (role, entity IRI): ("participant", …), ("funder", …)
    sentence: str
    amount: str = ""
    year: str = ""


@dataclass(frozen=True)
class Entity:
    iri: str
    type: str
    name: str
    names: tuple[str, ...]  # every other name: short names, keys, forms the text uses
    key: str


@dataclass(frozen=True)
class Assessment:
    date: str
    status: str
    source: str


@dataclass(frozen=True)
class Measure:
    iri: str
    plan: str
    number: int
    description: str
    report_text: str
    status: str
    responsible: tuple[str, ...]
    history: tuple[Assessment, ...]
    related: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Plan:
    iri: str
    name: str


@dataclass(frozen=True)
class Source:
    iri: str
    title: str
    date: str
    file_name: str


@dataclass
class SiteData:
    entities: dict[str, Entity] = field(default_factory=dict)
    measures: dict[str, Measure] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    mentions: list[Mention] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)

    def candidates(self) -> list[Candidate]:
        """The entities as ``names`` candidates: the same names the CLI's lookup knows."""
        return [Candidate(e.iri, (e.type,), e.name, (e.key,) if e.key else (), e.names)
                for e in self.entities.values()]

    def mentions_of(self, entity: str) -> list[Mention]:
        return [m for m in self.mentions if m.entity == entity]

    def mentions_in(self, measure: str) -> list[Mention]:
        return [m for m in self.mentions if m.measure == measure]

    def relations_of(self, entity: str) -> list[Relation]:
        return [r for r in self.relations if any(iri == entity for _role, iri in r.roles)]


def _rows(store: Store, text: str) -> list[tuple]:
    return store.query(_PREFIXES + text).rows


def _s(term) -> str:
    return "" if term is None else str(term)


def load_site_data(store: Store) -> SiteData:
    """Everything the pages show, in a handful of queries (one per kind of thing)."""
    data = SiteData()
    _load_entities(store, data)
    _load_plans_and_sources(store, data)
    _load_measures(store, data)
    _load_mentions(store, data)
    _load_relations(store, data)
    return data


def _load_entities(store: Store, data: SiteData) -> None:
    names: dict[str, dict[str, None]] = defaultdict(dict)
    preferred: dict[str, str] = {}
    types: dict[str, str] = {}
    keys: dict[str, str] = {}
    order = {d.name: i for i, d in enumerate(DEFINITIONS)}
    rows = _rows(store, f"""SELECT ?e ?type ?label ?p WHERE {{
        {sparql_values()} ?e a ?type .
        {{ ?e skos:prefLabel ?label BIND("pref" AS ?p) }} UNION {{ ?e skos:altLabel ?label BIND("alt" AS ?p) }}
        UNION {{ ?e tg:entityKey ?label BIND("key" AS ?p) }} UNION {{ ?e skos:notation ?label BIND("alt" AS ?p) }}
    }}""")
    for entity, type_, label, kind in rows:
        iri, name, kind = str(entity), str(label), str(kind)
        type_name = str(type_).rsplit("#", 1)[-1]
        if iri not in types or order.get(type_name, 99) < order.get(types[iri], 99):
            types[iri] = type_name
        if kind == "pref" and (iri not in preferred or getattr(label, "language", None) == "nb"):
            preferred[iri] = name
        elif kind == "key":
            keys[iri] = name
        else:
            names[iri][name] = None
    for iri, type_name in types.items():
        name = preferred.get(iri) or keys.get(iri) or iri
        others = tuple(sorted((n for n in names[iri] if n != name), key=lambda n: (len(n), n)))
        data.entities[iri] = Entity(iri, type_name, name, others, keys.get(iri, ""))


def _load_plans_and_sources(store: Store, data: SiteData) -> None:
    for plan, label in _rows(store, "SELECT ?p (SAMPLE(?l) AS ?label) WHERE { ?p a tg:ActionPlan . "
                                    "OPTIONAL { ?p skos:prefLabel ?l } } GROUP BY ?p"):
        data.plans[str(plan)] = Plan(str(plan), _s(label) or str(plan))
    for source, title, date, file_name in _rows(store, """SELECT ?s (SAMPLE(?t) AS ?title) (SAMPLE(?d) AS ?date)
        (SAMPLE(?f) AS ?file) WHERE { ?s a tg:StatusReport .
        OPTIONAL { ?s dcterms:title ?t } OPTIONAL { ?s dcterms:date ?d } OPTIONAL { ?s tg:fileName ?f } }
        GROUP BY ?s"""):
        data.sources[str(source)] = Source(str(source), _s(title) or _s(file_name), _s(date), _s(file_name))


def _status_label(concept_labels: dict[str, str], concept) -> str:
    return concept_labels.get(_s(concept), _s(concept).rsplit("/", 1)[-1])


def _load_measures(store: Store, data: SiteData) -> None:
    concept_labels = {str(c): str(label) for c, label in _rows(
        store, 'SELECT ?c ?l WHERE { ?c a skos:Concept ; skos:prefLabel ?l FILTER(LANG(?l) = "nb") }')}
    responsible: dict[str, list[str]] = defaultdict(list)
    for m, who in _rows(store, "SELECT ?m ?who WHERE { ?m a tg:Measure ; tg:responsible ?who }"):
        responsible[str(m)].append(str(who))
    related: dict[str, list[str]] = defaultdict(list)
    for m, other in _rows(store, "SELECT ?m ?o WHERE { ?m a tg:Measure ; tg:relatedMeasure ?o }"):
        related[str(m)].append(str(other))
    history: dict[str, list[Assessment]] = defaultdict(list)
    for m, date, status, source in _rows(store, """SELECT ?m ?date ?status ?source WHERE {
            ?m tg:hasStatusAssessment ?a . OPTIONAL { ?a dcterms:date ?date }
            OPTIONAL { ?a tg:status ?status } OPTIONAL { ?a tg:reportedIn ?source } }"""):
        history[str(m)].append(Assessment(_s(date), _status_label(concept_labels, status), _s(source)))
    for m, plan, number, description, text, status, source in _rows(store, """
            SELECT ?m ?plan ?n (SAMPLE(?d) AS ?desc) (SAMPLE(?t) AS ?text) (SAMPLE(?st) AS ?status)
                   (SAMPLE(?src) AS ?source)
            WHERE { ?m a tg:Measure ; tg:measureNumber ?n . OPTIONAL { ?m tg:partOf ?plan }
                    OPTIONAL { ?m dcterms:description ?d } OPTIONAL { ?m tg:reportText ?t }
                    OPTIONAL { ?m tg:status ?st } OPTIONAL { ?m prov:wasDerivedFrom ?src } }
            GROUP BY ?m ?plan ?n"""):
        iri = str(m)
        data.measures[iri] = Measure(
            iri, _s(plan), int(number), _s(description), _s(text), _status_label(concept_labels, status),
            tuple(sorted(set(responsible[iri]))), tuple(sorted(set(history[iri]), key=lambda a: (a.date, a.source))),
            tuple(sorted(set(related[iri]))), _s(source))


def _load_mentions(store: Store, data: SiteData) -> None:
    rows = _rows(store, """SELECT ?e ?m ?sentence ?start ?sstart ?surface ?field WHERE {
        ?x a tg:Mention ; tg:entity ?e ; tg:measure ?m .
        OPTIONAL { ?x tg:surfaceForm ?surface } OPTIONAL { ?x tg:start ?start } OPTIONAL { ?x tg:field ?field }
        OPTIONAL { ?x tg:evidence ?ev . ?ev tg:sentence ?sentence . OPTIONAL { ?ev tg:start ?sstart } } }""")
    seen = set()
    for entity, measure, sentence, start, sstart, surface, field_ in rows:
        text, form = _s(sentence), _s(surface)
        at = int(start) - int(sstart) if isinstance(start, Literal) and isinstance(sstart, Literal) else -1
        if not (0 <= at and text[at:at + len(form)] == form):
            at = text.find(form) if form else -1
        mention = Mention(str(entity), str(measure), text, at, form, _s(field_))
        if mention not in seen:
            seen.add(mention)
            data.mentions.append(mention)
    data.mentions.sort(key=lambda m: (m.measure, m.sentence, m.at))


_ROLES = {"participant", "commissioner", "contractor", "concerns", "funder", "funds", "consulter", "consulted"}


def _load_relations(store: Store, data: SiteData) -> None:
    rows = _rows(store, """SELECT ?r ?kind ?m ?p ?o ?sentence WHERE {
        VALUES ?kind { tg:Collaboration tg:Commission tg:Funding tg:Consultation }
        ?r a ?kind ; tg:measure ?m ; ?p ?o .
        OPTIONAL { ?r tg:evidence ?ev . ?ev tg:sentence ?sentence } }""")
    by_iri: dict[str, dict] = {}
    for r, kind, measure, p, o, sentence in rows:
        entry = by_iri.setdefault(str(r), {"kind": str(kind).rsplit("#", 1)[-1], "measure": str(measure),
                                           "roles": set(), "sentence": _s(sentence), "amount": "", "year": ""})
        name = str(p).rsplit("#", 1)[-1]
        if name in _ROLES and isinstance(o, URIRef):
            entry["roles"].add((name, str(o)))
        elif name in ("amount", "year"):
            entry[name] = _s(o)
    for iri, e in sorted(by_iri.items()):
        data.relations.append(Relation(e["kind"], iri, e["measure"], tuple(sorted(e["roles"])), e["sentence"],
                                       e["amount"], e["year"]))
