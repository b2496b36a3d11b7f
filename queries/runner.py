"""Running queries: the processor that chains the ``.rq`` format (``rq``), parameters (``params``),
the safety check (``check``) and a ``Store``.

Input: query text or a named query with parameter values, and a ``Store``
(``tiltaksgraf.graph.stores``). Output: a ``QueryResult`` of rdflib terms; its text comes from
``formats.format_result``. ``entity-search`` is answered from an index of the names on the
embedded stores. ``list`` columns (``GROUP_CONCAT``) are sorted and de-duplicated here, since
SPARQL leaves the order inside a group open, so every store gives the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from rdflib import Literal
from rdflib.term import Node

from tiltaksgraf.queries.check import (_CHECKED_WORDS, _FAST_BRACKETS, _KINDS, SparqlSyntaxError, _brackets,
                                        _checked_algebra, _contains, engine_text)
from tiltaksgraf.queries.params import resolve_params
from tiltaksgraf.queries.rq import NamedQuery, get_named_query, queries_dir
from tiltaksgraf.errors import QueryError
from tiltaksgraf.names import fold
from tiltaksgraf.graph.stores import EngineSyntaxError, QueryResult, Store
from tiltaksgraf.ontology.terms import TG
from tiltaksgraf.records import measure_order

def run_sparql(store: Store, text: str, *, max_rows: int | None = None,
               deadline: float | None = None) -> QueryResult:
    """Check ``text`` (see ``check_query``) and run it on ``store``.

    On the Oxigraph store a text without any of ``_CHECKED_WORDS`` goes straight to the engine:
    rdflib's parser, which takes 5-20 ms for a short query where Oxigraph parses and answers
    it in a fraction of a millisecond, has nothing to refuse there. Its syntax errors are still
    reported by rdflib's parser, which says where the error is."""
    text = engine_text(text)
    if store.kind == "oxigraph" and not _CHECKED_WORDS.search(text) and _brackets(text) <= _FAST_BRACKETS:
        try:
            return store.query(text, max_rows=max_rows, deadline=deadline)
        except EngineSyntaxError as exc:
            if not text.strip():
                raise SparqlSyntaxError("the query is empty") from None
            _checked_algebra(text)  # raises the error with its line and column
            raise SparqlSyntaxError(str(exc.detail).removeprefix("SPARQL syntax error: ")) from None
    algebra = _checked_algebra(text)
    if not store.named_graphs and _contains(algebra, "Graph"):
        raise QueryError("GRAPH finds nothing here: this store holds the union of the reports' graphs, "
                         "not one named graph per report",
                         hint="query without GRAPH, or push the build to a server ('tiltaksgraf push') "
                              "and query the named graphs there")
    kind = _KINDS[algebra.name]
    result = store.query(text, max_rows=max_rows, deadline=deadline)
    if result.graph is not None and result.kind != kind:
        result = replace(result, kind=kind)
    return result


def run_named_query(store: Store, name: str | NamedQuery, params: Mapping[str, Any] | None = None, *,
                    max_rows: int | None = None, deadline: float | None = None) -> QueryResult:
    """Run a named query with parameter values (labels or IRIs, numbers, text)."""
    query = name if isinstance(name, NamedQuery) else get_named_query(name)
    bindings = resolve_params(store, query, params or {})
    if query.name in _FROM_INDEX and store.kind != "endpoint" and query.path.startswith(str(queries_dir())):
        result = _FROM_INDEX[query.name](store, bindings, max_rows)
    else:
        result = store.query(query.text, bindings, max_rows=max_rows, deadline=deadline)
    return _tidy(result, query, bindings)


# --- named queries answered from an index on the embedded stores --------------------------------
# entity-search folds every name of every entity with a chain of REPLACE calls: 31 ms on the
# bundled graph, 70-90 ms on 50 reports. The same answer from the names folded once, at the
# first search, takes well under a millisecond. The .rq file stays the query's definition (a
# remote store runs it), and a test keeps the two answers equal on both stores.

_NAMES_QUERY = f"""
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX tg: <{TG._NS}>
SELECT ?entity ?class ?name ?label ?measures WHERE {{
  VALUES ?class {{ tg:Agency tg:Programme tg:Law tg:Report tg:Plan }}
  ?entity a ?class ; skos:prefLabel|skos:altLabel|tg:entityKey ?name .
  OPTIONAL {{ ?entity skos:prefLabel ?label }}
  OPTIONAL {{ SELECT ?entity (COUNT(?m) AS ?mentionedIn) WHERE {{ ?m tg:mentions ?entity }} GROUP BY ?entity }}
  BIND(COALESCE(?mentionedIn, 0) AS ?measures)
}}"""


def _name_index(store: Store) -> list[tuple[str, Node, tuple]]:
    """(folded name, name, (label, type, measures, entity)) for every name of every entity."""
    index = store.cache.get("names")
    if index is None:
        index = []
        for entity, class_, name, label, measures in store.query(_NAMES_QUERY).rows:
            kind = Literal(str(class_).rpartition("#")[2])
            index.append((fold(str(name)), name, (label, kind, measures, entity)))
        store.cache["names"] = index
    return index


def _entity_search(store: Store, bindings: Mapping[str, Node], max_rows: int | None) -> QueryResult:
    text = bindings["text"]
    wanted = fold(str(text))
    groups: dict[tuple, tuple[int, set[str]]] = {}
    for folded, name, key in _name_index(store):
        if wanted in folded:
            rank = 0 if folded == wanted else 1 if folded.startswith(wanted) else 2
            best, names = groups.get(key, (2, set()))
            names.add(str(name))
            groups[key] = (min(best, rank), names)
    ordered = sorted(groups.items(), key=lambda item: (item[1][0], -int(item[0][2]), str(item[0][0]),
                                                       str(item[0][3])))
    rows: list[tuple[Node | None, ...]] = [(text, label, kind, measures, Literal(" | ".join(sorted(names))), entity)
                                            for (label, kind, measures, entity), (_rank, names) in ordered]
    if max_rows is not None and len(rows) > max_rows:
        from tiltaksgraf.graph.stores.base import _check_rows

        _check_rows(len(rows), max_rows)
    return QueryResult("SELECT", ["text", "label", "type", "measures", "matched", "entity"], rows)


_FROM_INDEX = {"entity-search": _entity_search}


def _tidy(result: QueryResult, query: NamedQuery, bindings: Mapping[str, Node]) -> QueryResult:
    if result.kind != "SELECT":
        return result
    lists = {column: (sep, numeric) for column, sep, numeric in query.lists}
    keep = [i for i, v in enumerate(result.vars) if v not in bindings]
    rows = []
    for row in result.rows:
        cells = list(row)
        for i, var in enumerate(result.vars):
            if var in lists and cells[i] is not None:
                cells[i] = _sorted_list(str(cells[i]), *lists[var])
        rows.append(tuple(cells[i] for i in keep))
    return QueryResult("SELECT", [result.vars[i] for i in keep], rows)


@lru_cache(maxsize=4096)  # the same few lists recur row after row (a measure's ministries)
def _sorted_list(value: str, separator: str, numeric: bool) -> Literal | None:
    """The list's items sorted; an empty list is unbound, as engines differ on GROUP_CONCAT of
    nothing (rdflib: "", Oxigraph: unbound when every value was an error)."""
    items = {item.strip() for item in value.split(separator) if item.strip()}
    if not items:
        return None
    if numeric:
        ordered = sorted(items, key=lambda x: (measure_order(x), x))  # "2" < "10" < "29a" < "29b"
    else:
        ordered = sorted(items, key=lambda x: (fold(x), x))
    return Literal(separator.join(ordered))
