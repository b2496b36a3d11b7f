"""HTML views without a browser: offline (no external URL), escaped, carrying exactly the
projection; exports that other tools can read back."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest

from tiltaksgraf.errors import UsageError
from tiltaksgraf.graph import network as nw
from tiltaksgraf.graph import viz


class _Page(HTMLParser):
    """Every tag with its attributes, and the text of the JSON data blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.blocks: dict[str, str] = {}
        self._block: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        attributes = dict(attrs)
        self._block = attributes.get("id") if tag == "script" and attributes.get("type") == "application/json" else None

    def handle_endtag(self, tag):
        self._block = None

    def handle_data(self, data):
        if self._block:
            self.blocks[self._block] = self.blocks.get(self._block, "") + data


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def views(tmp_path_factory, kg) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("views")
    paths = {p.stem: p for p in viz.write_default_views(kg, out)}
    paths["entity"] = viz.write_view(kg, "entity", out / "entity.html", "Bufdir")
    paths["measure"] = viz.write_view(kg, "measure", out / "measure.html", "12")
    return paths


def test_viz_default_views_are_written(views):
    assert views["collaboration"].name == "collaboration.html" and views["overview"].name == "overview.html"
    leftovers = [p for p in views["collaboration"].parent.iterdir() if p.name.startswith(".")]
    assert not leftovers, "a temporary file was left behind"


@pytest.mark.parametrize("view", ["collaboration", "overview", "entity", "measure"])
def test_viz_page_loads_nothing_from_outside(views, view):
    html = views[view].read_text("utf-8")
    page = parse(html)
    for tag, attrs in page.tags:
        for name in ("src", "href", "srcset", "data", "action", "poster"):
            assert attrs.get(name) is None, f"<{tag} {name}=…> in {view}.html"
        assert tag not in ("link", "iframe", "object", "embed", "base", "img")
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", html), "a stylesheet fetches from the network"
    assert not re.search(r"@import", html)
    csp = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]


@pytest.mark.parametrize("view", ["collaboration", "overview"])
def test_viz_page_carries_exactly_the_projection(views, kg, view):
    G = {"collaboration": nw.collaboration_network, "overview": nw.overview_network}[view](kg)
    page = parse(views[view].read_text("utf-8"))
    nodes, edges = json.loads(page.blocks["tg-nodes"]), json.loads(page.blocks["tg-edges"])
    assert {n["id"] for n in nodes} == set(G)
    assert len(edges) == G.number_of_edges()
    assert {frozenset((e["from"], e["to"])) for e in edges} == {frozenset(e) for e in G.edges}
    meta = json.loads(page.blocks["tg-meta"])
    assert sum(k["count"] for k in meta["kinds"]) == len(G)


def test_viz_overview_filters_offer_ministries_and_statuses(views):
    meta = json.loads(parse(views["overview"].read_text("utf-8")).blocks["tg-meta"])
    assert {"BFD", "HOD", "JD"} <= {m["value"] for m in meta["ministries"]}
    assert {s["value"] for s in meta["statuses"]} <= {"Ferdig", "Påbegynt", "Påbegynt - løpende"}
    assert "Measure" in {k["kind"] for k in meta["kinds"]}


def test_viz_escapes_everything_from_the_report(tiny, evil, tmp_path):
    html = viz.write_view(tiny, "entity", tmp_path / "evil.html", evil.label).read_text("utf-8")
    for raw in ("<script>window.__pwned", "<img src=x", "<b>bold", "<b>EVL", "</script><img"):
        assert raw not in html
    page = parse(html)
    assert sum(1 for tag, _a in page.tags if tag == "script") == 5  # 3 data blocks, vis-network, ours
    assert not any(tag in ("img", "b") for tag, _a in page.tags)
    title = re.search(r'<h1 id="tg-title">(.*?)</h1>', html).group(1)
    assert "&lt;script&gt;" in title
    nodes = json.loads(page.blocks["tg-nodes"])
    assert {n["tg"]["name"] for n in nodes} >= {evil.label, evil.amp}
    edges = json.loads(page.blocks["tg-edges"])
    assert any(evil.sentence in e["tg"]["evidence"] for e in edges)


def test_viz_check_view_rejects_bad_arguments():
    with pytest.raises(UsageError, match="unknown view"):
        viz.check_view("pie", None)
    with pytest.raises(UsageError, match="needs a name"):
        viz.check_view("entity", None)
    with pytest.raises(UsageError, match="takes no name"):
        viz.check_view("overview", "x")
    with pytest.raises(UsageError, match="by its number"):
        viz.check_view("measure", "twelve")


def test_viz_default_views_from_a_dataset(tiny_dataset, tmp_path):
    """``graph/build`` may hand over a Dataset: its named graphs are unioned (its default graph
    alone is empty)."""
    viz.write_default_views(tiny_dataset, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["collaboration.html", "overview.html"]
    page = parse((tmp_path / "overview.html").read_text("utf-8"))
    assert len(json.loads(page.blocks["tg-nodes"])) == 5  # two measures, three agencies


@pytest.mark.parametrize("network", ["collaboration", "measure-entity"])
def test_viz_export_graphml_and_gexf_read_back(kg, tmp_path, network):
    G = {"collaboration": nw.collaboration_network, "measure-entity": nw.measure_entity_network}[network](kg)
    graphml = nx.read_graphml(viz.export_network(kg, "graphml", tmp_path, network=network))
    assert (graphml.number_of_nodes(), graphml.number_of_edges()) == (G.number_of_nodes(), G.number_of_edges())
    some = next(iter(G.edges))
    assert graphml.edges[some]["weight"] == G.edges[some]["weight"]
    assert graphml.edges[some]["measures"] == ";".join(map(str, G.edges[some]["measures"]))
    gexf = nx.read_gexf(viz.export_network(kg, "gexf", tmp_path / f"{network}.gexf", network=network))
    assert (gexf.number_of_nodes(), gexf.number_of_edges()) == (G.number_of_nodes(), G.number_of_edges())


def test_viz_export_csv_edge_list(kg, collab, tmp_path):
    path = viz.export_network(kg, "csv", tmp_path)
    assert path.name == "collaboration.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))
    assert len(rows) == collab.number_of_edges()
    assert {frozenset((r["source"], r["target"])) for r in rows} == {frozenset(e) for e in collab.edges}
    assert all(r["evidence"] and int(r["weight"]) >= 1 for r in rows)


def test_viz_export_rejects_unknown_format_and_network(kg, tmp_path):
    with pytest.raises(UsageError, match="unknown format"):
        viz.export_network(kg, "pdf", tmp_path)
    with pytest.raises(UsageError, match="unknown network"):
        viz.export_network(kg, "csv", tmp_path, network="everything")


@pytest.mark.parametrize("lang", viz.LANGUAGES)
def test_views_name_every_kind_relation_and_view_in_each_language(lang):
    text = viz.view_text(lang)
    assert set(viz.STYLES) | {"Agency", "Entity"} <= set(text["kinds"])
    assert set(viz.RELATION_STYLES) <= set(text["relations"])
    assert set(viz.VIEWS) == set(text["views"]) and all(len(v) == 3 for v in text["views"].values())
    assert set(text["ui"]) == set(viz.view_text("en")["ui"])


def test_viz_names_a_measure_by_its_id_and_a_short_title(kg):
    # Issue 17: measures were bare numbers in the networks.
    assert viz.short_title("Kompetanse om vold og overgrep i alle relevante utdanninger") == (
        "Kompetanse om vold og overgrep…")
    assert viz.short_title("Kort tittel") == "Kort tittel"
    assert viz.short_title("Ettveldigsammensattordsomikkefårplassidet") == "Ettveldigsammensattordsomikkef…"
    G = nw.overview_network(kg)
    labels = [viz._vis_node(n, a, 1)["label"] for n, a in G.nodes(data=True) if a["type"] == "Measure"]
    assert labels and all(re.fullmatch(r"Tiltak [^:]+: \S.{0,30}", label) for label in labels)
