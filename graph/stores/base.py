"""The interface every query store implements, and what all of them share.

Input: SPARQL text and bindings (variable name → rdflib term). Output: a ``QueryResult`` of rdflib
terms, whichever engine ran it; ``QueryTimeout``/``RowLimitExceeded``/``EngineSyntaxError`` for
what a query may run into. The stores themselves are ``rdflib_store``, ``oxigraph``, ``remote``.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rdflib import Graph
from rdflib.term import Node

from tiltaksgraf.errors import QueryError

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
    (the label index of ``tiltaksgraf.queries.params``); the graph never changes while open."""

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

    def close(self) -> None:  # noqa: B027 -- an optional hook: the remote store holds nothing to release
        """Release the store (files, locks)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"


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
