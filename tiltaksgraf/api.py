"""The Python API for asking the graph: load a built graph, run named queries or SPARQL, get rows.

Input: a build directory (``tiltaksgraf build``) or the URL of a SPARQL endpoint the graph was
pushed to. Output: rows as ``list[dict]`` of plain Python values (IRIs as ``str``, numbers as
``int``/``Decimal``, unbound as ``None``)::

    from tiltaksgraf.api import load, run_query, sparql

    store = load("out")                      # rdflib in memory; store="oxigraph" for Oxigraph
    run_query(store, "partners-of", agency="NKVTS")
    find(store, "Bufdir")                    # {"iri": …, "name": …, "type": "Agency"}
    sparql(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")

The same functions back the ``tiltaksgraf query`` command and the HTTP endpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tiltaksgraf.graph.stores import Store, open_store
from tiltaksgraf.queries.formats import python_rows
from tiltaksgraf.queries.rq import load_named_queries, NamedQuery
from tiltaksgraf.queries.runner import run_named_query, run_sparql

__all__ = ["find", "load", "named_queries", "run_query", "sparql", "Store", "NamedQuery"]


def load(graph_dir: str | Path = "out", store: str = "oxigraph", *, location: str | Path | None = None) -> Store:
    """Open a built graph for querying.

    ``store`` is ``"oxigraph"`` (the default: in memory, or persistent in the directory
    ``location``, reused while the build is unchanged) or ``"rdflib"`` (in memory, pure Python,
    several times slower). ``graph_dir`` may also be
    an ``http(s)://`` SPARQL query URL, e.g. a shared server the graph was pushed to."""
    return open_store(graph_dir, store, location=location)


def named_queries() -> dict[str, NamedQuery]:
    """The bundled named queries by name, each with its title, parameters and SPARQL text."""
    return dict(load_named_queries())


def run_query(store: Store, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run a named query; parameters are labels or IRIs (entities), numbers or text."""
    return python_rows(run_named_query(store, name, params))


def sparql(store: Store, text: str) -> list[dict[str, Any]]:
    """Run a read-only SPARQL query: SELECT rows; ASK ``[{"boolean": …}]``; CONSTRUCT and
    DESCRIBE one ``{"subject", "predicate", "object"}`` per triple."""
    return python_rows(run_sparql(store, text))


def find(store: Store, name: str, type: str | None = None) -> dict[str, str]:
    """The entity called ``name`` (a label, a short name, a key or an IRI; case and accents
    ignored, see ``tiltaksgraf.names``), of ``type`` ("Agency", …) when given, as
    ``{"iri", "name", "type"}``. Raises ``QueryError`` saying why not, with close spellings — the
    same answer ``tiltaksgraf query -p`` and ``tiltaksgraf viz`` give."""
    from tiltaksgraf.errors import QueryError
    from tiltaksgraf.names import Match
    from tiltaksgraf.queries.params import find_in_store

    found = find_in_store(store, name, types=(type,) if type else None)
    if isinstance(found, Match):
        return {"iri": found.iri, "name": found.candidate.name, "type": found.candidate.type}
    raise found.error(QueryError, search="tiltaksgraf.api.run_query(store, 'entity-search', text=PART) searches "
                                         "parts of names")
