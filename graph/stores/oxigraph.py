"""The Oxigraph store: a build's union graph in an embedded pyoxigraph store, in memory or on disk.

Input: a build directory (``graph.ttl``), optionally a location for a persistent store. Output:
``OxigraphStore``, whose ``query`` returns a ``QueryResult`` of rdflib terms that compare directly
with the rdflib store's.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from tiltaksgraf.errors import InputError, QueryError
from tiltaksgraf.graph.store import graph_file
from tiltaksgraf.graph.stores.base import (EngineSyntaxError, QueryResult, Store, _check_deadline, _check_rows,
                                           _strip_comments)
from tiltaksgraf.graph.stores.terms import from_oxigraph, to_oxigraph, vocabulary_graph

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
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(k): to_oxigraph(v) for k, v in (bindings or {}).items()}
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
        store.extend([ox.Quad(ox.NamedNode(str(s)), ox.NamedNode(str(p)), to_oxigraph(o)) for s, p, o in missing])


def _oxigraph_has(store: ox.Store, triple: tuple[Node, Node, Node]) -> bool:
    s, p, o = triple  # the status scheme's subjects and predicates are IRIs
    pattern = store.quads_for_pattern(ox.NamedNode(str(s)), ox.NamedNode(str(p)), to_oxigraph(o), ox.DefaultGraph())
    return next(iter(pattern), None) is not None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
