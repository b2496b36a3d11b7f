"""Named queries and ad-hoc SPARQL: load the ``.rq`` files, bind parameters safely, check and
run queries on any ``Store``, and write results.

Input: the ``.rq`` files beside this module, a ``Store`` (``tiltaksgraf.graph.stores``)
and parameter values as the user typed them. Output: a ``QueryResult`` of rdflib terms, and its
text in the SPARQL 1.1 result formats (JSON, XML, CSV, TSV), a terminal table or Markdown.

A ``.rq`` file starts with a header of ``# key: value`` comment lines::

    # title: Partners of an agency
    # answers: Whom an agency collaborates with, in which measures, …
    #   (indented lines continue the value before them)
    # param: agency agency required -- the agency, as a label or an IRI
    # list: programmes " | "
    # example: tiltaksgraf query partners-of --param agency=NKVTS

``param`` is ``NAME TYPE required|optional|default=VALUE -- description``; the query uses the
variable ``?NAME`` and projects it. Entity-typed values are a label (matched case- and
accent-insensitively against ``skos:prefLabel``, ``skos:altLabel`` and ``tg:entityKey``) or an
IRI, resolved to one IRI before the query runs; the value reaches the query only as an rdflib
term passed to the store (never pasted into the text). A bound parameter's column is left out
of the results: it would repeat the value given. ``list`` names a ``GROUP_CONCAT`` column and its
separator (add ``numeric`` for numbers): SPARQL leaves the order inside a group open, so the
runner sorts and de-duplicates the items, and every store gives the same rows.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape, quoteattr

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from tiltaksgraf.entity_types import DEFINITIONS as ENTITY_TYPE_DEFS
from tiltaksgraf.errors import DataError, ParameterError, QueryError
from tiltaksgraf.names import Candidate, Match, NameIndex, NoMatch, find_entity, fold
from tiltaksgraf.graph.stores import EngineSyntaxError, QueryResult, Store, prepare_rdflib
from tiltaksgraf.ontology.terms import TG

__all__ = [
    "NamedQuery", "Param", "QueryRefused", "SparqlSyntaxError", "UnwritableResult", "check_query", "fold",
    "format_result", "get_named_query", "load_named_queries", "python_rows", "resolve_params",
    "run_named_query", "run_sparql", "SELECT_FORMATS", "GRAPH_FORMATS", "CLI_FORMATS",
]

# --- errors ------------------------------------------------------------------------------------


class SparqlSyntaxError(QueryError):
    """Query text that does not parse; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        self.column = column
        where = f" at line {line}, column {column}" if line and column else ""
        super().__init__(f"SPARQL syntax error{where}: {message}")
        self.line = line


class QueryRefused(QueryError):
    """A query this read-only service does not run (Update, SERVICE, FROM)."""


class UnwritableResult(QueryError):
    """A result the asked-for format cannot hold (an IRI with a quote as Turtle, say)."""


# --- the named queries -------------------------------------------------------------------------

PARAM_TYPES: dict[str, tuple[URIRef, ...] | None] = {
    **{d.param: (d.class_iri,) for d in ENTITY_TYPE_DEFS},
    "entity": tuple(d.class_iri for d in ENTITY_TYPE_DEFS),
    "status": (URIRef("http://www.w3.org/2004/02/skos/core#Concept"),),
    "integer": None,
    "text": None,
}
_HEADER_KEYS = ("title", "answers", "param", "list", "example")
_PARAM_RE = re.compile(r"(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+)\s+"
                       r"(?P<need>required|optional|default=(?P<default>\S+))\s*(?:--\s*(?P<text>.*))?$")
_LIST_RE = re.compile(r'(?P<name>[A-Za-z_]\w*)\s+"(?P<sep>[^"]+)"\s*(?P<numeric>numeric)?\s*$')


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    default: str | None
    description: str

    def usage(self) -> str:
        need = "required" if self.required else (f"default {self.default}" if self.default else "optional: all")
        return f"{self.name} ({self.type}, {need})"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    answers: str
    params: tuple[Param, ...]
    lists: tuple[tuple[str, str, bool], ...]  # (column, separator, numeric)
    examples: tuple[str, ...]
    text: str
    path: str

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "answers": self.answers,
                "params": [{"name": p.name, "type": p.type, "required": p.required, "default": p.default,
                            "description": p.description} for p in self.params],
                "examples": list(self.examples), "text": self.text}


def queries_dir() -> Path:
    return Path(str(resources.files("tiltaksgraf.queries")))


@lru_cache(maxsize=4)
def load_named_queries(directory: str | None = None) -> dict[str, NamedQuery]:
    """Every ``*.rq`` in ``directory`` (default: the bundled ones), by name, sorted."""
    folder = Path(directory) if directory else queries_dir()
    found = {}
    for path in sorted(folder.glob("*.rq")):
        query = parse_rq(path.read_text(encoding="utf-8"), path.stem, str(path))
        found[query.name] = query
    return found


def get_named_query(name: str) -> NamedQuery:
    queries = load_named_queries()
    if name not in queries:
        close = difflib.get_close_matches(name.lower(), list(queries), n=3, cutoff=0.6)
        raise QueryError(f"no named query {name!r}",
                         hint=f"did you mean {', '.join(close)}?" if close
                         else "'tiltaksgraf queries' lists them")
    return queries[name]


def parse_rq(text: str, name: str, path: str = "<text>") -> NamedQuery:
    """A named query from its text; a header that does not follow the format raises DataError
    naming the file and line."""
    values: dict[str, list[tuple[int, str]]] = {k: [] for k in _HEADER_KEYS}
    last: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            if line.strip():
                break
            last = None
            continue
        body = line[1:]
        match = re.match(r"\s?([a-z]+):\s*(.*)$", body)
        if match and match.group(1) in _HEADER_KEYS:
            last = match.group(1)
            values[last].append((number, match.group(2).strip()))
        elif body.startswith("  ") and last in ("title", "answers", "example") and values[last]:
            at, previous = values[last][-1]
            values[last][-1] = (at, f"{previous} {body.strip()}")
        elif match:
            raise DataError(f"unknown header key {match.group(1)!r}", path=path, line=number,
                            hint=f"use one of {', '.join(_HEADER_KEYS)}")
    if len(values["title"]) != 1 or len(values["answers"]) != 1:
        raise DataError("the header needs one 'title:' and one 'answers:' line", path=path, line=1)
    params = []
    for number, spec in values["param"]:
        m = _PARAM_RE.match(spec)
        if not m or m.group("type") not in PARAM_TYPES:
            raise DataError(f"bad param line {spec!r}", path=path, line=number,
                            hint="NAME TYPE required|optional|default=VALUE -- description; TYPE is one of "
                                 + ", ".join(PARAM_TYPES))
        params.append(Param(m.group("name"), m.group("type"), m.group("need") == "required",
                            m.group("default"), (m.group("text") or "").strip()))
    lists = []
    for number, spec in values["list"]:
        m = _LIST_RE.match(spec)
        if not m:
            raise DataError(f"bad list line {spec!r}", path=path, line=number,
                            hint='COLUMN "SEPARATOR" [numeric]')
        lists.append((m.group("name"), m.group("sep"), bool(m.group("numeric"))))
    return NamedQuery(name, values["title"][0][1], values["answers"][0][1], tuple(params), tuple(lists),
                      tuple(v for _n, v in values["example"]), text, path)


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


def _label_index(store: Store) -> NameIndex:
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


def _check_measure_number(store: Store, number: int) -> None:
    """A measure number the graph has, or an error giving the range it has (as ``viz measure``
    does): otherwise the query would answer 0 rows and leave the user guessing."""
    numbers = store.cache.get("measure-numbers")
    if numbers is None:
        rows = store.query(f"PREFIX tg: <{TG._NS}> SELECT DISTINCT ?n WHERE {{ ?m tg:measureNumber ?n }}").rows
        numbers = store.cache["measure-numbers"] = sorted({int(n) for (n,) in rows if n is not None})
    if number not in numbers:
        span = f"{numbers[0]}–{numbers[-1]}" if numbers else "none"
        raise QueryError(f"measure: no measure number {number} in the graph", hint=f"measures present: {span}")


def find_in_store(store: Store, text: str, *, types: tuple[str, ...] | None = None) -> Match | NoMatch:
    """``names.find_entity`` over the store's entities: what ``query -p``, the API and the
    ``entity-search`` hint use, so each says the same about the same text."""
    return find_entity(_label_index(store), text, types=types)


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


def _term_for(store: Store, query: NamedQuery, param: Param, value: Any) -> Node:
    if param.type == "integer":
        try:
            number = Literal(int(str(value).strip()))
        except ValueError:
            raise ParameterError(f"{param.name} must be a whole number, not {value!r}") from None
        if param.name == "measure":
            _check_measure_number(store, int(number))
        return number
    if param.type == "text":
        return Literal(str(value))
    allowed = tuple(_TYPE_NAMES[t] for t in PARAM_TYPES[param.type] or ())
    found = find_entity(_label_index(store), str(value), types=allowed)
    if isinstance(found, Match):
        return URIRef(found.iri)
    search = "search a part of the name with: tiltaksgraf query entity-search --param text=PART"
    if param.type == "status":  # a handful: list them rather than send the user searching
        statuses = sorted({c.name for c in _label_index(store).by_iri.values() if "Status" in c.types})
        search = "the statuses: " + ", ".join(statuses)
    raise found.error(QueryError, what=param.type, prefix=f"{param.name}: ", search=search)


# --- running -----------------------------------------------------------------------------------

_KINDS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}
# Longer query texts are parsed without rdflib's parse cache: a hand-written query is a few
# kilobytes, and 512 cached one-megabyte queries would hold gigabytes.
_CACHED_CHARS = 65_536


def engine_text(text: str) -> str:
    """``text`` as every engine reads it: ``\\u``/``\\U`` escapes expanded and line breaks as LF.

    The checks below read the query with rdflib, but Oxigraph (or a remote store) may run it,
    and the two tokenise differently: rdflib expands escapes everywhere before parsing (as
    SPARQL 1.1 section 19.2 says) and ends a comment only at LF; Oxigraph expands escapes only
    inside strings and IRIs and ends a comment at CR too. Either way a text that rdflib reads
    as harmless could make Oxigraph call a SERVICE (``# …\\r SERVICE …``, or ``'\\u0027'``:
    a long-string quote to rdflib, a one-character string to Oxigraph). So the one text that is
    checked and run has no escapes left and no CR."""
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes, expandUnicodeEscapes_re

    try:
        expanded = expandUnicodeEscapes(text)
    except ValueError as exc:
        raise SparqlSyntaxError(str(exc)) from None
    if expandUnicodeEscapes_re.search(expanded):
        raise SparqlSyntaxError("a \\u escape spells another escape; write the character itself")
    if re.search("[\ud800-\udfff]", expanded):
        raise SparqlSyntaxError("a \\u escape names a surrogate, which is not a character")
    return expanded.replace("\r\n", "\n").replace("\r", "\n")


def check_query(text: str) -> str:
    """Parse ``text`` and return its form (SELECT, ASK, CONSTRUCT, DESCRIBE).

    Refused, by looking at the parsed query rather than its words: SPARQL Update (LOAD included),
    SERVICE anywhere in the algebra (it makes the engine call another server), and FROM / FROM
    NAMED (rdflib would fetch those URLs). Nothing else in SPARQL reads a file or the network.
    What is checked is ``engine_text(text)``: run that text, not ``text``."""
    return _KINDS[_checked_algebra(text).name]


def _checked_algebra(text: str) -> Any:
    if not text.strip():
        raise SparqlSyntaxError("the query is empty")
    text = engine_text(text)
    try:
        prepared = (prepare_rdflib if len(text) <= _CACHED_CHARS else prepare_rdflib.__wrapped__)(text)
    except RecursionError:
        if _SERVICE_WORD.search(text):  # refused for what it asks, whatever its depth
            raise QueryRefused(_NO_SERVICE) from None
        raise SparqlSyntaxError("the query is nested too deeply") from None
    except MemoryError:
        raise
    except Exception as exc:  # pyparsing's ParseException, or rdflib's plain Exception for a prefix
        if _is_update(text):
            raise QueryRefused("SPARQL Update is not allowed: this service is read-only") from None
        raise _syntax_error(text, exc) from None
    algebra = prepared.algebra
    if algebra.get("datasetClause"):
        raise QueryRefused("FROM and FROM NAMED are not allowed: the service queries its own graph "
                           "and does not fetch others")
    if _contains(algebra, "ServiceGraphPattern"):
        raise QueryRefused(_NO_SERVICE)
    return algebra


_NO_SERVICE = "SERVICE is not allowed: the service does not call other endpoints"
# The keyword as SPARQL spells it (case-insensitive, not part of a longer name or a variable).
_SERVICE_WORD = re.compile(r"(?<![\w?$:])service(?![\w:])", re.IGNORECASE)


def _is_update(text: str) -> bool:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        return bool(parseUpdate(text).get("request"))
    except Exception:  # not an update either
        return False


def _contains(node: Any, name: str) -> bool:
    # A loop rather than recursion: a 500-way UNION nests deeper than Python's recursion limit.
    stack, seen = [node], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(node, "name", None) == name:
            return True
        if isinstance(node, Mapping):
            stack.extend(v for k, v in node.items() if not str(k).startswith("_"))
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return False


def _syntax_error(text: str, exc: Exception) -> SparqlSyntaxError:
    """The error with a line and column: where the clause rdflib's parser could not read
    begins (Oxigraph's parser mostly reports the end of the text instead, so it is not asked)."""
    message = " ".join(str(getattr(exc, "msg", None) or exc).split())
    line, column = getattr(exc, "lineno", None), getattr(exc, "col", None)
    prefix = re.match(r"Unknown namespace prefix\s*:\s*(\S+)", message)
    if prefix:  # rdflib raises a plain Exception without a position for an undeclared prefix
        line, column = _position_of(text, re.compile(rf"(?<![\w<\"'#]){re.escape(prefix.group(1))}:"))
        return SparqlSyntaxError(f"the prefix {prefix.group(1)}: is not declared (add PREFIX "
                                 f"{prefix.group(1)}: <…>)", line=line, column=column)
    detail = _found_at(text, line, column) if line and column else message[:160]
    return SparqlSyntaxError(detail, line=line, column=column)


def _position_of(text: str, pattern: re.Pattern[str]) -> tuple[int | None, int | None]:
    for number, line in enumerate(text.splitlines(), start=1):
        m = pattern.search(line.split("#", 1)[0] if "<" not in line else line)
        if m:
            return number, m.start() + 1
    return None, None


def _found_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    rest = lines[line - 1][column - 1:] if 0 < line <= len(lines) else ""
    if not rest.strip():
        return "unexpected end of query" if line >= len(lines) else "unexpected end of line"
    token = re.match(r"\S+", rest.lstrip()).group(0)  # type: ignore[union-attr]
    return f"cannot parse from {token[:30]!r}"


# Every word that begins a clause the check refuses or explains (Update operations, SERVICE,
# FROM, GRAPH). A query whose text holds none of them anywhere — not in a keyword, a name, a
# string, an IRI or a comment — cannot contain such a clause for any parser: keywords are
# contiguous ASCII letters, and ``engine_text`` left no escapes. IGNORECASE in Unicode mode
# also matches look-alikes (ſ for s, the Kelvin sign for k), so it errs towards the full check.
_CHECKED_WORDS = re.compile(r"service|from|graph|load|insert|delete|clear|drop|create|add|move|copy|with",
                            re.IGNORECASE)


# Oxigraph's parser recurses once per bracket and overflows its stack (an abort) long before
# a bracket count a person writes; rdflib's check refuses deep nesting with a clear error.
_FAST_BRACKETS = 256


def _brackets(text: str) -> int:
    return text.count("(") + text.count("{") + text.count("[")


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
    rows = [(text, label, kind, measures, Literal(" | ".join(sorted(names))), entity)
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
        ordered = sorted(items, key=lambda x: (float(x) if re.fullmatch(r"-?\d+(\.\d+)?", x) else float("inf"), x))
    else:
        ordered = sorted(items, key=lambda x: (fold(x), x))
    return Literal(separator.join(ordered))


# --- results as Python values and as text ------------------------------------------------------


def python_value(term: Node | None) -> Any:
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        return str(term) if isinstance(value, Literal) else value
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def python_rows(result: QueryResult) -> list[dict[str, Any]]:
    """Rows as dicts of Python values (IRIs as str, numbers as int/Decimal, unbound as None);
    ASK gives ``[{"boolean": …}]``, CONSTRUCT/DESCRIBE one dict per triple."""
    if result.kind == "ASK":
        return [{"boolean": bool(result.boolean)}]
    if result.graph is not None:
        return [{"subject": python_value(s), "predicate": python_value(p), "object": python_value(o)}
                for s, p, o in sorted(result.graph)]
    return [{var: python_value(value) for var, value in zip(result.vars, row)} for row in result.rows]


SELECT_FORMATS = {  # name → media type, for SELECT and ASK
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {  # name → (media type, rdflib serializer), for CONSTRUCT and DESCRIBE
    "turtle": ("text/turtle", "turtle"),
    "nt": ("application/n-triples", "nt"),
    "jsonld": ("application/ld+json", "json-ld"),
    "rdfxml": ("application/rdf+xml", "xml"),
}
CLI_FORMATS = ("table", "csv", "tsv", "json", "md", "xml", "turtle", "nt", "jsonld")


def format_result(result: QueryResult, fmt: str) -> str:
    """The result as text: a SPARQL results format (json, xml, csv, tsv), a graph format
    (turtle, nt, jsonld, rdfxml), or Markdown (md)."""
    if result.graph is not None:
        fmt = fmt if fmt in GRAPH_FORMATS else "turtle"
        return _graph_text(result.graph, fmt)
    if fmt == "json":
        return _results_json(result)
    if fmt == "xml":
        return _results_xml(result)
    if fmt == "csv":
        return _results_csv(result)
    if fmt == "tsv":
        return _results_tsv(result)
    if fmt == "md":
        return _results_markdown(result)
    raise QueryError(f"unknown format {fmt!r}", hint=f"choose one of {', '.join(CLI_FORMATS)}")


def _graph_text(graph: Any, fmt: str) -> str:
    from tiltaksgraf.queries.rdfxml import Unwritable, check_writable, serialize_rdfxml

    try:
        if fmt == "rdfxml":
            return serialize_rdfxml(graph)
        if fmt != "jsonld":  # JSON-LD strings hold any IRI; Turtle's and N-Triples' <…> cannot
            check_writable(graph, {"turtle": "Turtle", "nt": "N-Triples"}[fmt])
    except Unwritable as exc:
        raise UnwritableResult(str(exc), hint="ask for JSON-LD (application/ld+json), which holds any term") from None
    return graph.serialize(format=GRAPH_FORMATS[fmt][1])


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def _results_json(result: QueryResult) -> str:
    if result.kind == "ASK":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)})
    bindings = [{v: _json_term(t) for v, t in zip(result.vars, row) if t is not None} for row in result.rows]
    return json.dumps({"head": {"vars": result.vars}, "results": {"bindings": bindings}}, ensure_ascii=False)


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(text: str) -> str:
    """``text`` as XML character data. XML would read a bare CR as LF, so it is a character
    reference; the control characters XML 1.0 cannot carry at all, not even as references (a
    form feed from a PDF's text), become U+FFFD, so a stray one does not make every XML
    download of the text fail; JSON carries them exactly."""
    return xml_escape(_XML_BAD.sub("\ufffd", text)).replace("\r", "&#13;")


def _xa(text: str) -> str:
    return quoteattr(_XML_BAD.sub("\ufffd", text))


def _results_xml(result: QueryResult) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if result.kind == "ASK":
        out += ["<head/>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>", "</sparql>"]
        return "\n".join(out) + "\n"
    out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in result.vars) + "</head>")
    out.append("<results>")
    for row in result.rows:
        cells = []
        for var, term in zip(result.vars, row):
            if term is None:
                continue
            if isinstance(term, URIRef):
                inner = f"<uri>{_x(str(term))}</uri>"
            elif isinstance(term, BNode):
                inner = f"<bnode>{_x(str(term))}</bnode>"
            elif term.language:
                inner = f"<literal xml:lang={_xa(term.language)}>{_x(str(term))}</literal>"
            elif term.datatype:
                inner = f"<literal datatype={_xa(str(term.datatype))}>{_x(str(term))}</literal>"
            else:
                inner = f"<literal>{_x(str(term))}</literal>"
            cells.append(f"<binding name={quoteattr(var)}>{inner}</binding>")
        out.append("<result>" + "".join(cells) + "</result>")
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"


def _plain(term: Node | None) -> str:
    if term is None:
        return ""
    return f"_:{term}" if isinstance(term, BNode) else str(term)


# A spreadsheet runs a cell starting with one of these as a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMERIC = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC_TYPES = {_XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte",
                                     "nonNegativeInteger", "nonPositiveInteger", "negativeInteger",
                                     "positiveInteger", "unsignedInt", "unsignedLong", "unsignedShort",
                                     "unsignedByte")}


def _inert(text: str, term: Node | None) -> str:
    """``text`` made safe to open in a spreadsheet, the way OWASP recommends: a cell that
    starts with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``, which spreadsheets
    read as "this is text" and do not show. Numbers typed as numbers (``-3`` as xsd:integer)
    are values, not formulas, and stay as they are. JSON and XML keep the raw value."""
    if not text.startswith(_FORMULA_START):
        return text
    if (isinstance(term, Literal) and str(term.datatype) in _NUMERIC_TYPES
            and _NUMERIC.fullmatch(text)):
        return text
    return "'" + text


def _results_csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if result.kind == "ASK":
        writer.writerows([["boolean"], ["true" if result.boolean else "false"]])
    else:
        writer.writerow(result.vars)
        writer.writerows([_inert(_plain(t), t) for t in row] for row in result.rows)
    return buffer.getvalue()


def _tsv_term(term: Node | None) -> str:
    from tiltaksgraf.graph.stores.terms import _literal_nt
    from tiltaksgraf.queries.rdfxml import writable_iri

    if term is None:
        return ""
    if isinstance(term, URIRef):
        if not writable_iri(str(term)):
            raise UnwritableResult(f"the result holds {str(term)[:200]!r}, which is not a valid IRI and cannot "
                                   "be written in TSV", hint="ask for JSON or CSV")
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if term.datatype and str(term.datatype).endswith("#integer") and re.fullmatch(r"[+-]?\d+", str(term)):
        return str(term)
    lexical = _inert(str(term), term)
    try:
        return _literal_nt(Literal(lexical, lang=term.language, datatype=term.datatype) if lexical != str(term)
                           else term)
    except QueryError as exc:  # a datatype that is not an IRI
        raise UnwritableResult(f"{exc.detail}: it cannot be written in TSV", hint="ask for JSON or CSV") from None


def _results_tsv(result: QueryResult) -> str:
    if result.kind == "ASK":
        return "?boolean\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.vars)]
    lines += ["\t".join(_tsv_term(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _results_markdown(result: QueryResult) -> str:
    if result.kind == "ASK":
        return f"| boolean |\n|---|\n| {'true' if result.boolean else 'false'} |\n"

    def cell(term: Node | None) -> str:
        return " ".join(display(term).replace("|", "\\|").split("\n")).strip() if term is not None else ""

    lines = ["| " + " | ".join(result.vars) + " |", "|" + "---|" * len(result.vars)]
    lines += ["| " + " | ".join(cell(t) for t in row) + " |" for row in result.rows]
    return "\n".join(lines) + "\n"


_SHORT = (("https://w3id.org/tiltaksgraf/id/", "id:"), (str(TG._NS), "tg:"),
          ("http://www.w3.org/2004/02/skos/core#", "skos:"))


def display(term: Node | None) -> str:
    """A term for people: IRIs of the project's namespaces shortened (``id:entity/nkvts``)."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        for long, short in _SHORT:
            if str(term).startswith(long):
                return short + str(term)[len(long):]
    return _plain(term)
