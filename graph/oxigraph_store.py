"""Query stores: one interface over rdflib in memory, an embedded Oxigraph store, and a remote
SPARQL 1.1 Protocol endpoint.

Input: a build directory (``graph.ttl``/``graph.trig`` from ``tiltaksgraf build``) or an endpoint
URL. Output: a ``Store`` whose ``query(text, bindings)`` returns a ``QueryResult`` of rdflib terms,
whichever engine ran it, so the named queries, the CLI, the Python API and the HTTP endpoint
(``tiltaksgraf.queries``) work on any of them and compare their rows directly.

- ``RdflibStore``: the union graph parsed into an rdflib ``Graph`` (the embedded default).
- ``OxigraphStore``: the same union graph in pyoxigraph, in memory or persistent on disk. The
  per-report named graphs of ``graph.trig`` are for servers (``graph/push.py``); see
  ``OxigraphStore`` for why they are not loaded here.
- ``SparqlEndpointStore``: any SPARQL 1.1 Protocol query URL, e.g. a shared server the graph
  was pushed to (``graph/push.py``); it must use the union of its named graphs as default graph
  (``oxigraph serve --union-default-graph``; Fuseki: ``tdb2:unionDefaultGraph true``).

Parameters are bound as terms, never pasted into the query: rdflib ``initBindings``, Oxigraph
``substitutions`` (RDF-dev SEP-0007). A remote endpoint only takes text, so there the bindings
travel as a ``VALUES`` block put first in the query's top-level group, each term written in
N-Triples syntax with its quotes and backslashes escaped and IRIs checked (``values_clause``).
For the three to agree a bound variable must be projected (SEP-0007 requires it) and bound in
the top-level group (a remote VALUES block reaches no further); the named queries keep to that.

rdflib evaluation runs on a ``_GuardedGraph`` with one custom evaluation step: it stops a query
past its deadline, and corrects two rdflib 7 aggregate bugs (see ``_guarded_eval``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD
from rdflib.term import Node

from tiltaksgraf.errors import InputError, QueryError
from tiltaksgraf.graph.iri import mint_iri
from tiltaksgraf.graph.store import graph_file, load_graph

__all__ = [
    "QueryResult", "QueryTimeout", "RowLimitExceeded", "Store", "RdflibStore", "OxigraphStore",
    "SparqlEndpointStore", "open_store", "vocabulary_graph", "missing_vocabulary", "VOCABULARY_GRAPH", "STORE_KINDS",
]

STORE_KINDS = ("rdflib", "oxigraph")
# The status scheme (skos:prefLabel "Ferdig"@nb, "Completed"@en, skos:notation …) is declared in the
# ontology file; what of it a build does not carry goes into this named graph, so status labels
# answer alike on every store.
VOCABULARY_GRAPH = mint_iri("graph", "vocabulary")
_RDF_LANG_STRING = str(RDF.langString)
_XSD_STRING = str(XSD.string)


class QueryTimeout(QueryError):
    """The query ran past its time limit."""


class RowLimitExceeded(QueryError):
    """The query returned more rows (or triples) than allowed."""


class EngineSyntaxError(QueryError):
    """Oxigraph could not parse the query (its message has no reliable position)."""


@dataclass
class QueryResult:
    """What a query returned, in rdflib terms whatever the engine.

    ``kind`` is SELECT, ASK, CONSTRUCT or DESCRIBE; SELECT fills ``vars`` and ``rows`` (one tuple
    per solution, ``None`` where a variable is unbound), ASK ``boolean``, the graph forms
    ``graph``."""

    kind: str
    vars: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None

    def dicts(self) -> list[dict[str, Node | None]]:
        return [dict(zip(self.vars, row)) for row in self.rows]


class Store(ABC):
    """A graph that answers SPARQL queries. ``cache`` holds what callers derive from it once
    (the label index of ``tiltaksgraf.queries.runner``); the graph never changes while open."""

    kind: ClassVar[str]
    # The embedded stores hold a build's union graph only; a server may hold the named graphs.
    named_graphs: ClassVar[bool] = False

    def __init__(self, description: str) -> None:
        self.description = description
        self.cache: dict[str, Any] = {}

    @abstractmethod
    def query(self, text: str, bindings: Mapping[str, Node] | None = None, *,
              max_rows: int | None = None, deadline: float | None = None) -> QueryResult:
        """Run ``text`` with ``bindings`` (variable name → term). ``deadline`` is a
        ``time.monotonic()`` value: past it the query raises ``QueryTimeout`` as soon as the
        engine lets us look (see each store). More than ``max_rows`` rows or triples raise
        ``RowLimitExceeded``."""

    def close(self) -> None:
        """Release the store (files, locks)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"


# --- rdflib ------------------------------------------------------------------------------------

_guard = threading.local()


class _GuardedGraph(Graph):
    """An rdflib Graph that stops a query past its deadline.

    rdflib's evaluator is plain Python with no cancellation hook, but every triple pattern it
    matches (BGPs, property paths, EXISTS) goes through ``Graph.triples``, and every algebra
    node through the custom evaluation step ``_guarded_eval``: checking the calling thread's
    deadline there stops a runaway join within milliseconds. Work that does neither — sorting
    rows already found, one slow regex — runs to its end."""

    def triples(self, triple, *args, **kwargs):  # type: ignore[override]
        deadline = getattr(_guard, "deadline", None)
        if deadline is not None and time.monotonic() > deadline:
            raise QueryTimeout("the query ran past its time limit")
        return super().triples(triple, *args, **kwargs)


def _guarded_eval(ctx, part):
    """An rdflib custom evaluation step, active only for queries on a ``_GuardedGraph``: checks
    the deadline at every algebra node, and evaluates GROUP BY as SPARQL says.

    rdflib 7's ``evalAggregateJoin`` yields one row of unbound variables (and of initBindings)
    when a GROUP BY has no input, where SPARQL gives none; and an aggregate with DISTINCT
    (``COUNT(DISTINCT ?x)``) raises when ``?x`` is unbound in a row, where SPARQL skips the
    row. Every other node is left to rdflib."""
    if not isinstance(ctx.graph, _GuardedGraph):
        raise NotImplementedError
    deadline = getattr(_guard, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise QueryTimeout("the query ran past its time limit")
    if part.name != "AggregateJoin":
        raise NotImplementedError
    return _aggregate_join(ctx, part)


def _aggregate_join(ctx, part):
    from rdflib.plugins.sparql.aggregates import Aggregator
    from rdflib.plugins.sparql.evaluate import evalPart
    from rdflib.plugins.sparql.evalutils import _eval
    from rdflib.plugins.sparql.sparql import FrozenBindings, NotBoundError

    grouping = part.p.expr
    # without GROUP BY there is one group, even over no rows (COUNT(*) is then 0)
    groups: dict[Any, Aggregator] = {} if grouping is not None else {(): Aggregator(aggregations=part.A)}
    for row in evalPart(ctx, part.p):
        key = tuple(_eval(e, row, False) for e in grouping) if grouping is not None else ()
        if key not in groups:
            groups[key] = Aggregator(aggregations=part.A)
        for accumulator in list(groups[key].accumulators.values()):
            try:  # rdflib's DISTINCT check raises on an unbound value; SPARQL skips it
                use = accumulator.use_row(row)
            except NotBoundError:
                continue
            if use:
                accumulator.update(row, groups[key])
    for aggregator in groups.values():
        yield FrozenBindings(ctx, aggregator.get_bindings())


def _register_guard() -> None:
    from rdflib.plugins.sparql import CUSTOM_EVALS

    CUSTOM_EVALS.setdefault("tiltaksgraf-guard", _guarded_eval)


@lru_cache(maxsize=512)
def prepare_rdflib(text: str):
    """The parsed and translated rdflib query, cached by text: rdflib's parser costs
    milliseconds per query, evaluation of a prepared query can reuse it from any thread."""
    from rdflib.plugins.sparql import prepareQuery

    return prepareQuery(text)


class RdflibStore(Store):
    kind = "rdflib"

    def __init__(self, graph: Graph, description: str = "rdflib graph") -> None:
        super().__init__(description)
        _register_guard()
        if not isinstance(graph, _GuardedGraph):
            guarded = _GuardedGraph()
            for prefix, ns in graph.namespaces():
                guarded.bind(prefix, ns, override=True)
            guarded += graph
            graph = guarded
        self.graph = graph

    @classmethod
    def from_build(cls, graph_dir: str | Path) -> RdflibStore:
        """The union graph of a build (``DIR/graph.ttl``), plus what it lacks of the status scheme."""
        graph = load_graph(graph_dir, into=_GuardedGraph())
        graph += missing_vocabulary(graph)
        return cls(graph, f"rdflib: {graph_file(graph_dir)}")

    def query(self, text: str, bindings: Mapping[str, Node] | None = None, *,
              max_rows: int | None = None, deadline: float | None = None) -> QueryResult:
        prepared = prepare_rdflib(text)
        previous = getattr(_guard, "deadline", None)
        _guard.deadline = deadline
        try:
            _check_deadline(deadline)
            result = self.graph.query(prepared, initBindings=dict(bindings or {}))
            kind = result.type
            if kind == "SELECT":
                names = [str(v) for v in result.vars or []]
                rows = []
                for solution in result.bindings:  # lazily evaluated: the guard stays active
                    rows.append(tuple(solution.get(v) for v in (result.vars or [])))
                    _check_rows(len(rows), max_rows)
                return QueryResult("SELECT", names, rows)
            if kind == "ASK":
                return QueryResult("ASK", boolean=bool(result.askAnswer))
            graph = Graph()
            for prefix, ns in self.graph.namespaces():
                graph.bind(prefix, ns, override=True)
            for triple in result.graph or Graph():
                graph.add(triple)
                _check_rows(len(graph), max_rows)
            return QueryResult(kind, graph=graph)
        except QueryError:
            raise
        except RecursionError:
            raise QueryError("the query is nested too deeply for the rdflib store") from None
        except MemoryError:  # not the query's fault alone: the caller decides (see queries/service.py)
            raise
        except Exception as exc:  # rdflib raises plain exceptions for what it cannot evaluate
            raise QueryError(f"the rdflib store cannot run this query: {exc}",
                             hint="try --store oxigraph") from exc
        finally:
            _guard.deadline = previous


# --- Oxigraph ----------------------------------------------------------------------------------

_MARKER = "tiltaksgraf-source.json"


class OxigraphStore(Store):
    """The union graph of a build (``graph.ttl``) as the default graph of an embedded Oxigraph
    store: one copy of each triple, whichever reports state it.

    Not the TriG's named graphs with Oxigraph's ``use_default_graph_as_union``: pyoxigraph 0.5
    makes that union a bag (oxigraph#1919), so a triple several reports state (an entity's other
    names) comes back once per report and COUNT, SUM and the rows differ from the rdflib store;
    and named graphs beside a default graph make every lookup slower (1.5–2x for the named
    queries on 50 reports). A query that names graphs is refused with a pointer to a server.

    In memory by default; with ``location`` the store persists on disk and is reused while the
    build's ``graph.ttl`` is unchanged (its SHA-256 is kept in a marker file beside the data),
    so later runs skip parsing. A persistent store is opened read-only, so several processes
    (a server, a few CLI calls) can share it."""

    kind = "oxigraph"

    def __init__(self, store: ox.Store, description: str = "oxigraph store") -> None:
        super().__init__(description)
        self._store = store

    @classmethod
    def from_build(cls, graph_dir: str | Path, location: str | Path | None = None) -> OxigraphStore:
        source = graph_file(graph_dir)
        if location is None:
            store = ox.Store()
            _load_into(store, source)
            return cls(store, f"oxigraph (memory): {source}")
        location = Path(location)
        digest = _sha256(source)
        marker = location / _MARKER
        current = None
        if marker.is_file():
            try:
                current = json.loads(marker.read_text(encoding="utf-8")).get("sha256")
            except (OSError, ValueError):
                current = None
        if current != digest:
            location.mkdir(parents=True, exist_ok=True)
            try:
                writer = ox.Store(str(location))
            except OSError as exc:
                raise InputError(f"cannot open the Oxigraph store for writing: {exc}", path=str(location),
                                 hint="another process has it open; stop it or choose another location") from exc
            writer.clear()
            _load_into(writer, source)
            writer.flush()
            del writer  # releases the RocksDB lock
            marker.write_text(json.dumps({"sha256": digest, "source": str(source)}), encoding="utf-8")
        try:
            store = ox.Store.read_only(str(location))
        except OSError as exc:
            raise InputError(f"cannot open the Oxigraph store: {exc}", path=str(location)) from exc
        return cls(store, f"oxigraph: {location}")

    def query(self, text: str, bindings: Mapping[str, Node] | None = None, *,
              max_rows: int | None = None, deadline: float | None = None) -> QueryResult:
        _check_deadline(deadline)
        substitutions = {ox.Variable(k): to_oxigraph(v) for k, v in (bindings or {}).items()}
        try:
            # Oxigraph evaluates in native code with the GIL released, so other threads go on;
            # it cannot be interrupted, but the deadline is checked between the rows it yields.
            result = self._store.query(text, substitutions=substitutions or None)
        except SyntaxError as exc:
            raise EngineSyntaxError(f"SPARQL syntax error: {exc}") from exc
        except RuntimeError as exc:
            raise QueryError(f"the query cannot be run: {exc}") from exc
        # pyoxigraph's result objects must be dropped by the thread that made them ("unsendable"):
        # an error leaves here without the traceback whose frames still hold them.
        try:
            return self._collect(result, text, max_rows, deadline)
        except QueryError as exc:
            error = exc.with_traceback(None)
        finally:
            del result
        raise error

    @staticmethod
    def _collect(result: Any, text: str, max_rows: int | None, deadline: float | None) -> QueryResult:
        if isinstance(result, ox.QueryBoolean):
            return QueryResult("ASK", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            names = [v.value for v in result.variables]
            rows: list[tuple[Node | None, ...]] = []
            for solution in result:
                rows.append(tuple(None if solution[i] is None else from_oxigraph(solution[i])
                                  for i in range(len(names))))
                del solution
                _check_rows(len(rows), max_rows)
                if len(rows) % 256 == 0:
                    _check_deadline(deadline)
            _check_deadline(deadline)
            return QueryResult("SELECT", names, rows)
        graph = Graph()
        for triple in result:
            graph.add((from_oxigraph(triple.subject), from_oxigraph(triple.predicate),
                       from_oxigraph(triple.object)))
            del triple
            _check_rows(len(graph), max_rows)
        kind = "DESCRIBE" if re.search(r"\bDESCRIBE\b", _strip_comments(text), re.IGNORECASE) else "CONSTRUCT"
        return QueryResult(kind, graph=graph)

    def close(self) -> None:
        self._store = None  # type: ignore[assignment]


def _load_into(store: ox.Store, source: Path) -> None:
    try:
        # bulk: no transaction, which in memory would take a third more than the data
        store.bulk_load(path=str(source), format=ox.RdfFormat.TURTLE)
    except (SyntaxError, ValueError, OSError) as exc:
        raise InputError(f"cannot read the graph: {exc}", path=str(source),
                         hint="rebuild it with 'tiltaksgraf build'") from exc
    missing = [t for t in vocabulary_graph() if not _oxigraph_has(store, t)]
    if missing:
        store.extend([ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in missing])


def _oxigraph_has(store: ox.Store, triple: tuple[Node, Node, Node]) -> bool:
    s, p, o = (to_oxigraph(t) for t in triple)
    return next(iter(store.quads_for_pattern(s, p, o, ox.DefaultGraph())), None) is not None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- a remote SPARQL endpoint ------------------------------------------------------------------


class SparqlEndpointStore(Store):
    """A SPARQL 1.1 Protocol query URL (``http://host:7878/query`` for Oxigraph server,
    ``http://host:3030/ds/sparql`` for Fuseki), queried with urllib."""

    kind = "endpoint"
    named_graphs = True

    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        if not re.match(r"^https?://", url):
            raise InputError(f"not an http(s) URL: {url!r}", hint="pass the endpoint's query URL")
        super().__init__(f"endpoint: {url}")
        self.url = url
        self.timeout = timeout

    def query(self, text: str, bindings: Mapping[str, Node] | None = None, *,
              max_rows: int | None = None, deadline: float | None = None) -> QueryResult:
        if bindings:
            text = with_values(text, bindings)
        timeout = self.timeout if deadline is None else max(0.001, deadline - time.monotonic())
        request = urllib.request.Request(
            self.url, data=urllib.parse.urlencode({"query": text}).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                     "Accept": "application/sparql-results+json, application/n-triples;q=0.9"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                content_type = response.headers.get_content_type()
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip()[:500]
            raise QueryError(f"{self.url} answered {exc.code} {exc.reason}: {detail}") from exc
        except TimeoutError as exc:
            raise QueryTimeout(f"{self.url} did not answer in {timeout:.1f} s") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise QueryError(f"cannot reach {self.url}: {getattr(exc, 'reason', exc)}",
                             hint="is the server running?") from exc
        if content_type in ("application/sparql-results+json", "application/json"):
            return _from_results_json(json.loads(body), max_rows)
        graph = Graph()
        graph.parse(data=body.decode("utf-8"), format="nt" if "n-triples" in content_type else "turtle")
        _check_rows(len(graph), max_rows)
        kind = "DESCRIBE" if re.search(r"\bDESCRIBE\b", _strip_comments(text), re.IGNORECASE) else "CONSTRUCT"
        return QueryResult(kind, graph=graph)


_TOKENS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                     r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*|[{}]'
                     r'|\bCONSTRUCT\b|\bWHERE\b', re.IGNORECASE)


def with_values(text: str, bindings: Mapping[str, Node]) -> str:
    """The query with a VALUES block of the bindings as the first element of its top-level
    group (after ``WHERE {``): the query's own patterns join with it, so the parameters
    constrain the query as SEP-0007 substitution and rdflib's initBindings do on the other
    stores (both the query's projection and its top-level group see them)."""
    clause = values_clause(bindings)
    depth = 0
    skip_template = False
    for match in _TOKENS.finditer(text):
        token = match.group(0)
        upper = token.upper()
        if upper == "CONSTRUCT" and depth == 0:
            skip_template = True
        elif upper == "WHERE" and depth == 0:
            skip_template = False
        elif token == "{":
            if depth == 0 and not skip_template:
                return f"{text[:match.end()]} {clause}\n{text[match.end():]}"
            depth += 1
        elif token == "}":
            depth -= 1
    raise QueryError("cannot bind parameters: the query has no group pattern")


def values_clause(bindings: Mapping[str, Node]) -> str:
    """``VALUES (?a ?b) { (<iri> "text"@nb) }`` from terms, each written by rdflib's escaping."""
    names = list(bindings)
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise QueryError(f"not a variable name: {name!r}")
        if isinstance(bindings[name], BNode):
            raise QueryError(f"a blank node cannot be bound to ?{name}")
    head = " ".join(f"?{n}" for n in names)
    row = " ".join(_n3(bindings[n]) for n in names)
    return f"VALUES ({head}) {{ ({row}) }}"


def _n3(term: Node) -> str:
    if isinstance(term, URIRef):
        if not _IRI_OK.fullmatch(str(term)):
            raise QueryError(f"not a valid IRI: {str(term)!r}")
        return f"<{term}>"
    if isinstance(term, Literal):
        return _literal_nt(term)
    raise QueryError(f"cannot bind {term!r}")


_IRI_OK = re.compile(r'[^\x00-\x20<>"{}|^`\\]+')


def _literal_nt(term: Literal) -> str:
    escaped = (str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    if term.language:
        if not re.fullmatch(r"[A-Za-z]+(-[A-Za-z0-9]+)*", term.language):
            raise QueryError(f"not a language tag: {term.language!r}")
        return f'"{escaped}"@{term.language}'
    if term.datatype and str(term.datatype) != _XSD_STRING:
        return f'"{escaped}"^^{_n3(URIRef(term.datatype))}'
    return f'"{escaped}"'


def _from_results_json(data: dict, max_rows: int | None) -> QueryResult:
    if "boolean" in data:
        return QueryResult("ASK", boolean=bool(data["boolean"]))
    names = list(data.get("head", {}).get("vars", []))
    rows = []
    for binding in data.get("results", {}).get("bindings", []):
        rows.append(tuple(_term_from_json(binding[n]) if n in binding else None for n in names))
        _check_rows(len(rows), max_rows)
    return QueryResult("SELECT", names, rows)


def _term_from_json(value: dict) -> Node:
    kind = value.get("type")
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        lang = value.get("xml:lang")
        datatype = value.get("datatype")
        if lang:
            return Literal(value["value"], lang=lang)
        if datatype and datatype not in (_XSD_STRING, _RDF_LANG_STRING):
            return Literal(value["value"], datatype=URIRef(datatype))
        return Literal(value["value"])
    raise QueryError(f"unexpected term in SPARQL JSON results: {value!r}")


# --- terms, vocabulary, helpers ----------------------------------------------------------------


def to_oxigraph(term: Node) -> ox.NamedNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise QueryError(f"cannot bind {term!r}: only IRIs and literals can be parameters")


@lru_cache(maxsize=1 << 16)
def from_oxigraph(term: Any) -> Node:
    """The rdflib term for an Oxigraph term. Cached: rdflib's Literal constructor is most of the
    cost of reading a result, and terms (immutable on both sides) recur across results."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype in (_XSD_STRING, _RDF_LANG_STRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return Literal(str(term))  # RDF-star triple terms: shown as text


@lru_cache(maxsize=1)
def vocabulary_graph() -> Graph:
    """The status scheme from the ontology file: the concepts, their labels and notations."""
    from tiltaksgraf.ontology.terms import TG_STATUS, load_ontology

    ontology = load_ontology()
    subjects = {TG_STATUS, *ontology.subjects(SKOS.inScheme, TG_STATUS)}
    graph = Graph()
    for subject in subjects:
        for _s, p, o in ontology.triples((subject, None, None)):
            graph.add((subject, p, o))
    return graph


def missing_vocabulary(graph: Graph) -> Graph:
    """The triples of the status scheme that ``graph`` lacks (all of them for a build that does
    not carry the scheme; none once it carries all of it)."""
    missing = Graph()
    for triple in vocabulary_graph():
        if triple not in graph:
            missing.add(triple)
    return missing


def open_store(source: str | Path = "out", kind: str = "rdflib", *,
               location: str | Path | None = None) -> Store:
    """A store for a build directory (``kind`` rdflib or oxigraph) or an endpoint URL."""
    if isinstance(source, str) and re.match(r"^https?://", source):
        return SparqlEndpointStore(source)
    if kind == "rdflib":
        if location is not None:
            raise InputError("a location is only for the oxigraph store")
        return RdflibStore.from_build(source)
    if kind == "oxigraph":
        return OxigraphStore.from_build(source, location)
    raise InputError(f"unknown store {kind!r}", hint=f"choose one of {', '.join(STORE_KINDS)}")


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise QueryTimeout("the query ran past its time limit")


def _check_rows(count: int, max_rows: int | None) -> None:
    if max_rows is not None and count > max_rows:
        raise RowLimitExceeded(f"the query returned more than {max_rows} rows",
                               hint="add LIMIT, or narrow the query")


def _strip_comments(text: str) -> str:
    """The query without ``#`` comments (outside IRIs and strings, roughly), to tell CONSTRUCT
    from DESCRIBE in a result that does not say."""
    return re.sub(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^>\s]*>|#[^\n]*',
                  lambda m: "" if m.group(0).startswith("#") else " ", text)
