"""Stage 7, exports: a networkx projection (``graph/network``) → a file other tools read: GraphML or
GEXF (Gephi, yEd, Cytoscape) or a CSV edge list. List attributes become ``;``-separated text.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import networkx as nx

from tiltaksgraf.errors import UsageError
from tiltaksgraf.graph import network as nw
from tiltaksgraf.graph.index import TripleSource
from tiltaksgraf.graph.store import write_atomic

EXPORT_FORMATS = ("graphml", "gexf", "csv")
EXPORT_NETWORKS = ("collaboration", "measure-entity", "overview", "crossref")


def export_network(data: TripleSource, fmt: str, out: str | Path, *, network: str = "collaboration") -> Path:
    """Write a projection for other tools: ``graphml`` or ``gexf`` (Gephi, yEd, Cytoscape) or a
    ``csv`` edge list. List attributes become ``;``-separated text, sentences one per line.
    ``out`` is a file, or a directory to write ``<network>.<fmt>`` into."""
    check_export(fmt, network)
    builders = {"collaboration": nw.collaboration_network, "measure-entity": nw.measure_entity_network,
                "overview": nw.overview_network, "crossref": nw.crossref_network}
    G = _flat(builders[network](nw.as_graph(data)))
    target = Path(out)
    if target.is_dir():
        target = target / f"{network}.{fmt}"
    if fmt == "csv":
        payload: str | bytes = _edge_list_csv(G)
    else:
        buffer = io.BytesIO()
        (nx.write_graphml if fmt == "graphml" else nx.write_gexf)(G, buffer, encoding="utf-8", prettyprint=True)
        payload = buffer.getvalue()
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, payload)
    return target


def check_export(fmt: str, network: str) -> None:
    """Raise ``UsageError`` unless ``fmt`` and ``network`` are ones ``export_network`` knows."""
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint=f"choose one of {', '.join(EXPORT_FORMATS)}")
    if network not in EXPORT_NETWORKS:
        raise UsageError(f"unknown network {network!r}", hint=f"choose one of {', '.join(EXPORT_NETWORKS)}")


def _flat_value(key: str, value: object) -> object:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ("\n" if key == "evidence" else ";").join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _flat(G: nx.Graph) -> nx.Graph:
    """A copy with only the scalar attributes GraphML and GEXF can hold."""
    F = G.__class__()
    F.graph["name"] = "tiltaksgraf"
    for n, attrs in G.nodes(data=True):
        F.add_node(n, **{k: _flat_value(k, v) for k, v in attrs.items() if v is not None})
    for a, b, attrs in G.edges(data=True):
        F.add_edge(a, b, **{k: _flat_value(k, v) for k, v in attrs.items() if v is not None})
    return F


def _edge_list_csv(G: nx.Graph) -> str:
    columns = ["relation", "weight", "measures", "ministries", "statuses", "programmes", "evidence"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["source", "target", "source_label", "target_label", "source_type", "target_type", *columns])
    for a, b, attrs in G.edges(data=True):
        writer.writerow([a, b, G.nodes[a].get("name", a), G.nodes[b].get("name", b), G.nodes[a].get("type", ""),
                         G.nodes[b].get("type", ""), *(attrs.get(c, "") for c in columns)])
    return buffer.getvalue()
