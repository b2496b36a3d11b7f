"""Push a built graph to a SPARQL 1.1 Graph Store Protocol server, one named graph per source.

Input: a build directory (``graph.trig``) and the server's Graph Store endpoint, e.g.
``http://127.0.0.1:7878/store`` (Oxigraph server) or ``http://host:3030/ds/data`` (Fuseki).
Output: each named graph of the dataset (one per source report, plus ``derived``) replaced on the
server by an HTTP ``PUT …?graph=IRI`` (N-Triples), so pushing again after a rebuild replaces what
was there and leaves other graphs alone. What the build lacks of the status scheme goes in one
more graph (``stores.VOCABULARY_GRAPH``), as in the local stores.

Queries against the server see the union of its named graphs only if it is set up so
(``oxigraph serve --union-default-graph``; Fuseki: ``tdb2:unionDefaultGraph true``).
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from tiltaksgraf.errors import TiltaksgrafError
from tiltaksgraf.graph.stores import VOCABULARY_GRAPH, to_oxigraph, vocabulary_graph
from tiltaksgraf.graph.store import dataset_file

__all__ = ["PushError", "PushedGraph", "push", "graph_url"]


class PushError(TiltaksgrafError):
    """The server could not be reached or refused a graph."""


@dataclass(frozen=True)
class PushedGraph:
    graph: str
    triples: int
    status: int


def graph_url(endpoint_url: str, graph_iri: str) -> str:
    """The Graph Store Protocol URL of one named graph (indirect identification, ``?graph=``)."""
    parts = urllib.parse.urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PushError(f"not an http(s) URL: {endpoint_url!r}",
                        hint="pass the server's Graph Store endpoint, e.g. http://127.0.0.1:7878/store")
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in query if k not in ("graph", "default")] + [("graph", graph_iri)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def push(graph_dir: str | Path, endpoint_url: str, *, timeout: float = 120.0,
         on_graph: Callable[[PushedGraph], None] | None = None) -> list[PushedGraph]:
    """PUT every named graph of the build in ``graph_dir`` to the Graph Store at ``endpoint_url``."""
    graph_url(endpoint_url, "urn:check")  # a bad URL fails before any work
    graphs = _named_graphs(dataset_file(graph_dir))
    if not graphs:
        raise PushError("the build has no named graphs to push", path=str(graph_dir),
                        hint="rebuild it with 'tiltaksgraf build'")
    present = {triple for triples in graphs.values() for triple in triples}
    missing = [t for t in (_ox_triple(t) for t in vocabulary_graph()) if t not in present]
    if missing:
        graphs[str(VOCABULARY_GRAPH)] = missing
    pushed = []
    for iri in sorted(graphs):
        result = _put(graph_url(endpoint_url, iri), iri, graphs[iri], timeout)
        pushed.append(result)
        if on_graph:
            on_graph(result)
    return pushed


def _named_graphs(trig: Path) -> dict[str, list[ox.Triple]]:
    """The triples of each named graph of a TriG file (read with Oxigraph's parser, which is
    some twenty times faster than rdflib's)."""
    graphs: dict[str, list[ox.Triple]] = {}
    try:
        for quad in ox.parse(path=str(trig), format=ox.RdfFormat.TRIG):
            if isinstance(quad.graph_name, ox.NamedNode):  # a GSP cannot name the default graph's blank nodes
                graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    except (SyntaxError, OSError) as exc:
        raise PushError(f"cannot read the dataset: {exc}", path=str(trig),
                        hint="rebuild it with 'tiltaksgraf build'") from exc
    return graphs


def _ox_triple(triple) -> ox.Triple:
    s, p, o = (to_oxigraph(term) for term in triple)
    return ox.Triple(s, p, o)  # type: ignore[arg-type]  # a build's subjects and predicates are IRIs


def _put(url: str, iri: str, triples: list[ox.Triple], timeout: float) -> PushedGraph:
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    request = urllib.request.Request(url, data=body, method="PUT",
                                     headers={"Content-Type": "application/n-triples; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()[:300]
        hint = {401: "the server wants credentials", 403: "the server is read-only or refuses writes",
                404: "is this the Graph Store endpoint (Oxigraph: /store, Fuseki: /DATASET/data)?",
                405: "the server does not accept PUT here: pass its Graph Store endpoint, not /query",
                413: "the server refuses a body this large"}.get(exc.code)
        raise PushError(f"PUT of graph <{iri}> failed: {exc.code} {exc.reason}" + (f": {detail}" if detail else ""),
                        path=url, hint=hint) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise PushError(f"cannot reach the server: {getattr(exc, 'reason', exc)}", path=url,
                        hint="is it running, and is the URL right?") from exc
    return PushedGraph(iri, len(triples), status)
