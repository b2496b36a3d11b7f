"""Terms between rdflib, Oxigraph and SPARQL text, and the status vocabulary every store carries.

Input: rdflib terms (or Oxigraph terms). Output: the same term on the other side
(``to_oxigraph``/``from_oxigraph``), a ``VALUES`` block in N-Triples syntax with quotes, backslashes
and IRIs checked (``values_clause``, ``with_values``: how a remote endpoint gets its bindings), and
the status scheme of the ontology (``vocabulary_graph``, ``missing_vocabulary``) that each store
adds where a build lacks it, so status labels answer alike on every store.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD
from rdflib.term import Node

from tiltaksgraf.errors import QueryError
from tiltaksgraf.graph.iri import mint_iri

# The status scheme (skos:prefLabel "Ferdig"@nb, "Completed"@en, skos:notation …) is declared in the
# ontology file; what of it a build does not carry goes into this named graph, so status labels
# answer alike on every store.
VOCABULARY_GRAPH = mint_iri("graph", "vocabulary")
_RDF_LANG_STRING = str(RDF.langString)
_XSD_STRING = str(XSD.string)


_TOKENS = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                     r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*|[{}]'
                     r'|\bCONSTRUCT\b|\bWHERE\b', re.IGNORECASE)


def with_values(text: str, bindings: Mapping[str, Node]) -> str:
    """The query with a VALUES block of the bindings as the first element of its top-level
    group (after ``WHERE {``): the query's own patterns join with it, so the parameters
    constrain the query as SEP-0007 substitution and rdflib's initBindings do on the other
    stores (both the query's projection and its top-level group see them)."""
    clause = values_clause(bindings)
    depth = 0
    skip_template = False
    for match in _TOKENS.finditer(text):
        token = match.group(0)
        upper = token.upper()
        if upper == "CONSTRUCT" and depth == 0:
            skip_template = True
        elif upper == "WHERE" and depth == 0:
            skip_template = False
        elif token == "{":
            if depth == 0 and not skip_template:
                return f"{text[:match.end()]} {clause}\n{text[match.end():]}"
            depth += 1
        elif token == "}":
            depth -= 1
    raise QueryError("cannot bind parameters: the query has no group pattern")


def values_clause(bindings: Mapping[str, Node]) -> str:
    """``VALUES (?a ?b) { (<iri> "text"@nb) }`` from terms, each written by rdflib's escaping."""
    names = list(bindings)
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise QueryError(f"not a variable name: {name!r}")
        if isinstance(bindings[name], BNode):
            raise QueryError(f"a blank node cannot be bound to ?{name}")
    head = " ".join(f"?{n}" for n in names)
    row = " ".join(_n3(bindings[n]) for n in names)
    return f"VALUES ({head}) {{ ({row}) }}"


def _n3(term: Node) -> str:
    if isinstance(term, URIRef):
        if not _IRI_OK.fullmatch(str(term)):
            raise QueryError(f"not a valid IRI: {str(term)!r}")
        return f"<{term}>"
    if isinstance(term, Literal):
        return _literal_nt(term)
    raise QueryError(f"cannot bind {term!r}")


_IRI_OK = re.compile(r'[^\x00-\x20<>"{}|^`\\]+')


def _literal_nt(term: Literal) -> str:
    escaped = (str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    if term.language:
        if not re.fullmatch(r"[A-Za-z]+(-[A-Za-z0-9]+)*", term.language):
            raise QueryError(f"not a language tag: {term.language!r}")
        return f'"{escaped}"@{term.language}'
    if term.datatype and str(term.datatype) != _XSD_STRING:
        return f'"{escaped}"^^{_n3(URIRef(term.datatype))}'
    return f'"{escaped}"'


def to_oxigraph(term: Node) -> ox.NamedNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise QueryError(f"cannot bind {term!r}: only IRIs and literals can be parameters")


@lru_cache(maxsize=1 << 16)
def from_oxigraph(term: Any) -> Node:
    """The rdflib term for an Oxigraph term. Cached: rdflib's Literal constructor is most of the
    cost of reading a result, and terms (immutable on both sides) recur across results."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype in (_XSD_STRING, _RDF_LANG_STRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return Literal(str(term))  # RDF-star triple terms: shown as text


@lru_cache(maxsize=1)
def vocabulary_graph() -> Graph:
    """The status scheme from the ontology file: the concepts, their labels and notations."""
    from tiltaksgraf.ontology.terms import TG_STATUS, load_ontology

    ontology = load_ontology()
    subjects = {TG_STATUS, *ontology.subjects(SKOS.inScheme, TG_STATUS)}
    graph = Graph()
    for subject in subjects:
        for _s, p, o in ontology.triples((subject, None, None)):
            graph.add((subject, p, o))
    return graph


def missing_vocabulary(graph: Graph) -> Graph:
    """The triples of the status scheme that ``graph`` lacks (all of them for a build that does
    not carry the scheme; none once it carries all of it)."""
    missing = Graph()
    for triple in vocabulary_graph():
        if triple not in graph:
            missing.add(triple)
    return missing
