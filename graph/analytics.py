"""Stage 6, network (3/3): analytics over the projections.

Input: a networkx projection (``graph/projections``) or the knowledge graph. Output: small frozen
records: ``Centrality`` rows, communities (Louvain, fixed seed), ``Bridge`` agencies and the
``NetworkStats`` that ``tiltaksgraf stats`` prints.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from tiltaksgraf.graph.index import TripleSource, _index, as_graph
from tiltaksgraf.graph.projections import collaboration_network, measure_entity_network, overview_network

LOUVAIN_SEED = 20170101  # fixed, so the communities (and `stats`) are the same on every run

# --- analytics --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Centrality:
    node: str
    label: str
    name: str
    type: str
    group: str
    degree: int  # number of neighbours
    weighted_degree: float  # sum of edge weights
    degree_centrality: float  # degree / (n - 1)
    betweenness: float  # normalised, unweighted shortest paths


def centrality(G: nx.Graph) -> list[Centrality]:
    """Degree and betweenness centrality of every node, highest betweenness then degree first.
    Betweenness counts unweighted shortest paths: a weight here is a count of shared measures
    (a strength), not a distance."""
    degree = nx.degree_centrality(G) if len(G) > 1 else {n: 0.0 for n in G}
    between = nx.betweenness_centrality(G, normalized=True)
    rows = [Centrality(n, str(a.get("label", n)), str(a.get("name", n)), str(a.get("type", "")),
                       str(a.get("group", "")), G.degree(n), float(G.degree(n, weight="weight")),
                       degree[n], between[n])
            for n, a in G.nodes(data=True)]
    return sorted(rows, key=lambda r: (-r.betweenness, -r.degree, r.name))


def communities(G: nx.Graph, *, seed: int = LOUVAIN_SEED) -> list[tuple[str, ...]]:
    """Louvain communities (weighted, fixed seed), largest first; each a tuple of node IRIs
    ordered by name."""
    if G.number_of_edges() == 0:
        return [(n,) for n in sorted(G)]
    found = nx.community.louvain_communities(G, weight="weight", seed=seed)

    def name(n: str) -> str:
        return str(G.nodes[n].get("name", n))

    groups = [tuple(sorted(c, key=name)) for c in found]
    return sorted(groups, key=lambda c: (-len(c), name(c[0])))


@dataclass(frozen=True)
class Bridge:
    agency: str
    label: str
    name: str
    ministries: dict[str, tuple[int, ...]]  # responsible ministry (short label) → measure numbers


def bridging_agencies(data: TripleSource) -> list[Bridge]:
    """Agencies that link the areas of different ministries.

    For an agency A, let M(A) be the measures whose text (description or reporting; not the
    ANSVAR column) mentions A, and resp(m) the ministries responsible for measure m (the ANSVAR
    column; "Alle departementer" counts as one more ministry). A is *bridging* when M(A) holds
    two measures m1, m2 whose responsible ministries are disjoint: resp(m1) ∩ resp(m2) = ∅ —
    A appears in the work of ministries that share no measure between them. Its score is the
    number of distinct ministries over M(A), the union of resp(m). Sorted by score, then by
    |M(A)|, then name; each ``Bridge`` maps every ministry to A's measures under it.
    """
    g = as_graph(data)
    index = _index(g)
    G = measure_entity_network(g)
    bridges = []
    for n, attrs in G.nodes(data=True):
        if attrs["type"] != "Agency":
            continue
        measures = [index.measures[m] for m in G.neighbors(n) if m in index.measures]
        if not any(not set(a.ministry_iris) & set(b.ministry_iris)
                   for a, b in itertools.combinations(measures, 2) if a.ministry_iris and b.ministry_iris):
            continue
        by_ministry: dict[str, list[int]] = defaultdict(list)
        for m in measures:
            for ministry in m.ministries:
                by_ministry[ministry].append(m.number)
        bridges.append(Bridge(n, str(attrs["label"]), str(attrs["name"]),
                              {k: tuple(sorted(v)) for k, v in sorted(by_ministry.items())}))
    return sorted(bridges, key=lambda b: (-len(b.ministries), -len({x for v in b.ministries.values() for x in v}),
                                          b.name))


@dataclass(frozen=True)
class NetworkStats:
    agencies_by_degree: list[Centrality]  # in the collaboration network
    agencies_by_betweenness: list[Centrality]
    programmes: list[Centrality]  # in the overview network
    laws: list[Centrality]  # in the overview network
    communities: list[tuple[str, ...]]  # of the collaboration network, as names
    bridges: list[Bridge]
    collaboration_size: tuple[int, int]  # nodes, edges
    overview_size: tuple[int, int]


def network_stats(data: TripleSource, *, top: int = 10) -> NetworkStats:
    """What ``tiltaksgraf stats`` prints: the ``top`` agencies by centrality in the collaboration
    network, the top programmes and laws by centrality in the overview network (there a
    programme's degree is the number of measures and agencies linked to it), the collaboration
    network's communities and the bridging agencies."""
    g = as_graph(data)
    collab = collaboration_network(g)
    overview = overview_network(g)
    over = centrality(overview)

    def by_degree(rows: list[Centrality]) -> list[Centrality]:
        return sorted(rows, key=lambda r: (-r.degree, -r.betweenness, r.name))

    names = [tuple(str(collab.nodes[n]["name"]) for n in c) for c in communities(collab)]
    agencies = centrality(collab)
    return NetworkStats(
        agencies_by_degree=by_degree(agencies)[:top],
        agencies_by_betweenness=agencies[:top],
        programmes=by_degree([r for r in over if r.type == "Programme"])[:top],
        laws=by_degree([r for r in over if r.type == "Law"])[:top],
        communities=names,
        bridges=bridging_agencies(g)[:top],
        collaboration_size=(collab.number_of_nodes(), collab.number_of_edges()),
        overview_size=(overview.number_of_nodes(), overview.number_of_edges()),
    )
