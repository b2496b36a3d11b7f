"""Stage 6, network: finding an entity of the graph by its name.

Input: what ``graph/index.as_graph`` accepts and a name as a user typed it. Output: the entity's IRI,
or an ``InputError`` that names close matches.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence

from rdflib import Graph

from tiltaksgraf.errors import InputError
from tiltaksgraf.graph.index import EntityInfo, _index, as_graph


# --- finding things by name -------------------------------------------------------------------------


def resolve_entity(data: Graph, name: str, *, types: Sequence[str] | None = None) -> str:
    """The IRI of the entity called ``name``: its IRI, its entity key, or (case-insensitively) its
    preferred or an alternative label. Raises ``InputError`` naming close matches when nothing
    (or more than one thing) fits."""
    g = as_graph(data)
    entities = [e for e in _index(g).entities.values() if types is None or e.type in types]
    what = " or ".join(t.lower() for t in types) if types else "entity"
    query = name.strip()
    for e in entities:
        if query == e.iri or query == e.key:
            return e.iri
    folded = query.casefold()
    by_pref = [e for e in entities if e.name.casefold() == folded]
    by_alt = [e for e in entities if folded in {a.casefold() for a in e.alt_labels}]
    found = by_pref or by_alt
    if len({e.iri for e in found}) == 1:
        return found[0].iri
    if found:
        raise InputError(f"{query!r} names more than one {what}: "
                         + "; ".join(_describe(e) for e in sorted(found, key=lambda e: e.name)),
                         hint="give the full name or the IRI")
    if types is not None:
        try:
            other = _index(g).entities[resolve_entity(g, query)]
        except InputError:
            pass
        else:
            raise InputError(f"{query!r} is {_describe(other)}, not a {what}",
                             hint="'tiltaksgraf viz entity NAME' shows any entity's neighbourhood")
    suggestions = _close_matches(query, entities)
    hint = ("did you mean: " + "; ".join(_describe(e) for e in suggestions)) if suggestions else (
        "'tiltaksgraf stats' lists the agencies, programmes and laws")
    raise InputError(f"no {what} called {query!r} in the graph", hint=hint)


def _describe(e: EntityInfo) -> str:
    return f"{e.name} ({e.type})" if e.label == e.name else f"{e.name} [{e.label}] ({e.type})"


def _close_matches(query: str, entities: list[EntityInfo], limit: int = 6) -> list[EntityInfo]:
    folded = query.casefold()
    by_label: dict[str, list[EntityInfo]] = defaultdict(list)
    for e in entities:
        for label in (e.name, *e.alt_labels):
            by_label[label.casefold()].append(e)
    close = difflib.get_close_matches(folded, list(by_label), n=limit * 2, cutoff=0.6)
    contained = sorted((label for label in by_label if len(folded) >= 3 and folded in label), key=len)
    seen: dict[str, EntityInfo] = {}
    for label in [*close, *contained]:
        for e in by_label[label]:
            seen.setdefault(e.iri, e)
    return list(seen.values())[:limit]
