"""SPARQL 1.1 Query Results in CSV and TSV.

Input: a SELECT or ASK ``QueryResult``. Output: CSV (plain values, cells a spreadsheet would take
for a formula made inert) or TSV (terms in SPARQL syntax).
"""

from __future__ import annotations

import csv
import io
import re

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from tiltaksgraf.errors import UnwritableResult
from tiltaksgraf.errors import QueryError
from tiltaksgraf.graph.stores import QueryResult

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
    if not isinstance(term, Literal):  # an RDF-star triple term: shown as its text
        term = Literal(str(term))
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
