"""Query results as Python values and as text in a named format: the table of formats and the dispatch.

Input: a ``QueryResult``. Output: ``python_rows`` (plain Python values), ``format_result`` (text in
a SPARQL results format, a graph format, or Markdown), and the format tables the CLI and the
endpoint offer. One module per format family writes the text: ``sparql_results`` (JSON, XML),
``csv_results`` (CSV, TSV), ``text_results`` (Markdown, terms for people), ``rdfxml`` (RDF/XML).
"""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Literal
from rdflib.term import Node

from tiltaksgraf.errors import UnwritableResult
from tiltaksgraf.queries.csv_results import _results_csv, _results_tsv
from tiltaksgraf.queries.sparql_results import _results_json, _results_xml
from tiltaksgraf.queries.text_results import _results_markdown
from tiltaksgraf.errors import QueryError
from tiltaksgraf.graph.stores import QueryResult

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
