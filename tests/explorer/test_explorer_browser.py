"""The explorer in headless Chromium, as a person uses it: search a misspelt agency, follow it to
its page, to a measure, to a partner and back, on the static site (from disk) and on the served
one; every internal link resolves; no request leaves the page, no console error; report text
stays text; the search folds names exactly as ``tiltaksgraf.names.fold`` does."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import HOSTILE_NAME
from tiltaksgraf.explorer.model import load_site_data
from tiltaksgraf.names import fold

pytestmark = pytest.mark.slow

PLAN = "opptrappingsplan-mot-vold-og-overgrep-2017-2021"


class Watched:
    """A page whose console errors and requests outside its own site are recorded."""

    def __init__(self, browser, allowed: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 860})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: None if r.url.startswith(allowed) else self.outside.append(r.url))

    def close(self) -> None:
        self.context.close()


@pytest.fixture(params=["static", "served"])
def site_url(request, site_dir: Path) -> str:
    """The home page of the static site (a file URL) or of ``serve`` (at /explore/)."""
    if request.param == "static":
        return (site_dir / "index.html").as_uri()
    return request.getfixturevalue("served") + "explore/"


def test_search_a_misspelt_agency_follow_it_to_a_measure_a_partner_and_back(browser, site_url: str) -> None:
    base = site_url.rsplit("/", 2)[0] if site_url.startswith("http") else site_url.rsplit("/", 1)[0]
    watched = Watched(browser, base)
    page = watched.page
    try:
        page.goto(site_url)
        page.locator("#search").press_sequentially("Statens barnehsu")  # misspelt, as typed
        first = page.locator("#results a").first
        first.wait_for()
        assert "Statens barnehus" in first.inner_text()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/id/entity/statens-barnehus/(index\.html)?$"))
        entity_url = page.url
        assert page.locator("h1").inner_text() == "Statens barnehus"
        page.locator(f'a[href$="measure/{PLAN}/85/index.html"]').first.click()
        page.wait_for_url(re.compile(rf"/id/measure/{PLAN}/85/index\.html$"))
        assert page.locator("h1").inner_text() == "Tiltak 85"
        # a partner named in the measure: Sørlandet sykehus, highlighted in the report text
        page.locator(".report mark a", has_text="Sørlandet sykehus").click()
        page.wait_for_url(re.compile(r"/id/entity/sorlandet-sykehus/index\.html$"))
        assert "Sørlandet sykehus" in page.locator("h1").inner_text()
        page.go_back()
        page.wait_for_url(re.compile(rf"/id/measure/{PLAN}/85/index\.html$"))
        page.go_back()
        assert page.url == entity_url
        # another misspelt agency, from an entity page: the search box is on every page
        page.locator("#search").fill("Bufdirr")
        page.locator("#results a").first.wait_for()
        assert "Barne-, ungdoms- og familiedirektoratet" in page.locator("#results a").first.inner_text()
        assert watched.errors == [] and watched.outside == []
    finally:
        watched.close()


def test_keyboard_english_and_filters(browser, site_dir: Path) -> None:
    watched = Watched(browser, "file://")
    page = watched.page
    try:
        page.goto((site_dir / f"id/plan/{PLAN}/index.html").as_uri())
        assert page.locator("html").get_attribute("lang") == "nb"
        page.keyboard.press("Tab")  # the skip link comes first for keyboard users
        assert page.evaluate("document.activeElement.className") == "skip"
        page.locator("#filter-status").select_option("Påbegynt")
        assert int(page.locator("#filter-count").inner_text()) == page.locator("#measures tbody tr:visible").count()
        assert 0 < int(page.locator("#filter-count").inner_text()) < 88
        page.locator("#lang").click()
        assert page.locator("h2").first.inner_text() == "Status per ministry"
        page.goto((site_dir / "index.html").as_uri())  # the choice of language is kept
        assert page.locator("h1").inner_text() == "Explore the action plans"
        page.locator("#search").fill("nkvts")
        page.locator("#search").press("ArrowDown")
        page.locator("#search").press("ArrowUp")
        page.locator("#search").press("Enter")
        page.wait_for_url(re.compile(r"/id/entity/nkvts/index\.html$"))
        assert watched.errors == [] and watched.outside == []
    finally:
        watched.close()


def _links(html: str) -> list[str]:
    """The links and sources of a page, but the empty icon (``data:,``): it asks nothing of anyone."""
    return [t for t in re.findall(r'(?:href|src)="([^"#]+)"', html) if t != "data:,"]


def test_every_internal_link_of_the_static_site_resolves(site_dir: Path) -> None:
    checked = 0
    for page in site_dir.rglob("*.html"):
        for target in _links(page.read_text("utf-8")):
            resolved = (page.parent / urllib.parse.unquote(target)).resolve()
            assert resolved.is_file() and site_dir.resolve() in resolved.parents, (page, target)
            checked += 1
    assert checked > 8_000


def test_every_internal_link_of_the_served_site_resolves(served: str) -> None:
    seen: set[str] = set()
    todo = [served + "explore/"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        try:
            with urllib.request.urlopen(url, timeout=20) as response:
                body = response.read().decode("utf-8")
                media = response.headers["Content-Type"]
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{url}: {error.code}") from None
        if media.startswith("text/html"):
            todo.extend(urllib.parse.urljoin(url, t) for t in _links(body))
    assert len(seen) == 385


def test_no_outside_request_and_no_console_error_on_each_kind_of_page(browser, site_dir: Path) -> None:
    watched = Watched(browser, "file://")
    try:
        for path in ("index.html", f"id/plan/{PLAN}/index.html", "id/entity/bufdir/index.html",
                     f"id/measure/{PLAN}/54/index.html", "id/source/1fda669e6598c98f/index.html"):
            watched.page.goto((site_dir / path).as_uri())
            watched.page.locator("#search").fill("vold")
            watched.page.locator("#results a").first.wait_for()
        assert watched.errors == [] and watched.outside == []
    finally:
        watched.close()


def test_script_in_report_text_and_names_stays_text(browser, hostile_site_dir: Path) -> None:
    watched = Watched(browser, "file://")
    page = watched.page
    try:
        page.goto((hostile_site_dir / f"id/measure/{PLAN}/85/index.html").as_uri())
        assert "<script>window.__pwned = 1</script>" in page.locator(".report").inner_text()
        assert page.evaluate("window.__pwned") is None
        assert page.locator("main img, main script").count() == 0
        page.locator("#search").fill("Barnehusbyrået")
        page.locator("#results a").first.wait_for()
        assert HOSTILE_NAME not in page.locator("#results").inner_html()  # only ever inserted as text
        assert page.locator("#results img").count() == 0
        assert page.evaluate("window.__pwned") is None
        assert watched.errors == [] and watched.outside == []
    finally:
        watched.close()


def test_the_page_folds_names_as_python_does(browser, site_dir: Path, site_store) -> None:
    data = load_site_data(site_store)
    names = sorted({n for e in data.entities.values() for n in (e.name, e.key, *e.names)})
    names += ["Påbegynt – Løpende", "«Jeg vet»", "Tromsø", "STRASSE ß", "  Sámi  čđŋŧ  ", "a - b", "x.,:;",
              "Ærlig-Øst", "é\u0301", "İstanbul"]
    page = browser.new_page()
    try:
        page.goto((site_dir / "index.html").as_uri())
        folded = page.evaluate("(names) => names.map(window.tgFold)", names)
    finally:
        page.close()
    differ = [(n, js, fold(n)) for n, js in zip(names, folded) if js != fold(n)]
    assert len(names) > 1000 and differ == []


@pytest.mark.parametrize("typo", ["Trygest", "Bufdirr", "NKTVS", "Statens barnehsu"])
def test_the_site_search_finds_first_what_the_cli_suggests_first(browser, site_dir: Path, site_store,
                                                                  typo: str) -> None:
    from tiltaksgraf.explorer.render import page_path
    from tiltaksgraf.queries.params import find_in_store

    found = find_in_store(site_store, typo)
    first = found.suggestions[0][0].iri if not hasattr(found, "iri") else found.iri
    page = browser.new_page()
    try:
        page.goto((site_dir / "index.html").as_uri())
        hits = page.evaluate("(text) => window.tgSearch(text).map((h) => h.p)", typo)
    finally:
        page.close()
    assert hits and hits[0] == page_path(first)
