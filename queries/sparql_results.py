"""SPARQL 1.1 Query Results in JSON and XML.

Input: a SELECT or ASK ``QueryResult``. Output: the text of ``application/sparql-results+json`` or
``+xml``; control characters XML 1.0 cannot carry become U+FFFD in XML (JSON carries them exactly).
"""

from __future__ import annotations

import json
import re
from xml.sax.saxutils import escape as xml_escape, quoteattr

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from tiltaksgraf.graph.stores import QueryResult

def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if isinstance(term, Literal) and term.language:
        out["xml:lang"] = term.language
    elif isinstance(term, Literal) and term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def _results_json(result: QueryResult) -> str:
    if result.kind == "ASK":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)})
    bindings = [{v: _json_term(t) for v, t in zip(result.vars, row) if t is not None} for row in result.rows]
    return json.dumps({"head": {"vars": result.vars}, "results": {"bindings": bindings}}, ensure_ascii=False)


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _x(text: str) -> str:
    """``text`` as XML character data. XML would read a bare CR as LF, so it is a character
    reference; the control characters XML 1.0 cannot carry at all, not even as references (a
    form feed from a PDF's text), become U+FFFD, so a stray one does not make every XML
    download of the text fail; JSON carries them exactly."""
    return xml_escape(_XML_BAD.sub("\ufffd", text)).replace("\r", "&#13;")


def _xa(text: str) -> str:
    return quoteattr(_XML_BAD.sub("\ufffd", text))


def _results_xml(result: QueryResult) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if result.kind == "ASK":
        out += ["<head/>", f"<boolean>{'true' if result.boolean else 'false'}</boolean>", "</sparql>"]
        return "\n".join(out) + "\n"
    out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in result.vars) + "</head>")
    out.append("<results>")
    for row in result.rows:
        cells = []
        for var, term in zip(result.vars, row):
            if term is None:
                continue
            if isinstance(term, URIRef):
                inner = f"<uri>{_x(str(term))}</uri>"
            elif isinstance(term, BNode):
                inner = f"<bnode>{_x(str(term))}</bnode>"
            elif isinstance(term, Literal) and term.language:
                inner = f"<literal xml:lang={_xa(term.language)}>{_x(str(term))}</literal>"
            elif isinstance(term, Literal) and term.datatype:
                inner = f"<literal datatype={_xa(str(term.datatype))}>{_x(str(term))}</literal>"
            else:
                inner = f"<literal>{_x(str(term))}</literal>"
            cells.append(f"<binding name={quoteattr(var)}>{inner}</binding>")
        out.append("<result>" + "".join(cells) + "</result>")
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"
