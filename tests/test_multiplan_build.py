"""A build of every layout family together with the bundled report (issue 15): one graph of
several plans, measures identified by plan key + measure id, statuses through the status scheme,
reports of one plan sharing its plan node and measure nodes, and the CLI's warnings and refusal."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from tiltaksgraf.cli import app, main
from tiltaksgraf.extract.status import classify, scheme
from tiltaksgraf.ontology.terms import STATUS_CONCEPTS
from tiltaksgraf.pipeline import bundled_report

PAGES = Path(__file__).parent / "extract" / "layouts" / "pages"
PREFIX = "PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
ID = "https://w3id.org/tiltaksgraf/id/"


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> tuple[Path, ox.Store]:
    out = tmp_path_factory.mktemp("plans") / "out"
    result = CliRunner().invoke(app, ["build", *map(str, sorted(PAGES.glob("*.txt"))), str(bundled_report()),
                                      "--out", str(out), "--no-views"])
    assert result.exit_code == 0, result.output
    store = ox.Store()
    store.load(path=str(out / "graph.trig"), format=ox.RdfFormat.TRIG)
    return out, store


def _rows(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    return [tuple(t.value if t is not None else "" for t in row)
            for row in store.query(PREFIX + query, use_default_graph_as_union=True)]


def test_multiplan_build_all_pages_and_bundled(plans):
    out, store = plans
    sources = json.loads((out / "measures.json").read_text(encoding="utf-8"))["sources"]
    assert len(sources) == 12
    assert {s["layout"] for s in sources} == {"table", "budget-table", "blocks", "numbered", "tagged"}
    # p01 reports the bundled plan: one plan node, and its measures 1–8 are the bundled measures' nodes
    measures = _rows(store, "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a tg:Measure ; tg:partOf ?p . "
                            "?p tg:entityKey 'opptrappingsplan-mot-vold-og-overgrep-2017-2021' }")
    assert measures == [("88",)]
    # the two Et liv uten vold reports are one plan
    et_liv = _rows(store, "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?m tg:partOf ?p ; tg:hasStatusAssessment/"
                          "tg:reportedIn ?r . ?p tg:entityKey 'handlingsplan-mot-vold-i-naere-relasjoner-2014-2017' }")
    assert et_liv == [("2",)]


def test_multiplan_build_measure_ids_and_numbers(plans):
    _out, store = plans
    rows = dict(_rows(store, "SELECT ?m ?id WHERE { ?m a tg:Measure ; tg:measureId ?id }"))
    # IRIs are minted from plan key + measure id (graph/iri.mint_iri slugs both)
    assert rows[ID + "measure/p62-bufdir-status-tma-tiltak-29-39-versjon2019-no/29a"] == "29a"
    assert rows[ID + "measure/h05-digdir-eid-handlingsplan-mal1-tiltak1-2/1-1"] == "1.1"
    numbers = _rows(store, "SELECT ?id ?n WHERE { ?m tg:measureId ?id . OPTIONAL { ?m tg:measureNumber ?n } "
                           "FILTER(?id IN ('29a', '1.1', '14')) }")
    assert sorted(set(numbers)) == [("1.1", ""), ("14", "14"), ("29a", "")]


def test_multiplan_build_statuses_classes_and_no_guess(plans):
    _out, store = plans
    rows = _rows(store, "SELECT ?id ?raw ?class WHERE { ?m tg:measureId ?id ; tg:hasStatusAssessment ?a . "
                        "?a tg:statusRaw ?raw ; tg:status/tg:statusClass ?class ; tg:reportedIn/tg:fileName ?f "
                        "FILTER(STRSTARTS(?f, 'p60')) } ORDER BY ?id")
    assert rows == [("4a", "Avsluttet", "https://w3id.org/tiltaksgraf/ontology#Done"),
                    ("4b", "Avsluttet", "https://w3id.org/tiltaksgraf/ontology#Done"),
                    ("4c", "Pågående – i rute", "https://w3id.org/tiltaksgraf/ontology#Ongoing"),
                    ("5", "Pågående – i rute", "https://w3id.org/tiltaksgraf/ontology#Ongoing")]
    # measure 6 of p60 and measure 4 of the suicide plan state no status: no tg:status at all
    unstated = _rows(store, "SELECT ?m WHERE { ?m tg:measureId ?id ; tg:partOf/tg:entityKey ?k . "
                            "FILTER(?k = 'p46_arsrapport_2024-2025_selvmord_maal2_tiltak4') "
                            "FILTER NOT EXISTS { ?m tg:status ?s } "
                            "FILTER NOT EXISTS { ?m tg:hasStatusAssessment/tg:status ?t } }")
    assert len(unstated) == 1


def test_multiplan_build_responsible_bodies_resolve(plans):
    _out, store = plans
    rows = _rows(store, "SELECT ?id ?label WHERE { ?m tg:measureId ?id ; tg:partOf/tg:entityKey "
                        "'p59_bufdir_status_tma_tiltak_1_2_kunnskap_og_forskning' ; tg:responsible/"
                        "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label } ORDER BY ?id")
    assert [r[0] for r in rows] == ["1a", "1b"]
    assert {r[1] for r in rows} == {"Barne-, ungdoms- og familiedirektoratet"}


def test_multiplan_build_cli_warns_and_refuses(tmp_path, capsys):
    page = PAGES / "p46_arsrapport_2024-2025_selvmord_maal2_tiltak4.txt"
    assert main(["build", str(page), "--out", str(tmp_path / "one"), "--no-views"]) == 0
    said = " ".join(capsys.readouterr().err.split())
    assert "ends inside measure 4; it is kept, marked truncated" in said
    assert "no sidecar JSON" in said and "date 2025" in said
    note = tmp_path / "notat.txt"
    note.write_text("Referat fra møtet. Vi ble enige.\n", encoding="utf-8")
    assert main(["build", str(note), "--out", str(tmp_path / "two")]) == 1
    said = " ".join(capsys.readouterr().err.split())
    assert "fits none of the layouts tried" in said and "blocks: expected" in said
    assert not (tmp_path / "two").exists()
    assert main(["build", str(page), "--layout", "pdf", "--out", str(tmp_path / "three")]) == 2
    assert "unknown layout 'pdf'" in capsys.readouterr().err


def test_status_scheme_every_concept_has_its_wording_and_class():
    """The concepts of ontology/terms and the wordings of ontology/statuses.jsonl are the same."""
    wordings = {match.wording for match in scheme().values()}
    assert wordings == set(STATUS_CONCEPTS)
    for raw, wording, status_class in [("Byrja", "Påbegynt", "Ongoing"),
                                       ("PÅGÅENDE—I RUTE.", "Påbegynt", "Ongoing"),
                                       ("Ikkje starta", "Ikke påbegynt", "NotStarted"),
                                       ("Gjennomført", "Ferdig", "Done"),
                                       ("Påbegynt – løpende", "Påbegynt - løpende", "Ongoing"),
                                       ("Forsinket", "Forsinket", "Ongoing")]:
        assert classify(raw) == (wording, status_class)
    assert classify("2023 - 2025") is None and classify("Status") is None


@pytest.fixture(scope="module")
def timeline(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("timeline") / "out"
    p01 = PAGES / "p01_statsbudsjett2020_BFD_tabell10-1_opptrappingsplan_status_nn.txt"
    assert main(["build", str(p01), str(bundled_report()), "--out", str(out), "--no-views"]) == 0
    return out


def test_timeline_measures_1_to_8_show_2019_and_2022(timeline):
    """p01 (Prop. 1 S, per 1 June 2019, Nynorsk) and the bundled report (2022-04) on one plan."""
    from tiltaksgraf.api import run_query
    from tiltaksgraf.graph.stores import open_store

    store = open_store(timeline, "oxigraph")
    rows = run_query(store, "status-history")
    history: dict[str, list[tuple[str, str | None, str | None]]] = {}
    for r in rows:
        history.setdefault(r["measure"], []).append((r["date"], r["statusRaw"], r["statusClass"]))
    assert {k: v for k, v in history.items() if k in {str(n) for n in range(1, 9)}} == {
        "1": [("2019-06-01", "Byrja", "Ongoing"), ("2022-04", "Ferdig", "Done")],
        "2": [("2019-06-01", "Byrja", "Ongoing"), ("2022-04", "Påbegynt - løpende", "Ongoing")],
        "3": [("2019-06-01", "Ferdig", "Done"), ("2022-04", "Ferdig", "Done")],
        "4": [("2019-06-01", "Ferdig", "Done"), ("2022-04", "Ferdig", "Done")],
        "5": [("2019-06-01", "Byrja", "Ongoing"), ("2022-04", "Påbegynt", "Ongoing")],
        "6": [("2019-06-01", "Ferdig", "Done"), ("2022-04", "Ferdig", "Done")],
        "7": [("2019-06-01", "Byrja", "Ongoing"), ("2022-04", "Påbegynt - løpende", "Ongoing")],
        "8": [("2019-06-01", None, None), ("2022-04", "Ferdig", "Done")],  # cut off before its status
    }
    assert len([k for k in history if len(history[k]) == 1]) == 80  # 9–88: only in the 2022 report
    # one plan node, one node per measure
    plans = store.query("SELECT DISTINCT ?p WHERE { ?m <https://w3id.org/tiltaksgraf/ontology#partOf> ?p }").rows
    assert len(plans) == 1


def test_diff_lists_changed_appeared_disappeared(capsys):
    p01 = PAGES / "p01_statsbudsjett2020_BFD_tabell10-1_opptrappingsplan_status_nn.txt"
    assert main(["diff", str(p01), str(bundled_report())]) == 0
    out = capsys.readouterr().out
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]
    by_id = {r[0]: r[1:] for r in rows}
    assert by_id["1"] == ["changed", "Ongoing", "Byrja", "Done", "Ferdig"]
    assert by_id["8"] == ["changed", "—", "—", "Done", "Ferdig"]
    assert by_id["9"][0] == "appeared" and len(by_id) == 82  # 1, 8 and 9–88
    assert not {"2", "3", "4", "5", "6", "7"} & set(by_id)  # same class in both: not listed
    assert main(["diff", str(bundled_report()), str(p01)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "│ disappeared" in line]
    assert len(rows) == 80


def test_cross_plan_queries(plans):
    from tiltaksgraf.api import run_query
    from tiltaksgraf.graph.stores import open_store

    out, _store = plans
    store = open_store(out, "oxigraph")
    across = {r["agencyLabel"]: r for r in run_query(store, "agencies-across-plans")}
    jd = across["Justis- og beredskapsdepartementet"]
    assert (jd["plans"], jd["responsibleIn"]) == (4, 4)  # bundled, radicalisation, forced marriage, Et liv uten vold
    assert set(jd["planKeys"].split(" | ")) == {
        "opptrappingsplan-mot-vold-og-overgrep-2017-2021", "handlingsplan-mot-radikalisering-og-voldelig-ekstremisme",
        "handlingsplan-mot-tvangsekteskap", "handlingsplan-mot-vold-i-naere-relasjoner-2014-2017"}
    bufdir = across["Barne-, ungdoms- og familiedirektoratet"]
    assert (bufdir["plans"], bufdir["responsibleIn"]) == (5, 3)  # responsible in the three LHBTI pages
    assert all(r["plans"] >= 2 for r in across.values())
    overview = run_query(store, "plan-overview")
    tvang = {r["ministryLabel"]: r for r in overview if r["plan"] == "handlingsplan-mot-tvangsekteskap"}
    assert {k: (v["total"], v["unstated"]) for k, v in tvang.items()} == {
        "BLD": (9, 9), "Kunnskapsdepartementet": (4, 4), "AID": (3, 3), "Justis- og beredskapsdepartementet": (3, 3),
        "Kulturdepartementet": (2, 2)}  # a progress report's contents: no status stated
    p60 = [r for r in overview if r["plan"].startswith("p60")]
    assert [(r["done"], r["ongoing"], r["total"]) for r in p60] == [(2, 2, 4)]


def test_plan_filter_on_stats_and_collaboration_view(plans, tmp_path, capsys):
    out, _store = plans
    assert main(["stats", "-g", str(out), "-n", "1"]) == 0
    everything = capsys.readouterr().out
    title = "Opptrappingsplan mot vold og overgrep (2017–2021)"
    assert main(["stats", "-g", str(out), "-n", "1", "--plan", title]) == 0
    one = capsys.readouterr().out
    sizes = [re.search(r"collaboration network: (\d+) agencies, (\d+) links", t).groups() for t in (everything, one)]
    assert int(sizes[1][1]) < int(sizes[0][1])  # other plans' collaborations left out
    assert main(["stats", "-g", str(out), "--plan", "handlingsplan-mot-tvangsekteskap"]) == 0
    assert "collaboration network: 0 agencies, 0 links; overview: 25 nodes" in capsys.readouterr().out
    assert main(["stats", "-g", str(out), "--plan", "ingen plan"]) == 1
    said = " ".join(capsys.readouterr().err.split())
    assert "no plan 'ingen plan' in the graph" in said and "handlingsplan-mot-tvangsekteskap" in said
    view = tmp_path / "tvang.html"
    assert main(["viz", "collaboration", "-g", str(out), "--plan", "opptrappingsplan-mot-vold-og-overgrep-2017-2021",
                 "-o", str(view)]) == 0
    assert view.stat().st_size > 1000


def test_views_show_measures_numbered_29a_and_2_1(plans):
    """The overview network has a node for every measure, labelled by its id where it has no
    plain number."""
    from tiltaksgraf.graph.network import overview_network
    from tiltaksgraf.graph.store import load_graph

    out, _store = plans
    G = overview_network(load_graph(out))
    labels = {d["label"] for _n, d in G.nodes(data=True) if d.get("type") == "Measure"}
    assert {f"Tiltak {i}" for i in ("29a", "29b", "1.1", "4c", "88")} <= labels
    assert sum(1 for _n, d in G.nodes(data=True) if d.get("type") == "Measure") == 125


def test_listing_queries_give_every_plans_measures_by_id(plans):
    # Issue 15: the older named queries joined on tg:measureNumber, which only plain numbers
    # have, and so left out "29a", "4b", "1.1"; and grouped by that number across plans.
    from tiltaksgraf.api import run_query
    from tiltaksgraf.graph.stores import open_store

    out, store = plans
    opened = open_store(out, "oxigraph")
    with_status = _rows(store, "SELECT DISTINCT ?m ?s WHERE { ?m a tg:Measure ; tg:measureId ?id ; tg:status ?s }")
    listed = run_query(opened, "measures-by-status")
    assert len(listed) == len(with_status)
    ids = {str(r["measure"]) for r in listed}
    assert {"1.1", "4a", "4b", "29a"} <= ids
    assert {str(r["measure"]) for r in run_query(opened, "measures-by-ministry")} >= {"1.1", "29a"}
    bufdir = [str(r["measure"]) for r in run_query(opened, "trace-entity", entity="Bufdir")]
    assert {"1a", "4a", "29a"} <= set(bufdir) and bufdir.index("4a") < bufdir.index("29a")
    # measure 1 of each plan is its own measure: one row per plan that names a law in it
    ones = _rows(store, "SELECT DISTINCT ?m WHERE { ?x tg:entity ?law ; tg:measure ?m . ?law a tg:Law . "
                        "?m tg:measureId '1' }")
    assert len(run_query(opened, "laws-by-measure", measure="1")) >= len(ones)


def test_a_page_cut_inside_its_last_measure_says_so_in_the_graph(plans):
    # Issue 15: tg:truncated was only in measures.json; the graph said nothing of it.
    out, store = plans
    sources = json.loads((out / "measures.json").read_text(encoding="utf-8"))["sources"]
    cut = {(s["name"], m["measure_id"]) for s in sources for m in s["measures"] if m.get("truncated")}
    flagged = _rows(store, "SELECT ?file ?id ?t WHERE { ?a tg:truncated ?t ; tg:measure/tg:measureId ?id ; "
                           "tg:reportedIn/tg:fileName ?file }")
    assert {(f, i) for f, i, _t in flagged} == cut and len(cut) == 11  # each page's last measure
    assert {t for _f, _i, t in flagged} == {"true"}
    assert not any(f.startswith("opptrappingsplan") for f, _i, _t in flagged)  # the whole report is whole
