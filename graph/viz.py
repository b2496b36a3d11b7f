"""Stage 7, viz: networkx projections (``graph/network``) → self-contained HTML views (the exports
for other tools are in ``graph/exports``, the PNG screenshot in ``graph/screenshot``).

A view is one HTML file that works offline: pyvis' ``Network`` holds the nodes and edges and
renders our template (``assets/view.html``), into which vis-network (the copy pyvis ships), our
script and our stylesheet are inlined. There is no ``src=``/``href=`` in the page and its
Content-Security-Policy forbids every request. Text from the report reaches the page only as
JSON (escaped by ``|tojson``) and is put into the document with ``textContent`` (see
``assets/view.js``), so a label ``<script>`` shows as those characters.

Views: ``collaboration``, ``programme NAME``, ``measure N``, ``entity NAME``, ``overview``. Their
words are in Norwegian Bokmål by default and in English with ``lang="en"`` (``assets/view-text.json``).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import networkx as nx
from jinja2 import BytecodeCache, DictLoader, Environment, select_autoescape

from tiltaksgraf.entity_types import DEFINITIONS as ENTITY_TYPE_DEFS
from tiltaksgraf.errors import TiltaksgrafError, UsageError
from tiltaksgraf.graph import network as nw
from tiltaksgraf.graph.index import TripleSource
from tiltaksgraf.graph.pyvis_loader import pyvis_network
from tiltaksgraf.graph.store import write_atomic
from tiltaksgraf.graph.default_views import (
    DEFAULT_VIEWS, LANGUAGES, VIEWS, VIEWS_WITH_TARGET, check_language, write_pages,
)
# Exports and the screenshot live in their own modules; their public names stay importable from here.
from tiltaksgraf.graph.exports import EXPORT_FORMATS, EXPORT_NETWORKS, check_export, export_network
from tiltaksgraf.graph.screenshot import CHROMIUM_ARGS, find_chromium, screenshot
from tiltaksgraf.records import STATUSES

__all__ = [
    "CHROMIUM_ARGS", "DEFAULT_VIEWS", "EXPORT_FORMATS", "EXPORT_NETWORKS", "STYLES", "VIEWS", "VIEWS_WITH_TARGET",
    "LANGUAGES", "Style", "View", "check_export", "check_language", "check_view", "default_view_path",
    "export_network", "find_chromium",
    "default_pages", "project", "render_html", "render_screenshot", "screenshot", "warm", "write_default_views",
    "write_pages", "write_view",
]

@dataclass(frozen=True)
class Style:
    shape: str  # a vis-network shape with the label below it
    color: str
    symbol: str  # the legend's glyph for the shape


# Legend order. Agencies are split by kind (assets/agency-kinds.json); the other types by type.
STYLES: dict[str, Style] = {
    "Measure": Style("square", "#5f6b7a", "■"),
    "Ministry": Style("star", "#1f3b73", "★"),
    "Directorate & state body": Style("dot", "#4e79a7", "●"),
    "Police & justice": Style("dot", "#76b7b2", "●"),
    "Health service": Style("dot", "#ff9da7", "●"),
    "Municipality & county": Style("dot", "#edc948", "●"),
    "Research & competence": Style("dot", "#b07aa1", "●"),
    "Organisation": Style("dot", "#bab0ac", "●"),
    # every entity type but Agency (drawn by kind, above), from tiltaksgraf/entity_types.py
    **{d.name: Style(d.shape, d.color, d.symbol) for d in ENTITY_TYPE_DEFS if d.name != "Agency"},
}
_FALLBACK = Style("dot", "#999999", "●")
# Edge look by its strongest relation, strongest first.
RELATION_STYLES: dict[str, dict[str, object]] = {
    "collaboration": {"color": "#2b6cb0", "dashes": False},
    "responsible": {"color": "#1f3b73", "dashes": [6, 4]},
    "refers to": {"color": "#9c755f", "dashes": False},
    "co-mention": {"color": "#a0aec0", "dashes": [2, 4]},
    "mentions": {"color": "#c3c9d1", "dashes": False},
}


@dataclass(frozen=True)
class View:
    graph: nx.Graph
    title: str
    subtitle: str
    weight_note: str
    centre: str | None = None


def project(data: TripleSource, view: str, target: str | None = None, *, radius: int = 1, lang: str = "nb") -> View:
    """The network behind one view, with its heading in ``lang``. ``target`` is the programme or
    entity name, or the measure number, for the views that need one."""
    check_view(view, target)
    check_language(lang)
    g = nw.as_graph(data)

    def heading(G: nx.Graph, centre: str | None = None, **fill: object) -> View:
        title, subtitle, weight_note = (part.format(**fill) for part in view_text(lang)["views"][view])
        return View(G, title, subtitle, weight_note, centre)

    if view == "collaboration":
        return heading(nw.collaboration_network(g))
    if view == "overview":
        return heading(nw.overview_network(g))
    if view == "measure":
        number = _measure_number(str(target))
        G = nw.measure_neighbourhood(g, number, radius=radius)
        return heading(G, G.graph.get("centre"), number=number)
    if view == "programme":
        G = nw.programme_trace(g, str(target))
        return heading(G, G.graph["centre"], name=G.nodes[G.graph["centre"]]["name"])
    G = nw.neighbourhood(g, str(target), radius=radius)
    centre = G.graph.get("centre") or next(iter(G))
    return heading(G, centre, name=G.nodes[centre]["name"], radius=radius)


@lru_cache(maxsize=None)
def view_text(lang: str) -> dict[str, dict]:
    """The views' words in ``lang``: ``ui`` (the page and its script), ``kinds``, ``relations``
    and ``views`` (headings); entity types are named as the ontology labels them."""
    check_language(lang)
    text = json.loads(_asset_text(_assets() / "view-text.json"))[lang]
    types = {d.name: d.label_nb if lang == "nb" else d.label_en for d in ENTITY_TYPE_DEFS}
    return {**text, "kinds": {**types, **text["kinds"]}}


def check_view(view: str, target: str | None) -> None:
    """Raise ``UsageError`` unless ``view`` is a view and has a target exactly when it needs one."""
    if view not in VIEWS:
        raise UsageError(f"unknown view {view!r}", hint=f"choose one of {', '.join(VIEWS)}")
    if (view in VIEWS_WITH_TARGET) != (target is not None):
        need = "needs a name or number" if view in VIEWS_WITH_TARGET else "takes no name"
        raise UsageError(f"the {view} view {need}", hint="e.g. 'tiltaksgraf viz programme \"Jeg vet\"', "
                         "'viz measure 12', 'viz entity Bufdir', 'viz collaboration'")
    if view == "measure":
        _measure_number(str(target))


def _measure_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"a measure is given by its number, not {text!r}",
                         hint="e.g. 'tiltaksgraf viz measure 12'") from None


# --- HTML ---------------------------------------------------------------------------------------------


def render_html(view: View, lang: str = "nb") -> str:
    """The view as one self-contained HTML page, its interface in ``lang``."""
    text = view_text(lang)
    Network = pyvis_network()
    from pyvis.edge import Edge
    from pyvis.node import Node

    G = view.graph
    net = Network(height="100%", width="100%", directed=G.is_directed(), heading=view.title, cdn_resources="in_line")
    degree = dict(G.degree())
    for n, attrs in G.nodes(data=True):
        node = Node(n, **_vis_node(n, attrs, degree[n], text["ui"]["measure"])).options  # add_node scans a list
        net.nodes.append(node)
        net.node_ids.append(n)
        net.node_map[n] = node
    # Edges go straight into the list: pyvis' add_edge checks every earlier edge (and scans the
    # node list) on each call, quadratic in a network of 50 reports; networkx edges are unique.
    for i, (a, b, attrs) in enumerate(G.edges(data=True)):
        source, target = (attrs.get("refers_from"), attrs.get("refers_to")) if attrs.get("refers_from") else (a, b)
        net.edges.append(Edge(source, target, G.is_directed(), **_vis_edge(i, attrs, G.is_directed())).options)
    net.templateEnv = _template_env()
    net.path = "view.html"
    net.templateEnv.globals["tg"] = {
        "title": view.title, "subtitle": view.subtitle, "weight_note": view.weight_note,
        "lang": lang, "ui": text["ui"],
        "meta": {**_meta(view), "text": {k: text[k] for k in ("ui", "kinds", "relations")}},
        **_inlined(),
    }
    return net.generate_html()


def _vis_node(n: str, attrs: dict, degree: int, measure_word: str = "Tiltak") -> dict[str, object]:
    """One node as vis-network draws it. A measure is named in the interface's word ("Tiltak 12",
    "Measure 12") and drawn with the first words of its description ("Tiltak 12: Kompetanse om …")."""
    style = STYLES.get(str(attrs.get("group")), _FALLBACK)
    label, name = str(attrs.get("label", n)), str(attrs.get("name", n))
    if attrs.get("type") == "Measure":
        label = name = f"{measure_word} {attrs.get('key', '')}".strip()
        if attrs.get("description"):
            label = f"{name}: {short_title(str(attrs['description']))}"
    return {
        "label": label, "shape": style.shape, "value": degree + 1,
        "color": {"background": style.color, "border": _darker(style.color),
                  "highlight": {"background": style.color, "border": "#111111"},
                  "hover": {"background": style.color, "border": "#111111"}},
        "tg": {"name": name, "type": attrs.get("type", ""), "kind": attrs.get("group", ""),
               "iri": attrs.get("iri", n), "altLabels": list(attrs.get("alt_labels", ())),
               "status": attrs.get("status", ""), "description": attrs.get("description", ""),
               "measures": list(attrs.get("measures", ())), "ministries": list(attrs.get("ministries", ())),
               "statuses": list(attrs.get("statuses", ())), "key": attrs.get("key", "")},
    }


def short_title(text: str, limit: int = 30) -> str:
    """The first words of a measure's description, cut at a word boundary within ``limit``
    characters, so a measure in a network reads as more than its number."""
    title = ""
    for word in text.split():
        if len(title) + len(word) + (1 if title else 0) > limit:
            return (title or word[:limit]).rstrip(",.;:") + "…"
        title = f"{title} {word}" if title else word
    return title


def _vis_edge(i: int, attrs: dict, directed: bool) -> dict[str, object]:
    relations = list(attrs.get("relation", ()))
    strongest = next((r for r in RELATION_STYLES if r in relations), "mentions")
    style = RELATION_STYLES[strongest]
    edge: dict[str, object] = {
        "id": f"e{i}", "value": attrs.get("weight", 1), "dashes": style["dashes"],
        # Selected or hovered, a link keeps its legend colour (it is drawn wider): the centre of a
        # view is selected, and its links in black would be a colour the legend does not have.
        "color": {"color": style["color"], "highlight": style["color"], "hover": style["color"], "opacity": 0.85},
        "tg": {"relation": relations, "weight": attrs.get("weight", 1), "measures": list(attrs.get("measures", ())),
               "programmes": list(attrs.get("programmes", ())), "evidence": list(attrs.get("evidence", ())),
               "ministries": list(attrs.get("ministries", ())), "statuses": list(attrs.get("statuses", ())),
               "keys": list(attrs.get("keys", ()))},
    }
    if directed or "refers to" in relations:
        edge["arrows"] = "to"
    return edge


def _darker(color: str, factor: float = 0.7) -> str:
    r, g, b = (int(color[i: i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * factor) for c in (r, g, b)))


def _meta(view: View) -> dict[str, object]:
    G = view.graph
    groups = Counter(str(a.get("group")) for _n, a in G.nodes(data=True))
    order = list(STYLES) + sorted(set(groups) - set(STYLES))
    kinds = [{"kind": k, "count": groups[k], "color": STYLES.get(k, _FALLBACK).color,
              "symbol": STYLES.get(k, _FALLBACK).symbol} for k in order if groups[k]]
    names = G.graph.get("ministry_names", {})
    present = sorted({m for _n, a in G.nodes(data=True) for m in a.get("ministries", ())})
    statuses = {s for _n, a in G.nodes(data=True) for s in a.get("statuses", ())}
    relations = {r for _a, _b, a in G.edges(data=True) for r in a.get("relation", ())}
    return {
        "kinds": kinds,
        "relations": [{"relation": r, "color": style["color"], "dashed": bool(style["dashes"]),
                       "arrow": r == "refers to"} for r, style in RELATION_STYLES.items() if r in relations],
        "ministries": [{"value": m, "text": m if names.get(m, m) == m else f"{m} – {names[m]}"} for m in present],
        "statuses": [{"value": s, "text": s} for s in [*STATUSES, *sorted(statuses - set(STATUSES))] if s in statuses],
        "options": _options(G.number_of_nodes()),
        "centre": view.centre,
        "settleTimeoutMs": 20000,
    }


def _options(n_nodes: int) -> dict[str, object]:
    """vis-network options. Big networks (the overview: ~400 nodes) get stronger repulsion, no
    label drawing until zoomed in, hidden edges while dragging and no pre-layout; the layout
    stops (physics off) once stabilised, see ``assets/view.js``."""
    big = n_nodes > 120
    solver = ({"gravitationalConstant": -70, "centralGravity": 0.012, "springLength": 70, "springConstant": 0.06,
               "damping": 0.6, "avoidOverlap": 0.6} if big else
              {"gravitationalConstant": -110, "centralGravity": 0.02, "springLength": 110, "springConstant": 0.06,
               "damping": 0.55, "avoidOverlap": 0.7})
    return {
        "nodes": {"borderWidth": 1.5, "scaling": {"min": 8, "max": 40, "label": {
            "enabled": True, "min": 14 if big else 12, "max": 56 if big else 22, "maxVisible": 30,
            "drawThreshold": 5 if big else 3}},
            "font": {"size": 13, "color": "#1f2933", "strokeWidth": 3, "strokeColor": "#ffffff",
                     "face": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"}},
        "edges": {"smooth": False, "scaling": {"min": 1, "max": 9}, "selectionWidth": 2, "hoverWidth": 1.5},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": big, "navigationButtons": False,
                        "keyboard": False},
        "layout": {"randomSeed": 7, "improvedLayout": not big},
        "physics": {"enabled": n_nodes > 1, "solver": "forceAtlas2Based", "forceAtlas2Based": solver,
                    "minVelocity": 1.0, "maxVelocity": 60, "timestep": 0.5, "adaptiveTimestep": True,
                    "stabilization": {"enabled": True, "iterations": 700 if big else 400, "updateInterval": 50,
                                      "fit": True}},
    }


def _assets() -> Path:
    return Path(str(resources.files("tiltaksgraf.graph").joinpath("assets")))


@lru_cache(maxsize=None)
def _asset_text(path: Path) -> str:
    text = path.read_text("utf-8")
    closer = {".css": "</style", ".js": "</script"}.get(path.suffix)
    if closer and closer in text.lower():  # inlining it would end the element early
        raise TiltaksgrafError(f"cannot inline {path.name}: it contains {closer}>", path=str(path))
    return text


@lru_cache(maxsize=1)
def _vis_files() -> tuple[Path, Path]:
    """vis-network's script and stylesheet: the copy pyvis ships (newest version it has)."""
    import pyvis

    root = Path(pyvis.__file__).parent
    found = sorted(root.glob("templates/lib/vis-*/vis-network.min.js"),
                   key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)])
    if not found or not (found[-1].parent / "vis-network.css").is_file():
        raise TiltaksgrafError("vis-network is not where pyvis keeps it", path=str(root / "templates/lib"),
                               hint="reinstall pyvis (pip install 'pyvis>=0.3.2')")
    return found[-1], found[-1].parent / "vis-network.css"


class _CompiledOnce(BytecodeCache):
    """The view template as Jinja compiled it, kept for the process (keyed by Jinja on the
    template's name and source checksum). Each page gets an Environment of its own (its globals
    are that view's), and compiling the template for each cost ~5 ms a page."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if (code := self._compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledOnce()


def _template_env() -> Environment:
    return Environment(loader=DictLoader({"view.html": _asset_text(_assets() / "view.html")}),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       bytecode_cache=_COMPILED)


def write_view(data: TripleSource, view: str, out: str | Path, target: str | None = None, *, radius: int = 1,
               lang: str = "nb") -> Path:
    """Render one view into ``out`` (an .html file), atomically, its interface in ``lang``."""
    path = Path(out)
    html = render_html(project(data, view, target, radius=radius, lang=lang), lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, html)
    return path


def write_default_views(data: TripleSource, out_dir: str | Path, lang: str = "nb", *,
                        views: Sequence[str] = DEFAULT_VIEWS) -> list[Path]:
    """``collaboration.html`` and ``overview.html`` in ``out_dir`` (what ``tiltaksgraf build``
    writes); ``data`` may be the build's ``TripleIndex`` or ``BuiltGraph``, or an rdflib graph."""
    return write_pages(default_pages(data, lang, views=views), out_dir)


def default_pages(data: TripleSource, lang: str = "nb", *, views: Sequence[str] = DEFAULT_VIEWS) -> dict[str, str]:
    """The HTML of each of ``views`` (views without a target), by view, as ``write_default_views`` writes them."""
    g = nw.as_graph(data)
    return {view: render_html(project(g, view, lang=lang), lang) for view in views}


def warm(lang: str = "nb") -> None:
    """Read what every page inlines and compile the template now (~0.01 s), so that the first
    page does not: for a process that is waiting anyway (``graph/build_views``)."""
    view_text(lang)
    _inlined()
    _template_env().get_template("view.html")


def _inlined() -> dict[str, str]:
    """The scripts and stylesheets every page inlines, by the template's name for them."""
    vis_js, vis_css = _vis_files()
    return {"vis_js": _asset_text(vis_js), "vis_css": _asset_text(vis_css),
            "view_js": _asset_text(_assets() / "view.js"), "view_css": _asset_text(_assets() / "view.css")}


def default_view_path(graph_dir: str | Path, view: str, target: str | None = None) -> Path:
    """Where ``tiltaksgraf viz`` writes when no --out is given: into the build directory."""
    from tiltaksgraf.graph.iri import slug

    name = view if target is None else f"{view}-{slug(target)}"
    return Path(graph_dir) / f"{name}.html"


def render_screenshot(data: TripleSource, png: str | Path, *, view: str = "collaboration", target: str | None = None,
                      width: int = 1400, height: int = 900, chromium: str | None = None, lang: str = "nb") -> Path:
    """A PNG of one view (by default the collaboration network, for the README)."""
    with tempfile.TemporaryDirectory(prefix="tiltaksgraf-shot-") as tmp:
        page = write_view(data, view, Path(tmp) / "view.html", target, lang=lang)
        return screenshot(page, png, width=width, height=height, chromium=chromium)
