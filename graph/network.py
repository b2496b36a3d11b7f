"""Stage 6, network: the RDF knowledge graph → networkx projections → analytics.

Input: the build's ``BuiltGraph`` (its ``union()``), a ``TripleIndex`` over its quads, or an rdflib
``Graph`` or ``Dataset`` (named graphs unioned) read back from a build. Output: plain networkx
graphs whose nodes are IRIs (as strings) and whose attributes are plain Python values, and small
frozen records with the analytics.

Projections, one public function each:

- ``collaboration_network``: agencies that the text says work together (``tg:Collaboration``);
  an edge's ``weight`` is the number of measures the collaborations occur in, and the edge
  carries those ``measures``, the ``programmes`` (and plans, reports) they concern and the
  ``evidence`` sentences.
- ``measure_entity_network``: every measure and every entity its text mentions (``tg:Mention``);
  an edge's ``weight`` is the number of mentions, with the sentences as ``evidence``.
- ``crossref_network``: measures and the measures their text refers to (directed).
- ``overview_network``: all measures with everything above plus the responsible ministries: the
  whole plan as one network (the "overview" view, and the space neighbourhoods are taken in).
- ``programme_trace``: one programme, the measures that mention it and their agencies.
- ``neighbourhood`` / ``measure_neighbourhood``: the part of the overview within ``radius`` steps
  of an entity (found by name, alternative name or IRI) or of a measure.

Every node has ``label`` (short, for drawing), ``name`` (the preferred label), ``type``
(``Measure``, ``Agency``, ``Programme``, ``Law``, ``Report``, ``Plan``), ``group`` (the type, or
for an agency its kind — see ``assets/agency-kinds.json``), ``measures`` (numbers),
``ministries`` and ``statuses`` (of those measures). Every edge has ``relation`` (a tuple of
``collaboration``, ``co-mention``, ``mentions``, ``responsible``, ``refers to``), ``weight``,
``measures``, ``ministries``, ``statuses``, ``programmes`` and ``evidence``.

Analytics: ``centrality`` (degree, weighted degree, betweenness), ``communities`` (Louvain with a
fixed seed), ``bridging_agencies`` and ``network_stats``, which gathers them for ``stats``.
"""

from __future__ import annotations

# The public names live in one module per job; they stay importable from here, where the API,
# the notebooks and the tests import them.
from tiltaksgraf.graph.analytics import (
    LOUVAIN_SEED, Bridge, Centrality, NetworkStats, bridging_agencies, centrality, communities, network_stats)
from tiltaksgraf.graph.index import (
    READ_PREDICATES, EntityInfo, MeasureInfo, TripleIndex, agency_kind, as_graph, short_label)
from tiltaksgraf.graph.lookup import resolve_entity
from tiltaksgraf.graph.projections import (
    collaboration_network, crossref_network, measure_entity_network, measure_neighbourhood, neighbourhood,
    overview_network, programme_trace)

__all__ = [
    "LOUVAIN_SEED", "READ_PREDICATES", "Bridge", "Centrality", "EntityInfo", "MeasureInfo", "NetworkStats",
    "TripleIndex", "agency_kind", "as_graph", "bridging_agencies", "centrality", "collaboration_network",
    "communities", "crossref_network", "measure_entity_network", "measure_neighbourhood", "neighbourhood",
    "network_stats", "overview_network", "programme_trace", "resolve_entity", "short_label",
]
