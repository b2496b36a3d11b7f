"""Parameters of the named queries: values as the user typed them → rdflib terms.

Input: a ``Store``, a ``NamedQuery`` and values (labels or IRIs, numbers, text). Output: variable
name → term (``resolve_params``). Labels are resolved through ``tiltaksgraf.names.find_entity``
over an index of the store's labels (kept in ``store.cache``); a value reaches a query only as a
term passed to the store, never pasted into its text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from tiltaksgraf.queries.rq import PARAM_TYPES, NamedQuery, Param
from tiltaksgraf.entity_types import DEFINITIONS as ENTITY_TYPE_DEFS
from tiltaksgraf.errors import ParameterError, QueryError
from tiltaksgraf.names import Candidate, Match, NameIndex, NoMatch, find_entity
from tiltaksgraf.graph.stores import Store
from tiltaksgraf.ontology.terms import TG
from tiltaksgraf.records import measure_order

# --- parameters --------------------------------------------------------------------------------

# Every label with the entity's types; OPTIONAL makes rdflib look the types up row by row, which
# is ten times faster there than a join. Types other than the parameter types are ignored.
_LABELS_QUERY = f"""
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX tg: <{TG._NS}>
SELECT ?e ?type ?label ?rank WHERE {{
  {{ ?e skos:prefLabel ?label BIND(0 AS ?rank) }} UNION {{ ?e tg:entityKey ?label BIND(0 AS ?rank) }}
  UNION {{ ?e skos:notation ?label BIND(0 AS ?rank) }} UNION {{ ?e skos:altLabel ?label BIND(1 AS ?rank) }}
  OPTIONAL {{ ?e a ?type }}
}}"""


_STATUS_CLASS = URIRef("http://www.w3.org/2004/02/skos/core#Concept")
_TYPE_NAMES = {**{d.class_iri: d.name for d in ENTITY_TYPE_DEFS}, _STATUS_CLASS: "Status"}


def label_index(store: Store) -> NameIndex:
    """The store's entities and status concepts as ``names`` candidates (cached on the store)."""
    index = store.cache.get("labels")
    if index is None:
        wanted = {t for types in PARAM_TYPES.values() for t in types or ()}
        types: dict[str, dict[str, None]] = {}
        exact: dict[str, dict[str, None]] = {}
        alts: dict[str, dict[str, None]] = {}
        preferred: dict[str, str] = {}
        for entity, type_, label, rank in store.query(_LABELS_QUERY).rows:
            if not isinstance(entity, URIRef) or not isinstance(type_, URIRef) or label is None \
                    or type_ not in wanted:
                continue
            iri, exact_name = str(entity), str(rank) == "0"
            types.setdefault(iri, {})[_TYPE_NAMES[type_]] = None
            (exact if exact_name else alts).setdefault(iri, {})[str(label)] = None
            if exact_name and (iri not in preferred or getattr(label, "language", None) == "nb"):
                preferred[iri] = str(label)
        index = NameIndex.of(
            Candidate(iri, tuple(sorted(kinds, key=_type_order)), preferred.get(iri, iri),
                      tuple(exact.get(iri, ())), tuple(alts.get(iri, ())))
            for iri, kinds in types.items())
        store.cache["labels"] = index
    return index


def _check_measure_id(store: Store, measure_id: str) -> None:
    """A measure id the graph has ("5", "29a", "2.1"), or an error listing the ids it has."""
    ids = store.cache.get("measure-ids")
    if ids is None:
        rows = store.query(f"PREFIX tg: <{TG._NS}> SELECT DISTINCT ?id WHERE {{ ?m tg:measureId ?id }}").rows
        ids = store.cache["measure-ids"] = sorted({str(i) for (i,) in rows if i is not None}, key=measure_order)
    if measure_id not in ids:
        shown = ", ".join(ids[:3] + ["…"] + ids[-2:]) if len(ids) > 6 else ", ".join(ids) or "none"
        raise QueryError(f"measure: no measure {measure_id!r} in the graph",
                         hint=f"measures present ({len(ids)}): {shown}")


def find_in_store(store: Store, text: str, *, types: tuple[str, ...] | None = None) -> Match | NoMatch:
    """``names.find_entity`` over the store's entities: what ``query -p``, the API and the
    ``entity-search`` hint use, so each says the same about the same text."""
    return find_entity(label_index(store), text, types=types)


def _type_order(name: str) -> int:
    return next((i for i, d in enumerate(ENTITY_TYPE_DEFS) if d.name == name), len(ENTITY_TYPE_DEFS))


def resolve_params(store: Store, query: NamedQuery, values: Mapping[str, Any]) -> dict[str, Node]:
    """Parameter values as terms: labels resolved to IRIs, numbers and text as literals."""
    unknown = sorted(set(values) - {p.name for p in query.params})
    if unknown:
        known = ", ".join(p.name for p in query.params) or "none"
        raise QueryError(f"{query.name} has no parameter {', '.join(unknown)}", hint=f"its parameters: {known}")
    bindings: dict[str, Node] = {}
    for param in query.params:
        value = values.get(param.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            value = param.default
        if value is None:
            if param.required:
                raise QueryError(f"{query.name} needs the parameter {param.name} ({param.type})",
                                 hint=f"for example: {query.examples[0]}" if query.examples else None)
            continue
        bindings[param.name] = _term_for(store, query, param, value)
    return bindings


def bound_text(store: Store, query: NamedQuery, values: Mapping[str, Any]) -> str:
    """The named query's text with its parameters bound in a final ``VALUES`` clause (labels
    resolved as for running it): what the query page's "Open in editor" shows, so the query in
    the editor answers what the form asked, not for every value."""
    bindings = resolve_params(store, query, values)
    if not bindings:
        return query.text
    names = sorted(bindings)
    terms = []
    for name in names:
        term = bindings[name]
        if isinstance(term, URIRef) and re.search(r'[<>"{}|\\^`\s]', str(term)):
            raise QueryError(f"{name}: the IRI cannot be written in SPARQL: {str(term)!r}")
        terms.append(term.n3())
    header = f"\n# bound from the form: {', '.join(names)}\nVALUES ({' '.join('?' + n for n in names)}) "
    return query.text.rstrip() + header + "{ (" + " ".join(terms) + ") }\n"


def _term_for(store: Store, query: NamedQuery, param: Param, value: Any) -> Node:
    if param.type == "integer":
        try:
            number = Literal(int(str(value).strip()))
        except ValueError:
            raise ParameterError(f"{param.name} must be a whole number, not {value!r}") from None
        return number
    if param.type == "measure":
        measure_id = str(value).strip()
        if not re.fullmatch(r"\d+([a-z]|\.\d+)?", measure_id):
            raise ParameterError(f"{param.name} must be a measure id as numbered (5, 29a, 2.1), not {value!r}")
        _check_measure_id(store, measure_id)
        return Literal(measure_id)
    if param.type == "text":
        return Literal(str(value))
    allowed = tuple(_TYPE_NAMES[t] for t in PARAM_TYPES[param.type] or ())
    found = find_entity(label_index(store), str(value), types=allowed)
    if isinstance(found, Match):
        return URIRef(found.iri)
    search = "search a part of the name with: tiltaksgraf query entity-search --param text=PART"
    if param.type == "status":  # a handful: list them rather than send the user searching
        statuses = sorted({c.name for c in label_index(store).by_iri.values() if "Status" in c.types})
        search = "the statuses: " + ", ".join(statuses)
    if found.other_type and query.name == "trace-programme":  # the one trace that asks for a type
        raise QueryError(f"{param.name}: {found.message(param.type)}",
                         hint=f'trace any kind of entity: tiltaksgraf query trace-entity --param entity="{value}"')
    raise found.error(QueryError, what=param.type, prefix=f"{param.name}: ", search=search)
