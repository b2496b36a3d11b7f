"""The explorer's pages, static (``tiltaksgraf site``) and served (``tiltaksgraf serve``): a page
per entity, measure, plan and report at the path of its IRI, with the sentences that name it;
RDF for the same URL on request; report text always escaped."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from conftest import BARNEHUS, HOSTILE_TEXT
from tiltaksgraf.cli import main
from tiltaksgraf.explorer.model import BASE, load_site_data
from tiltaksgraf.explorer.site import wants_rdf

PLAN = "opptrappingsplan-mot-vold-og-overgrep-2017-2021"


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_every_entity_measure_plan_and_report_has_a_page_at_its_iri_path(site_store, site_dir: Path) -> None:
    data = load_site_data(site_store)
    assert (len(data.entities), len(data.measures), len(data.plans), len(data.sources)) == (291, 88, 1, 1)
    for iri in [*data.entities, *data.measures, *data.plans, *data.sources]:
        assert iri.startswith(BASE)
        assert (site_dir / iri[len(BASE):] / "index.html").is_file(), iri
    assert (site_dir / "id/entity/bufdir/index.html").is_file()
    assert (site_dir / f"id/measure/{PLAN}/85/index.html").is_file()


def test_entity_page_lists_every_measure_and_sentence_that_names_it(site_dir: Path) -> None:
    html = (site_dir / "id/entity/statens-barnehus/index.html").read_text("utf-8")
    for number in (83, 84, 85, 86, 87):
        assert f'href="../../measure/{PLAN}/{number}/index.html">Tiltak {number}</a>' in html
    assert "Virksomhet" in html and "Statens Barnehus" in html  # type and other names
    # the sentence, with the mention marked (tiltak 85: "… ved Statens Barnehus.")
    assert "tannhelseundersøkelser ved <mark>Statens Barnehus</mark>." in html
    assert "Ferdig (4)" in html and "Påbegynt - løpende (1)" in html  # grouped by status
    assert '<svg class="network"' in html


def test_entity_page_shows_partners_with_sentences_commissions_and_fundings(site_dir: Path) -> None:
    html = (site_dir / "id/entity/nkvts/index.html").read_text("utf-8")
    partners = html.split("Samarbeidspartnere", 1)[1]
    # tiltak 54: "NKVTS og NOVA gjennomfører empiriske undersøkelser og analyser …"
    assert 'href="../nova/index.html"' in partners
    assert "NKVTS og NOVA gjennomfører empiriske undersøkelser" in partners
    assert "Oppdrag" in html
    hdir = (site_dir / "id/entity/hdir/index.html").read_text("utf-8")
    assert "Finansiering" in hdir and " kr" in hdir


def test_measure_page_highlights_and_links_every_mention_in_the_report_text(site_dir: Path) -> None:
    html = (site_dir / f"id/measure/{PLAN}/85/index.html").read_text("utf-8")
    report = html.split('<div class="report">', 1)[1].split("</div>", 1)[0]
    assert '<mark><a href="../../../entity/hdir/index.html">Hdirs</a></mark>' in report
    assert '<a href="../../../entity/sorlandet-sykehus/index.html">Sørlandet sykehus</a>' in report
    assert "Helse- og omsorgsdepartementet" in html and "Ferdig" in html
    related = (site_dir / f"id/measure/{PLAN}/59/index.html").read_text("utf-8")
    assert "Beslektede tiltak" in related and 'href="../5/index.html">Tiltak 5</a>' in related


def test_plan_page_has_the_status_chart_the_filters_and_central_agencies(site_dir: Path) -> None:
    html = (site_dir / f"id/plan/{PLAN}/index.html").read_text("utf-8")
    assert '<svg class="chart"' in html and "<title>HOD: " in html
    assert html.count("<tr data-status=") == 88
    assert 'id="filter-status"' in html and 'id="filter-ministry"' in html
    central = text_of(html.split("Mest sentrale virksomheter", 1)[1].split("</ol>", 1)[0])
    assert central.startswith("Barne-, ungdoms- og familiedirektoratet – 29 tiltak")


def test_every_page_forbids_outside_requests_and_links_nowhere_outside(site_dir: Path) -> None:
    pages = list(site_dir.rglob("*.html"))
    assert len(pages) == 382
    for page in pages:
        html = page.read_text("utf-8")
        assert "default-src 'none'; script-src 'self'; style-src 'self'" in html
        for target in re.findall(r'(?:href|src)="([^"]*)"', html):
            assert target == "data:," or not re.match(r"^[a-z]+:", target), (page, target)


def test_report_text_and_names_are_escaped(hostile_site_dir: Path) -> None:
    html = (hostile_site_dir / f"id/measure/{PLAN}/85/index.html").read_text("utf-8")
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "<script>window" not in html and "<img src=x" not in html
    index = (hostile_site_dir / "assets/search-index.js").read_text("utf-8")
    assert "</script" not in index  # the index script cannot end an inline script either
    entry = json.loads(index.removeprefix("window.TG_SEARCH = ").rstrip(";\n"))
    assert any("onerror" in name for e in entry for name in e["f"])
    assert HOSTILE_TEXT not in (hostile_site_dir / "id/entity/statens-barnehus/index.html").read_text("utf-8")


def test_site_command_writes_the_site(built: Path, tmp_path: Path, capsys) -> None:
    assert main(["site", "--graph", str(built), "--out", str(tmp_path / "site")]) == 0
    assert "wrote 385 files" in capsys.readouterr().err
    assert (tmp_path / "site/index.html").is_file() and (tmp_path / "site/id/entity/bufdir/index.html").is_file()
    assert main(["site", "--graph", str(tmp_path / "nothing"), "--out", str(tmp_path / "x")]) == 1


@pytest.mark.parametrize(("accept", "rdf"), [
    (None, False), ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
    ("text/turtle", True), ("application/ld+json", True), ("text/html;q=0.5, text/turtle", True),
    ("text/turtle;q=0.2, text/html", False), ("*/*", False), ("application/json", False)])
def test_wants_rdf_reads_the_accept_header(accept: str | None, rdf: bool) -> None:
    assert wants_rdf(accept) is rdf


def get(url: str, accept: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_served_pages_are_the_static_pages(served: str, site_dir: Path) -> None:
    for path in ("id/entity/bufdir", "id/entity/bufdir/", "id/entity/bufdir/index.html"):
        status, media, body = get(served + path, "text/html")
        assert (status, media) == (200, "text/html; charset=utf-8")
        assert body == (site_dir / "id/entity/bufdir/index.html").read_bytes()
    assert get(served + "explore/")[2] == (site_dir / "explore/index.html").read_bytes()
    assert get(served + "assets/explorer.js")[1].startswith("text/javascript")
    status, media, body = get(served + "id/entity/nobody")
    assert status == 404 and json.loads(body)["ok"] is False
    assert get(served)[0] == 200  # the query page stays at /


@pytest.mark.parametrize(("accept", "fmt"), [("text/turtle", "turtle"), ("application/ld+json", "json-ld")])
def test_served_iri_answers_its_triples_as_rdf(served: str, accept: str, fmt: str) -> None:
    status, media, body = get(served + "id/entity/statens-barnehus", accept)
    assert status == 200 and media.startswith(accept)
    graph = Graph().parse(data=body, format=fmt)
    assert {str(o) for o in graph.objects(BARNEHUS, SKOS.prefLabel)} == {"Statens barnehus"}
    assert set(graph.subjects()) == {BARNEHUS}
    measure = get(served + f"id/measure/{PLAN}/85", "text/turtle")[2]
    assert URIRef(f"{BASE}id/measure/{PLAN}/85") in set(Graph().parse(data=measure, format="turtle").subjects())
