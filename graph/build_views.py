"""The build's default views (``collaboration.html``, ``overview.html``) from its records.

Input: the chunks of the graph being built (``graph.build.Chunk``), or the build's
``Extraction``s and corrections. Output: the pages' HTML, by view. Two ways to the same pages
(tested byte for byte), chosen by ``tiltaksgraf/pipeline``:

- ``ViewsIndex`` gathers what the views read while the build makes and writes the graph: one
  pass, in one process (no core free, or a report too large to build twice);
- ``view_pages`` builds the graph once more, only for the views, in a forked child on a free core
  while the build writes graph.ttl and graph.trig. The child imports this module (networkx and
  pyvis, ~0.06 s) and ``prepare``s while the build is still reading the reports
  (``forked.Awaiting``), so the views cost the build little more than the wait for the child.
"""

from __future__ import annotations

from collections.abc import Sequence

from tiltaksgraf.extract.corrections import CorrectionOutcome
from tiltaksgraf.graph import viz
from tiltaksgraf.graph.build import BuiltGraph, Chunk, build_dataset
from tiltaksgraf.graph.index import READ_PREDICATES, TripleIndex
from tiltaksgraf.graph.default_views import DEFAULT_VIEW_NODES
from tiltaksgraf.ontology.terms import TG
from tiltaksgraf.records import Extraction


class ViewsIndex:
    """The ``TripleIndex`` that ``views`` read, gathered from the graph as it is built: each
    measure's chunk (``add_chunk``, for ``build_dataset``'s ``on_chunk``), then the nodes the
    measures share (``add_shared``)."""

    def __init__(self, views: Sequence[str]) -> None:
        self.index = TripleIndex()
        self._classes = frozenset[str]().union(*(DEFAULT_VIEW_NODES[view] for view in views))
        # a measure's tg:mentions are read with its mentions only (the collaboration network reads neither)
        self._shared = (READ_PREDICATES if str(TG.Mention) in self._classes
                        else READ_PREDICATES - {str(TG.mentions)})

    def add_chunk(self, chunk: Chunk) -> None:
        self.index.add_chunk(chunk.triples, self._classes)

    def add_shared(self, built: BuiltGraph) -> None:
        self.index.add(built.iter_value_triples(self._shared))


def prepare(lang: str = "nb") -> None:
    """What a page needs before the build's records come: this module imported (by the caller),
    the assets read and the template compiled."""
    viz.warm(lang)


def view_pages(extractions: list[Extraction], outcomes: Sequence[CorrectionOutcome], lang: str,
               views: Sequence[str]) -> dict[str, str]:
    """The HTML of ``views`` by view, for the graph of ``extractions`` corrected by ``outcomes``
    (built again here: only what the views read is kept)."""
    index = ViewsIndex(views)
    index.add_shared(build_dataset(extractions, outcomes, on_chunk=index.add_chunk))
    return viz.default_pages(index.index, lang, views=views)
