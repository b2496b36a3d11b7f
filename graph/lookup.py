"""Stage 6, network: finding an entity of the graph by its name, with ``tiltaksgraf.names``.

Input: what ``graph/index.as_graph`` accepts and a name as a user typed it. Output: the entity's IRI,
or an ``InputError`` that says why not and names close matches, worded as ``query -p`` words it.
"""

from __future__ import annotations

from collections.abc import Sequence


from tiltaksgraf.errors import InputError
from tiltaksgraf.graph.index import TripleSource, _Index, _index, as_graph
from tiltaksgraf.names import Candidate, Match, NameIndex, find_entity


def name_index(index: _Index) -> NameIndex:
    """The graph's entities as ``names`` candidates: the key and the short label are exact names."""
    return NameIndex.of(Candidate(e.iri, (e.type,), e.name, tuple(n for n in (e.key, e.label) if n), e.alt_labels)
                        for e in index.entities.values())


def resolve_entity(data: TripleSource, name: str, *, types: Sequence[str] | None = None) -> str:
    """The IRI of the entity called ``name`` (see ``names.find_entity``): its IRI, its entity key,
    or its preferred or an alternative label, folded. Raises ``InputError`` saying why not —
    several fit, it is of another type, or nothing fits — with close spellings as suggestions."""
    found = find_entity(name_index(_index(as_graph(data))), name, types=types)
    if isinstance(found, Match):
        return found.iri
    raise found.error(InputError, search="'tiltaksgraf stats' lists the agencies, programmes and laws")
