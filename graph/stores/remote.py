"""A remote SPARQL 1.1 Protocol endpoint as a store, e.g. a shared server the graph was pushed to.

Input: the endpoint's query URL. Output: ``SparqlEndpointStore``, whose ``query`` returns a
``QueryResult`` of rdflib terms. A remote endpoint only takes text, so bindings travel as a
``VALUES`` block (``terms.with_values``); the server must use the union of its named graphs as
default graph (``oxigraph serve --union-default-graph``; Fuseki: ``tdb2:unionDefaultGraph true``).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from tiltaksgraf.errors import InputError, QueryError
from tiltaksgraf.graph.stores.base import QueryResult, QueryTimeout, Store, _check_rows, _strip_comments
from tiltaksgraf.graph.stores.terms import _RDF_LANG_STRING, _XSD_STRING, with_values

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
