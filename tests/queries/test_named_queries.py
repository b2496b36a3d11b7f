"""Every named query answers its question on the bundled report: the expected answers are read
from the report's text (quoted in each test), and both stores return the same rows."""

from __future__ import annotations

import re

import sys
from decimal import Decimal

import pytest

from querytest_support import CASES
from tiltaksgraf.api import run_query
from tiltaksgraf.errors import QueryError
from tiltaksgraf.queries.formats import python_rows
from tiltaksgraf.queries.rq import load_named_queries
from tiltaksgraf.queries.runner import run_named_query
from tiltaksgraf.records import measure_order

NKVTS = "https://w3id.org/tiltaksgraf/id/entity/nkvts"


@pytest.fixture(scope="module")
def ask(oxigraph_store):
    """``ask(name, **params)`` → rows as dicts (on Oxigraph: fast; the stores agree, see below)."""
    return lambda name, **params: run_query(oxigraph_store, name, **params)


def test_named_queries_every_query_has_a_known_answer_test() -> None:
    tests = {name for name in dir(sys.modules[__name__]) if name.startswith("test_named_queries_")}
    for name in load_named_queries():
        slug = name.replace("-", "_")
        assert any(t.startswith(f"test_named_queries_{slug}") for t in tests), f"no known-answer test for {name}"
        assert any(case == name for case, _params in CASES), f"{name} is not in the stores-agree cases"


@pytest.mark.parametrize(("name", "params"), CASES, ids=[f"{n}-{'-'.join(p.values()) or 'all'}" for n, p in CASES])
def test_named_queries_stores_return_the_same_rows(rdflib_store, oxigraph_store, name, params) -> None:
    on_rdflib = python_rows(run_named_query(rdflib_store, name, params))
    on_oxigraph = python_rows(run_named_query(oxigraph_store, name, params))
    assert on_rdflib == on_oxigraph
    # agencies-across-plans is empty for the bundled report alone (one plan); tests/test_multiplan_build.py
    # runs it on twelve reports
    assert on_rdflib or name in ("laws-by-measure", "agencies-across-plans"), f"{name} {params} found nothing"


def test_named_queries_partners_of_nkvts(ask) -> None:
    # "I mai 2019 lanserte senteret [NKVTS, named in the sentence before] også, sammen med FHI og RVTS, …" (tiltak 44)
    # "NKVTS har i samarbeid med FHI undersøkt noen av disse kunnskapshullene …" (tiltak 62)
    # "NKVTS og NOVA gjennomfører empiriske undersøkelser …" (tiltak 54)
    rows = ask("partners-of", agency="NKVTS")
    fhi = [r for r in rows if r["partnerLabel"] == "Folkehelseinstituttet"]
    assert [r["measure"] for r in fhi] == [44, 62]
    assert "lanserte senteret også" in fhi[0]["sentence"] and "i samarbeid med FHI" in fhi[1]["sentence"]
    assert 54 in {r["measure"] for r in rows if "NOVA" in r["partnerLabel"]}
    # every evidence sentence names NKVTS, or a noun that stands for it ("Sentrene samarbeider om …", tiltak 46)
    assert all(re.search(r"NKVTS|\b[Ss]enteret\b|\b[Ss]entrene\b", r["sentence"]) for r in rows)
    assert NKVTS not in {r["partner"] for r in rows}
    assert "agency" not in rows[0]  # the bound parameter's column is left out
    labels = [r["partnerLabel"] for r in rows]
    assert labels == sorted(labels)


def test_named_queries_partners_of_accepts_iri_and_any_case(ask) -> None:
    assert ask("partners-of", agency=NKVTS) == ask("partners-of", agency="nkvts") == ask("partners-of", agency="NKVTS")


def test_named_queries_trace_programme_tryggest(ask) -> None:
    # "Prøve ut en modell for håndtering av vold og overgrep mot sårbare voksne TryggEst." (tiltak 11)
    # "Pilotering av TryggEst ble gjennomført i 10 kommuner i 2018-2020." (tiltak 11)
    # "TryggEst har utviklet en brosjyre …" (tiltak 46)
    rows = ask("trace-programme", programme="TryggEst")
    numbers = [r["measure"] for r in rows]
    assert {11, 46} <= set(numbers)
    assert numbers == sorted(numbers)
    eleven = next(r for r in rows if r["measure"] == 11)
    assert eleven["status"] == "Påbegynt - løpende"
    assert "Kulturdepartementet" in eleven["ministries"]  # ANSVAR: KUD
    assert {"2018", "2020"} <= set(eleven["years"].split(", "))
    # "Bufdir koordinerer arbeidet med TryggEst."
    assert "Barne-, ungdoms- og familiedirektoratet" in eleven["agencies"]
    for row in rows:
        for year in (row["years"] or "").split(", "):
            assert not year or 2000 <= int(year) <= 2039


def test_named_queries_trace_entity_statens_barnehus(ask) -> None:
    # An agency, not a programme: "Statens barnehus" is named in tiltak 83–87 (the section on
    # the children's houses), e.g. "… Statens barnehus Kristiansand …" (tiltak 85).
    rows = ask("trace-entity", entity="Statens barnehus")
    assert [r["measure"] for r in rows] == [83, 84, 85, 86, 87]
    assert all("Statens barnehus" in r["agencies"] for r in rows)
    eighty_five = next(r for r in rows if r["measure"] == 85)
    assert eighty_five["ministries"] == "Helse- og omsorgsdepartementet" and eighty_five["years"] == "2018"
    # the same rows as trace-programme gives for a programme
    assert ask("trace-entity", entity="TryggEst") == ask("trace-programme", programme="TryggEst")


def test_named_queries_trace_programme_years_are_whole_numbers() -> None:
    # A tiny graph: one programme mentioned in one sentence with years and near-years.
    from rdflib import Graph, Literal, URIRef
    import pyoxigraph as ox

    from tiltaksgraf.graph.stores import OxigraphStore, RdflibStore, vocabulary_graph
    from tiltaksgraf.ontology.terms import SKOS, TG, RDF

    base = "https://example.org/"
    g = Graph() + vocabulary_graph()
    programme, measure, mention = URIRef(base + "p"), URIRef(base + "m"), URIRef(base + "x")
    g.add((programme, RDF.type, TG.Programme))
    g.add((programme, SKOS.prefLabel, Literal("Piloten", lang="nb")))
    g.add((measure, TG.measureNumber, Literal(7)))
    g.add((measure, TG.measureId, Literal("7")))
    g.add((measure, TG.mentions, programme))
    g.add((mention, TG.entity, programme))
    g.add((mention, TG.measure, measure))
    evidence = URIRef(base + "e")  # the sentence is on the mention's evidence node, stored once
    g.add((mention, TG.evidence, evidence))
    g.add((evidence, TG.sentence, Literal("Piloten gikk 2019–2021 (sak 20190, 1999, 2040), igjen i 2021.")))
    oxi = ox.Store()
    oxi.load(input=g.serialize(format="nt"), format=ox.RdfFormat.N_TRIPLES)
    for store in (RdflibStore(g), OxigraphStore(oxi)):
        rows = python_rows(run_named_query(store, "trace-programme", {"programme": "Piloten"}))
        assert rows == [{"measure": 7, "status": None, "ministries": None, "agencies": None, "years": "2019, 2021"}]


def test_named_queries_measures_by_ministry_hod(ask) -> None:
    # ANSVAR HOD: tiltak 59 "Vurdere hvordan samarbeidet mellom helse- og omsorgstjenesten og
    # krisesentrene fungerer …" and 62 "Utarbeide et kunnskapsgrunnlag for behandling …"; 5 is BFD's.
    rows = ask("measures-by-ministry", ministry="HOD")
    numbers = [r["measure"] for r in rows]
    assert {59, 62} <= set(numbers) and 5 not in numbers
    assert numbers == sorted(numbers)
    assert {r["ministryLabel"] for r in rows} == {"Helse- og omsorgsdepartementet"}
    assert next(r for r in rows if r["measure"] == 62)["status"] == "Ferdig"


def test_named_queries_measures_by_ministry_lists_shared_measures_under_each(ask) -> None:
    # "12. BFD JD Styrke samarbeidet mellom politi og barnevern."
    rows = ask("measures-by-ministry")
    twelve = {r["ministryLabel"] for r in rows if r["measure"] == 12}
    assert {"Barne- og familiedepartementet", "Justis- og beredskapsdepartementet"} <= twelve


def test_named_queries_measures_by_status(ask, report) -> None:
    rows = ask("measures-by-status")
    assert sorted(r["measure"] for r in rows) == sorted(m.number for m in report.measures)
    assert {r["statusLabel"] for r in rows} == {"Ferdig", "Påbegynt", "Påbegynt - løpende"}
    done = ask("measures-by-status", status="ferdig")  # case-insensitive; also "Completed" (@en)
    assert ask("measures-by-status", status="Completed") == done
    numbers = [r["measure"] for r in done]
    assert numbers == sorted(numbers)
    assert 12 in numbers and 62 in numbers and 5 not in numbers and 59 not in numbers
    assert numbers == sorted(m.number for m in report.measures if m.status == "Ferdig")


def test_named_queries_measures_by_status_folds_accents_and_dashes(ask) -> None:
    ongoing = ask("measures-by-status", status="Påbegynt - løpende")
    assert ask("measures-by-status", status="pabegynt – lopende") == ongoing
    assert {11, 46} <= {r["measure"] for r in ongoing}


def test_named_queries_status_per_ministry(ask) -> None:
    rows = ask("status-per-ministry")
    totals = [r["total"] for r in rows]
    assert totals == sorted(totals, reverse=True)
    for row in rows:
        assert row["ferdig"] + row["pabegynt"] + row["pabegyntLopende"] == row["total"]
    hod = next(r for r in rows if r["ministryLabel"] == "Helse- og omsorgsdepartementet")
    by_status = ask("measures-by-ministry", ministry="HOD")
    assert hod["total"] == len(by_status)
    assert hod["ferdig"] == sum(r["status"] == "Ferdig" for r in by_status)


def test_named_queries_laws_by_measure(ask) -> None:
    # "5. BFD Utrede endringer i krisesenterloven med sikte på å klargjøre kommunenes ansvar …"
    rows = ask("laws-by-measure", measure="5")
    assert any("krisesenterlov" in r["lawLabel"].lower() for r in rows)
    assert all(r["mentions"] >= 1 for r in rows)
    everything = ask("laws-by-measure")
    ids = [r["measure"] for r in everything]
    assert ids == sorted(ids, key=measure_order)  # ids as numbered, in reading order ("3" before "14")
    assert [r for r in everything if r["measure"] == "5"] == [{"measure": "5", **r} for r in rows]


def test_named_queries_laws_by_measure_without_laws_is_empty(ask) -> None:
    # "12. … Styrke samarbeidet mellom politi og barnevern." names no law; no stray row either.
    assert ask("laws-by-measure", measure=12) == []


def test_named_queries_reports_by_agency(ask) -> None:
    # "NOVA/OsloMet har gjennomført en evaluering av Statens barnehus …" (tiltak 83)
    # "Nordlandsforskning/KUN fikk i oppdrag fra Bufdir å utarbeide en kunnskapsoversikt om
    #  krisesentertilbudet." (tiltak 59)
    nova = ask("reports-by-agency", agency="NOVA")
    barnehus = [r for r in nova if "Statens barnehus" in r["reportLabel"]]
    assert barnehus and barnehus[0]["role"] == "carried out" and barnehus[0]["measure"] == 83
    rows = ask("reports-by-agency")
    bufdir = [r for r in rows
              if r["agencyLabel"].startswith("Barne-, ungdoms-") and "krisesentertilbudet" in r["reportLabel"]]
    assert {r["role"] for r in bufdir} == {"commissioned"}
    assert {r["role"] for r in rows} <= {"commissioned", "carried out", "named with"}


def test_named_queries_commissioned_by_bufdir(ask) -> None:
    # "FHI har på oppdrag fra Bufdir kartlagt norsk forskning …" (tiltak 47)
    # "Forskningsprosjektet gjennomføres av FAFO, på oppdrag fra Bufdir." (tiltak 28)
    rows = ask("commissioned-by", agency="Bufdir")
    contractors = {(r["contractorLabel"], r["measure"]) for r in rows}
    assert ("Folkehelseinstituttet", 47) in contractors
    assert any(label.endswith("Fafo") and n == 28 for label, n in contractors)
    assert all("Bufdir" in r["sentence"] for r in rows)
    everyone = ask("commissioned-by")
    assert {r["agencyLabel"] for r in everyone} >= {"Barne-, ungdoms- og familiedirektoratet"}


def test_named_queries_related_measures_both_ways(ask) -> None:
    # "Viser til tiltak 5. Nordlandsforskning/KUN fikk i oppdrag fra Bufdir …" (reporting on 59)
    to_five = ask("related-measures", measure=5)
    assert {(r["direction"], r["related"]) for r in to_five} >= {("referred to by", "59")}
    from_59 = ask("related-measures", measure="59")
    row = next(r for r in from_59 if r["related"] == "5")
    assert row["direction"] == "refers to" and "tiltak 5" in row["sentence"]
    assert row["status"] == "Påbegynt" and "krisesenterloven" in row["description"]


def test_named_queries_related_measures_needs_a_number(ask) -> None:
    from tiltaksgraf.errors import QueryError

    with pytest.raises(QueryError, match="measure id as numbered"):
        ask("related-measures", measure="fem")
    with pytest.raises(QueryError, match="needs the parameter measure"):
        ask("related-measures")


def test_named_queries_status_history_one_report(ask) -> None:
    """The bundled report alone: one assessment per measure, dated 2022-04 by its sidecar."""
    rows = ask("status-history")
    assert len(rows) == 88 and {r["date"] for r in rows} == {"2022-04"}
    three = ask("status-history", measure="3")
    assert [(r["status"], r["statusClass"], r["statusRaw"]) for r in three] == [("Ferdig", "Done", "Ferdig")]
    assert three[0]["plan"] == "opptrappingsplan-mot-vold-og-overgrep-2017-2021"
    with pytest.raises(QueryError, match="no measure '89'"):
        ask("status-history", measure="89")


def test_named_queries_plan_overview_agrees_with_status_per_ministry(ask) -> None:
    """One plan: the class counts per ministry are status-per-ministry's (Ferdig → Done, Påbegynt
    and Påbegynt - løpende → Ongoing); every status is stated, so none is unstated."""
    overview = ask("plan-overview")
    per_ministry = {r["ministry"]: r for r in ask("status-per-ministry")}
    assert {r["plan"] for r in overview} == {"opptrappingsplan-mot-vold-og-overgrep-2017-2021"}
    assert len(overview) == len(per_ministry) == 6
    for row in overview:
        old = per_ministry[row["ministry"]]
        assert (row["done"], row["ongoing"], row["notStarted"], row["unstated"], row["total"]) == (
            old["ferdig"], old["pabegynt"] + old["pabegyntLopende"], 0, 0, old["total"])
    hod = next(r for r in overview if r["ministryLabel"] == "Helse- og omsorgsdepartementet")
    assert (hod["done"], hod["ongoing"], hod["total"]) == (17, 12, 29)


def test_named_queries_agencies_across_plans_none_for_one_plan(ask) -> None:
    assert ask("agencies-across-plans") == []


def test_named_queries_entity_search(ask) -> None:
    rows = ask("entity-search", text="barnehus")
    assert rows[0]["label"] == "Statens barnehus" and rows[0]["type"] == "Agency"
    assert all("barnehus" in (r["matched"] or "").lower() for r in rows)
    assert ask("entity-search", text="TRYGGEST")[0]["label"] == "TryggEst"
    # accents and æøå folded both ways: "Æ e mæ" is found as "ae e mae", ABUP's
    # "Sørlandet sykehus" as "sorlandet"
    assert "Æ e mæ" in [r["label"] for r in ask("entity-search", text="ae e mae")]
    assert any("Sørlandet" in r["label"] for r in ask("entity-search", text="SORLANDET"))
    assert ask("entity-search", text="zzzz-no-such-thing") == []


def test_named_queries_entity_search_exact_match_first(ask) -> None:
    rows = ask("entity-search", text="NKVTS")
    assert rows[0]["entity"] == NKVTS


def test_named_queries_agencies_collaborating(ask) -> None:
    rows = ask("agencies-collaborating")
    counts = [r["collaborations"] for r in rows]
    assert counts == sorted(counts, reverse=True)
    pairs = {frozenset((r["agency1Label"], r["agency2Label"])): r for r in rows}
    # "Prosjektet gjennomføres som et samarbeid mellom forskere ved NOVA/NKVTS/NTNU." (40) and
    # "NKVTS og NOVA gjennomfører empiriske undersøkelser …" (54)
    nova = pairs[frozenset(("Nasjonalt kunnskapssenter om vold og traumatisk stress",
                            "Velferdsforskningsinstituttet NOVA"))]
    assert {40, 54} <= {int(n) for n in nova["measures"].split(", ")}
    assert nova["collaborations"] >= 2
    for row in rows:
        assert row["agency1"] < row["agency2"]  # each pair once
        numbers = [int(n) for n in row["measures"].split(", ")]
        assert numbers == sorted(set(numbers))


def test_named_queries_amounts_are_python_numbers(oxigraph_store) -> None:
    from tiltaksgraf.api import sparql

    rows = sparql(oxigraph_store, "PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#> "
                                  "SELECT ?a WHERE { ?f tg:amount ?a } ORDER BY ?a LIMIT 1")
    assert isinstance(rows[0]["a"], Decimal)
