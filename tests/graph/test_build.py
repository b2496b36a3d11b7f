"""The built graph: valid against the shapes, deterministic, and every fact traceable."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import RDF, SKOS

from tiltaksgraf.graph.build import build_dataset, union_graph
from tiltaksgraf.graph.iri import mint_iri, slug
from tiltaksgraf.ontology.terms import TG, load_ontology, load_shapes
from tiltaksgraf.pipeline import build

GOLDEN = next(p for p in Path(__file__).resolve().parents if p.name == "tests") / "golden"


@pytest.fixture(scope="module")
def graph(built):
    return Graph().parse(built / "graph.ttl")


def test_graph_conforms_to_shapes(graph):
    conforms, _report, text = pyshacl.validate(graph, shacl_graph=load_shapes(), ont_graph=load_ontology(),
                                               inference="rdfs")
    assert conforms, text[:4000]


def test_graph_mention_offsets_are_exact(graph, bundled_extraction):
    text = bundled_extraction.report.source.text
    rows = list(graph.query("""
        PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>
        SELECT ?form ?start ?end ?sentence ?sStart ?sEnd WHERE {
          ?x a tg:Mention ; tg:surfaceForm ?form ; tg:start ?start ; tg:end ?end ; tg:evidence ?ev .
          ?ev tg:sentence ?sentence ; tg:start ?sStart ; tg:end ?sEnd }"""))
    assert len(rows) == len(bundled_extraction.mentions)
    for form, start, end, sentence, s_start, s_end in rows:
        assert text[int(start):int(end)] == str(form)
        assert text[int(s_start):int(s_end)] == str(sentence)
        assert int(s_start) <= int(start) and int(end) <= int(s_end)
    # the sentence is stored once, on the evidence node, never copied onto a mention
    assert not graph.query("""PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>
        ASK { ?x a tg:Mention ; tg:sentence ?s }""").askAnswer


def test_graph_responsible_ministries_have_names(graph):
    labels = {str(o) for o in graph.objects(None, SKOS.prefLabel)}
    assert {"Barne- og familiedepartementet", "Alle departementer", "Kulturdepartementet"} <= labels
    bfd = mint_iri("entity", "bfd")
    assert (bfd, SKOS.altLabel, Literal("BFD", lang="nb")) in graph


def test_graph_measures_and_statuses(graph):
    measures = set(graph.subjects(RDF.type, TG.Measure))
    assert len(measures) == 88
    statuses = {str(graph.value(graph.value(m, TG.status), SKOS.prefLabel)) for m in measures}
    assert statuses == {"Ferdig", "Påbegynt", "Påbegynt - løpende"}


def test_graph_build_is_deterministic(built, tmp_path):
    build([], tmp_path / "again", write_views=False)
    for name in ("graph.ttl", "graph.trig", "measures.json"):
        assert (tmp_path / "again" / name).read_bytes() == (built / name).read_bytes(), name


def test_graph_golden_mini_report(mini_extraction):
    """The small synthetic report gives exactly the golden graph (compared as graphs)."""
    built = union_graph(build_dataset([mini_extraction]))
    golden = Graph().parse(GOLDEN / "mini-report.ttl")
    if not isomorphic(built, golden):
        _in_both, only_built, only_golden = graph_diff(to_isomorphic(built), to_isomorphic(golden))
        lines = sorted(f"+ {t}" for t in only_built)[:25] + sorted(f"- {t}" for t in only_golden)[:25]
        pytest.fail("built graph differs from golden:\n" + "\n".join(lines))


@pytest.mark.parametrize("text, expected", [
    ("Barne-, ungdoms- og familiedirektoratet", "barne-ungdoms-og-familiedirektoratet"),
    ("Tromsø Å", "tromso-a"), ("Prop. 73 L (2016–2017)", "prop-73-l-2016-2017"), ("", "x"),
])
def test_graph_slugs_fold_norwegian_letters(text, expected):
    assert slug(text) == expected


def test_graph_terms_are_closed():
    with pytest.raises(AttributeError):
        TG.mesure  # noqa: B018  # a typo must not mint a new property


def test_graph_extraction_responsible_has_named_fields(mini_extraction):
    from tiltaksgraf.records import Responsibility

    assert all(isinstance(r, Responsibility) for r in mini_extraction.responsible)
    first = mini_extraction.responsible[0]
    assert mini_extraction.responsible_for(first.measure) == first.ministries
    assert mini_extraction.responsible_for(10_000) == ()


def test_graph_plan_the_text_names_is_the_plan_node(graph):
    """"opptrappingsplanen" in measures 2 and 49 is the plan the report reports on: one node (the
    tg:ActionPlan, also typed tg:Plan so entity queries find it), not a second Plan entity."""
    plan = mint_iri("plan", "opptrappingsplan-mot-vold-og-overgrep-2017-2021")
    named_by = {int(graph.value(m, TG.measureNumber)) for m in graph.subjects(TG.mentions, plan)}
    assert named_by == {2, 49}
    assert set(graph.objects(plan, RDF.type)) == {TG.ActionPlan, TG.Plan}
    assert len(list(graph.objects(plan, SKOS.prefLabel))) == 1
    assert [str(k) for k in graph.objects(plan, TG.entityKey)] == ["opptrappingsplan-mot-vold-og-overgrep-2017-2021"]
    assert Literal("Opptrappingsplanen mot vold og overgrep", lang="nb") in set(graph.objects(plan, SKOS.altLabel))
    assert (mint_iri("entity", "opptrappingsplan-mot-vold-og-overgrep"), None, None) not in graph
    assert (None, None, mint_iri("entity", "opptrappingsplan-mot-vold-og-overgrep")) not in graph


def test_graph_a_plan_named_in_another_plans_report_is_that_plans_node(bundled_extraction, mini_extraction):
    """Built together, a report naming another plan being built ("Opptrappingsplanen mot vold og
    overgrep (2017-2021)", definite, the period's dash another) points at that plan's node; a plan
    not built stays an entity of its own."""
    from dataclasses import replace

    from tiltaksgraf.graph.build import plans_named_in_text
    from tiltaksgraf.records import Entity

    named = Entity("opptrappingsplanen-x", "Plan", "Opptrappingsplanen mot vold og overgrep (2017-2021)")
    other = Entity("handlingsplan-y", "Plan", "Handlingsplan mot vold i nære relasjoner (2014–2017)")
    mini = replace(mini_extraction, entities=(*mini_extraction.entities, named, other))
    same_as = plans_named_in_text([bundled_extraction, mini])
    bundled_plan = mint_iri("plan", "opptrappingsplan-mot-vold-og-overgrep-2017-2021")
    assert same_as[mint_iri("entity", "opptrappingsplanen-x")] == bundled_plan
    assert mint_iri("entity", "handlingsplan-y") not in same_as


def test_graph_a_plan_of_the_same_name_and_another_period_is_another_plan(bundled_extraction, mini_extraction):
    """"Handlingsplan mot vold i nære relasjoner (2021–2024)" («Frihet fra vold») is not the plan of
    2014–2017 being built beside it, even though the names are alike; a name without its period
    names a plan that has one only in that plan's own reports."""
    from dataclasses import replace

    from tiltaksgraf.graph.build import plans_named_in_text
    from tiltaksgraf.records import Entity

    def as_plan(ex, title, key):
        meta = replace(ex.report.source.metadata, plan_title=title, plan_key=key)
        return replace(ex, report=replace(ex.report, source=replace(ex.report.source, metadata=meta)))

    older = as_plan(mini_extraction, "Handlingsplan mot vold i nære relasjoner (2014-2017)", "vnr-2014")
    newer = Entity("frihet-fra-vold", "Plan", "Frihet fra vold",
                   ("Handlingsplan mot vold i nære relasjoner (2021-2024)",))
    same = Entity("vnr-omtalt", "Plan", "Handlingsplanen mot vold i nære relasjoner (2014–2017)")
    bare = Entity("vnr-uten-periode", "Plan", "Handlingsplan mot vold i nære relasjoner")
    text = replace(bundled_extraction, entities=(*bundled_extraction.entities, newer, same, bare))
    same_as = plans_named_in_text([older, text])
    assert mint_iri("entity", "frihet-fra-vold") not in same_as
    assert same_as[mint_iri("entity", "vnr-omtalt")] == mint_iri("plan", "vnr-2014")
    assert mint_iri("entity", "vnr-uten-periode") not in same_as  # named in another plan's report
    newer_plan = as_plan(mini_extraction, "Handlingsplan mot vold i nære relasjoner (2021–2024)", "vnr-2021")
    same_as = plans_named_in_text([older, newer_plan, text])
    assert same_as[mint_iri("entity", "frihet-fra-vold")] == mint_iri("plan", "vnr-2021")
    own = replace(older, entities=(*older.entities, bare))  # in the plan's own report: that plan
    assert plans_named_in_text([own])[mint_iri("entity", "vnr-uten-periode")] == mint_iri("plan", "vnr-2014")


def test_graph_funding_says_per_year_or_in_total_and_approximate(graph):
    """"Alternativ til Vold er styrket med om lag 39 mill. kroner i perioden 2017-2021" (tiltak 74):
    a total over five years, approximate; "avsatt til sammen 7 mill. kroner årlig" (tiltak 16): per year."""
    rows = {(int(n), float(a), str(b).rsplit("#", 1)[1], str(x)) for n, a, b, x in graph.query("""
        PREFIX tg: <https://w3id.org/tiltaksgraf/ontology#>
        SELECT ?n ?a ?b ?x WHERE { ?f a tg:Funding ; tg:measure/tg:measureNumber ?n ; tg:amount ?a ;
            tg:amountBasis ?b . OPTIONAL { ?f tg:approximate ?y } BIND(COALESCE(?y, false) AS ?x) }""")}
    assert (74, 39e6, "InTotal", "true") in rows
    assert (16, 7e6, "PerYear", "false") in rows
