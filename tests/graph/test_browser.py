"""The views in a real browser: headless Chromium (the system's), driven by Playwright.

Each page must load with no console error and no request leaving the machine, draw exactly the
networkx projection, settle, show a tooltip on hover and details on click, and survive a graph
whose labels are HTML. Run only these with ``pytest -m browser``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pytest
from pagetools import point_of

from tiltaksgraf.graph import network as nw
from tiltaksgraf.graph import viz

pytestmark = pytest.mark.browser

SETTLE_MS = 60_000


@dataclass
class Visit:
    page: object
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]


@pytest.fixture
def visit(browser) -> Iterator:
    """Open a page with every request logged (and refused unless it is file: or data:), console
    errors and dialogs recorded; wait until the layout has settled."""
    contexts = []

    def open_page(path: Path, width: int = 1400, height: int = 900) -> Visit:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page)

        def route(r):
            seen.requests.append(r.request.url)
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                r.abort()

        context.route("**/*", route)
        page.on("request", lambda req: seen.requests.append(req.url))
        page.on("console", lambda msg: seen.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: seen.console_errors.append(str(exc)))
        page.on("dialog", lambda d: (seen.dialogs.append(d.message), d.dismiss()))
        page.goto(path.resolve().as_uri())
        page.wait_for_function("() => window.tg && window.tg.ready === true", timeout=SETTLE_MS)
        return seen

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory, kg) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("browser-views")
    return {p.stem: p for p in viz.write_default_views(kg, out)}


def _drawn(page) -> dict[str, int]:
    return page.evaluate("""() => ({
        nodes: network.body.data.nodes.length, edges: network.body.data.edges.length,
        nodeIndices: network.body.nodeIndices.length, edgeIndices: network.body.edgeIndices.length,
        dataset: nodes.length})""")


def _hover_and_click(seen: Visit, G: nx.Graph, node_id: str) -> tuple[str, str]:
    page = seen.page
    point = point_of(page, node_id)
    at = G.nodes[point["at"]]
    name = f"Tiltak {at['key']}" if at["type"] == "Measure" else at["name"]  # the views' words are Norwegian
    page.mouse.move(point["x"] - 5, point["y"] - 5)
    page.mouse.move(point["x"], point["y"], steps=3)
    page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
    tooltip = page.inner_text("div.vis-tooltip")
    assert name in tooltip
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("(name) => document.getElementById('tg-details').textContent.includes(name)",
                           arg=name, timeout=5000)
    return tooltip, page.text_content("#tg-details")


@pytest.mark.parametrize("view", ["collaboration", "overview"])
def test_browser_view_draws_the_projection_offline(visit, pages, kg, tmp_path, view):
    G = {"collaboration": nw.collaboration_network, "overview": nw.overview_network}[view](kg)
    seen = visit(pages[view])
    drawn = _drawn(seen.page)
    assert drawn["nodes"] == drawn["nodeIndices"] == drawn["dataset"] == G.number_of_nodes()
    assert drawn["edges"] == drawn["edgeIndices"] == G.number_of_edges()
    hub = max(G, key=lambda n: (G.degree(n), n))
    tooltip, details = _hover_and_click(seen, G, hub)
    assert "fra rapporten" in details  # "Setning fra rapporten", "3 setninger fra rapporten"
    shot = tmp_path / f"{view}.png"
    seen.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert seen.console_errors == []
    assert seen.outside_requests() == []
    assert seen.dialogs == []


def test_browser_filters_by_ministry_status_and_type(visit, pages, overview):
    seen = visit(pages["overview"])
    page = seen.page
    ministry = "HOD"
    page.select_option("#tg-ministry", ministry)
    expected_nodes = {n for n, a in overview.nodes(data=True) if ministry in a["ministries"]}
    expected_edges = [(a, b) for a, b, d in overview.edges(data=True)
                      if a in expected_nodes and b in expected_nodes and ministry in d["ministries"]]
    counts = page.evaluate("() => window.tg.visibleCounts()")
    assert (counts["nodes"], counts["edges"]) == (len(expected_nodes), len(expected_edges))
    assert 0 < counts["nodes"] < overview.number_of_nodes()
    page.select_option("#tg-status", "Ferdig")
    both = {n for n in expected_nodes if "Ferdig" in overview.nodes[n]["statuses"]}
    assert page.evaluate("() => window.tg.visibleCounts().nodes") == len(both)
    page.click("#tg-reset")
    page.uncheck("#tg-kinds input[value='Measure']")
    measures = sum(1 for _n, a in overview.nodes(data=True) if a["type"] == "Measure")
    assert page.evaluate("() => window.tg.visibleCounts().nodes") == overview.number_of_nodes() - measures
    page.click("#tg-reset")
    assert page.evaluate("() => window.tg.visibleCounts().nodes") == overview.number_of_nodes()
    assert seen.console_errors == [] and seen.outside_requests() == []


def test_browser_shows_html_in_labels_as_text(visit, tiny, evil, tmp_path):
    page_path = viz.write_view(tiny, "collaboration", tmp_path / "evil.html")
    seen = visit(page_path)
    page = seen.page
    G = nw.collaboration_network(tiny)
    evil_id = nw.resolve_entity(tiny, evil.label)
    hovered = 0
    for node_id in (evil_id, nw.resolve_entity(tiny, evil.amp)):
        if point_of(page, node_id)["at"] == node_id:  # not covered by another node
            tooltip, details = _hover_and_click(seen, G, node_id)
            assert G.nodes[node_id]["name"] in tooltip and G.nodes[node_id]["name"] in details
            hovered += 1
    assert hovered
    page.evaluate("(id) => window.tg.showNode(id)", evil_id)
    details = page.text_content("#tg-details")
    assert evil.label in details
    assert " ".join(evil.sentence.split()) in details
    assert page.evaluate("() => document.querySelectorAll('#tg-panel img, #tg-panel b, #tg-panel script').length") == 0
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.title().startswith("Samarbeid")
    assert seen.dialogs == [] and seen.console_errors == [] and seen.outside_requests() == []


def test_browser_screenshot_command(built, tmp_path):
    """In a child process: Playwright's sync API runs one instance per thread, and the session's
    browser is already open here."""
    png = tmp_path / "img" / "collaboration.png"
    cli = [sys.executable, "-c", "import sys; from tiltaksgraf.cli import main; sys.exit(main())"]
    done = subprocess.run([*cli, "screenshot", "--graph", str(built), "--out", str(png), "--width", "1000",
                           "--height", "700"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote" in done.stderr and png.name in done.stderr


def test_browser_screenshot_goes_into_the_build_by_default(built, tmp_path):
    """Without --out the PNG lands in the build directory, never on the tracked docs/img picture."""
    import hashlib
    import shutil

    tracked = Path(__file__).resolve().parents[2] / "docs" / "img" / "collaboration.png"
    before = hashlib.sha256(tracked.read_bytes()).hexdigest() if tracked.is_file() else None
    build = tmp_path / "out"
    shutil.copytree(built, build)
    cli = [sys.executable, "-c", "import sys; from tiltaksgraf.cli import main; sys.exit(main())"]
    done = subprocess.run([*cli, "screenshot", "--graph", str(build), "--view", "overview", "--width", "800",
                           "--height", "600"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (build / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (hashlib.sha256(tracked.read_bytes()).hexdigest() if tracked.is_file() else None) == before


def test_browser_filter_zooms_to_what_is_left(visit, pages, overview):
    # Issue 17: filtering left the view zoomed on the whole network, the rest a speck in a corner.
    seen = visit(pages["overview"])
    page = seen.page
    before = page.evaluate("() => network.getScale()")
    page.select_option("#tg-ministry", "KUD")  # Kulturdepartementet: one measure and what it names
    page.wait_for_function("(before) => Math.abs(network.getScale() - before) > 1e-6", arg=before, timeout=5000)
    kept = page.evaluate("() => window.tg.visibleCounts().nodes")
    assert 0 < kept < overview.number_of_nodes() and page.evaluate("() => network.getScale()") > before
    assert seen.console_errors == []


def test_views_draw_links_only_in_legend_colours_and_name_measures(kg):
    # Issue 17: the centre node's links (selected) were drawn black, a colour the legend lacks;
    # measures were bare numbers.
    legend = {style["color"] for style in viz.RELATION_STYLES.values()}
    G = nw.overview_network(kg)
    for i, (_a, _b, attrs) in enumerate(G.edges(data=True)):
        colours = viz._vis_edge(i, attrs, False)["color"]
        assert {colours["color"], colours["highlight"], colours["hover"]} <= legend
    labels = [a["label"] for _n, a in G.nodes(data=True) if a["type"] == "Measure"]
    assert labels and all(label.startswith("Tiltak ") for label in labels)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_browser_views_speak_norwegian_by_default_and_english_on_request(visit, kg, tmp_path, lang):
    # Issue 17: the views' interface was in English while the data is Norwegian.
    import json

    path = viz.write_view(kg, "overview", tmp_path / f"overview-{lang}.html", lang=lang)
    seen = visit(path)
    page = seen.page
    G = nw.overview_network(kg)
    page.evaluate("(id) => window.tg.showNode(id)", max(G, key=lambda n: (G.degree(n), n)))
    page.evaluate("() => window.tg.showEdge(edges.getIds()[0])")
    page.evaluate("(id) => window.tg.showNode(id)", max(G, key=lambda n: (G.degree(n), n)))
    # the page's own words, not the data's ("Alle departementer" is also an agency's name)
    shown = "\n".join(page.eval_on_selector_all(
        "#tg-panel h2, #tg-panel h3:not(.tg-name), #tg-panel dt, #tg-panel legend, #tg-panel label, "
        "#tg-panel button, #tg-panel option[value=''], #tg-count, #tg-panel .tg-note, #tg-panel .tg-hint",
        "els => els.map(e => e.classList.contains('tg-select') ? e.firstChild.textContent : e.textContent)"))
    texts = json.loads((Path(viz.__file__).parent / "assets" / "view-text.json").read_text("utf-8"))
    own, other = texts[lang]["ui"], texts["en" if lang == "nb" else "nb"]["ui"]
    assert page.evaluate("() => document.documentElement.lang") == lang
    for key in ("legend", "show_all", "details", "all_ministries", "all_statuses"):
        assert own[key] in shown, key
    # none of the other language's words where the two differ (the page's own text, not the data)
    leaks = [other[k] for k in other if other[k] != own[k] and len(other[k]) > 6 and other[k] in shown]
    assert leaks == []
    kinds = page.eval_on_selector_all("#tg-kinds .tg-kind span:nth-child(3)", "s => s.map(x => x.textContent)")
    names = viz.view_text(lang)["kinds"]
    assert kinds and set(kinds) <= set(names.values())
    counted = page.text_content("#tg-count")
    assert ("noder" in counted) == (lang == "nb") and ("nodes" in counted) == (lang == "en")
    assert page.title().startswith("Alle tiltakene" if lang == "nb" else "All measures")
    assert seen.console_errors == [] and seen.outside_requests() == []


def test_views_language_is_checked_on_the_command_line(built, tmp_path):
    from tiltaksgraf.cli import main

    view = ["viz", "collaboration", "-g", str(built), "--out"]
    assert main([*view, str(tmp_path / "de.html"), "--lang", "de"]) == 2 and not (tmp_path / "de.html").exists()
    assert main([*view, str(tmp_path / "en.html"), "--lang", "en"]) == 0
    assert '<html lang="en">' in (tmp_path / "en.html").read_text("utf-8")
    assert main(["build", "--out", str(tmp_path / "out"), "--lang", "de"]) == 2 and not (tmp_path / "out").exists()
