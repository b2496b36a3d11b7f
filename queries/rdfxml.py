"""RDF/XML for query results, and which terms the graph formats can carry at all.

Input: an rdflib ``Graph`` (a CONSTRUCT or DESCRIBE result from any store). Output: RDF/XML text
in which every IRI, datatype, language tag and lexical form is escaped, or ``Unwritable`` naming
the term that no RDF/XML (or Turtle, N-Triples) document can hold. Control characters that XML
1.0 cannot carry even as references become U+FFFD, as in the SPARQL XML results.

Why not rdflib's own ``xml`` serializer: it writes ``rdf:datatype`` unescaped (a datatype IRI
``urn:x"><script …>`` became an XHTML ``<script>`` element in well-formed XML) and raises a bare
``ValueError`` for a predicate IRI with a quote. rdflib's store accepts such IRIs from ``IRI()``
(Oxigraph refuses them), so they do reach the writers. The output here is flat: one
``rdf:Description`` per subject, one property element per triple, the namespaces declared on
the root, subjects and triples sorted so the same graph always gives the same text.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

__all__ = ["Unwritable", "check_writable", "serialize_rdfxml", "writable_iri"]

# What RFC 3987 leaves out of an IRI, and so what N-Triples' IRIREF cannot write, escaped or not.
_IRI_OK = re.compile(r'[^\x00-\x20<>"{}|^`\\]+')
_LANGUAGE = re.compile(r"[A-Za-z]+(-[A-Za-z0-9]+)*")
# Characters XML 1.0 cannot carry, not even as a character reference.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NAME_START = ("A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
               "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd")
_LOCAL_NAME = re.compile(f"[{_NAME_START}][{_NAME_START}\\-.0-9\u00b7\u0300-\u036f\u203f-\u2040]*$")
_RDF = str(RDF)
_RDF_SYNTAX = {"RDF", "Description", "ID", "about", "parseType", "resource", "nodeID", "datatype", "li",
               "aboutEach", "aboutEachPrefix", "bagID"}


class Unwritable(ValueError):
    """A term the asked-for format cannot hold; the message names it and says why."""


def writable_iri(iri: str) -> bool:
    return bool(_IRI_OK.fullmatch(iri))


def check_writable(graph: Graph, fmt: str) -> None:
    """Raise ``Unwritable`` for the first IRI (subject, predicate, object or datatype) or
    language tag in ``graph`` that ``fmt`` (Turtle, N-Triples, RDF/XML) cannot write."""
    for triple in graph:
        for term in triple:
            _check_term(term, fmt)


def _check_term(term: Node, fmt: str) -> None:
    if isinstance(term, URIRef) and not writable_iri(str(term)):
        raise Unwritable(f"the result holds {str(term)[:200]!r}, which is not a valid IRI (it has a space, a "
                         f"quote or one of <>{{}}|^`\\) and cannot be written in {fmt}")
    if isinstance(term, Literal):
        if term.datatype is not None:
            _check_term(URIRef(term.datatype), fmt)
        if term.language is not None and not _LANGUAGE.fullmatch(term.language):
            raise Unwritable(f"the result holds the language tag {term.language[:100]!r}, which {fmt} cannot write")


def serialize_rdfxml(graph: Graph) -> str:
    check_writable(graph, "RDF/XML")
    namespaces: dict[str, str] = {}
    nodes: dict[BNode, str] = {}
    by_subject: dict[Node, list[tuple[Node, Node]]] = {}
    for s, p, o in graph:
        by_subject.setdefault(s, []).append((p, o))
    body = []
    for subject in sorted(by_subject, key=_order):
        body.append(f"  <rdf:Description {_node_attr(subject, 'about', nodes)}>")
        for predicate, obj in sorted(by_subject[subject], key=lambda po: (_order(po[0]), _order(po[1]))):
            body.append("    " + _property(str(predicate), obj, namespaces, nodes))
        body.append("  </rdf:Description>")
    declared = "".join(f"\n   xmlns:{prefix}={quoteattr(ns)}" for ns, prefix in namespaces.items())
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF\n   xmlns:rdf="{_RDF}"{declared}\n>\n'
            + "".join(line + "\n" for line in body) + "</rdf:RDF>\n")


def _order(term: Node) -> tuple[int, str]:
    return ({URIRef: 0, BNode: 1}.get(type(term), 2), term.n3() if isinstance(term, Literal) else str(term))


def _node_attr(term: Node, name: str, nodes: dict[BNode, str]) -> str:
    if isinstance(term, BNode):  # labels as XML names: a store's own labels need not be
        return f'rdf:nodeID="{nodes.setdefault(term, f"b{len(nodes)}")}"'
    return f"rdf:{name}={quoteattr(str(term))}"


def _property(predicate: str, obj: Node, namespaces: dict[str, str], nodes: dict[BNode, str]) -> str:
    local = _LOCAL_NAME.search(predicate)
    if local is None or local.start() == 0:
        raise Unwritable(f"the predicate <{predicate[:200]}> cannot be written in RDF/XML: an XML element "
                         "name must end it, and it ends in a character no XML name can")
    namespace = predicate[:local.start()]
    if namespace == _RDF:
        if local.group() in _RDF_SYNTAX:
            raise Unwritable(f"the predicate rdf:{local.group()} cannot be written in RDF/XML, whose syntax uses "
                             "that name; ask for Turtle, N-Triples or JSON-LD")
        tag = f"rdf:{local.group()}"
    else:
        tag = f"{namespaces.setdefault(namespace, f'ns{len(namespaces) + 1}')}:{local.group()}"
    if not isinstance(obj, Literal):
        return f"<{tag} {_node_attr(obj, 'resource', nodes)}/>"
    # As in the SPARQL XML results: what XML 1.0 cannot carry at all becomes U+FFFD.
    text = _NOT_XML.sub("\ufffd", str(obj))
    attribute = (f" xml:lang={quoteattr(obj.language)}" if obj.language else
                 f" rdf:datatype={quoteattr(str(obj.datatype))}" if obj.datatype else "")
    # XML turns a CR in text into LF unless it is a character reference.
    return f"<{tag}{attribute}>{escape(text).replace(chr(13), '&#13;')}</{tag}>"
