"""Query results for people: Markdown tables, terms with the project's IRIs shortened, and the
short names people read (Bufdir, NKVTS) in place of full names.

Input: a ``QueryResult``, a term, or a store. Output: Markdown (``md``), ``display`` text
(``id:entity/nkvts``), ``short_names`` (full name → short name) and ``shortened`` cell text.
"""

from __future__ import annotations

from collections import Counter

from rdflib import URIRef
from rdflib.term import Node

from tiltaksgraf.graph.index import short_label
from tiltaksgraf.graph.stores import QueryResult, Store
from tiltaksgraf.ontology.terms import TG
from tiltaksgraf.queries.csv_results import _plain
from tiltaksgraf.queries.params import label_index


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


# Separators of the lists named queries aggregate (GROUP_CONCAT): each item is shortened alone.
_LIST_SEPARATORS = (" | ", "; ", ", ")


def short_names(store: Store) -> dict[str, str]:
    """Each entity's full name → the short name drawn in the views (``graph.index.short_label``:
    "Barne-, ungdoms- og familiedirektoratet" → "Bufdir"), for names that differ from it and that
    only one entity has. Read from the store's label index (``queries.params.label_index``), which
    the parameters use too."""
    entities = [c for c in label_index(store).by_iri.values() if "Status" not in c.types]
    owners = Counter(c.name for c in entities)
    out: dict[str, str] = {}
    for c in entities:
        short = short_label(c.name, sorted(c.alt_labels))
        if owners[c.name] == 1 and short != c.name and not short.endswith("…"):
            out[c.name] = short
    return out


def shortened(text: str, short: dict[str, str]) -> str:
    """``text`` with a full name that makes up the whole cell, or one item of a list, replaced by
    its short name."""
    if text in short:
        return short[text]
    for separator in _LIST_SEPARATORS:
        items = text.split(separator)
        if len(items) > 1 and any(item in short for item in items):
            return separator.join(short.get(item, item) for item in items)
    return text
