"""Hostile text in the pages people open: the offline network views and the endpoint's query
page, in headless Chromium (the system's, driven by Playwright).

The graph's labels, descriptions and sentences carry ``<script>``, ``</script>``, an ``<img
onerror>``, an ``"><svg onload>``, a ``javascript:`` URL, U+2028/U+2029 and template syntax.
In every page no script of theirs runs (``alert`` and friends are wrapped, the console is
watched, Playwright's ``dialog`` event never fires, ``window.__pwned`` stays unset), they are
shown as text where the page shows them, and no request leaves the page (every request is
logged; only the page itself and ``data:`` URLs are let through).
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import http.client
import pytest
from pagetools import point_of

from tiltaksgraf.graph import network as nw
from tiltaksgraf.graph import viz

pytestmark = pytest.mark.browser

SETTLE_MS = 60_000
# Run before any script of the page: every way to pop a dialog or open a window is recorded
# (and still called, so Playwright's dialog event sees it too), and so is every console call.
HOOKS = """
window.__fired = [];
window.__console = [];
for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
  const original = window[name];
  window[name] = function (...args) {
    window.__fired.push(name + ": " + String(args[0]));
    return original.apply(this, args);
  };
}
for (const level of ["log", "info", "warn", "error", "debug", "trace"]) {
  const original = console[level];
  console[level] = function (...args) {
    window.__console.push(level + ": " + args.map(String).join(" "));
    return original.apply(this, args);
  };
}
"""
# Elements and attributes that only injected markup would bring into these pages.
INJECTED = "img, svg, iframe, object, embed, video, audio, [onerror], [onload], [onclick], [onmouseover], [src]"


# The script elements of the view template; a label that closed one would add to the count.
TEMPLATE_SCRIPTS = (resources.files("tiltaksgraf.graph") / "assets" / "view.html").read_text("utf-8").count("</script>")


def squash(text: str) -> str:
    return " ".join(text.split())


@dataclass
class Visit:
    page: object
    allowed: tuple[str, ...]
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.page.context.close()

    def assert_nothing_ran(self) -> None:
        page = self.page
        assert self.dialogs == [], self.dialogs
        assert page.evaluate("() => window.__fired") == []
        assert page.evaluate("() => window.__pwned === undefined")
        hooked = page.evaluate("() => window.__console")
        assert not [m for m in hooked + self.console if "pwned" in m or "alert" in m], hooked + self.console
        # a 4xx answer to the page's own fetch is logged as an error by the browser: not a script's
        script_errors = [e for e in self.errors if not e.startswith("Failed to load resource: the server responded")]
        assert script_errors == [], script_errors
        assert [u for u in self.requests if not u.startswith(self.allowed)] == []
        assert page.evaluate("(sel) => document.querySelectorAll(sel).length", INJECTED) == 0
        assert page.evaluate("() => [...document.querySelectorAll('a[href]')].filter(a => "
                             "a.protocol === 'javascript:').length") == 0


def open_page(browser, url: str, allowed: tuple[str, ...]) -> Visit:
    """Open ``url`` in a fresh context with the hooks in place and every request logged;
    requests whose URL does not start with one of ``allowed`` (or ``data:``) are refused.
    Call in the browser's thread (see ``Chromium.run``); close the visit when done."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(HOOKS)
    page = context.new_page()
    seen = Visit(page, (*allowed, "data:"))

    def route(r):
        seen.requests.append(r.request.url)
        if r.request.url.startswith(seen.allowed):
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda msg: (seen.console.append(f"{msg.type}: {msg.text}"),
                                    seen.errors.append(msg.text) if msg.type == "error" else None))
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    page.on("dialog", lambda d: (seen.dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    return seen


# --- the network views --------------------------------------------------------------------------


@pytest.fixture
def view_pages(hostile, payloads, tmp_path) -> dict[str, Path]:
    """Every kind of view of the hostile graph; the entity and programme views take a hostile
    name into their titles."""
    agency_iri = payloads.agencies[0][0]
    specs = {"collaboration": None, "overview": None, "measure": "1", "entity": agency_iri,
             "programme": payloads.programme_iri}
    return {view: viz.write_view(hostile, view, tmp_path / f"{view}.html", target)
            for view, target in specs.items()}


def test_views_html_files_carry_no_live_markup(view_pages, payloads):
    """The files as written: no payload appears as markup, only escaped or as JSON text."""
    for view, path in view_pages.items():
        html = path.read_text("utf-8")
        for name, payload in payloads.each.items():
            if "<" in payload or ">" in payload:
                assert payload not in html, (view, name)
        assert "<img src=x" not in html and "<svg onload" not in html.lower(), view
        assert html.lower().count("</script") == TEMPLATE_SCRIPTS, view  # no element ended early


@pytest.mark.parametrize("view", ["collaboration", "overview", "measure", "entity", "programme"])
def test_views_hostile_labels_show_as_text_and_never_run(chromium, view_pages, payloads, view):
    chromium.run(check_view, view_pages[view], payloads, view)


def check_view(browser, path: Path, payloads, view: str) -> None:
    page_url = path.resolve().as_uri()
    seen = open_page(browser, page_url, (page_url,))
    try:
        look_at_view(seen, payloads, view)
    finally:
        seen.close()


def look_at_view(seen: Visit, payloads, view: str) -> None:
    page = seen.page
    page.wait_for_function("() => window.tg && window.tg.ready === true", timeout=SETTLE_MS)
    seen.assert_nothing_ran()
    assert page.evaluate("() => document.scripts.length") == TEMPLATE_SCRIPTS

    drawn = page.evaluate("() => nodes.get().map(n => [n.id, n.tg.name, n.title.textContent])")
    names = {node_id: name for node_id, name, _tip in drawn}
    hostile_names = dict(payloads.agencies)
    hostile_names[payloads.programme_iri] = payloads.programme
    shown = [node_id for node_id in names if node_id in hostile_names]
    assert shown, f"the {view} view shows none of the hostile entities"
    for node_id, name, tip in drawn:
        if node_id in hostile_names:
            assert name == hostile_names[node_id]
            assert squash(name) in squash(tip)  # the tooltip, as text
        page.evaluate("(id) => window.tg.showNode(id)", node_id)
        details = page.text_content("#tg-details")
        assert squash(name) in squash(details)
        if node_id in hostile_names and view != "programme":
            assert squash(payloads.sentence) in squash(details)
        seen.assert_nothing_ran()

    for edge_id in page.evaluate("() => edges.getIds()"):
        edge = page.evaluate("(id) => ({tip: edges.get(id).title.textContent, tg: edges.get(id).tg})", edge_id)
        page.evaluate("(id) => window.tg.showEdge(id)", edge_id)
        details = page.text_content("#tg-details")
        source = squash(edge["tg"]["fromName"])
        assert source in squash(edge["tip"]) and source in squash(details)
        if payloads.sentence in edge["tg"]["evidence"]:
            assert squash(payloads.sentence) in squash(details)
    seen.assert_nothing_ran()

    title = page.text_content("#tg-title")
    assert squash(title) in squash(page.title())
    if view == "entity":
        assert squash(payloads.agencies[0][1]) in squash(title)
    if view == "programme":
        assert squash(payloads.programme) in squash(title)
    # template syntax is shown as written, not evaluated by anything
    templated = [node_id for node_id, name in names.items() if "{{ 7*7 }}" in name]
    assert templated
    page.evaluate("(id) => window.tg.showNode(id)", templated[0])
    assert "{{ 7*7 }}" in page.text_content("#tg-details") and "49" not in page.text_content("#tg-details")

    hovered = 0
    for node_id in shown:  # the mouse over a node shows its tooltip, as text; a click, its details
        point = point_of(page, node_id)
        if point["at"] != node_id:  # under another node
            continue
        page.mouse.move(point["x"] - 5, point["y"] - 5)
        page.mouse.move(point["x"], point["y"], steps=3)
        page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
        assert squash(names[node_id]) in squash(page.inner_text("div.vis-tooltip"))
        page.mouse.click(point["x"], point["y"])
        page.wait_for_function("(name) => document.getElementById('tg-details').textContent.includes(name)",
                               arg=names[node_id], timeout=5000)
        page.mouse.move(5, 5)
        hovered += 1
        if hovered == 2:
            break
    assert hovered
    seen.assert_nothing_ran()


def test_views_hostile_name_as_a_view_target_is_text(hostile, payloads, tmp_path):
    """Naming an entity by its hostile label works like any name, and lands in the title escaped."""
    name = payloads.agencies[2][1]  # the <img onerror> one
    assert nw.resolve_entity(hostile, name) == payloads.agencies[2][0]
    html = viz.write_view(hostile, "entity", tmp_path / "by-name.html", name).read_text("utf-8")
    assert payloads.each["img"] not in html
    assert "&lt;img src=x onerror=" in html  # in <title> and <h1>, escaped


# --- the endpoint's query page --------------------------------------------------------------------


@pytest.fixture
def page_server(hostile) -> Iterator[str]:
    """A real endpoint over the hostile graph (Oxigraph) on a free loopback port, in a thread;
    yields its base URL."""
    import pyoxigraph as ox

    from tiltaksgraf.graph.stores import OxigraphStore, to_oxigraph
    from tiltaksgraf.queries.endpoint import make_server

    raw = ox.Store()  # the store queries its default graph, which holds a build's union graph
    raw.extend([ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in hostile])
    store = OxigraphStore(raw, "hostile graph")
    server = make_server(store, "127.0.0.1", 0, quiet=True, timeout=10)
    thread = threading.Thread(target=server.serve_forever, name="endpoint", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while True:  # polled until it answers
            try:
                connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=1)
                connection.request("GET", "/queries")
                if connection.getresponse().status == 200:
                    connection.close()
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


LABELS_QUERY = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>
SELECT ?e ?text WHERE {
  { ?e skos:prefLabel ?text } UNION { ?e skos:altLabel ?text } UNION { ?e tg:sentence ?text }
} ORDER BY ?e ?text"""


def test_views_query_page_shows_hostile_results_as_text(chromium, page_server, payloads):
    chromium.run(check_query_page, page_server, payloads)


def check_query_page(browser, base_url: str, payloads) -> None:
    origin = base_url.rstrip("/")
    hostile_url = (base_url + "?query=" + urllib.parse.quote(payloads.each["script"])
                   + "#" + urllib.parse.quote(payloads.each["img"]))
    seen = open_page(browser, hostile_url, (origin + "/",))
    try:
        use_query_page(seen, origin, payloads)
    finally:
        seen.close()


def use_query_page(seen: Visit, origin: str, payloads) -> None:
    page = seen.page
    page.wait_for_selector("#named details", timeout=15_000)
    seen.assert_nothing_ran()

    page.fill("#editor", LABELS_QUERY)
    page.click("#run")
    page.wait_for_selector("#results table tbody tr", timeout=15_000)
    cells = page.eval_on_selector_all("#results td", "tds => tds.map(td => td.textContent)")
    for _iri, label in payloads.agencies:
        assert label in cells
    assert payloads.programme in cells and payloads.sentence in cells
    assert payloads.each["img"] in cells  # the altLabel
    seen.assert_nothing_ran()

    # an error message that carries markup is shown as text
    page.fill("#editor", "SELECT * WHERE { " + payloads.each["img"] + " }")
    page.click("#run")
    page.wait_for_function("() => document.getElementById('status').className === 'bad'", timeout=15_000)
    seen.assert_nothing_ran()

    # a named query run from the page with a hostile parameter value
    page.click("#named details summary >> text=Partners of an agency")
    details = page.locator("#named details[open]")
    details.locator("input[name=agency]").fill(payloads.each["svg"])
    details.locator("button", has_text="Run").first.click()
    page.wait_for_function("() => document.getElementById('status').textContent.includes('no agency')",
                           timeout=15_000)
    assert payloads.each["svg"] in page.text_content("#status")
    seen.assert_nothing_ran()
    assert all(u.startswith(origin + "/") for u in seen.requests)
