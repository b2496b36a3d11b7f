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

import re
from pathlib import Path

from tiltaksgraf.errors import InputError
from tiltaksgraf.graph.stores.base import EngineSyntaxError, QueryResult, QueryTimeout, RowLimitExceeded, Store
from tiltaksgraf.graph.stores.oxigraph import OxigraphStore
from tiltaksgraf.graph.stores.rdflib_store import RdflibStore, prepare_rdflib
from tiltaksgraf.graph.stores.remote import SparqlEndpointStore
from tiltaksgraf.graph.stores.terms import (VOCABULARY_GRAPH, from_oxigraph, missing_vocabulary, to_oxigraph,
                                            values_clause, vocabulary_graph, with_values)

__all__ = [
    "QueryResult", "QueryTimeout", "RowLimitExceeded", "EngineSyntaxError", "Store", "RdflibStore", "OxigraphStore",
    "SparqlEndpointStore", "open_store", "prepare_rdflib", "vocabulary_graph", "missing_vocabulary",
    "to_oxigraph", "from_oxigraph", "values_clause", "with_values", "VOCABULARY_GRAPH", "STORE_KINDS",
]

STORE_KINDS = ("rdflib", "oxigraph")


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
