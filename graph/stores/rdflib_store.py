"""The rdflib store: a build's union graph parsed into an rdflib ``Graph`` (the embedded default).

Input: a build directory (``graph.ttl``) or a ``Graph``. Output: ``RdflibStore``, whose ``query``
returns a ``QueryResult``; ``prepare_rdflib`` (the parsed query, cached by text) for the safety
check of ``tiltaksgraf.queries``. Evaluation runs on a ``_GuardedGraph`` with one custom evaluation
step: it stops a query past its deadline, and corrects two rdflib 7 aggregate bugs (see
``_guarded_eval``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import rdflib
from rdflib import Graph
from rdflib.term import Node

import tiltaksgraf
import tiltaksgraf.graph
from tiltaksgraf.errors import QueryError
from tiltaksgraf.graph.store import graph_file, load_graph
from tiltaksgraf.graph.stores.base import QueryResult, QueryTimeout, Store, _check_deadline, _check_rows
from tiltaksgraf.graph.stores.terms import missing_vocabulary

_guard = threading.local()


class _GuardedGraph(Graph):
    """An rdflib Graph that stops a query past its deadline.

    rdflib's evaluator is plain Python with no cancellation hook, but every triple pattern it
    matches (BGPs, property paths, EXISTS) goes through ``Graph.triples``, and every algebra
    node through the custom evaluation step ``_guarded_eval``: checking the calling thread's
    deadline there stops a runaway join within milliseconds. Work that does neither — sorting
    rows already found, one slow regex — runs to its end."""

    def triples(self, triple, *args, **kwargs):
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
            result = self.graph.query(prepared, initBindings=dict(bindings or {}))  # type: ignore[arg-type]  # stubs: Identifier; each term is one
            kind = result.type
            if kind == "SELECT":
                names = [str(v) for v in result.vars or []]
                rows: list[tuple[Node | None, ...]] = []
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
        except Exception as exc:  # rdflib raises plain exceptions for what it cannot evaluate …
            if not _raised_in_rdflib(exc):
                raise  # … but an error raised in our own code is a bug: it keeps its traceback
            raise QueryError(f"the rdflib store cannot run this query: {exc}",
                             hint="try --store oxigraph") from exc
        finally:
            _guard.deadline = previous


_RDFLIB_DIR = str(Path(rdflib.__file__).resolve().parent)
_OUR_DIRS = tuple(str(Path(m.__file__).resolve().parent) for m in (tiltaksgraf, tiltaksgraf.graph)
                  if m.__file__ is not None)


def _raised_in_rdflib(exc: BaseException) -> bool:
    """Whether the innermost frame of ``exc`` that is rdflib's or ours is rdflib's (frames of the
    standard library under it, as ``re`` for a bad REGEX pattern, do not count): rdflib's way of
    saying it cannot evaluate a query. Raised in our own code (the guard, the aggregate fix),
    it is a bug and must not become a user error."""
    owner = None
    tb = exc.__traceback__
    while tb is not None:
        path = str(Path(tb.tb_frame.f_code.co_filename).resolve())
        if path.startswith(_RDFLIB_DIR):
            owner = "rdflib"
        elif path.startswith(_OUR_DIRS):
            owner = "ours"
        tb = tb.tb_next
    return owner == "rdflib"
