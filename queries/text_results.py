"""Query results for people: Markdown tables and terms with the project's IRIs shortened.

Input: a ``QueryResult`` or a term. Output: Markdown (``md``), ``display`` text (``id:entity/nkvts``).
"""

from __future__ import annotations


from rdflib import URIRef
from rdflib.term import Node

from tiltaksgraf.queries.csv_results import _plain
from tiltaksgraf.graph.stores import QueryResult
from tiltaksgraf.ontology.terms import TG

def _results_markdown(result: QueryResult) -> str:
    if result.kind == "ASK":
        return f"| boolean |\n|---|\n| {'true' if result.boolean else 'false'} |\n"

    def cell(term: Node | None) -> str:
        return " ".join(display(term).replace("|", "\\|").split("\n")).strip() if term is not None else ""

    lines = ["| " + " | ".join(result.vars) + " |", "|" + "---|" * len(result.vars)]
    lines += ["| " + " | ".join(cell(t) for t in row) + " |" for row in result.rows]
    return "\n".join(lines) + "\n"


_SHORT = (("https://w3id.org/tiltaksgraf/id/", "id:"), (str(TG._NS), "tg:"),
          ("http://www.w3.org/2004/02/skos/core#", "skos:"))


def display(term: Node | None) -> str:
    """A term for people: IRIs of the project's namespaces shortened (``id:entity/nkvts``)."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        for long, short in _SHORT:
            if str(term).startswith(long):
                return short + str(term)[len(long):]
    return _plain(term)
