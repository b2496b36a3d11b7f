"""The README's relation examples run on the bundled graph and answer what the README says they
answer; each query here is in the README word for word."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")

CONSULTED = """PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?measure ?who ?consulted ?sentence WHERE {
  ?c a tg:Consultation ; tg:consulted/skos:prefLabel ?consulted ;
     tg:measure/tg:measureNumber ?measure ; tg:evidence/tg:sentence ?sentence .
  OPTIONAL { ?c tg:consulter/skos:prefLabel ?who }
} ORDER BY ?measure ?consulted"""

GRANTS = """PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?measure ?amount ?basis ?approximate (GROUP_CONCAT(DISTINCT STR(?year); separator=", ") AS ?years)
       ?funder ?recipient WHERE {
  ?f a tg:Funding ; tg:measure/tg:measureNumber ?measure .
  OPTIONAL { ?f tg:amount ?amount }  OPTIONAL { ?f tg:year ?year }
  OPTIONAL { ?f tg:amountBasis ?b  BIND(STRAFTER(STR(?b), "#") AS ?basis) }  OPTIONAL { ?f tg:approximate ?approximate }
  OPTIONAL { ?f tg:funder/skos:prefLabel ?funder }  OPTIONAL { ?f tg:funds/skos:prefLabel ?recipient }
} GROUP BY ?measure ?f ?amount ?basis ?approximate ?funder ?recipient ORDER BY ?measure ?amount"""

COMMISSIONED = """PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?measure ?contractor ?commissioner ?rule WHERE {
  ?k a tg:Commission ; tg:contractor/skos:prefLabel ?contractor ; tg:rule ?rule ;
     tg:measure/tg:measureNumber ?measure .
  OPTIONAL { ?k tg:commissioner/skos:prefLabel ?commissioner }   # unbound: "har fått i oppdrag å …"
} ORDER BY ?measure"""


@pytest.fixture(scope="module")
def store(built):
    s = ox.Store()
    s.bulk_load(path=str(built / "graph.ttl"), format=ox.RdfFormat.TURTLE)
    return s


def _rows(store, query):
    result = store.query(query)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


@pytest.mark.parametrize("query", [CONSULTED, GRANTS, COMMISSIONED])
def test_readme_relation_example_is_in_the_readme(query):
    assert query in README


def test_readme_consultations_name_who_consulted_whom(store):
    rows = _rows(store, CONSULTED)
    m25 = next(r for r in rows if r["measure"] == "25")
    assert {"measure": "25", "who": "Barne-, ungdoms- og familiedirektoratet",
            "consulted": "Barne- og familiedepartementet"}.items() <= m25.items()
    assert {r["consulted"] for r in rows if r["measure"] == "28"} == {"Helsedirektoratet", "Utdanningsdirektoratet"}


def test_readme_grants_keep_every_year_and_the_funder(store):
    rows = _rows(store, GRANTS)
    m1 = [r for r in rows if r["measure"] == "1" and r["amount"]]
    assert [sorted(r["years"].split(", ")) for r in m1] == [["2019", "2020", "2021"]]
    assert any(r["measure"] == "67" and r["amount"] is None and r["funder"] == "Helsedirektoratet"
               and r["recipient"] == "Nasjonalt kunnskapssenter om vold og traumatisk stress" for r in rows)
    # "om lag 39 mill. kroner i perioden 2017-2021": a total over five years, approximate
    [m74] = [r for r in rows if r["measure"] == "74" and r["amount"]]
    assert (m74["basis"], m74["approximate"], m74["years"].count(",")) == ("InTotal", "true", 4)


def test_readme_passive_commissions_have_no_commissioner(store):
    rows = _rows(store, COMMISSIONED)
    assert any(r["measure"] == "7" and r["commissioner"] is None and r["rule"] == "commission-fatt-i-oppdrag"
               for r in rows)
    assert any(r["measure"] == "7" and r["commissioner"] == "Justis- og beredskapsdepartementet" for r in rows)
